"""What the counter fills in for staff, and how it checks a form (``services`` calls these).

Everything known is filled in (:func:`item_input`):

- from the card: the parts of a ``resident`` block and fields with a ``resident.*`` fact; the
  card's address also fills ``address.previous`` when it is outside the municipality (a resident
  moving in) and ``address.current`` otherwise;
- from the other forms of the visit (``visit.facts``): fields with the same ``fact``, and fields
  without a fact that have the same key and the same type in another form (``phone`` in one form
  and ``phone`` in another are the same answer), except consents, which are given per form.

A form is checked whole, with every page shown and no file asked (:func:`validate_item`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils.translation import gettext_lazy

from yakusho.core.jcal import JapaneseDateError, parse_japanese_date
from yakusho.procedures.catalogue.services import definition_of
from yakusho.procedures.formengine import FormDefinition, identity_facts
from yakusho.procedures.formengine.definition import composite_parts
from yakusho.procedures.formengine.facts import KINDS, FactField, scalar_fact
from yakusho.procedures.formengine.schema import (
    ConsentField,
    FileField,
    GroupField,
)
from yakusho.procedures.models.counter import CounterVisit, CounterVisitItem

#: where the card's address goes besides ``resident.address`` (the demo forms' facts, docs/forms.md)
ADDRESS_CURRENT = "address.current"
ADDRESS_PREVIOUS = "address.previous"
CARD = "card"
OTHER = "other"
#: what staff read next to a filled value
SOURCE_LABELS = {CARD: gettext_lazy("カードから"), OTHER: gettext_lazy("他の手続から")}


# --- form definitions and their facts -------------------------------------------------------------


def implicit_fact(f: Any) -> str | None:
    """The fact of a field without one: ``<type>:<key>`` (the same key and the same type in
    another form is the same answer). None for what is never shared: files, groups, consents."""
    if isinstance(f, GroupField | FileField | ConsentField) or f.type not in KINDS:
        return None
    return f"{f.type}:{f.key}"


def fact_holders(definition: FormDefinition) -> dict[str, list[FactField]]:
    """fact → the fields of this form holding it: the form's own facts (``fact``, resident blocks)
    and the implicit ones of :func:`implicit_fact`."""
    holders = definition.fact_fields()
    taken = {h.key for hs in holders.values() for h in hs}
    for page_index, page in enumerate(definition.pages):
        for f in page.fields:
            if f.key in taken:
                continue
            fact = implicit_fact(f)
            if fact is None or isinstance(f, GroupField):
                continue
            names = tuple(f"{f.key}-{p}" for p in composite_parts(f)) or (f.key,)
            holders.setdefault(fact, []).append(scalar_fact(f, fact, page_index, names))
    return holders


def fact_values(definition: FormDefinition, cleaned: Mapping[str, Any]) -> dict[str, Any]:
    """fact → value in these cleaned answers, implicit facts included (the first in form order)."""
    return definition.fact_values(cleaned, holders=fact_holders(definition))


def fill(definition: FormDefinition, facts: Mapping[str, Any]) -> dict[str, tuple[list[str], str]]:
    """Input name → (values, fact) for every input of this form a known fact fills (a choice
    only with a value it offers)."""
    return definition.fact_sources(facts, holders=fact_holders(definition), offered_only=True)


# --- the visit's facts ----------------------------------------------------------------------------


def card_facts(visit: CounterVisit) -> dict[str, Any]:
    """The facts the card gives: ``resident.*`` and its address as ``address.previous`` when it is
    outside the municipality (a resident moving in: the card still shows where they came from),
    else as ``address.current``."""
    if not visit.identity:
        return {}
    facts = identity_facts(visit.identity)
    address = facts.get("resident.address")
    if address:
        facts[ADDRESS_PREVIOUS if visit.address_flagged else ADDRESS_CURRENT] = dict(address)
    return facts


def known_facts(visit: CounterVisit) -> dict[str, Any]:
    """What the visit knows: the card's facts, overridden by the facts entered in its forms."""
    return {**card_facts(visit), **(visit.facts or {})}


# --- filling an item ------------------------------------------------------------------------------


@dataclass
class ItemInput:
    """What the fill page shows for an item: input values, where filled values came from, the
    cleaned answers (for which fields are shown) and errors."""

    raw: dict[str, list[str]]
    sources: dict[str, str] = field(default_factory=dict)  # input name → CARD or OTHER
    cleaned: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)


def _other_values(visit: CounterVisit, item: CounterVisitItem) -> dict[str, list[Any]]:
    """fact → the values other saved items of the visit hold for it."""
    out: dict[str, list[Any]] = {}
    for other in visit.items.select_related("form").exclude(pk=item.pk):
        if other.form is None or not other.cleaned:
            continue
        for fact, value in fact_values(definition_of(other.form), other.cleaned).items():
            out.setdefault(fact, []).append(value)
    return out


def _list_kinds(group: GroupField) -> dict[str, tuple[str, tuple[str, ...]]]:
    """A group's sub-fields: key → (kind, option values)."""
    out: dict[str, tuple[str, tuple[str, ...]]] = {}
    for sub in group.fields:
        if sub.type in KINDS and not isinstance(sub, FileField | ConsentField):
            options = tuple(o.value for o in getattr(sub, "options", []) or [])
            out[sub.key] = (KINDS[sub.type], options)
    return out


