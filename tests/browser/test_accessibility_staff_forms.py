"""axe-core over the form designer's and the counter's staff pages, at 360 px and 1280 px.

The same check as test_accessibility.py's staff layouts: zero serious or critical violations and
no sideways scrolling at 360 px, on every page of the designer (overview, field and page editors,
previews, publishing, a new procedure) and of the counter (home, identification with an error,
choosing procedures, an item with prefilled inputs and with errors, waiting for the resident,
the finish, the one-stop settings). Pages reached by posting a form (errors) are reached through
the page itself. One signed-in administrator per test (with a confirmed authenticator), so the
administrator-only one-stop settings are in reach too. Also: the designer's move and delete
buttons are reachable with the keyboard and name the field they act on.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Page, expect

from tests.browser.conftest import ContextFactory
from tests.browser.test_accessibility import WIDTHS, axe_violations
from tests.browser.test_staff_login import log_in
from yakusho.core.models import Municipality, User
from yakusho.procedures import designer
from yakusho.procedures.counter import services as counter
from yakusho.procedures.demo.one_stop import load_demo_one_stop
from yakusho.procedures.demo.procedures import load_demo_procedures
from yakusho.procedures.models import CounterVisit, Procedure, VisitStatus

pytestmark = pytest.mark.browser

ADMIN = "admin@example.jp"
CARD = {
    "name": "大江 花子",
    "name_kana": "オオエ ハナコ",
    "address": "東京都千代田区霞が関1-2-3",
    "birth_date": "S60.4.1",
    "sex": "女",
}


def admin_page(new_context: ContextFactory, site: str, width: str) -> Page:
    """A signed-in administrator (password and a TOTP code from a confirmed device), axe allowed."""
    user = User.objects.get(email=ADMIN)
    device = TOTPDevice.objects.create(user=user, name="axe", confirmed=True)
    page = new_context(viewport=WIDTHS[width], bypass_csp=True).new_page()
    log_in(page, site, ADMIN)
    assert "/staff/2fa/verify/" in page.url, page.url
    page.get_by_label("確認コード（6桁）").fill(f"{TOTP(device.bin_key).token():06d}")
    with page.expect_navigation():
        page.get_by_role("button", name="確認").click()
    assert page.url.endswith("/staff/"), page.url
    return page


#: Ids that occur twice, and references (aria-*, label for, in-page links) to ids that do not exist;
#: axe 4.14 leaves the first to the HTML validator and lists the second only as "needs review".
IDS = """() => {
    const count = {};
    for (const e of document.querySelectorAll('[id]')) count[e.id] = (count[e.id] || 0) + 1;
    const missing = [];
    const referring = '[aria-describedby], [aria-labelledby], [aria-controls], label[for]';
    for (const e of document.querySelectorAll(referring)) {
        for (const attr of ['aria-describedby', 'aria-labelledby', 'aria-controls', 'for']) {
            for (const id of (e.getAttribute(attr) || '').split(/\\s+/).filter(Boolean)) {
                if (!document.getElementById(id)) missing.push(`${attr}=${id}`);
            }
        }
    }
    for (const a of document.querySelectorAll('a[href^="#"]')) {
        const id = decodeURIComponent(a.getAttribute('href').slice(1));
        if (id && !document.getElementById(id)) missing.push(`href=#${id}`);
    }
    return {duplicates: Object.keys(count).filter(id => count[id] > 1), missing: missing};
}"""


def named(action: str, label: str) -> re.Pattern[str]:
    """A designer button's accessible name: the action, then (visually hidden) what it acts on."""
    return re.compile(rf"^{action}\s*：{re.escape(label)}$")


class Checker:
    """Runs axe and the width check on each page; collects every failure for one report."""

    def __init__(self, page: Page, width: str) -> None:
        self.page, self.width = page, width
        self.failures: list[str] = []
        self.checked = 0

    def open(self, url: str, what: str) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, (what, url, response and response.status)
        self.check(what)

    def submit(self, button: str, what: str) -> None:
        """Post the page's form with ``button`` and check the page it answers with (errors shown)."""
        with self.page.expect_navigation():
            self.page.get_by_role("button", name=button, exact=True).click()
        expect(self.page.locator(".error-summary").first, what).to_be_visible()
        self.check(what)

    def check(self, what: str) -> None:
        self.checked += 1
        violations = axe_violations(self.page)
        if violations:
            self.failures.append(f"{what} ({self.page.url}): {json.dumps(violations, ensure_ascii=False)}")
        ids = self.page.evaluate(IDS)
        if ids["duplicates"] or ids["missing"]:
            self.failures.append(f"{what} ({self.page.url}): {ids}")
        overflow = self.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 0:
            self.failures.append(f"{what} ({self.page.url}) scrolls sideways by {overflow}px")

    def assert_clean(self, expected_pages: int) -> None:
        assert self.checked == expected_pages
        assert self.failures == [], f"at {self.width}px:\n" + "\n".join(self.failures)


