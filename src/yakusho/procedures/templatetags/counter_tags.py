"""Filters of the counter's pages (書かない窓口)."""

from __future__ import annotations

from django import template

from yakusho.procedures.counter.prefill import counter_wording as _counter_wording

register = template.Library()


@register.filter
def counter_wording(label: str) -> str:
    """A consent's label as the resident reads it at the counter (they wrote nothing)."""
    return _counter_wording(str(label))
