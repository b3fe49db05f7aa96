"""The public progress report and the list of reports at 360 px and 1280 px: axe-clean, no
sideways scrolling, charts drawn, and the printed page fits A4."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.urls import reverse

from tests.browser.test_accessibility import ContextFactory, assert_fits, axe_violations, open_checked
from yakusho.plans.models import NodeReview, Plan, ReviewCycle, ReviewGrade
from yakusho.plans.review.services import open_cycle

pytestmark = pytest.mark.browser


def _finalised_cycle() -> ReviewCycle:
    """A finalised demo review of 大江町's plan, with every status and grade in use."""
    plan = Plan.objects.get(key="oe-dx")
    edition = plan.current_edition
    assert edition is not None
    year = edition.first_year
    cycle = ReviewCycle.objects.filter(edition__plan=plan, fiscal_year=year).first() or open_cycle(
        edition, year, date(year + 1, 5, 31)
    )
    grades = list(ReviewGrade.objects.filter(municipality=plan.municipality))
    statuses = NodeReview.Progress.values
    for i, r in enumerate(cycle.node_reviews.all()):
        r.status, r.grade, r.progress = statuses[i % len(statuses)], grades[i % len(grades)], 50
        r.achievements = "庁内説明会を開催し、手順書を作成した。" * (1 + i % 3)
        r.state = NodeReview.State.FINALISED
        r.save()
    ReviewCycle.objects.filter(pk=cycle.pk).update(state=ReviewCycle.State.FINALISED, demo=True)
    return cycle


@pytest.mark.parametrize("width", ["360", "1280"])
def test_public_report_and_list_are_axe_clean(
    site_with_plans: str, new_context: ContextFactory, width: str
) -> None:
    cycle = _finalised_cycle()
    urls = [
        reverse("plans:report", args=["oe", "oe-dx", cycle.fiscal_year]),
        reverse("plans:reports", args=["oe", "oe-dx"]),
    ]
    for url in urls:
        page = open_checked(new_context, site_with_plans + url, width)
        violations = axe_violations(page)
        assert violations == [], url + json.dumps(violations, ensure_ascii=False, indent=1)
        assert_fits(page, width)
        if url == urls[0]:
            assert page.locator(".report-chart svg rect").count() >= 3
            assert "デモデータ" in page.inner_text(".report-demo")
            pdf = page.pdf(format="A4", landscape=True)
            assert pdf.startswith(b"%PDF")
        page.context.close()
