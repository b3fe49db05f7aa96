"""Plan revision: a faithful copy, edits on drafts only, adoption, the difference between editions
(on 村上市's real 第2.0版 and 第2.3版), history that follows keys, pages and their query counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.plans.helpers import PLANS
from yakusho.core.models import Consortium, Department, Municipality, Role
from yakusho.plans.models import (
    GlossaryTerm,
    JointGoal,
    JointGoalLink,
    Kpi,
    KpiActual,
    KpiTarget,
    Node,
    NodeDepartment,
    NodeReview,
    Observation,
    Plan,
    PlanEdition,
    ScheduleEntry,
)
from yakusho.plans.planfile.export import export_edition
from yakusho.plans.planfile.files import PlanFileInvalid
from yakusho.plans.planfile.importer import _set_current, import_file
from yakusho.plans.review.services import open_cycle
from yakusho.plans.revision import editing as revision
from yakusho.plans.revision.diff import diff, inline_diff
from yakusho.plans.revision.editing import TargetInput
from yakusho.plans.revision.editions import RevisionError, is_draft

pytestmark = pytest.mark.django_db


@pytest.fixture
def murakami(demo) -> Plan:
    """村上市's plan with its two real editions, 第2.0版 and 第2.3版 (current)."""
    import_file(PLANS / "murakami-2022-2.0.yaml")
    import_file(PLANS / "murakami-2022-2.3.yaml")
    return Plan.objects.select_related("current_edition").get(key="murakami-dx")


def _counts(edition: PlanEdition) -> dict[str, int]:
    return {
        "nodes": Node.objects.filter(edition=edition).count(),
        "departments": NodeDepartment.objects.filter(node__edition=edition).count(),
        "items": Node.national_items.through.objects.filter(node__edition=edition).count(),
        "schedule": ScheduleEntry.objects.filter(node__edition=edition).count(),
        "kpis": Kpi.objects.filter(edition=edition).count(),
        "targets": KpiTarget.objects.filter(kpi__edition=edition).count(),
        "actuals": KpiActual.objects.filter(kpi__edition=edition).count(),
        "observations": Observation.objects.filter(edition=edition).count(),
        "glossary": GlossaryTerm.objects.filter(edition=edition).count(),
    }


def _body(data: dict[str, Any]) -> dict[str, Any]:
    """A plan file without its edition header (number, date, note, history and title)."""
    return {k: v for k, v in data.items() if k not in {"edition", "editions", "title"}}


# --- the copy --------------------------------------------------------------------------------


def test_copy_of_murakami_is_faithful(murakami: Plan) -> None:
    source = murakami.current_edition
    assert source is not None
    draft = revision.new_edition(murakami, "2.4", date(2024, 10, 1), "試験の改訂")
    assert is_draft(draft) and draft.draft and draft.digest == ""
    assert _counts(draft) == _counts(source)
    assert _counts(draft)["nodes"] == 33 and _counts(draft)["glossary"] == 28
    assert set(draft.nodes.values_list("key", flat=True)) == set(source.nodes.values_list("key", flat=True))
    copied, original = export_edition(draft), export_edition(source)
    assert _body(copied) == _body(original)
    assert copied["edition"] == {"number": "2.4", "date": date(2024, 10, 1), "note": "試験の改訂"}
    assert [e["number"] for e in copied["editions"]] == ["1.0", "2.0", "2.3", "2.4"]
    assert "【第2.4版】" in draft.title and "第2.3版" not in draft.title
    murakami.refresh_from_db()
    assert murakami.current_edition_id == source.pk  # a draft is not current


def test_copy_keeps_kpis_targets_actuals_and_reprints(demo, synthetic_plan) -> None:
    plan = synthetic_plan("oe", "copy", nodes=30, kpis=40, years=10, seed=2).plan
    source = plan.current_edition
    assert source is not None
    first = Kpi.objects.filter(edition=source).order_by("order")
    Kpi.objects.filter(pk=first[1].pk).update(reprint_of=first[0])
    draft = revision.new_edition(plan, "2.0", date(2030, 4, 1))
    assert _counts(draft) == _counts(source)
    assert _body(export_edition(draft)) == _body(export_edition(source))
    reprint = Kpi.objects.get(edition=draft, key=first[1].key)
    assert reprint.reprint_of is not None and reprint.reprint_of.edition_id == draft.pk


