"""``{{ event|life_event:municipality }}``: a life event in the municipality's words
(``catalogue.life_events``: 「引越し（町内）」 in a 町, 「死亡・おくやみ」)."""

from __future__ import annotations

from typing import Any

from django import template

from yakusho.procedures.catalogue.life_events import life_event_label

register = template.Library()


@register.filter
def life_event(value: Any, municipality: Any = None) -> str:
    """The label of a life event value (``moving-within``) for ``municipality``; "" for none."""
    if value is None or value == "":
        return ""
    return life_event_label(str(value), municipality)
