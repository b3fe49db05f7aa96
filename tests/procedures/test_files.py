"""Procedure files: structure and database checks with file:line errors, all-or-nothing, idempotent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.procedures.helpers import minimal_form
from yakusho.procedures.catalogue.files import ProcedureFileInvalid, import_text
from yakusho.procedures.models import Procedure, ProcedureChannel, ProcedureLifeEvent

GOOD = """\
municipality: here
priority_version: "2024"
procedures:
  - key: risai
    name: 罹災証明書の発行申請
    department: 町民課
    life_events: [被災, housing]
    priority: hisai-01
    processing_days: 5
    channels:
      - {kind: external, service: マイナポータル, url: "https://myna.go.jp/"}
      - {kind: counter}
  - key: sodai
    name: 粗大ごみ収集の申込
    department: 町民課
    channels:
      - {kind: yakusho, status: planned, target_fiscal_year: 2027}
"""


@pytest.fixture
def town(db, tmp_path):
    town = MunicipalityFactory(slug="here")
    DepartmentFactory(municipality=town, name="町民課")
    return town


def test_import_creates_procedures_channels_and_events(town, tmp_path: Path) -> None:
    result = import_text(GOOD, "here.yaml", forms_directory=tmp_path)
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    risai = Procedure.objects.get(municipality=town, key="risai")
    assert risai.priority is not None and risai.priority.title == "罹災証明書の発行申請"
    assert sorted(e.event for e in risai.life_event_links.all()) == ["disaster", "housing"]
    assert [c.kind for c in risai.channels.order_by("order")] == ["external", "counter"]
    planned = ProcedureChannel.objects.get(procedure__key="sodai")
    assert (planned.status, planned.target_fiscal_year) == ("planned", 2027)


def test_importing_twice_changes_nothing(town, tmp_path: Path) -> None:
    import_text(GOOD, "here.yaml", forms_directory=tmp_path)
    entries = LogEntry.objects.count()
    result = import_text(GOOD, "here.yaml", forms_directory=tmp_path)
    assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
    assert LogEntry.objects.count() == entries
    changed = import_text(
        GOOD.replace("processing_days: 5", "processing_days: 7"), "here.yaml", forms_directory=tmp_path
    )
    assert (changed.updated, changed.unchanged) == (1, 1)
    assert Procedure.objects.get(key="risai").processing_days == 7


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "department: 町民課\n    life",
            "department: 住民課\n    life",
            "here.yaml:6 procedures[0].department: この団体にない課です（住民課）",
        ),
        (
            "[被災, housing]",
            "[被災, 宇宙]",
            "here.yaml:7 procedures[0].life_events: ライフイベントにない値です（宇宙）",
        ),
        (
            "{kind: counter}",
            "{kind: fax}",
            "here.yaml:12 procedures[0].channels[1].kind: 「fax」は使えません",
        ),
        (
            '{kind: external, service: マイナポータル, url: "https://myna.go.jp/"}',
            "{kind: external}",
            "here.yaml:11 procedures[0].channels[0]: 外部サービス（external）には service",
        ),
        (
            "priority: hisai-01",
            "priority: hisai-99",
            "here.yaml:8 procedures[0].priority: 国の優先手続の一覧にないキーです（hisai-99）",
        ),
        ("key: sodai", "key: risai", "here.yaml:13 procedures[1].key: キーが重複しています"),
        (
            "processing_days: 5",
            "processing_days: 五日",
            "here.yaml:9 procedures[0].processing_days: 整数で書いてください",
        ),
        (
            "municipality: here",
            "municipality: nowhere",
            "here.yaml:1 municipality: この団体はありません（nowhere）",
        ),
        (
            "status: planned, target",
            "status: available, target",
            "here.yaml:17 procedures[1].channels[0]: target_fiscal_year は status: planned",
        ),
        (
            "  - key: sodai\n",
            "  - key: sodai\n    colour: red\n",
            "here.yaml:14 procedures[1].colour: 不明な項目です",
        ),
    ],
)
def test_errors_name_file_line_and_field(town, tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in GOOD
    with pytest.raises(ProcedureFileInvalid) as caught:
        import_text(GOOD.replace(old, new), "here.yaml", forms_directory=tmp_path)
    assert any(str(e).startswith(expected) for e in caught.value.errors), [
        str(e) for e in caught.value.errors
    ]
    assert not Procedure.objects.exists()


def test_yaml_syntax_error_has_a_line(town, tmp_path: Path) -> None:
    with pytest.raises(ProcedureFileInvalid) as caught:
        import_text("municipality: here\nprocedures: [\n  - {", "bad.yaml", forms_directory=tmp_path)
    assert str(caught.value.errors[0]).startswith("bad.yaml:")
    assert "YAMLとして読み取れません" in str(caught.value)


def test_an_online_channel_needs_its_form_file_and_nothing_is_saved(town, tmp_path: Path) -> None:
    text = GOOD.replace("status: planned, target_fiscal_year: 2027", "status: available")
    with pytest.raises(ProcedureFileInvalid) as caught:
        import_text(text, "here.yaml", forms_directory=tmp_path)
    assert "フォームファイルがありません（here--sodai.json）" in str(caught.value)
    assert not Procedure.objects.exists()
    assert not ProcedureLifeEvent.objects.exists()


def test_command_reports_errors_and_fails(town, tmp_path: Path, capsys) -> None:
    path = tmp_path / "here.yaml"
    path.write_text(GOOD.replace("町民課\n    life", "住民課\n    life"), "utf-8")
    with pytest.raises(CommandError):
        call_command("import_procedures", str(path), "--forms", str(tmp_path))
    assert "この団体にない課です" in capsys.readouterr().err
    path.write_text(GOOD, "utf-8")
    call_command("import_procedures", str(path), "--forms", str(tmp_path))
    assert "2 created" in capsys.readouterr().out


def test_form_files_without_an_online_channel_are_reported(town, tmp_path: Path) -> None:
    (tmp_path / "here--sodai.json").write_text("{}", "utf-8")
    result = import_text(GOOD, "here.yaml", forms_directory=tmp_path)
    assert result.warnings and "here--sodai.json" in result.warnings[0]


COUNTER_ONLY = """\
municipality: here
procedures:
  - key: juminhyo
    name: 住民票の写し等の交付申請
    department: 町民課
    issues_certificate: true
    paper_at_counter: true
    channels:
      - {kind: counter}
