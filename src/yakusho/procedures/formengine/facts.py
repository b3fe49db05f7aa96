"""Facts: answers that are the same fact about a resident in every form (ワンスオンリー).

A scalar field may carry ``"fact": "<slug>"`` (``contact.phone``, ``moving.date``): at the counter,
a field with the same fact in another form of the same visit is filled from the answer already
given. A ``resident`` block implies a fact for each of its parts: ``resident.name``,
``resident.address``, ``resident.birth_date``, ``resident.sex`` (its own ``fact``, if given, is the
prefix instead of ``resident``: a block for the 世帯主 with ``"fact": "household.head"`` gives
``household.head.name`` …). File fields, groups and the fields inside a group carry no fact.

Fact values are cleaned values: a string for text, phone, date (ISO), choices; an int or decimal
string for numbers; a list for ticks; ``{"family_name", "given_name", "family_kana", "given_kana"}``
for names; ``{"postal_code", "address", "building"}`` for addresses.

Two fields of one form with the same fact must be of the same **kind** (:data:`KINDS`): text and
textarea are both text, select and radio both a single choice (with the same option values), a
number must have the same ``decimals``; a resident block's name part is a name, its address part an
address, its birth date a date and its sex a choice of ``male``/``female``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .schema import (
    CheckboxField,
    GroupField,
    NumberField,
    RadioField,
    ResidentField,
    ScalarField,
    SelectField,
)

#: field type → kind; two fields with the same fact must have the same kind
KINDS: dict[str, str] = {
    "text": "text",
    "textarea": "text",
    "number": "number",
    "date": "date",
    "select": "choice",
    "radio": "choice",
    "checkbox": "choices",
    "email": "email",
    "phone": "phone",
    "postal_code": "postal_code",
    "address": "address",
    "name": "name",
    "consent": "consent",
}
#: a resident block's item → the kind of its fact
RESIDENT_ITEM_KINDS: dict[str, str] = {
    "name": "name",
    "address": "address",
    "birth_date": "date",
    "sex": "choice",
}
DEFAULT_RESIDENT_PREFIX = "resident"
FACT_PATTERN = re.compile(r"^[a-z][a-z0-9_.]{0,59}$")


@dataclass(frozen=True)
class FactField:
    """One field (or one item of a resident block) that holds a fact."""

    fact: str
    #: the top-level field's key
    key: str
    #: for a resident block: ``name``, ``address``, ``birth_date`` or ``sex``; else None
    item: str | None
    kind: str
    label: str
    #: the field's page (0-based)
    page: int
    #: the input names this fact fills (``phone``; ``applicant-family_name`` …)
    names: tuple[str, ...]
    #: for choices: the option values offered; () otherwise
    options: tuple[str, ...] = ()
    #: for numbers: digits after the point; None otherwise
    decimals: int | None = None

    def compatible_with(self, other: FactField) -> bool:
        """Same kind, and for choices the same option values, for numbers the same decimals."""
        return (
            self.kind == other.kind
            and (self.kind not in ("choice", "choices") or set(self.options) == set(other.options))
            and self.decimals == other.decimals
        )

    def value_of(self, cleaned_value: Any) -> Any:
        """The fact's value in this field's cleaned value (a resident block: its item's parts)."""
        if self.item is None or not isinstance(cleaned_value, Mapping):
            return None if self.item is not None else cleaned_value
        parts = [name.rsplit("-", 1)[1] for name in self.names]
        if self.item in ("birth_date", "sex"):
            return cleaned_value.get(self.item)
        return {p: cleaned_value.get(p) for p in parts}


def field_facts(f: ScalarField | GroupField, page: int, names: tuple[str, ...]) -> list[FactField]:
    """The facts of one top-level field; ``names`` are its input names (composites: ``<key>-<part>``)."""
    if isinstance(f, GroupField) or f.type == "file":
        return []
    if isinstance(f, ResidentField):
        from .definition import RESIDENT_PARTS

        prefix = f.fact or DEFAULT_RESIDENT_PREFIX
        out = []
        for item in f.parts:
            item_names = tuple(f"{f.key}-{p}" for p in RESIDENT_PARTS[item] if f"{f.key}-{p}" in names)
            out.append(
                FactField(
                    fact=f"{prefix}.{item}",
                    key=f.key,
                    item=item,
                    kind=RESIDENT_ITEM_KINDS[item],
                    label=f.label,
                    page=page,
                    names=item_names,
                    options=("male", "female") if item == "sex" else (),
                )
            )
        return out
    if f.fact is None:
        return []
    return [scalar_fact(f, f.fact, page, names)]


def scalar_fact(f: ScalarField, fact: str, page: int, names: tuple[str, ...]) -> FactField:
    """A plain field as the holder of ``fact`` (its own, or one the counter gives it)."""
    options: tuple[str, ...] = ()
    if isinstance(f, SelectField | RadioField | CheckboxField):
        options = tuple(o.value for o in f.options)
    return FactField(
        fact=fact,
        key=f.key,
        item=None,
        kind=KINDS[f.type],
        label=f.label,
        page=page,
        names=names,
        options=options,
        decimals=f.decimals if isinstance(f, NumberField) else None,
    )


def identity_facts(identity: Mapping[str, Any]) -> dict[str, Any]:
    """Fact values from the card's 基本4情報 (``ResidentIdentity.as_dict()``: ``name``,
    ``name_kana``, ``address``, ``birth_date``, ``sex``): the name split at its first space into
    family and given name (all in the family name when there is no space), the address without
    postal code or 方書."""
    out: dict[str, Any] = {}
    name = str(identity.get("name") or "").replace("\u3000", " ").strip()
    if name:
        family, _sep, given = name.partition(" ")
        kana = str(identity.get("name_kana") or "").replace("\u3000", " ").strip()
        family_kana, _sep, given_kana = kana.partition(" ")
        out["resident.name"] = {
            "family_name": family,
            "given_name": given.strip() or None,
            "family_kana": family_kana or None,
            "given_kana": given_kana.strip() or None,
        }
    if identity.get("address"):
        out["resident.address"] = {"postal_code": None, "address": str(identity["address"]), "building": None}
    if identity.get("birth_date"):
        out["resident.birth_date"] = str(identity["birth_date"])
    if identity.get("sex"):
        out["resident.sex"] = str(identity["sex"])
    return out
