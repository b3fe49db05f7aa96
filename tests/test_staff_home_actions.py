"""The staff home lists only what needs each role's action now (issue 17).

Reviews: a 課's staff see their own 課's drafts and returned reviews of open cycles, overdue first;
the DX推進室 and administrators the submitted reviews to accept or return; the DX推進本部 the accepted
ones to finalise. Finalised cycles and other municipalities never appear, and the home's query
count does not grow with the number of reviews. The other panels show only what the role handles.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import DepartmentFactory, MunicipalityFactory
from tests.helpers import login_verified
from tests.procedures.submission_helpers import make_submission, private_media, town  # noqa: F401
from yakusho.core.jcal import format_date, format_wareki_date
from yakusho.core.models import Role
from yakusho.plans.models import NodeReview, PlanEdition, ReviewCycle
from yakusho.plans.review.services import open_cycle
from yakusho.procedures.models import Submission

pytestmark = pytest.mark.django_db

S = NodeReview.State
NOTHING = "いま対応が必要な進捗評価はありません。"


def panels_of(page: str, key: str) -> list[str]:
    """The body of each panel ``key`` on the page, below its title (one per municipality section)."""
    start = rf'<section class="panel" data-panel="{re.escape(key)}"[^>]*>'
    pattern = start + r"\s*<h3[^>]*>.*?</h3>(.*?)</section>"
    return re.findall(pattern, page, re.S)


def panel_of(page: str, key: str) -> str:
    found = panels_of(page, key)
    assert len(found) == 1, found
    return found[0]


def home(client: Client) -> str:
    response = client.get(reverse("staff:home"))
    assert response.status_code == 200
    page: str = response.content.decode()
    assert "None" not in page
    return page


def item_of(html: str, url: str) -> str:
    """The list item of ``html`` that links to ``url``."""
    items = [li for li in re.findall(r"<li[^>]*>.*?</li>", html, re.S) if f'href="{url}"' in li]
    assert len(items) == 1, (url, html)
    return items[0]


def plan_data(muni: Any, key: str, departments: list[str | None]) -> dict[str, Any]:
    """A plan of ``muni`` with a node per entry of ``departments`` (a 課's name, or None)."""
    return {
        "format": "yakusho-plan/1",
        "municipality": muni.code,
        "key": key,
        "title": f"{muni.name}の試験計画",
        "kind": "計画",
        "first_year": 2024,
        "last_year": 2026,
        "edition": {"number": "1"},
        "level_labels": ["施策"],
        "nodes": [
            {"key": f"n{i}", "code": f"{i + 1}", "title": f"施策{i + 1}"}
            | ({"departments": [{"name": name, "lead": True}]} if name else {})
            for i, name in enumerate(departments)
        ],
    }


def review(cycle: ReviewCycle, node: str) -> NodeReview:
    return NodeReview.objects.get(cycle=cycle, node__key=node)


def node_url(r: NodeReview) -> str:
    return reverse("reviews:node", args=[r.municipality.slug, r.cycle_id, r.pk])


def cycle_url(cycle: ReviewCycle) -> str:
    return reverse("reviews:cycle", args=[cycle.municipality.slug, cycle.pk])


@pytest.fixture
def world(db, plan_from) -> dict[str, Any]:
    """A town whose plan has nodes of 総務課 (n0, n1), 健康福祉課 (n2) and none (n3), with three
    cycles: FY2024 due in a month, FY2025 overdue, FY2026 finalised; and another town whose plan is
    alike, with its reviews submitted and accepted."""
    muni = MunicipalityFactory(slug="kawa", name="試験川町")
    general = DepartmentFactory(municipality=muni, name="総務課")
    health = DepartmentFactory(municipality=muni, name="健康福祉課")
    nodes: list[str | None] = ["総務課", "総務課", "健康福祉課", None]
    edition: PlanEdition = plan_from(plan_data(muni, "kawa-dx", nodes)).edition
    today = timezone.localdate()
    later = open_cycle(edition, 2024, today + timedelta(days=30))
    late = open_cycle(edition, 2025, today - timedelta(days=3))
    done = open_cycle(edition, 2026, today - timedelta(days=60))
    ReviewCycle.objects.filter(pk=done.pk).update(state=ReviewCycle.State.FINALISED)
    states = {
        later: {"n0": S.DRAFT, "n1": S.SUBMITTED, "n2": S.DRAFT, "n3": S.DRAFT},
        late: {"n0": S.DRAFT, "n1": S.RETURNED, "n2": S.ACCEPTED, "n3": S.SUBMITTED},
    }
    for cycle, by_node in states.items():
        for node, state in by_node.items():
            NodeReview.objects.filter(cycle=cycle, node__key=node).update(state=state)
    # the submitted review of FY2024 has waited longest
    now = timezone.now()
    NodeReview.objects.filter(pk=review(later, "n1").pk).update(updated_at=now - timedelta(days=5))
    NodeReview.objects.filter(pk=review(late, "n3").pk).update(updated_at=now - timedelta(days=1))
    # finalised cycle: even drafts in it never appear
    NodeReview.objects.filter(cycle=done).update(state=S.SUBMITTED)
    NodeReview.objects.filter(cycle=done, node__key="n0").update(state=S.DRAFT)

    other = MunicipalityFactory(slug="yama", name="試験山町")
    DepartmentFactory(municipality=other, name="総務課")
    DepartmentFactory(municipality=other, name="健康福祉課")
    other_edition = plan_from(plan_data(other, "yama-dx", nodes)).edition
    foreign = open_cycle(other_edition, 2025, today - timedelta(days=3))
    NodeReview.objects.filter(cycle=foreign, node__key__in=["n0", "n1"]).update(state=S.SUBMITTED)
    NodeReview.objects.filter(cycle=foreign, node__key__in=["n2", "n3"]).update(state=S.ACCEPTED)
    NodeReview.objects.filter(cycle=foreign, node__key="n0").update(updated_at=now - timedelta(days=50))
    return {
        "muni": muni,
        "general": general,
        "health": health,
        "later": later,
        "late": late,
        "done": done,
        "foreign": foreign,
    }


def test_department_sees_its_own_reviews_to_submit_overdue_first(world, signed_in) -> None:
    later, late, done = world["later"], world["late"], world["done"]
    html = panel_of(home(signed_in(world["muni"], Role.DEPARTMENT, [world["general"]])), "plans.reviews_due")
    assert "あなたの課が提出する評価：3件" in html and "うち期限超過 2件" in html
    shown = [node_url(review(late, "n1")), node_url(review(late, "n0")), node_url(review(later, "n0"))]
    positions = [html.index(f'href="{url}"') for url in shown]
    assert positions == sorted(positions)  # overdue first (returned before draft), then the later cycle
    for cycle, node in ((late, "n1"), (late, "n0")):
        item = item_of(html, node_url(review(cycle, node)))
        assert "期限超過" in item and format_wareki_date(late.due_date) in item
    later_item = item_of(html, node_url(review(later, "n0")))
    assert "期限超過" not in later_item and format_wareki_date(later.due_date) in later_item
    assert "差し戻し" in item_of(html, node_url(review(late, "n1")))
    hidden = [
        review(later, "n1"),  # submitted: not theirs to act on now
        review(later, "n2"),  # another 課's draft
        review(later, "n3"),  # no 課: the secretariat's
        review(done, "n0"),  # a finalised cycle
        review(world["foreign"], "n0"),  # another municipality
    ]
    for r in hidden:
        assert node_url(r) not in html


def test_department_lists_ten_and_counts_the_rest(db, plan_from, signed_in) -> None:
    muni = MunicipalityFactory()
    general = DepartmentFactory(municipality=muni, name="総務課")
    edition = plan_from(plan_data(muni, "many", ["総務課"] * 13)).edition
    cycle = open_cycle(edition, 2024, timezone.localdate() + timedelta(days=10))
    html = panel_of(home(signed_in(muni, Role.DEPARTMENT, [general])), "plans.reviews_due")
    assert "あなたの課が提出する評価：13件" in html and "期限超過" not in html
    assert len(re.findall(r'href="/staff/m/[^"]+/reviews/\d+/nodes/\d+/"', html)) == 10
    assert "ほか 3件" in html and f'href="{cycle_url(cycle)}"' in html


@pytest.mark.parametrize("role", [Role.SECRETARIAT, Role.ADMIN])
def test_secretariat_and_admin_see_submitted_reviews_and_the_oldest(world, signed_in, role) -> None:
    later, late, done = world["later"], world["late"], world["done"]
    html = panel_of(home(signed_in(world["muni"], role)), "plans.reviews_due")
    assert "受理か差し戻しを待つ評価：2件" in html
    later_row = item_of(html, cycle_url(later))
    assert "受理待ち 1件" in later_row and "担当課のない未提出の評価 1件" in later_row
    assert "期限超過" not in later_row
    late_row = item_of(html, cycle_url(late))
    assert "受理待ち 1件" in late_row and "担当課のない" not in late_row
    oldest = review(later, "n1")
    assert "いちばん長く待っている評価" in html and f'href="{node_url(oldest)}"' in html
    assert "総務課" in html  # the oldest one's 課
    for r in (review(later, "n0"), review(late, "n1"), review(late, "n2"), review(late, "n3")):
        assert node_url(r) not in html  # drafts of a 課, returned, accepted; only the oldest is linked
    assert cycle_url(done) not in html and cycle_url(world["foreign"]) not in html
    assert node_url(review(world["foreign"], "n0")) not in html  # older, but another municipality's


def test_secretariat_unassigned_overdue_is_marked(world, signed_in) -> None:
    NodeReview.objects.filter(pk=review(world["late"], "n3").pk).update(state=S.RETURNED)
    html = panel_of(home(signed_in(world["muni"], Role.SECRETARIAT)), "plans.reviews_due")
    late_row = item_of(html, cycle_url(world["late"]))
    assert "期限超過" in late_row and "担当課のない未提出の評価 1件" in late_row
    assert "受理か差し戻しを待つ評価：1件" in html


def test_hq_sees_accepted_reviews_to_finalise(world, signed_in) -> None:
    later, late = world["later"], world["late"]
    client = signed_in(world["muni"], Role.HQ)
    html = panel_of(home(client), "plans.reviews_due")
    assert "確定を待つ受理済みの評価：1件" in html
    late_row = item_of(html, cycle_url(late))
    assert "受理済み 1件" in late_row and "受理前の評価 3件" in late_row
    assert cycle_url(later) not in html  # nothing accepted there
    assert "受理待ち" not in html and "あなたの課" not in html  # not another role's items
    assert cycle_url(world["done"]) not in html and cycle_url(world["foreign"]) not in html

    NodeReview.objects.filter(cycle=late).update(state=S.ACCEPTED)
    html = panel_of(home(client), "plans.reviews_due")
    assert "確定を待つ受理済みの評価：4件" in html
    assert "すべて受理済みです。まとめて確定できます。" in item_of(html, cycle_url(late))


@pytest.mark.parametrize(
    ("role", "department"),
    [(Role.DEPARTMENT, "health"), (Role.HQ, None), (Role.SECRETARIAT, None)],
)
def test_nothing_to_do_is_one_line(world, signed_in, role, department) -> None:
    # 健康福祉課's draft submitted, FY2025's accepted review finalised, every submission accepted,
    # the review without a 課 submitted and accepted: nothing left for these roles
    NodeReview.objects.filter(pk=review(world["later"], "n2").pk).update(state=S.SUBMITTED)
    NodeReview.objects.filter(pk=review(world["late"], "n2").pk).update(state=S.FINALISED)
    NodeReview.objects.filter(cycle__in=[world["later"], world["late"]], state=S.SUBMITTED).update(
        state=S.ACCEPTED
    )
    NodeReview.objects.filter(cycle=world["later"], node__key="n3").update(state=S.ACCEPTED)
    if role == Role.HQ:
        NodeReview.objects.filter(cycle__in=[world["later"], world["late"]], state=S.ACCEPTED).update(
            state=S.FINALISED
        )
    departments = [world[department]] if department else []
    html = panel_of(home(signed_in(world["muni"], role, departments)), "plans.reviews_due")
    assert re.sub(r"\s+", "", html) == f"<p>{NOTHING}</p>"


def test_no_open_cycle_hides_the_panel(world, signed_in) -> None:
    ReviewCycle.objects.filter(pk__in=[world["later"].pk, world["late"].pk]).update(
        state=ReviewCycle.State.FINALISED
    )
    for role in (Role.SECRETARIAT, Role.HQ):
        assert not panels_of(home(signed_in(world["muni"], role)), "plans.reviews_due")
    page = home(signed_in(world["muni"], Role.DEPARTMENT, [world["general"]]))
    assert not panels_of(page, "plans.reviews_due")


def test_counter_staff_have_no_review_panel(world, signed_in) -> None:
    assert not panels_of(home(signed_in(world["muni"], Role.COUNTER)), "plans.reviews_due")


# --- the home's queries do not grow with the reviews ------------------------------------------------


def _town_with_reviews(plan_from: Any, slug: str, nodes: int) -> Any:
    muni = MunicipalityFactory(slug=slug)
    DepartmentFactory(municipality=muni, name="総務課")
    DepartmentFactory(municipality=muni, name="健康福祉課")
    names: list[str | None] = ["総務課", "健康福祉課", None]
    edition = plan_from(plan_data(muni, f"{slug}-dx", [names[i % 3] for i in range(nodes)])).edition
    today = timezone.localdate()
    for year, due in ((2024, today - timedelta(days=1)), (2025, today + timedelta(days=20))):
        cycle = open_cycle(edition, year, due)
        reviews = list(cycle.node_reviews.order_by("pk"))
        for i, r in enumerate(reviews):
            r.state = [S.DRAFT, S.RETURNED, S.SUBMITTED, S.ACCEPTED][i % 4]
        NodeReview.objects.bulk_update(reviews, ["state"])
    return muni


def _queries(client: Client) -> int:
    home(client)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as queries:
        home(client)
    return len(queries)


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.SECRETARIAT, Role.ADMIN, Role.HQ])
def test_home_queries_do_not_grow_with_reviews(db, plan_from, client: Client, staff_of, role) -> None:
    from yakusho.core.models import Department

    counts = []
    for slug, nodes in (("few", 6), ("many", 60)):
        muni = _town_with_reviews(plan_from, slug, nodes)
        departments = list(Department.objects.filter(municipality=muni)) if role == Role.DEPARTMENT else []
        login_verified(client, staff_of(muni, role, departments).user)
        page = home(client)
        assert 'data-panel="plans.reviews_due"' in page and NOTHING not in page
        counts.append(_queries(client))
    assert counts[0] == counts[1], counts


