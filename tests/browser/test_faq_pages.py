"""The FAQ in a real browser: a resident asks in hiragana on a phone-sized screen, gets the answer
with a link to the procedure, follows it; guided mode by buttons; every FAQ page axe-clean at 360 px
and 1280 px without sideways scrolling."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from tests.browser.test_accessibility import ContextFactory, assert_fits, axe_violations, open_checked

pytestmark = pytest.mark.browser


def _pages() -> list[str]:
    from yakusho.faq.models import Category

    category = Category.objects.filter(municipality__slug="oe", parent=None).earliest("order")
    return [
        reverse("faq:home", args=["oe"]),
        reverse("faq:home", args=["oe"]) + "?" + urlencode({"q": "じゅうみんひょう"}),
        reverse("faq:home", args=["misato"]) + "?" + urlencode({"q": "UFOを見た"}),
        reverse("faq:category", args=["oe", category.pk]),
        reverse("faq:entry", args=["misato", "s", "mynumber-card-koushin"]),
    ]


@pytest.mark.parametrize("width", ["360", "1280"])
def test_faq_pages_are_axe_clean(site_with_plans: str, new_context: ContextFactory, width: str) -> None:
    for path in _pages():
        page = open_checked(new_context, site_with_plans + path, width)
        violations = axe_violations(page)
        assert violations == [], f"{path}: " + json.dumps(violations, ensure_ascii=False, indent=1)
        assert_fits(page, width)
        page.context.close()


def test_a_resident_asks_in_hiragana_and_reaches_the_procedure(
    site_with_plans: str, new_context: ContextFactory
) -> None:
    page = open_checked(new_context, site_with_plans + reverse("public:municipality", args=["oe"]), "360")
    page.get_by_role("link", name="よくある質問").first.click()
    page.get_by_label("知りたいことを、ふだんの言葉で入力してください").fill("じゅうみんひょう ほしい")
    page.keyboard.press("Enter")
    page.wait_for_url("**/faq/?q=*")
    answer = page.locator("article.faq-answer").first
    assert "住民票" in answer.locator("h2").inner_text()
    assert answer.get_by_text("デモデータ").count() >= 1
    answer.get_by_role("link", name="住民票の写し等の交付申請").click()
    page.wait_for_url("**/procedures/juminhyo-koufu/")
    assert "住民票" in page.locator("h1").inner_text()


def test_guided_mode_reaches_an_answer_by_buttons_alone(
    site_with_plans: str, new_context: ContextFactory
) -> None:
    page = open_checked(new_context, site_with_plans + reverse("faq:home", args=["oe"]), "360")
    page.get_by_role("link", name="ごみ", exact=True).click()
    page.wait_for_url("**/faq/c/*/")
    assert page.locator("h1").inner_text() == "ごみ"
    first = page.locator("main ul.link-list a").first
    question = first.inner_text()
    first.click()
    page.wait_for_url("**/faq/e/*/")
    assert page.locator("article.faq-answer h2").inner_text() == question
