"""A whole yearly review in Chromium: the DX推進室 opens it, the 課 is reminded by e-mail (received by a
real SMTP server) and follows the link, updates and submits; the secretariat returns it with a
comment, the 課 resubmits, the secretariat accepts, the 本部 finalises, and residents read the
published progress report."""

from __future__ import annotations

from datetime import timedelta
from email.header import decode_header, make_header
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.browser.conftest import ContextFactory
from tests.browser.test_staff_login import log_in
from tests.smtp import SmtpServer
from yakusho.core.jcal import format_wareki_date
from yakusho.core.models import Department, Municipality
from yakusho.core.outbox import deliver_due
from yakusho.plans.models import KpiActual, NodeReview, ReviewCycle
from yakusho.plans.review.reminders import send_reminders

pytestmark = pytest.mark.browser

DEPARTMENT = "dept@example.jp"  # the demo's 担当課職員: 政策推進課 of 大江町
SECRETARIAT = "dx@example.jp"
HQ = "hq@example.jp"


@pytest.fixture
def small_plan(site: str, plan_from) -> str:
    """A two-measure plan of 大江町, both measures of 政策推進課, one with a KPI."""
    data = {
        "format": "yakusho-plan/1",
        "municipality": "063240",
        "key": "cycle-test",
        "title": "大江町 窓口改善計画",
        "kind": "計画",
        "first_year": 2024,
        "last_year": 2027,
        "edition": {"number": "1"},
        "level_labels": ["施策"],
        "nodes": [
            {
                "key": "a",
                "title": "書かない窓口の導入",
                "departments": [{"name": "政策推進課", "lead": True}],
            },
            {"key": "b", "title": "職員のデジタル研修", "departments": [{"name": "政策推進課"}]},
        ],
        "kpis": [
            {
                "key": "tablet",
                "node": "a",
                "name": "タブレットで受け付けた件数",
                "unit": "件",
                "direction": "increase",
                "accumulation": "per_year",
                "targets": [{"fiscal_year": 2027, "value": 1000, "text": "1,000件"}],
            }
        ],
    }
    plan_from(data)
    oe = Municipality.objects.get(slug="oe")
    Department.objects.filter(municipality=oe, name="政策推進課").update(email="seisaku@town.oe.example.jp")
    return site


def staff_page(new_context: ContextFactory, base: str, email: str) -> Page:
    page = new_context().new_page()
    log_in(page, base, email)
    assert urlsplit(page.url).path == "/staff/", page.url
    return page


def click(page: Page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name).click()


