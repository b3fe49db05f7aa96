"""The no-writing counter in Chromium (issue 8's and issue 19's "done when").

Counter staff of 大江町 start a visit, read a moving-in resident's simulated card, choose 転入 and
get 転入届, 国民健康保険の加入届 and 児童手当の認定請求 filled with what the card and the other
forms already say: they type only what is still missing, never the card's data. The resident
confirms on a tablet paired to the clerk's desk (a second browser context that opened the
screen's address from a QR code once, no sign-in); the people moving in carry to the people
joining 国民健康保険; the clerk waives 水道's lead time for online applicants with a reason; staff
finish: four counter submissions are in the inbox, the paper forms download as a PDF, the
resident's printed 控え reads back with the receipt numbers, and the metrics page shows the visit's
handling time.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import ContextFactory
from tests.browser.test_staff_login import log_in
from yakusho.procedures.models import CounterVisit, Submission, SubmissionChannel, VisitStatus

pytestmark = pytest.mark.browser

COUNTER_STAFF = "counter@example.jp"
CARD = {
    "format": "yakusho-card/1",
    "name": "大江 花子",
    "name_kana": "オオエ ハナコ",
    "address": "東京都千代田区霞が関1-2-3",
    "birth_date": "昭和60年4月1日",
    "sex": "女",
}
PROCEDURES = ["転入届", "国民健康保険の加入届", "児童手当の認定請求", "水道使用開始届"]


def click(page: Page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def fill(page: Page, values: dict[str, str]) -> None:
    """Fill inputs by id (the engine's input names: f-<key>, f-<key>-<part>, f-<group>-<n>-<key>)."""
    for input_id, value in values.items():
        page.locator(f"#{input_id}").fill(value)


def check(page: Page, *ids: str) -> None:
    for input_id in ids:
        page.locator(f"#{input_id}").check()


def expect_values(page: Page, values: dict[str, str]) -> None:
    for input_id, value in values.items():
        expect(page.locator(f"#{input_id}")).to_have_value(value)


def expect_source(page: Page, input_id: str, text: str) -> None:
    expect(page.locator(f"#{input_id}-source")).to_have_text(text)


def today_text() -> str:
    from django.utils import timezone

    from yakusho.core.jcal import format_date

    return format_date(timezone.localdate())


def test_counter_staff_serve_a_moving_in_resident_without_retyping(
    site_with_plans: str, new_context: ContextFactory
) -> None:
    base = site_with_plans
    before_submissions = set(Submission.objects.values_list("pk", flat=True))  # the demo's
    before_visits = set(CounterVisit.objects.values_list("pk", flat=True))
    staff = new_context().new_page()
    log_in(staff, base, COUNTER_STAFF)

    # The clerk pairs the tablet facing the resident once: it opens the address the QR code holds.
    staff.goto(f"{base}/staff/m/oe/counter/screens/")
    staff.get_by_label("画面の名前").fill("1番窓口のタブレット")
    click(staff, "つなぐ")
    expect(staff.locator(".counter-qr svg")).to_be_visible()
    screen_url = staff.locator(".counter-confirm-url code").inner_text().strip()
    assert "/counter/screen/" in screen_url
    tablet = new_context().new_page()  # another device: no staff session
    tablet.goto(screen_url)
    expect(tablet.get_by_role("heading", level=1)).to_have_text("いらっしゃいませ")
    expect(tablet.locator(".site-header")).to_have_count(0)

    # A new visit; identify the resident with the simulated card reader.
    staff.goto(f"{base}/staff/m/oe/counter/")
    expect(staff.get_by_role("heading", level=1)).to_have_text("書かない窓口")
    click(staff, "受付を始める")
    expect(staff.get_by_role("heading", level=1)).to_have_text("本人確認")
    staff.get_by_text("QRコード・JSONのデータを読み取る（詳しい方向け）").click()  # beside the sample cards
    staff.get_by_label("カードのデータ（JSONまたはQRコードの内容）").fill('{"name": "大江 花子"}')
    click(staff, "貼り付けたデータを読み取る")
    expect(staff.get_by_role("alert")).to_contain_text("住所がありません")  # malformed: nothing stored
    staff.get_by_label("カードのデータ（JSONまたはQRコードの内容）").fill(
        json.dumps(CARD, ensure_ascii=False)
    )
    click(staff, "貼り付けたデータを読み取る")
    expect(staff.locator(".messages")).to_contain_text("大江 花子さんの本人確認情報を読み取りました")
    expect(staff.locator(".messages")).to_contain_text("住所が大江町ではありません")  # flagged, allowed

    # 転入 proposes its one-stop procedures, all checked; this resident needs three of them.
    expect(staff.get_by_role("heading", level=1)).to_have_text("手続の選択")
    staff.get_by_label("ライフイベント").select_option("moving-in")
    click(staff, "表示する")
    for name in PROCEDURES:
        expect(staff.get_by_role("checkbox", name=re.compile(f"^{name}"))).to_be_checked()
    for label in staff.locator("label.choice").all():
        if not any(label.inner_text().strip().startswith(name) for name in PROCEDURES):
            label.locator("input").uncheck()
    click(staff, "この手続で入力を始める")

    # 転入届: the card filled the 届出人 and the 前住所; staff type only what the card cannot know.
    expect(staff.get_by_role("heading", level=1)).to_contain_text("転入届")
    expect_values(
        staff,
        {
            "f-applicant-family_name": "大江",
            "f-applicant-given_name": "花子",
            "f-applicant-family_kana": "オオエ",
            "f-applicant-given_kana": "ハナコ",
            "f-applicant-birth_date": "昭和60年（1985年）4月1日",
            "f-previous_address-address": "東京都千代田区霞が関1-2-3",
        },
    )
    expect(staff.locator("#f-applicant-sex-1")).to_be_checked()  # 女
    expect_source(staff, "f-applicant-family_name", "カードから")
    expect_source(staff, "f-previous_address-address", "カードから")
    fill(
        staff,
        {
            "f-moved_on": "令和8年4月1日",
            "f-address-postal_code": "990-1101",
            "f-address-address": "山形県西村山郡大江町大字左沢882-1",
            "f-previous_address-postal_code": "100-0013",
            "f-phone": "090-1234-5678",
            "f-head_name-family_name": "大江",
            "f-head_name-given_name": "花子",
            "f-head_name-family_kana": "オオエ",
            "f-head_name-given_kana": "ハナコ",
            "f-people-0-name-family_name": "大江",
            "f-people-0-name-given_name": "太郎",
            "f-people-0-name-family_kana": "オオエ",
            "f-people-0-name-given_kana": "タロウ",
            "f-people-0-birth_date": "令和2年5月5日",
        },
    )
    check(
        staff,
        "f-proof-0",
        "f-applicant_role-0",
        "f-household_kind-0",
        "f-people-0-sex-0",
        "f-people-0-card-1",
    )
    staff.locator("#f-relationship").select_option("head")
    staff.locator("#f-people-0-relationship").select_option("child")
    expect(staff.locator(".counter-consent")).to_contain_text("住民の方が確認画面で")  # not ticked by staff
    click(staff, "保存して次へ")

    # 国民健康保険: every fact given in 転入届 is there; only the insurance's own questions are left.
    expect(staff.locator(".messages")).to_contain_text("「転入届」を保存しました")
    expect(staff.get_by_role("heading", level=1)).to_contain_text("国民健康保険の加入届")
    expect_values(
        staff,
        {
            "f-moved_on": "令和8年（2026年）4月1日",
            "f-previous_address-postal_code": "100-0013",
            "f-previous_address-address": "東京都千代田区霞が関1-2-3",
            "f-address-address": "山形県西村山郡大江町大字左沢882-1",
            "f-head_name-given_name": "花子",
            "f-applicant-family_name": "大江",
            "f-phone": "090-1234-5678",
            "f-relationship": "head",
        },
    )
    expect_source(staff, "f-phone", "他の手続から")
    expect_source(staff, "f-applicant-given_name", "カードから")
    # the people moving in carried to the people joining: staff check them, type nothing
    expect_values(
        staff,
        {
            "f-insured-0-name-family_name": "大江",
            "f-insured-0-name-given_name": "太郎",
            "f-insured-0-name-given_kana": "タロウ",
            "f-insured-0-birth_date": "令和2年（2020年）5月5日",
        },
    )
    expect(staff.locator("#f-insured-0-sex-0")).to_be_checked()
    check(staff, "f-reason-0", "f-delivery-0")
    staff.locator("#f-insured-0-relationship").select_option("child")
    staff.locator("#f-insured-0-previous_insurance").select_option("kokuho")
    click(staff, "保存して次へ")

    # 児童手当: the 請求者, address, phone, the reason 転入 and its date and 前住所 are all filled.
    expect(staff.get_by_role("heading", level=1)).to_contain_text("児童手当の認定請求")
    expect_values(
        staff,
        {
            "f-claimant-family_name": "大江",
            "f-address-address": "山形県西村山郡大江町大字左沢882-1",
            "f-phone": "090-1234-5678",
            "f-moved_on": "令和8年（2026年）4月1日",
        },
    )
    expect(staff.locator("#f-reason-1")).to_be_checked()  # 転入した, as answered for 国民健康保険
    expect_values(staff, {"f-children-0-name-given_name": "太郎"})  # carried as well
    check(staff, "f-pension-0", "f-children-0-living-0", "f-account_type-0")
    fill(
        staff,
        {
            "f-children-0-name-family_name": "大江",
            "f-children-0-name-given_name": "太郎",
            "f-children-0-name-family_kana": "オオエ",
            "f-children-0-name-given_kana": "タロウ",
            "f-children-0-birth_date": "令和2年5月5日",
            "f-bank_name": "山形銀行",
            "f-branch_name": "左沢支店",
            "f-account_number": "1234567",
            "f-account_holder": "オオエ ハナコ",
        },
    )
    staff.locator("#f-children-0-relationship").select_option("child")
    click(staff, "保存して次へ")

    # 水道: the resident wants water from today, before the lead time online applicants must keep;
    # the clerk accepts it with a reason.
    expect(staff.get_by_role("heading", level=1)).to_contain_text("水道使用開始届")
    fill(staff, {"f-start_on": today_text(), "f-household": "2"})
    staff.locator("#f-use").select_option("home")
    check(staff, "f-payer-0", "f-payment-0")
    click(staff, "保存して次へ")
    expect(staff.locator(".error-summary")).to_contain_text("使用開始日")
    staff.get_by_label("この期限を例外として受け付ける").check()
    staff.get_by_label("理由").fill("転入当日から使う必要があり、水道課に確認済み。")
    click(staff, "保存して次へ")

    # Every form is complete: the resident confirms on the second screen.
    expect(staff.get_by_role("heading", level=1)).to_contain_text("来庁")
    expect(staff.locator(".counter-item-list")).not_to_contain_text("未入力")
    click(staff, "住民の方に確認をお願いする")
    expect(staff.locator(".counter-qr svg")).to_be_visible()  # for a resident's own phone
    expect(staff.locator("main")).to_contain_text("つないだ画面（1番窓口のタブレット）")
    expect(staff.locator(".counter-confirm-state")).to_contain_text("住民の方の確認を待っています")

    # The tablet shows the confirmation by itself (it reloads every few seconds).
    expect(tablet.get_by_role("heading", level=1)).to_have_text("申請内容のご確認", timeout=15_000)
    main = tablet.locator("main")
    for text in [*PROCEDURES, "大江 花子", "山形県西村山郡大江町大字左沢882-1", "090-1234-5678", "山形銀行"]:
        expect(main).to_contain_text(text)
    expect(main).not_to_contain_text("記入した")
    click(tablet, "この内容で申請する")
    expect(tablet.get_by_role("status")).to_contain_text("ご確認ありがとうございました")

    # The staff page notices by polling and offers to finish.
    expect(staff.get_by_role("button", name="申請を完了する")).to_be_visible()
    click(staff, "申請を完了する")
    expect(staff.get_by_role("heading", level=1)).to_have_text("申請を完了しました")
    submissions = list(
        Submission.objects.filter(procedure__municipality__slug="oe")
        .exclude(pk__in=before_submissions)
        .select_related("procedure")
    )
    assert sorted(s.procedure.name for s in submissions) == sorted(PROCEDURES)
    assert {s.channel for s in submissions} == {SubmissionChannel.COUNTER}
    visit = CounterVisit.objects.exclude(pk__in=before_visits).get(municipality__slug="oe")
    assert visit.status == VisitStatus.FINISHED and visit.started_at and visit.finished_at

    with staff.expect_download() as download:
        staff.get_by_role("link", name="記入済みの様式をダウンロード（PDF）").click()
    path = download.value.path()
    with open(path, "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # The resident's 控え: printed from the result page, read back.
    href = staff.get_by_role("link", name="住民の方の控えを印刷（PDF）").get_attribute("href")
    assert href
    answer = staff.context.request.get(base + href)
    assert answer.ok and answer.body()[:5] == b"%PDF-"
    receipt = Path(download.value.path()).with_name("hikae.pdf")
    receipt.write_bytes(answer.body())
    command = ["pdftotext", "-layout", str(receipt), "-"]
    text = subprocess.run(command, capture_output=True, text=True, check=True).stdout  # noqa: S603
    for s in submissions:
        assert s.display_code in text and s.procedure.name in text
    assert "大江 花子" in text
    water = next(s for s in submissions if s.procedure.name == "水道使用開始届")
    assert water.overrides and "水道課に確認済み" in water.overrides[0]["reason"]

    # The three submissions are in the inbox.
    staff.goto(f"{base}/staff/m/oe/submissions/")
    for s in submissions:
        expect(staff.get_by_role("row", name=re.compile(s.display_code))).to_contain_text(s.procedure.name)

    # The metrics page shows the median handling time of this visit (today: only this visit;
    # the demo's visits are of earlier days).
    staff.goto(f"{base}/staff/m/oe/metrics/")
    staff.get_by_label("期間").select_option("today")
    click(staff, "表示する")
    # figures are stored and refreshed every 10 minutes; staff can measure them now
    expect(staff.get_by_role("row", name=re.compile("窓口の来庁件数"))).not_to_contain_text("1 件")
    click(staff, "今すぐ集計する")
    expect(staff.get_by_role("status")).to_contain_text("指標を集計しました")
    row = staff.get_by_role("row", name=re.compile("窓口の対応時間（中央値）"))
    expect(row).to_contain_text(re.compile(r"\d+\.\d 分"))
    expect(staff.get_by_role("row", name=re.compile("窓口の来庁件数"))).to_contain_text("1 件")