def test_copy_is_made_in_bulk_not_row_by_row(demo, synthetic_plan) -> None:
    plan = synthetic_plan("oe", "big", nodes=200, kpis=300, years=10, seed=2).plan
    with CaptureQueriesContext(connection) as queries:
        draft = revision.new_edition(plan, "2.0", date(2030, 4, 1))
    rows = sum(_counts(draft).values())
    assert rows > 3000 and len(queries) < rows / 50, (len(queries), rows)


@pytest.mark.parametrize("number", ["2.3", "２．３", "第2.0版"])
def test_a_number_already_used_is_refused(murakami: Plan, number: str) -> None:
    before = PlanEdition.objects.count()
    with pytest.raises(RevisionError, match="すでにあります") as exc:
        revision.new_edition(murakami, number.removeprefix("第").removesuffix("版"), date(2025, 4, 1))
    assert exc.value.field == "number"
    assert PlanEdition.objects.count() == before


def test_an_edition_older_than_the_current_one_is_refused(murakami: Plan) -> None:
    with pytest.raises(RevisionError, match=r"現行版（第2\.3版"):
        revision.new_edition(murakami, "2.4", date(2024, 1, 1))
    assert not PlanEdition.objects.filter(number="2.4").exists()


# --- editing ---------------------------------------------------------------------------------


def test_current_and_past_editions_are_read_only(murakami: Plan) -> None:
    current = Node.objects.get(edition=murakami.current_edition, key="g1-awareness")
    with pytest.raises(RevisionError, match="現行版のため編集できません"):
        revision.update_node(current, title="書き換え")
    old = Node.objects.get(edition__plan=murakami, edition__number="2.0", key="g1-awareness")
    with pytest.raises(RevisionError, match="過去の版のため編集できません"):
        revision.update_node(old, title="書き換え")
    with pytest.raises(RevisionError, match="現行版"):
        revision.add_node(current.edition, parent=None, title="新しい項目")
    assert Node.objects.filter(key="g1-awareness").values_list("title", flat=True).distinct().count() == 2


def test_edits_on_a_draft_and_their_diff(murakami: Plan) -> None:
    current = murakami.current_edition
    assert current is not None
    draft = revision.new_edition(murakami, "2.4", date(2024, 10, 1))
    node = lambda key: Node.objects.select_related("edition", "parent").get(edition=draft, key=key)  # noqa: E731
    revision.update_node(node("g2-f2-telework"), title="テレワークと働き方改革の推進")
    revision.update_node(node("g3-f3-tourism"), description="観光アプリで周遊を促します。")
    with pytest.raises(RevisionError, match="番号「②」"):
        revision.move_node(node("g3-f1-opendata"), node("g2-f1"))  # ② is 自治体フロントヤード改革 there
    revision.move_node(node("g3-f1-opendata"), node("g2-f1"), "⑤")
    added = revision.add_node(draft, parent=node("g2-f3"), title="情報セキュリティ研修", code="②")
    assert added.key == "g2-f3-1" and added.depth == 3
    revision.remove_node(node("g3-f2-learning"))
    soumu = Department.objects.get(municipality=murakami.municipality, name="総務課")
    kpi = revision.save_kpi(
        draft,
        None,
        node=node("g2-f3"),
        name="研修の受講率",
        unit="%",
        direction=Kpi.Direction.INCREASE,
        accumulation=Kpi.Accumulation.POINT_IN_TIME,
        targets=[TargetInput(2025, Decimal("100"), "100%")],
    )
    revision.update_node(node("g2-f3"), departments=[soumu], lead=soumu)

    # The tree stays a pre-order walk: the moved node sits last under its new parent.
    keys = list(Node.objects.filter(edition=draft).order_by("order").values_list("key", flat=True))
    assert keys.index("g3-f1-opendata") == keys.index("g2-f1-mynumber") + 1
    assert keys.index("g2-f3-1") == keys.index("g2-f3-security") + 1
    assert node("g3-f1-opendata").depth == 3

    d = diff(current, draft)
    assert [n.key for n in d.added] == ["g2-f3-1"]
    assert [n.key for n in d.removed] == ["g3-f2-learning"]
    assert [(c.key, str(c.old_parent), str(c.new_parent)) for c in d.moved] == [
        ("g3-f1-opendata", "(1) 個々のライフスタイルに適応した地域社会の実現", "(1) 便利な行政サービスの提供")
    ]
    assert [c.key for c in d.retitled] == ["g2-f2-telework"]
    assert "<ins>" in d.retitled[0].title_html() and "と働き方改革" in d.retitled[0].title_html()
    assert [c.key for c in d.rewritten] == ["g3-f3-tourism"]
    assert [c.key for c in d.reassigned] == ["g2-f3"]
    assert [k.key for k in d.kpis_added] == [kpi.key]
    assert d.counts["removed"] == 1 and not d.kpis_removed

    revision.save_kpi(
        draft,
        kpi,
        node=kpi.node,
        name="情報セキュリティ研修の受講率",
        unit="%",
        direction=Kpi.Direction.INCREASE,
        accumulation=Kpi.Accumulation.POINT_IN_TIME,
        targets=[TargetInput(2025, Decimal("90"), "90%")],
    )
    assert KpiTarget.objects.get(kpi=kpi).text == "90%"