# --- form designer ---------------------------------------------------------------------------------


def designer_draft() -> tuple[Procedure, dict[str, Any]]:
    """大江町's 転入届 (groups, a resident block, choices), with a draft that adds a field."""
    procedure = Procedure.objects.get(municipality__slug="oe", key="tennyu-todoke")
    draft = designer.start_draft(procedure)
    designer.apply(draft, designer.add_field(0, type_="text", label="犬の名前"))
    return procedure, draft.definition


def labels_on_first_page(procedure: Procedure) -> list[str]:
    draft = designer.get_draft(procedure)
    assert draft is not None
    return [f["label"] for f in draft.definition["pages"][0]["fields"]]


@pytest.mark.parametrize("width", list(WIDTHS))
def test_form_designer_pages_are_axe_clean(site: str, new_context: ContextFactory, width: str) -> None:
    load_demo_procedures(None)
    procedure, data = designer_draft()
    refs = dict(designer.iter_fields(data))
    choice = next(str(r) for r, f in refs.items() if f["type"] in ("radio", "select", "checkbox"))
    in_group = next(str(r) for r in refs if r.sub is not None)
    base = f"{site}/staff/m/oe/procedures/{procedure.pk}/designer/"

    page = admin_page(new_context, site, width)
    pages = Checker(page, width)
    pages.open(f"{site}/staff/m/oe/procedures/new/", "new procedure")
    pages.submit("手続を作る", "new procedure, with errors")
    pages.open(base, "overview")
    pages.open(f"{base}settings/", "form settings")
    pages.open(f"{base}pages/0/", "page editor")
    pages.open(f"{base}fields/{choice}/", "field editor (a choice)")
    pages.open(f"{base}fields/{in_group}/", "field editor (inside a group)")
    page.get_by_label(re.compile("^表示条件")).fill("no_such_field == 'x'")
    pages.submit("保存する", "field editor, change refused")
    pages.open(f"{base}preview/", "phone preview")
    pages.submit("入力例を確認する", "phone preview, with the engine's messages")
    pages.open(f"{base}preview/counter/", "counter preview")
    pages.open(f"{base}publish/", "publish confirmation")
    pages.assert_clean(12)


def test_designer_move_and_delete_buttons_work_from_the_keyboard(
    site: str, new_context: ContextFactory
) -> None:
    load_demo_procedures(None)
    procedure, data = designer_draft()
    first_page = [f["label"] for f in data["pages"][0]["fields"]]
    assert first_page[-1] == "犬の名前" and len(first_page) >= 3
    page = admin_page(new_context, site, "1280")
    page.goto(f"{site}/staff/m/oe/procedures/{procedure.pk}/designer/")
    row = page.locator(".designer-page").first.locator(".designer-field").last

    # Each button is a real button whose name says what it does to which field.
    expect(row.get_by_role("button", name=named("上へ", "犬の名前"))).to_have_count(1)
    expect(row.get_by_role("button", name=named("削除", "犬の名前"))).to_have_count(1)
    expect(row.get_by_role("button", name=re.compile("下へ"))).to_have_count(0)  # already last
    expect(page.get_by_role("button", name=named("下へ", first_page[0]))).to_have_count(1)
    title = data["pages"][0]["title"]  # a page's buttons say that they move the page
    expect(page.get_by_role("button", name=named("下へ", f"ページ「{title}」"))).to_have_count(1)

    # Tab from the field's edit link reaches 上へ, with a visible focus ring; Enter moves the field.
    row.get_by_role("link", name=named("編集", "犬の名前")).focus()
    page.keyboard.press("Tab")
    up = row.get_by_role("button", name=named("上へ", "犬の名前"))
    expect(up).to_be_focused()
    assert up.evaluate("b => getComputedStyle(b).outlineStyle") == "solid"
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.get_by_role("status")).to_contain_text("移動しました")
    assert labels_on_first_page(procedure) == [*first_page[:-2], "犬の名前", first_page[-2]]

    # After the move, 下へ and 削除 follow in the tab order; Space on 削除 deletes the field.
    moved = page.locator(".designer-page").first.locator(".designer-field").nth(len(first_page) - 2)
    moved.get_by_role("button", name=named("上へ", "犬の名前")).focus()
    page.keyboard.press("Tab")
    expect(moved.get_by_role("button", name=named("下へ", "犬の名前"))).to_be_focused()
    page.keyboard.press("Tab")
    expect(moved.get_by_role("button", name=named("削除", "犬の名前"))).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Space")
    expect(page.get_by_role("status")).to_contain_text("項目を削除しました")
    assert labels_on_first_page(procedure) == first_page[:-1]


