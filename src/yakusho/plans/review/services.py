"""Yearly reviews (PDCA): opening a cycle, the allowed transitions per role, edits, amendments and
KPI actuals. Views call these functions; every rule lives here, with a Japanese message.

The workflow of a node review, as one table (``TRANSITIONS``)::

    draft ──submit──▶ submitted ──accept──▶ accepted ──finalise──▶ finalised
      ▲                  │
      └────return────────┘ (returned, then submit again)
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from yakusho.core.models import Membership, Role
from yakusho.core.uploads import UploadRefused, check_upload
from yakusho.core.workflow import Transition, TransitionRefused, Workflow
from yakusho.plans import periods
from yakusho.plans.models import (
    GradedItem,
    Kpi,
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
def open_cycle(
    edition: PlanEdition, fiscal_year: int, due_date: date, opened_by: Any = None, period: int | None = None
) -> ReviewCycle:
    """Open the review of ``fiscal_year`` (and, for a half-yearly or quarterly plan, of one of its
    periods): one node review per node and responsible 課, starting from the previous review's
    texts where one of the same node key and 課 exists ("copy forward")."""
    if not edition.first_year <= fiscal_year <= edition.last_year:
        raise ReviewError(_("対象年度が計画期間外です。"))
    allowed = periods.numbers(edition.review_period)
    if period is None:
        period = allowed[0]
    if period not in allowed:
        raise ReviewError(
            _("この計画の進捗評価は%(kind)sです。評価する期を選んでください。")
            % {"kind": edition.get_review_period_display()}
        )
    cycles = ReviewCycle.objects.filter(edition__plan=edition.plan, fiscal_year=fiscal_year)
    if cycles.filter(period=period).exists():
        raise ReviewError(
            _("%(label)sの進捗評価はすでに始まっています。")
            % {"label": periods.label(fiscal_year, edition.review_period, period)}
        )
    if cycles.exclude(period__in=allowed).exists():
        raise ReviewError(_("この年度は別の周期で評価されています。同じ年度の中で周期は変えられません。"))
    scale_for(edition)
    cycle = ReviewCycle.objects.create(
        municipality=edition.municipality,
        edition=edition,
        fiscal_year=fiscal_year,
        period=period,
        due_date=due_date,
        opened_by=opened_by,
    )
    before_cycle = previous_cycle(cycle)
    previous = {
        (r.node.key, r.department_id): r
        for r in NodeReview.objects.filter(cycle=before_cycle).select_related("node")
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


def previous_cycle(cycle: ReviewCycle) -> ReviewCycle | None:
    """The plan's review just before this one: the previous period of the year, else the last
    review of the previous year."""
    earlier = ReviewCycle.objects.filter(edition__plan_id=cycle.edition.plan_id).exclude(pk=cycle.pk)
    same_year = earlier.filter(fiscal_year=cycle.fiscal_year, period__lt=cycle.period).order_by("-period")
    return same_year.first() or earlier.filter(fiscal_year=cycle.fiscal_year - 1).order_by("-period").first()


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
    if fields.get("grade") is not None and not gradable(review):
        raise ReviewError(_("この計画では、この評価に評価段階をつけません。"))
    for name, value in _clean_fields(review, fields).items():
        setattr(review, name, value)
    review.save()
    return review


def grading_review(node_reviews: list[NodeReview]) -> NodeReview | None:
    """Of one node's reviews in a cycle, the one that carries the node's grade when the plan grades
    each initiative: the lead 課's, else the first in 課 order."""
    ordered = sorted(
        node_reviews, key=lambda r: (not r.lead, r.department.order if r.department else 0, r.pk)
    )
    return ordered[0] if ordered else None


def gradable(review: NodeReview) -> bool:
    """Whether this review carries a grade, by what the plan grades (PlanEdition.graded)."""
    graded = review.cycle.edition.graded
    if graded == GradedItem.KPI:
        return False
    if graded == GradedItem.NODE:
        siblings = list(
            NodeReview.objects.filter(cycle_id=review.cycle_id, node_id=review.node_id).select_related(
                "department"
            )
        )
        chosen = grading_review(siblings)
        return chosen is not None and chosen.pk == review.pk
    return True


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


def check_role_for_kpi(kpi: Kpi, cycle: ReviewCycle, membership: Membership) -> None:
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