def test_moving_under_its_own_descendant_is_refused(murakami: Plan) -> None:
    draft = revision.new_edition(murakami, "2.4", date(2024, 10, 1))
    g2 = Node.objects.select_related("edition").get(edition=draft, key="g2")
    below = Node.objects.get(edition=draft, key="g2-f1-online")
    for target in (below, g2):
        with pytest.raises(RevisionError, match="自分自身やその下位の項目") as exc:
            revision.move_node(g2, target)
        assert exc.value.field == "parent"
    g2.refresh_from_db()
    assert g2.parent_id is None and g2.depth == 1


def test_too_deep_and_duplicate_codes_are_refused(murakami: Plan) -> None:
    draft = revision.new_edition(murakami, "2.4", date(2024, 10, 1))
    leaf = Node.objects.select_related("edition").get(edition=draft, key="g2-f1-online")
    with pytest.raises(RevisionError, match="3段"):
        revision.add_node(draft, parent=leaf, title="深すぎる項目")
    with pytest.raises(RevisionError, match="番号「②」"):
        revision.add_node(draft, parent=leaf.parent, title="重複", code="②")
    with pytest.raises(RevisionError, match="下に項目があるため"):
        revision.remove_node(Node.objects.select_related("edition").get(edition=draft, key="g2"))
    assert Node.objects.filter(edition=draft).count() == 33


# --- the difference between 村上市's two real editions ---------------------------------------


