"""Validating answers against a definition; visibility, fees and summaries of cleaned answers.

Input naming follows HTML forms (see docs/forms.md): a field's input is its key; a composite
field's parts are ``<key>-<part>`` (``applicant-family_kana``); a repeating group's rows are
``<group>-<n>-<field>`` (``children-0-name``, and ``children-0-person-family_name`` for a
composite inside a row). Keys beginning with ``_`` and ``csrfmiddlewaretoken`` belong to the
caller and are ignored; any other name that the definition does not produce is refused.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, Decimal
from typing import Any

from django.utils.translation import gettext as _

from yakusho.core import uploads
from yakusho.core.uploads import FileInfo

from . import expressions
from .dates import today_in_japan
from .definition import DefinitionBase, composite_parts
from .display import SummaryRow, _summary_rows
from .expressions import ExpressionError
from .facts import FactField
from .schema import CheckboxField, ConsentField, FileField, GroupField, ScalarField
from .validation import MAX_ROWS, Files, Raw, _holds, _Input, _Run, _scope_value

FORM_ERRORS = "__form__"
IGNORED_INPUTS = frozenset({"csrfmiddlewaretoken"})


class FeeError(ValueError):
    """A fee expression could not be computed (division by zero, …); message in Japanese."""


@dataclass
class Result:
    """``cleaned``: normalised values (JSON-serialisable); ``errors``: input name (or field key, or
    ``__form__``) → Japanese messages naming the field; ``fee`` in yen when the whole form was
    validated, is valid and has a fee."""

    cleaned: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    fee: int | None = None
    #: input name → message of an error counter staff may waive with a reason (a date outside a
    #: bound counted from today: a lead time meant for online applicants)
    waivable: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)


class FormDefinition(DefinitionBase):
    """A loaded, checked form definition: validate answers, decide visibility, compute the fee and
    summarise answers."""

    # --- input names -------------------------------------------------------------------------

    def _input_names(self) -> tuple[set[str], set[str], list[tuple[str, re.Pattern[str]]]]:
        cached = getattr(self, "_names_cache", None)
        if cached is not None:
            return cached
        names: set[str] = set()
        file_names: set[str] = set()
        groups: list[tuple[str, re.Pattern[str]]] = []
        for key, f in self.fields.items():
            if isinstance(f, GroupField):
                subs = "|".join(re.escape(n) for s in f.fields for n in _names_of(s))
                groups.append((key, re.compile(rf"^{re.escape(key)}-(\d{{1,4}})-({subs})$")))
                continue
            names.update(_names_of(f))
            if isinstance(f, FileField):
                file_names.add(key)
        self._names_cache = (names, file_names, groups)
        return self._names_cache

    def _row_indices(self, group: GroupField, inp: _Input) -> list[int]:
        pattern = next(p for k, p in self._input_names()[2] if k == group.key)
        found = set()
        for name in [*inp.names(), *inp.files]:
            m = pattern.match(name)
            if m and int(m[1]) < MAX_ROWS:
                found.add(int(m[1]))
        return sorted(found)

    def _row_is_empty(self, group: GroupField, prefix: str, inp: _Input) -> bool:
        for sub in group.fields:
            for n in _names_of(sub):
                name = prefix + n
                if name in inp.files:
                    return False
                if any(v.strip() for v in inp.values(name)):
                    return False
        return True

    def _check_names(self, inp: _Input, result: Result) -> None:
        names, file_names, groups = self._input_names()
        for name in inp.names():
            if name.startswith("_") or name in IGNORED_INPUTS or name in names:
                continue
            m = next((m for _k, p in groups if (m := p.match(name))), None)
            if m and int(m[1]) < MAX_ROWS:
                continue
            result.add(
                FORM_ERRORS, _("フォームにない項目「%(name)s」が送信されました。") % {"name": name[:60]}
            )
        for name in inp.files:
            m = next((m for _k, p in groups if (m := p.match(name))), None)
            if name in file_names or (m and int(m[1]) < MAX_ROWS and self._is_group_file(name)):
                continue
            result.add(
                FORM_ERRORS,
                _("フォームにないファイル項目「%(name)s」が送信されました。") % {"name": name[:60]},
            )

    def _is_group_file(self, name: str) -> bool:
        group_key, _sep, rest = name.partition("-")
        group = self.fields.get(group_key)
        sub_key = rest.partition("-")[2]
        return isinstance(group, GroupField) and any(
            s.key == sub_key and isinstance(s, FileField) for s in group.fields
        )

    # --- validation --------------------------------------------------------------------------

    def validate(
        self,
        raw: Raw,
        files: Files | None = None,
        page: int | None = None,
        *,
        today: date | None = None,
        waived: Collection[str] = (),
        prices: Mapping[str, int] | None = None,
    ) -> Result:
        """Validate answers: the whole form (``page=None``) or one page (0-based).

        ``waived``: input names whose bounds counted from today are not applied (counter staff
        waived them with a reason; see ``Result.waivable``). ``prices``: the fee catalogue's prices
        of the day for the items the fee names (:meth:`fee_breakdown`).

        For one page, ``raw`` should also hold the answers of earlier pages (their conditions may
        decide what this page shows); errors and ``cleaned`` cover that page only. Hidden fields
        are neither required nor kept. ``files`` maps input names to uploads, or to the
        :class:`FileInfo` the engine returned for them on an earlier page.
        """
        if page is not None and not 0 <= page < len(self.pages):
            raise IndexError(f"page {page} out of range")
        today = today or today_in_japan()
        inp = _Input(raw, files or {})
        result = Result()
        self._check_names(inp, result)
        run = _Run(self, inp, result, today, waived)
        scope: dict[str, Any] = {}
        pages_shown: dict[int, bool] = {}
        cleaned: dict[str, Any] = {}
        for key in self.order:
            info = self.info[key]
            p = info.page
            if page is not None and p > page:
                continue
            if p not in pages_shown:
                condition = self.page_conditions.get(p)
                pages_shown[p] = condition is None or _holds(condition, scope, today)
            visible = pages_shown[p] and (info.condition is None or _holds(info.condition, scope, today))
            if not visible:
                scope[key] = None
                continue
            run.report = page is None or p == page
            f = info.field
            if isinstance(f, GroupField):
                value: Any = run.clean_group(info, scope)
            else:
                value = run.clean(f, key, f.label)
            scope[key] = _scope_value(f, value)
            if run.report:
                cleaned[key] = value
        result.cleaned = {k: cleaned[k] for k in self.fields if k in cleaned}
        result.errors = self._ordered_errors(result.errors)
        if result.ok and page is None and self.has_fee:
            try:
                result.fee = self.fee(result.cleaned, today=today, prices=prices)
            except FeeError as exc:
                result.add(FORM_ERRORS, str(exc))
        return result

    def _ordered_errors(self, errors: dict[str, list[str]]) -> dict[str, list[str]]:
        """Errors in the order the inputs stand on the page (the error summary lists them so):
        the form's own first, then field by field; a composite field's parts in input order
        (姓, 名, セイ, メイ); a group's own message, then its rows, each row's fields in order."""
        position = {key: i for i, key in enumerate(self.fields)}

        def part_position(f: ScalarField | GroupField, part: str) -> int:
            parts = composite_parts(f)
            return parts.index(part) if part in parts else len(parts)

        def sort_key(name: str) -> tuple[int, int, int, int, str]:
            if name == FORM_ERRORS:
                return (-1, 0, 0, 0, "")
            head, _sep, rest = name.partition("-")
            f = self.fields.get(head)
            if f is None:
                return (len(position), 0, 0, 0, name)
            if not isinstance(f, GroupField):
                return (position[head], 0, 0, part_position(f, rest) if rest else 0, name)
            m = re.fullmatch(r"(\d+)-([a-z0-9_]+)-?(.*)", rest)
            if m is None:
                return (position[head], -1, 0, 0, name)  # the group's own message, above its rows
            subs = [s.key for s in f.fields]
            if m[2] not in subs:
                return (position[head], int(m[1]), len(subs), 0, name)
            at = subs.index(m[2])
            return (position[head], int(m[1]), at, part_position(f.fields[at], m[3]) if m[3] else 0, name)

        return {k: errors[k] for k in sorted(errors, key=sort_key)}

    # --- cleaned answers ---------------------------------------------------------------------

    def _visibility(self, cleaned: Mapping[str, Any], today: date) -> tuple[dict[int, bool], dict[str, bool]]:
        scope: dict[str, Any] = {}
        pages_shown: dict[int, bool] = {}
        shown: dict[str, bool] = {}
        for key in self.order:
            info = self.info[key]
            p = info.page
            if p not in pages_shown:
                condition = self.page_conditions.get(p)
                pages_shown[p] = condition is None or _holds(condition, scope, today)
            visible = pages_shown[p] and (info.condition is None or _holds(info.condition, scope, today))
            shown[key] = visible
            scope[key] = _scope_value(info.field, cleaned.get(key)) if visible else None
        for p in range(len(self.pages)):
            pages_shown.setdefault(p, False)
        return pages_shown, shown

    def visible_pages(self, cleaned: Mapping[str, Any], *, today: date | None = None) -> list[int]:
        """Indexes of the pages shown for these answers (a page's condition may skip it)."""
        pages_shown, _shown = self._visibility(cleaned, today or today_in_japan())
        return [p for p in range(len(self.pages)) if pages_shown[p]]

    def visible_fields(
        self, cleaned: Mapping[str, Any], *, today: date | None = None
    ) -> list[ScalarField | GroupField]:
        """Top-level fields shown for these answers, in the order of the form."""
        _pages, shown = self._visibility(cleaned, today or today_in_japan())
        return [f for key, f in self.fields.items() if shown.get(key)]

    def _scope(self, cleaned: Mapping[str, Any], today: date) -> dict[str, Any]:
        _pages, shown = self._visibility(cleaned, today)
        return {
            key: _scope_value(f, cleaned.get(key)) if shown.get(key) else None
            for key, f in self.fields.items()
        }

    def fee_breakdown(
        self,
        cleaned: Mapping[str, Any],
        *,
        today: date | None = None,
        prices: Mapping[str, int] | None = None,
    ) -> list[tuple[str, int]]:
        """(label, yen) for each fee item that applies to these answers. An item that names a fee
        catalogue item (``fee_item``) found in ``prices`` (catalogue key → yen, the municipality's
        rates of the day) costs that price times its quantity; otherwise its ``amount``."""
        today = today or today_in_japan()
        scope = self._scope(cleaned, today)
        rows: list[tuple[str, int]] = []
        for rule in self.fee_rules:
            try:
                if rule.when is not None and not expressions._truthy(
                    expressions.evaluate(rule.when, scope, today=today)
                ):
                    continue
                if prices is not None and rule.fee_item is not None and rule.fee_item in prices:
                    quantity = (
                        expressions._num(expressions.evaluate(rule.quantity, scope, today=today))
                        if rule.quantity is not None
                        else Decimal(1)
                    )
                    amount = Decimal(prices[rule.fee_item]) * Decimal(quantity)
                else:
                    amount = expressions._num(expressions.evaluate(rule.amount, scope, today=today))
            except ExpressionError as exc:
                raise FeeError(
                    _("手数料「%(label)s」を計算できません：%(error)s") % {"label": rule.label, "error": exc}
                ) from None
            rows.append((rule.label, int(amount.to_integral_value(ROUND_FLOOR))))
        return rows

    def catalogue_lines(
        self, cleaned: Mapping[str, Any], *, today: date | None = None
    ) -> list[tuple[str, str, int]]:
        """(label, fee catalogue key, quantity) for each fee item that applies and names an item of
        the municipality's fee catalogue (``fee_item``): what the till charges for these answers."""
        today = today or today_in_japan()
        scope = self._scope(cleaned, today)
        lines: list[tuple[str, str, int]] = []
        for rule in self.fee_rules:
            if rule.fee_item is None:
                continue
            try:
                if rule.when is not None and not expressions._truthy(
                    expressions.evaluate(rule.when, scope, today=today)
                ):
                    continue
                quantity = (
                    expressions._num(expressions.evaluate(rule.quantity, scope, today=today))
                    if rule.quantity is not None
                    else 1
                )
            except ExpressionError as exc:
                raise FeeError(
                    _("手数料「%(label)s」の数量を計算できません：%(error)s")
                    % {"label": rule.label, "error": exc}
                ) from None
            count = int(Decimal(quantity).to_integral_value(ROUND_FLOOR))
            if count > 0:
                lines.append((rule.label, rule.fee_item, count))
        return lines

    def fee(
        self,
        cleaned: Mapping[str, Any],
        *,
        today: date | None = None,
        prices: Mapping[str, int] | None = None,
    ) -> int:
        """The fee in yen for these answers: the sum of the items that apply, fractions of a yen
        dropped, never below 0. 0 when the form has no fee. ``prices``: see :meth:`fee_breakdown`."""
        breakdown = self.fee_breakdown(cleaned, today=today, prices=prices)
        return max(0, sum(amount for _label, amount in breakdown))

    @property
    def catalogue_keys(self) -> list[str]:
        """The fee catalogue items the form's fee items name (to look their prices up)."""
        return sorted({rule.fee_item for rule in self.fee_rules if rule.fee_item})

    # --- summaries ---------------------------------------------------------------------------

    def summary_by_page(
        self, cleaned: Mapping[str, Any], *, today: date | None = None
    ) -> list[tuple[int, str, list[SummaryRow]]]:
        """(page index, page title, rows) for each page shown: the check-your-answers page."""
        pages_shown, shown = self._visibility(cleaned, today or today_in_japan())
        out: list[tuple[int, str, list[SummaryRow]]] = []
        for p, page in enumerate(self.pages):
            if not pages_shown[p]:
                continue
            rows: list[SummaryRow] = []
            for f in page.fields:
                if shown.get(f.key):
                    rows.extend(_summary_rows(f, cleaned.get(f.key)))
            out.append((p, page.title, rows))
        return out

    def summary(self, cleaned: Mapping[str, Any], *, today: date | None = None) -> list[SummaryRow]:
        """(label, display value) for every field shown, in order: for check-your-answers, PDF, CSV."""
        return [row for _p, _title, rows in self.summary_by_page(cleaned, today=today) for row in rows]

    # --- facts (see .facts) -------------------------------------------------------------------

    def fact_fields(self) -> dict[str, list[FactField]]:
        """fact → the fields holding it (a resident block: one entry per item), in form order.
        Each :class:`.facts.FactField` names the field (``key``, ``item``), its ``label``, its
        ``page`` and the input ``names`` it fills."""
        return {fact: list(holders) for fact, holders in self.facts.items()}

    def fact_values(
        self,
        cleaned: Mapping[str, Any],
        *,
        today: date | None = None,
        holders: Mapping[str, list[FactField]] | None = None,
    ) -> dict[str, Any]:
        """fact → its value in these cleaned answers, from fields shown and filled (the first in
        form order when several hold it). Resident block items give the item's parts. ``holders``
        replaces the form's own facts (the counter adds implicit ones)."""
        _pages, shown = self._visibility(cleaned, today or today_in_japan())
        out: dict[str, Any] = {}
        for fact, fact_holders in (self.facts if holders is None else holders).items():
            for holder in fact_holders:
                if not shown.get(holder.key):
                    continue
                value = holder.value_of(cleaned.get(holder.key))
                if not _is_empty(value):
                    out[fact] = value
                    break
        return out

    def fact_input(self, facts: Mapping[str, Any]) -> dict[str, list[str]]:
        """Input names → values (as :meth:`validate` reads them) that fill this form's fact fields
        from known facts (:meth:`fact_values` of other forms, or :func:`.facts.identity_facts`).
        Only names this form has are given (a name without フリガナ gets no kana); validate as
        usual: a value this form refuses (an option it does not offer) comes back as an error."""
        return {name: values for name, (values, _fact) in self.fact_sources(facts).items()}

    def fact_sources(
        self,
        facts: Mapping[str, Any],
        *,
        holders: Mapping[str, list[FactField]] | None = None,
        offered_only: bool = False,
    ) -> dict[str, tuple[list[str], str]]:
        """Input name → (values, the fact they come from): :meth:`fact_input` with where each
        value came from. ``holders`` replaces the form's own facts; with ``offered_only`` a choice
        is filled only with values it offers (the counter prefills, it never proposes an error)."""
        raw: dict[str, tuple[list[str], str]] = {}
        for fact, fact_holders in (self.facts if holders is None else holders).items():
            value = facts.get(fact)
            if _is_empty(value):
                continue
            for holder in fact_holders:
                held = value
                if offered_only and holder.options:
                    if isinstance(held, list):
                        held = [v for v in held if v in holder.options]
                    elif held not in holder.options:
                        continue
                piece: dict[str, list[str]] = {}
                field = self.fields[holder.key]
                if holder.item is None and not isinstance(field, GroupField):
                    _to_input(field, holder.key, held, piece, {})
                elif isinstance(held, Mapping):
                    for part, part_value in held.items():
                        if part_value is not None and part_value != "":
                            piece[f"{holder.key}-{part}"] = [str(part_value)]
                elif holder.names and not isinstance(held, list):
                    piece[holder.names[0]] = [str(held)]
                for name, values in piece.items():
                    if name in holder.names:
                        raw.setdefault(name, (values, fact))
        return raw

    def to_input(self, cleaned: Mapping[str, Any]) -> tuple[dict[str, list[str]], dict[str, FileInfo]]:
        """Cleaned answers back into input names: to fill a form again (back button, correction).
        Validating the result gives the same cleaned answers."""
        raw: dict[str, list[str]] = {}
        files: dict[str, FileInfo] = {}
        for key, f in self.fields.items():
            value = cleaned.get(key)
            if isinstance(f, GroupField):
                for i, row in enumerate(value or []):
                    for sub in f.fields:
                        _to_input(sub, f"{key}-{i}-{sub.key}", row.get(sub.key), raw, files)
            else:
                _to_input(f, key, value, raw, files)
        return raw, files


def _is_empty(value: Any) -> bool:
    if isinstance(value, Mapping):
        return all(_is_empty(v) for v in value.values())
    return value is None or value == "" or value == []


def _names_of(f: ScalarField) -> list[str]:
    parts = composite_parts(f)
    if parts:
        return [f"{f.key}-{p}" for p in parts]
    return [f.key]


def _to_input(
    f: ScalarField, name: str, value: Any, raw: dict[str, list[str]], files: dict[str, FileInfo]
) -> None:
    if value is None:
        return
    if isinstance(f, FileField):
        if uploads.is_file_info(value):
            files[name] = value
    elif isinstance(f, CheckboxField):
        raw[name] = [str(v) for v in value]
    elif isinstance(f, ConsentField):
        if value:
            raw[name] = ["on"]
    elif isinstance(value, dict):
        for part, part_value in value.items():
            if part_value is not None:
                raw[f"{name}-{part}"] = [str(part_value)]
    else:
        raw[name] = [str(value)]
