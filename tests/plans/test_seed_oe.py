"""大江町DX推進計画 (令和6年2月策定): data/plans/oe-2024.yaml against figures counted by hand in the seed.

Seed: /work/shared/seeds/003_6176f7d05e1e735d.txt (900 lines; the last one, the Wi-Fi 6 definition, has no
trailing newline). How each figure was counted:

- 基本目標: the chapter 6 headings ``(1) …`` (L55), ``(2) …`` (L393), ``(3) …`` (L597): 3.
  ``grep -cE '^\\([123]\\) '`` gives 6 because the chapter 5 体系 table rows (L45, L48, L50) also start so.
- 施策分野: ``grep -cE '^\\([123]\\)-[0-9]+ '`` gives 7 ((1)-1..3, (2)-1..2, (3)-1..2),
  matching the 体系 table.
- 具体的施策: ``grep -cE '^\\([123]\\)-[0-9]+-[0-9]+ '`` gives 33 (7 + 4 + 5 + 10 + 1 + 4 + 2).
- KPIs: ``grep -c '現状値'`` gives 25 (and ``grep -c '目標値'`` 25); one of them is printed （再掲）
  (L147, ``grep -c '再掲'`` gives 1).
- Schedule: ``grep -c '^主な取組'`` gives 24 【主な取組みとスケジュール】 tables holding 27 主な取組 rows
  ((1)-1-7, (2)-1-2 and (2)-1-6 have two). Each labelled bar is one schedule entry; counting the labels in
  each row by hand gives 44: (1)-1 1+1+1+1+2+3+3, (1)-2 1+2, (1)-3 1+1+2, (2)-1 3+4+2+1+2+1+3,
  (2)-2 3, (3)-1 2+2, (3)-2 1+1.
- Qualitative KPIs (a 現状値 and 目標値 without a number): (2)-1-6, (2)-1-9, (3)-1-3: 3.
- Glossary: the ``●`` and ``- `` entries after ``7 用語の解説`` (L695 to the end): 49.
- Observations: figures stated without a target, chosen by hand: 28 and 3 procedures ((1)-1-1),
  町人口約7,000人 and スマホ保有率7割 ((1)-2-2), the five Wi-Fi sites ((1)-3-5), 20 and 17 基幹系業務
  ((2)-1-1), 80 テレワーク用端末 ((2)-1-4): 8.
- The plan prints no 実績値: no KPI has actuals.
- Phases: each bar's words, as printed in the cell (the 主な取組 of the row is the activity): every phase is a
  whole cell of a 主な取組 table (checked by hand; listed in ``PRINTED_BARS``).
- Departments: the 担当 in parentheses name 課 without a lead; (1)-3-1 names three: joint, none is lead.
- Dates: 「令和6年2月策定」 and 「令和5年12月時点」 (L486) are months.
"""

from __future__ import annotations

import datetime
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.plans.helpers import depth_of as depth
from yakusho.plans.planfile.schema import PlanFile

PLAN_PATH = Path(__file__).resolve().parents[2] / "data" / "plans" / "oe-2024.yaml"


@pytest.fixture(scope="module")
def plan() -> PlanFile:
    with PLAN_PATH.open(encoding="utf-8") as f:
        return PlanFile.model_validate(yaml.safe_load(f))


def node(plan: PlanFile, code: str):
    (found,) = [n for n in plan.nodes if n.code == code]
    return found


def kpi(plan: PlanFile, key: str):
    (found,) = [k for k in plan.kpis if k.key == key]
    return found


def test_header(plan: PlanFile) -> None:
    assert plan.municipality == "063240"
    assert plan.title == "大江町DX推進計画"
    assert (plan.first_year, plan.last_year) == (2024, 2029)
    assert plan.level_labels == ["基本目標", "施策分野", "具体的施策"]
    assert plan.adopted_on == "2024-02" and plan.edition.date == "2024-02"  # 令和6年2月策定: a month
    assert plan.national_framework is None
    assert "政策推進課を事務局とした大江町DX推進検討委員会" in plan.governance
    assert "第10次大江町総合計画" in plan.position


def test_node_counts(plan: PlanFile) -> None:
    counts = Counter(depth(plan, n.key) for n in plan.nodes)
    assert counts == {1: 3, 2: 7, 3: 33}
    per_area = Counter(n.parent for n in plan.nodes if depth(plan, n.key) == 3)
    assert [per_area[k] for k in ("g1-f1", "g1-f2", "g1-f3", "g2-f1", "g2-f2", "g3-f1", "g3-f2")] == [
        7,
        4,
        5,
        10,
        1,
        4,
        2,
    ]


def test_codes_and_titles(plan: PlanFile) -> None:
    assert node(plan, "(1)").title == "デジタル技術を活用した町民サービスの向上・地域活性化"
    assert node(plan, "(2)-2").title == "情報システムの最適化"
    assert node(plan, "(1)-2-2").title == "SNSの有効活用"
    assert node(plan, "(2)-1-10").title == "校務支援システムの導入"
    assert node(plan, "(3)-2-2").title == "ICTリテラシーの向上"
    assert node(plan, "(1)-1-7").title == "学校図書等の蔵書管理システムの一元化"


def test_departments(plan: PlanFile) -> None:
    elderly = node(plan, "(1)-3-1")
    assert [(d.name, d.lead) for d in elderly.departments] == [
        ("総務課", False),
        ("健康福祉課", False),
        ("教育文化課", False),
    ]
    assert not any(d.lead for n in plan.nodes for d in n.departments)  # the plan marks no lead
    assert node(plan, "(1)-2-4").departments[0].name == "議会事務局"
    assert node(plan, "(2)-1-1").department_note == "各担当課"
    assert node(plan, "(1)-1-5").departments[0].name == "税務町民課"