def test_diff_of_murakami_2_0_and_2_3(murakami: Plan) -> None:
    old = PlanEdition.objects.get(plan=murakami, number="2.0")
    new = murakami.current_edition
    assert new is not None
    d = diff(old, new)
    assert [n.key for n in d.added] == ["g2-f1-eltax"]
    assert d.added[0].title == "公金収納におけるeLTAXの活用"
    assert [n.key for n in d.removed] == ["g2-f2-meeting"]
    assert not d.moved
    retitled = {c.key: c for c in d.retitled}
    assert set(retitled) == {"g1-awareness", "g2-f1-frontyard", "g2-f2-paperless"}
    assert (retitled["g1-awareness"].old.title, retitled["g1-awareness"].new.title) == (
        "機運醸成",
        "機運醸成と人材育成",
    )
    title = retitled["g1-awareness"].title_html()
    assert (
        "<del>" not in title and "と人材育成" in title and '<span class="visually-hidden">［追加］' in title
    )
    front = retitled["g2-f1-frontyard"].title_html()
    assert "<del>" in front and "窓口サービス" in front and "自治体フロントヤード" in front
    renumbered = {c.key: (c.old.code, c.new.code) for c in d.renumbered}
    assert renumbered == {
        "g2-f1-mynumber": ("③", "④"),
        "g2-f2-paperless": ("⑥", "⑤"),
        "g3-f1-divide": ("④", "①"),
    }
    rewritten = {c.key: c for c in d.rewritten}
    assert {"g1-awareness", "g2-f1-frontyard", "g2-f2-bpr", "g2-f2-ai-rpa", "g3-f1-divide"} <= set(rewritten)
    bpr = rewritten["g2-f2-bpr"].texts[0]
    assert bpr.label == "説明" and "<del>" in bpr.html() and "<ins>" in bpr.html()
    # The national framework changed (jdx2 → jdx3) but items are compared by theme: only real changes.
    reassigned = {c.key: c for c in d.reassigned}
    assert "g2-f1-frontyard" in reassigned and reassigned["g2-f1-frontyard"].items_added
    assert "g2-f2-standardization" not in reassigned
    unchanged = {"g2-f2-standardization", "g2-f2-telework", "g3-f3-tourism", "g2-f1-online", "g1", "g3"}
    assert not unchanged & {c.key for c in d.changes}
    schedule = {(s.node.key, s.kind) for s in d.schedule}
    assert ("g2-f2-meeting", "removed") in schedule and ("g2-f2-paperless", "changed") in schedule
    assert not any(s.node.key == "g2-f2-telework" for s in d.schedule)
    assert [t.label for t in d.glossary] == ["自治体フロントヤード"]
    sections = {t.label: t for t in d.plan_texts}
    issues = sections["章「1.3 本市の課題」"].html()
    assert "<del>" in issues and "区" in issues and "域" in issues
    assert not d.kpis_added and not d.kpis_changed  # 村上市's plan has no KPIs


def test_diff_takes_a_fixed_number_of_queries(demo, synthetic_plan) -> None:
    counts = []
    for key, nodes, kpis in (("small", 10, 10), ("big", 300, 400)):
        plan = synthetic_plan("oe", key, nodes=nodes, kpis=kpis, years=10, seed=2).plan
        draft = revision.new_edition(plan, "2.0", date(2030, 4, 1))
        with CaptureQueriesContext(connection) as queries:
            d = diff(plan.current_edition, draft)
        assert d.empty
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 8, counts


def test_inline_diff_escapes_and_marks_changes() -> None:
    html = inline_diff("<b>古い</b>文章", "<b>新しい</b>文章")
    assert "<b>" not in html and "&lt;b&gt;" in html
    assert "<del>" in html and "<ins>" in html and "文章" in html
    assert inline_diff("同じ", "同じ") == "同じ"


# --- adoption and history --------------------------------------------------------------------


def test_adopt_switches_current_and_old_reviews_stay(murakami: Plan) -> None:
    current = murakami.current_edition
    assert current is not None
    cycle = open_cycle(current, 2024, date(2025, 5, 30))
    reviews = set(cycle.node_reviews.values_list("pk", flat=True))
    draft = revision.new_edition(murakami, "2.4", date(2024, 10, 1))
    result = revision.adopt(draft)
    murakami.refresh_from_db()
    draft.refresh_from_db()
    assert murakami.current_edition_id == draft.pk and result.previous == current
    assert not is_draft(draft) and len(draft.digest) == 64
    cycle.refresh_from_db()
    assert cycle.edition_id == current.pk
    assert set(NodeReview.objects.filter(node__edition=current).values_list("pk", flat=True)) == reviews
    # Now read-only, and re-importing its own export is a no-op.
    with pytest.raises(RevisionError, match="現行版のため"):
        revision.update_node(Node.objects.select_related("edition").get(edition=draft, key="g1"), title="x")
    with pytest.raises(RevisionError, match="作成中の版ではない"):
        revision.adopt(draft)
    # An import never picks a draft, and the old edition stays as it was.
    _set_current(murakami)
    murakami.refresh_from_db()
    assert murakami.current_edition_id == draft.pk


def test_imports_never_make_a_draft_current(murakami: Plan, tmp_path: Path) -> None:
    draft = revision.new_edition(murakami, "2.4", date(2030, 1, 1))
    _set_current(murakami)
    murakami.refresh_from_db()
    assert murakami.current_edition_id != draft.pk
    data = yaml.safe_load((PLANS / "murakami-2022-2.3.yaml").read_text("utf-8"))
    data["edition"]["number"] = "2.4"
    path = tmp_path / "m.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    with pytest.raises(PlanFileInvalid, match="作成中の版"):
        import_file(path)


