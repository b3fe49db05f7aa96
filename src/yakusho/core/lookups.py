"""Integer lookups that never send SQLite a number it cannot hold.

A typed or crafted id beyond 64 bits (``?procedure=99999999999999999999``, a department's checkbox
posted as ``1e30`` written out) reaches the database as a Python ``int``. Django (5.x) already
turns such a value into "no rows" for ``exact`` and the comparisons on an integer column, but not
for ``in`` (what ``ModelMultipleChoiceField`` asks) nor for ``exact`` / ``in`` through a foreign key
(``filter(procedure=…)``): SQLite's driver then raises ``OverflowError`` — a server error for any
page that filters by a posted id. PostgreSQL compares the wider number and finds nothing.

These subclasses of Django's own lookups do what Django does for ``exact``: a value outside the
column's range matches nothing (dropped from an ``in`` list; an ``exact`` is no rows). They are
registered by ``core.apps`` for every integer field and every foreign key.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import EmptyResultSet, FieldError
from django.db import models
from django.db.models.fields.related import ForeignObject
from django.db.models.fields.related_lookups import RelatedExact, RelatedIn
from django.db.models.lookups import In


def _integer_range(field: Any, connection: Any) -> tuple[int | None, int | None] | None:
    """The range of ``field``'s column (a foreign key's target column), or None if not an integer."""
    while isinstance(field, ForeignObject):
        try:
            field = field.target_field
        except (FieldError, AttributeError):  # a relation over several columns: not one integer
            return None
    if not isinstance(field, models.IntegerField):
        return None
    try:
        return connection.ops.integer_field_range(field.get_internal_type())
    except KeyError:  # a custom integer type the backend has no range for
        return None


def _fits(value: Any, bounds: tuple[int | None, int | None]) -> bool:
    low, high = bounds
    if not isinstance(value, int) or isinstance(value, bool):
        return True
    return (low is None or value >= low) and (high is None or value <= high)


class _InRange:
    """An ``in`` whose values beyond the column's range are left out (none left: no rows)."""

    rhs: Any
    lhs: Any

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if self.rhs_is_direct_value():  # type: ignore[attr-defined]
            bounds = _integer_range(self.lhs.output_field, connection)
            if bounds is not None:
                self.rhs = [value for value in self.rhs if _fits(value, bounds)]
        return super().process_rhs(compiler, connection)  # type: ignore[misc]


class IntegerIn(_InRange, In):
    pass


class BoundedRelatedIn(_InRange, RelatedIn):
    pass


class BoundedRelatedExact(RelatedExact):
    """A foreign key ``exact`` beyond the target column's range: no rows, as Django does for an
    integer column's own ``exact``."""

    def process_rhs(self, compiler: Any, connection: Any) -> Any:
        if self.rhs_is_direct_value():
            bounds = _integer_range(self.lhs.output_field, connection)
            if bounds is not None and not _fits(self.rhs, bounds):
                raise EmptyResultSet
        return super().process_rhs(compiler, connection)


def register() -> None:
    models.IntegerField.register_lookup(IntegerIn)
    ForeignObject.register_lookup(BoundedRelatedIn)
    ForeignObject.register_lookup(BoundedRelatedExact)
