"""村上市DX推進方針: the 第2.0版 and 第2.3版 plan files transcribed from seed 002.

Figures were counted by hand in /work/shared/seeds/002_e1532f2004ab988c.txt (L = line number), not taken
from the YAML:

- 重点項目: 3 headings 「1 村上市DX推進のための土台づくり」 (L377), 「2 自治体DX」 (L395),
  「3 地域DX」 (L479).
- 区分: 6 headings (1)(2)(3) between L377 and L541 (L397, L421, L471, L481, L497, L529); 重点項目1 has none.
- 取組事項: L377–541 hold 31 headings starting with a circled number. 7 of them are 第2.0版 wording printed
  before (or struck against) their 第2.3版 replacement (①機運醸成, ②窓口サービス改革, the first ②業務改革 and
  ③AI・RPA, ⑤会議・コミュニケーション改革, ⑥ペーパーレスの推進, ④デジタルデバイド対策) and 7 are 第2.3版 only
  (①機運醸成と人材育成, ②自治体フロントヤード改革, ③公金収納におけるeLTAXの活用, the second ② and ③,
  ⑤ペーパーレスの推進、会議・コミュニケーション改革, ①デジタルデバイド対策): 31 - 7 = 24 in each edition.
  The two 取組事項 of 重点項目1 sit at depth 2 (no 区分) but are 取組事項 (図表2.5-1 lists them with the
  other 取組事項; their headings are circled numbers like every 取組事項), so by level 3 / 6 / 24 (by depth it
  would be 3 / 8 / 22).
- Dates: the 更新履歴 (L24–26) and the cover print only year and month (令和4年(2022年)3月 …): months.
- Schedule: each bar prints its words only (no separate phase word): no phase.
- Schedule (図表3.2-1, L630–672): 25 labelled rows (23 取組事項 + the sub-rows キャッシュレス決済導入 and
  窓口業務の改善); rows with more than one filled year cell give extra bars: ②実行計画の策定 +2,
  キャッシュレス +1, 窓口業務の改善 +1, ①標準化 +2, ②BPR +1, ③AI・RPA +1, ④テレワーク +1 = 34 bars (第2.3版).
  第2.0版 splits the merged ⑤ row between 会議 and ペーパーレス: 35.
- KPIs: none (the plan gives no 指標 or 目標値).
- Observations: 1.3 gives 5 figures (L161: 57,111人, 36,568人, 51.17%, 44.46%; L183: 1174.17Km²).
- Glossary (L674–706): 16 + 12 rows with three tab-separated cells under the two 「用語 解説」 headers = 28;
  自治体フロントヤード is in <b> (added in 第2.3版), so 27 in 第2.0版.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.urls import reverse

from tests.plans.helpers import level_counts
from yakusho.plans.planfile.importer import import_file
from yakusho.plans.planfile.schema import PlanFile

DATA = Path(__file__).resolve().parents[2] / "data" / "plans"


def load(edition: str) -> PlanFile:
    with open(DATA / f"murakami-2022-{edition}.yaml", encoding="utf-8") as f:
        return PlanFile.model_validate(yaml.safe_load(f))


@pytest.fixture(scope="module")
def v20() -> PlanFile:
    return load("2.0")


@pytest.fixture(scope="module")
def v23() -> PlanFile:
    return load("2.3")


def depths(plan: PlanFile) -> dict[str, int]:
    parent = {n.key: n.parent for n in plan.nodes}
    out: dict[str, int] = {}
    for n in plan.nodes:
        d, p = 1, n.parent
        while p:
            d, p = d + 1, parent[p]
        out[n.key] = d
    return out


def per_level(plan: PlanFile) -> list[int]:
    counts = level_counts(plan)
    return [counts[label] for label in plan.level_labels]


def per_depth(plan: PlanFile) -> list[int]:
    d = depths(plan)
    return [sum(1 for v in d.values() if v == depth) for depth in (1, 2, 3)]


def leaves(plan: PlanFile) -> list[str]:
    parents = {n.parent for n in plan.nodes}
    return [n.key for n in plan.nodes if n.key not in parents and n.parent is not None]


def node(plan: PlanFile, key: str):
    return next(n for n in plan.nodes if n.key == key)


@pytest.mark.parametrize("edition", ["2.0", "2.3"])
def test_header(edition: str) -> None:
    plan = load(edition)
    assert plan.municipality == "152129"
    assert plan.key == "murakami-dx"
    assert plan.kind == "推進方針"
    assert (plan.first_year, plan.last_year) == (2022, 2026)
    assert plan.level_labels == ["重点項目", "区分", "取組事項"]
    assert plan.edition.number == edition
    assert [e.number for e in plan.editions] == ["1.0", "2.0", "2.3"]
    assert [e.date for e in plan.editions] == ["2022-03", "2023-03", "2024-07"]  # months, as printed
    assert plan.adopted_on == "2022-03"
    assert plan.edition.date == {"2.0": "2023-03", "2.3": "2024-07"}[edition]
    assert plan.kpis == []


def test_frameworks(v20: PlanFile, v23: PlanFile) -> None:
    assert v20.national_framework == "jichitai-dx-2.0"
    assert v23.national_framework == "jichitai-dx-3.0"
    assert node(v23, "g2-f1-frontyard").national_items == ["jdx3.frontyard"]
    assert node(v20, "g2-f2-standardization").national_items == ["jdx2.standardization"]


def test_counts(v20: PlanFile, v23: PlanFile) -> None:
    for plan in (v20, v23):
        assert per_level(plan) == [3, 6, 24]
        assert per_depth(plan) == [3, 8, 22]
        assert [n.key for n in plan.nodes if n.level] == ["g1-awareness", "g1-action-plan"]
        assert {node(plan, k).level for k in ("g1-awareness", "g1-action-plan")} == {"取組事項"}
        assert len(leaves(plan)) == 24
        assert len(plan.observations) == 5
    assert len(v23.schedule) == 34
    assert len(v20.schedule) == 35
    assert len(v23.glossary) == 28
    assert len(v20.glossary) == 27


def test_keys_match_between_editions(v20: PlanFile, v23: PlanFile) -> None:
    k20 = {n.key for n in v20.nodes}
    k23 = {n.key for n in v23.nodes}
    assert k20 - k23 == {"g2-f2-meeting"}  # merged into ⑤ペーパーレスの推進、会議・コミュニケーション改革
    assert k23 - k20 == {"g2-f1-eltax"}  # added in 第2.3版
    # Renamed or renumbered items keep their key.
    assert (node(v20, "g1-awareness").title, node(v23, "g1-awareness").title) == (
        "機運醸成",
        "機運醸成と人材育成",
    )
    assert (node(v20, "g2-f1-frontyard").title, node(v23, "g2-f1-frontyard").title) == (
        "窓口サービス改革",
        "自治体フロントヤード改革",
    )
    assert (node(v20, "g2-f1-mynumber").code, node(v23, "g2-f1-mynumber").code) == ("③", "④")
    assert (node(v20, "g3-f1-divide").code, node(v23, "g3-f1-divide").code) == ("④", "①")
    assert (node(v20, "g2-f2-paperless").code, node(v23, "g2-f2-paperless").code) == ("⑥", "⑤")
    assert node(v23, "g2-f2-paperless").title == "ペーパーレスの推進、会議・コミュニケーション改革"
    # Every unchanged item has the same code, title and parent in both files.
    for n in v20.nodes:
        if n.key in k23 and n.key not in {
            "g1-awareness",
            "g2-f1-frontyard",
            "g2-f1-mynumber",
            "g3-f1-divide",
            "g2-f2-paperless",
        }:
            m = node(v23, n.key)
            assert (n.code, n.title, n.parent) == (m.code, m.title, m.parent), n.key
    # Schedule rows point at the same keys.
    assert {s.node for s in v23.schedule} <= k20 | {"g2-f1-eltax"}


def test_texts(v20: PlanFile, v23: PlanFile) -> None:
    assert node(v23, "g2").title == "自治体DX"
    assert node(v23, "g3-f3").code == "(3)"
    assert node(v23, "g2-f1-eltax").code == "③"
    assert "27手続" in node(v23, "g2-f1-online").description
    # Struck text belongs to 第2.0版 only, the new text to 第2.3版 only.
    assert (
        "EBPM(Evidence Based Policy Making)による新たな視点から業務の再構築を図ります"
        in node(v20, "g2-f2-bpr").description
    )
    assert "業務の最適化を行い" in node(v23, "g2-f2-bpr").description
    assert "業務の最適化を行い" not in node(v20, "g2-f2-bpr").description
    assert "村上市ペーパーレスアクションプログラム" in node(v23, "g2-f2-paperless").description
    assert "チャットツール" in node(v20, "g2-f2-meeting").description
    assert "基幹系システムの標準化・共通化" in v20.principles
    assert "公金収納におけるeLTAXの活用" not in v20.principles
    assert "公金収納におけるeLTAXの活用" in v23.principles
    for plan in (v20, v23):
        assert node(plan, "g2-f2-bpr").departments == []
        assert "企画戦略課デジタル化推進室" in plan.governance
        assert "村上市DX推進本部" in plan.governance
        assert "コネクテッド・ワンストップ" in plan.principles
        assert "第12条 情報システムではなくサービスを作る" in plan.principles
        assert "あふれる笑顔のまち村上" in plan.position
        assert "スマートむらかみ" in plan.vision


def test_schedule(v20: PlanFile, v23: PlanFile) -> None:
    rows = [
        (s.first_year, s.last_year, s.activity) for s in v23.schedule if s.node == "g2-f2-standardization"
    ]
    assert rows == [
        (2022, 2023, "現行システムとのFIT&GAP検証"),
        (2024, 2024, "ガバメントクラウド移行準備"),
        (2025, 2026, "ガバメントクラウド運用"),
    ]
    plan_rows = [(s.first_year, s.last_year, s.activity) for s in v23.schedule if s.node == "g1-action-plan"]
    assert plan_rows == [
        (2022, 2022, "調査"),
        (2023, 2023, "策定"),
        (2024, 2026, "毎年評価・ローリングしながら実施"),
    ]
    # the plan prints no phase words apart from the bars' own words
    assert [s.phase for s in [*v20.schedule, *v23.schedule] if s.phase] == []
    divide = next(s for s in v23.schedule if s.node == "g3-f1-divide")
    assert (divide.first_year, divide.last_year, divide.activity) == (2022, 2026, "高齢者スマホ教室等")
    assert [s.activity for s in v20.schedule if s.node == "g2-f2-meeting"] == [
        "会議の効率化実施、チャットツール導入"
    ]


def test_observations_and_glossary(v20: PlanFile, v23: PlanFile) -> None:
    pop = next(o for o in v23.observations if o.name == "総人口")
    assert pop.value == Decimal("57111")
    assert str(pop.as_of) == "2022-01-01"  # a day, not a month
    terms = {g.term: g for g in v23.glossary}
    assert terms["RESAS"].reading == "リーサス"
    assert terms["DX"].reading == "デジタルトランスフォーメーション"
    assert (
        terms["自治体フロントヤード"].definition
        == "自治体フロントヤードとは、自治体と住民の接点となる窓口や施設のこと。"
    )
    assert "自治体フロントヤード" not in {g.term for g in v20.glossary}
    assert terms["市民"].definition.startswith("本方針における「市民」とは")


def test_edition_sections(v20: PlanFile, v23: PlanFile) -> None:
    s20 = {s.title: s.body for s in v20.sections}
    s23 = {s.title: s.body for s in v23.sections}
    assert "(資料③)" in s20["1.2 国の政策の動向"] and "(資料②)" in s23["1.2 国の政策の動向"]
    assert "山北地区" in s20["1.3 本市の課題"] and "山北地域" in s23["1.3 本市の課題"]
    assert "⑳印鑑登録" in s20["3.1 国の自治体DX推進スケジュール"]
    assert "自治体フロントヤード改革の推進" in s23["3.1 国の自治体DX推進スケジュール"]
    assert "資料② デジタルガバメント実行計画" in s20["(参考)資料集"]
    assert "資料② デジタルガバメント実行計画" not in s23["(参考)資料集"]


@pytest.mark.django_db
def test_overview_counts_what_the_nodes_are(demo, client) -> None:
    import_file(DATA / "murakami-2022-2.0.yaml")
    import_file(DATA / "murakami-2022-2.3.yaml")
    url = reverse("plans:overview", args=["murakami", "murakami-dx"])
    for query in ("", "?edition=2.0"):
        page = client.get(url + query).content.decode()
        assert "重点項目 3・区分 6・取組事項 24" in page, query
    node = client.get(
        reverse("plans:node", args=["murakami", "murakami-dx", "g1-awareness"])
    ).content.decode()
    assert '<p class="level-label">取組事項 ①</p>' in node
    assert "（令和6年7月）" in client.get(url).content.decode()  # the edition's month, not a 1st day