def test_adopt_carries_actuals_and_joint_goal_links(demo, synthetic_plan) -> None:
    plan = synthetic_plan("oe", "goals", nodes=10, kpis=5, years=10, seed=2).plan
    old = plan.current_edition
    assert old is not None
    kept = Kpi.objects.get(edition=old, key="k0")
    gone = Kpi.objects.get(edition=old, key="k1")
    consortium = Consortium.objects.create(slug="c", name="試験連携", kind="prefecture")
    goal_a = JointGoal.objects.create(consortium=consortium, key="a", title="A")
    goal_b = JointGoal.objects.create(consortium=consortium, key="b", title="B")
    link_a = JointGoalLink.objects.create(municipality=plan.municipality, goal=goal_a, plan=plan, kpi=kept)
    link_b = JointGoalLink.objects.create(municipality=plan.municipality, goal=goal_b, plan=plan, kpi=gone)
    draft = revision.new_edition(plan, "2.0", date(2030, 4, 1))
    revision.remove_node(Node.objects.select_related("edition").get(edition=draft, kpis__key="k1"))
    # Recorded on the old edition after the copy was made (a review finalised meanwhile):
    KpiActual.objects.create(
        municipality=plan.municipality, kpi=kept, fiscal_year=2027, value=5, source="review"
    )
    result = revision.adopt(draft)
    new_kpi = Kpi.objects.get(edition=draft, key="k0")
    assert set(new_kpi.actuals.values_list("fiscal_year", flat=True)) == {2026, 2027}
    assert result.actuals_added >= 1 and result.links_moved == 1 and result.links_kept == 1
    link_a.refresh_from_db()
    link_b.refresh_from_db()
    assert link_a.kpi_id == new_kpi.pk and link_b.kpi_id == gone.pk


# --- pages -----------------------------------------------------------------------------------


def test_public_editions_and_diff_pages(murakami: Plan, client: Client) -> None:
    overview = client.get(reverse("plans:overview", args=["murakami", "murakami-dx"])).content.decode()
    editions_url = reverse("plans:editions", args=["murakami", "murakami-dx"])
    assert editions_url in overview
    page = client.get(editions_url).content.decode()
    assert "第2.0版→第2.3版" in page
    diff_url = reverse("plans:edition_diff", args=["murakami", "murakami-dx"])
    page = client.get(diff_url + "?from=2.0&to=2.3").content.decode()
    assert "第2.0版と第2.3版の違い" in page and "公金収納におけるeLTAXの活用" in page
    assert "<del>" in page and "<ins>" in page and "［削除］" in page
    node_url = reverse("plans:node", args=["murakami", "murakami-dx", "g2-f1-eltax"])
    assert f'href="{node_url}"' in page
    default = client.get(diff_url).content.decode()  # the current one and the one before
    assert "第2.0版と第2.3版の違い" in default and "公金収納におけるeLTAXの活用" in default


@pytest.mark.parametrize("query", ["?from=9.9&to=2.3", "?from=2.0&to=9.9", "?from=2.4&to=2.3"])
def test_unknown_editions_get_a_helpful_404(murakami: Plan, client: Client, query: str) -> None:
    revision.new_edition(murakami, "2.4", date(2024, 10, 1))  # a draft: unknown to residents
    response = client.get(reverse("plans:edition_diff", args=["murakami", "murakami-dx"]) + query)
    assert response.status_code == 404
    page = response.content.decode()
    assert "版は見つかりません" in page and reverse("public:home") in page


def test_drafts_are_for_staff_only(murakami: Plan, client: Client, signed_in) -> None:
    revision.new_edition(murakami, "2.4", date(2024, 10, 1))
    overview = reverse("plans:overview", args=["murakami", "murakami-dx"]) + "?edition=2.4"
    diff = reverse("plans:edition_diff", args=["murakami", "murakami-dx"]) + "?from=2.3&to=2.4"
    assert client.get(overview).status_code == 404
    assert (
        "第2.4版"
        not in client.get(reverse("plans:editions", args=["murakami", "murakami-dx"])).content.decode()
    )
    assert client.get("/api/v1/plans/murakami/murakami-dx?edition=2.4").status_code == 404
    signed_in(murakami.municipality, Role.COUNTER)
    assert client.get(overview).status_code == 200
    assert client.get(diff).status_code == 200


