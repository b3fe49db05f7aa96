"""Plan files: validation with file/line/field errors, all-or-nothing import, editions, round trip."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.urls import reverse

from yakusho.plans.demo.synthetic import generate
from yakusho.plans.models import (
    DatePrecision,
    Kpi,
    KpiTarget,
    Node,
    NodeDepartment,
    Plan,
    PlanEdition,
    ScheduleEntry,
)
from yakusho.plans.planfile.export import dump_yaml, export_edition
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
    ("schedule_outside_period", "schedule[0].first_year: 計画期間外です (outside the plan period)"),
    ("unknown_level", "nodes[1].level: 「第9階層」は level_labels（第1階層・第2階層）にありません"),
    ("level_not_below_parent", "nodes[1].level: 親（第1階層）より下の区分にしてください"),
    (
        "bad_month",
        "edition.date: 日付（YYYY-MM-DD）か、月までの日付（YYYY-MM）で書いてください"
        " (must be a date (YYYY-MM-DD) or a month (YYYY-MM))",
    ),
    ("month_out_of_range", "adopted_on: 日付（YYYY-MM-DD）か、月までの日付（YYYY-MM）で書いてください"),
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
        data["schedule"][0]["first_year"] = 2023  # a bar may run on past the period, not start before it
    elif case == "unknown_level":
        data["nodes"][1]["level"] = "第9階層"
    elif case == "level_not_below_parent":
        data["nodes"][1]["level"] = "第1階層"  # its parent is a 第1階層
    elif case == "bad_month":
        data["edition"]["date"] = "2024-13"
    elif case == "month_out_of_range":
        data["adopted_on"] = "1800-01"  # before 1873: no 和暦 to show it with
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


# --- what a plan is, as it prints it (issue 16) -------------------------------------------------


def shaped(**overrides: object) -> dict:
    """A small plan of 大江町 shaped like 村上市's: a 取組事項 printed straight under a 重点項目,
    two 課 named without a lead, a bar running past the period and two schedules that disagree."""
    data: dict = {
        "format": "yakusho-plan/1",
        "municipality": "063240",
        "key": "shape",
        "title": "形の計画",
        "kind": "計画",
        "first_year": 2026,
        "last_year": 2029,
        "edition": {"number": "1.0"},
        "level_labels": ["重点項目", "区分", "取組事項"],
        "nodes": [
            {"key": "g1", "code": "1", "title": "土台づくり"},
            {"key": "g1-a", "parent": "g1", "code": "①", "title": "機運醸成", "level": "取組事項"},
            {"key": "g2", "code": "2", "title": "自治体DX"},
            {"key": "g2-f1", "parent": "g2", "code": "(1)", "title": "便利な行政サービス"},
            {
                "key": "g2-f1-a",
                "parent": "g2-f1",
                "code": "①",
                "title": "行政手続のオンライン化",
                "departments": [{"name": "総務課"}, {"name": "健康福祉課"}],
            },
        ],
        "schedule": [
            {"node": "g1-a", "first_year": 2026, "last_year": 2029, "activity": "研修の実施"},
            {
                "node": "g2-f1-a",
                "first_year": 2028,
                "last_year": 2030,
                "activity": "端末の管理・運用（～R12）",
            },
        ],
    }
    data.update(overrides)
    return data


def round_trips(edition: PlanEdition, data: dict) -> bool:
    return canonical(PlanFile.model_validate(export_edition(edition))) == canonical(
        PlanFile.model_validate(data)
    )


def test_a_node_says_what_level_it_is(demo, tmp_path: Path, client) -> None:
    data = shaped()
    edition = import_file(write(tmp_path, data, "shape.yaml")).edition
    levels = {n.key: (n.depth, n.level) for n in Node.objects.filter(edition=edition)}
    assert levels == {"g1": (1, 1), "g1-a": (2, 3), "g2": (1, 1), "g2-f1": (2, 2), "g2-f1-a": (3, 3)}
    exported = export_edition(edition)
    assert [n.get("level") for n in exported["nodes"]] == [None, "取組事項", None, None, None]
    assert round_trips(edition, data)
    overview = client.get(reverse("plans:overview", args=["oe", "shape"])).content.decode()
    assert "重点項目 2・区分 1・取組事項 2" in overview  # by what the nodes are, not by depth (2・2・1)
    page = client.get(reverse("plans:node", args=["oe", "shape", "g1-a"])).content.decode()
    assert '<p class="level-label">取組事項 ①</p>' in page and "重点項目 1" in page


def test_a_level_named_at_its_depth_means_the_same_as_none(demo) -> None:
    plain, named = shaped(), shaped()
    named["nodes"][3]["level"] = "区分"  # g2-f1 sits at depth 2 anyway
    assert canonical(PlanFile.model_validate(plain)) == canonical(PlanFile.model_validate(named))


def test_a_child_defaulting_to_its_depth_under_a_deeper_parent_is_refused(demo, tmp_path: Path) -> None:
    data = shaped()
    data["nodes"].append({"key": "g1-a-x", "parent": "g1-a", "title": "その下"})  # depth 3 = 取組事項
    messages = errors_of(write(tmp_path, data, "shape.yaml"))
    assert any("nodes[5].level: 親（取組事項）より下の区分にしてください" in m for m in messages), messages
    assert nothing_imported()


def test_departments_named_without_a_lead_are_joint(demo, tmp_path: Path, client) -> None:
    data = shaped()
    edition = import_file(write(tmp_path, data, "shape.yaml")).edition
    links = NodeDepartment.objects.filter(node__edition=edition, node__key="g2-f1-a").order_by("order")
    assert [(nd.department.name, nd.lead) for nd in links] == [("総務課", False), ("健康福祉課", False)]
    exported = {n["key"]: n for n in export_edition(edition)["nodes"]}
    assert exported["g2-f1-a"]["departments"] == [{"name": "総務課"}, {"name": "健康福祉課"}]
    page = client.get(reverse("plans:node", args=["oe", "shape", "g2-f1-a"])).content.decode()
    assert "総務課" in page and "健康福祉課" in page and "主担当" not in page
    # where a file does mark a lead, it is kept
    marked = shaped(key="shape-lead")
    marked["nodes"][4]["departments"] = [{"name": "総務課"}, {"name": "健康福祉課", "lead": True}]
    edition = import_file(write(tmp_path, marked, "shape-lead.yaml")).edition
    leads = NodeDepartment.objects.filter(node__edition=edition, lead=True)
    assert [nd.department.name for nd in leads] == ["健康福祉課"]


def test_month_dates_stay_months(demo, tmp_path: Path, client) -> None:
    data = shaped(
        adopted_on="2023-12",
        edition={"number": "1.0", "date": "2023-12", "note": "令和5年12月"},
        editions=[{"number": "1.0", "date": "2023-12"}],
        kpis=[
            {
                "key": "rate",
                "node": "g2-f1-a",
                "name": "実施率",
                "unit": "%",
                "direction": "increase",
                "baseline": {"fiscal_year": 2023, "date": "2023-12", "value": 29, "text": "29%"},
                "targets": [{"fiscal_year": 2029, "value": 50, "text": "50%", "final": True}],
            }
        ],
    )
    edition = import_file(write(tmp_path, data, "shape.yaml")).edition
    assert (edition.date, edition.date_precision) == (datetime.date(2023, 12, 1), DatePrecision.MONTH)
    assert (edition.adopted_on, edition.adopted_precision) == (
        datetime.date(2023, 12, 1),
        DatePrecision.MONTH,
    )
    kpi = Kpi.objects.get(edition=edition)
    assert (kpi.baseline_date, kpi.baseline_date_precision) == (
        datetime.date(2023, 12, 1),
        DatePrecision.MONTH,
    )
    exported = export_edition(edition)
    assert exported["edition"]["date"] == exported["adopted_on"] == "2023-12"
    assert exported["kpis"][0]["baseline"]["date"] == "2023-12"
    assert exported["editions"] == [{"number": "1.0", "date": "2023-12"}]
    assert round_trips(edition, data)
    assert "date: 2023-12\n" in dump_yaml(exported)
    for name in ("overview", "editions"):
        page = client.get(reverse(f"plans:{name}", args=["oe", "shape"])).content.decode()
        assert "令和5年12月" in page and "令和5年12月1日" not in page, name


def test_a_day_is_still_a_day(demo, tmp_path: Path, client) -> None:
    data = shaped(edition={"number": "1.0", "date": "2024-07-01"})
    edition = import_file(write(tmp_path, data, "shape.yaml")).edition
    assert edition.date_precision == DatePrecision.DAY
    assert export_edition(edition)["edition"]["date"] == datetime.date(2024, 7, 1)
    page = client.get(reverse("plans:overview", args=["oe", "shape"])).content.decode()
    assert "令和6年7月1日" in page


def test_a_bar_past_the_period_is_kept_and_drawn_to_its_end(demo, tmp_path: Path, client) -> None:
    data = shaped()
    edition = import_file(write(tmp_path, data, "shape.yaml")).edition
    bar = ScheduleEntry.objects.get(node__edition=edition, node__key="g2-f1-a")
    assert (bar.first_year, bar.last_year) == (2028, 2030)
    assert export_edition(edition)["schedule"][1]["last_year"] == 2030
    page = client.get(reverse("plans:roadmap", args=["oe", "shape"])).content.decode()
    # the period is R8–R11: the bar starts in the third column and fills the last two
    assert 'class="bar start-3 span-2 runs-on"' in page
    assert "（～令和12年度まで）" in page
    assert page.count("まで）") == 1  # only the bar that runs on says so


def test_two_schedules_are_kept_each_with_its_source(demo, tmp_path: Path, client) -> None:
    data = shaped(
        schedule=[
            {
                "node": "g1-a",
                "first_year": 2026,
                "last_year": 2026,
                "activity": "研修の検討",
                "source": "ロードマップ",
            },
            {
                "node": "g1-a",
                "first_year": 2027,
                "last_year": 2029,
                "activity": "研修の実施",
                "source": "施策シート",
            },
        ]
    )
    edition = import_file(write(tmp_path, data, "shape.yaml")).edition
    rows = ScheduleEntry.objects.filter(node__edition=edition).order_by("order")
    assert [(r.source, r.activity) for r in rows] == [
        ("ロードマップ", "研修の検討"),
        ("施策シート", "研修の実施"),
    ]
    assert [r["source"] for r in export_edition(edition)["schedule"]] == ["ロードマップ", "施策シート"]
    assert round_trips(edition, data)
    page = client.get(reverse("plans:roadmap", args=["oe", "shape"])).content.decode()
    roadmap, sheet = page.index("出典：ロードマップ"), page.index("出典：施策シート")
    assert roadmap < page.index("研修の検討") < sheet < page.index("研修の実施")
