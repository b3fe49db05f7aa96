"""A whole online application in Chromium (issue 7's "done when").

A resident on a phone finds 大江町's 犬の登録申請 by a hiragana search, agrees to the privacy
notice, fills the three pages (the third with a photo of the vaccination certificate), checks the
answers and applies; the receipt mail arrives over SMTP with the status-page link. The DX推進室
starts the review and asks for a correction (補正依頼) with a message; the resident reads it on the
status page and replies with a file; staff see the reply and complete the submission (完了), which
the resident then reads on the status page.
"""

from __future__ import annotations

import re
from email.header import decode_header, make_header
from email.message import Message
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import PHONE, ContextFactory
from tests.browser.test_staff_login import log_in
from tests.smtp import SmtpServer
from yakusho.core.outbox import deliver_due
from yakusho.procedures.models import Submission, SubmissionAttachment, SubmissionStatus

pytestmark = pytest.mark.browser

SECRETARIAT = "dx@example.jp"  # the demo's DX推進室: handles every 課's submissions
RESIDENT_MAIL = "hanako.oe@example.jp"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
CORRECTION = "注射済証の写真が読み取れません。明るい場所で撮り直して送ってください。"
REPLY = "撮り直した写真を添付します。よろしくお願いします。"


def subject(message: Message) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode(message.get_content_charset() or "utf-8")


