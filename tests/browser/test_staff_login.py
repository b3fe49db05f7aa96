"""Public pages at phone width, staff sign-in with TOTP two-factor, role limits and keyboard use.

Driven in headless Chromium against the live server with the demo data (`yakusho demo`).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import BrowserContext, Page, expect

from yakusho.core.management.commands.demo import DEMO_PASSWORD
from yakusho.core.models import Department, Municipality

pytestmark = pytest.mark.browser

MUNICIPALITIES = {
    "katagami": "潟上市",
    "itako": "潮来市",
    "murakami": "村上市",
    "oe": "大江町",
    "misato": "美郷町",
}
ADMIN = "admin@example.jp"
SECRETARIAT = "dx@example.jp"
COUNTER = "counter@example.jp"
WRONG_CODE_MESSAGE = "確認コードが正しくありません。"

ContextFactory = Callable[..., BrowserContext]


# --- helpers ---------------------------------------------------------------------------------


def path_of(page: Page) -> str:
    return urlsplit(page.url).path


def query_of(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def totp_code(secret: str, step: int | None = None) -> str:
    """The 6-digit code an authenticator app shows for ``secret`` (base32), now or at time step ``step``."""
    totp = TOTP(base64.b32decode(secret))
    if step is not None:
        totp.time = step * totp.step
    return f"{totp.token():06d}"


def current_step(secret: str) -> int:
    return int(TOTP(base64.b32decode(secret)).t())


def log_in(page: Page, base_url: str, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{base_url}/staff/login/")
    page.get_by_label("メールアドレス").fill(email)
    page.get_by_label("パスワード").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="ログイン").click()


def submit_code(page: Page, code: str, button: str) -> None:
    page.get_by_label("確認コード（6桁）").fill(code)
    with page.expect_navigation():
        page.get_by_role("button", name=button).click()


def expect_staff_home_lists_all(page: Page) -> None:
    assert path_of(page) == "/staff/"
    expect(page.get_by_role("heading", level=1)).to_have_text("職員ホーム")
    for slug, name in MUNICIPALITIES.items():
        link = page.get_by_role("link", name=name, exact=True)
        expect(link).to_have_count(1)
        expect(link).to_have_attribute("href", f"/staff/m/{slug}/")


# --- public pages at phone width -------------------------------------------------------------


def test_public_home_lists_municipalities_at_phone_width(site: str, phone_page: Page) -> None:
    page = phone_page
    static_status: dict[str, int] = {}
    page.on("response", lambda r: static_status.update({r.url: r.status}) if "/static/" in r.url else None)
    response = page.goto(f"{site}/")
    assert response is not None and response.status == 200
    # The stylesheets load (the layout checks below depend on them).
    assert len(static_status) >= 2 and set(static_status.values()) == {200}, static_status
    assert page.viewport_size == {"width": 390, "height": 844}

    cards = page.locator(".card-list .card h3 a")
    expect(cards).to_have_count(len(MUNICIPALITIES))
    for slug, name in MUNICIPALITIES.items():
        link = page.get_by_role("link", name=name, exact=True)
        expect(link).to_have_count(1)
        expect(link).to_have_attribute("href", f"/m/{slug}/")
        expect(link).to_be_visible()

    # Nothing sticks out sideways on a phone: no horizontal scrolling.
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 390, f"page is {scroll_width}px wide at a 390px viewport"

    # Following a link opens that municipality's page, named in its heading.
    with page.expect_navigation():
        page.get_by_role("link", name="潮来市", exact=True).click()
    assert path_of(page) == "/m/itako/"
    h1 = page.get_by_role("heading", level=1)
    expect(h1).to_contain_text("潮来市")
    expect(h1).not_to_contain_text("潟上市")

    # Every other municipality's page names its own municipality.
    for slug, name in MUNICIPALITIES.items():
        response = page.goto(f"{site}/m/{slug}/")
        assert response is not None and response.status == 200, slug
        h1_text = page.get_by_role("heading", level=1).inner_text()
        assert h1_text.startswith(name), (slug, h1_text)


# --- administrator: two-factor setup, then verification -----------------------------------


def test_administrator_sets_up_and_then_must_verify_two_factor(
    site: str, page: Page, new_context: ContextFactory
) -> None:
    # First sign-in: the administrator is sent to set up an authenticator app.
    log_in(page, site, ADMIN)
    assert path_of(page) == "/staff/2fa/setup/", page.url
    assert query_of(page).get("next") == ["/staff/"]
    setup_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("二要素認証の設定")
    expect(page.locator(".qr svg")).to_have_count(1)

    # Until the setup is finished, staff pages stay closed.
    page.goto(f"{site}/staff/m/katagami/")
    assert path_of(page) == "/staff/2fa/setup/"
    assert query_of(page).get("next") == ["/staff/m/katagami/"]
    page.goto(setup_url)

    secret = page.locator("#totp-secret").inner_text().strip()
    assert len(secret) >= 16
    base64.b32decode(secret)  # a valid base32 key, as an authenticator app would accept it
    # The page shows one stable secret across reloads (the unconfirmed device is reused).
    page.reload()
    assert page.locator("#totp-secret").inner_text().strip() == secret

    submit_code(page, totp_code(secret), "設定する")
    expect_staff_home_lists_all(page)
    expect(page.get_by_role("status")).to_contain_text("二要素認証を設定しました。")
    expect(page.get_by_text("二要素認証：設定済み")).to_be_visible()
    assert TOTPDevice.objects.filter(user__email=ADMIN, confirmed=True).count() == 1

    # Signed in and verified, the administrator reaches an administrator-only page.
    response = page.goto(f"{site}/staff/m/katagami/staff/")
    assert response is not None and response.status == 200
    assert path_of(page) == "/staff/m/katagami/staff/"

    # A fresh sign-in (another browser, own cookies) must now be asked for a code.
    other = new_context().new_page()
    log_in(other, site, ADMIN)
    assert path_of(other) == "/staff/2fa/verify/", other.url
    expect(other.get_by_role("heading", level=1)).to_have_text("二要素認証")

    # Other staff pages send the user back to verification, remembering where they wanted to go.
    other.goto(f"{site}/staff/m/katagami/staff/")
    assert path_of(other) == "/staff/2fa/verify/"
    assert query_of(other).get("next") == ["/staff/m/katagami/staff/"]

    # A wrong code: an error in Japanese, and the user stays on the verification page.
    step = current_step(secret)
    valid_nearby = {totp_code(secret, s) for s in range(step - 2, step + 3)}
    wrong = next(c for c in ("000000", "000001", "999999") if c not in valid_nearby)
    submit_code(other, wrong, "確認")
    assert path_of(other) == "/staff/2fa/verify/"
    expect(other.get_by_role("alert")).to_contain_text(WRONG_CODE_MESSAGE)
    expect(other.locator("#id_token_error")).to_contain_text(WRONG_CODE_MESSAGE)
    response = other.goto(f"{site}/staff/")
    assert path_of(other) == "/staff/2fa/verify/", "a wrong code must not sign the user in"

    # The right code gets in. A code is accepted once only (the setup used the current one), so
    # send the next unused step within the server's tolerance of one step; and let django-otp's
    # throttle (1 s after one failure) run out by moving the failure's time back, not by waiting.
    device = TOTPDevice.objects.get(user__email=ADMIN, confirmed=True)
    assert device.throttling_failure_count == 1
    assert device.throttling_failure_timestamp is not None
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=device.throttling_failure_timestamp - timedelta(seconds=2)
    )
    step = max(current_step(secret), device.last_t + 1)
    other.goto(f"{site}/staff/m/katagami/staff/")
    assert path_of(other) == "/staff/2fa/verify/"
    submit_code(other, totp_code(secret, step), "確認")
    assert path_of(other) == "/staff/m/katagami/staff/", other.url
    expect(other.get_by_role("heading", level=1)).to_have_text("職員")
    other.goto(f"{site}/staff/")
    expect_staff_home_lists_all(other)


# --- secretariat: no two-factor prompt, limited to its role -----------------------------------


def test_secretariat_sees_departments_but_not_staff_management(site: str, page: Page) -> None:
    log_in(page, site, SECRETARIAT)
    assert path_of(page) == "/staff/", page.url  # no two-factor prompt for this role
    expect_staff_home_lists_all(page)
    expect(page.get_by_text("二要素認証：未設定")).to_be_visible()

    response = page.goto(f"{site}/staff/m/katagami/departments/")
    assert response is not None and response.status == 200
    assert path_of(page) == "/staff/m/katagami/departments/"
    expect(page.get_by_role("heading", level=1)).to_have_text("課")

    katagami = Municipality.objects.get(slug="katagami")
    expected = list(Department.objects.for_municipality(katagami).values_list("name", flat=True))
    assert expected, "the demo gives 潟上市 departments"
    rows = page.locator("table tbody tr td:first-child")
    assert rows.all_inner_texts() == expected
    # Other municipalities' departments are not shown.
    others = set(Department.objects.exclude(municipality=katagami).values_list("name", flat=True)) - set(
        expected
    )
    shown = set(rows.all_inner_texts())
    assert not shown & others

    # The secretariat has no staff-management link and no "add department" button...
    subnav = page.get_by_role("navigation", name="業務メニュー")
    expect(subnav.get_by_role("link", name="課", exact=True)).to_be_visible()
    expect(subnav.get_by_role("link", name="職員", exact=True)).to_have_count(0)
    expect(page.get_by_role("link", name="課を追加")).to_have_count(0)

    # ...and the page itself, for administrators only, is forbidden.
    response = page.goto(f"{site}/staff/m/katagami/staff/")
    assert response is not None
    assert response.status == 403
    response = page.goto(f"{site}/staff/m/katagami/settings/")
    assert response is not None
    assert response.status == 403


# --- keyboard only -----------------------------------------------------------------------------


def focused(page: Page) -> dict[str, str]:
    result: dict[str, str] = page.evaluate(
        """() => {
            const el = document.activeElement;
            return {tag: el.tagName.toLowerCase(), id: el.id || '', name: el.getAttribute('name') || '',
                    type: el.getAttribute('type') || '', text: (el.textContent || '').trim()};
        }"""
    )
    return result


def test_login_page_works_with_keyboard_only(site: str, page: Page) -> None:
    page.goto(f"{site}/staff/login/")

    # The skip link is kept off screen until it has focus...
    skip = page.get_by_role("link", name="本文へ移動")
    box = skip.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 0, f"skip link visible before focus: {box}"

    # ...the first Tab reaches it, and it is then shown on screen.
    page.keyboard.press("Tab")
    assert focused(page)["text"] == "本文へ移動", focused(page)
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, f"skip link off screen when focused: {box}"

    # Following it moves focus to the main content; the next Tab reaches the email field.
    page.keyboard.press("Enter")
    assert focused(page)["id"] == "main", focused(page)
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_username", focused(page)
    page.keyboard.type(COUNTER)
    page.keyboard.press("Tab")
    assert focused(page)["id"] == "id_password", focused(page)
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Tab")
    assert focused(page) | {"id": ""} == {
        "tag": "button",
        "id": "",
        "name": "",
        "type": "submit",
        "text": "ログイン",
    }, focused(page)

    # Back in the password field, Enter submits the form.
    page.keyboard.press("Shift+Tab")
    assert focused(page)["id"] == "id_password"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert path_of(page) == "/staff/", page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("職員ホーム")
    expect(page.locator(".header-user")).to_be_visible()