# --- counter -----------------------------------------------------------------------------------------


def counter_visits() -> dict[str, Any]:
    """Visits in each state the pages show, for 大江町's 転入 one-stop."""
    town = Municipality.objects.get(slug="oe")
    staff = User.objects.get(email="counter@example.jp")
    procedures = {p.key: p for p in Procedure.objects.for_municipality(town)}

    filling = counter.start_visit(town, staff)
    counter.identify(filling, "manual", CARD)
    items = counter.set_procedures(
        filling, [procedures["tennyu-todoke"].pk, procedures["kokuho-kanyu"].pk], life_event="moving-in"
    )

    unknown = counter.start_visit(town, None)  # not identified yet

    # 住民票の写し: a small form, complete, waiting for the resident; another one finished (paper too).
    certificate = procedures["juminhyo-koufu"]
    certificate.paper_at_counter = True
    certificate.save(update_fields=["paper_at_counter"])
    waiting, finished = counter.start_visit(town, staff), counter.start_visit(town, staff)
    for visit in (waiting, finished):
        counter.identify(visit, "manual", {**CARD, "address": "山形県西村山郡大江町大字左沢882-1"})
        (item,) = counter.set_procedures(visit, [certificate.pk])
        raw = counter.item_input(visit, item).raw
        answers = {"relation": "self", "kind": "items", "copies": "1", "purpose": "work"}
        raw.update({"requester-postal_code": ["990-1101"], **{k: [v] for k, v in answers.items()}})
        result = counter.save_item(visit, item, raw)
        assert result.ok, result.errors
        counter.request_confirmation(visit)
    counter.resident_confirms(finished)
    counter.finish(finished)
    abandoned = counter.start_visit(town, staff)
    counter.abandon(abandoned)
    return {"filling": filling, "item": items[0], "unknown": unknown, "waiting": waiting, "done": finished}


@pytest.mark.parametrize("width", list(WIDTHS))
def test_counter_pages_are_axe_clean(site: str, new_context: ContextFactory, width: str) -> None:
    load_demo_procedures(None)
    load_demo_one_stop()
    visits = counter_visits()
    base = f"{site}/staff/m/oe/counter/"
    filling: CounterVisit = visits["filling"]
    assert visits["waiting"].status == VisitStatus.CONFIRMING

    page = admin_page(new_context, site, width)
    pages = Checker(page, width)
    pages.open(base, "counter home")
    pages.open(f"{base}{visits['unknown'].code}/identify/", "identify")
    pages.submit("このカードを読み取る", "identify, no sample card chosen")
    page.get_by_text("QRコード・JSONのデータを読み取る（詳しい方向け）").click()
    page.get_by_label("カードのデータ（JSONまたはQRコードの内容）").fill('{"name": "大江 花子"}')
    pages.submit("貼り付けたデータを読み取る", "identify, card refused")
    expect(page.get_by_role("alert")).to_contain_text("住所がありません")
    pages.open(f"{base}{visits['unknown'].code}/identify/?reader=manual", "identify by hand")
    pages.submit("読み取る", "identify by hand, with errors")
    pages.open(f"{base}{filling.code}/procedures/?event=moving-in", "procedures for 転入")
    pages.open(f"{base}{filling.code}/procedures/?q=証明", "procedures found by name")
    pages.open(f"{base}{filling.code}/items/{visits['item'].pk}/", "item, prefilled")
    expect(page.locator(".counter-source").first).to_be_visible()
    pages.submit("保存して次へ", "item, with errors")
    expect(page.locator(".error-summary")).to_be_visible()
    pages.open(f"{base}{filling.code}/", "visit, forms missing")
    pages.open(f"{base}{visits['waiting'].code}/", "visit waiting for the resident")
    expect(page.locator(".counter-confirm-state")).to_contain_text("住民の方の確認を待っています")
    pages.open(f"{base}{visits['done'].code}/done/", "finished")
    expect(page.get_by_role("link", name="記入済みの様式をダウンロード（PDF）")).to_be_visible()
    pages.open(f"{base}one-stop/", "one-stop settings")
    pages.open(f"{base}one-stop/moving-in/", "one-stop settings for 転入")
    page.locator("input.counter-order").first.fill("x")
    pages.submit("保存する", "one-stop settings, with errors")
    pages.open(f"{base}screens/", "paired screens")
    pages.submit("つなぐ", "paired screens, name missing")
    expect(page.locator(".error-summary, .field-error").first).to_be_visible()
    page.get_by_label("画面の名前").fill("1番窓口のタブレット")
    with page.expect_navigation():
        page.get_by_role("button", name="つなぐ", exact=True).click()
    expect(page.locator(".counter-qr svg")).to_be_visible()
    pages.check("a screen paired, its QR code")
    pages.assert_clean(19)
