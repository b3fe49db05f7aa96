"""Plan files: validation with file/line/field errors, all-or-nothing import, editions, round trip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command

from yakusho.plans.demo.synthetic import generate
from yakusho.plans.models import Kpi, KpiTarget, Node, Plan, PlanEdition, ScheduleEntry
from yakusho.plans.planfile.export import export_edition
from yakusho.plans.planfile.files import PlanFileInvalid, canonical, read, validate
from yakusho.plans.planfile.importer import import_file
from yakusho.plans.planfile.schema import PlanFile

PLANS = sorted((Path(__file__).resolve().parents[2] / "data" / "plans").glob("*.yaml"))

pytestmark = pytest.mark.django_db


def write(tmp_path: Path, data: dict, name: str = "test-2024.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def small(**overrides: object) -> dict:
    data = generate("063240", nodes=6, kpis=3, years=3, first_year=2024, levels=2, seed=3, key="test")
    data.update(overrides)
    return data


@pytest.mark.parametrize("path", PLANS, ids=[p.name for p in PLANS])
def test_every_source_plan_round_trips(demo, path: Path) -> None:
    result = import_file(path)
    assert result.created
    exported = export_edition(result.edition)
    assert canonical(PlanFile.model_validate(exported)) == canonical(read(path)[0])


def test_import_twice_changes_nothing(demo) -> None:
    path = next(p for p in PLANS if p.name.startswith("oe-"))
    import_file(path)
    counts = (
        PlanEdition.objects.count(),
        Node.objects.count(),
        Kpi.objects.count(),
        KpiTarget.objects.count(),
    )
    again = import_file(path)
    assert not again.created
    assert (
        PlanEdition.objects.count(),
        Node.objects.count(),
        Kpi.objects.count(),
        KpiTarget.objects.count(),
    ) == counts


def test_a_new_edition_keeps_the_old_one(demo) -> None:
    old, new = (p for p in PLANS if p.name.startswith("murakami-"))
    import_file(old)
    import_file(new)
    plan = Plan.objects.get(key="murakami-dx")
    assert sorted(plan.editions.values_list("number", flat=True)) == ["2.0", "2.3"]
    assert plan.current_edition is not None and plan.current_edition.number == "2.3"
    keys_old = set(Node.objects.filter(edition__number="2.0").values_list("key", flat=True))
    keys_new = set(Node.objects.filter(edition__number="2.3").values_list("key", flat=True))
    assert len(keys_old & keys_new) >= 30  # matched by key across editions


def test_changed_file_for_an_existing_edition_is_refused(demo, tmp_path: Path) -> None:
    import_file(write(tmp_path, small()))
    changed = small(title="別の名称")
    with pytest.raises(PlanFileInvalid) as info:
        import_file(write(tmp_path, changed))
    assert "版を改めてください" in str(info.value) and "edition.number" in str(info.value)
    assert PlanEdition.objects.get().title == "合成計画"


def test_a_kpi_can_name_a_registered_metric(demo, tmp_path: Path) -> None:
    data = small()
    data["kpis"][0]["metric"] = "core.active_staff"
    result = import_file(write(tmp_path, data))
    assert Kpi.objects.get(edition=result.edition, key="k0").metric == "core.active_staff"


def test_synthetic_plan_imports(demo, tmp_path: Path) -> None:
    data = generate("063240", nodes=120, kpis=300, years=10, first_year=2026, seed=5)
    result = import_file(write(tmp_path, data))
    assert result.counts["nodes"] == 120 and result.counts["kpis"] == 300
    assert KpiTarget.objects.filter(kpi__edition=result.edition).count() == 3000
    assert Node.objects.filter(edition=result.edition, depth=3).count() == len(data["schedule"])


def test_json_plan_files_are_plan_files_too(demo, tmp_path: Path) -> None:
    path = tmp_path / "test-2024.json"
    path.write_text(json.dumps(small(), ensure_ascii=False), "utf-8")
    assert import_file(path).created


def errors_of(path: Path) -> list[str]:
    with pytest.raises(PlanFileInvalid) as info:
        import_file(path)
    return [str(e) for e in info.value.errors]


def nothing_imported() -> bool:
    return not (Plan.objects.exists() or PlanEdition.objects.exists() or Node.objects.exists())


def test_invalid_yaml(demo, tmp_path: Path) -> None:
    path = tmp_path / "broken-2024.yaml"
    path.write_text("format: yakusho-plan/1\nnodes: [\n  - key: a\n", "utf-8")
    [message] = errors_of(path)
    assert (
        message.startswith("broken-2024.yaml:")
        and "YAMLとして読み取れません" in message
        and "not valid YAML" in message
    )
    assert nothing_imported()


def test_unknown_key_names_its_line(demo, tmp_path: Path) -> None:
    data = small()
    data["nodes"][1]["colour"] = "red"
    path = write(tmp_path, data)
    [message] = errors_of(path)
    line = next(i for i, text in enumerate(path.read_text("utf-8").splitlines(), 1) if "colour" in text)
    assert message == f"test-2024.yaml:{line} nodes[1].colour: 不明な項目です (unknown key)"
    assert nothing_imported()


BAD_INPUTS = [
    (
        "missing_parent",
        "nodes[3].parent: 親 nowhere がこれより前にありません (parent not found before this node)",
    ),
    ("duplicate_key", "nodes[2].key: キー n1-0 が重複しています (duplicate key)"),
    ("duplicate_code", "nodes[2].code: 番号 2-1 が同じ親の下で重複しています (duplicate code)"),
    ("target_outside_period", "kpis[0].targets[1].fiscal_year: 計画期間外です (outside the plan period)"),
    ("schedule_outside_period", "schedule[0].last_year: 計画期間外です (outside the plan period)"),
    (
        "target_without_unit",
        "kpis[0].targets[0].unit: 数値目標に単位がありません (numeric target without unit)",
    ),
    ("text_for_number", "kpis[0].targets[0].value: 数値で書いてください (must be a number)"),
    ("unknown_department", "nodes[0].departments[0].name: 大江町に「宇宙課」という課はありません"),
    ("unknown_municipality", "municipality: 団体コード 999991 の団体がありません (no such municipality)"),
    ("unknown_national_item", "nodes[0].national_items[0]: 国の項目 jdx9.moon は"),
    ("missing_title", "title: 必須の項目がありません (required)"),
    ("bad_direction", "kpis[0].direction: 「up」は使えません"),
    (
        "unknown_metric",
        "kpis[0].metric: 指標レジストリに core.nothing がありません (no such metric in the registry)",
    ),
]


@pytest.mark.parametrize(("case", "expected"), BAD_INPUTS, ids=[case for case, _ in BAD_INPUTS])
def test_bad_input_is_refused_with_file_line_and_field(
    demo, tmp_path: Path, case: str, expected: str
) -> None:
    data = small()
    kpi = data["kpis"][0]
    if case == "missing_parent":
        data["nodes"][3]["parent"] = "nowhere"
    elif case == "duplicate_key":
        data["nodes"][2]["key"] = data["nodes"][0]["key"]
    elif case == "duplicate_code":
        data["nodes"][2]["code"] = data["nodes"][1]["code"]
    elif case == "target_outside_period":
        kpi["targets"][1]["fiscal_year"] = 2031
    elif case == "schedule_outside_period":
        data["schedule"][0]["last_year"] = 2030
    elif case == "target_without_unit":
        kpi["unit"] = ""
    elif case == "text_for_number":
        kpi["targets"][0]["value"] = "たくさん"
    elif case == "unknown_department":
        data["nodes"][0]["departments"] = [{"name": "宇宙課"}]
    elif case == "unknown_municipality":
        data["municipality"] = "999991"
    elif case == "unknown_national_item":
        data["nodes"][0]["national_items"] = ["jdx9.moon"]
    elif case == "missing_title":
        del data["title"]
    elif case == "bad_direction":
        kpi["direction"] = "up"
    elif case == "unknown_metric":
        kpi["metric"] = "core.nothing"
    messages = errors_of(write(tmp_path, data))
    assert any(expected in m for m in messages), messages
    assert all(m.startswith("test-2024.yaml:") for m in messages), messages
    assert nothing_imported()


def test_errors_stop_the_whole_file_even_late_in_it(demo, tmp_path: Path) -> None:
    data = small()
    data["kpis"][-1]["reprint_of"] = "no-such-kpi"
    errors_of(write(tmp_path, data))
    assert nothing_imported() and not ScheduleEntry.objects.exists()


def test_commands(demo, tmp_path: Path, capsys) -> None:
    good = write(tmp_path, small())
    call_command("validate_plan", str(good))
    assert "ok (6 nodes" in capsys.readouterr().out
    bad_data = small()
    bad_data["nodes"][0]["departments"] = [{"name": "宇宙課"}]
    bad = write(tmp_path, bad_data, "bad-2024.yaml")
    with pytest.raises(CommandError):
        call_command("validate_plan", str(bad))
    assert "bad-2024.yaml:" in capsys.readouterr().err
    call_command("import_plan", str(good))
    call_command("export_plan", "oe/test", format="json")
    exported = json.loads(capsys.readouterr().out.split("\n", 1)[1])
    assert exported["key"] == "test" and len(exported["nodes"]) == 6
    with pytest.raises(CommandError):
        call_command("export_plan", "oe/none")


def test_validate_accepts_the_five_plans(demo) -> None:
    for path in PLANS:
        validate(path)


def test_demo_imports_the_plans(demo_with_plans) -> None:
    assert Plan.objects.count() == 5
    assert PlanEdition.objects.count() == len(PLANS) == 6
    assert set(Plan.objects.values_list("municipality__slug", flat=True)) == {
        "katagami",
        "itako",
        "murakami",
        "oe",
        "misato",
    }
