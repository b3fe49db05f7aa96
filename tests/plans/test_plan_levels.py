"""A node's level in revisions and between editions: what a node is among the plan's levels (村上市's
取組事項 straight under a 重点項目), kept when it moves, checked when it changes, shown by the diff; the
edition's month-only date carried into a new edition."""

from __future__ import annotations

import re
from datetime import date

import pytest

from tests.plans.helpers import PLANS
from yakusho.plans.models import DatePrecision, Node, Plan
from yakusho.plans.planfile.export import export_edition
from yakusho.plans.planfile.importer import import_file
from yakusho.plans.revision import editing as revision
from yakusho.plans.revision.diff import diff
from yakusho.plans.revision.editions import RevisionError
from yakusho.plans.revision.forms import NodeForm

pytestmark = pytest.mark.django_db


@pytest.fixture
def murakami(demo) -> Plan:
    import_file(PLANS / "murakami-2022-2.3.yaml")
    return Plan.objects.select_related("current_edition").get(key="murakami-dx")


@pytest.fixture
def draft(murakami: Plan):
    return revision.new_edition(murakami, "2.4", date(2024, 10, 1))


def node(edition, key: str) -> Node:
    return Node.objects.select_related("edition", "parent").get(edition=edition, key=key)


def test_a_new_edition_keeps_levels_and_the_month_of_the_old_one(murakami: Plan, draft) -> None:
    assert (node(draft, "g1-awareness").depth, node(draft, "g1-awareness").level) == (2, 3)
    assert draft.date_precision == DatePrecision.DAY  # the new edition's date is a day
    history = {e["number"]: e["date"] for e in export_edition(draft)["editions"]}
    assert history == {"1.0": "2022-03", "2.0": "2023-03", "2.3": "2024-07", "2.4": date(2024, 10, 1)}
    with pytest.raises(RevisionError, match=re.escape("現行版（第2.3版、令和6年7月）")):
        revision.new_edition(murakami, "2.5", date(2024, 1, 1))


def test_a_new_node_is_by_default_the_level_below_its_parent(draft) -> None:
    under_top = revision.add_node(draft, parent=node(draft, "g1"), title="人材の確保")
    assert (under_top.depth, under_top.level) == (2, 2)
    named = revision.add_node(draft, parent=node(draft, "g1"), title="研修計画", level=3)
    assert (named.depth, named.level) == (2, 3)
    with pytest.raises(RevisionError, match="親の項目より下の区分") as exc:
        revision.add_node(draft, parent=node(draft, "g2-f1"), title="区分と同じ", level=2)
    assert exc.value.field == "level"
    with pytest.raises(RevisionError, match="3段"):
        revision.add_node(draft, parent=node(draft, "g1-awareness"), title="取組事項の下")


def test_changing_a_level_is_checked_against_parent_and_children(draft) -> None:
    revision.update_node(node(draft, "g1-awareness"), level=2)
    assert node(draft, "g1-awareness").level == 2
    with pytest.raises(RevisionError, match="下位の項目より上の区分"):
        revision.update_node(node(draft, "g2-f1"), level=3)  # its 取組事項 are level 3
    with pytest.raises(RevisionError, match="親の項目より下の区分"):
        revision.update_node(node(draft, "g2-f1-online"), level=2)  # under a 区分
    assert node(draft, "g2-f1-online").level == 3


def test_a_moved_node_stays_what_it_is(draft) -> None:
    # a 取組事項 moved straight under a 重点項目 is still a 取組事項 (not a 区分 because of its depth)
    moved = revision.move_node(node(draft, "g2-f1-online"), node(draft, "g1"), "③")
    assert (moved.depth, node(draft, "g2-f1-online").level) == (2, 3)
    # and back under a 区分, as before
    revision.move_node(node(draft, "g1-awareness"), node(draft, "g2-f1"), "⑨")
    assert (node(draft, "g1-awareness").depth, node(draft, "g1-awareness").level) == (3, 3)
    # a 区分 with 取組事項 under it cannot go under another 区分: they would be deeper than the plan's levels
    with pytest.raises(RevisionError, match="3段"):
        revision.move_node(node(draft, "g2-f1"), node(draft, "g2-f2"))
    assert node(draft, "g2-f1").parent.key == "g2"  # type: ignore[union-attr]


def test_a_node_moved_under_its_own_level_goes_down_with_its_children(demo, plan_from) -> None:
    edition = plan_from(
        {
            "format": "yakusho-plan/1",
            "municipality": "063240",
            "key": "four",
            "title": "四段の計画",
            "kind": "計画",
            "first_year": 2026,
            "last_year": 2029,
            "edition": {"number": "1.0", "date": "2026-04"},
            "level_labels": ["目標", "分野", "施策", "事業"],
            "nodes": [
                {"key": "a", "title": "目標A"},
                {"key": "a1", "parent": "a", "title": "分野A1"},
                {"key": "b", "title": "目標B"},
                {"key": "b1", "parent": "b", "title": "分野B1"},
                {"key": "b1x", "parent": "b1", "title": "施策B1X"},
            ],
        }
    ).edition
    draft = revision.new_edition(edition.plan, "2.0", date(2026, 5, 1))
    assert export_edition(draft)["editions"] == [  # the old edition's month stays a month
        {"number": "1.0", "date": "2026-04"},
        {"number": "2.0", "date": date(2026, 5, 1)},
    ]
    revision.move_node(node(draft, "b1"), node(draft, "a1"))  # a 分野 under a 分野: becomes a 施策
    assert {k: node(draft, k).level for k in ("b1", "b1x")} == {"b1": 3, "b1x": 4}


def test_the_diff_shows_a_changed_level(murakami: Plan, draft) -> None:
    revision.update_node(node(draft, "g1-awareness"), level=2)
    d = diff(murakami.current_edition, draft)  # type: ignore[arg-type]
    [change] = d.rewritten
    assert change.key == "g1-awareness"
    assert [(t.label, t.old, t.new) for t in change.texts] == [("区分", "取組事項", "区分")]
    assert (change.old.level, change.new.level) == (3, 2)


def test_the_node_form_offers_the_plans_levels(draft) -> None:
    form = NodeForm(edition=draft, new=True)
    assert list(form.fields["level"].choices) == [("", "—"), (1, "重点項目"), (2, "区分"), (3, "取組事項")]  # type: ignore[attr-defined]
    filled = NodeForm(
        {"title": "研修", "level": "3", "parent": node(draft, "g1").pk}, edition=draft, new=True
    )
    assert filled.is_valid(), filled.errors
    assert filled.cleaned_data["level"] == 3
    empty = NodeForm({"title": "研修"}, edition=draft, new=True)
    assert empty.is_valid() and empty.cleaned_data["level"] is None
