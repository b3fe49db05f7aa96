"""The five plans' overview, roadmap, KPI and alignment pages at 360 px and 1280 px: axe-clean,
no sideways scrolling, and the roadmap marks this fiscal year in words."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tests.browser.test_accessibility import ContextFactory, assert_fits, axe_violations, open_checked

pytestmark = pytest.mark.browser

PLANS = {
    "katagami": "katagami-dx",
    "itako": "itako-dx",
    "murakami": "murakami-dx",
    "oe": "oe-dx",
    "misato": "misato-dx-action-plan",
}
PAGES = ("overview", "roadmap", "kpis", "alignment")


@pytest.mark.parametrize("width", ["360", "1280"])
@pytest.mark.parametrize("slug", list(PLANS))
def test_plan_pages_are_axe_clean(
    site_with_plans: str, new_context: ContextFactory, slug: str, width: str
) -> None:
    for name in PAGES:
        page = open_checked(
            new_context, site_with_plans + reverse(f"plans:{name}", args=[slug, PLANS[slug]]), width
        )
        violations = axe_violations(page)
        assert violations == [], f"{name}: " + json.dumps(violations, ensure_ascii=False, indent=1)
        assert_fits(page, width)
        page.context.close()


def test_roadmap_marks_this_year_and_prints_landscape(
    site_with_plans: str, new_context: ContextFactory
) -> None:
    page = new_context().new_page()
    page.goto(site_with_plans + reverse("plans:roadmap", args=["oe", "oe-dx"]))
    assert page.locator(".roadmap-year.is-now").inner_text().endswith("今年度")
    pdf = page.pdf(format="A4", landscape=True, print_background=True)
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000


@pytest.mark.parametrize("width", ["360", "1280"])
def test_compare_page_shows_all_five_axe_clean(
    site_with_plans: str, new_context: ContextFactory, width: str
) -> None:
    page = open_checked(new_context, site_with_plans + reverse("plans:compare"), width)
    text = page.inner_text("main")
    for name in ("潟上市", "潮来市", "村上市", "大江町", "美郷町"):
        assert name in text
    assert axe_violations(page) == []
    assert_fits(page, width)


@pytest.mark.parametrize("width", ["360", "1280"])
def test_node_page_with_a_kpi_chart_is_axe_clean(
    site_with_plans: str, new_context: ContextFactory, width: str
) -> None:
    url = site_with_plans + reverse("plans:node", args=["misato", "misato-dx-action-plan", "g1-1"])
    page = open_checked(new_context, url, width)
    assert page.locator(".kpi-chart svg circle").count() >= 1
    assert axe_violations(page) == []
    assert_fits(page, width)
