"""The rules of the no-writing counter (書かない窓口): a visit from arrival to finish.

A visit (``CounterVisit``) goes::

    対応中 (open) ──request_confirmation──▶ 本人確認待ち (confirming) ──finish──▶ 完了 (finished)
      ▲                                      │   (only after the resident confirmed)
      └── ask_correction / reopen ◀──────────┘
    open or confirming ──abandon──▶ 中断・破棄 (abandoned)

Staff identify the resident through a card-reader adapter (``identify``), choose a life event and
its proposed procedures or any procedures by search (``set_procedures``), and fill each item's
form on one screen. Everything known is filled in for them (``item_input``, kept with the rules
of what fills what in ``prefill`` and re-exported here).

Saving an item validates its whole form; its facts go into ``visit.facts`` (only what differs
from the card) and into every other item that has them, so a fact entered once is never asked
again. Views call these functions; every refusal is a :class:`CounterError` with a Japanese
message.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from yakusho.core import shortcodes
from yakusho.core.models import Municipality, User
from yakusho.procedures.catalogue import search
from yakusho.procedures.catalogue.services import current_forms, definition_of
from yakusho.procedures.counter import ages
from yakusho.procedures.counter.prefill import (
    Validated,
    card_facts,
    consent_keys,
    counter_wording,
    fact_values,
    fill,
    validate_item,
)
from yakusho.procedures.counter.prefill import item_input as item_input
from yakusho.procedures.counter.readers.base import ResidentIdentity
from yakusho.procedures.counter.readers.service import read_identity
from yakusho.procedures.models import FormDefinition as FormDefinitionRow
from yakusho.procedures.models import LifeEvent, Procedure, ProcedureLifeEvent
from yakusho.procedures.models.counter import CounterVisit, CounterVisitItem, OneStopRule, VisitStatus
from yakusho.procedures.models.submissions import Submission, SubmissionChannel
from yakusho.procedures.submissions.fees import catalogue_prices, how_to_pay
from yakusho.procedures.submissions.services import create_submission

log = logging.getLogger(__name__)

DEFAULT_DISCARD_HOURS = 8


class CounterError(Exception):
    """A refused step of a visit, with a message for the staff member (or the resident)."""


# --- visits ---------------------------------------------------------------------------------------


def visits_of_day(municipality: Municipality, day: Any = None) -> QuerySet[CounterVisit]:
    """The visits that arrived on ``day`` (Japan time; today by default), newest first."""
    day = day or timezone.localdate()
    start = timezone.make_aware(datetime.combine(day, datetime.min.time()))
    return (
        CounterVisit.objects.for_municipality(municipality)
        .filter(arrived_at__gte=start, arrived_at__lt=start + timedelta(days=1))
        .select_related("staff")
        .prefetch_related("items__procedure")
        .order_by("-arrived_at", "-pk")
    )


def start_visit(
    municipality: Municipality, staff: User | None, *, arrived_at: datetime | None = None
) -> CounterVisit:
    """A new visit, arrived now (or at ``arrived_at``, e.g. when the resident took a ticket)."""
    now = timezone.now()
    if arrived_at is not None and arrived_at > now:
        raise CounterError(_("来庁日時に未来の日時は指定できません。"))
    return CounterVisit.objects.create(
        municipality=municipality,
        code=shortcodes.unique_code(CounterVisit, municipality),
        staff=staff,
        arrived_at=arrived_at or now,
    )


def _require_open(visit: CounterVisit) -> None:
    if visit.status != VisitStatus.OPEN:
        if visit.status == VisitStatus.CONFIRMING:
            raise CounterError(
                _(
                    "本人確認の画面を表示中のため変更できません。変更するときは「確認を取り消して修正する」を押してください。"
                )
            )
        raise CounterError(
            _("この来庁は「%(status)s」のため変更できません。") % {"status": visit.get_status_display()}
        )


def resume(visit: CounterVisit, staff: User | None) -> CounterVisit:
    """Take up an open visit again (after an interruption, or at another window)."""
    if not visit.is_active:
        raise CounterError(
            _("この来庁は「%(status)s」のため再開できません。") % {"status": visit.get_status_display()}
        )
    if staff is not None and visit.staff_id != staff.pk:
        visit.staff = staff
        visit.save(update_fields=["staff"])
    return visit


@transaction.atomic
def identify(visit: CounterVisit, reader_key: str, data: Mapping[str, Any]) -> ResidentIdentity:
    """Read the resident's identity with an adapter (:class:`ReaderError` on bad data, nothing
    stored) and keep it; an address outside the municipality is accepted and flagged. The first
    identification starts the handling time (``started_at``)."""
    _require_open(visit)
    identity = read_identity(visit.municipality, reader_key, data)
    before = card_facts(visit)
    visit.identity = {**identity.as_dict(), "source_label": identity.source_label}
    visit.address_flagged = not identity.lives_in(visit.municipality)
    if visit.started_at is None:
        visit.started_at = timezone.now()
    visit.save(update_fields=["identity", "address_flagged", "started_at"])
    after = card_facts(visit)
    changed = {k: v for k, v in after.items() if before.get(k) != v and k not in (visit.facts or {})}
    if changed:
        _propagate(visit, changed, skip=None)
    return identity


# --- procedures -----------------------------------------------------------------------------------


def with_form(queryset: QuerySet[Procedure]) -> QuerySet[Procedure]:
    return queryset.annotate(has_form=Exists(FormDefinitionRow.objects.filter(procedure=OuterRef("pk"))))


def counter_procedures(municipality: Municipality) -> QuerySet[Procedure]:
    """Procedures the counter can do: the municipality's, with a form (published or not)."""
    return (
        with_form(Procedure.objects.for_municipality(municipality))
        .filter(Exists(FormDefinitionRow.objects.filter(procedure=OuterRef("pk"))))
        .select_related("department")
        .order_by("order", "kana", "name")
    )


