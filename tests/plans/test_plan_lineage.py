"""Review settings and lineage of a plan (issue 17): the plan-file blocks ``review`` (period, what is
graded, the grading scale), ``predecessor``, a node's ``continues`` and ``closing_review``; their round
trip, refused input with the line it concerns, and the pages that link a plan and its nodes to the plans
before and after them both ways, and show its closing reviews (総括)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from django.test import Client
from django.urls import reverse

from tests.plans.helpers import load
from yakusho.plans.demo.synthetic import generate
from yakusho.plans.models import (
    ClosingReview,
    DatePrecision,
    GradedItem,
    GradingScale,
    NodeContinuation,
    Plan,
    PlanEdition,
    ReviewGrade,
    ReviewPeriod,
)
from yakusho.plans.planfile.export import export_edition
from yakusho.plans.planfile.files import PlanFileInvalid, canonical, read
from yakusho.plans.planfile.importer import import_file
from yakusho.plans.planfile.schema import PlanFile

pytestmark = pytest.mark.django_db

SCALE = {
    "name": "3段階",
    "levels": [
        {"code": "A", "label": "順調", "description": "計画どおり進んでいる"},
        {"code": "B", "label": "やや遅れ"},
        {"code": "C", "label": "遅れ"},
    ],
}


def small(key: str = "test", number: str = "1.0", first_year: int = 2024, **overrides: Any) -> dict[str, Any]:
    data = generate("063240", nodes=6, kpis=3, years=3, first_year=first_year, levels=2, seed=3, key=key)
    data["edition"] = {"number": number, "date": f"{first_year}-04-01"}
    data.update(overrides)
    return data


def write(tmp_path: Path, data: dict[str, Any], name: str | None = None) -> Path:
    path = tmp_path / (name or f"{data['key']}-{data['edition']['number']}.yaml")
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(PlanFileInvalid) as info:
        import_file(path)
    return [str(e) for e in info.value.errors]


def line_of(path: Path, text: str) -> int:
    return next(i for i, line in enumerate(path.read_text("utf-8").splitlines(), 1) if text in line)


def round_trips(path: Path, edition: PlanEdition) -> bool:
    return canonical(PlanFile.model_validate(export_edition(edition))) == canonical(read(path)[0])


# --- review settings ------------------------------------------------------------------------------


def test_review_settings_round_trip(demo, tmp_path: Path) -> None:
    path = write(tmp_path, small(review={"period": "half", "graded": "kpi", "scale": SCALE}))
    edition = import_file(path).edition
    assert (edition.review_period, edition.graded) == (ReviewPeriod.HALF, GradedItem.KPI)
    scale = edition.grading_scale
    assert scale is not None and scale.name == "3段階" and scale.plan_id == edition.plan_id
    assert [(g.code, g.label, g.description) for g in scale.levels.order_by("order")] == [
        ("A", "順調", "計画どおり進んでいる"),
        ("B", "やや遅れ", ""),
        ("C", "遅れ", ""),
    ]
    assert export_edition(edition)["review"] == {"period": "half", "graded": "kpi", "scale": SCALE}
    assert round_trips(path, edition)


def test_without_review_the_defaults_hold(demo, tmp_path: Path) -> None:
    path = write(tmp_path, small())
    edition = import_file(path).edition
    assert (edition.review_period, edition.graded, edition.grading_scale) == ("year", "department", None)
    assert "review" not in export_edition(edition)
    assert round_trips(path, edition)


def test_a_later_edition_reuses_the_scale_of_the_same_name_and_levels(demo, tmp_path: Path) -> None:
    first = import_file(write(tmp_path, small(review={"scale": SCALE}))).edition
    second = import_file(write(tmp_path, small(number="2.0", review={"scale": SCALE}))).edition
    assert first.grading_scale_id == second.grading_scale_id
    assert GradingScale.objects.count() == 1 and ReviewGrade.objects.count() == 3


def test_a_scale_name_reused_with_other_levels_is_refused(demo, tmp_path: Path) -> None:
    import_file(write(tmp_path, small(review={"scale": SCALE})))
    other = {"name": "3段階", "levels": [{"code": "◎", "label": "達成"}, {"code": "△", "label": "未達成"}]}
    path = write(tmp_path, small(number="2.0", review={"scale": other}))
    [message] = errors_of(path)
    assert message == (
        f"test-2.0.yaml:{line_of(path, 'name: 3段階')} review.scale.name: "
        "評価の段階「3段階」はこの計画にすでに別の区分で登録されています。"
        "使われた段階は書き換えないため、新しい名称を付けてください"
        " (a scale of this name is stored with other levels; scales are never rewritten:"
        " give the new levels a new name)"
    )
    assert PlanEdition.objects.count() == 1 and GradingScale.objects.count() == 1
    assert ReviewGrade.objects.count() == 3


def test_a_retired_scale_is_refused(demo, tmp_path: Path) -> None:
    import_file(write(tmp_path, small(review={"scale": SCALE})))
    GradingScale.objects.update(retired=True)
    [message] = errors_of(write(tmp_path, small(number="2.0", review={"scale": SCALE})))
    assert "review.scale.name: 評価の段階「3段階」は使用終了になっています" in message
    assert PlanEdition.objects.count() == 1


@pytest.mark.parametrize(
    ("review", "expected"),
    [
        (
            {"period": "monthly"},
            "review.period: 「monthly」は使えません（使える値：'year', 'half' or 'quarter'）",
        ),
        ({"graded": "person"}, "review.graded: 「person」は使えません"),
        (
            {"scale": {"name": "x", "levels": [{"code": "A", "label": "a"}, {"code": "A", "label": "b"}]}},
            "review.scale.levels[1].code: 記号 A が重複しています (duplicate code)",
        ),
        ({"scale": {"name": "x", "levels": [{"code": "ABCDE", "label": "a"}]}}, "review.scale.levels"),
    ],
)
def test_bad_review_settings_are_refused(demo, tmp_path: Path, review: dict[str, Any], expected: str) -> None:
    path = write(tmp_path, small(review=review))
    messages = errors_of(path)
    assert any(m.startswith("test-1.0.yaml:") and expected in m for m in messages), messages
    first = next(m for m in messages if expected in m)
    assert int(first.split(":")[1].split(" ")[0]) >= line_of(path, "review:")
    assert not Plan.objects.exists() and not GradingScale.objects.exists()


# --- lineage ----------------------------------------------------------------------------------------


def successor(**overrides: Any) -> dict[str, Any]:
    """第2期 of plan ``first``: n2-0 carries on n2-0 and n2-1 of the first; the first two reviews of its
    own (the whole and one node) are given."""
    data = small("second", first_year=2027, predecessor={"key": "first"})
    data["nodes"][1]["continues"] = ["n2-0", "n2-1"]
    data["closing_review"] = [
        {"text": "第2期の総括です。", "date": "2030-03", "source": "第3期計画 1章"},
        {"node": "n2-0", "title": "オンライン化", "text": "手続の8割をオンライン化した。"},
    ]
    data.update(overrides)
    return data


@pytest.fixture
def first(demo, tmp_path: Path) -> PlanEdition:
    return import_file(write(tmp_path, small("first"))).edition


def test_a_plan_follows_a_held_plan_and_carries_its_nodes_on(first: PlanEdition, tmp_path: Path) -> None:
    path = write(tmp_path, successor())
    edition = import_file(path).edition
    plan = edition.plan
    assert plan.predecessor_id == first.plan_id and plan.predecessor_title == ""
    assert list(first.plan.successors.all()) == [plan]
    assert list(
        NodeContinuation.objects.filter(plan=plan).order_by("pk").values_list("node_key", "previous_node_key")
    ) == [("n2-0", "n2-0"), ("n2-0", "n2-1")]
    reviews = list(ClosingReview.objects.filter(plan=plan).order_by("order"))
    assert [(r.node_key, r.title, r.text) for r in reviews] == [
        ("", "", "第2期の総括です。"),
        ("n2-0", "オンライン化", "手続の8割をオンライン化した。"),
    ]
    assert reviews[0].date_precision == DatePrecision.MONTH and reviews[0].source == "第3期計画 1章"
    exported = export_edition(edition)
    assert exported["predecessor"] == {"key": "first"}
    assert exported["nodes"][1]["continues"] == ["n2-0", "n2-1"]
    assert exported["closing_review"][0] == {
        "text": "第2期の総括です。",
        "date": "2030-03",
        "source": "第3期計画 1章",
    }
    assert round_trips(path, edition)


def test_a_previous_plan_not_held_and_its_printed_review(demo, tmp_path: Path) -> None:
    data = small(predecessor={"title": "第1期DX推進計画"})
    data["closing_review"] = [
        {
            "of": "第1期DX推進計画",
            "title": "持続可能な行政運営",
            "text": "| 取組 | 課題 |\n|---|---|\n| a | b |\n",
        },
        {"of": "第1期DX推進計画", "title": "市民サービスの向上", "text": "周知が課題。"},
    ]
    path = write(tmp_path, data)
    edition = import_file(path).edition
    assert edition.plan.predecessor is None and edition.plan.predecessor_title == "第1期DX推進計画"
    assert list(ClosingReview.objects.values_list("reviewed_plan_title", "title")) == [
        ("第1期DX推進計画", "持続可能な行政運営"),
        ("第1期DX推進計画", "市民サービスの向上"),
    ]
    assert export_edition(edition)["predecessor"] == {"title": "第1期DX推進計画"}
    assert round_trips(path, edition)


def test_an_unknown_continued_node_is_refused_naming_the_line(first: PlanEdition, tmp_path: Path) -> None:
    data = successor()
    data["nodes"][1]["continues"] = ["n2-0", "n9-9"]
    path = write(tmp_path, data)
    [message] = errors_of(path)
    assert message == (
        f"second-1.0.yaml:{line_of(path, '- n9-9')} nodes[1].continues[1]: "
        "前の計画（first）に項目 n9-9 がありません (no such node in the previous plan)"
    )
    assert not Plan.objects.filter(key="second").exists() and not NodeContinuation.objects.exists()
    assert not ClosingReview.objects.exists()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("unknown_plan", "predecessor.key: 大江町に計画 nothing がありません"),
        ("itself", "predecessor.key: 自分自身を前の計画にはできません"),
        ("both", "predecessor: 前の計画は key（Yakusho にある計画のキー）か title"),
        (
            "continues_without_key",
            "nodes[1].continues: continues は、前の計画を predecessor の key で指定したとき",
        ),
        ("unknown_review_node", "closing_review[1].node: 項目 n9-9 がありません (no such node)"),
        ("of_with_node", "closing_review[1].node: of（前の計画の総括）には node を書けません"),
        ("duplicate_review", "closing_review[1].title: 同じ計画・項目・表題の総括が重複しています"),
        ("bad_date", "closing_review[0].date: 日付（YYYY-MM-DD）か、月までの日付（YYYY-MM）で書いてください"),
    ],
)
def test_bad_lineage_is_refused(first: PlanEdition, tmp_path: Path, change: str, expected: str) -> None:
    data = successor()
    if change == "unknown_plan":
        data["predecessor"] = {"key": "nothing"}
        data["nodes"][1]["continues"] = []
    elif change == "itself":
        data["predecessor"] = {"key": "second"}
        data["nodes"][1]["continues"] = []
    elif change == "both":
        data["predecessor"] = {"key": "first", "title": "第1期"}
    elif change == "continues_without_key":
        data["predecessor"] = {"title": "第1期"}
    elif change == "unknown_review_node":
        data["closing_review"][1]["node"] = "n9-9"
    elif change == "of_with_node":
        data["closing_review"][1]["of"] = "第1期"
    elif change == "duplicate_review":
        data["closing_review"][1] = dict(data["closing_review"][0])
    elif change == "bad_date":
        data["closing_review"][0]["date"] = "令和12年3月"
    path = write(tmp_path, data)
    messages = errors_of(path)
    assert len(messages) == 1 and expected in messages[0], messages
    line = int(messages[0].split(":")[1].split(" ")[0])
    where = expected.split(":")[0]
    assert line > 1 and ("closing_review" not in where or line > line_of(path, "closing_review:"))
    assert not Plan.objects.filter(key="second").exists()


def test_a_circle_of_plans_is_refused(first: PlanEdition, tmp_path: Path) -> None:
    import_file(write(tmp_path, successor()))
    again = small("first", number="2.0", predecessor={"key": "second"})
    [message] = errors_of(write(tmp_path, again))
    assert "predecessor.key: 計画 second はこの計画の後の計画です（前後が循環します）" in message
    assert first.plan.editions.count() == 1


def test_lineage_follows_the_current_edition(first: PlanEdition, tmp_path: Path) -> None:
    """The plan's lineage comes from the file of its current edition; an older edition leaves it."""
    import_file(write(tmp_path, successor(edition={"number": "2.0", "date": "2028-04-01"})))
    older = successor(edition={"number": "1.0", "date": "2027-04-01"}, predecessor={"title": "別の計画"})
    older["nodes"][1]["continues"] = []
    older["closing_review"] = []
    import_file(write(tmp_path, older))
    plan = Plan.objects.get(key="second")
    assert plan.current_edition is not None and plan.current_edition.number == "2.0"
    assert plan.predecessor_id == first.plan_id and NodeContinuation.objects.filter(plan=plan).count() == 2
    newer = successor(edition={"number": "3.0", "date": "2029-04-01"}, predecessor={"title": "別の計画"})
    newer["nodes"][1]["continues"] = []
    newer["closing_review"] = [{"text": "改めた総括。"}]
    import_file(write(tmp_path, newer))
    plan.refresh_from_db()
    assert plan.predecessor_id is None and plan.predecessor_title == "別の計画"
    assert not NodeContinuation.objects.filter(plan=plan).exists()
    assert list(ClosingReview.objects.filter(plan=plan).values_list("text", flat=True)) == ["改めた総括。"]