def field(scope: Page | Locator, label: str) -> Locator:
    """An input by its visible label (a required one's label ends in 「必須」)."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}(\s*必須)?$"))


def click(page: Page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def act(staff: Page, action: str, message: str = "") -> None:
    staff.get_by_label(action).check()
    if message:
        staff.get_by_label("申請者へのメッセージ（メールでも送ります）").fill(message)
    click(staff, "実行する")


def assert_fits(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} scrolls sideways by {overflow}px"


def test_resident_applies_on_a_phone_and_staff_complete_it(
    site_with_plans: str, new_context: ContextFactory, smtp: SmtpServer
) -> None:
    base = site_with_plans
    resident = new_context(viewport=PHONE).new_page()

    # A hiragana search in 大江町's catalogue finds the kanji name.
    resident.goto(f"{base}/m/oe/procedures/")
    resident.get_by_label("キーワード").fill("いぬのとうろく")
    click(resident, "探す")
    # ranked: the procedure whose name it is comes first (犬の死亡届 also mentions both words)
    expect(resident.get_by_role("heading", name=re.compile(r"\d+件の手続が見つかりました"))).to_be_visible()
    expect(resident.locator(".procedure-title a").first).to_have_text("犬の登録申請")
    resident.get_by_role("link", name="犬の登録申請", exact=True).click()
    expect(resident.get_by_role("heading", level=1)).to_contain_text("犬の登録申請")
    resident.get_by_role("link", name="オンラインで申請する").click()

    # The privacy notice: applying starts only after agreeing.
    expect(resident.get_by_role("heading", level=1)).to_have_text("個人情報の取扱いについて")
    expect(resident.locator(".privacy-notice")).to_contain_text("健康福祉課")
    click(resident, "同意して申請を始める")
    expect(resident.get_by_role("alert")).to_contain_text("同意する」にチェックを入れてください")
    resident.get_by_label("個人情報の取扱いに同意する").check()
    click(resident, "同意して申請を始める")

    # Page 1 of 3: the owner. A mistake is explained next to the field, and the input stays.
    expect(resident.get_by_role("heading", level=1)).to_have_text("飼い主")
    expect(resident.locator(".progress-step")).to_have_text("1 / 3")
    owner = resident.get_by_role("group", name=re.compile("^飼い主"))
    field(owner, "姓").fill("大江")
    field(owner, "名").fill("花子")
    field(owner, "セイ").fill("おおえ")  # hiragana is taken as katakana
    field(owner, "メイ").fill("ハナコ")
    field(owner, "郵便番号").fill("９９０－１１０１")  # full-width, as a Japanese IME types it
    field(owner, "住所").fill("山形県西村山郡大江町大字左沢882-1")
    field(owner, "生年月日").fill("昭和50年4月1日")
    field(resident, "電話番号（日中に連絡のつく番号）").fill("090-1234")  # a digit group short
    field(resident, "メールアドレス").fill(RESIDENT_MAIL)
    assert_fits(resident)
    click(resident, "次へ")
    expect(resident.locator(".error-summary")).to_contain_text("電話番号")
    expect(resident.locator(".progress-step")).to_have_text("1 / 3")
    expect(field(owner, "住所")).to_have_value("山形県西村山郡大江町大字左沢882-1")
    field(resident, "電話番号（日中に連絡のつく番号）").fill("090-1234-5678")
    click(resident, "次へ")

    # Page 2 of 3: the dog.
    expect(resident.locator(".progress-step")).to_have_text("2 / 3")
    expect(resident.get_by_role("heading", level=1)).to_have_text("犬について")
    field(resident, "犬の名前").fill("ポチ")
    field(resident, "犬の種類").fill("柴犬")
    field(resident, "毛色").fill("茶")
    resident.get_by_label("オス", exact=True).check()
    field(resident, "飼い始めた日").fill("R7.4.1")
    click(resident, "次へ")

    # Page 3 of 3: the rabies vaccination, with a photo of the certificate.
    expect(resident.locator(".progress-step")).to_have_text("3 / 3")
    resident.get_by_label("動物病院で受けた").check()
    field(resident, "注射を受けた日").fill("令和7年4月10日")
    field(resident, "動物病院の名前").fill("左沢動物病院")
    field(resident, "狂犬病予防注射済証の写真またはPDF").set_input_files(
        {"name": "chusha.png", "mimeType": "image/png", "buffer": PNG}
    )
    resident.get_by_label("記入した内容に誤りがないことを確認しました").check()
    assert_fits(resident)
    click(resident, "次へ")

    # Check your answers: every page, the file, the fee; then apply.
    expect(resident.get_by_role("heading", level=1)).to_have_text("入力内容の確認")
    main = resident.locator("main")
    answers = ["大江 花子", "オオエ ハナコ", "990-1101", "ポチ", "柴犬"]
    for text in [*answers, "左沢動物病院", "chusha.png", "3,550円"]:
        expect(main).to_contain_text(text)
    expect(resident.get_by_role("link", name=re.compile("^変更"))).to_have_count(3)
    assert_fits(resident)
    click(resident, "申請する")

    # The receipt: the code and the secret (照会キー) to keep.
    expect(resident.get_by_role("heading", level=1)).to_have_text("申請を受け付けました")
    submission = Submission.objects.get(procedure__municipality__slug="oe", procedure__key="inu-toroku")
    code = submission.display_code
    expect(resident.locator(".receipt-code")).to_have_text(code)
    expect(main).to_contain_text("照会キー")
    expect(main).to_contain_text(RESIDENT_MAIL)
    assert_fits(resident)
    assert SubmissionAttachment.objects.get(submission=submission).name == "chusha.png"

    # The receipt mail arrives over SMTP with the code and the link to the status page.
    deliver_due()
    receipts = [m for m in smtp.messages if RESIDENT_MAIL in m["To"]]
    assert len(receipts) == 1
    assert code in subject(receipts[0])
    text = body(receipts[0])
    assert "犬の登録申請" in text and code in text
    link = next(line.strip() for line in text.splitlines() if "/m/oe/submissions/" in line and "?k=" in line)
    status_url = base + urlsplit(link).path + "?" + urlsplit(link).query

    resident.goto(status_url)
    expect(resident.get_by_role("heading", level=1)).to_have_text("申請の状況")
    expect(resident.locator(".submission-status")).to_have_text("受付")
    expect(main).to_contain_text("まだメッセージはありません。")

    # The DX推進室 finds it in the inbox, starts the review and asks for a correction.
    staff = new_context().new_page()
    log_in(staff, base, SECRETARIAT)
    staff.goto(f"{base}/staff/m/oe/submissions/")
    row = staff.get_by_role("row", name=re.compile(code))
    expect(row).to_contain_text("犬の登録申請")
    expect(row).to_contain_text("大江 花子")
    expect(row).to_contain_text("受付")
    row.get_by_role("link", name=code).click()
    expect(staff.get_by_role("heading", level=1)).to_contain_text("犬の登録申請")
    expect(staff.locator("main")).to_contain_text("chusha.png")
    act(staff, "審査を始める")
    expect(staff.get_by_text("状況を「審査中」にしました。")).to_be_visible()
    act(staff, "補正を依頼する")  # without the message it is refused
    expect(staff.get_by_text("申請者へのメッセージ（理由や依頼の内容）を書いてください。")).to_be_visible()
    expect(staff.locator(".submission-status")).to_have_text("審査中")
    act(staff, "補正を依頼する", CORRECTION)
    expect(staff.get_by_text("状況を「補正依頼」にしました。")).to_be_visible()
    expect(staff.locator(".submission-status")).to_have_text("補正依頼")

    # The resident is told by mail, and reads the message on the status page.
    deliver_due()
    updates = [m for m in smtp.messages if RESIDENT_MAIL in m["To"] and CORRECTION in body(m)]
    assert len(updates) == 1 and code in body(updates[0])
    resident.reload()
    expect(resident.locator(".submission-status")).to_have_text("補正依頼")
    message = resident.locator(".thread-item.from-staff")
    expect(message).to_contain_text("健康福祉課から")
    expect(message).to_contain_text(CORRECTION)
    assert_fits(resident)

    # The resident replies with a new photo.
    field(resident, "返信").fill(REPLY)
    resident.get_by_label("添付ファイル（任意）").set_input_files(
        {"name": "chusha-2.png", "mimeType": "image/png", "buffer": PNG}
    )
    click(resident, "返信を送る")
    expect(resident.get_by_text("返信を送りました。")).to_be_visible()
    expect(resident.locator(".submission-status")).to_have_text("審査中")
    expect(resident.locator(".thread-item.from-applicant")).to_contain_text(REPLY)

    # Staff read the reply and its file, and complete the submission.
    staff.reload()
    reply = staff.locator(".thread-item.from-applicant")
    expect(reply).to_contain_text("申請者から")
    expect(reply).to_contain_text(REPLY)
    expect(reply.get_by_role("link", name="chusha-2.png")).to_be_visible()
    expect(staff.locator(".submission-status")).to_have_text("審査中")
    act(staff, "完了にする")
    expect(staff.get_by_text("状況を「完了」にしました。")).to_be_visible()
    expect(staff.locator("main")).to_contain_text("完了日時")

    # The resident sees 完了; there is nothing left to reply to.
    resident.reload()
    expect(resident.locator(".submission-status")).to_have_text("完了")
    expect(resident.get_by_role("button", name="返信を送る")).to_have_count(0)
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.COMPLETED and submission.completed_at is not None
    deliver_due()
    assert any(RESIDENT_MAIL in m["To"] and "完了" in body(m) for m in smtp.messages)