"""
COUNTER_FORM = {
    "key": "juminhyo",
    "version": 1,
    "title": "住民票の写し等の交付申請書",
    "privacy_notice": "個人情報は交付のためにだけ使います。",
    "pages": [
        {
            "key": "main",
            "title": "請求",
            "fields": [
                {"key": "copies", "type": "number", "label": "部数", "fact": "certificate.copies", "min": 1}
            ],
        }
    ],
}


def test_counter_flags_are_imported_and_a_counter_form_is_attached(town, tmp_path: Path) -> None:
    import json

    from yakusho.procedures.models import FormDefinition

    (tmp_path / "here--juminhyo.json").write_text(json.dumps(COUNTER_FORM, ensure_ascii=False), "utf-8")
    result = import_text(COUNTER_ONLY, "here.yaml", forms_directory=tmp_path)
    assert (result.created, result.forms_added, result.warnings) == (1, 1, [])
    procedure = Procedure.objects.get(municipality=town, key="juminhyo")
    assert procedure.issues_certificate and procedure.paper_at_counter
    assert FormDefinition.objects.get(procedure=procedure).version == 1
    assert not procedure.channels.filter(kind="yakusho").exists()  # not offered online
    again = import_text(COUNTER_ONLY, "here.yaml", forms_directory=tmp_path)
    assert (again.unchanged, again.forms_added) == (1, 0)
    off = import_text(
        COUNTER_ONLY.replace("    paper_at_counter: true\n", ""), "here.yaml", forms_directory=tmp_path
    )
    assert off.updated == 1
    procedure.refresh_from_db()
    assert procedure.issues_certificate and not procedure.paper_at_counter


def test_a_counter_procedure_needs_no_form_file(town, tmp_path: Path) -> None:
    result = import_text(COUNTER_ONLY, "here.yaml", forms_directory=tmp_path)
    assert (result.created, result.forms_added) == (1, 0)


def test_paper_at_counter_needs_a_counter_channel(town, tmp_path: Path) -> None:
    text = COUNTER_ONLY.replace("{kind: counter}", "{kind: counter, status: planned}")
    with pytest.raises(ProcedureFileInvalid) as caught:
        import_text(text, "here.yaml", forms_directory=tmp_path)
    assert [str(e) for e in caught.value.errors] == [
        "here.yaml:7 procedures[0].paper_at_counter: "
        "paper_at_counter は窓口（counter）で受け付ける手続にだけ書けます "
        "(paper_at_counter needs an available counter channel)"
    ]
    assert not Procedure.objects.exists()


def test_a_faulty_form_file_is_named_with_its_own_line_and_nothing_is_saved(town, tmp_path: Path) -> None:
    text = GOOD.replace("status: planned, target_fiscal_year: 2027", "status: available")
    form = json.dumps(minimal_form("sodai"), ensure_ascii=False, indent=2).replace(
        '"version": 1', '"version": "one"'
    )
    (tmp_path / "here--sodai.json").write_text(form, "utf-8")
    with pytest.raises(ProcedureFileInvalid) as caught:
        import_text(text, "here.yaml", forms_directory=tmp_path)
    line = next(n for n, row in enumerate(form.splitlines(), 1) if '"version"' in row)
    assert str(caught.value.errors[0]) == f"here--sodai.json:{line} version: 整数で書いてください"
    (tmp_path / "here--sodai.json").write_text('{\n  "key": \n}', "utf-8")
    with pytest.raises(ProcedureFileInvalid) as caught:
        import_text(text, "here.yaml", forms_directory=tmp_path)
    assert str(caught.value.errors[0]).startswith(
        "here--sodai.json:3: JSONとして読み取れません（3行目 1文字目）"
    )
    assert not Procedure.objects.exists()
