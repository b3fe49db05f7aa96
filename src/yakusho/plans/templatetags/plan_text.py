"""Template filters for the texts of a plan: ``{% load plan_text %}``."""

from __future__ import annotations

import re

from django import template
from django.utils.safestring import SafeString, mark_safe

from yakusho.core.markdown import render_markdown

register = template.Library()

#: A line break written as HTML in a plan's Markdown (tables cannot hold a line break otherwise):
#: Markdown with raw HTML off escapes it, so it would show as the letters 「<br>」.
ESCAPED_BREAK = re.compile(r"&lt;br\s*/?&gt;", re.IGNORECASE)


def plan_markdown_html(text: str) -> str:
    """Markdown → sanitised HTML, with the plan's ``<br>`` kept as the line break it means."""
    return ESCAPED_BREAK.sub("<br>", render_markdown(text))


@register.filter
def plan_markdown(text: str) -> SafeString:
    """``|markdown`` for a plan's own texts: a ``<br>`` in them (in a table cell) is a line break."""
    return mark_safe(plan_markdown_html(text))  # noqa: S308 - sanitised by nh3; only <br> is added
