"""潟上市DX推進計画【第2.0版】(基本計画): data/plans/katagami-2026.yaml against figures counted from the seed.

Seed: shared/seeds/000_96b3e151e60b8d31.txt. How each figure was counted (by hand, not from the YAML):

- 基本方針: ``grep -n '^基本方針 [0-9]'`` gives 6 lines, each of 基本方針 1-3 twice (施策体系 L220/L225/L230
  and chapter (2) 取組 L282/L318/L334): 3.
- 施策: ``grep -c '^- 施策 [0-9]'`` gives 6 (L222-223, L227-228, L232-233): 2 per 基本方針.
- 取組: ``sed -n 235,274p | grep -cE '^- \\([0-9]\\)'`` gives 19 (4 + 4 + 4 + 2 + 2 + 3).
- 工程表 rows (bars): ``grep -o '<td colspan="4"'`` gives 13 bars (施策1-1: 2 + 3 + 2 + 1 = 8,
  施策3-2: 1 + 1 + 3 = 5); 施策1-2: the two ``<p>`` labels after each of the 4 empty year tables (L308) = 8;
  施策2-1: two rows of four cells (L331-332, one column per 取組) = 8; 施策2-2 and 3-1: two label lines
  after each of the 4 empty year tables (L352-354, L366-368, L382-384, L399-402) = 8. Total 37.
- KPIs: ``grep -c '目標値\\|KPI\\|指標'`` gives 0: the plan has no KPIs.
- Observations: the three 「市調査」 parentheses of the 課題 table (L98) hold 4 figures
  (3割弱, 5割, 14.4パーセント, 82.8パーセント); L47 adds the projection 46.5パーセント: 5.
- Glossary: the rows No. 1-20 of 用語集 (L430-439, L443-452): 20.
- Total nodes: 3 + 6 + 19 = 28.
- Past the period: ``grep -c '～R12'`` gives 1: 「GIGA端末※20管理・運用（～R12）」 (L415) runs to
  令和12年度 (2030), past the plan's 令和11年度.
- Phases: the bars print their words only; no separate phase word.
- Dates: the previous plan is dated 「令和5年4月」 (L37), a month.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from tests.plans.helpers import depth_of as _depth
from yakusho.plans.planfile.importer import import_file
from yakusho.plans.planfile.schema import PlanFile

PLAN_PATH = Path(__file__).resolve().parents[2] / "data" / "plans" / "katagami-2026.yaml"


@pytest.fixture(scope="module")
def plan() -> PlanFile:
    with PLAN_PATH.open(encoding="utf-8") as f:
        return PlanFile.model_validate(yaml.safe_load(f))


def test_header(plan: PlanFile) -> None:
    assert plan.municipality == "052116"
    assert (plan.first_year, plan.last_year) == (2026, 2029)
    assert plan.level_labels == ["基本方針", "施策", "取組"]
    assert plan.edition.number == "2.0"
    assert plan.national_framework == "jichitai-dx-5.0"
    assert [e.number for e in plan.editions] == ["1.0", "2.0"]
    assert plan.editions[0].date == "2023-04"  # 令和5年4月: a month


def test_node_counts(plan: PlanFile) -> None:
    depths = Counter(_depth(plan, n.key) for n in plan.nodes)
    assert depths == {1: 3, 2: 6, 3: 19}
    per_measure = Counter(n.parent for n in plan.nodes if _depth(plan, n.key) == 3)
    assert sorted(per_measure.values()) == [2, 2, 3, 4, 4, 4]


def test_schedule_and_kpis_counts(plan: PlanFile) -> None:
    assert len(plan.schedule) == 37
    assert plan.kpis == []
    assert len(plan.observations) == 5
    assert len(plan.glossary) == 20


def test_specific_nodes(plan: PlanFile) -> None:
    nodes = {n.key: n for n in plan.nodes}
    titles = [nodes[k].title for k in ("g1", "g2", "g3")]
    assert titles == ["持続可能な行財政運営", "市民サービスの向上", "新たな価値の創出"]
    assert nodes["g1-f1"].title == "デジタル活用による業務効率化の推進"
    assert "事務効率化" in nodes["g1-f1"].note
    assert nodes["g2-f1"].title == "書かない待たせない行かない窓口の実現"
    assert nodes["g2-f2"].parent == "g2"
    assert nodes["g2-f2-m2"].title == "デジタルデバイド対策"
    assert nodes["g3-f2-m3"].code == "(3)"
    assert nodes["g3-f2-m3"].title == "教育DXの推進"
    assert "31手続" in nodes["g2-f1-m1"].description
    assert "jdx5.el-qr" in nodes["g2-f1-m4"].national_items
    # the plan names no department per 取組
    assert all(not n.departments for n in plan.nodes)


def test_specific_schedule_rows(plan: PlanFile) -> None:
    rows = {(r.node, r.activity): r for r in plan.schedule}
    gig = rows[("g3-f2-m3", "GIGA端末※20管理・運用（～R12）")]
    assert (gig.first_year, gig.last_year) == (2026, 2030)  # 「（～R12）」: past the period
    assert [(r.node, r.last_year) for r in plan.schedule if r.last_year > plan.last_year] == [
        ("g3-f2-m3", 2030)
    ]
    assert [r.phase for r in plan.schedule if r.phase] == []
    assert ("g1-f1-m2", "外部人材による支援") in rows
    assert ("g2-f1-m4", "マイタウンバス効果検証・運用") in rows
    assert sum(1 for r in plan.schedule if r.node == "g1-f1-m2") == 3
    assert sum(1 for r in plan.schedule if r.node == "g1-f1-m4") == 1


def test_observations(plan: PlanFile) -> None:
    obs = {o.name: o for o in plan.observations}
    cashless = obs["キャッシュレス利用率（市民課窓口での証明書の手数料納付）"]
    assert cashless.value == Decimal("14.4")
    assert cashless.as_of_text == "R7年7月時点"
    assert cashless.indicator == "cashless-rate"
    card = obs["マイナンバーカード市民取得率"]
    assert card.value == Decimal("82.8")
    assert card.node == "g2-f2-m1"
    assert obs["コンビニ交付割合（住民票及び印鑑証明書）"].text == "3割弱"


def test_glossary_and_texts(plan: PlanFile) -> None:
    terms = [t.term for t in plan.glossary]
    assert terms[0] == "AI"
    assert terms[-1] == "GIGA端末"
    assert "地方税統一QRコード (eL-QR)" in terms
    assert "潟上市DX推進本部" in plan.governance
    assert "市長を本部長" in plan.governance
    # the table of the previous plan's 取組 and 課題 is that plan's closing review (総括), kept as such
    assert not any(s.title == "これまでの取組と課題" for s in plan.sections)
    review = plan.closing_review[0]
    assert (review.of, review.title) == ("潟上市DX推進計画", "持続可能な行政運営")
    assert "| (1) 庁内業務のデジタル化（ペーパーレス化） |" in review.text
    assert len(plan.closing_review) == 3


@pytest.mark.django_db
def test_the_roadmap_draws_the_bar_past_the_period_to_its_end(demo, client) -> None:
    import_file(PLAN_PATH)
    page = client.get(reverse("plans:roadmap", args=["katagami", "katagami-dx"])).content.decode()
    bar = page[page.index("GIGA端末") - 120 : page.index("GIGA端末") + 80]
    assert 'class="bar start-1 span-4 runs-on"' in bar and "（～令和12年度まで）" in bar
