"""Yearly reviews (PDCA): opening a cycle, the allowed transitions per role, edits, amendments and
KPI actuals. Views call these functions; every rule lives here, with a Japanese message.

The workflow of a node review, as one table (``TRANSITIONS``)::

    draft ──submit──▶ submitted ──accept──▶ accepted ──finalise──▶ finalised
      ▲                  │
      └────return────────┘ (returned, then submit again)
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from yakusho.core.models import Membership, Role
from yakusho.core.uploads import UploadRefused, check_upload
from yakusho.core.workflow import Transition, TransitionRefused, Workflow
from yakusho.metrics.registry import Figure, Period, registry
from yakusho.plans.models import (
    Kpi,
    KpiActual,
    NodeDepartment,
    NodeReview,
    PlanEdition,
    ReviewAmendment,
    ReviewCycle,
    ReviewEvidence,
)
from yakusho.plans.review.scales import scale_for

#: Units whose figures are counts and cannot be negative.
COUNT_UNITS = {
    "件",
    "人",
    "回",
    "部",
    "冊",
    "箇所",
    "カ所",
    "台",
    "校",
    "業務",
    "項目",
    "回/年",
    "件/年",
    "人/年",
}
EDITABLE = {NodeReview.State.DRAFT, NodeReview.State.RETURNED}
EDITORS = {Role.DEPARTMENT, Role.SECRETARIAT, Role.ADMIN}
#: who may correct a finalised review (with a reason, kept as an amendment)
AMENDERS = frozenset({Role.SECRETARIAT, Role.ADMIN, Role.HQ})


class ReviewError(TransitionRefused):
    """A refused review action, with a message for the person who tried it."""


#: a department's staff make this transition only for their own 課
OWN_DEPARTMENT = "own_department"

S = NodeReview.State
TRANSITIONS = Workflow(
    {
        "submit": Transition(
            N_("提出する"),
            {S.DRAFT, S.RETURNED},
            S.SUBMITTED,
            {Role.DEPARTMENT, Role.SECRETARIAT, Role.ADMIN},
            flags={OWN_DEPARTMENT},
        ),
        "return": Transition(
            N_("差し戻す"), {S.SUBMITTED, S.ACCEPTED}, S.RETURNED, {Role.SECRETARIAT, Role.ADMIN}
        ),
        "accept": Transition(N_("受理する"), {S.SUBMITTED}, S.ACCEPTED, {Role.SECRETARIAT, Role.ADMIN}),
        "finalise": Transition(N_("確定する"), {S.ACCEPTED}, S.FINALISED, {Role.HQ}),
    },
    model=NodeReview,
    error=ReviewError,
    wrong_actor=N_("この操作は、あなたの役割（%(role)s）ではできません。"),
    wrong_state=N_("「%(state)s」の評価には、この操作はできません。"),
)


COPIED = ("status", "progress", "achievements", "issues", "next_steps")


@transaction.atomic
def open_cycle(edition: PlanEdition, fiscal_year: int, due_date: date, opened_by: Any = None) -> ReviewCycle:
    """Open the review of ``fiscal_year``: one node review per node and responsible 課, starting
    from last year's texts where a review of the same node key and 課 exists ("copy forward")."""
    if not edition.first_year <= fiscal_year <= edition.last_year:
        raise ReviewError(_("対象年度が計画期間外です。"))
    if ReviewCycle.objects.filter(edition__plan=edition.plan, fiscal_year=fiscal_year).exists():
        raise ReviewError(_("この年度の進捗評価はすでに始まっています。"))
    scale_for(edition)
    cycle = ReviewCycle.objects.create(
        municipality=edition.municipality,
        edition=edition,
        fiscal_year=fiscal_year,
        due_date=due_date,
        opened_by=opened_by,
    )
    previous = {
        (r.node.key, r.department_id): r
        for r in NodeReview.objects.filter(
            cycle__edition__plan=edition.plan, cycle__fiscal_year=fiscal_year - 1
        ).select_related("node")
    }
    reviews = []
    for node in edition.nodes.prefetch_related("node_departments").order_by("order"):
        links: list[NodeDepartment | None] = list(node.node_departments.all()) or [None]
        for link in links:
            department_id = link.department_id if link else None
            review = NodeReview(
                municipality=edition.municipality,
                cycle=cycle,
                node=node,
                department_id=department_id,
                lead=bool(link and link.lead),
            )
            before = previous.get((node.key, department_id))
            if before is not None:
                for field in COPIED:
                    setattr(review, field, getattr(before, field))
            reviews.append(review)
    NodeReview.objects.bulk_create(reviews, batch_size=1000)
    return cycle


