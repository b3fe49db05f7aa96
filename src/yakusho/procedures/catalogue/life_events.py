"""A life event as residents and staff of one municipality read it.

``LifeEvent``'s labels are the vocabulary that procedure files and the database use (``引越し（市内）``,
``死亡``); what a page shows comes from here, in the municipality's own words: a move within a 町
is 「引越し（町内）」, within a 村 「引越し（村内）」, within a 市 「引越し（市内）」, within a
特別区 「引越し（区内）」; a death is 「死亡・おくやみ」, as the counter's おくやみ (bereavement) one-stop
calls it. Templates use the ``life_event`` filter (``{% load life_events %}``).

The municipality's kind (市・町・村, or a 特別区 by its name) is read by :mod:`yakusho.core.wording`,
which gives the other words that follow the municipality (町内, 町長, phone examples).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _

from yakusho.core.wording import WARD, area_kind, area_word
from yakusho.procedures.models import LIFE_EVENT_TITLES, LifeEvent

if TYPE_CHECKING:
    from yakusho.core.models import Municipality

__all__ = ["area_kind", "area_word", "life_event_choices", "life_event_label", "life_event_title"]

_MOVING_WITHIN_LABELS: dict[str, Any] = {
    "city": _("引越し（市内）"),
    "town": _("引越し（町内）"),
    "village": _("引越し（村内）"),
    WARD: _("引越し（区内）"),
}
_MOVING_WITHIN_TITLES: dict[str, Any] = {
    "city": _("市内で引っ越すときの手続"),
    "town": _("町内で引っ越すときの手続"),
    "village": _("村内で引っ越すときの手続"),
    WARD: _("区内で引っ越すときの手続"),
}
_DEATH_LABEL = _("死亡・おくやみ")


def life_event_label(event: str, municipality: Municipality | None = None) -> str:
    """The life event's name for this municipality: 「引越し（町内）」 in a 町, 「死亡・おくやみ」.
    An unknown value is returned as it is (never a 500 for a stale code)."""
    try:
        value = LifeEvent(event)
    except ValueError:
        return str(event)
    if value == LifeEvent.DEATH:
        return str(_DEATH_LABEL)
    if value == LifeEvent.MOVING_WITHIN:
        kind = area_kind(municipality)
        if kind:
            return str(_MOVING_WITHIN_LABELS[kind])
    return str(value.label)


def life_event_title(event: str, municipality: Municipality | None = None) -> str:
    """What the life event's page is about: 「町内で引っ越すときの手続」 in a 町."""
    try:
        value = LifeEvent(event)
    except ValueError:
        return ""
    if value == LifeEvent.MOVING_WITHIN:
        kind = area_kind(municipality)
        if kind:
            return str(_MOVING_WITHIN_TITLES[kind])
    return str(LIFE_EVENT_TITLES[value])


def life_event_choices(municipality: Municipality | None) -> list[tuple[str, str]]:
    """(value, label) of every life event, in the municipality's words (for a form's choices)."""
    return [(e.value, life_event_label(e.value, municipality)) for e in LifeEvent]
