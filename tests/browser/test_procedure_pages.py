"""The procedure catalogue at 360 px and 1280 px: axe-clean, no sideways scrolling, and a
hiragana search that finds a kanji name."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.test_accessibility import ContextFactory, assert_fits, axe_violations, open_checked
from yakusho.procedures.models import Procedure

pytestmark = pytest.mark.browser

PUBLIC = [
    ("procedures:catalogue", ["oe"], ""),
    ("procedures:catalogue", ["misato"], "?" + urlencode({"q": "じゅうみんひょう"})),
    ("procedures:life_event", ["oe", "moving-in"], ""),
    ("procedures:detail", ["oe", "sodai-gomi"], ""),
    ("procedures:detail", ["oe", "jidou-teate-nintei"], ""),
]


@pytest.mark.parametrize("width", ["360", "1280"])
def test_procedure_pages_are_axe_clean(site_with_plans: str, new_context: ContextFactory, width: str) -> None:
    for name, args, query in PUBLIC:
        page = open_checked(new_context, site_with_plans + reverse(name, args=args) + query, width)
        violations = axe_violations(page)
        assert violations == [], f"{name}: " + json.dumps(violations, ensure_ascii=False, indent=1)
        assert_fits(page, width)
        page.context.close()
    sodai = Procedure.objects.get(municipality__slug="oe", key="sodai-gomi")
    staff: list[tuple[str, list[object]]] = [
        ("procedures_staff:list", ["oe"]),
        ("procedures_staff:detail", ["oe", sodai.pk]),
    ]
    for name, staff_args in staff:
        page = open_checked(
            new_context, site_with_plans + reverse(name, args=staff_args), width, login_as="dx@example.jp"
        )
        violations = axe_violations(page)
        assert violations == [], f"{name}: " + json.dumps(violations, ensure_ascii=False, indent=1)
        assert_fits(page, width)
        page.context.close()


#: How many line boxes a button's label takes (探す wrapped one character per line: 2).
LABEL_LINES = (
    "b => { const r = document.createRange(); r.selectNodeContents(b); return r.getClientRects().length; }"
)


def test_hiragana_search_on_a_phone(site_with_plans: str, phone_page) -> None:
    """From the town's home page: its search box, 探す on one line, a hiragana word that finds the
    kanji name."""
    phone_page.goto(site_with_plans + reverse("public:municipality", args=["misato"]))
    button = phone_page.locator(".home-search button")
    assert button.evaluate(LABEL_LINES) == 1
    phone_page.fill("#home-q", "じゅうみんひょう")
    button.click()
    # to_have_text waits for the results page (all_inner_texts would read whatever is there yet)
    expect(phone_page.locator(".procedure-title a")).to_have_text(["住民票の写しの交付"])
    assert phone_page.locator("#id_q").input_value() == "じゅうみんひょう"
    assert phone_page.locator(".search-row button").evaluate(LABEL_LINES) == 1
