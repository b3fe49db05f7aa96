"""美郷町DX推進基本計画 アクションプラン (seeds/004_d130495830d4bf04.txt) → data/plans/misato-2024.yaml.

The expected figures below were counted in the seed text, not taken from the YAML file:

- 基本方針: ``grep -c '^基本方針[0-9]'`` gives 3 (the list under 【DX推進基本計画における3つの基本方針】).
- 施策: ``grep -c '^施策名称'`` gives 18 sheets: 1-1..1-8 (8), 2-1..2-6 (6), 3-1..3-4 (4); the ``担当部署``
  rows also number 18.
- KPIs: 7 ``目標値`` rows have content (1-1, 1-2, 1-3, 1-6, 1-8, 3-1, 3-2) and 6 ``実績値``
  rows have content (1-1, 1-2, 1-3, 1-4, 3-1, 3-2); their union is 8 施策, one KPI each
  (1-4 has only 「実施」, a qualitative KPI).
- Target values: 3 + 3 + 3 + 2 + 1 + 3 + 3 = 18 cells in those 目標値 rows; actual values: 6 cells.
- Schedule rows: in each sheet's 年度計画 rows, every printed activity (blocks separated by a line
  break or two spaces, ⇒ not counted) is one row, and ⇒ extends it. Per sheet: 1-1 3, 1-2 2,
  1-3 4, 1-4 4, 1-5 5, 1-6 4, 1-7 2, 1-8 4 (28); 2-1 8 (including 「※既所有タブレットの活用」),
  2-2 5, 2-3 4, 2-4 2, 2-5 4, 2-6 1 (24); 3-1 2, 3-2 2, 3-3 4, 3-4 2 (10): 62 in all (source 施策シート).
- Roadmap (ロードマップ, L36–65): the plan prints a second schedule that disagrees with the sheets (e.g. 1-8
  健診予約システムの導入・運用開始 in R9 against the sheet's 導入 R10 and Web予約 R11); both are kept. Each
  filled year cell is one bar (the bar lengths are lost in the conversion): per 施策 1-1 4, 1-2 2, 1-3 4,
  1-4 4, 1-5 3, 1-6 6, 1-7 2, 1-8 3 (28); 2-1 5, 2-2 3, 2-3 3, 2-4 1, 2-5 3, 2-6 1 (16); 3-1 2, 3-2 3,
  3-3 5, 3-4 2 (12): 56 (source ロードマップ).
- Departments: the 担当部署 rows name 課 without a lead (``grep -c '主担当'`` gives 0): none is lead.
- Dates: the cover prints 「令和6年12月」 and 「(令和8年3月改訂)」: months.
- National items: 8 ``その他関連事項`` rows have content; 7 of them name an item of
  自治体DX推進計画【第3.0版】 (「ペーパーレス化の徹底」 of 2-1 does not).
- No 用語集 and no figures without a target (observations) in this document.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from yakusho.plans.planfile.importer import import_file
from yakusho.plans.planfile.schema import PlanFile

PLAN = Path(__file__).resolve().parents[2] / "data" / "plans" / "misato-2024.yaml"


@pytest.fixture(scope="module")
def plan() -> PlanFile:
    with PLAN.open(encoding="utf-8") as f:
        return PlanFile.model_validate(yaml.safe_load(f))


def _depths(plan: PlanFile) -> Counter[int]:
    depth: dict[str, int] = {}
    for node in plan.nodes:
        depth[node.key] = depth[node.parent] + 1 if node.parent else 1
    return Counter(depth.values())


def test_header(plan: PlanFile) -> None:
    assert plan.municipality == "054348"
    assert plan.title == "美郷町DX推進基本計画 アクションプラン"
    assert plan.kind == "アクションプラン"
    assert (plan.first_year, plan.last_year) == (2024, 2029)
    assert plan.level_labels == ["基本方針", "施策"]
    assert plan.national_framework == "jichitai-dx-3.0"
    assert [(e.number, e.date) for e in plan.editions] == [("1.0", "2024-12"), ("1.1", "2026-03")]
    assert (plan.adopted_on, plan.edition.date) == ("2024-12", "2026-03")
    assert plan.edition.number == "1.1"


def test_counts(plan: PlanFile) -> None:
    assert _depths(plan) == Counter({1: 3, 2: 18})
    per_policy = Counter(n.parent for n in plan.nodes if n.parent)
    assert per_policy == Counter({"g1": 8, "g2": 6, "g3": 4})
    assert len(plan.kpis) == 8
    assert sum(len(k.targets) for k in plan.kpis) == 18
    assert sum(len(k.actuals) for k in plan.kpis) == 6
    assert Counter(s.source for s in plan.schedule) == {"施策シート": 62, "ロードマップ": 56}
    assert sum(1 for n in plan.nodes if n.national_items) == 7
    assert plan.glossary == []
    assert plan.observations == []


def test_codes_and_titles(plan: PlanFile) -> None:
    nodes = {n.key: n for n in plan.nodes}
    assert [n.code for n in plan.nodes if n.parent == "g2"] == ["2-1", "2-2", "2-3", "2-4", "2-5", "2-6"]
    assert nodes["g1"].title == "住民サービスの向上（住民DX）"
    assert nodes["g2"].title == "行政事務のデジタル化（庁内DX）"
    assert nodes["g3"].title == "地域社会のDXの推進（地域DX）"
    assert nodes["g1-3"].title == "書かない窓口の導入"
    assert nodes["g2-2"].title == "テレワークを含むオンライン会議等の推進"
    assert nodes["g3-3"].title == "オープンデータの充実とEBPMの促進"
    assert "AI-FAQ導入" in nodes["g1-5"].note  # the roadmap's name of 1-5


def test_departments(plan: PlanFile) -> None:
    nodes = {n.key: n for n in plan.nodes}
    assert [(d.name, d.lead) for d in nodes["g1-8"].departments] == [("福祉保健課", False)]
    assert [(d.name, d.lead) for d in nodes["g1-5"].departments] == [("総務課", False), ("企画財政課", False)]
    assert not any(d.lead for n in plan.nodes for d in n.departments)  # the plan marks no lead
    assert "全課" in nodes["g1-5"].department_note
    assert [d.name for d in nodes["g1-1"].departments] == ["生涯学習課", "教育推進課"]
    assert "窓口担当課" in nodes["g1-1"].department_note
    assert nodes["g3-2"].departments == [] and nodes["g3-2"].department_note == "窓口担当課、全課"
    assert [d.name for d in nodes["g2-1"].departments] == ["議会"]


def test_national_items(plan: PlanFile) -> None:
    items = {n.code: n.national_items for n in plan.nodes if n.national_items}
    assert items == {
        "1-1": ["jdx3.online"],
        "1-3": ["jdx3.frontyard"],
        "2-2": ["jdx3.telework"],
        "2-5": ["jdx3.standardization"],
        "3-2": ["jdx3.mynumber"],
        "3-3": ["jdx3.opendata"],
        "3-4": ["jdx3.community"],
    }


def test_kpis(plan: PlanFile) -> None:
    kpis = {k.node: k for k in plan.kpis}
    online = kpis["g1-1"]
    assert online.name == "オンライン手続数"
    assert [(t.fiscal_year, t.value) for t in online.targets] == [
        (2024, Decimal(60)),
        (2025, Decimal(100)),
        (2026, Decimal(120)),
    ]
    assert online.targets[0].text == "オンライン手続数 60件"
    assert [(a.fiscal_year, a.value, a.text) for a in online.actuals] == [(2024, Decimal(63), "63件")]

    cashless = kpis["g1-2"]
    assert cashless.actuals[0].text == "266件、レジ導入"
    assert cashless.actuals[0].value == Decimal(266)

    assert kpis["g1-3"].actuals[0].value == Decimal(1970)
    assert [t.fiscal_year for t in kpis["g1-6"].targets] == [2025, 2026]  # 電子契約件数 starts in R7
    web = kpis["g1-8"].targets
    assert len(web) == 1 and web[0].fiscal_year == 2029 and web[0].text == "Web予約率 20%"
    assert kpis["g1-8"].unit == "%"
    assert kpis["g1-4"].direction == "qualitative" and kpis["g1-4"].actuals[0].text == "実施"
    assert kpis["g3-1"].unit == "人" and kpis["g3-1"].actuals[0].value == Decimal(49)
    assert kpis["g3-2"].targets[2].text == "3,000件"
    assert kpis["g3-2"].actuals[0].text == "コンビニ交付件数 2,239件"


def test_schedule(plan: PlanFile) -> None:
    sheets = [r for r in plan.schedule if r.source == "施策シート"]
    rows = {(r.node, r.activity): (r.first_year, r.last_year) for r in sheets}
    assert rows[("g1-1", "対象手続きの拡充")] == (2025, 2029)
    assert rows[("g1-3", "ワンストップ化を実現")] == (2026, 2029)
    assert rows[("g1-4", "自動音声合成ソフトの導入")] == (2027, 2029)  # roadmap: R8; sheet: R9
    assert rows[("g1-5", "本格運用")] == (2027, 2029)
    assert rows[("g1-8", "Web予約の開始")] == (2029, 2029)
    assert rows[("g2-1", "新たなタブレット端末等の導入")] == (2028, 2028)
    assert rows[("g2-2", "テレワークの施行・検証")] == (2027, 2029)
    assert rows[("g2-6", "新たなデジタル技術の活用検討")] == (2026, 2029)
    assert rows[("g3-3", "EBPMに基づく政策立案")] == (2026, 2029)
    per_node = Counter(r.node for r in sheets)
    assert per_node["g2-1"] == 8 and per_node["g1-5"] == 5 and per_node["g2-6"] == 1
    assert [s.phase for s in plan.schedule if s.phase] == []  # the plan prints no phase word apart


def test_roadmap_kept_beside_the_sheets(plan: PlanFile) -> None:
    roadmap = [
        (r.node, r.first_year, r.last_year, r.activity) for r in plan.schedule if r.source == "ロードマップ"
    ]
    health = [row for row in roadmap if row[0] == "g1-8"]
    assert health == [
        ("g1-8", 2025, 2025, "保健事業団との協議・調整"),
        ("g1-8", 2026, 2026, "健康管理システムとのデータ連携"),
        ("g1-8", 2027, 2027, "健診予約システムの導入・運用開始"),
    ]
    assert (
        "g3-4",
        2026,
        2026,
        "スマート農業に向けた実証実験・研修会の実施",
    ) in roadmap  # a shifted row read again
    assert ("g2-6", 2026, 2026, "インフラ老朽化対策に資する新たなデジタル技術の活用検討") in roadmap
    assert all(first == last for _, first, last, _ in roadmap)  # at the year printed: no lengths to read


@pytest.mark.django_db
def test_the_roadmap_page_shows_both_schedules_labelled(demo, client) -> None:
    import_file(PLAN)
    page = client.get(reverse("plans:roadmap", args=["misato", "misato-dx-action-plan"])).content.decode()
    assert page.count("出典：ロードマップ") == 18 and page.count("出典：施策シート") == 18
    row = page[page.index("健診予約システムの導入</a>") :]
    row = row[: row.index('role="row"')]
    assert row.index("出典：ロードマップ") < row.index("健診予約システムの導入・運用開始")
    assert row.index("出典：施策シート") < row.index("Web予約の開始")


def test_texts(plan: PlanFile) -> None:
    nodes = {n.key: n for n in plan.nodes}
    effects = ["①住民の利便性向上", "②職員の業務効率化", "③住民の健康増進"]
    assert nodes["g1-8"].effects.split("\n\n") == effects
    assert nodes["g1-6"].actions.endswith("③電算組合が中心となり、12町村の共同調達を目指します。")
    assert "令和6年3月に「美郷町DX推進基本計画」" in plan.position
    assert any("OODAループ" in s.body for s in plan.sections)
