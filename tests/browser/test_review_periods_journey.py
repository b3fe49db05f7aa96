"""A half-yearly review in Chromium on a plan with its own 3-level scale (issue 17): the DX推進室 opens
令和7年度 上半期 and sees the plan's scale, the 課 fills in its reviews with the KPI's period actual
and submits them without saving first, the DX推進室 accepts them and enters the external committee's
comments, the 本部 finalises, and residents read the 上半期 report: grades counted with their
percentages over the stated base, the committee's comments in their own section, the KPI's figure,
and the PDF."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import ContextFactory
from tests.browser.test_review_cycle import DEPARTMENT, HQ, SECRETARIAT, click, staff_page
from yakusho.core.jcal import format_wareki_date
from yakusho.plans.models import KpiPeriodActual, NodeReview, ReviewCycle

pytestmark = pytest.mark.browser

KEY = "half-test"
TITLE = "大江町 行政手続オンライン化計画"
SCALE = "3段階（A・B・C）"
COMMITTEE = "大江町DX推進外部評価委員会"
WHOLE_COMMENT = "オンライン申請の周知を、広報誌と町のホームページで強めてほしい。"
ITEM_COMMENT = "電子申請の対象手続を、子育て分野から優先して広げるべきである。"
ACCEPT_COMMENT = "事務局確認済み：実績の記載を確認しました。"

#: node key → (title, grade chosen by the 課, 実績); A, A, C over three graded items: 66.7 %, 0 %, 33.3 %
NODES = {
    "a": ("電子申請の対象手続の拡大", "A 順調", "転入・転出など12手続を電子申請に対応させた。"),
    "b": ("キャッシュレス決済の導入", "A 順調", "本庁舎の窓口でキャッシュレス決済を始めた。"),
    "c": ("公式LINEによる情報発信", "C 遅れ", "配信システムの選定が遅れ、開始を下半期に延ばした。"),
}


@pytest.fixture
def half_yearly_plan(site: str, plan_from) -> str:
    """Three measures of 政策推進課, reviewed half-yearly with the plan's own 3-level scale; a KPI
    counted per year with the year's target."""
    data = {
        "format": "yakusho-plan/1",
        "municipality": "063240",
        "key": KEY,
        "title": TITLE,
        "kind": "計画",
        "first_year": 2024,
        "last_year": 2027,
        "edition": {"number": "1"},
        "level_labels": ["施策"],
        "review": {
            "period": "half",
            "graded": "department",
            "scale": {
                "name": SCALE,
                "levels": [
                    {"code": "A", "label": "順調", "description": "計画どおり進んでいる"},
                    {
                        "code": "B",
                        "label": "おおむね順調",
                        "description": "一部に遅れがあるが目標は達成できる",
                    },
                    {"code": "C", "label": "遅れ", "description": "取組の見直しが必要"},
                ],
            },
        },
        "nodes": [
            {"key": k, "title": title, "departments": [{"name": "政策推進課", "lead": True}]}
            for k, (title, _grade, _text) in NODES.items()
        ],
        "kpis": [
            {
                "key": "online",
                "node": "a",
                "name": "電子申請で受け付けた件数",
                "unit": "件",
                "direction": "increase",
                "accumulation": "per_year",
                "targets": [
                    {"fiscal_year": 2025, "value": 300, "text": "300件"},
                    {"fiscal_year": 2027, "value": 1000, "text": "1,000件"},
                ],
            }
        ],
    }
    plan_from(data)
    return site