def proposals(municipality: Municipality, life_event: str, *, age: int | None = None) -> list[Procedure]:
    """What a life event proposes: the municipality's one-stop rules in their order, or (without
    rules) its procedures of that life event that have a form. Each has ``has_form`` and
    ``age_range`` (「75歳以上」, or "" when its rule has no age range).

    With the visitor's ``age`` (:func:`ages.visitor_age`), a rule whose age range leaves it out is
    not proposed (75 or over: 後期高齢者医療, not 国民健康保険). Without one (no birth date read),
    every rule is proposed, and ``age_range`` says which applies at which age."""
    if life_event not in LifeEvent.values:
        raise CounterError(_("ライフイベント「%(value)s」はありません。") % {"value": life_event[:40]})
    rules = list(
        OneStopRule.objects.for_municipality(municipality)
        .filter(life_event=life_event)
        .order_by("order", "pk")
        .values_list("procedure_id", "min_age", "max_age")
    )
    if rules:
        kept = [(pid, low, high) for pid, low, high in rules if age is None or ages.in_range(age, low, high)]
        found = {
            p.pk: p
            for p in with_form(
                Procedure.objects.for_municipality(municipality).filter(pk__in=[pid for pid, *_r in kept])
            ).select_related("department")
        }
        proposed = []
        for pid, low, high in kept:
            if pid in found:
                found[pid].age_range = ages.range_text(low, high)  # type: ignore[attr-defined]
                proposed.append(found[pid])
        return proposed
    linked = ProcedureLifeEvent.objects.filter(event=life_event, procedure=OuterRef("pk"))
    fallback = list(counter_procedures(municipality).filter(Exists(linked)))
    for p in fallback:
        p.age_range = ""  # type: ignore[attr-defined]
    return fallback


def search_procedures(municipality: Municipality, query: str) -> list[Procedure]:
    if not search.query_words(query):
        return []
    return list(search.search(counter_procedures(municipality), query)[:30])


