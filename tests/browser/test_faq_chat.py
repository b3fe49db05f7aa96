"""The residents' chat in a real browser (issue 23, docs/faq.md "Chat"): on a phone-sized screen a
resident opens the panel with the keyboard, asks in hiragana, gets the answer with the procedure's
link, says it helped and is guided by buttons alone; a question no entry answers is honestly left
unanswered and sent to staff, who answer it by e-mail and turn it into an entry; without JavaScript
the panel's form opens the chat page; every chat page is axe-clean at 360 px and 1280 px.

Each test loads the whole demo (the FAQ links to the demo procedures), so the journeys share one
test where they can.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import urlencode, urlsplit

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import Browser, BrowserContext, Locator, Page, expect

from tests.browser.test_accessibility import (
    WIDTHS,
    ContextFactory,
    assert_fits,
    axe_violations,
    open_checked,
)
from tests.browser.test_staff_login import log_in
from yakusho.core.models import Municipality, OutboundEmail, User
from yakusho.core.office import office_status
from yakusho.faq.models import Channel, Entry, Query, Question, QuestionStatus, Visibility

pytestmark = pytest.mark.browser

ADMIN = "admin@example.jp"
ASKED = "じゅうみんひょう ほしい"
#: no entry of 大江町's demo FAQ answers it (checked below: the turn says so)
UNANSWERED = "町営プールの営業時間"
RESIDENT = "pool.resident@example.jp"
OPEN_OR_CLOSED = re.compile("ただいま(開庁|閉庁)中です。")


def home(site: str) -> str:
    return site + reverse("public:municipality", args=["oe"])


def chat(site: str, **params: str) -> str:
    url = site + reverse("faq:chat", args=["oe"])
    return url + ("?" + urlencode(params) if params else "")


def last_turn(scope: Locator | Page) -> Locator:
    return scope.locator(".chat-log .chat-turn").last


def ask_in(scope: Locator, text: str) -> Locator:
    """Type a question into the chat form of ``scope`` and press Enter; the new turn once added."""
    turns = scope.locator(".chat-log .chat-turn")
    before = turns.count()
    field = scope.get_by_label("ご質問", exact=True)
    field.fill(text)
    field.press("Enter")
    expect(turns).to_have_count(before + 1)
    return turns.nth(before)  # this turn, not whichever is last when the locator is used


def open_panel(page: Page) -> Locator:
    """Open the chat panel with the keyboard (focus its summary, Enter); the greeting once shown."""
    panel = page.locator("details.chat-details")
    summary = panel.locator("summary")
    expect(summary).to_have_text("質問する（チャット）")
    summary.focus()
    page.keyboard.press("Enter")
    expect(panel).to_have_attribute("open", "")
    expect(panel.locator(".chat-log .chat-turn")).to_have_count(1)
    return panel


def new_turn_has_focus(page: Page) -> bool:
    return bool(
        page.evaluate(
            """() => { const turns = document.querySelectorAll('.chat-log .chat-turn');
                       return turns.length > 0 && document.activeElement === turns[turns.length - 1]; }"""
        )
    )


def no_errors(page: Page) -> list[str]:
    """Collect the page's JavaScript errors and failed requests (but the missing favicon)."""
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    return errors


def admin_page(new_context: ContextFactory, site: str, width: str = "1280") -> Page:
    """大江町's administrator, signed in with the password and a code of a confirmed authenticator."""
    device = TOTPDevice.objects.create(user=User.objects.get(email=ADMIN), name="chat", confirmed=True)
    page = new_context(viewport=WIDTHS[width], bypass_csp=True).new_page()
    log_in(page, site, ADMIN)
    assert "/staff/2fa/verify/" in page.url, page.url
    page.get_by_label("確認コード（6桁）").fill(f"{TOTP(device.bin_key).token():06d}")
    with page.expect_navigation():
        page.get_by_role("button", name="確認").click()
    assert urlsplit(page.url).path == "/staff/", page.url
    return page