def test_a_half_yearly_review_to_the_public_report(
    half_yearly_plan: str, new_context: ContextFactory
) -> None:
    base = half_yearly_plan
    today = timezone.localdate()

    # The DX推進室 opens 令和7年度 上半期 (the form asks for the period of a half-yearly plan).
    dx = staff_page(new_context, base, SECRETARIAT)
    dx.goto(f"{base}/staff/m/oe/plans/{KEY}/reviews/")
    expect(dx.get_by_role("main")).to_contain_text("半期ごと")
    dx.get_by_label("対象年度").fill("令和7年度")
    period = dx.get_by_label("評価する期")
    expect(period.locator("option")).to_have_text(["上半期", "下半期"])
    period.select_option(label="上半期")
    dx.get_by_label("提出期限").fill("令和7年10月31日")
    click(dx, "始める")
    expect(dx.get_by_role("heading", level=1)).to_contain_text("令和7年度 上半期")
    cycle = ReviewCycle.objects.get(edition__plan__key=KEY, fiscal_year=2025)
    assert cycle.period == 1
    assert cycle.node_reviews.count() == 3
    cycle_url = dx.url
    assert urlsplit(cycle_url).path == f"/staff/m/oe/reviews/{cycle.pk}/"

    # The plan's own scale, from the review list: its three levels, used by the current edition.
    dx.goto(f"{base}/staff/m/oe/plans/{KEY}/reviews/")
    expect(dx.get_by_role("link", name="令和7年度 上半期")).to_be_visible()
    dx.get_by_role("link", name="評価の段階と評価の対象").click()
    scales = dx.get_by_role("table", name="評価の段階の一覧")
    scale_row = scales.locator("tbody tr").filter(has_text=SCALE)
    expect(scale_row).to_have_count(1)
    expect(scale_row).to_contain_text("A 順調・B おおむね順調・C 遅れ")
    expect(scales.locator("tbody tr")).to_have_count(1)  # the plan's own scale, not the default A–D

    # The 課 fills in each of its reviews and submits at once (提出する without 保存).
    dept = staff_page(new_context, base, DEPARTMENT)
    dept.goto(cycle_url)
    mine = dept.get_by_role("table").first
    expect(dept.get_by_role("heading", name="あなたの課の評価")).to_be_visible()
    expect(mine.get_by_role("link")).to_have_count(3)
    review_urls: dict[str, str] = {}
    for key, (title, grade, text) in NODES.items():
        dept.goto(cycle_url)
        dept.get_by_role("link", name=title).first.click()
        expect(dept.get_by_role("heading", level=1)).to_contain_text(title)
        review_urls[key] = dept.url
        grade_field = dept.get_by_label("評価", exact=True)
        expect(grade_field.locator("option")).to_have_text(
            ["---------", "A 順調", "B おおむね順調", "C 遅れ"]
        )
        dept.get_by_label("進捗状況").select_option(label="遅延" if key == "c" else "実施中")
        grade_field.select_option(label=grade)
        dept.get_by_label("実績", exact=True).fill(text)
        if key == "a":
            expect(dept.locator(".kpi-actual")).to_contain_text("未記録")
            expect(dept.locator(".kpi-target")).to_contain_text("300件")
            dept.get_by_label("実績値（数値）").fill("１２０")  # full-width, as typed with a Japanese IME
        click(dept, "提出する")
        expect(dept.get_by_text("提出済み", exact=True)).to_be_visible()
        if key == "a":
            expect(dept.locator(".kpi-actual")).to_contain_text("記録済み：120件")
    actual = KpiPeriodActual.objects.get(kpi__key="online", kpi__edition=cycle.edition, fiscal_year=2025)
    assert (actual.period, actual.value) == (1, 120)
    assert set(cycle.node_reviews.values_list("state", flat=True)) == {NodeReview.State.SUBMITTED}

    # The DX推進室 accepts each, with a comment of its own on the first.
    for key, url in review_urls.items():
        dx.goto(url)
        if key == "a":
            dx.get_by_label("コメント（差し戻すときは必須）").fill(ACCEPT_COMMENT)
        click(dx, "受理する")
        expect(dx.get_by_text("受理", exact=True)).to_be_visible()

    # … and enters the committee's comments: one on the whole review, one on an item.
    dx.goto(cycle_url)
    dx.get_by_role("link", name="外部評価（委員会・有識者会議の意見）").click()
    expect(dx.get_by_role("heading", level=1)).to_contain_text("令和7年度 上半期の外部評価")
    met = min(date(2025, 9, 30), today)
    target = dx.get_by_label("対象")
    expect(target).to_have_value("whole")
    dx.get_by_label("評価した会議・委員会").fill(COMMITTEE)
    dx.get_by_label("日付").fill(format_wareki_date(met))
    dx.get_by_label("意見").fill(WHOLE_COMMENT)
    click(dx, "登録する")
    expect(dx.get_by_text("外部評価の意見を登録しました。")).to_be_visible()
    dx.get_by_label("対象").select_option(label=NODES["a"][0])
    dx.get_by_label("評価した会議・委員会").fill(COMMITTEE)
    dx.get_by_label("日付").fill(format_wareki_date(met))
    dx.get_by_label("意見").fill(ITEM_COMMENT)
    click(dx, "登録する")
    expect(dx.get_by_text("外部評価の意見を登録しました。")).to_be_visible()
    expect(dx.locator(".external-evaluation")).to_have_count(2)

    # The 本部 finalises everything accepted, confirming the publication.
    hq = staff_page(new_context, base, HQ)
    hq.goto(cycle_url)
    hq.get_by_label("確定して進捗報告を公開します").check()
    click(hq, "受理済みの評価をすべて確定する")
    expect(hq.get_by_text("3件の評価を確定しました。")).to_be_visible()
    cycle.refresh_from_db()
    assert cycle.state == ReviewCycle.State.FINALISED

    # A resident finds the 上半期 report in the plan's list of reports.
    public = new_context().new_page()
    public.goto(f"{base}/m/oe/plans/{KEY}/reports/")
    link = public.get_by_role("link", name="令和7年度 上半期の進捗状況報告書")
    expect(link).to_have_count(1)
    link.click()
    assert urlsplit(public.url).path == f"/m/oe/plans/{KEY}/reports/2025/1/", public.url
    main = public.locator("main")
    expect(public.get_by_role("heading", level=1)).to_have_text(f"{TITLE} 令和7年度 上半期 進捗状況報告書")
    expect(main).to_contain_text("令和7年度 上半期（2025年度）")

    # The grade breakdown: count and percentage per grade, over the stated base.
    grades = public.locator(".report-grades")
    expect(grades).to_contain_text("評価の対象：取組ごと・担当課ごと")
    expect(grades.locator("caption")).to_have_text(
        "評価した取組 3件（担当課ごとの評価 3件のうち3件）に対する割合"
    )
    for label, description, count, percent in [
        ("A（順調）", "計画どおり進んでいる", "2件", "66.7%"),
        ("B（おおむね順調）", "一部に遅れがあるが目標は達成できる", "0件", "0%"),
        ("C（遅れ）", "取組の見直しが必要", "1件", "33.3%"),
    ]:
        row = grades.locator("tbody tr").filter(has_text=label)
        expect(row).to_have_count(1)
        expect(row.locator("th")).to_contain_text(description)
        expect(row.locator("td")).to_have_text([count, percent])
    expect(grades.locator("tfoot td")).to_have_text(["3件", "100%"])
    expect(grades).not_to_contain_text("未評価")

    # The 課's grades and text per item.
    item_a = public.locator("article.report-node").filter(has_text=NODES["a"][0])
    expect(item_a).to_contain_text("A（順調）")
    expect(item_a).to_contain_text(NODES["a"][2])
    expect(public.locator("article.report-node").filter(has_text=NODES["c"][0])).to_contain_text("C（遅れ）")

    # The committee's comments: named and dated, in their own sections, apart from the secretariat's.
    heading = f"{COMMITTEE}（{format_wareki_date(met)}）"
    whole = public.locator("section[aria-labelledby='external-h']")
    expect(whole.get_by_role("heading", level=2)).to_have_text("外部評価（計画全体への意見）")
    expect(whole).to_contain_text(heading)
    expect(whole).to_contain_text(WHOLE_COMMENT)
    expect(whole).not_to_contain_text(ITEM_COMMENT)
    on_item = item_a.locator("section.report-external")
    expect(on_item.get_by_role("heading", level=4)).to_have_text("外部評価（有識者会議等の意見）")
    expect(on_item).to_contain_text(heading)
    expect(on_item).to_contain_text(ITEM_COMMENT)
    expect(main).not_to_contain_text(ACCEPT_COMMENT)

    # The KPI: the year's target and the actual recorded in 上半期.
    kpi_row = public.locator("table.report-kpis tbody tr").filter(has_text="電子申請で受け付けた件数")
    expect(kpi_row).to_have_count(1)
    expect(kpi_row).to_contain_text("300件")
    expect(kpi_row).to_contain_text("120件")

    # The PDF link answers with a PDF.
    pdf_href = public.get_by_role("link", name="PDF（進捗状況報告書、A4横）").get_attribute("href")
    assert pdf_href is not None
    assert urlsplit(pdf_href).path == f"/m/oe/plans/{KEY}/reports/2025/1/report.pdf", pdf_href
    pdf = public.request.get(base + pdf_href)
    assert pdf.status == 200
    assert pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")

    # The year's address leads to its latest published period: 上半期.
    response = public.goto(f"{base}/m/oe/plans/{KEY}/reports/2025/")
    assert response is not None and response.status == 200
    assert urlsplit(public.url).path == f"/m/oe/plans/{KEY}/reports/2025/1/", public.url
    expect(public.get_by_role("heading", level=1)).to_contain_text("令和7年度 上半期")