@transaction.atomic
def set_procedures(
    visit: CounterVisit, procedure_ids: Sequence[int], *, life_event: str = ""
) -> list[CounterVisitItem]:
    """The visit's procedures, in this order: items already there keep their answers, new ones
    get their procedure's current form, the others are removed. Refused as a whole when a
    procedure is not the municipality's or has no form."""
    _require_open(visit)
    if life_event and life_event not in LifeEvent.values:
        raise CounterError(_("ライフイベント「%(value)s」はありません。") % {"value": life_event[:40]})
    ids = list(dict.fromkeys(int(i) for i in procedure_ids))
    if not ids:
        raise CounterError(_("手続を1つ以上選んでください。"))
    procedures = {p.pk: p for p in counter_procedures(visit.municipality).filter(pk__in=ids)}
    missing = [i for i in ids if i not in procedures]
    if missing:
        names = ", ".join(
            Procedure.objects.for_municipality(visit.municipality)
            .filter(pk__in=missing)
            .values_list("name", flat=True)
        )
        if names:
            raise CounterError(
                _("次の手続には申請フォームがないため、窓口の画面では扱えません：%(names)s")
                % {"names": names}
            )
        raise CounterError(_("選んだ手続が見つかりません。"))
    forms = current_forms(list(procedures.values()))
    existing = {i.procedure_id: i for i in visit.items.all()}
    for procedure_id, item in existing.items():
        if procedure_id not in procedures:
            item.delete()
    items = []
    for order, procedure_id in enumerate(ids):
        found = existing.get(procedure_id)
        if found is None:
            item = CounterVisitItem.objects.create(
                municipality_id=visit.municipality_id,
                visit=visit,
                procedure=procedures[procedure_id],
                form=forms[procedure_id],
                order=order,
            )
        else:
            item = found
            if item.order != order:
                item.order = order
                item.save(update_fields=["order"])
        items.append(item)
    if visit.life_event != life_event:
        visit.life_event = life_event
        visit.save(update_fields=["life_event"])
    return items


def items_of(visit: CounterVisit) -> list[CounterVisitItem]:
    return list(
        visit.items.select_related(
            "procedure", "procedure__department", "form", "submission", "submission__form"
        ).order_by("order", "pk")
    )


# --- saving an item --------------------------------------------------------------------------------


def _store_answers(item: CounterVisitItem, raw: dict[str, list[str]], checked: Validated) -> None:
    item.answers = raw
    item.cleaned = checked.cleaned if checked.ok else {}
    item.complete = checked.ok
    item.save(update_fields=["answers", "cleaned", "complete", "overrides"])


WAIVER_REASON_MAX = 300


@transaction.atomic
def save_item(
    visit: CounterVisit,
    item: CounterVisitItem,
    raw: Mapping[str, Sequence[str]],
    waivers: Mapping[str, str] | None = None,
    by: str = "",
) -> Validated:
    """Validate and save an item's answers (nothing is saved when they have errors). Its facts
    go into ``visit.facts`` (what differs from the card) and into the other items.

    ``waivers``: input name → the reason counter staff give for waiving a rule meant for online
    applicants (a lead time such as 「3日後以降」, ``Validated.waivable``); kept on the item and,
    at the finish, on the submission (both in the audit trail)."""
    _require_open(visit)
    assert item.form is not None and item.visit_id == visit.pk
    definition = definition_of(item.form)
    answers = {
        str(name): [str(v) for v in values]
        for name, values in raw.items()
        if not str(name).startswith("_") and name != "csrfmiddlewaretoken"
    }
    reasons = {
        name: " ".join(str(reason).split())[:WAIVER_REASON_MAX] for name, reason in (waivers or {}).items()
    }
    plain = validate_item(definition, answers)
    checked = validate_item(definition, answers, waived={n for n, r in reasons.items() if r})
    for name in plain.waivable:
        if name in reasons and not reasons[name]:
            checked.errors.setdefault(name, []).append(
                _("窓口の判断で受け付けるときは、その理由を書いてください。")
            )
    checked.waivable = plain.waivable
    if not checked.ok:
        return checked
    now = timezone.now().isoformat()
    item.overrides = {
        name: {"rule": plain.waivable[name], "reason": reasons[name], "by": by, "at": now}
        for name in plain.waivable
        if reasons.get(name)
    }
    _store_answers(item, answers, checked)
    values = fact_values(definition, checked.cleaned)
    card = card_facts(visit)
    facts = dict(visit.facts or {})
    changed: dict[str, Any] = {}
    for fact, value in values.items():
        if card.get(fact) == value:
            if fact in facts:
                facts.pop(fact)
                changed[fact] = value
            continue
        if facts.get(fact) != value:
            facts[fact] = value
            changed[fact] = value
    if facts != (visit.facts or {}):
        visit.facts = facts
        visit.save(update_fields=["facts"])
    if changed:
        _propagate(visit, changed, skip=item)
    return checked