# --- pages --------------------------------------------------------------------------------------------


@pytest.fixture
def lineage(first: PlanEdition, tmp_path: Path) -> PlanEdition:
    return import_file(write(tmp_path, successor())).edition


def test_overviews_link_the_plans_both_ways(lineage: PlanEdition, client: Client) -> None:
    later = client.get(reverse("plans:overview", args=["oe", "second"])).content.decode()
    assert "前の計画" in later and f'href="{reverse("plans:overview", args=["oe", "first"])}"' in later
    earlier = client.get(reverse("plans:overview", args=["oe", "first"])).content.decode()
    assert "次の計画" in earlier and f'href="{reverse("plans:overview", args=["oe", "second"])}"' in earlier
    assert f'href="{reverse("plans:closing_review", args=["oe", "second"])}"' in later
    assert "総括（2件）を見る" in later


def test_node_pages_link_the_continued_nodes_both_ways(lineage: PlanEdition, client: Client) -> None:
    later = client.get(reverse("plans:node", args=["oe", "second", "n2-0"])).content.decode()
    assert "前の計画から継続" in later
    for key in ("n2-0", "n2-1"):
        assert f'href="{reverse("plans:node", args=["oe", "first", key])}"' in later
    for key in ("n2-0", "n2-1"):
        earlier = client.get(reverse("plans:node", args=["oe", "first", key])).content.decode()
        assert "次の計画に継続" in earlier
        assert f'href="{reverse("plans:node", args=["oe", "second", "n2-0"])}"' in earlier
    other = client.get(reverse("plans:node", args=["oe", "first", "n2-2"])).content.decode()
    assert "次の計画に継続" not in other


