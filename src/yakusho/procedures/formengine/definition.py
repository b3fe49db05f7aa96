"""A checked form definition's parts: the parts of composite fields, :class:`DefinitionError`,
what the checks (:mod:`.checks`) work out about each field, and :class:`DefinitionBase`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from django.utils.translation import gettext as _

from .expressions import Node
from .facts import FactField
from .schema import AddressField, FormDefinitionFile, GroupField, NameField, Page, ResidentField, ScalarField

#: parts of composite fields, in input order: input name is ``<key>-<part>``
NAME_PARTS = ("family_name", "given_name", "family_kana", "given_kana")
ADDRESS_PARTS = ("postal_code", "address", "building")
RESIDENT_PARTS = {
    "name": NAME_PARTS,
    "address": ADDRESS_PARTS,
    "birth_date": ("birth_date",),
    "sex": ("sex",),
}
SEX_OPTIONS = (("male", "男"), ("female", "女"))


def composite_parts(f: ScalarField | GroupField) -> tuple[str, ...]:
    """The parts of a composite field (its input names are ``<key>-<part>``); () for others."""
    if isinstance(f, NameField):
        return NAME_PARTS if f.kana else NAME_PARTS[:2]
    if isinstance(f, AddressField):
        return tuple(
            p
            for p in ADDRESS_PARTS
            if (p != "postal_code" or f.postal_code) and (p != "building" or f.building)
        )
    if isinstance(f, ResidentField):
        return tuple(p for item in f.parts for p in RESIDENT_PARTS[item])
    return ()


class DefinitionError(ValueError):
    """A definition that cannot be used; ``errors`` are ``(json_path, message)`` pairs."""

    def __init__(self, errors: Sequence[tuple[str, str]]) -> None:
        self.errors = list(errors)
        super().__init__(str(self))

    def __str__(self) -> str:
        head = _("フォーム定義に誤りがあります（%(n)s件）：") % {"n": len(self.errors)}
        return "\n".join([head, *(f"- {path}: {message}" for path, message in self.errors)])


@dataclass
class FieldInfo:
    """Where a top-level field is and what its rules look at."""

    field: ScalarField | GroupField
    page: int
    path: str
    condition: Node | None = None
    #: for groups: sub-field key → parsed condition, and the order to evaluate them in
    sub_conditions: dict[str, Node] = dataclass_field(default_factory=dict)
    sub_order: list[str] = dataclass_field(default_factory=list)


@dataclass
class FeeRule:
    label: str
    amount: Node
    when: Node | None
    #: the fee catalogue's item it is charged as at the till, and how many (None: 1)
    fee_item: str | None = None
    quantity: Node | None = None


class DefinitionBase:
    """The parsed definition and what the checks worked out; :class:`.engine.FormDefinition` adds
    validation. Build it with :func:`load_definition`."""

    def __init__(self, model: FormDefinitionFile, data: dict[str, Any]) -> None:
        self.model = model
        self.data = data
        self.key: str = model.key
        self.version: int = model.version
        self.title: str = model.title
        self.description: str = model.description
        self.privacy_notice: str = model.privacy_notice
        self.pages: list[Page] = list(model.pages)
        self.fields: dict[str, ScalarField | GroupField] = {}
        self.info: dict[str, FieldInfo] = {}
        self.page_conditions: dict[int, Node] = {}
        self.order: list[str] = []
        self.fee_rules: list[FeeRule] = []
        #: fact → the fields holding it, in form order (see :mod:`.facts`)
        self.facts: dict[str, list[FactField]] = {}

    def __repr__(self) -> str:
        return f"<FormDefinition {self.key} v{self.version}>"

    @property
    def fee_note(self) -> str:
        return self.model.fee.note if self.model.fee else ""

    @property
    def has_fee(self) -> bool:
        return bool(self.fee_rules)

    def canonical_json(self) -> str:
        """The definition as stored: sorted keys, no ``$schema``; equal content, equal text."""
        data = {k: v for k, v in self.data.items() if k != "$schema"}
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @property
    def fingerprint(self) -> str:
        """SHA-256 of :meth:`canonical_json`: a changed definition has another fingerprint."""
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()

    def page_fields(self, page: int) -> list[ScalarField | GroupField]:
        return list(self.pages[page].fields)
