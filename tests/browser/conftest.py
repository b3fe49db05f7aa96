"""Fixtures for the browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Playwright's sync API runs an asyncio event loop in the test thread, and these tests also use the
Django ORM there, so Django's "async unsafe" guard is switched off for this directory.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, ViewportSize, sync_playwright
from pytest_django.live_server_helper import LiveServer

from tests.conftest import release_kept_demo

CHROMIUM = os.environ.get("YAKUSHO_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
TIMEOUT_MS = 15_000

ContextFactory = Callable[..., BrowserContext]


@pytest.fixture(scope="session")
def playwright_instance(django_db_blocker: Any) -> Iterator[Playwright]:
    release_kept_demo(django_db_blocker)  # browser tests commit; tests are ordered so none keeps it after
    # from the first browser test to the end of this worker's run (tests of deployment checks unset it)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def new_context(browser: Browser) -> Iterator[ContextFactory]:
    """Open fresh browser contexts (own cookies: a separate "device"); all are closed after the test.

    The contexts ask for Japanese, as a municipal employee's browser would; LocaleMiddleware would
    otherwise follow headless Chromium's en-US Accept-Language.
    """
    contexts: list[BrowserContext] = []

    def make(*, viewport: ViewportSize | None = None, bypass_csp: bool = False) -> BrowserContext:
        context = browser.new_context(
            viewport=viewport or DESKTOP,
            bypass_csp=bypass_csp,
            locale="ja-JP",
            timezone_id="Asia/Tokyo",
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context: ContextFactory) -> Page:
    """A desktop-width page (for the staff screens)."""
    return new_context().new_page()


@pytest.fixture
def phone_page(new_context: ContextFactory) -> Page:
    """A 390×844 page, the width of a common phone, for the public screens."""
    return new_context(viewport=PHONE).new_page()


@pytest.fixture
def site(live_server: LiveServer, transactional_db: None, demo: None) -> str:
    """Base URL of the live server, with the demo data loaded.

    ``transactional_db`` (requested before ``demo``, whose ``db`` then resolves to it) makes the data
    committed, so the server thread sees it; it is flushed after each test.
    """
    return str(live_server.url)


@pytest.fixture
def site_with_plans(live_server: LiveServer, transactional_db: None, demo_with_plans: None) -> str:
    """Like ``site``, with the five source plans imported."""
    return str(live_server.url)
