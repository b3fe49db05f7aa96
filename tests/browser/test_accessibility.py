"""axe-core over every public URL pattern and the staff layouts, at 360 px and 1280 px.

One representative page per URL pattern; zero serious or critical violations; no horizontal
scrolling at 360 px; the Content-Security-Policy blocks nothing the pages themselves need.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import BrowserContext, Page, ViewportSize

from yakusho.core.management.commands.demo import DEMO_PASSWORD
from yakusho.core.models import Invitation, Municipality, Role
from yakusho.core.urls import public_patterns

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS: dict[str, ViewportSize] = {
    "360": {"width": 360, "height": 780},
    "1280": {"width": 1280, "height": 900},
}
ContextFactory = Callable[..., BrowserContext]

#: URL names that are not pages: the status fragment is polled into the municipality page.
NOT_PAGES = {"public:office_status"}
PUBLIC_PAGES: dict[str, Callable[[], str]] = {
    "public:home": lambda: reverse("public:home"),
    "public:municipality": lambda: reverse("public:municipality", args=["oe"]),
    "public:accessibility": lambda: reverse("public:accessibility", args=["itako"]),
    "public:privacy": lambda: reverse("public:privacy", args=["misato"]),
    "staff:login": lambda: reverse("staff:login"),
    "staff:invitation_accept": lambda: reverse(
        "staff:invitation_accept",
        args=[
            Invitation.objects.create(
                municipality=Municipality.objects.get(slug="murakami"),
                email="new@example.jp",
                role=Role.COUNTER,
            ).token
        ],
    ),
    "counter_public:confirm": lambda: _counter_confirmation(),
    "counter_public:screen": lambda: _counter_screen(),
}


def _counter_screen() -> str:
    """A tablet paired to a clerk's desk, waiting (書かない窓口)."""
    from yakusho.core.models import User
    from yakusho.procedures.counter import screens

    _screen, token = screens.pair(
        Municipality.objects.get(slug="oe"), User.objects.get(email="counter@example.jp"), "1番窓口"
    )
    return reverse("counter_public:screen", args=[token])


def _counter_confirmation() -> str:
    """The resident's confirmation page of a counter visit (書かない窓口) waiting for the resident."""
    from tests.procedures.helpers import make_procedure, minimal_form
    from yakusho.core.models import Department
    from yakusho.procedures.catalogue.services import add_form_definition
    from yakusho.procedures.counter import services as counter

    town = Municipality.objects.get(slug="oe")
    procedure = make_procedure(
        town, Department.objects.for_municipality(town).earliest("pk"), "axe-counter", "窓口の確認"
    )
    add_form_definition(procedure, minimal_form("axe-counter"))
    visit = counter.start_visit(town, None)
    card = {"name": "大江 花子", "address": "東京都千代田区霞が関1-2-3", "birth_date": "S60.4.1", "sex": "女"}
    counter.identify(visit, "manual", card)
    (item,) = counter.set_procedures(visit, [procedure.pk])
    counter.save_item(visit, item, {"name": ["大江 花子"]})
    return reverse("counter_public:confirm", args=[counter.request_confirmation(visit)])


def test_every_public_url_pattern_is_checked() -> None:
    names = {f"public:{p.name}" for p in public_patterns[0]}
    assert names - NOT_PAGES == {n for n in PUBLIC_PAGES if n.startswith("public:")}


def axe_violations(page: Page) -> list[dict[str, object]]:
    """axe-core's serious and critical violations on ``page``. Every rule runs on every element;
    ``resultTypes`` only spares axe from collecting the details of each element that passed."""
    page.add_script_tag(content=AXE.read_text("utf-8"))
    result = page.evaluate(
        """async () => {
            const r = await axe.run(document, {runOnly: {type: 'tag',
                values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
                resultTypes: ['violations']});
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
        }"""
    )
    return [v for v in result if v["impact"] in ("serious", "critical")]


def open_checked(new_context: ContextFactory, url: str, width: str, login_as: str | None = None) -> Page:
    # axe is injected as an inline script, which our own policy forbids: bypass CSP for it only.
    context = new_context(viewport=WIDTHS[width], bypass_csp=True)
    page = context.new_page()
    if login_as:
        page.goto(url.split("/", 3)[0] + "//" + url.split("/", 3)[2] + reverse("staff:login"))
        page.fill("#id_username", login_as)
        page.fill("#id_password", DEMO_PASSWORD)
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.url.endswith(reverse("staff:home")), page.url
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    assert page.url == url, f"redirected to {page.url}"
    return page


def assert_fits(page: Page, width: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px at {width}px"


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", sorted(PUBLIC_PAGES))
def test_public_pages_are_axe_clean(site: str, new_context: ContextFactory, name: str, width: str) -> None:
    page = open_checked(new_context, site + PUBLIC_PAGES[name](), width)
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
    assert_fits(page, width)


STAFF_PAGES = {
    "staff home": lambda: reverse("staff:home"),
    "municipality": lambda: reverse("staff:municipality", args=["katagami"]),
    "departments": lambda: reverse("staff:department_list", args=["katagami"]),
    "calendar": lambda: reverse("staff:closure_list", args=["oe"]),
}


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", sorted(STAFF_PAGES))
def test_staff_layout_is_axe_clean(site: str, new_context: ContextFactory, name: str, width: str) -> None:
    page = open_checked(new_context, site + STAFF_PAGES[name](), width, login_as="dx@example.jp")
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, ensure_ascii=False, indent=1)
    assert_fits(page, width)


def test_pages_need_nothing_the_policy_blocks(site: str, new_context: ContextFactory) -> None:
    """With the Content-Security-Policy enforced, pages load their CSS and script, and nothing is refused."""
    page = new_context().new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    failed: list[str] = []
    page.on("requestfailed", lambda r: failed.append(r.url))
    for path in ("/", reverse("public:municipality", args=["katagami"]), reverse("staff:login")):
        page.goto(site + path)
        assert (
            page.evaluate("getComputedStyle(document.querySelector('.site-header')).borderBottomStyle")
            == "solid"
        )
    assert refused == [] and failed == []


def test_office_status_is_refreshed_by_polling(site: str, new_context: ContextFactory) -> None:
    page = new_context().new_page()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.clock.install()
    page.goto(site + reverse("public:municipality", args=["oe"]))
    status_url = reverse("public:office_status", args=["oe"])
    with page.expect_response(lambda r: r.url.endswith(status_url)):
        page.clock.run_for(61_000)
    assert any(u.endswith(status_url) for u in requests)
    text = page.inner_text("#office-status")
    assert "開庁中" in text or "閉庁中" in text


def test_axe_reports_a_known_violation(new_context: ContextFactory) -> None:
    """The check itself works: an image without alt text and an unlabelled field are caught."""
    page = new_context(bypass_csp=True).new_page()
    page.set_content('<html lang="ja"><body><main><img src="x.png"><input type="text"></main></body></html>')
    ids = {v["id"] for v in axe_violations(page)}
    assert {"image-alt", "label"} <= ids
