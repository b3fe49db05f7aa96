"""The catalogue as Excel: the export reads back, export → import changes nothing, a changed rate
becomes a new rate from its date, every bad row is listed with its row and column and nothing is
saved, and hostile uploads are refused in words."""

from __future__ import annotations

import io
from datetime import date, timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from openpyxl import Workbook, load_workbook

from tests.payments.conftest import RATES_FROM, item, signed_in
from yakusho.core.models import Municipality, Role
from yakusho.payments import catalogue_forms, tabular
from yakusho.payments.models import FeeItem, FeeRate

pytestmark = [pytest.mark.django_db, pytest.mark.excel]


def url(name: str, town: Municipality) -> str:
    return reverse(f"payments_staff:{name}", args=[town.slug])


def export(client: Client, town: Municipality) -> list[list[Any]]:
    response = client.get(url("fees_export", town))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def xlsx(rows: list[list[Any]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client: Client, town: Municipality, raw: bytes, name: str = "fees.xlsx") -> Any:
    return client.post(url("fees_import", town), {"file": SimpleUploadedFile(name, raw)})


def snapshot(town: Municipality) -> list[tuple[Any, ...]]:
    items = FeeItem.objects.filter(municipality=town).order_by("key")
    rates = FeeRate.objects.filter(item__municipality=town).order_by("item__key", "valid_from")
    return [
        *(
            tuple(
                i.__dict__[f] for f in ("key", "name", "kind", "department_id", "methods", "public", "order")
            )
            for i in items
        ),
        *((r.item_id, r.valid_from, r.amount_yen, r.non_resident_yen, r.exemptions) for r in rates),
    ]


def test_the_export_has_the_documented_columns_and_one_row_per_item(
    client: Client, town: Municipality
) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    FeeItem.objects.filter(municipality=town, key="kaikan").update(note='=HYPERLINK("http://evil")')
    rows = export(client, town)
    assert tuple(rows[0]) == tabular.COLUMNS
    assert tabular.COLUMNS == (
        "キー", "名称", "種別", "担当課", "根拠条例", "歳入科目コード", "歳入科目", "支払方法", "単位",
        "金額", "町外・市外の金額", "1回の上限数量", "減免の理由", "適用開始日", "公開", "備考",
        "集計上の項目",
    )  # fmt: skip
    body = {row[0]: dict(zip(tabular.COLUMNS, row, strict=True)) for row in rows[1:]}
    assert set(body) == {"juminhyo", "inkan", "koseki", "sodai", "kaikan"}
    juminhyo = body["juminhyo"]
    assert juminhyo["支払方法"] == "現金、クレジットカード、QRコード決済、電子マネー"
    assert (juminhyo["単位"], juminhyo["金額"], juminhyo["町外・市外の金額"]) == ("1通", 300, None)
    assert juminhyo["減免の理由"] == "生活保護受給者\n公用"
    assert juminhyo["適用開始日"].date() == RATES_FROM
    assert (juminhyo["種別"], juminhyo["担当課"], juminhyo["公開"]) == ("手数料", "町民課", "公開")
    assert body["kaikan"]["町外・市外の金額"] == 2000
    assert body["kaikan"]["備考"].startswith("'=")  # neutralised: no live formula
    assert body["kaikan"]["集計上の項目"] in ("", None)


def test_export_then_import_changes_nothing(client: Client, town: Municipality) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    # an upcoming rate, a note that looks like a formula and an item without a rate round-trip too
    FeeRate.objects.create(
        item=item(town, "koseki"), valid_from=timezone.localdate() + timedelta(days=5), amount_yen=500
    )
    FeeItem.objects.filter(municipality=town, key="kaikan").update(note="-- 要予約", public=False)
    FeeItem.objects.create(
        municipality=town, key="zeikin", name="町民税", kind="tax", methods=["convenience", "cash"]
    )
    before = snapshot(town)
    rows = export(client, town)
    response = upload(client, town, xlsx(rows))
    assert response.status_code == 302
    assert snapshot(town) == before
    result = tabular.import_file(town, xlsx(rows))
    assert (result.created, result.updated, result.rates_added, result.unchanged) == (0, 0, 0, 6)


def test_an_import_creates_updates_and_adds_a_rate_from_its_date(client: Client, town: Municipality) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    rows = export(client, town)
    start = timezone.localdate() + timedelta(days=30)
    by_key = {row[0]: row for row in rows[1:]}
    by_key["juminhyo"][9] = "３５０"  # 金額, typed full width
    by_key["juminhyo"][13] = start
    by_key["inkan"][1] = "印鑑登録証明書"  # a new name only
    new = [
        "mibun",
        "身分証明書交付手数料",
        "手数料",
        "町民課",
        "",
        "",
        "",
        "現金、電子マネー",
        "1通",
        "1,000",
        "",
        "",
        "",
        "2020-04-01",
        "非公開",
        "",
    ]
    response = upload(client, town, xlsx([rows[0], *by_key.values(), new]))
    assert response.status_code == 302
    juminhyo = item(town, "juminhyo")
    assert [r.amount_yen for r in juminhyo.rates.order_by("valid_from")] == [300, 350]
    upcoming, current = juminhyo.rate_on(start), juminhyo.rate_on(timezone.localdate())
    assert upcoming is not None and current is not None
    assert (upcoming.amount_yen, current.amount_yen) == (350, 300)
    assert item(town, "inkan").name == "印鑑登録証明書"
    mibun = item(town, "mibun")
    assert mibun.methods == ["cash", "emoney"] and not mibun.public
    assert mibun.rates.get().valid_from == date(2020, 4, 1)


def test_every_bad_row_is_listed_with_its_row_and_column_and_nothing_is_saved(
    client: Client, town: Municipality
) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    rows = export(client, town)
    header, body = rows[0], rows[1:]
    yesterday = timezone.localdate() - timedelta(days=1)
    bad = [list(r) for r in body]
    bad[0][2] = "寄付金"  # row 2: 種別
    bad[0][7] = "現金、ビットコイン"  # row 2: 支払方法
    bad[1][3] = "ほかの課"  # row 3: 担当課
    bad[1][8] = "1枚"  # row 3: 単位
    bad[2][9] = -450  # row 4: negative 金額
    bad[2][13] = yesterday  # (a changed rate would also need a date from today: not reached, 金額 is bad)
    bad[3][0] = "Sodai Gomi"  # row 5: キー
    bad[3][10] = "たくさん"  # row 5: 町外・市外の金額
    bad[4][9] = 1200  # row 6: a changed rate dated in the past
    bad[4][13] = yesterday
    duplicate = list(body[0])  # row 7: the key of row 2 again
    before = snapshot(town)
    response = upload(client, town, xlsx([header, *bad, duplicate]))
    assert response.status_code == 400
    errors = [str(e) for e in response.context["errors"]]
    assert errors[0].startswith("2行目「種別」：") and "寄付金" in errors[0]
    assert errors[1].startswith("2行目「支払方法」：") and "ビットコイン" in errors[1]
    assert errors[2].startswith("3行目「担当課」：この団体にない課です（ほかの課）")
    assert errors[3].startswith("3行目「単位」：")
    assert errors[4].startswith("4行目「金額」：") and "負の金額" in errors[4]
    assert errors[5].startswith("5行目「キー」：")
    assert errors[6].startswith("5行目「町外・市外の金額」：")
    assert errors[7].startswith("6行目「適用開始日」：") and "今日" in errors[7]
    assert errors[8] == "7行目「キー」：キーが2行目と重複しています（juminhyo）。"
    assert len(errors) == 9
    page = response.content.decode()
    assert "何も保存していません" in page and "ビットコイン" in page
    assert snapshot(town) == before


def test_a_header_with_unknown_or_missing_columns_is_refused(client: Client, town: Municipality) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    header = [c for c in tabular.COLUMNS if c != "金額"] + ["料金"]
    response = upload(client, town, xlsx([header, ["juminhyo"]]))
    assert response.status_code == 400
    messages = [e.message for e in response.context["errors"]]
    assert any("知らない列があります（料金）" in m for m in messages)
    assert any("足りない列があります（金額）" in m for m in messages)


def test_a_rate_without_an_amount_and_a_changed_rate_without_a_date_are_refused(town: Municipality) -> None:
    row = [
        "juminhyo",
        "住民票",
        "手数料",
        "町民課",
        "",
        "",
        "",
        "現金",
        "1通",
        "",
        "",
        "5",
        "",
        "",
        "公開",
        "",
    ]
    changed = [
        "inkan",
        "印鑑",
        "手数料",
        "町民課",
        "",
        "",
        "",
        "現金",
        "1通",
        "500",
        "",
        "",
        "",
        "",
        "公開",
        "",
    ]
    with pytest.raises(tabular.TabularInvalid) as caught:
        tabular.import_file(town, xlsx([list(tabular.COLUMNS), row, changed]))
    assert [str(e) for e in caught.value.errors] == [
        "2行目「金額」：料金を登録するときは金額を入力してください（単位、1回の上限数量 があります）。",
        "3行目「適用開始日」：料金を変えるときは適用開始日（今日以降）を入力してください。",
    ]


@pytest.mark.parametrize(
    ("name", "raw", "says"),
    [
        ("fees.xlsx", b"", "ファイルが空です"),
        ("fees.xlsx", b"this is not a spreadsheet", "読み取れませんでした"),
        ("fees.xlsx", b"PK\x03\x04" + b"\x00" * 200, "読み取れませんでした"),
        ("fees.csv", b"a,b,c", "Excelのファイル（.xlsx）を選んでください"),
        ("fees.xls", b"\xd0\xcf\x11\xe0", "古い形式（.xls）"),
    ],
)
def test_hostile_uploads_are_refused_in_words(
    client: Client, town: Municipality, name: str, raw: bytes, says: str
) -> None:
    client, _user = signed_in(client, town, Role.ADMIN)
    before = snapshot(town)
    response = upload(client, town, raw, name)
    assert response.status_code == 400
    assert says in response.content.decode()
    assert snapshot(town) == before


def test_a_file_over_the_size_limit_is_refused(
    client: Client, town: Municipality, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the limit is 2 MB; a small limit keeps the test file small
    monkeypatch.setattr(catalogue_forms, "MAX_UPLOAD_BYTES", 1000)
    monkeypatch.setattr(tabular, "MAX_UPLOAD_BYTES", 1000)
    client, _user = signed_in(client, town, Role.ADMIN)
    response = upload(client, town, b"\x00junk" * 400)
    assert response.status_code == 400
    assert "ファイルが大きすぎます（2MBまで）" in response.content.decode()
    with pytest.raises(tabular.TabularInvalid, match="大きすぎます"):
        tabular.import_file(town, b"x" * 1001)


def test_a_sheet_with_only_its_header_or_nothing_is_refused(town: Municipality) -> None:
    with pytest.raises(tabular.TabularInvalid, match="見出しの行だけ"):
        tabular.import_file(town, xlsx([list(tabular.COLUMNS)]))
    with pytest.raises(tabular.TabularInvalid, match="シートが空"):
        tabular.import_file(town, xlsx([]))
