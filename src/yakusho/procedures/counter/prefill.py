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

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy

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


def item_input(visit: CounterVisit, item: CounterVisitItem) -> ItemInput:
    """The item's inputs: what staff saved, and every known fact for the rest."""
    assert item.form is not None
    definition = definition_of(item.form)
    card = card_facts(visit)
    filled = fill(definition, known_facts(visit))
    raw = {name: values for name, (values, _fact) in filled.items()}
    raw.update(item.answers or {})
    others = _other_values(visit, item)
    entered = visit.facts or {}
    sources: dict[str, str] = {}
    for name, (values, fact) in filled.items():
        if raw.get(name) != values:
            continue  # staff changed it: their own answer
        if fact in entered and entered[fact] in others.get(fact, []):
            sources[name] = OTHER
        elif fact in card and fact not in entered:
            sources[name] = CARD
    cleaned = item.cleaned if item.complete else _visible_answers(definition, raw)
    return ItemInput(raw=raw, sources=sources, cleaned=cleaned)


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

    @property
    def ok(self) -> bool:
        return not self.errors


def validate_item(definition: FormDefinition, raw: Mapping[str, list[str]]) -> Validated:
    """The engine's validation of the whole form (every page shown); file fields are not asked at
    the counter (the document is seen there), so their "attach a file" errors do not count."""
    result = definition.validate(raw, {})
    errors = {k: v for k, v in result.errors.items() if not _is_file_input(definition, k)}
    fee = result.fee
    if not errors and definition.has_fee:
        try:
            fee = definition.fee(result.cleaned)
        except Exception as exc:  # FeeError: shown as a form error
            errors = {"__form__": [str(exc)]}
    return Validated(dict(result.cleaned), errors, fee)