def test_an_unpublished_successor_is_not_linked_for_residents(lineage: PlanEdition, client: Client) -> None:
    Plan.objects.filter(key="second").update(published=False)
    earlier = client.get(reverse("plans:overview", args=["oe", "first"])).content.decode()
    node = client.get(reverse("plans:node", args=["oe", "first", "n2-0"])).content.decode()
    for page in (earlier, node):
        assert reverse("plans:overview", args=["oe", "second"]) not in page and "次の計画" not in page


def test_the_closing_review_page(lineage: PlanEdition, client: Client) -> None:
    page = client.get(reverse("plans:closing_review", args=["oe", "second"])).content.decode()
    assert "第2期の総括です。" in page and "令和12年3月" in page and "出典：第3期計画 1章" in page
    assert "手続の8割をオンライン化した。" in page
    assert f'href="{reverse("plans:node", args=["oe", "second", "n2-0"])}"' in page
    empty = client.get(reverse("plans:closing_review", args=["oe", "first"])).content.decode()
    assert "この計画の総括はまだありません。" in empty


def test_katagami_prints_the_review_of_its_previous_plan() -> None:
    """Seed 000 L86–104: the table 基本方針 | 取組 | 課題 of 「潟上市DX推進計画」 (令和5年4月, L37)."""
    plan = load("katagami-2026.yaml")
    assert plan.predecessor is not None and plan.predecessor.title == "潟上市DX推進計画"
    assert plan.predecessor.key is None
    assert [(r.of, r.title) for r in plan.closing_review] == [
        ("潟上市DX推進計画", "持続可能な行政運営"),
        ("潟上市DX推進計画", "市民サービスの向上"),
        ("潟上市DX推進計画", "新たな価値の創出"),
    ]
    rows = [r.text.count("\n| (") for r in plan.closing_review]
    assert rows == [7, 7, 5]  # 取組 (1)–(7), (1)–(7), (1)–(5): 19
    assert (
        "| (1) 庁内業務のデジタル化（ペーパーレス化） | (1) システム導入に向けた業務プロセスの洗い出し。 |"
        in (plan.closing_review[0].text)
    )
    assert all(s.title != "これまでの取組と課題" for s in plan.sections)  # not printed twice


