"""The pages of applying online and of the status page, at 360 px and 1280 px: axe-clean (no serious
or critical violation) and no sideways scrolling.

The pages are reached the way a resident reaches them (one browser session: privacy notice, each
form page, a page with errors, the check page, the receipt, the status page with a message from
staff), with 大江町's 犬の登録申請 (3 pages, conditional fields, an upload). Together with
``test_procedure_pages.py`` (catalogue, life event, procedure page) every public URL pattern of the
procedures app is checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from tests.browser.test_accessibility import WIDTHS, ContextFactory, assert_fits, axe_violations
from tests.browser.test_procedure_pages import PUBLIC as CATALOGUE_PAGES
from tests.browser.test_submission_journey import PNG, click, field
from yakusho.core.models import Membership, Role
from yakusho.procedures.catalogue import urls
from yakusho.procedures.models import Submission
from yakusho.procedures.submissions import urls as submission_urls
from yakusho.procedures.submissions.services import transition

pytestmark = pytest.mark.browser

#: URL names that are not pages: a file of the submission, sent to the applicant as is; the
#: 「支払う」 button's POST, which sends the browser to the payment provider (its pages before and
#: after are checked in tests/browser/test_online_payment.py).
NOT_PAGES = {"submissions:status_file", "submissions:pay"}
#: the pages this file checks, by URL name (some more than once, in other states)
CHECKED = {
    "procedures:apply",
    "submissions:page",
    "submissions:check",
    "submissions:done",
    "submissions:lookup",
    "submissions:status",
}


def test_every_public_procedure_url_pattern_is_checked() -> None:
    names = {f"procedures:{p.name}" for p in urls.urlpatterns} | {
        f"submissions:{p.name}" for p in submission_urls.urlpatterns
    }
    covered = CHECKED | {name for name, _args, _query in CATALOGUE_PAGES}
    assert names - NOT_PAGES == covered


Check = Callable[[str, int], None]


def checker(page: Page, width: str, problems: list[str]) -> Check:
    """Check the page as it is now: the status it was answered with, axe, sideways scrolling."""

    def check(label: str, status: int) -> None:
        response_status = page.evaluate("performance.getEntriesByType('navigation')[0].responseStatus")
        if response_status != status:
            problems.append(f"{label}: answered {response_status}, expected {status} ({page.url})")
        violations = axe_violations(page)
        if violations:
            problems.append(f"{label}: " + json.dumps(violations, ensure_ascii=False, indent=1))
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            problems.append(f"{label}: scrolls sideways by {overflow}px at {width}px")

    return check


@pytest.mark.parametrize("width", list(WIDTHS))
def test_apply_and_status_pages_are_axe_clean(
    site_with_plans: str, new_context: ContextFactory, width: str
) -> None:
    base = site_with_plans
    # axe is injected as an inline script, which our own policy forbids: bypass CSP for it only.
    page = new_context(viewport=WIDTHS[width], bypass_csp=True).new_page()
    problems: list[str] = []
    check = checker(page, width, problems)
    apply_url = base + reverse("procedures:apply", args=["oe", "inu-toroku"])

    # A procedure without a Yakusho form: the 「準備中」 page with its other channels.
    page.goto(base + reverse("procedures:apply", args=["oe", "inu-shibou"]))
    check("apply (no form yet)", 200)

    page.goto(apply_url)
    check("privacy notice", 200)
    click(page, "同意して申請を始める")
    check("privacy notice, not agreed", 400)
    page.get_by_label("個人情報の取扱いに同意する").check()
    click(page, "同意して申請を始める")
    check("form page 1", 200)
    click(page, "次へ")
    check("form page 1 with errors", 200)
    assert page.locator(".error-summary").count() == 1

    owner = page.get_by_role("group", name="飼い主 必須")
    for label, value in [
        ("姓", "大江"),
        ("名", "花子"),
        ("セイ", "オオエ"),
        ("メイ", "ハナコ"),
        ("郵便番号", "990-1101"),
        ("住所", "山形県西村山郡大江町大字左沢882-1"),
        ("生年月日", "S50.4.1"),
    ]:
        field(owner, label).fill(value)
    field(page, "電話番号（日中に連絡のつく番号）").fill("0237-62-2111")
    click(page, "次へ")
    check("form page 2", 200)
    for label, value in [
        ("犬の名前", "ポチ"),
        ("犬の種類", "柴犬"),
        ("毛色", "茶"),
        ("飼い始めた日", "R7.4.1"),
    ]:
        field(page, label).fill(value)
    page.get_by_label("メス", exact=True).check()
    click(page, "次へ")
    check("form page 3 (conditional fields, upload)", 200)
    page.get_by_label("動物病院で受けた").check()
    field(page, "注射を受けた日").fill("R7.4.10")
    field(page, "動物病院の名前").fill("左沢動物病院")
    field(page, "狂犬病予防注射済証の写真またはPDF").set_input_files(
        {"name": "chusha.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.get_by_label("記入した内容に誤りがないことを確認しました").check()
    click(page, "次へ")
    check("check your answers", 200)

    # A tampered post (a changed hidden submission token) is refused with its own page.
    page.locator("input[name=_token]").evaluate("e => e.value = 'changed'")
    click(page, "申請する")
    check("refused post", 400)
    page.go_back()
    page.reload()
    click(page, "申請する")
    check("receipt", 200)
    submission = Submission.objects.get(procedure__municipality__slug="oe", procedure__key="inu-toroku")

    # The status page with a message from staff and the reply form; then the lookup form.
    staff = Membership.objects.filter(municipality__slug="oe", role=Role.SECRETARIAT).first()
    transition(submission, "request_correction", membership=staff, message="写真を撮り直してください。")
    page.get_by_role("link", name="申請の状況ページを開く").click()
    page.wait_for_load_state()
    check("status page", 200)
    click(page, "返信を送る")  # empty: the reply is required
    check("status page with errors", 400)
    page.goto(base + reverse("submissions:lookup", args=["oe"]))
    check("lookup", 200)
    page.get_by_label("受付番号").fill(submission.display_code)
    page.get_by_label("照会キー").fill("AAAA-BBBB-CCCC-DDDD")
    click(page, "状況を見る")
    check("lookup, wrong key", 404)

    assert problems == [], "\n".join(problems)
    assert_fits(page, width)