# --- the other panels: only what the role handles ---------------------------------------------------


def test_core_panels_by_role(db, staff_of, client: Client) -> None:
    muni = MunicipalityFactory()
    department = DepartmentFactory(municipality=muni, name="税務課")
    shown = {}
    for role in (Role.ADMIN, Role.HQ):
        login_verified(client, staff_of(muni, role).user)
        shown[role] = set(re.findall(r'data-panel="([^"]+)"', home(client)))
    assert "core.recent_changes" not in shown[Role.ADMIN] | shown[Role.HQ]  # the audit trail is no task
    assert {"core.office_days", "core.staff", "core.outbox"} <= shown[Role.ADMIN]
    login_verified(client, staff_of(muni, Role.DEPARTMENT, [department]).user)
    page = home(client)
    assert "税務課" in page and not panels_of(page, "core.my_departments")  # the heading names it
    login_verified(client, staff_of(muni, Role.DEPARTMENT).user)
    assert "管理者に連絡してください" in panel_of(home(client), "core.my_departments")


def test_submissions_panel_shows_what_each_role_handles(town, client: Client) -> None:  # noqa: F811
    fresh = make_submission(town["dog"]).submission
    late = make_submission(town["dog"]).submission
    Submission.objects.filter(pk=late.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    staff = town["staff"]

    login_verified(client, staff["department"].user)  # 健康福祉課, which handles the dog registration
    html = panel_of(home(client), "procedures.submissions")
    assert "新着（受付のまま）2件" in html and "処理期限超過 1件" in html
    assert late.display_code in html and fresh.display_code not in html
    assert format_date(timezone.localdate() - timedelta(days=1)) in html

    login_verified(client, staff["secretariat"].user)  # may take over, chases the overdue
    html = panel_of(home(client), "procedures.submissions")
    assert "処理期限超過 1件" in html and late.display_code in html and "新着" not in html

    for role in ("other_department", "counter", "hq"):  # another 課's staff, and roles handling none
        login_verified(client, staff[role].user)
        assert not panels_of(home(client), "procedures.submissions"), role


def test_submissions_panel_nothing_to_do(town, client: Client) -> None:  # noqa: F811
    done = make_submission(town["dog"]).submission
    Submission.objects.filter(pk=done.pk).update(status="completed")
    login_verified(client, town["staff"]["department"].user)
    html = panel_of(home(client), "procedures.submissions")
    assert "新着の申請も、処理期限を過ぎた申請もありません。" in html and done.display_code not in html


def test_bookings_and_queue_panels_for_the_roles_handling_them(db, staff_of, client: Client) -> None:
    from tests.bookings.helpers import make_resource
    from tests.bookings.queue_helpers import make_service

    muni = MunicipalityFactory()
    mine = DepartmentFactory(municipality=muni, name="住民課")
    theirs = DepartmentFactory(municipality=muni, name="税務課")
    make_resource(muni, department=mine, name="会議室A")
    make_service(muni, department=mine, name="住民窓口", key="resident")
    make_service(muni, department=theirs, name="申告相談", key="tax", prefix="T")

    def shown(role: str, departments: list[Any]) -> str:
        login_verified(client, staff_of(muni, role, departments).user)
        return home(client)

    counter = shown(Role.COUNTER, [])
    assert "今日の予約はありません。" in panel_of(counter, "bookings.today")
    queues = panel_of(counter, "bookings.queues_today")
    assert "住民窓口" in queues and "申告相談" in queues

    own = shown(Role.DEPARTMENT, [mine])
    assert "?department=" in panel_of(own, "bookings.today")
    queues = panel_of(own, "bookings.queues_today")
    assert "住民窓口" in queues and "申告相談" not in queues  # another 課's counter

    other = shown(Role.DEPARTMENT, [theirs])
    assert not panels_of(other, "bookings.today")  # 税務課 has no resource
    assert "申告相談" in panel_of(other, "bookings.queues_today")

    for role in (Role.SECRETARIAT, Role.HQ):  # they handle no booking and no queue
        page = shown(role, [])
        assert not panels_of(page, "bookings.today") and not panels_of(page, "bookings.queues_today")