def _check_member(review: NodeReview, membership: Membership) -> None:
    if membership.municipality_id != review.municipality_id or not membership.is_active:
        raise ReviewError(_("この団体の評価を操作する権限がありません。"))


def _check_own_department(review: NodeReview, membership: Membership) -> None:
    if membership.role == Role.DEPARTMENT:
        departments = {d.pk for d in membership.departments.all()}
        if review.department_id not in departments:
            raise ReviewError(_("所属していない課の評価は操作できません。"))


def _check_role(review: NodeReview, membership: Membership, roles: frozenset[str], own_only: bool) -> None:
    """For edits outside the transition table: a member of the municipality in one of ``roles``."""
    _check_member(review, membership)
    if membership.role not in roles:
        raise ReviewError(
            _("この操作は、あなたの役割（%(role)s）ではできません。")
            % {"role": membership.get_role_display()}
        )
    if own_only:
        _check_own_department(review, membership)


@transaction.atomic
def transition(review: NodeReview, action: str, membership: Membership, comment: str = "") -> NodeReview:
    """Apply one transition of ``TRANSITIONS``; the audit trail keeps it (NodeReview is audited)."""
    TRANSITIONS.rule(action)
    review = NodeReview.objects.select_for_update().get(pk=review.pk)
    _check_member(review, membership)
    rule = TRANSITIONS.check_actor(action, membership.role, {"role": membership.get_role_display()})
    if rule.has(OWN_DEPARTMENT):
        _check_own_department(review, membership)
    TRANSITIONS.check_state(action, review.state, {"state": review.get_state_display()})
    if action == "return" and not comment.strip():
        raise ReviewError(_("差し戻すときは、理由をコメントに書いてください。"))
    review.state = rule.target
    if comment:
        review.comment = comment
    review.save(update_fields=["state", "comment", "updated_at"])
    cycle = review.cycle
    if action == "finalise" and not cycle.node_reviews.exclude(state=S.FINALISED).exists():
        cycle.state = ReviewCycle.State.FINALISED
        cycle.save(update_fields=["state"])
    return review


@transaction.atomic
def finalise_cycle(cycle: ReviewCycle, membership: Membership) -> int:
    """Finalise every accepted review of a cycle at once (the DX推進本部 approves the year's review
    as a whole); refused while any review is not yet accepted. Each review goes through
    ``transition``, so the table and the audit trail apply to each."""
    pending = cycle.node_reviews.exclude(state__in=[S.ACCEPTED, S.FINALISED]).count()
    if pending:
        raise ReviewError(
            _("受理されていない評価が%(n)d件あるため、まとめて確定できません。") % {"n": pending}
        )
    accepted = list(cycle.node_reviews.filter(state=S.ACCEPTED).order_by("pk"))
    if not accepted:
        raise ReviewError(_("確定できる評価がありません。"))
    for node_review in accepted:
        transition(node_review, "finalise", membership)
    return len(accepted)


EDITABLE_FIELDS = {"status", "progress", "grade", "achievements", "issues", "next_steps", "evidence"}


