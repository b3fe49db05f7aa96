"""Reviews per period (issue 17): a plan reviewed half-yearly or quarterly keeps its actuals per
period and builds the year's figure from them; cycles, the review form, reminders, the dashboard and
the API work per period. Also what a review grades (per 課, per initiative, per KPI) on the form, and
the KPI input saved by the review's one form."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from yakusho.core.models import Role
from yakusho.metrics.registry import Period
from yakusho.plans import periods
from yakusho.plans.models import (
    GradedItem,
    Kpi,
    KpiActual,
    KpiGrade,
    KpiPeriodActual,
    NodeReview,
    PlanEdition,
    ReviewCycle,
    ReviewPeriod,
)
from yakusho.plans.review.actuals import record_actual
from yakusho.plans.review.scales import grades_for
from yakusho.plans.review.services import ReviewError, open_cycle, transition

pytestmark = pytest.mark.django_db


def plan_data(key: str = "period-test") -> dict[str, Any]:
    return {
        "format": "yakusho-plan/1",
        "municipality": "063240",
        "key": key,
        "title": "半期評価の試験計画",
        "kind": "計画",
        "first_year": 2025,
        "last_year": 2027,
        "edition": {"number": "1"},
        "level_labels": ["施策"],
        "nodes": [
            {
                "key": "a",
                "title": "窓口のデジタル化",
                "departments": [{"name": "総務課", "lead": True}, {"name": "政策推進課"}],
            }
        ],
        "kpis": [
            {
                "key": "count",
                "node": "a",
                "name": "オンライン申請の件数",
                "unit": "件",
                "direction": "increase",
                "accumulation": "per_year",
                "targets": [{"fiscal_year": 2025, "value": 1850, "text": "1,850件"}],
            },
            {
                "key": "rate",
                "node": "a",
                "name": "オンライン化率",
                "unit": "%",
                "direction": "increase",
                "accumulation": "point_in_time",
                "targets": [{"fiscal_year": 2025, "value": 50, "text": "50%"}],
            },
        ],
    }


@pytest.fixture
def edition(demo, plan_from) -> PlanEdition:
    e = plan_from(plan_data()).edition
    PlanEdition.objects.filter(pk=e.pk).update(review_period=ReviewPeriod.HALF)
    e.refresh_from_db()
    return e


def test_periods_run_in_the_fiscal_year_with_their_names() -> None:
    assert periods.bounds(2026, "half", 1) == (date(2026, 4, 1), date(2026, 9, 30))
    assert periods.bounds(2026, "half", 2) == (date(2026, 10, 1), date(2027, 3, 31))
    assert periods.bounds(2026, "quarter", 3) == (date(2026, 10, 1), date(2026, 12, 31))
    assert periods.bounds(2026, "quarter", 4) == (date(2027, 1, 1), date(2027, 3, 31))
    assert periods.bounds(2026, "year", 0) == (date(2026, 4, 1), date(2027, 3, 31))
    assert periods.label(2026, "half", 2) == "令和8年度 下半期"
    assert periods.label(2026, "quarter", 1) == "令和8年度 第1四半期"
    assert periods.label(2026, "year", 0) == "令和8年度"
    assert periods.numbers("quarter") == [1, 2, 3, 4] and periods.numbers("year") == [0]
    with pytest.raises(ValueError):
        periods.bounds(2026, "half", 3)


def test_a_half_yearly_plan_opens_one_cycle_per_period_and_refuses_others(edition: PlanEdition) -> None:
    first = open_cycle(edition, 2025, date(2025, 10, 31), period=1)
    assert (first.period, first.label) == (1, "令和7年度 上半期")
    with pytest.raises(ReviewError, match="上半期の進捗評価はすでに"):
        open_cycle(edition, 2025, date(2025, 10, 31), period=1)
    with pytest.raises(ReviewError, match="半期ごと"):
        open_cycle(edition, 2025, date(2025, 10, 31), period=3)
    with pytest.raises(ReviewError, match="半期ごと"):
        open_cycle(edition, 2025, date(2025, 10, 31), period=0)
    assert ReviewCycle.objects.filter(edition=edition).count() == 1


def test_the_next_period_starts_from_the_previous_periods_texts(edition: PlanEdition) -> None:
    first = open_cycle(edition, 2025, date(2025, 10, 31), period=1)
    lead = first.node_reviews.get(lead=True)
    NodeReview.objects.filter(pk=lead.pk).update(achievements="上半期に受付を電子化した", progress=40)
    second = open_cycle(edition, 2025, date(2026, 4, 30), period=2)
    copied = second.node_reviews.get(lead=True)
    assert (copied.achievements, copied.progress) == ("上半期に受付を電子化した", 40)


def secretariat(staff_of, edition: PlanEdition) -> Any:
    return staff_of(edition.municipality, Role.SECRETARIAT)


def test_the_years_figure_is_built_from_its_periods(edition: PlanEdition, staff_of) -> None:
    staff = secretariat(staff_of, edition)
    count = Kpi.objects.get(edition=edition, key="count")
    rate = Kpi.objects.get(edition=edition, key="rate")
    first = open_cycle(edition, 2025, date(2025, 10, 31), period=1)
    record_actual(count, first, staff, value=Decimal(800), on=date(2025, 9, 30))
    record_actual(rate, first, staff, value=Decimal(30), on=date(2025, 9, 30))
    year = KpiActual.objects.get(kpi=count, fiscal_year=2025)
    assert year.value == Decimal(800) and "上半期の合計" in year.note and "下半期は未記録" in year.note
    second = open_cycle(edition, 2025, date(2026, 4, 30), period=2)
    record_actual(count, second, staff, value=Decimal(1100), on=date(2026, 3, 31))
    record_actual(rate, second, staff, value=Decimal(45), on=date(2026, 3, 31))
    year = KpiActual.objects.get(kpi=count, fiscal_year=2025)
    # counted per year: the sum of the periods; a rate: the latest period's value
    assert year.value == Decimal(1900) and year.note == "上半期・下半期の合計"
    assert year.date == date(2026, 3, 31) and year.source == KpiActual.Source.REVIEW
    assert KpiActual.objects.get(kpi=rate, fiscal_year=2025).value == Decimal(45)
    kept = KpiPeriodActual.objects.filter(kpi=count, fiscal_year=2025).order_by("period")
    assert [(p.period, p.value) for p in kept] == [(1, Decimal(800)), (2, Decimal(1100))]
    # correcting a period rebuilds the year
    record_actual(count, first, staff, value=Decimal(850), on=date(2025, 9, 30))
    assert KpiActual.objects.get(kpi=count, fiscal_year=2025).value == Decimal(1950)


def test_a_metric_is_measured_over_the_cycles_period(edition: PlanEdition) -> None:
    from yakusho.plans.review.actuals import cycle_period

    second = open_cycle(edition, 2025, date(2026, 4, 30), period=2)
    assert cycle_period(second) == Period(date(2025, 10, 1), date(2026, 3, 31))


def url(r: NodeReview) -> str:
    return reverse("reviews:node", args=[r.municipality.slug, r.cycle_id, r.pk])


def test_submit_saves_the_kpi_typed_in_the_one_form(edition: PlanEdition, client: Client, signed_in) -> None:
    cycle = open_cycle(edition, 2025, date(2025, 10, 31), period=1)
    review = cycle.node_reviews.get(lead=True)
    count = Kpi.objects.get(edition=edition, key="count")
    signed_in(edition.municipality, Role.DEPARTMENT, ["総務課"])
    page = client.get(url(review)).content.decode()
    assert f'name="kpi-{count.pk}-value"' in page and "令和7年度 上半期" in page
    response = client.post(
        url(review),
        {
            "status": "in_progress",
            "progress": "50",
            "achievements": "受付を電子化した",
            f"kpi-{count.pk}-value": "１，２００",
            f"kpi-{count.pk}-text": "",
            "action": "submit",
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.state == NodeReview.State.SUBMITTED
    assert KpiPeriodActual.objects.get(kpi=count, period=1).value == Decimal(1200)


def test_a_bad_kpi_value_refuses_the_whole_form_and_keeps_what_was_typed(
    edition: PlanEdition, client: Client, signed_in
) -> None:
    cycle = open_cycle(edition, 2025, date(2025, 10, 31), period=1)
    review = cycle.node_reviews.get(lead=True)
    count = Kpi.objects.get(edition=edition, key="count")
    rate = Kpi.objects.get(edition=edition, key="rate")
    signed_in(edition.municipality, Role.DEPARTMENT, ["総務課"])
    response = client.post(
        url(review),
        {
            "status": "in_progress",
            "achievements": "受付を電子化した",
            f"kpi-{count.pk}-value": "千二百",
            f"kpi-{rate.pk}-value": "130",
            "action": "submit",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "千二百" in page and "受付を電子化した" in page and "実績値（数値）" in page
    review.refresh_from_db()
    assert review.state == NodeReview.State.DRAFT and review.achievements == ""
    assert not KpiPeriodActual.objects.exists()
    # a value the service refuses (a rate over 100) also saves nothing of the form
    response = client.post(
        url(review),
        {
            "status": "in_progress",
            "achievements": "受付を電子化した",
            f"kpi-{rate.pk}-value": "130",
            "action": "submit",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    # said beside the KPI's input and in the page's message, naming the KPI
    assert "「オンライン化率」：割合は0から100の間で入力してください。" in page
    assert page.count("割合は0から100の間で入力してください。") >= 2
    review.refresh_from_db()
    assert review.state == NodeReview.State.DRAFT and review.achievements == ""
    assert 'value="130"' in response.content.decode()


def test_grading_per_initiative_puts_the_grade_on_the_lead_review_only(
    edition: PlanEdition, client: Client, signed_in
) -> None:
    PlanEdition.objects.filter(pk=edition.pk).update(graded=GradedItem.NODE)
    cycle = open_cycle(edition, 2025, date(2025, 10, 31), period=1)
    lead = cycle.node_reviews.get(lead=True)
    other = cycle.node_reviews.get(lead=False)
    signed_in(edition.municipality, Role.SECRETARIAT)
    assert 'name="grade"' in client.get(url(lead)).content.decode()
    page = client.get(url(other)).content.decode()
    assert 'name="grade"' not in page and "主担当課の評価でつけます" in page
    grade = grades_for(cycle.edition)[0]
    client.post(url(other), {"status": "in_progress", "grade": str(grade.pk), "save": "1"})
    other.refresh_from_db()
    assert other.grade_id is None


def test_grading_per_kpi_saves_each_kpis_grade_with_the_form(
    edition: PlanEdition, client: Client, signed_in
) -> None:
    PlanEdition.objects.filter(pk=edition.pk).update(graded=GradedItem.KPI)
    cycle = open_cycle(edition, 2025, date(2025, 10, 31), period=1)
    review = cycle.node_reviews.get(lead=True)
    count = Kpi.objects.get(edition=edition, key="count")
    grade = grades_for(cycle.edition)[1]
    signed_in(edition.municipality, Role.DEPARTMENT, ["総務課"])
    page = client.get(url(review)).content.decode()
    assert 'name="grade"' not in page and f'name="kpi-{count.pk}-grade"' in page
    response = client.post(
        url(review), {"status": "in_progress", f"kpi-{count.pk}-grade": str(grade.pk), "action": "submit"}
    )
    assert response.status_code == 302
    assert KpiGrade.objects.get(cycle=cycle, kpi=count).grade == grade


def test_reminders_name_the_period(edition: PlanEdition, staff_of, settings) -> None:
    from yakusho.core.outbox import deliver_due
    from yakusho.plans.review.reminders import send_reminders

    staff_of(edition.municipality, Role.DEPARTMENT, ["総務課"])
    cycle = open_cycle(edition, 2025, date(2025, 10, 31), period=1)
    assert send_reminders(cycle.due_date) >= 1
    deliver_due()
    assert any("令和7年度 上半期の進捗評価" in m.subject for m in mail.outbox)


def test_the_api_gives_the_period_actuals_and_the_published_reviews(
    edition: PlanEdition, staff_of, client: Client
) -> None:
    staff = secretariat(staff_of, edition)
    count = Kpi.objects.get(edition=edition, key="count")
    cycle = open_cycle(edition, 2025, date(2025, 10, 31), period=1)
    record_actual(count, cycle, staff, value=Decimal(800), on=date(2025, 9, 30))
    base = f"/api/v1/plans/{edition.municipality.slug}/{edition.plan.key}"
    assert client.get(base).json()["review_period"] == "half"
    kpi = next(k for k in client.get(f"{base}/kpis").json() if k["key"] == "count")
    assert kpi["period_actuals"] == [
        {
            "fiscal_year": 2025,
            "period": 1,
            "period_label": "令和7年度 上半期",
            "value": 800,
            "text": "",
            "source": "review",
            "as_of": "2025-09-30",
        }
    ]
    assert "下半期は未記録" in kpi["actuals"][0]["note"]
    assert client.get(f"{base}/reviews").json() == []  # open: not published
    hq = staff_of(edition.municipality, Role.HQ)
    for r in cycle.node_reviews.all():
        r.state = NodeReview.State.ACCEPTED
        r.save()
        transition(r, "finalise", hq)
    reviews = client.get(f"{base}/reviews").json()
    assert [(r["fiscal_year"], r["period"], r["label"]) for r in reviews] == [(2025, 1, "令和7年度 上半期")]


def test_the_dashboard_compares_a_period_with_the_same_period_a_year_before(
    edition: PlanEdition, staff_of, client: Client, signed_in
) -> None:
    staff = secretariat(staff_of, edition)
    count = Kpi.objects.get(edition=edition, key="count")
    before = open_cycle(edition, 2025, date(2025, 10, 31), period=1)
    record_actual(count, before, staff, value=Decimal(800), on=date(2025, 9, 30))
    other = open_cycle(edition, 2025, date(2026, 4, 30), period=2)
    record_actual(count, other, staff, value=Decimal(5000), on=date(2026, 3, 31))
    now = open_cycle(edition, 2026, date(2026, 10, 31), period=1)
    record_actual(count, now, staff, value=Decimal(900), on=date(2026, 9, 30))
    signed_in(edition.municipality, Role.SECRETARIAT)
    page = client.get(reverse("reviews:dashboard", args=[edition.municipality.slug, now.pk])).content.decode()
    assert "令和7年度 上半期の進捗評価と" in page
    assert "800" in page and "5,000" not in page
