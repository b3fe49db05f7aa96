"""The review dashboards at 360 px and 1280 px: axe-clean, no sideways scrolling, bars drawn."""

from __future__ import annotations

import json
from datetime import date

import pytest
from django.urls import reverse

from tests.browser.test_accessibility import ContextFactory, assert_fits, axe_violations, open_checked
from yakusho.plans.models import NodeReview, Plan, ReviewCycle, ReviewGrade
from yakusho.plans.review.services import open_cycle

pytestmark = pytest.mark.browser


def _cycle() -> ReviewCycle:
    """美郷町's review of its first year, with grades and statuses in use and a passed due date."""
    plan = Plan.objects.get(key="misato-dx-action-plan")
    edition = plan.current_edition
    assert edition is not None
    cycle = ReviewCycle.objects.filter(edition__plan=plan).order_by("-fiscal_year").first() or open_cycle(
        edition, edition.first_year, date(edition.first_year + 1, 5, 31)
    )
    grades = list(ReviewGrade.objects.filter(municipality=plan.municipality))
    statuses = NodeReview.Progress.values
    for i, r in enumerate(cycle.node_reviews.all()):
        r.status, r.grade = statuses[i % len(statuses)], grades[i % len(grades)]
        r.state = NodeReview.State.SUBMITTED if i % 2 else NodeReview.State.DRAFT
        r.save()
    ReviewCycle.objects.filter(pk=cycle.pk).update(due_date=date(2025, 5, 30))
    return cycle


@pytest.mark.parametrize("width", ["360", "1280"])
def test_dashboards_are_axe_clean(site_with_plans: str, new_context: ContextFactory, width: str) -> None:
    cycle = _cycle()
    pages = [
        (reverse("reviews:dashboard", args=["misato", cycle.pk]), "dx@example.jp"),
        (reverse("reviews:consortium_dashboard", args=["akita"]), "consortium@example.jp"),
        (reverse("staff:consortium", args=["akita"]), "consortium@example.jp"),
    ]
    for url, user in pages:
        page = open_checked(new_context, site_with_plans + url, width, login_as=user)
        violations = axe_violations(page)
        assert violations == [], url + json.dumps(violations, ensure_ascii=False, indent=1)
        assert_fits(page, width)
        assert page.locator("svg.share-bar").count() >= 1, url
        page.context.close()