def test_a_whole_review_cycle(small_plan: str, new_context: ContextFactory, smtp: SmtpServer) -> None:
    base = small_plan
    today = timezone.localdate()
    due = today + timedelta(days=7)

    # The DX推進室 opens the review of 令和7年度 with a due date a week away.
    dx = staff_page(new_context, base, SECRETARIAT)
    dx.goto(f"{base}/staff/m/oe/plans/cycle-test/reviews/")
    dx.get_by_label("対象年度").fill("令和7年度")
    dx.get_by_label("提出期限").fill(format_wareki_date(due))
    click(dx, "始める")
    expect(dx.get_by_role("heading", level=1)).to_contain_text("令和7年度")
    cycle = ReviewCycle.objects.get(edition__plan__key="cycle-test", fiscal_year=2025)
    assert cycle.node_reviews.count() == 2

    # A week before the due date the 課 is reminded; the mail arrives over SMTP with the link.
    assert send_reminders(today) > 0
    deliver_due()
    reminders = [
        m
        for m in smtp.messages
        if "seisaku@town.oe.example.jp" in m["To"]
        and "窓口改善計画" in str(make_header(decode_header(m["Subject"])))
    ]
    assert len(reminders) == 1 and DEPARTMENT in reminders[0]["To"]
    payload = reminders[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    body = payload.decode("utf-8")
    assert "書かない窓口の導入" in body and "職員のデジタル研修" in body
    link = next(line for line in body.splitlines() if "/staff/m/oe/reviews/" in line)

    # The 課 follows the link, fills in its review of measure a with the year's actual, and submits.
    dept = staff_page(new_context, base, DEPARTMENT)
    dept.goto(base + urlsplit(link.strip()).path)
    expect(dept.get_by_role("heading", name="あなたの課の評価")).to_be_visible()
    dept.get_by_role("link", name="書かない窓口の導入").first.click()
    dept.get_by_label("進捗状況").select_option(label="実施中")
    dept.get_by_label("進捗率（%）").fill("60")
    dept.get_by_label("評価", exact=True).select_option(label="B 目標どおり")
    dept.get_by_label("実績", exact=True).fill("本庁舎の窓口にタブレットを2台導入した。")
    # the KPI's actual is part of the same form: full-width digits, as typed with a Japanese IME
    dept.get_by_label("実績値（数値）").fill("４２０")
    click(dept, "保存")
    expect(dept.get_by_text("評価を保存しました。")).to_be_visible()
    expect(dept.locator(".kpi-actual")).to_contain_text("420")
    click(dept, "提出する")
    expect(dept.get_by_text("提出済み", exact=True)).to_be_visible()
    review_a = dept.url

    # The secretariat returns it: a return needs a comment.
    dx.goto(review_a)
    click(dx, "差し戻す")
    expect(dx.get_by_text("差し戻すときは、理由をコメントに書いてください。")).to_be_visible()
    dx.get_by_label("コメント（差し戻すときは必須）").fill("導入した窓口の名前を書いてください。")
    click(dx, "差し戻す")
    expect(dx.get_by_text("差し戻し", exact=True)).to_be_visible()

    # The 課 reads the comment, corrects and resubmits; then also submits measure b.
    dept.goto(review_a)
    expect(dept.locator(".message", has_text="導入した窓口の名前を書いてください。")).to_be_visible()
    dept.get_by_label("実績", exact=True).fill("本庁舎の住民窓口と税務町民課にタブレットを2台導入した。")
    click(dept, "保存")
    click(dept, "提出する")
    b = NodeReview.objects.get(cycle=cycle, node__key="b")
    dept.goto(f"{base}/staff/m/oe/reviews/{cycle.pk}/nodes/{b.pk}/")
    dept.get_by_label("進捗状況").select_option(label="完了")
    dept.get_by_label("実績", exact=True).fill("全職員向けにデジタル研修を3回開いた。")
    click(dept, "保存")
    click(dept, "提出する")

    # The secretariat accepts both.
    for review in cycle.node_reviews.order_by("pk"):
        dx.goto(f"{base}/staff/m/oe/reviews/{cycle.pk}/nodes/{review.pk}/")
        click(dx, "受理する")
        expect(dx.get_by_text("受理", exact=True)).to_be_visible()

    # Before finalisation the report is not public.
    public = new_context().new_page()
    response = public.goto(f"{base}/m/oe/plans/cycle-test/reports/2025/")
    assert response is not None and response.status == 404

    # The 本部 finalises the year's review at once.
    hq = staff_page(new_context, base, HQ)
    hq.goto(f"{base}/staff/m/oe/reviews/{cycle.pk}/")
    click(hq, "受理済みの評価をすべて確定する")  # without the confirmation: refused, nothing finalised
    expect(hq.get_by_text("確認のチェックを入れてください")).to_be_visible()
    hq.get_by_label("確定して進捗報告を公開します").check()
    click(hq, "受理済みの評価をすべて確定する")
    expect(hq.get_by_text("2件の評価を確定しました。")).to_be_visible()
    cycle.refresh_from_db()
    assert cycle.state == ReviewCycle.State.FINALISED

    # After finalisation the review is read-only: the 課 can no longer save it.
    dept.goto(review_a)
    expect(dept.get_by_role("button", name="提出する")).to_have_count(0)

    # Residents read the published report: the 課's corrected text and the actual (420).
    response = public.goto(f"{base}/m/oe/plans/cycle-test/reports/2025/")
    assert response is not None and response.status == 200
    expect(public.get_by_role("heading", level=1)).to_contain_text("令和7年度")
    expect(public.get_by_text("本庁舎の住民窓口と税務町民課にタブレットを2台導入した。")).to_be_visible()
    expect(public.locator("main")).to_contain_text("420")
    expect(public.locator("main")).not_to_contain_text("導入した窓口の名前を書いてください")


def test_submitting_after_typing_keeps_what_was_typed(small_plan: str, new_context: ContextFactory) -> None:
    """提出する without 保存 first: what was typed is saved with the submission; leaving a page with
    something typed and not sent asks first."""
    from yakusho.plans.models import PlanEdition
    from yakusho.plans.review.services import open_cycle

    base = small_plan
    edition = PlanEdition.objects.get(plan__key="cycle-test")
    cycle = open_cycle(edition, 2025, timezone.localdate() + timedelta(days=7))
    review = cycle.node_reviews.get(node__key="a")
    dept = staff_page(new_context, base, DEPARTMENT)
    dept.goto(f"{base}/staff/m/oe/reviews/{cycle.pk}/nodes/{review.pk}/")

    # Typed and not sent: following a link asks before the page is left (and stays when declined).
    dept.get_by_label("実績", exact=True).fill("窓口の受付をタブレットに替えた。")
    asked: list[str] = []

    def decline(dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    dept.on("dialog", decline)
    dept.get_by_role("link", name="令和7年度の進捗評価").click()
    dept.wait_for_timeout(300)
    assert asked == ["beforeunload"]
    dept.remove_listener("dialog", decline)

    dept.get_by_label("進捗率（%）").fill("７０")
    dept.get_by_label("実績値（数値）").fill("1,850")  # the KPI's actual, typed and not recorded apart
    click(dept, "提出する")
    expect(dept.get_by_text("提出済み", exact=True)).to_be_visible()
    expect(dept.get_by_text("入力した内容を保存し、評価の状態を変更しました。")).to_be_visible()
    review.refresh_from_db()
    assert review.state == NodeReview.State.SUBMITTED
    assert (review.progress, review.achievements) == (70, "窓口の受付をタブレットに替えた。")
    assert KpiActual.objects.get(kpi__key="tablet", kpi__edition=edition, fiscal_year=2025).value == 1850
    # Submitted, the 課 sees its review read-only.
    expect(dept.get_by_text("表示のみ", exact=False)).to_be_visible()