def _clean_fields(review: NodeReview, fields: dict[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise ReviewError(_("編集できない項目があります：%(f)s") % {"f": "、".join(sorted(unknown))})
    progress = fields.get("progress")
    if progress is not None and not 0 <= int(progress) <= 100:
        raise ReviewError(_("進捗率は0から100の間で入力してください。"))
    if "status" in fields and fields["status"] not in NodeReview.Progress.values:
        raise ReviewError(_("進捗状況の値が正しくありません。"))
    grade = fields.get("grade")
    if grade is not None and (
        grade.municipality_id != review.municipality_id
        or grade.scale_id != review.cycle.edition.grading_scale_id
    ):
        raise ReviewError(_("この計画の評価の段階にない評価です。"))
    return fields


@transaction.atomic
def may_edit(review: NodeReview, membership: Membership) -> bool:
    """Whether ``membership`` may change the review's fields now (what :func:`update_review` allows):
    the page shows them as a form only then, and read-only otherwise."""
    if review.state == S.FINALISED:
        return False
    if review.state not in EDITABLE and membership.role == Role.DEPARTMENT:
        return False
    return _allowed(review, membership)


def update_review(review: NodeReview, membership: Membership, **fields: Any) -> NodeReview:
    if review.state == S.FINALISED:
        raise ReviewError(_("確定した評価は直接変更できません。訂正として理由を添えてください。"))
    if review.state not in EDITABLE and membership.role == Role.DEPARTMENT:
        raise ReviewError(_("提出後の評価は、差し戻されるまで変更できません。"))
    _check_role(review, membership, frozenset(EDITORS), True)
    for name, value in _clean_fields(review, fields).items():
        setattr(review, name, value)
    review.save()
    return review


#: what may be attached as evidence, and how large
EVIDENCE_KINDS = ("pdf", "png", "jpeg", "docx", "xlsx", "pptx")
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024


def _check_evidence_editor(review: NodeReview, membership: Membership) -> None:
    if review.state == S.FINALISED:
        raise ReviewError(_("確定した評価の根拠資料は変更できません。"))
    if review.state not in EDITABLE and membership.role == Role.DEPARTMENT:
        raise ReviewError(_("提出後の評価は、差し戻されるまで変更できません。"))
    _check_role(review, membership, frozenset(EDITORS), True)


@transaction.atomic
def add_evidence(review: NodeReview, membership: Membership, upload: UploadedFile) -> ReviewEvidence:
    """Attach a file as evidence: an allowed kind by name *and* content, at most 20 MB."""
    _check_evidence_editor(review, membership)
    try:
        info = check_upload(upload, str(_("根拠資料のファイル")), EVIDENCE_KINDS, EVIDENCE_MAX_BYTES)
    except UploadRefused as exc:
        raise ReviewError(str(exc)) from None
    evidence = ReviewEvidence(
        municipality_id=review.municipality_id,
        review=review,
        name=info["name"],
        kind=info["kind"],
        size=info["size"],
        sha256=info["sha256"],
        uploaded_by=membership.user,
    )
    evidence.file.save(info["name"], upload, save=False)
    evidence.save()
    return evidence


@transaction.atomic
def remove_evidence(evidence: ReviewEvidence, membership: Membership) -> None:
    _check_evidence_editor(evidence.review, membership)
    name, storage = evidence.file.name, evidence.file.storage
    evidence.delete()
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def amend(review: NodeReview, membership: Membership, reason: str, **fields: Any) -> ReviewAmendment:
    """Correct a finalised review: the new values and the reason stay visible as an amendment."""
    if review.state != S.FINALISED:
        raise ReviewError(_("訂正は確定した評価に対して行います。"))
    if not reason.strip():
        raise ReviewError(_("訂正の理由を書いてください。"))
    _check_role(review, membership, AMENDERS, False)
    fields = _clean_fields(review, fields)
    changes = {}
    for name, value in fields.items():
        label = str(getattr(NodeReview._meta.get_field(name), "verbose_name", name))
        changes[label] = [_shown(name, getattr(review, name)), _shown(name, value)]
        setattr(review, name, value)
    review.save()
    return ReviewAmendment.objects.create(
        municipality_id=review.municipality_id,
        review=review,
        reason=reason,
        changes=changes,
        made_by=membership.user,
    )


def _shown(name: str, value: Any) -> str | None:
    """A value as people read it in the amendment record (labels, not codes)."""
    if value is None or value == "":
        return None
    if name == "status":
        return str(NodeReview.Progress(value).label)
    return str(value)


@transaction.atomic
def record_actual(
    kpi: Kpi,
    cycle: ReviewCycle,
    membership: Membership,
    *,
    value: Decimal | None = None,
    text: str = "",
    on: date | None = None,
    note: str = "",
    override_reason: str = "",
) -> KpiActual:
    """Write the cycle's fiscal year into the KPI's one series of actuals (source: review).

    Its "as of" is ``on`` when staff give it, else the day it is recorded — or the cycle's due date
    when it is recorded after it (the figure the review asked for).

    For a KPI bound to a metric, a value other than the registry's figure is an override and needs
    a reason, which is kept in the actual's note."""
    if kpi.edition_id != cycle.edition_id:
        raise ReviewError(_("このKPIはこの評価の計画にありません。"))
    if cycle.state == ReviewCycle.State.FINALISED:
        raise ReviewError(_("確定した評価の実績値は変更できません。"))
    _check_role_for_kpi(kpi, cycle, membership)
    if kpi.direction == Kpi.Direction.QUALITATIVE:
        if value is not None:
            raise ReviewError(_("定性のKPIには数値ではなく文章で実績を書いてください。"))
        if not text.strip():
            raise ReviewError(_("実績を文章で書いてください。"))
    else:
        if value is None:
            raise ReviewError(
                _("このKPIの実績値は数値で入力してください（単位：%(unit)s）。") % {"unit": kpi.unit or "—"}
            )
        if value < 0 and kpi.unit in COUNT_UNITS:
            raise ReviewError(_("件数・人数などは0以上の数値で入力してください。"))
        if kpi.unit == "%" and not 0 <= value <= 100:
            raise ReviewError(_("割合は0から100の間で入力してください。"))
    figure = metric_figure(kpi, cycle)
    if figure is not None and figure.value is not None and value != Decimal(figure.value):
        if not override_reason.strip():
            raise ReviewError(
                _("計測値（%(figure)s）と異なる値を記録するときは、理由を書いてください。")
                % {"figure": _plain(Decimal(figure.value))}
            )
        note = _join_note(
            _("計測値%(figure)sを修正：%(reason)s")
            % {"figure": _plain(Decimal(figure.value)), "reason": override_reason.strip()},
            note,
        )
    as_of = on or min(cycle.due_date, timezone.localdate())
    return _write_actual(kpi, cycle, value, text, as_of, note, KpiActual.Source.REVIEW)


def _write_actual(
    kpi: Kpi, cycle: ReviewCycle, value: Decimal | None, text: str, on: date | None, note: str, source: str
) -> KpiActual:
    actual, _created = KpiActual.objects.update_or_create(
        kpi=kpi,
        fiscal_year=cycle.fiscal_year,
        defaults={
            "municipality_id": kpi.municipality_id,
            "value": value,
            "text": text,
            "date": on,
            "note": note,
            "source": source,
        },
    )
    return actual


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f").rstrip("0")


def _join_note(first: str, rest: str) -> str:
    return f"{first}\n{rest}" if rest.strip() else first


def metric_figure(kpi: Kpi, cycle: ReviewCycle) -> Figure | None:
    """The metrics registry's figure for a KPI bound to a metric, for the cycle's fiscal year."""
    if not kpi.metric or kpi.metric not in registry:
        return None
    return registry.measure(kpi.metric, cycle.municipality, Period.fiscal_year(cycle.fiscal_year))


@transaction.atomic
def confirm_metric(kpi: Kpi, cycle: ReviewCycle, membership: Membership, note: str = "") -> KpiActual:
    """Take the registry's figure as the year's actual (source: metric), as staff confirmed it; its
    "as of" is the measured period's last day (today while the year runs)."""
    if kpi.edition_id != cycle.edition_id:
        raise ReviewError(_("このKPIはこの評価の計画にありません。"))
    if cycle.state == ReviewCycle.State.FINALISED:
        raise ReviewError(_("確定した評価の実績値は変更できません。"))
    _check_role_for_kpi(kpi, cycle, membership)
    figure = metric_figure(kpi, cycle)
    if figure is None or figure.value is None:
        raise ReviewError(_("このKPIには確認できる計測値がありません。実績値を入力してください。"))
    as_of = min(figure.period.end, timezone.localdate())
    return _write_actual(kpi, cycle, Decimal(figure.value), "", as_of, note, KpiActual.Source.METRIC)


def _check_role_for_kpi(kpi: Kpi, cycle: ReviewCycle, membership: Membership) -> None:
    reviews = list(NodeReview.objects.filter(cycle=cycle, node_id=kpi.node_id).order_by("-lead"))
    if not reviews:
        raise ReviewError(_("このKPIの項目は評価の対象にありません。"))
    if reviews[0].state == S.FINALISED:  # the lead's review decides
        raise ReviewError(_("確定した評価の実績値は変更できません。"))
    if not any(_allowed(r, membership) for r in reviews):
        raise ReviewError(_("所属していない課のKPIは入力できません。"))


def _allowed(review: NodeReview, membership: Membership) -> bool:
    try:
        _check_role(review, membership, frozenset(EDITORS), True)
    except ReviewError:
        return False
    return True


@transaction.atomic
def add_note(node: Any, membership: Membership, day: date, text: str) -> Any:
    """Post a dated progress note on a node: its 課's staff, the secretariat or the administrator."""
    from yakusho.plans.models import ProgressNote

    if membership.municipality_id != node.municipality_id or not membership.is_active:
        raise ReviewError(_("この団体の計画には書き込めません。"))
    if membership.role not in EDITORS:
        raise ReviewError(
            _("この操作は、あなたの役割（%(role)s）ではできません。")
            % {"role": membership.get_role_display()}
        )
    if membership.role == Role.DEPARTMENT:
        mine = {d.pk for d in membership.departments.all()}
        if not mine & {nd.department_id for nd in node.node_departments.all()}:
            raise ReviewError(_("所属していない課の項目には書き込めません。"))
    if not text.strip():
        raise ReviewError(_("内容を書いてください。"))
    return ProgressNote.objects.create(
        municipality_id=node.municipality_id,
        plan=node.edition.plan,
        node_key=node.key,
        date=day,
        text=text,
        author=membership.user,
    )