def carried_lists(
    visit: CounterVisit, item: CounterVisitItem, definition: FormDefinition
) -> dict[str, list[str]]:
    """Rows of a list entered in another procedure of the visit (the people moving of 転入届),
    as inputs of this form's list of the same kind (加入する人, 養育している子ども) that staff have
    not saved yet: each sub-field with the same key and kind (a choice only with a value this
    form offers). Staff remove the rows that do not belong."""
    targets = {key: f for key, f in definition.fields.items() if isinstance(f, GroupField)}
    answers = item.answers or {}
    targets = {k: g for k, g in targets.items() if not any(n.startswith(f"{k}-") for n in answers)}
    if not targets:
        return {}
    others = [
        other
        for other in visit.items.select_related("form").exclude(pk=item.pk).order_by("order", "pk")
        if other.form is not None and other.cleaned
    ]
    carried: dict[str, Any] = {}
    for key, group in targets.items():
        wanted = _list_kinds(group)
        for other in others:
            source_definition = definition_of(other.form)  # type: ignore[arg-type]
            found = None
            for source_key, source in source_definition.fields.items():
                rows = other.cleaned.get(source_key)
                if not isinstance(source, GroupField) or not isinstance(rows, list) or not rows:
                    continue
                have = _list_kinds(source)
                shared = [k for k, (kind, _o) in wanted.items() if k in have and have[k][0] == kind]
                if len(shared) >= 2 and any(wanted[k][0] == "name" for k in shared):
                    found = (rows, shared)
                    break
            if found is None:
                continue
            rows, shared = found
            limit = group.max_items
            carried[key] = [
                {k: row.get(k) for k in shared if not wanted[k][1] or row.get(k) in wanted[k][1]}
                for row in rows[:limit]
                if isinstance(row, dict)
            ]
            break
    return definition.to_input(carried)[0] if carried else {}


def item_input(visit: CounterVisit, item: CounterVisitItem) -> ItemInput:
    """The item's inputs: what staff saved, every known fact for the rest, and the lists entered
    in the visit's other procedures."""
    assert item.form is not None
    definition = definition_of(item.form)
    card = card_facts(visit)
    filled = fill(definition, known_facts(visit))
    raw = {name: values for name, (values, _fact) in filled.items()}
    carried = carried_lists(visit, item, definition)
    for name, values in carried.items():
        raw.setdefault(name, values)
    raw.update(item.answers or {})
    others = _other_values(visit, item)
    entered = visit.facts or {}
    sources: dict[str, str] = {}
    for name, (values, fact) in filled.items():
        if not _same_answer(raw.get(name), values):
            continue  # staff changed it: their own answer
        if fact in entered and entered[fact] in others.get(fact, []):
            sources[name] = OTHER
        elif fact in card and fact not in entered:
            sources[name] = CARD
    for name, values in carried.items():
        if raw.get(name) == values:
            sources[name] = OTHER
    cleaned = item.cleaned if item.complete else _visible_answers(definition, raw)
    return ItemInput(raw=raw, sources=sources, cleaned=cleaned)


def _as_date(value: str) -> date | None:
    try:
        return parse_japanese_date(value)
    except JapaneseDateError:
        return None


def _same_answer(saved: list[str] | None, known: list[str]) -> bool:
    """Whether what staff saved is still the known fact: equal text, or the same date written
    another way (a card's 1948-05-10 is saved as the form shows it, 昭和23年（1948年）5月10日)."""
    if saved == known:
        return True
    if saved is None or len(saved) != len(known):
        return False
    return all(
        a == b or (_as_date(a) is not None and _as_date(a) == _as_date(b))
        for a, b in zip(saved, known, strict=True)
    )


def _visible_answers(definition: FormDefinition, raw: Mapping[str, list[str]]) -> dict[str, Any]:
    return dict(definition.validate(raw, {}).cleaned)


def _is_file_input(definition: FormDefinition, name: str) -> bool:
    f = definition.fields.get(name.split("-", 1)[0])
    if isinstance(f, FileField):
        return True
    if isinstance(f, GroupField):
        sub = name.split("-")[2] if name.count("-") >= 2 else ""
        return any(s.key == sub and isinstance(s, FileField) for s in f.fields)
    return False


@dataclass
class Validated:
    cleaned: dict[str, Any]
    errors: dict[str, list[str]]
    fee: int | None
    #: input name → an error staff may waive with a reason (see ``FormDefinition.validate``)
    waivable: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def consent_keys(definition: FormDefinition) -> list[str]:
    """The form's consents (「…を確認しました」「…に同意します」)."""
    return [key for key, f in definition.fields.items() if isinstance(f, ConsentField)]


def counter_wording(label: str) -> str:
    """A consent as the resident reads it at the counter, where they wrote nothing: 「記入した内容」
    is 「この内容」 (the form's own label says what an online applicant typed)."""
    return label.replace("記入した内容", "この内容").replace("記入内容", "この内容")


def validate_item(
    definition: FormDefinition,
    raw: Mapping[str, list[str]],
    waived: Collection[str] = (),
    prices: Mapping[str, int] | None = None,
) -> Validated:
    """The engine's validation of the whole form (every page shown); file fields are not asked at
    the counter (the document is seen there), so their "attach a file" errors do not count. Staff
    never tick a consent for the resident: the resident gives every consent of the visit on the
    confirmation screen (「この内容で申請する」), before anything is submitted. ``prices``: the fee
    catalogue's prices of the day (``submissions.fees.catalogue_prices``)."""
    raw = {**raw, **{key: ["on"] for key in consent_keys(definition)}}
    result = definition.validate(raw, {}, waived=waived, prices=prices)
    errors = {k: v for k, v in result.errors.items() if not _is_file_input(definition, k)}
    fee = result.fee
    if not errors and definition.has_fee:
        try:
            fee = definition.fee(result.cleaned, prices=prices)
        except Exception as exc:  # FeeError: shown as a form error
            errors = {"__form__": [str(exc)]}
    waivable = {k: v for k, v in result.waivable.items() if k in errors}
    return Validated(dict(result.cleaned), errors, fee, waivable)
