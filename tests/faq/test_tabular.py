"""CSV and Excel export and import of a municipality's entries: round trips, every error with its
row and column, all or nothing, encodings, formula-like cells, limits."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
from auditlog.models import LogEntry

from tests.bookings.helpers import make_resource
from yakusho.core import spreadsheets
from yakusho.core.models import Department, Municipality
from yakusho.faq import tabular
from yakusho.faq.models import Entry
from yakusho.faq.tabular import COLUMNS, TabularInvalid, import_file

pytestmark = pytest.mark.django_db


def csv_bytes(
    rows: list[dict[str, Any]], encoding: str = "utf-8", header: tuple[str, ...] = COLUMNS
) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(c, "") for c in header])
    return buffer.getvalue().encode(encoding)


def row(**values: Any) -> dict[str, Any]:
    base = {"分類": "ごみ", "質問": "質問です", "回答": "回答です"}
    names = {
        "key": "キー",
        "category": "分類",
        "sub": "小分類",
        "question": "質問",
        "phrasings": "ほかの聞き方",
        "answer": "回答",
        "department": "担当課",
        "procedures": "関連する手続",
        "resources": "関連する予約",
        "visibility": "公開範囲",
        "valid_from": "掲載開始日",
        "valid_to": "掲載終了日",
        "reviewed": "最終確認日",
    }
    base.update({names[k]: v for k, v in values.items()})
    return base


def snapshot(town: Municipality) -> dict[str, tuple[Any, ...]]:
    return {
        e.key: (
            e.version,
            e.updated_at,
            e.answer,
            e.phrasings,
            e.department_id,
            tuple(sorted(p.pk for p in e.procedures.all())),
        )
        for e in Entry.objects.for_municipality(town).prefetch_related("procedures")
    }


def errors_of(town: Municipality, name: str, raw: bytes) -> list[str]:
    with pytest.raises(TabularInvalid) as refused:
        import_file(town, name, raw)
    return [str(e) for e in refused.value.errors]


def exported_csv(town: Municipality) -> bytes:
    return tabular.csv_export(town).content


@pytest.fixture
def tricky(town_faq: Municipality) -> Municipality:
    """Texts a spreadsheet would take for formulas, dates and links in every column."""
    e = Entry.objects.get(municipality=town_faq, key="bunbetsu")
    Entry.objects.filter(pk=e.pk).update(
        answer="- 缶は青い袋\n- びんは黄色い袋\n=SUM(A1) のような文字もそのまま",
        phrasings="=缶 びん\n+分別\n@ごみ",
        valid_from=date(2026, 4, 1),
        valid_to=date(2027, 3, 31),
        reviewed_on=date(2026, 5, 1),
    )
    Entry.objects.filter(municipality=town_faq, key="sodai").update(
        question="-粗大ごみはどうやって出しますか？"
    )
    resource = make_resource(town_faq, key="sodai-uketsuke", name="粗大ごみ受付")
    Entry.objects.get(municipality=town_faq, key="sodai").resources.add(resource)
    return town_faq


# --- round trips ------------------------------------------------------------------------------------------


def test_a_csv_round_trip_changes_nothing(tricky: Municipality) -> None:
    before, logs = snapshot(tricky), LogEntry.objects.count()
    raw = exported_csv(tricky)
    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    assert "'- 缶は青い袋" in text and "'-粗大ごみ" in text and "'=缶 びん" in text  # neutralised
    assert "2026-04-01" in text and "sodai-uketsuke" in text and "職員のみ" in text
    result = import_file(tricky, "faq.csv", raw)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 7)
    assert snapshot(tricky) == before and LogEntry.objects.count() == logs
    e = Entry.objects.get(municipality=tricky, key="bunbetsu")
    assert e.answer.startswith("- 缶は青い袋") and e.phrasing_list()[0] == "=缶 びん"


@pytest.mark.excel
def test_an_excel_round_trip_changes_nothing(tricky: Municipality) -> None:
    from openpyxl import load_workbook

    before, logs = snapshot(tricky), LogEntry.objects.count()
    raw = tabular.excel_export(tricky).content
    sheet = load_workbook(io.BytesIO(raw)).active
    assert sheet is not None
    cells = {c.value for r in sheet.iter_rows() for c in r}
    assert "'-粗大ごみはどうやって出しますか？" in cells  # text, never a formula
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@")) for v in cells)
    result = import_file(tricky, "faq.xlsx", raw)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 7)
    assert snapshot(tricky) == before and LogEntry.objects.count() == logs


@pytest.mark.excel
def test_an_edited_excel_file_updates_creates_and_leaves_the_rest(town_faq: Municipality) -> None:
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(tabular.excel_export(town_faq).content))
    sheet = workbook.active
    assert sheet is not None
    keys = [c.value for c in sheet["A"]]
    koseki = keys.index("koseki") + 1
    sheet.cell(koseki, 6).value = "戸籍は本籍地の役場か、広域交付でお近くの役場で取れます。"
    sheet.cell(koseki, 13).value = date(2026, 6, 1)  # a date cell, as Excel stores one
    sheet.delete_rows(keys.index("sodai") + 1)  # not in the file: left alone
    sheet.append(
        ["", "ごみ", "分け方", "電池はどう捨てますか？", "乾電池\n電池 捨て方", "回収箱へ", "環境課"]
    )
    out = io.BytesIO()
    workbook.save(out)
    result = import_file(town_faq, "faq.xlsx", out.getvalue())
    assert (result.created, result.updated, result.unchanged) == (1, 1, 5)
    koseki_entry = Entry.objects.get(municipality=town_faq, key="koseki")
    assert koseki_entry.version == 2 and koseki_entry.reviewed_on == date(2026, 6, 1)
    new = Entry.objects.get(municipality=town_faq, key="faq-1")
    assert new.phrasing_list() == ["乾電池", "電池 捨て方"] and new.department is not None
    assert new.visibility == "public" and new.version == 1
    assert Entry.objects.filter(municipality=town_faq, key="sodai").exists()


def test_only_a_text_change_raises_the_version(town_faq: Municipality) -> None:
    kankyo = Department.objects.get(municipality=town_faq, name="環境課")
    rows = list(csv.DictReader(io.StringIO(exported_csv(town_faq).decode("utf-8-sig"))))
    by_key = {r["キー"]: r for r in rows}
    by_key["koseki"]["担当課"] = "環境課"
    by_key["koseki"]["公開範囲"] = "職員のみ"
    by_key["inkan"]["ほかの聞き方"] += "\nいんかんしょうめい"
    result = import_file(town_faq, "faq.csv", csv_bytes(rows))
    assert (result.created, result.updated, result.unchanged) == (0, 2, 5)
    koseki = Entry.objects.get(municipality=town_faq, key="koseki")
    assert koseki.version == 1 and koseki.department == kankyo and koseki.visibility == "staff"
    assert Entry.objects.get(municipality=town_faq, key="inkan").version == 2


def test_shared_entries_and_local_answers_are_not_exported(consortium: Any) -> None:
    town = consortium.members.get()
    text = exported_csv(town).decode("utf-8-sig")
    assert "マイナンバーカードの更新はいつですか？" not in text
    assert len(list(csv.reader(io.StringIO(text)))) == 8


# --- encodings and dates as spreadsheets write them ------------------------------------------------------


def test_shift_jis_and_excel_style_dates_are_read(town_faq: Municipality) -> None:
    rows = [
        row(key="denchi", sub="分け方", question="電池の捨て方", valid_from="2026/4/1", valid_to="2027/3/31")
    ]
    result = import_file(town_faq, "faq.csv", csv_bytes(rows, encoding="cp932"))
    assert result.created == 1
    e = Entry.objects.get(municipality=town_faq, key="denchi")
    assert (
        e.question == "電池の捨て方" and e.valid_from == date(2026, 4, 1) and e.valid_to == date(2027, 3, 31)
    )


def test_utf8_with_and_without_a_bom_and_full_width_keys(town_faq: Municipality) -> None:
    plain = csv_bytes([row(key="ｄｅｎｃｈｉ", department="環境課", procedures="juminhyo-koufu")])
    assert import_file(town_faq, "faq.csv", plain).created == 1
    e = Entry.objects.get(municipality=town_faq, key="denchi")
    assert [p.key for p in e.procedures.all()] == ["juminhyo-koufu"]
    bom = "\ufeff".encode() + csv_bytes([row(key="denchi", answer="新しい回答")])
    assert import_file(town_faq, "faq.csv", bom).updated == 1


def test_a_multi_line_cell_does_not_shift_the_row_numbers(town_faq: Municipality) -> None:
    rows = [row(key="a", phrasings="一\n二\n三", answer="1行目\n2行目"), row(key="b", department="ない課")]
    assert errors_of(town_faq, "faq.csv", csv_bytes(rows)) == [
        "3行目「担当課」：この団体にない課です（ない課）。"
    ]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe" + "キー".encode("utf-16-le"), "UTF-16"),
        (b"\x81\x00\xff\xfe\x80", "文字コードを読み取れませんでした"),
        ("キー,分類\n".encode(), "見出しに足りない列があります（小分類、質問"),
        (",".join(COLUMNS).encode(), "読み込む行がありません"),
        (b"", "ファイルが空です"),
    ],
)
def test_unreadable_files_say_why(town_faq: Municipality, raw: bytes, message: str) -> None:
    assert any(message in e for e in errors_of(town_faq, "faq.csv", raw))


def test_unknown_and_doubled_columns_are_named(town_faq: Municipality) -> None:
    header = (*COLUMNS, "備考", "キー")
    errors = errors_of(town_faq, "faq.csv", csv_bytes([row()], header=header))
    assert errors == [
        "1行目：見出しに知らない列があります（備考）。使える列：" + "、".join(COLUMNS),
        "1行目：同じ見出しの列が二つあります（キー）。",
    ]


@pytest.mark.excel
def test_a_broken_excel_file_is_refused(town_faq: Municipality) -> None:
    assert errors_of(town_faq, "faq.xlsx", b"PK\x03\x04broken") == [
        "Excelファイル（.xlsx）として読み取れませんでした。"
    ]


# --- every error, nothing saved ---------------------------------------------------------------------------


def test_every_error_of_every_row_is_listed_and_nothing_is_saved(town_faq: Municipality) -> None:
    before = snapshot(town_faq)
    rows = [
        row(key="koseki", answer="正しい行ですが、ほかの行に誤りがあります"),
        row(key="Bad Key", category="税金"),
        row(
            key="x1",
            sub="住民票",
            department="住民課",
            procedures="no-such, juminhyo-koufu",
            resources="hall",
        ),
        row(key="x2", question="", answer="", visibility="秘密"),
        row(key="x3", valid_from="2026-04-01", valid_to="2026-03-31", reviewed="きのう"),
        row(key="x3", question="長" * 201, phrasings="\n".join(["ok"] * 21)),
        row(key="x4", valid_from="2026-13-01"),
    ]
    errors = errors_of(town_faq, "faq.csv", csv_bytes(rows))
    assert errors == [
        "3行目「キー」：キーは半角の英小文字・数字・ハイフンで、60文字以内にしてください（bad key）。",
        "3行目「分類」：この団体にない分類です（税金）。",
        "4行目「小分類」：分類「ごみ」にない小分類です（住民票）。",
        "4行目「担当課」：この団体にない課です（住民課）。",
        "4行目「関連する手続」：この団体にない手続です（no-such）。",
        "4行目「関連する予約」：この団体にない予約の対象です（hall）。",
        "5行目「質問」：質問を入力してください。",
        "5行目「回答」：回答を入力してください。",
        "5行目「公開範囲」：「公開」か「職員のみ」と書いてください（秘密）。",
        "6行目「掲載終了日」：掲載終了日が掲載開始日より前です。",
        "6行目「最終確認日」：日付は 2026-04-01 のように、年-月-日で書いてください（きのう）。",
        "7行目「キー」：キーが6行目と重複しています（x3）。",
        "7行目「質問」：200文字以内にしてください（201文字あります）。",
        "7行目「ほかの聞き方」：ほかの聞き方は20行までにしてください（21行あります）。",
        "8行目「掲載開始日」：日付は 2026-04-01 のように、年-月-日で書いてください（2026-13-01）。",
    ]
    assert snapshot(town_faq) == before
    assert not Entry.objects.filter(municipality=town_faq, key__in=["x1", "x2", "x3", "x4"]).exists()


def test_too_many_rows_and_too_many_bytes(town_faq: Municipality, monkeypatch: Any) -> None:
    many = csv_bytes([row(key=f"k{i}") for i in range(2_001)])
    assert errors_of(town_faq, "faq.csv", many) == [
        "行が多すぎます（2,000行まで）。ファイルを分けて読み込んでください。"
    ]
    # rows are counted, blank lines are not (2,000 rows take seconds to import: the edge is tried small)
    monkeypatch.setattr(tabular, "MAX_UPLOAD_ROWS", 3)
    at_limit = csv_bytes([row(key=f"k{i}") for i in range(3)]) + b",,,,,,,,,,,,\n\n"
    assert import_file(town_faq, "faq.csv", at_limit).created == 3
    over = errors_of(town_faq, "faq.csv", csv_bytes([row(key=f"k{i}") for i in range(4)]))
    assert over == ["行が多すぎます（3行まで）。ファイルを分けて読み込んでください。"]
    big = csv_bytes([row(answer="あ" * 4_000) for _ in range(200)])
    assert len(big) > 2_000_000
    assert errors_of(town_faq, "faq.csv", big) == [
        "ファイルが大きすぎます（2MBまで）。ファイルを分けて読み込んでください。"
    ]


def test_an_unclosed_quote_names_its_row(town_faq: Municipality) -> None:
    header = ",".join(COLUMNS)
    raw = f'{header}\nk1,ごみ,,質問,,回答,,,,,,,\nk2,ごみ,,"閉じない,{"x" * 200_000}\n'.encode()
    errors = errors_of(town_faq, "faq.csv", raw)
    assert len(errors) == 1 and errors[0].startswith("3行目：この行を読み取れませんでした")


@pytest.mark.excel
def test_an_excel_file_that_unpacks_too_large_is_refused(town_faq: Municipality, monkeypatch: Any) -> None:
    raw = tabular.excel_export(town_faq).content
    monkeypatch.setattr(spreadsheets, "MAX_UNPACKED_BYTES", 1_000)
    assert errors_of(town_faq, "faq.xlsx", raw) == [
        "ファイルの中身が大きすぎます。行を分けて、いくつかのファイルにしてください。"
    ]