def test_node_page_shows_its_history_and_past_reviews(murakami: Plan, client: Client) -> None:
    current = murakami.current_edition
    assert current is not None
    cycle = open_cycle(current, 2024, date(2025, 5, 30))
    review = cycle.node_reviews.get(node__key="g1-awareness")
    NodeReview.objects.filter(pk=review.pk).update(state="finalised", achievements="研修を3回実施")
    revision.adopt(revision.new_edition(murakami, "2.4", date(2024, 10, 1)))
    page = client.get(
        reverse("plans:node", args=["murakami", "murakami-dx", "g1-awareness"])
    ).content.decode()
    assert "この項目は第2.0版からあります。" in page
    assert "過去の版での進捗評価" in page and "研修を3回実施" in page
    eltax = client.get(
        reverse("plans:node", args=["murakami", "murakami-dx", "g2-f1-eltax"])
    ).content.decode()
    assert "この項目は第2.3版からあります。" in eltax


def test_node_page_query_count_does_not_grow_with_editions_or_reviews(murakami: Plan, client: Client) -> None:
    url = reverse("plans:node", args=["murakami", "murakami-dx", "g1-awareness"])

    def count() -> int:
        client.get(url)
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    before = count()
    open_cycle(murakami.current_edition, 2024, date(2025, 5, 30))  # type: ignore[arg-type]
    revision.adopt(revision.new_edition(murakami, "2.4", date(2024, 10, 1)))
    assert count() == before


def test_diff_page_query_count_does_not_grow_with_the_plan(demo, client: Client, synthetic_plan) -> None:
    counts = []
    for key, nodes, kpis in (("tiny", 10, 10), ("huge", 400, 600)):
        plan = synthetic_plan("oe", key, nodes=nodes, kpis=kpis, years=10, seed=2).plan
        draft = revision.new_edition(plan, "2.0", date(2030, 4, 1))
        for node in Node.objects.select_related("edition").filter(edition=draft).order_by("order")[:3]:
            revision.update_node(node, title=node.title + "（改）", description="書き換えました。")
        revision.adopt(draft)
        url = reverse("plans:edition_diff", args=["oe", key]) + "?from=1.0&to=2.0"
        client.get(url)
        caches["pages"].clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200 and "（改）" in response.content.decode()
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_staff_make_edit_and_adopt_an_edition(murakami: Plan, client: Client, signed_in) -> None:
    signed_in(murakami.municipality, Role.SECRETARIAT)
    slug, key = "murakami", "murakami-dx"
    response = client.post(
        reverse("revisions:list", args=[slug, key]),
        {"number": "２.４", "date": "令和6年10月1日", "note": "改訂"},
    )
    assert response.status_code == 302
    draft = PlanEdition.objects.get(plan=murakami, number="2.4")
    assert response["Location"] == reverse("revisions:draft", args=[slug, key, "2.4"])
    node_url = reverse("revisions:node", args=[slug, key, "2.4", "g1-awareness"])
    page = client.get(node_url).content.decode()
    assert "機運醸成と人材育成" in page
    form = {"action": "edit", "code": "①", "title": "意識醸成と人材育成", "description": "研修を行います。"}
    assert client.post(node_url, form).status_code == 302
    assert Node.objects.get(edition=draft, key="g1-awareness").title == "意識醸成と人材育成"
    add = client.post(
        reverse("revisions:draft", args=[slug, key, "2.4"]), {"title": "AI活用の推進", "code": "③"}
    )
    assert add.status_code == 302 and Node.objects.filter(edition=draft, title="AI活用の推進").exists()
    kpi_form = {
        "node": Node.objects.get(edition=draft, key="g1-awareness").pk,
        "name": "研修の受講者数",
        "unit": "人",
        "direction": "increase",
        "accumulation": "per_year",
        "targets-TOTAL_FORMS": "2",
        "targets-INITIAL_FORMS": "0",
        "targets-0-fiscal_year": "令和7年度",
        "targets-0-value": "100",
        "targets-0-text": "100人",
    }
    assert client.post(reverse("revisions:kpi_new", args=[slug, key, "2.4"]), kpi_form).status_code == 302
    kpi = Kpi.objects.get(edition=draft)
    assert list(kpi.targets.values_list("fiscal_year", "text")) == [(2025, "100人")]
    adopt_url = reverse("revisions:adopt", args=[slug, key, "2.4"])
    assert "名称が変わった項目" in client.get(adopt_url).content.decode()
    assert client.post(adopt_url).status_code == 302
    murakami.refresh_from_db()
    assert murakami.current_edition_id == draft.pk