def test_katagami_pages_show_the_previous_plan_and_its_review(demo_with_plans, client: Client) -> None:
    overview = client.get(reverse("plans:overview", args=["katagami", "katagami-dx"])).content.decode()
    assert "潟上市DX推進計画（このサイトには登録されていません）" in overview
    page = client.get(reverse("plans:closing_review", args=["katagami", "katagami-dx"])).content.decode()
    assert "潟上市DX推進計画の総括" in page and "持続可能な行政運営" in page
    assert "<td>(7) BPR※3の取組の推進</td>" in page


def test_the_plan_list_names_each_plans_predecessor(
    lineage: PlanEdition, client: Client, django_capture_on_commit_callbacks: Any
) -> None:
    page = client.get(reverse("plans:list", args=["oe"])).content.decode()
    cards = [
        page.index(f'<h2 class="card-title"><a href="/m/oe/plans/{key}/">') for key in ("second", "first")
    ]
    assert cards[0] < cards[1]  # the newer plan first
    assert f'前の計画：<a href="{reverse("plans:overview", args=["oe", "first"])}">' in page
    first = Plan.objects.get(municipality__slug="oe", key="first")
    first.published = False
    with django_capture_on_commit_callbacks(execute=True):  # the kept page follows the change
        first.save()
    page = client.get(reverse("plans:list", args=["oe"])).content.decode()
    assert "/m/oe/plans/first/" not in page and "前の計画" not in page
