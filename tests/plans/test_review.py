"""Yearly reviews: opening, the transition table per role, edits, amendments, KPI actuals."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from auditlog.models import LogEntry

from tests.factories import MembershipFactory
from yakusho.core.models import Role
from yakusho.plans.models import Kpi, KpiActual, NodeReview, PlanEdition, ReviewAmendment, ReviewCycle
from yakusho.plans.review.actuals import record_actual
from yakusho.plans.review.services import (
    TRANSITIONS,
    ReviewError,
    amend,
    open_cycle,
    transition,
    update_review,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan(demo, plan_from) -> PlanEdition:
    """A small plan of 大江町: one measure owned by 総務課, KPIs of each kind."""
    data = {
        "format": "yakusho-plan/1",
        "municipality": "063240",
        "key": "review-test",
        "title": "評価の試験計画",
        "kind": "計画",
        "first_year": 2024,
        "last_year": 2026,
        "edition": {"number": "1"},
        "level_labels": ["施策"],
        "nodes": [
            {"key": "a", "title": "窓口のデジタル化", "departments": [{"name": "総務課", "lead": True}]},
            {"key": "b", "title": "庁内の研修"},
        ],
        "kpis": [
            {
                "key": "count",
                "node": "a",
                "name": "申請件数",
                "unit": "件",
                "direction": "increase",
                "baseline": {"fiscal_year": 2023, "value": 10, "text": "10件"},
                "targets": [{"fiscal_year": 2026, "value": 100, "text": "100件"}],
                "actuals": [{"fiscal_year": 2024, "value": 20, "text": "20件"}],
            },
            {
                "key": "share",
                "node": "a",
                "name": "利用率",
                "unit": "%",
                "direction": "increase",
                "targets": [{"fiscal_year": 2026, "value": 50, "text": "50%"}],
            },
            {
                "key": "words",
                "node": "a",
                "name": "取組の状況",
                "direction": "qualitative",
                "targets": [{"fiscal_year": 2026, "text": "全課で実施"}],
            },
        ],
    }
    return plan_from(data).edition


@pytest.fixture
def member(staff_of):
    """``member(role, 課 or None)``: a new staff member of 大江町."""
    return lambda role, department=None: staff_of("oe", role, [department] if department else ())


def test_opening_makes_one_review_per_node_and_department(plan: PlanEdition) -> None:
    cycle = open_cycle(plan, 2024, date(2025, 5, 31))
    reviews = list(cycle.node_reviews.select_related("node", "department"))
    assert [(r.node.key, r.department.name if r.department else None, r.lead) for r in reviews] == [
        ("a", "総務課", True),
        ("b", None, False),
    ]
    with pytest.raises(ReviewError, match="すでに始まって"):
        open_cycle(plan, 2024, date(2025, 5, 31))
    with pytest.raises(ReviewError, match="計画期間外"):
        open_cycle(plan, 2030, date(2031, 5, 31))


def test_a_full_cycle_through_the_transition_table(plan: PlanEdition, member) -> None:
    cycle = open_cycle(plan, 2024, date(2025, 5, 31))
    review = cycle.node_reviews.get(node__key="a")
    dept, dx, hq = member(Role.DEPARTMENT, "総務課"), member(Role.SECRETARIAT), member(Role.HQ)
    update_review(review, dept, status="in_progress", progress=60, achievements="窓口に端末を導入")
    transition(review, "submit", dept)
    with pytest.raises(ReviewError, match="理由"):
        transition(review, "return", dx)
    transition(review, "return", dx, comment="実績の数字を書いてください")
    review.refresh_from_db()
    assert review.state == NodeReview.State.RETURNED and "数字" in review.comment
    transition(review, "submit", dept)
    transition(review, "accept", dx)
    transition(review, "finalise", hq)
    cycle.refresh_from_db()
    assert cycle.state == ReviewCycle.State.OPEN  # node b is not finalised yet
    other = cycle.node_reviews.get(node__key="b")
    for action, who in (("submit", dx), ("accept", dx), ("finalise", hq)):
        transition(other, action, who)
    cycle.refresh_from_db()
    assert cycle.state == ReviewCycle.State.FINALISED
    states = [
        e.changes_dict.get("state")
        for e in LogEntry.objects.get_for_object(review).order_by("timestamp")
        if "state" in e.changes_dict
    ]
    assert [s[1] for s in states] == ["submitted", "returned", "submitted", "accepted", "finalised"]


@pytest.mark.parametrize(
    ("action", "state", "role", "allowed"),
    [
        ("submit", "draft", Role.DEPARTMENT, True),
        ("submit", "draft", Role.COUNTER, False),
        ("submit", "draft", Role.HQ, False),
        ("accept", "submitted", Role.DEPARTMENT, False),
        ("accept", "submitted", Role.SECRETARIAT, True),
        ("accept", "draft", Role.SECRETARIAT, False),
        ("return", "submitted", Role.ADMIN, True),
        ("return", "submitted", Role.DEPARTMENT, False),
        ("finalise", "accepted", Role.HQ, True),
        ("finalise", "accepted", Role.SECRETARIAT, False),
        ("finalise", "submitted", Role.HQ, False),
    ],
)
def test_transition_table(
    plan: PlanEdition, action: str, state: str, role: str, allowed: bool, member
) -> None:
    cycle = open_cycle(plan, 2024, date(2025, 5, 31))
    review = cycle.node_reviews.get(node__key="a")
    NodeReview.objects.filter(pk=review.pk).update(state=state)
    who = member(role, "総務課" if role == Role.DEPARTMENT else None)
    if allowed:
        transition(review, action, who, comment="理由")
        review.refresh_from_db()
        assert review.state == TRANSITIONS[action].target
    else:
        with pytest.raises(ReviewError):
            transition(review, action, who, comment="理由")
        review.refresh_from_db()
        assert review.state == state


def test_department_staff_act_only_for_their_own_department(plan: PlanEdition, member) -> None:
    cycle = open_cycle(plan, 2024, date(2025, 5, 31))
    review = cycle.node_reviews.get(node__key="a")
    outsider = member(Role.DEPARTMENT, "健康福祉課")
    with pytest.raises(ReviewError, match="所属していない課"):
        transition(review, "submit", outsider)
    with pytest.raises(ReviewError, match="所属していない課"):
        update_review(review, outsider, issues="x")
    elsewhere = MembershipFactory(role=Role.SECRETARIAT)  # another municipality
    with pytest.raises(ReviewError, match="権限"):
        transition(review, "accept", elsewhere)


def test_finalised_reviews_change_only_by_amendment(plan: PlanEdition, member) -> None:
    cycle = open_cycle(plan, 2024, date(2025, 5, 31))
    review = cycle.node_reviews.get(node__key="a")
    NodeReview.objects.filter(pk=review.pk).update(state=NodeReview.State.FINALISED, progress=50)
    review.refresh_from_db()
    dx = member(Role.SECRETARIAT)
    with pytest.raises(ReviewError, match="訂正"):
        update_review(review, dx, progress=80)
    with pytest.raises(ReviewError, match="理由"):
        amend(review, dx, "  ", progress=80)
    amendment = amend(review, dx, "集計の誤り", progress=80)
    review.refresh_from_db()
    assert review.progress == 80 and amendment.changes == {"進捗率（%）": ["50", "80"]}
    assert ReviewAmendment.objects.get().reason == "集計の誤り"


@pytest.mark.parametrize(
    ("kpi_key", "kwargs", "message"),
    [
        ("words", {"value": Decimal(3)}, "文章"),
        ("count", {"text": "たくさん"}, "数値で入力"),
        ("count", {"value": Decimal(-1)}, "0以上"),
        ("share", {"value": Decimal(120)}, "0から100"),
        ("share", {"value": Decimal("-0.5")}, "0から100"),
    ],
)
def test_bad_actuals_are_refused(plan: PlanEdition, kpi_key: str, kwargs: dict, message: str, member) -> None:
    cycle = open_cycle(plan, 2024, date(2025, 5, 31))
    kpi = Kpi.objects.get(edition=plan, key=kpi_key)
    before = list(KpiActual.objects.filter(kpi=kpi).values_list("fiscal_year", "value", "source"))
    with pytest.raises(ReviewError, match=message):
        record_actual(kpi, cycle, member(Role.DEPARTMENT, "総務課"), **kwargs)
    assert list(KpiActual.objects.filter(kpi=kpi).values_list("fiscal_year", "value", "source")) == before


def test_the_review_writes_the_one_series_of_actuals(plan: PlanEdition, member) -> None:
    cycle = open_cycle(plan, 2024, date(2025, 5, 31))
    kpi = Kpi.objects.get(edition=plan, key="count")
    actual = record_actual(kpi, cycle, member(Role.DEPARTMENT, "総務課"), value=Decimal(25), text="25件")
    assert KpiActual.objects.filter(kpi=kpi).count() == 1  # the plan's 2024 figure is replaced
    assert actual.source == KpiActual.Source.REVIEW and actual.value == 25
    words = Kpi.objects.get(edition=plan, key="words")
    record_actual(words, cycle, member(Role.SECRETARIAT), text="5課で実施")
    ReviewCycle.objects.filter(pk=cycle.pk).update(state=ReviewCycle.State.FINALISED)
    cycle.refresh_from_db()
    with pytest.raises(ReviewError, match="確定"):
        record_actual(kpi, cycle, member(Role.SECRETARIAT), value=Decimal(30))


def test_copy_forward_starts_from_last_years_texts(plan: PlanEdition, member) -> None:
    first = open_cycle(plan, 2024, date(2025, 5, 31))
    review = first.node_reviews.get(node__key="a")
    update_review(
        review, member(Role.SECRETARIAT), status="delayed", issues="人手が足りない", next_steps="委託を検討"
    )
    second = open_cycle(plan, 2025, date(2026, 5, 31))
    carried = second.node_reviews.get(node__key="a")
    assert (carried.status, carried.issues, carried.next_steps) == ("delayed", "人手が足りない", "委託を検討")
    assert carried.state == NodeReview.State.DRAFT and carried.grade is None


def test_a_metric_bound_kpi_takes_the_registrys_figure_or_an_override_with_a_reason(
    plan: PlanEdition, member
) -> None:
    from yakusho.metrics.registry import isolated_registry
    from yakusho.plans.review.actuals import confirm_metric

    cycle = open_cycle(plan, 2025, date(2026, 5, 31))
    kpi = Kpi.objects.get(edition=plan, key="count")
    Kpi.objects.filter(pk=kpi.pk).update(metric="test.applications")
    kpi.refresh_from_db()
    staff = member(Role.DEPARTMENT, "総務課")
    with isolated_registry() as registry:

        @registry.provider("test.applications", label_ja="申請件数", label_en="Applications", unit="件")
        def applications(municipality: object, period: object) -> int:
            return 42

        actual = confirm_metric(kpi, cycle, staff)
        assert (actual.value, actual.source) == (Decimal(42), KpiActual.Source.METRIC)

        with pytest.raises(ReviewError, match="計測値（42）と異なる値"):
            record_actual(kpi, cycle, staff, value=Decimal(40))
        assert KpiActual.objects.get(kpi=kpi, fiscal_year=2025).source == KpiActual.Source.METRIC

        actual = record_actual(kpi, cycle, staff, value=Decimal(40), override_reason="重複した2件を除いた")
        assert (actual.value, actual.source) == (Decimal(40), KpiActual.Source.REVIEW)
        assert "計測値42を修正：重複した2件を除いた" in actual.note
        # The same value as the figure needs no reason.
        assert record_actual(kpi, cycle, staff, value=Decimal(42)).value == Decimal(42)
        assert KpiActual.objects.filter(kpi=kpi).count() == 2  # the plan's 2024 and this 2025: one series


def test_confirming_a_kpi_without_a_metric_is_refused(plan: PlanEdition, member) -> None:
    from yakusho.plans.review.actuals import confirm_metric

    cycle = open_cycle(plan, 2025, date(2026, 5, 31))
    kpi = Kpi.objects.get(edition=plan, key="count")
    with pytest.raises(ReviewError, match="確認できる計測値がありません"):
        confirm_metric(kpi, cycle, member(Role.DEPARTMENT, "総務課"))
    assert not KpiActual.objects.filter(kpi=kpi, fiscal_year=2025).exists()


def test_the_hq_finalises_a_cycle_at_once_only_when_every_review_is_accepted(
    plan: PlanEdition, member
) -> None:
    from yakusho.plans.review.services import finalise_cycle

    cycle = open_cycle(plan, 2024, date(2025, 5, 31))
    dx, hq = member(Role.SECRETARIAT), member(Role.HQ)
    a, b = cycle.node_reviews.get(node__key="a"), cycle.node_reviews.get(node__key="b")
    for action in ("submit", "accept"):
        transition(a, action, dx)
    with pytest.raises(ReviewError, match="受理されていない評価が1件"):
        finalise_cycle(cycle, hq)
    a.refresh_from_db()
    assert a.state == NodeReview.State.ACCEPTED  # nothing finalised by the refused call
    for action in ("submit", "accept"):
        transition(b, action, dx)
    with pytest.raises(ReviewError, match="役割"):
        finalise_cycle(cycle, dx)
    assert finalise_cycle(cycle, hq) == 2
    cycle.refresh_from_db()
    assert cycle.state == ReviewCycle.State.FINALISED
    assert set(cycle.node_reviews.values_list("state", flat=True)) == {NodeReview.State.FINALISED}
    with pytest.raises(ReviewError, match="確定できる評価がありません"):
        finalise_cycle(cycle, hq)


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_evidence_files_are_checked_by_content_and_kept_until_finalised(
    plan: PlanEdition, settings, member
) -> None:

    from django.core.files.uploadedfile import SimpleUploadedFile

    from yakusho.plans.models import ReviewEvidence
    from yakusho.plans.review import services as service

    cycle = open_cycle(plan, 2024, date(2025, 5, 31))
    node_review = cycle.node_reviews.get(node__key="a")
    dept = member(Role.DEPARTMENT, "総務課")
    evidence = service.add_evidence(node_review, dept, SimpleUploadedFile("実績報告.pdf", PDF))
    assert (evidence.name, evidence.kind, evidence.size) == ("実績報告.pdf", "pdf", len(PDF))
    name = evidence.file.name or ""
    assert (Path(str(settings.MEDIA_ROOT)) / name).read_bytes() == PDF and "private/" in name

    with pytest.raises(ReviewError, match="中身がPDFのファイルではありません"):
        service.add_evidence(node_review, dept, SimpleUploadedFile("偽物.pdf", PNG))
    with pytest.raises(ReviewError, match="添付できるのは"):
        service.add_evidence(node_review, dept, SimpleUploadedFile("script.exe", b"MZ" + b"\x00" * 64))
    settings_limit = service.EVIDENCE_MAX_BYTES
    service.EVIDENCE_MAX_BYTES = 10
    try:
        with pytest.raises(ReviewError, match="大きすぎます"):
            service.add_evidence(node_review, dept, SimpleUploadedFile("大きい.pdf", PDF))
    finally:
        service.EVIDENCE_MAX_BYTES = settings_limit
    with pytest.raises(ReviewError, match="所属していない課"):
        service.add_evidence(
            node_review, member(Role.DEPARTMENT, "政策推進課"), SimpleUploadedFile("a.pdf", PDF)
        )
    assert ReviewEvidence.objects.count() == 1

    NodeReview.objects.filter(pk=node_review.pk).update(state=NodeReview.State.FINALISED)
    node_review.refresh_from_db()
    with pytest.raises(ReviewError, match="確定した評価"):
        service.remove_evidence(evidence, member(Role.SECRETARIAT))
    NodeReview.objects.filter(pk=node_review.pk).update(state=NodeReview.State.DRAFT)
    evidence.refresh_from_db()
    service.remove_evidence(evidence, dept)
    assert not ReviewEvidence.objects.exists()