def _propagate(visit: CounterVisit, changed: Mapping[str, Any], *, skip: CounterVisitItem | None) -> None:
    """Put changed facts into the saved answers of the other items, validating them again (an
    item whose answers no longer pass becomes incomplete and is shown with its errors)."""
    for other in visit.items.select_related("form").order_by("order", "pk"):
        if (skip is not None and other.pk == skip.pk) or other.form is None or not other.answers:
            continue
        definition = definition_of(other.form)
        updates = {name: values for name, (values, _fact) in fill(definition, changed).items()}
        answers = dict(other.answers)
        if all(answers.get(name) == values for name, values in updates.items()):
            continue
        answers.update(updates)
        _store_answers(other, answers, validate_item(definition, answers, waived=set(other.overrides or {})))


# --- confirmation and finish ----------------------------------------------------------------------


def missing_for_confirmation(visit: CounterVisit) -> list[str]:
    """What stops the resident's confirmation, in Japanese (empty: ready)."""
    problems = []
    if not visit.identity:
        problems.append(_("本人確認（カードの読み取りまたは手入力）がまだです。"))
    items = items_of(visit)
    if not items:
        problems.append(_("手続がまだ選ばれていません。"))
    for item in items:
        if not item.complete:
            problems.append(
                _("「%(procedure)s」の入力がまだ終わっていません。") % {"procedure": item.procedure.name}
            )
    return problems


@transaction.atomic
def request_confirmation(visit: CounterVisit) -> str:
    """Show the summary to the resident: status 本人確認待ち with a fresh unguessable token."""
    _require_open(visit)
    problems = missing_for_confirmation(visit)
    if problems:
        raise CounterError(_("本人確認に進めません。") + " " + " ".join(problems))
    visit.status = VisitStatus.CONFIRMING
    visit.confirm_token = secrets.token_urlsafe(32)
    visit.confirmed_at = None
    visit.save(update_fields=["status", "confirm_token", "confirmed_at"])
    return visit.confirm_token


def visit_for_token(token: str) -> CounterVisit | None:
    """The visit whose resident confirmation page this is, while it waits for the resident."""
    if not token or len(token) > 64:
        return None
    visit = (
        CounterVisit.objects.filter(confirm_token=token, status=VisitStatus.CONFIRMING)
        .select_related("municipality")
        .first()
    )
    if visit is None or not secrets.compare_digest(visit.confirm_token, token):
        return None
    return visit


def _locked(visit: CounterVisit) -> CounterVisit:
    locked = CounterVisit.objects.select_for_update().get(pk=visit.pk)
    return locked


@transaction.atomic
def resident_confirms(visit: CounterVisit) -> CounterVisit:
    locked = _locked(visit)
    if locked.status != VisitStatus.CONFIRMING:
        raise CounterError(_("この確認画面はもう使えません。職員にお声がけください。"))
    if locked.confirmed_at is None:
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["confirmed_at"])
    visit.confirmed_at = locked.confirmed_at
    return locked


@transaction.atomic
def ask_correction(visit: CounterVisit) -> CounterVisit:
    """The resident (or staff) wants something changed: back to 対応中, the token is void."""
    locked = _locked(visit)
    if locked.status != VisitStatus.CONFIRMING:
        raise CounterError(_("この確認画面はもう使えません。職員にお声がけください。"))
    if locked.confirmed_at is not None:
        raise CounterError(_("確認済みです。訂正が必要なときは職員にお声がけください。"))
    locked.status = VisitStatus.OPEN
    locked.confirm_token = ""
    locked.save(update_fields=["status", "confirm_token"])
    visit.status, visit.confirm_token = locked.status, locked.confirm_token
    return locked


