"""潮来市DX推進計画 (令和5年12月): data/plans/itako-2023.yaml against figures counted from the seed.

Seed: shared/seeds/001_ff5eeef5d6c0b852.txt. How each figure was counted (by hand, not from the YAML):

- 基本方針: ``grep -c '^#### 【基本方針'`` gives 3 (L176, L182, L188).
- 取組方針: the rows of the 対応表 (L212, L213, L215, L216, L218, L219) and the headings (1)/(2) under
  each 基本方針 in chapter 3: 2 + 2 + 2 = 6.
- 具体的な取組事例: the circled-number lists under 《具体的な取組事例》: 方針1(1) ①-③ (L254-256) and ④-⑲
  (L289-304) = 19, 方針1(2) ①-⑤ (L386-390) = 5, 方針2(1) ① (L423) = 1, 方針2(2) ①-⑩ (L464-473) = 10,
  方針3(1) ①-⑫ (L533-544) = 12, 方針3(2) ①-③ (L609-611) = 3; total 50. Cross-check:
  ``grep -o '【[^】]*】' | grep -vc 基本方針`` gives 50 工程表 brackets, one per 取組事例.
- 工程表 rows (bars): ``grep -c '事業の検討／実施計画の作成'`` gives 41 items with the three-step
  検討 / 試行実施 / 効果検証・改善 pattern (41 x 3 = 123 bars). The other 9 items: 方針1(1) ⑯ 2 bars
  (平日夜間・休日受付、出張申請 / 交付率、国の動向を注視し対応), ⑱ 1, ⑲ 1; 方針2(2) ⑧ ⑨ ⑩ 1 each;
  方針3(2) ① ② ③ 2 each = 13. Total 136.
- KPIs: the plan has none (no 目標値/現状値 anywhere; 1-4 says targets are set in the 総合計画's
  実施計画): 0.
- Observations: the figures of 1-6 without targets: 80.9 % and 84.9 % (L104), 約14% (L107), 25.7 % and
  57.8 % (L131): 5.
- Glossary: the rows of 4-1 用語解説 after the header 用語/解説 (L629-L640): 12.
- Date: the cover prints 「令和5年12月」 (L5), no day and no edition number: the edition date is the month.
- Departments: the 【】 of the 工程表 name the 課; none is marked as lead (``grep -c '主担当\\|主管'`` gives
  0), and 3 brackets name two 課 joined by ・ (財政課・会計課, 税務課・社会福祉課, 環境課・農政課): joint.
- Phases: the 工程表 cells hold the steps' words only (事業の検討／実施計画の作成 …); no separate phase word.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from tests.plans.helpers import depth_of as _depth
from yakusho.plans.planfile.importer import import_file
from yakusho.plans.planfile.schema import PlanFile

PLAN_PATH = Path(__file__).resolve().parents[2] / "data" / "plans" / "itako-2023.yaml"


@pytest.fixture(scope="module")
def plan() -> PlanFile:
    with PLAN_PATH.open(encoding="utf-8") as f:
        return PlanFile.model_validate(yaml.safe_load(f))


def _node(plan: PlanFile, key: str):
    return next(n for n in plan.nodes if n.key == key)


def test_header(plan: PlanFile) -> None:
    assert plan.municipality == "082236"
    assert plan.title == "潮来市DX推進計画"
    assert (plan.first_year, plan.last_year) == (2023, 2025)
    assert plan.level_labels == ["基本方針", "取組方針", "具体的な取組事例"]
    assert plan.national_framework == "jichitai-dx-2.0"
    assert plan.edition.date == "2023-12" and [e.date for e in plan.editions] == ["2023-12"]
    assert plan.adopted_on is None  # the cover does not say 策定


def test_node_counts_per_level(plan: PlanFile) -> None:
    depths = [_depth(plan, n.key) for n in plan.nodes]
    assert depths.count(1) == 3
    assert depths.count(2) == 6
    assert depths.count(3) == 50
    per_policy: dict[str | None, int] = {}
    for n in plan.nodes:
        if _depth(plan, n.key) == 3:
            per_policy[n.parent] = per_policy.get(n.parent, 0) + 1
    assert sorted(per_policy.values()) == sorted([19, 5, 1, 10, 12, 3])


def test_counts(plan: PlanFile) -> None:
    assert len(plan.kpis) == 0
    assert len(plan.schedule) == 136
    assert len(plan.observations) == 5
    assert len(plan.glossary) == 12


def test_codes_and_titles(plan: PlanFile) -> None:
    g2f2 = _node(plan, "g2-f2")
    assert g2f2.code == "(2)"
    assert g2f2.title == "AI・RPA等を活用した業務効率化・テレワークの推進"
    m17 = _node(plan, "g1-f1-m17")
    assert m17.code == "⑰"
    assert m17.title == "「書かない窓口」システムの導入"
    assert _node(plan, "g3-f1-m12").title == "学習支援事業におけるSNSを活用した連絡体制の構築"


def test_departments(plan: PlanFile) -> None:
    m4 = _node(plan, "g1-f1-m4")
    assert [(d.name, d.lead) for d in m4.departments] == [("かすみ保健福祉センター", False)]
    m1 = _node(plan, "g1-f1-m1")
    assert m1.departments[0].name == "DX戦略室"
    assert m1.department_note == "庁内横断"
    paperless = _node(plan, "g2-f2-m8")
    assert paperless.title == "ペーパーレス化"
    assert paperless.departments == []
    assert paperless.department_note == "全課"
    assert [(d.name, d.lead) for d in _node(plan, "g2-f2-m2").departments] == [
        ("財政課", False),
        ("会計課", False),
    ]
    assert [(d.name, d.lead) for d in _node(plan, "g3-f1-m8").departments] == [
        ("環境課", False),
        ("農政課", False),
    ]
    assert not any(d.lead for n in plan.nodes for d in n.departments)  # the plan marks no lead


def test_national_items(plan: PlanFile) -> None:
    assert _node(plan, "g1-f1").national_items == [
        "jdx2.mynumber",
        "jdx2.online",
        "jdx2.regulation",
        "jdx2.bpr",
    ]
    assert _node(plan, "g2-f1").national_items == ["jdx2.standardization"]
    assert _node(plan, "g3-f2").national_items == ["jdx2.security"]


def test_schedule(plan: PlanFile) -> None:
    rows = [s for s in plan.schedule if s.node == "g1-f1-m16"]
    assert [(s.first_year, s.last_year, s.activity) for s in rows] == [
        (2023, 2023, "平日夜間・休日受付、出張申請"),
        (2024, 2025, "交付率、国の動向を注視し対応"),
    ]
    std = [(s.first_year, s.last_year, s.activity) for s in plan.schedule if s.node == "g1-f1-m2"]
    assert std == [
        (2023, 2023, "事業の検討／実施計画の作成"),
        (2024, 2024, "試行実施／事業の実施"),
        (2025, 2025, "効果検証・改善"),
    ]
    assert [s.phase for s in plan.schedule if s.phase] == []  # no phase word apart from the cells
    bpr = [s for s in plan.schedule if s.node == "g2-f2-m10"]
    assert len(bpr) == 1 and bpr[0].activity == "業務効率化の検証"


def test_observations_and_glossary(plan: PlanFile) -> None:
    ibaraki = plan.observations[0]
    assert ibaraki.value == Decimal("80.9")
    assert ibaraki.unit == "%"
    assert "令和4年通信利用動向調査" in ibaraki.as_of_text
    terms = {t.term: t.definition for t in plan.glossary}
    assert terms["ガバメントクラウド"].startswith("政府共通のクラウドサービス利用環境")
    assert "デジタルデバイド" in terms


def test_governance(plan: PlanFile) -> None:
    words: tuple[str, ...] = ("潮来市DX推進本部", "本部長 市長", "副本部長 副市長", "事務局 DX戦略室")
    words += ("全体PT", "オンライン化PT", "オンライン化WG", "情報セキュリティ・人材育成WG")
    for word in words:
        assert word in plan.governance


@pytest.mark.django_db
def test_the_cover_month_is_shown_as_a_month(demo, client) -> None:
    import_file(PLAN_PATH)
    page = client.get(reverse("plans:overview", args=["itako", "itako-dx"])).content.decode()
    assert "第1.0版（令和5年12月）" in page and "令和5年12月1日" not in page