def test_lists_transcribed(plan: PlanFile) -> None:
    """The plan's printed lists are kept as data (lists with columns and rows), not as text."""
    online, planned = node(plan, "(1)-1-1").lists
    assert sum("健康福祉課" in row for row in online.rows) == 26
    assert any("①罹（り）災証明書の発行申請" in cell for row in online.rows for cell in row)
    assert ["地域振興課", "空き家バンク利用登録申請"] in planned.rows
    (cashless,) = node(plan, "(1)-1-4").lists
    marks = [cell for row in cashless.rows for cell in row]
    assert (marks.count("○"), marks.count("×")) == (7, 10)
    assert ["⑰印鑑登録"] in node(plan, "(2)-1-1").lists[0].rows
    assert all(len(row) == len(lst.columns) for n in plan.nodes for lst in n.lists for row in lst.rows)


def test_kpis(plan: PlanFile) -> None:
    assert len(plan.kpis) == 25
    assert sum(k.direction == "qualitative" for k in plan.kpis) == 3
    assert all(not k.actuals for k in plan.kpis)
    line = kpi(plan, "kpi-line-friends")
    assert line.baseline.value == Decimal("569")
    assert line.baseline.note == "令和6年2月1日現在"
    assert line.baseline.date == datetime.date(2024, 2, 1)  # a day
    telework = kpi(plan, "kpi-telework-rate").baseline
    assert (telework.date, telework.note) == ("2023-12", "令和5年12月時点")  # a month
    assert line.targets[-1].value == Decimal("4900")
    reprints = [k for k in plan.kpis if k.reprint_of]
    assert [(k.node, k.reprint_of) for k in reprints] == [("g1-f1-m3", "kpi-counter-certificates")]
    assert kpi(plan, "kpi-mynumber-rate").baseline.value == Decimal("88.0")
    costs = kpi(plan, "kpi-system-costs")
    assert (costs.baseline.fiscal_year, costs.baseline.value) == (2021, Decimal("56736"))
    assert costs.targets[0].value == Decimal("39715")
    assert kpi(plan, "kpi-genai").targets[0].text == "各係1 IDによる業務への活用"
    classes = kpi(plan, "kpi-smartphone-class")
    assert [(t.fiscal_year, t.value) for t in classes.targets] == [(y, Decimal(5)) for y in range(2024, 2030)]
    assert classes.unit == "回/年"


def test_schedule(plan: PlanFile) -> None:
    assert len(plan.schedule) == 44
    rows = {(s.node, s.activity, s.phase): (s.first_year, s.last_year) for s in plan.schedule}
    assert len(rows) == 43  # the two 実施 bars of (2)-1-3 share node, activity and phase
    assert rows[("g1-f1-m6", "来庁予約受付システムの導入", "オンライン予約受付開始")] == (2026, 2029)
    assert rows[("g2-f1-m2", "公会計システムの電子決裁の導入", "構築")] == (2024, 2024)
    assert rows[("g2-f1-m2", "文書管理システムの導入", "構築")] == (2029, 2029)
    assert rows[("g2-f1-m2", "文書管理システムの導入", "導入に向けた検討")] == (2024, 2028)
    assert rows[("g2-f1-m1", "基幹システム標準準拠システムへの移行", "ガバメントクラウド移行")] == (
        2026,
        2026,
    )
    assert rows[
        ("g1-f2-m2", "LINE機能拡張の導入 (住民通報・オンライン手続き・チャットボット・施設予約)", "順次拡張")
    ] == (2025, 2029)
    reiki = sorted((s.first_year, s.last_year) for s in plan.schedule if s.node == "g2-f1-m3")
    assert reiki == [(2026, 2026), (2029, 2029)]
    assert {s.phase for s in plan.schedule} == PRINTED_BARS


#: the words printed in the bars of the 主な取組 tables (L90–686), typed from the seed
PRINTED_BARS = {
    "順次構築",
    "キャッシュレス決済等の導入に向けた検討・順次導入",
    "電子化作業・導入",
    "交付・運用開始",
    "検討",
    "導入",
    "オンライン予約受付開始",
    "構築",
    "小中学校3校図書室蔵書管理システムの運用",
    "町立図書館との一元化の検討及び導入",
    "情報提供の充実",
    "順次拡張",
    "毎年5回のスマホ教室の開催",
    "補助事業の情報提供や活用支援",
    "更新",
    "活用",
    "BPR",
    "ガバメントクラウド移行",
    "運用開始",
    "導入に向けた検討",
    "実施",
    "テレワークの本格運用に伴う実施率の増",
    "本格運用開始",
    "導入に向けた検討継続",
    "導入箇所数を順次増加しながら検証、分析、本格導入に向けた検討",
    "システム選定も含めた導入検討継続",
    "運用",
    "連携システムのBPR",
    "検証",
    "システム導入、運用",
    "全職員向けセキュリティ研修の実施",
    "DX推進検討委員及び全職員への研修",
}


def test_observations_and_glossary(plan: PlanFile) -> None:
    assert len(plan.observations) == 8
    assert len(plan.glossary) == 49
    terms = {t.term: t for t in plan.glossary}
    assert terms["eLTAX"].reading == "エルタックス"
    assert terms["ワンオペレーション"].definition.startswith("作業の効率化や人件費削減を目的として")
    assert "約1.4倍" in terms["Wi-Fi 6"].definition