@transaction.atomic
def reopen(visit: CounterVisit) -> CounterVisit:
    """Staff take the summary back to correct something (also after the resident confirmed)."""
    locked = _locked(visit)
    if locked.status != VisitStatus.CONFIRMING:
        raise CounterError(
            _("この来庁は「%(status)s」のため修正に戻せません。") % {"status": locked.get_status_display()}
        )
    locked.status = VisitStatus.OPEN
    locked.confirm_token = ""
    locked.confirmed_at = None
    locked.save(update_fields=["status", "confirm_token", "confirmed_at"])
    visit.status, visit.confirm_token, visit.confirmed_at = VisitStatus.OPEN, "", None
    return locked


def idempotency_key(visit: CounterVisit, item: CounterVisitItem) -> str:
    return f"counter:{visit.code}:{item.pk}"


def finish(visit: CounterVisit) -> list[Submission]:
    """One counter submission per item, in one transaction, once the resident has confirmed.
    Finishing again returns the same submissions and creates nothing."""
    with transaction.atomic():
        locked = _locked(visit)
        items = items_of(locked)
        if locked.status == VisitStatus.FINISHED:
            return [i.submission for i in items if i.submission is not None]
        if locked.status != VisitStatus.CONFIRMING or locked.confirmed_at is None:
            raise CounterError(_("住民の方の確認が済んでいないため、完了できません。"))
        submissions = []
        for item in items:
            assert item.form is not None
            definition = definition_of(item.form)
            prices = catalogue_prices(locked.municipality, definition)
            checked = validate_item(definition, item.answers, waived=set(item.overrides or {}), prices=prices)
            if not checked.ok:
                raise CounterError(
                    _(
                        "「%(procedure)s」の入力内容に誤りがあるため完了できません。修正してから確認をやり直してください。"
                    )
                    % {"procedure": item.procedure.name}
                )
            created = create_submission(
                procedure=item.procedure,
                form=item.form,
                definition=definition,
                cleaned=checked.cleaned,
                temp_files={},
                idempotency_key=idempotency_key(locked, item),
                channel=SubmissionChannel.COUNTER,
                fee=checked.fee if definition.has_fee else None,
                overrides=list((item.overrides or {}).values()),
            )
            item.submission = created.submission
            item.save(update_fields=["submission"])
            submissions.append(created.submission)
        locked.status = VisitStatus.FINISHED
        locked.finished_at = timezone.now()
        locked.confirm_token = ""
        locked.save(update_fields=["status", "finished_at", "confirm_token"])
    visit.status, visit.finished_at, visit.confirm_token = locked.status, locked.finished_at, ""
    return submissions


@transaction.atomic
def abandon(visit: CounterVisit) -> CounterVisit:
    """Stop a visit half-way: nothing is submitted; its personal data is erased by
    ``yakusho discard-counter-visits`` after ``YAKUSHO_COUNTER_DISCARD_HOURS``."""
    locked = _locked(visit)
    if locked.status == VisitStatus.ABANDONED:
        return locked
    if locked.status == VisitStatus.FINISHED:
        raise CounterError(_("完了した来庁は中断できません。"))
    locked.status = VisitStatus.ABANDONED
    locked.abandoned_at = timezone.now()
    locked.confirm_token = ""
    locked.save(update_fields=["status", "abandoned_at", "confirm_token"])
    visit.status, visit.abandoned_at, visit.confirm_token = locked.status, locked.abandoned_at, ""
    return locked


# --- discarding -----------------------------------------------------------------------------------


def discard_hours() -> int:
    return int(getattr(settings, "YAKUSHO_COUNTER_DISCARD_HOURS", DEFAULT_DISCARD_HOURS))


@dataclass
class DiscardReport:
    abandoned: int = 0
    erased: int = 0


