"""Review dashboards: a hand-made cycle counted independently, year over year, the overdue list,
the consortium side by side (a member without KPIs says so), access, and query counts that do
not grow with the data."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories import DepartmentFactory, MembershipFactory, MunicipalityFactory, UserFactory
from tests.helpers import login_verified
from yakusho.core.models import Consortium, ConsortiumMembership, Municipality, Role
from yakusho.plans.achievement import Status, evaluate
from yakusho.plans.dashboard import cycle as dashboard
from yakusho.plans.dashboard import year_over_year
from yakusho.plans.dashboard.consortium import consortium_dashboard
from yakusho.plans.models import (
    Kpi,
    KpiActual,
    KpiTarget,
    NationalFramework,
    NationalItem,
    Node,
    NodeDepartment,
    NodeReview,
    Plan,
    PlanEdition,
    ReviewCycle,
    ReviewGrade,
)
from yakusho.plans.panels import member_reviews
from yakusho.plans.review.services import open_cycle

pytestmark = pytest.mark.django_db

DUE = date(2026, 5, 31)


def _kpi(town, edition, node, key, *, direction="increase", baseline=None, final=None, actuals=(), **kw):
    kpi = Kpi.objects.create(
        municipality=town,
        edition=edition,
        node=node,
        key=key,
        name=f"指標{key}",
        unit="件",
        direction=direction,
        accumulation="per_year",
        baseline_fiscal_year=2023 if baseline is not None else None,
        baseline_value=baseline,
        has_baseline=baseline is not None,
        **kw,
    )
    if final is not None:
        KpiTarget.objects.create(
            municipality=town, kpi=kpi, fiscal_year=2026, value=final, text=str(final), final=True
        )
    for year, value in actuals:
        KpiActual.objects.create(municipality=town, kpi=kpi, fiscal_year=year, value=value)
    return kpi


@pytest.fixture
def plan_world(db):
    """Two basic policies, three initiatives, two 課, two national items, six KPIs, two cycles."""
    town = MunicipalityFactory(slug="here")
    d1 = DepartmentFactory(municipality=town, name="企画課", order=1)
    d2 = DepartmentFactory(municipality=town, name="総務課", order=2)
    plan = Plan.objects.create(municipality=town, key="dx")
    edition = PlanEdition.objects.create(
        municipality=town,
        plan=plan,
        number="1",
        title="試験DX計画",
        kind="計画",
        first_year=2024,
        last_year=2026,
        level_labels=["基本方針", "施策"],
        digest="x",
    )
    plan.current_edition = edition
    plan.save()

    def node(key, code, parent=None, order=0):
        return Node.objects.create(
            municipality=town,
            edition=edition,
            parent=parent,
            key=key,
            code=code,
            title=f"項目{code}",
            depth=2 if parent else 1,
            order=order,
        )

    p1 = node("p1", "1", order=0)
    a = node("a", "1-1", p1, 1)
    b = node("b", "1-2", p1, 2)
    p2 = node("p2", "2", order=3)
    c = node("c", "2-1", p2, 4)
    NodeDepartment.objects.create(municipality=town, node=a, department=d1, lead=True)
    NodeDepartment.objects.create(municipality=town, node=b, department=d1, order=0)
    NodeDepartment.objects.create(municipality=town, node=b, department=d2, lead=True, order=1)
    framework = NationalFramework.objects.create(
        key="test-fw", title="試験の国の計画", version="1", published_on=date(2024, 1, 1)
    )
    x = NationalItem.objects.create(
        framework=framework, key="t.x", group="重点", number="1", title="項目X", order=1
    )
    y = NationalItem.objects.create(
        framework=framework, key="t.y", group="重点", number="2", title="項目Y", order=2
    )
    p1.national_items.add(x)  # inherited by a and b
    c.national_items.add(y)
    # at 2025 the path from 100 (2023) to 130 (2026) is at 120; from 50 to 20 at 30
    kpis = {
        "k1": _kpi(town, edition, a, "k1", baseline=100, final=130, actuals=[(2024, 110), (2025, 125)]),
        "k2": _kpi(town, edition, a, "k2", baseline=100, final=130, actuals=[(2024, 115), (2025, 110)]),
        "k7": _kpi(
            town,
            edition,
            a,
            "k7",
            direction="decrease",
            baseline=50,
            final=20,
            actuals=[(2024, 45), (2025, 40)],
        ),
        "k3": _kpi(town, edition, b, "k3", baseline=100, final=130, actuals=[(2025, 140)]),
        "k4": _kpi(town, edition, c, "k4", baseline=10, final=20),
        "k5": _kpi(town, edition, c, "k5", direction="qualitative"),
    }
    _kpi(town, edition, b, "k6", baseline=100, final=130, actuals=[(2025, 90)], reprint_of=kpis["k3"])
    before = open_cycle(edition, 2024, date(2025, 5, 31))
    cycle = open_cycle(edition, 2025, DUE)
    grades = {g.code: g for g in ReviewGrade.objects.filter(municipality=town)}
    S, P = NodeReview.State, NodeReview.Progress

    def set_review(c, node_, department, state, status, grade):
        NodeReview.objects.filter(cycle=c, node=node_, department=department).update(
            state=state, status=status, grade=grades[grade] if grade else None
        )

    set_review(cycle, p1, None, S.DRAFT, P.IN_PROGRESS, None)
    set_review(cycle, a, d1, S.SUBMITTED, P.DONE, "A")
    set_review(cycle, b, d1, S.RETURNED, P.DELAYED, "C")
    set_review(cycle, b, d2, S.ACCEPTED, P.IN_PROGRESS, "B")
    set_review(cycle, p2, None, S.FINALISED, P.NOT_STARTED, "B")
    set_review(cycle, c, None, S.DRAFT, P.IN_PROGRESS, "D")
    set_review(before, a, d1, S.FINALISED, P.IN_PROGRESS, "B")
    set_review(before, b, d1, S.FINALISED, P.IN_PROGRESS, "A")
    set_review(before, b, d2, S.FINALISED, P.IN_PROGRESS, "B")
    set_review(before, p2, None, S.FINALISED, P.IN_PROGRESS, "A")
    cycle = ReviewCycle.objects.select_related("edition").get(pk=cycle.pk)
    return town, cycle, kpis, {"p1": p1, "a": a, "b": b, "p2": p2, "c": c}, (d1, d2), (x, y)


def _expected(reviews, kpi_statuses):
    """Independent count over ORM objects: reviews by status, grade and submission; KPIs."""
    kpis = Counter(kpi_statuses)
    return {
        "reviews": len(reviews),
        "not_submitted": sum(1 for r in reviews if r.state in ("draft", "returned")),
        "statuses": [sum(1 for r in reviews if r.status == p) for p in NodeReview.Progress],
        "kpis": [kpis[s] for s in dashboard.KPI_COLUMNS],
    }


def _actual(group):
    return {
        "reviews": group.reviews,
        "not_submitted": group.not_submitted,
        "statuses": group.status_cells,
        "kpis": group.kpis.cells,
    }


def test_figures_equal_independent_counts(plan_world) -> None:
    _town, cycle, kpis, _nodes, (d1, d2), _items = plan_world
    board = dashboard.cycle_dashboard(cycle, today=date(2026, 4, 1))
    reviews = list(NodeReview.objects.filter(cycle=cycle).select_related("node__parent"))
    counted = list(Kpi.objects.filter(edition=cycle.edition, reprint_of__isnull=True))
    status = {k.pk: evaluate(k, 2025).status for k in counted}
    assert status[kpis["k1"].pk] == Status.ON_TRACK and status[kpis["k2"].pk] == Status.BEHIND
    assert status[kpis["k3"].pk] == Status.ACHIEVED and status[kpis["k7"].pk] == Status.BEHIND
    assert status[kpis["k4"].pk] == Status.NO_DATA and status[kpis["k5"].pk] == Status.QUALITATIVE

    def root(node):
        return node if node.parent is None else root(node.parent)

    def kpis_of(node_ids):
        return [status[k.pk] for k in counted if k.node_id in node_ids]

    assert _actual(board.total) == _expected(reviews, status.values())
    assert [g.title for g in board.policies] == ["項目1", "項目2"]
    for group, top in zip(board.policies, ("p1", "p2"), strict=True):
        mine = [r for r in reviews if root(r.node).key == top]
        assert _actual(group) == _expected(mine, kpis_of({r.node_id for r in mine}))
    assert [g.title for g in board.departments] == ["企画課", "総務課", "（課の指定なし：事務局）"]
    for group, dept in zip(board.departments, (d1.pk, d2.pk, None), strict=True):
        mine = [r for r in reviews if r.department_id == dept]
        assert _actual(group) == _expected(mine, kpis_of({r.node_id for r in mine}))
    assert [g.key for g in board.items] == ["t.x", "t.y", ""]
    for group, keys in zip(board.items, ({"p1", "a", "b"}, {"c"}, {"p2"}), strict=True):
        mine = [r for r in reviews if r.node.key in keys]
        assert _actual(group) == _expected(mine, kpis_of({r.node_id for r in mine}))
    # grades by hand: 企画課 has A (a) and C (b); the scale is A B C D then 未評価
    assert [g[1] for g in board.grades] == ["A", "B", "C", "D", "未評価"]
    assert board.departments[0].grade_cells == [1, 0, 1, 0, 0]
    assert board.total.grade_cells == [1, 2, 1, 1, 1]
    # on track: k1 (順調) and k3 (達成) of k1, k2, k3, k7 judged; k4 no data, k5 qualitative
    assert (board.total.kpis.on_track, board.total.kpis.judged, board.total.kpis.percent) == (2, 4, 50)
    assert board.departments[1].kpis.percent == 100  # 総務課: node b only, k3 achieved (k6 is a 再掲)
    assert board.policies[1].kpis.percent is None  # 2: k4 has no actual, k5 is qualitative: not 0 %


def test_year_over_year(plan_world) -> None:
    _town, cycle, _kpis, _nodes, _d, _i = plan_world
    yoy = dashboard.cycle_dashboard(cycle, today=date(2026, 4, 1)).yoy
    assert yoy is not None and yoy.previous.fiscal_year == 2024
    moves = {m.node_key: (m.before, m.after, m.move) for m in yoy.grades}
    assert moves == {
        "p1": (None, None, "none"),
        "a": ("B", "A", "up"),
        "b": ("B", "B", "same"),  # the lead 課 (総務課) decides, not 企画課's C
        "p2": ("A", "B", "down"),
        "c": (None, "D", "none"),
    }
    assert yoy.grade_counts == {"up": 1, "same": 1, "down": 1, "none": 2}
    kpi_moves = {m.key: (m.before, m.after, m.change, m.judgement) for m in yoy.kpis}
    assert kpi_moves["k1"] == (Decimal(110), Decimal(125), Decimal(15), "good")
    assert kpi_moves["k2"] == (Decimal(115), Decimal(110), Decimal(-5), "bad")
    assert kpi_moves["k7"] == (Decimal(45), Decimal(40), Decimal(-5), "good")  # decrease: down is good
    assert kpi_moves["k3"][3] == "none" and "k5" not in kpi_moves and "k6" not in kpi_moves


def test_year_over_year_figures_carry_their_source_and_as_of(plan_world, client: Client) -> None:
    """Each compared actual is written as on the plan pages, with its source and "as of"; a demo
    actual says デモ there and its cell is marked."""
    town, cycle, kpis, *_rest = plan_world
    KpiActual.objects.filter(kpi=kpis["k1"], fiscal_year=2025).update(
        source=KpiActual.Source.REVIEW, date=date(2026, 5, 31)
    )
    KpiActual.objects.filter(kpi=kpis["k2"], fiscal_year=2025).update(
        source=KpiActual.Source.DEMO, date=date(2026, 5, 29)
    )
    yoy = dashboard.cycle_dashboard(cycle, today=date(2026, 4, 1)).yoy
    assert yoy is not None
    moves = {m.key: m for m in yoy.kpis}
    k1, k2, k3 = moves["k1"], moves["k2"], moves["k3"]
    assert (k1.before_text, k1.after_text) == ("110件（計画書）", "125件（進捗評価・令和8年5月31日時点）")
    assert k1.change_text == "+15件" and not k1.demo
    assert k2.after_text == "110件（デモ・令和8年5月29日時点）" and k2.demo and k2.change_text == "−5件"
    assert (k3.before_text, k3.after_text, k3.change_text) == ("—", "140件（計画書）", "—")
    assert yoy.demo == 1
    share = year_over_year.KpiMove("s", "率", "%", Decimal("10.5"), Decimal("9.3"), Decimal("-1.2"), "bad")
    assert share.change_text == "−1.2ポイント"  # a change of a share is in points

    login_verified(client, MembershipFactory(municipality=town, role=Role.COUNTER).user)
    page = client.get(reverse("reviews:dashboard", args=[town.slug, cycle.pk])).content.decode()
    assert "<td>125件（進捗評価・令和8年5月31日時点）</td>" in page
    assert '<td class="figure-demo">110件（デモ・令和8年5月29日時点）</td>' in page
    assert "デモ用に作った実績値（デモ）を比べています" in page and "前年度（出典・時点）" in page


def test_first_year_has_nothing_to_compare(plan_world) -> None:
    _town, cycle, *_rest = plan_world
    first = ReviewCycle.objects.select_related("edition").get(edition=cycle.edition, fiscal_year=2024)
    assert dashboard.cycle_dashboard(first).yoy is None


def test_overdue_list_by_date(plan_world) -> None:
    _town, cycle, *_rest = plan_world
    assert dashboard.cycle_dashboard(cycle, today=DUE).overdue == []  # on the due date: not late
    late = dashboard.cycle_dashboard(cycle, today=date(2026, 6, 10))
    assert [(o.department, o.node_code, o.state, o.days) for o in late.overdue] == [
        ("企画課", "1-2", "returned", 10),
        (None, "1", "draft", 10),
        (None, "2-1", "draft", 10),
    ]


def test_cycle_dashboard_page(plan_world, client: Client) -> None:
    town, cycle, *_rest = plan_world
    ReviewCycle.objects.filter(pk=cycle.pk).update(due_date=date(2020, 1, 1))
    login_verified(client, MembershipFactory(municipality=town, role=Role.COUNTER).user)
    cycle_page = client.get(reverse("reviews:cycle", args=[town.slug, cycle.pk])).content.decode()
    url = reverse("reviews:dashboard", args=[town.slug, cycle.pk])
    assert url in cycle_page
    page = client.get(url).content.decode()
    assert "基本方針別" in page and "課別" in page and "国の重点取組事項別" in page
    assert "50%（2／4件）" in page  # the plan's share, in words beside the bar
    assert "判定できる実績なし" in page  # policy 2: no judged KPI, not 0 %
    node_review = NodeReview.objects.get(cycle=cycle, node__key="b", department__name="企画課")
    assert reverse("reviews:node", args=[town.slug, cycle.pk, node_review.pk]) in page
    assert "差し戻し" in page and "上がった：1" in page and "悪化：1" in page
    assert "<script" not in page.split("<main", 1)[-1] and 'style="' not in page


def test_another_municipality_is_refused(plan_world, client: Client) -> None:
    town, cycle, *_rest = plan_world
    elsewhere = MunicipalityFactory(slug="elsewhere")
    login_verified(client, MembershipFactory(municipality=elsewhere, role=Role.ADMIN).user)
    assert client.get(reverse("reviews:dashboard", args=[town.slug, cycle.pk])).status_code == 403
    # their own slug with this cycle's id: not found, never the other municipality's figures
    assert client.get(reverse("reviews:dashboard", args=[elsewhere.slug, cycle.pk])).status_code == 404


# --- consortium ---------------------------------------------------------------------------------


@pytest.fixture
def consortium_world(plan_world):
    """here (KPIs, two cycles), no-kpis (a cycle, no KPIs), no-cycle (a plan, no review), empty."""
    town = plan_world[0]
    no_kpis = MunicipalityFactory(slug="no-kpis", name="KPIのない町")
    plan = Plan.objects.create(municipality=no_kpis, key="plain")
    edition = PlanEdition.objects.create(
        municipality=no_kpis,
        plan=plan,
        number="1",
        title="観測値だけの計画",
        kind="計画",
        first_year=2025,
        last_year=2027,
        level_labels=["施策"],
        digest="y",
    )
    Node.objects.create(municipality=no_kpis, edition=edition, key="n", depth=1, title="施策", order=0)
    plan.current_edition = edition
    plan.save()
    open_cycle(edition, 2025, DUE)
    no_cycle = MunicipalityFactory(slug="no-cycle", name="評価前の町")
    plan2 = Plan.objects.create(municipality=no_cycle, key="later")
    edition2 = PlanEdition.objects.create(
        municipality=no_cycle,
        plan=plan2,
        number="1",
        title="まだ評価していない計画",
        kind="計画",
        first_year=2025,
        last_year=2027,
        level_labels=["施策"],
        digest="z",
    )
    plan2.current_edition = edition2
    plan2.save()
    empty = MunicipalityFactory(slug="empty", name="計画のない村")
    consortium = Consortium.objects.create(slug="pref", name="試験県", kind="prefecture")
    consortium.members.set([town, no_kpis, no_cycle, empty])
    staff = UserFactory()
    ConsortiumMembership.objects.create(user=staff, consortium=consortium)
    return consortium, staff


def test_consortium_side_by_side(consortium_world) -> None:
    consortium, _staff = consortium_world
    members = {m.municipality.slug: m.plans for m in consortium_dashboard(consortium)}
    [here] = members["here"]
    assert here.cycle is not None and here.cycle.fiscal_year == 2025  # the latest of two
    assert (here.reviews, here.submitted, here.kpis.percent) == (6, 3, 50)
    assert here.grades == [("A", 1), ("B", 2), ("C", 1), ("D", 1)] and here.ungraded == 1
    [plain] = members["no-kpis"]
    assert plain.cycle is not None and plain.kpis.total == 0 and plain.kpis.percent is None
    [later] = members["no-cycle"]
    assert later.cycle is None and later.plan_kpis == 0
    assert here.plan_kpis == 6  # k6 is a 再掲
    assert members["empty"] == []


def test_a_finalised_cycles_kpi_tally_is_kept_and_an_open_ones_is_not(consortium_world) -> None:
    """Finalised reviews cannot change, so their KPI tally is kept per process; an open one moves."""
    from django.core.cache import caches

    consortium, _staff = consortium_world
    [here] = [m for m in consortium_dashboard(consortium) if m.municipality.slug == "here"]
    cycle = here.plans[0].cycle
    assert cycle is not None and cycle.state == ReviewCycle.State.OPEN
    key = f"plans:kpi-tally:{cycle.pk}"
    assert caches["pages"].get(key) is None  # open: judged on every request
    before = dict(here.plans[0].kpis.counts)
    ReviewCycle.objects.filter(pk=cycle.pk).update(state=ReviewCycle.State.FINALISED)
    [again] = [m for m in consortium_dashboard(consortium) if m.municipality.slug == "here"]
    assert dict(again.plans[0].kpis.counts) == before == caches["pages"].get(key)
    [cached] = [m for m in consortium_dashboard(consortium) if m.municipality.slug == "here"]
    assert dict(cached.plans[0].kpis.counts) == before and cached.plans[0].kpis.percent == 50


def test_consortium_dashboard_says_kpis_are_missing_not_zero(consortium_world, client: Client) -> None:
    consortium, staff = consortium_world
    login_verified(client, staff)
    page = client.get(reverse("reviews:consortium_dashboard", args=[consortium.slug])).content.decode()
    row = page.split("KPIのない町", 2)[2].split("</tr>", 1)[0]  # the table row (the first is the bar list)
    assert "<td>KPIなし" in row and "0／0" not in row  # (its 0% beside the bar is "submitted": 0 of 1)
    later = page.split("評価前の町", 2)[2].split("</tr>", 1)[0]
    assert "進捗評価なし" in later and "<td>KPIなし" in later
    assert "公開している計画なし" in page.split("計画のない村", 2)[2].split("</tr>", 1)[0]
    assert "50%（2／4件）" in page
    home = client.get(reverse("staff:consortium", args=[consortium.slug])).content.decode()
    assert "構成団体の進捗評価" in home and reverse("reviews:consortium_dashboard", args=["pref"]) in home


def test_consortium_dashboard_shows_only_published_plans(consortium_world, client: Client) -> None:
    consortium, staff = consortium_world
    Plan.objects.filter(key="dx").update(published=False)
    login_verified(client, staff)
    page = client.get(reverse("reviews:consortium_dashboard", args=[consortium.slug])).content.decode()
    assert "試験DX計画" not in page


def test_consortium_dashboard_of_another_consortium_is_refused(consortium_world, client: Client) -> None:
    consortium, _staff = consortium_world
    url = reverse("reviews:consortium_dashboard", args=[consortium.slug])
    assert client.get(url).status_code == 302  # to the login page
    other = Consortium.objects.create(slug="other", name="別の県", kind="prefecture")
    outsider = UserFactory()
    ConsortiumMembership.objects.create(user=outsider, consortium=other)
    login_verified(client, outsider)
    assert client.get(url).status_code == 403
    town = Municipality.objects.get(slug="here")
    login_verified(client, MembershipFactory(municipality=town, role=Role.ADMIN).user)
    assert client.get(url).status_code == 403  # a member's own staff are not consortium staff


# --- query counts -------------------------------------------------------------------------------


def _with_reviews(edition: PlanEdition) -> PlanEdition:
    open_cycle(edition, 2026, DUE)
    cycle = open_cycle(edition, 2027, DUE)
    grades = list(ReviewGrade.objects.filter(municipality=edition.municipality))
    reviews = list(cycle.node_reviews.all())
    for i, review in enumerate(reviews):
        review.grade = grades[i % len(grades)]
        review.status = list(NodeReview.Progress)[i % 7]
    NodeReview.objects.bulk_update(reviews, ["grade", "status"])
    KpiActual.objects.bulk_create(
        [
            KpiActual(municipality=edition.municipality, kpi=k, fiscal_year=2027, value=Decimal(100 + i % 50))
            for i, k in enumerate(edition.kpis.all())
        ]
    )
    return edition


def _count(client: Client, url: str) -> int:
    client.get(url)  # warm caches (session, content types)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_cycle_dashboard_queries_do_not_grow(demo, client: Client, synthetic_plan) -> None:
    tiny = _with_reviews(synthetic_plan("oe", "tiny", nodes=10, kpis=10))
    huge = _with_reviews(synthetic_plan("oe", "huge", nodes=300, kpis=600))
    login_verified(client, MembershipFactory(municipality=tiny.municipality, role=Role.HQ).user)
    counts = [
        _count(client, reverse("reviews:dashboard", args=["oe", e.reviews.get(fiscal_year=2027).pk]))
        for e in (tiny, huge)
    ]
    assert counts[0] == counts[1], counts


def test_consortium_dashboard_queries_do_not_grow(demo, client: Client, synthetic_plan) -> None:
    _with_reviews(synthetic_plan("oe", "tiny", nodes=10, kpis=10))
    _with_reviews(synthetic_plan("itako", "huge", nodes=300, kpis=600))
    _with_reviews(synthetic_plan("murakami", "mid", nodes=100, kpis=200))
    small = Consortium.objects.create(slug="small", name="小", kind="prefecture")
    small.members.set(Municipality.objects.filter(slug="oe"))
    big = Consortium.objects.create(slug="big", name="大", kind="prefecture")
    big.members.set(Municipality.objects.filter(slug__in=["oe", "itako", "murakami", "katagami", "misato"]))
    staff = UserFactory()
    for c in (small, big):
        ConsortiumMembership.objects.create(user=staff, consortium=c)
    login_verified(client, staff)
    counts = [_count(client, reverse("reviews:consortium_dashboard", args=[c.slug])) for c in (small, big)]
    assert counts[0] == counts[1], counts
    big_page = client.get(reverse("reviews:consortium_dashboard", args=["big"])).content.decode()
    assert big_page.count("合成計画") >= 6  # three members' plans, in the bars and the table
    sections = []
    for c in (small, big):  # the section on the consortium's page (the page also has others' parts)
        with CaptureQueriesContext(connection) as queries:
            member_reviews(c)
        sections.append(len(queries))
    assert sections[0] == sections[1], sections


def test_kpi_states_judge_as_evaluate_does(plan_world) -> None:
    """Random KPIs (targets with and without years, with and without a final flag, all before the
    review year, none at all): the dashboard's status equals evaluate() at the cycle's year."""
    import random

    town, cycle, _kpis, nodes, _d, _i = plan_world
    rng = random.Random(6)
    edition = cycle.edition
    made = []
    for i in range(80):
        kpi = _kpi(
            town,
            edition,
            nodes["c"],
            f"r{i}",
            direction=rng.choice(["increase", "decrease", "keep", "qualitative"]),
            baseline=rng.choice([None, 50, 100]),
        )
        for order, year in enumerate(
            rng.sample([None, 2022, 2023, 2024, 2025, 2026, 2027], rng.randrange(0, 4))
        ):
            KpiTarget.objects.create(
                municipality=town,
                kpi=kpi,
                fiscal_year=year,
                value=rng.choice([40, 80, 120, 150]),
                text="目標",
                final=rng.random() < 0.3,
                order=order,
            )
        if rng.random() < 0.8:
            KpiActual.objects.create(
                municipality=town, kpi=kpi, fiscal_year=2025, value=rng.randrange(30, 160)
            )
        made.append(kpi)
    states = {s.id: s.status for s in dashboard.kpi_states({edition.pk: (2025, 2024, 2026)})}
    assert {k.pk: states[k.pk] for k in made} == {k.pk: evaluate(k, 2025).status for k in made}
    assert len({states[k.pk] for k in made}) == 5  # every word occurs, so the comparison means something
    old_only = [
        k
        for k in made
        if (ts := list(k.targets.all()))
        and all(t.fiscal_year and t.fiscal_year < 2025 and not t.final for t in ts)
    ]
    assert old_only  # KPIs whose every target precedes the review year: read by the second query


def test_demo_consortium_shows_katagami_without_kpis(demo_with_plans, client: Client) -> None:
    """秋田県: 潟上市's plan states observations but no KPIs; 美郷町's has KPIs."""
    from yakusho.core.models import User

    login_verified(client, User.objects.get(email="consortium@example.jp"))
    page = client.get(reverse("reviews:consortium_dashboard", args=["akita"])).content.decode()
    katagami = page.split("潟上市DX推進計画", 2)[2].split("</tr>", 1)[0]  # its row of the table
    misato = page.split("美郷町DX推進基本計画", 2)[2].split("</tr>", 1)[0]
    assert "KPIなし" in katagami and "KPIなし" not in misato
    assert "大江町" not in page  # not a member of 秋田県