def test_bad_input_is_refused_with_a_message_and_nothing_saved(
    murakami: Plan, client: Client, signed_in
) -> None:
    draft = revision.new_edition(murakami, "2.4", date(2024, 10, 1))
    signed_in(murakami.municipality, Role.ADMIN)
    node_url = reverse("revisions:node", args=["murakami", "murakami-dx", "2.4", "g2"])
    response = client.post(node_url, {"action": "edit", "title": "", "code": "9"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "名称" in page and "入力内容を確認してください" in page
    assert Node.objects.get(edition=draft, key="g2").code == "2"
    below = Node.objects.get(edition=draft, key="g2-f1")
    response = client.post(node_url, {"action": "move", "parent": below.pk})
    assert response.status_code == 400 and "自分自身やその下位の項目" in response.content.decode()
    assert Node.objects.get(edition=draft, key="g2").parent_id is None
    response = client.post(
        reverse("revisions:list", args=["murakami", "murakami-dx"]),
        {"number": "2.3", "date": "令和7年4月1日"},
    )
    assert response.status_code == 200 and "第2.3版はすでにあります" in response.content.decode()
    kpi_form = {
        "node": below.pk,
        "name": "取組の状況",
        "direction": "qualitative",
        "accumulation": "per_year",
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-0-value": "3",
        "targets-0-text": "3件",
    }
    response = client.post(reverse("revisions:kpi_new", args=["murakami", "murakami-dx", "2.4"]), kpi_form)
    assert (
        response.status_code == 400 and "定性のKPIには数値の目標値を書けません" in response.content.decode()
    )
    assert not Kpi.objects.filter(edition=draft).exists()


def test_editing_the_current_edition_through_the_page_is_refused(
    murakami: Plan, client: Client, signed_in
) -> None:
    signed_in(murakami.municipality, Role.SECRETARIAT)
    url = reverse("revisions:node", args=["murakami", "murakami-dx", "2.3", "g2"])
    assert (
        "この版は編集できません"
        in client.get(reverse("revisions:draft", args=["murakami", "murakami-dx", "2.3"])).content.decode()
    )
    response = client.post(url, {"action": "edit", "title": "書き換え", "code": "2"}, follow=True)
    assert "現行版のため編集できません" in response.content.decode()
    assert Node.objects.get(edition=murakami.current_edition, key="g2").title == "自治体DX"


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.COUNTER, Role.HQ])
def test_read_only_roles_cannot_revise(murakami: Plan, client: Client, role: str, signed_in) -> None:
    revision.new_edition(murakami, "2.4", date(2024, 10, 1))
    signed_in(murakami.municipality, role)
    slug, key = "murakami", "murakami-dx"
    assert client.get(reverse("revisions:draft", args=[slug, key, "2.4"])).status_code == 200
    node_url = reverse("revisions:node", args=[slug, key, "2.4", "g2"])
    assert client.post(node_url, {"action": "edit", "title": "x", "code": "2"}).status_code == 403
    assert (
        client.post(
            reverse("revisions:list", args=[slug, key]), {"number": "2.5", "date": "令和7年4月1日"}
        ).status_code
        == 403
    )
    assert client.post(reverse("revisions:adopt", args=[slug, key, "2.4"])).status_code == 403
    assert Node.objects.get(edition__number="2.4", key="g2").title == "自治体DX"
    assert Municipality.objects.get(slug="murakami").plans.get().current_edition.number == "2.3"  # type: ignore[union-attr]
