"""The yearly review's staff pages: open a cycle, edit, submit, return, accept, finalise, actuals."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.helpers import login_verified
from yakusho.core.models import User
from yakusho.plans.models import KpiActual, NodeReview, ReviewCycle

pytestmark = pytest.mark.django_db


def as_user(client: Client, email: str) -> Client:
    login_verified(client, User.objects.get(email=email))
    return client


def test_a_cycle_through_the_pages(demo_with_plans, client: Client) -> None:
    list_url = reverse("reviews:list", args=["misato", "misato-dx-action-plan"])
    as_user(client, "counter@example.jp")
    client.post(list_url, {"fiscal_year": "R6", "due_date": "令和7年5月30日"})
    assert not ReviewCycle.objects.exists()  # counter staff may not open a review

    as_user(client, "dx@example.jp")
    bad = client.post(list_url, {"fiscal_year": "R20", "due_date": "令和7年5月30日"})
    assert "計画期間外" in bad.content.decode() and not ReviewCycle.objects.exists()
    response = client.post(list_url, {"fiscal_year": "令和6年度", "due_date": "R7.5.30"})
    cycle = ReviewCycle.objects.get()
    assert response.status_code == 302 and cycle.fiscal_year == 2024
    review = cycle.node_reviews.get(node__code="1-1", department__name="生涯学習課")
    node_url = reverse("reviews:node", args=["misato", cycle.pk, review.pk])
    page = client.get(node_url).content.decode()
    assert "オンライン手続数" in page and "提出する" in page

    client.post(node_url, {"status": "in_progress", "progress": "80", "achievements": "63手続をオンライン化"})
    review.refresh_from_db()
    assert review.progress == 80 and review.achievements == "63手続をオンライン化"
    kpi = review.node.kpis.get(name="オンライン手続数")
    typed = {"status": "in_progress", "progress": "80", "achievements": "63手続をオンライン化"}
    refused = client.post(node_url, {**typed, f"kpi-{kpi.pk}-value": "-3"})
    assert "0以上" in refused.content.decode()
    client.post(node_url, {**typed, f"kpi-{kpi.pk}-value": "70", f"kpi-{kpi.pk}-text": "70件"})
    actual = KpiActual.objects.get(kpi=kpi, fiscal_year=2024)
    assert actual.value == 70 and actual.source == KpiActual.Source.REVIEW

    client.post(node_url, {"action": "submit"})
    client.post(node_url, {"action": "return", "comment": ""})
    review.refresh_from_db()
    assert review.state == NodeReview.State.SUBMITTED  # a return needs a reason
    client.post(node_url, {"action": "accept"})
    as_user(client, "hq@example.jp")
    client.post(node_url, {"action": "finalise"})
    review.refresh_from_db()
    assert review.state == NodeReview.State.FINALISED
    client.post(node_url, {"status": "done"})
    review.refresh_from_db()
    assert review.status == "in_progress"  # finalised: no direct edit, a correction needs a reason
    corrected = {"status": "in_progress", "progress": "90", "achievements": "63手続をオンライン化"}
    page = client.post(node_url, corrected).content.decode()
    assert "訂正の理由" in page and "必須" in page
    review.refresh_from_db()
    assert review.progress == 80
    client.post(node_url, {**corrected, "reason": "年度末の集計で90%と確認"})
    review.refresh_from_db()
    assert review.progress == 90 and review.state == NodeReview.State.FINALISED
    page = client.get(node_url).content.decode()
    assert "年度末の集計で90%と確認" in page and "進捗率（%）：80 → 90" in page
    cycle_page = client.get(reverse("reviews:cycle", args=["misato", cycle.pk])).content.decode()
    assert "確定 1" in cycle_page


def test_review_pages_of_another_municipality_are_not_found(demo_with_plans, client: Client) -> None:
    as_user(client, "dx@example.jp")
    client.post(reverse("reviews:list", args=["oe", "oe-dx"]), {"fiscal_year": "R6", "due_date": "R7.5.30"})
    cycle = ReviewCycle.objects.get()
    assert client.get(reverse("reviews:cycle", args=["misato", cycle.pk])).status_code == 404


def test_staff_home_shows_the_reviews_waiting_for_each_role(demo_with_plans, client: Client) -> None:
    as_user(client, "dx@example.jp")
    client.post(
        reverse("reviews:list", args=["itako", "itako-dx"]), {"fiscal_year": "R6", "due_date": "R7.5.30"}
    )
    cycle = ReviewCycle.objects.get()
    dept = User.objects.get(email="dept@example.jp")
    department = dept.memberships.get(municipality__slug="itako").departments.get()  # DX戦略室
    mine = cycle.node_reviews.filter(department=department)
    assert mine.exists()
    as_user(client, "dept@example.jp")
    page = client.get(reverse("staff:home")).content.decode()
    assert 'data-panel="plans.reviews_due"' in page and f"あなたの課が提出する評価：{mine.count()}件" in page
    as_user(client, "dx@example.jp")  # nothing submitted yet: nothing to accept (see test_staff_home_actions)
    page = client.get(reverse("staff:home")).content.decode()
    assert page.count('data-panel="plans.reviews_due"') == 1 and "受理か差し戻しを待つ評価" not in page
    mine.update(state=NodeReview.State.SUBMITTED)
    page = client.get(reverse("staff:home")).content.decode()
    assert f"受理か差し戻しを待つ評価：{mine.count()}件" in page


def test_progress_notes_on_a_node(demo_with_plans, client: Client) -> None:
    from yakusho.plans.models import ProgressNote

    url = reverse("plans:node", args=["itako", "itako-dx", "g1-f1-m1"])
    assert client.post(url, {"date": "R8.4.1", "text": "x"}).status_code == 404  # not signed in
    as_user(client, "counter@example.jp")
    client.post(url, {"date": "R8.4.1", "text": "窓口で試行"})
    assert not ProgressNote.objects.exists()  # counter staff do not write notes
    as_user(client, "dx@example.jp")
    client.post(url, {"date": "令和8年2月30日", "text": "x"})
    assert not ProgressNote.objects.exists()
    response = client.post(url, {"date": "R8.4.1", "text": "**試行**を始めた"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "令和8年4月1日" in page and "<strong>試行</strong>を始めた" in page
    assert "令和8年4月1日" in Client().get(url + "?fresh=1").content.decode()  # residents see it too


def test_evidence_files_through_the_node_page(demo_with_plans, client: Client) -> None:
    from datetime import date

    from django.core.files.uploadedfile import SimpleUploadedFile

    from yakusho.plans.models import Plan
    from yakusho.plans.review.services import open_cycle

    plan = Plan.objects.get(key="misato-dx-action-plan")
    assert plan.current_edition is not None
    cycle = open_cycle(plan.current_edition, 2026, date(2027, 5, 31))
    review = cycle.node_reviews.filter(department__isnull=False).first()
    assert review is not None
    node_url = reverse("reviews:node", args=["misato", cycle.pk, review.pk])
    as_user(client, "dx@example.jp")
    pdf = b"%PDF-1.4\n%%EOF\n"
    client.post(node_url, {"evidence": SimpleUploadedFile("会議録.pdf", pdf)})
    fake = client.post(
        node_url, {"evidence": SimpleUploadedFile("写真.pdf", b"GIF89a" + b"\0" * 40)}, follow=True
    )
    assert "中身がPDFのファイルではありません" in fake.content.decode()
    evidence = review.evidence_files.get()
    page = client.get(node_url).content.decode()
    assert "会議録.pdf" in page
    download = client.get(reverse("reviews:evidence", args=["misato", cycle.pk, review.pk, evidence.pk]))
    assert b"".join(download.streaming_content) == pdf  # type: ignore[attr-defined]
    assert "attachment" in download["Content-Disposition"]
    # Not reachable through another municipality's URL.
    other = client.get(reverse("reviews:evidence", args=["oe", cycle.pk, review.pk, evidence.pk]))
    assert other.status_code == 404