def discard_stale(now: datetime | None = None, hours: int | None = None) -> DiscardReport:
    """Visits that arrived more than ``hours`` ago: those not finished are marked abandoned, and
    every one that still holds personal data (identity, facts, answers) has it erased. A finished
    visit's data lives on in its submissions; an unfinished one's is gone. Nothing is submitted."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=discard_hours() if hours is None else hours)
    report = DiscardReport()
    stale = CounterVisit.objects.filter(arrived_at__lt=cutoff)
    for visit in stale.filter(status__in=[VisitStatus.OPEN, VisitStatus.CONFIRMING]).order_by("pk"):
        abandon(visit)
        report.abandoned += 1
        log.info("counter: abandoned stale visit %s of municipality %s", visit.pk, visit.municipality_id)
    with transaction.atomic():
        holding = stale.exclude(identity={}, facts={}).values_list("pk", flat=True)
        with_answers = CounterVisitItem.objects.filter(visit__arrived_at__lt=cutoff).exclude(
            answers={}, cleaned={}
        )
        ids = set(holding) | set(with_answers.values_list("visit_id", flat=True))
        report.erased = len(ids)
        CounterVisit.objects.filter(pk__in=ids).update(
            identity={}, facts={}, address_flagged=False, confirm_token=""
        )
        CounterVisitItem.objects.filter(visit_id__in=ids).update(answers={}, cleaned={})
    return report


def erased(visit: CounterVisit) -> bool:
    return not visit.identity and not visit.facts


def summaries(visit: CounterVisit, items: Iterable[CounterVisitItem] | None = None) -> list[dict[str, Any]]:
    """Each item's form summary (label, value rows by page) for the resident's confirmation; the
    consents apart, worded for the counter (the resident gives them by confirming)."""
    out = []
    for item in items if items is not None else items_of(visit):
        assert item.form is not None
        definition = definition_of(item.form)
        cleaned = item.cleaned or {}
        consents = {definition.fields[key].label for key in consent_keys(definition) if cleaned.get(key)}
        sections = []
        for _p, title, rows in definition.summary_by_page(cleaned):
            kept = [row for row in rows if row[0] not in consents]
            if kept:
                sections.append((title, kept))
        out.append(
            {
                "item": item,
                "procedure": item.procedure,
                "title": definition.title,
                "sections": sections,
                "consents": [counter_wording(label) for label in sorted(consents)],
                "fee": (
                    definition.fee(cleaned, prices=catalogue_prices(visit.municipality, definition))
                    if definition.has_fee and item.complete
                    else None
                ),
                "how_to_pay": how_to_pay(definition.fee_note, item.procedure) if definition.has_fee else "",
            }
        )
    return out


# --- one-stop configuration -----------------------------------------------------------------------


@transaction.atomic
def save_one_stop(
    municipality: Municipality,
    life_event: str,
    chosen: Sequence[tuple[int, int] | tuple[int, int, int | None, int | None]],
) -> int:
    """Replace a life event's one-stop rules by ``chosen``: (procedure id, order) pairs, or
    (procedure id, order, min_age, max_age) to propose a procedure only from / up to an age
    (inclusive, 0–130, min ≤ max). The procedures must be the municipality's. Refused as a whole
    (:class:`CounterError`, nothing saved) when one is not. Returns the number of rules."""
    if life_event not in LifeEvent.values:
        raise CounterError(_("ライフイベント「%(value)s」はありません。") % {"value": life_event[:40]})
    wanted: dict[int, tuple[int, int | None, int | None]] = {}
    for entry in chosen:
        pid, order = entry[0], entry[1]
        low, high = (entry[2], entry[3]) if len(entry) == 4 else (None, None)
        wanted[pid] = (order, low, high)
    known = dict(
        Procedure.objects.for_municipality(municipality).filter(pk__in=list(wanted)).values_list("pk", "name")
    )
    if set(wanted) - set(known):
        raise CounterError(_("選んだ手続が見つかりません。"))
    problems = [
        problem
        for pid, (_order, low, high) in wanted.items()
        if (problem := ages.range_problem(known[pid], low, high))
    ]
    if problems:
        raise CounterError(" ".join(problems))
    rules = OneStopRule.objects.for_municipality(municipality).filter(life_event=life_event)
    current = {r.procedure_id: r for r in rules}
    for pid, rule in current.items():
        if pid not in wanted:
            rule.delete()
    for pid, (order, low, high) in wanted.items():
        rule = current.get(pid)
        if rule is None:
            OneStopRule.objects.create(
                municipality=municipality,
                life_event=life_event,
                procedure_id=pid,
                order=order,
                min_age=low,
                max_age=high,
            )
        elif (rule.order, rule.min_age, rule.max_age) != (order, low, high):
            rule.order, rule.min_age, rule.max_age = order, low, high
            rule.save(update_fields=["order", "min_age", "max_age"])
    return len(wanted)