@pytest.fixture
def no_script(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(
        viewport=WIDTHS["360"], java_script_enabled=False, locale="ja-JP", timezone_id="Asia/Tokyo"
    )
    context.set_default_timeout(15_000)
    yield context
    context.close()


def test_a_resident_asks_the_panel_in_hiragana_rates_the_answer_and_is_guided(
    site_with_plans: str, new_context: ContextFactory, no_script: BrowserContext
) -> None:
    site = site_with_plans
    entry = Entry.objects.get(municipality__slug="oe", key="juminhyo-utsushi")
    page = open_checked(new_context, home(site), "360")
    errors = no_errors(page)

    # The panel opens with the keyboard and greets with the categories as buttons.
    panel = open_panel(page)
    greeting = last_turn(panel)
    expect(greeting).to_contain_text("知りたいことを、ふだんの言葉で入力してください。")
    for name in ("住民票・印鑑・戸籍", "ごみ", "防災"):
        expect(greeting.get_by_role("link", name=name, exact=True)).to_be_visible()

    # A question in hiragana: the answer about 住民票, with the procedure that settles it.
    turn = ask_in(panel, ASKED)
    expect(turn.locator(".chat-resident")).to_contain_text(ASKED)
    expect(turn.get_by_role("heading", level=2)).to_have_text(entry.question)
    expect(turn.get_by_role("heading", level=2)).to_be_in_viewport()
    procedure = turn.locator("article").get_by_role("link", name="住民票の写し等の交付申請")
    expect(procedure).to_be_visible()
    expect(turn.get_by_role("group", name="解決しましたか？")).to_be_visible()
    assert new_turn_has_focus(page), "the answer must take the focus"
    logged = Query.objects.get(municipality__slug="oe", is_demo=False, text=ASKED)
    assert logged.channel == Channel.CHAT and logged.answered and logged.entry_ref == f"e{entry.pk}"
    assert logged.helpful is None

    # 「はい」: thanks, and the log says it helped.
    turn.get_by_role("button", name="はい").click()
    thanks = last_turn(panel)
    expect(thanks).to_contain_text("ありがとうございました。お役に立ててよかったです。")
    assert new_turn_has_focus(page)
    logged.refresh_from_db()
    assert logged.answered and logged.helpful is True and logged.rated_at is not None

    # Guided mode, by buttons alone: category → sub-category → question → answer.
    panel.get_by_role("link", name="分野から選ぶ").click()
    expect(panel.locator(".chat-log .chat-turn")).to_have_count(4)
    last_turn(panel).get_by_role("link", name="ごみ", exact=True).click()
    subs = last_turn(panel)
    expect(subs.locator(".chat-resident")).to_have_text(re.compile("ごみ$"))
    expect(subs).to_contain_text("どれについてお知りになりたいですか。")
    assert new_turn_has_focus(page)
    subs.get_by_role("link", name=re.compile(r"^粗大ごみ\s*（\d+件の質問）$")).click()
    expect(last_turn(panel).locator(".chat-resident")).to_contain_text("粗大ごみ")
    questions = last_turn(panel)
    expect(questions).to_contain_text("次の中からお選びください。")
    assert new_turn_has_focus(page)
    first = questions.locator(".chat-choices a").first
    question = first.inner_text()
    first.click()
    answer = last_turn(panel)
    expect(answer.get_by_role("heading", level=2)).to_have_text(question)
    expect(answer.get_by_role("group", name="解決しましたか？")).to_be_visible()
    assert new_turn_has_focus(page)
    guided = Query.objects.filter(municipality__slug="oe", is_demo=False, channel=Channel.GUIDED).get()
    assert guided.entry_question == question and guided.category == "ごみ"
    assert guided.subcategory == "粗大ごみ"
    assert_fits(page, "360")
    assert errors == []

    # The procedure's link, followed from the first answer, opens the procedure.
    procedure.click()
    page.wait_for_url("**/procedures/juminhyo-koufu/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("住民票")

    # Without JavaScript the panel's form opens the chat page, which answers alone.
    plain = no_script.new_page()
    plain.goto(home(site))
    plain.locator("details.chat-details summary").click()
    field = plain.locator("details.chat-details").get_by_label("ご質問", exact=True)
    field.fill(ASKED)
    with plain.expect_navigation():
        field.press("Enter")
    assert urlsplit(plain.url).path == reverse("faq:chat", args=["oe"])
    expect(plain.get_by_role("heading", level=1)).to_have_text("チャットで質問する")
    expect(plain.locator(".chat-log .chat-turn h2")).to_have_text(entry.question)
    expect(plain.locator("article").get_by_role("link", name="住民票の写し等の交付申請")).to_be_visible()
    with plain.expect_navigation():
        plain.get_by_role("button", name="はい").click()
    expect(plain.locator(".chat-log")).to_contain_text("ありがとうございました。お役に立ててよかったです。")
    assert Query.objects.filter(municipality__slug="oe", is_demo=False, text=ASKED, helpful=True).count() == 2


def test_a_question_no_entry_answers_goes_to_staff_and_becomes_an_entry(
    site_with_plans: str, new_context: ContextFactory
) -> None:
    site = site_with_plans
    oe = Municipality.objects.get(slug="oe")
    page = open_checked(new_context, chat(site), "360")
    errors = no_errors(page)

    # The network fails: the chat says so and keeps the question typed, to send again.
    room = page.locator(".chat")
    page.route("**/faq/chat/?*fragment=1*", lambda route: route.abort())
    field = room.get_by_label("ご質問", exact=True)
    field.fill(UNANSWERED)
    field.press("Enter")
    expect(last_turn(room)).to_have_attribute("role", "alert")
    expect(last_turn(room)).to_have_text("通信できませんでした。しばらくしてから、もう一度お試しください。")
    expect(field).to_have_value(UNANSWERED)
    page.unroute("**/faq/chat/?*fragment=1*")

    # No entry fits: the chat says so, with the phone and whether the office is open now.
    was_open = office_status(oe).is_open
    turn = ask_in(room, UNANSWERED)
    expect(field).to_have_value("")
    is_open = office_status(oe).is_open
    expect(turn).to_contain_text("お答えできる質問が見つかりませんでした。")
    expect(turn.locator(".chat-escalation")).to_contain_text(oe.phone)
    expect(turn.locator(".chat-escalation")).to_contain_text(OPEN_OR_CLOSED)
    if was_open == is_open:
        expect(turn.locator(".chat-escalation")).to_contain_text(
            "ただいま開庁中です。" if is_open else "ただいま閉庁中です。"
        )
    expect(turn.get_by_role("heading", level=2)).to_have_count(0)
    assert new_turn_has_focus(page)
    logged = Query.objects.get(municipality=oe, is_demo=False, text=UNANSWERED)
    assert not logged.answered and logged.entry_ref == ""

    # 「質問を送る」: the form holds the question; an address, and a 受付番号.
    with page.expect_navigation():
        turn.get_by_role("link", name="質問を送る（メールで回答します）").click()
    assert urlsplit(page.url).path == reverse("faq:ask", args=["oe"])
    form = page.locator("main form")
    expect(form.get_by_label("ご質問")).to_have_value(UNANSWERED)
    form.get_by_label("回答をお送りするメールアドレス").fill(RESIDENT)
    with page.expect_navigation():
        page.get_by_role("button", name="送信する").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("質問を受け付けました")
    code = page.locator(".code").inner_text().strip()
    question = Question.objects.get(municipality=oe, is_demo=False)
    assert question.text == UNANSWERED and question.email == RESIDENT
    assert question.status == QuestionStatus.OPEN
    assert code.replace("-", "").upper() == question.code.upper()
    assert OutboundEmail.objects.filter(municipality=oe, to=[RESIDENT], subject__contains=code).count() == 1
    assert errors == []

    # 大江町's administrator answers it from 「住民からの質問」.
    staff = admin_page(new_context, site)
    staff.goto(site + reverse("faq_staff:analysis", args=["oe"]))
    faq_nav = staff.get_by_role("navigation", name="よくある質問の業務")
    with staff.expect_navigation():
        faq_nav.get_by_role("link", name="住民からの質問").click()
    expect(staff.get_by_role("heading", level=1)).to_have_text("住民からの質問")
    row = staff.get_by_role("row").filter(has_text=UNANSWERED)
    expect(row).to_have_count(1)
    with staff.expect_navigation():
        row.get_by_role("link", name=code).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text(code)
    expect(staff.locator("dl.summary")).to_contain_text(RESIDENT)
    reply = "町営プールは7月から8月の毎日、午前9時から午後5時まで開いています。"
    staff.get_by_label(re.compile("^回答 必須$")).fill(reply)
    with staff.expect_navigation():
        staff.get_by_role("button", name="回答をメールで送る").click()
    expect(staff.get_by_role("status")).to_contain_text("回答をメールで送りました。")
    expect(staff.locator("dl.summary")).to_contain_text("消去しました")
    question.refresh_from_db()
    assert question.status == QuestionStatus.ANSWERED and question.answer == reply
    assert question.email == ""  # erased once answered
    mail = OutboundEmail.objects.get(municipality=oe, to=[RESIDENT], subject__contains="ご質問への回答")
    assert reply in mail.body

    # One click: the pair becomes an entry, for staff only, and the editor opens on it.
    with staff.expect_navigation():
        staff.get_by_role("button", name="この質問と回答をFAQにする").click()
    question.refresh_from_db()
    made = question.entry
    assert made is not None
    assert made.municipality == oe and made.visibility == Visibility.STAFF
    assert made.question == UNANSWERED and made.answer == reply
    assert urlsplit(staff.url).path == reverse("faq_staff:entry_edit", args=["oe", made.pk])
    expect(staff.get_by_role("status")).to_contain_text("FAQに追加しました。")
    expect(staff.get_by_role("heading", level=1)).to_contain_text(UNANSWERED)


def _axe_clean(page: Page, width: str, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"{what} at {width}px: " + json.dumps(violations, ensure_ascii=False, indent=1)
    assert_fits(page, width)


def test_chat_pages_are_axe_clean_and_fit(site_with_plans: str, new_context: ContextFactory) -> None:
    site = site_with_plans
    staff = admin_page(new_context, site)
    for width in WIDTHS:
        for what, url in (
            ("the chat page", chat(site)),
            ("an answer", chat(site, q=ASKED)),
            ("a no-answer", chat(site, q=UNANSWERED)),
        ):
            page = open_checked(new_context, url, width)
            _axe_clean(page, width, what)
            page.context.close()

        # The panel on 大江町's home, opened, with an answer in it.
        page = open_checked(new_context, home(site), width)
        panel = open_panel(page)
        expect(ask_in(panel, ASKED).get_by_role("heading", level=2)).to_be_visible()
        _axe_clean(page, width, "the panel with an answer")

        # The question form sent empty: every error shown; then sent, the 受付番号.
        page.goto(site + reverse("faq:ask", args=["oe"]))
        with page.expect_navigation():
            page.get_by_role("button", name="送信する").click()
        expect(page.get_by_text("ご質問を入力してください。").first).to_be_visible()
        expect(page.get_by_text("回答をお送りするメールアドレスを入力してください。").first).to_be_visible()
        _axe_clean(page, width, "the question form with errors")
        form = page.locator("main form")
        form.get_by_label("ご質問").fill(f"{UNANSWERED}（{width}）")
        form.get_by_label("回答をお送りするメールアドレス").fill(RESIDENT)
        with page.expect_navigation():
            page.get_by_role("button", name="送信する").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("質問を受け付けました")
        _axe_clean(page, width, "the question sent")
        page.context.close()

        # Staff: the questions residents left, and one of them.
        staff.set_viewport_size(WIDTHS[width])
        staff.goto(site + reverse("faq_staff:questions", args=["oe"]))
        expect(staff.get_by_role("heading", level=1)).to_have_text("住民からの質問")
        _axe_clean(staff, width, "the staff questions list")
        one = Question.objects.filter(municipality__slug="oe").earliest("pk")
        staff.goto(site + reverse("faq_staff:question", args=["oe", one.pk]))
        expect(staff.get_by_role("button", name="回答をメールで送る")).to_be_visible()
        _axe_clean(staff, width, "a staff question page")
