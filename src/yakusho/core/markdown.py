"""Markdown for long texts (plan descriptions, answers, notices), always through a sanitiser."""

from __future__ import annotations

from functools import lru_cache

import nh3
from django.utils.translation import get_language, gettext
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable(
    ["table", "strikethrough"]
)

_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "strong",
    "em",
    "s",
    "del",
    "blockquote",
    "code",
    "pre",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
# No style attributes: the Content-Security-Policy allows no inline styles.
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}


def render_markdown(text: str) -> str:
    """Markdown → sanitised HTML (no raw HTML, no scripts, only http(s)/mailto/tel links).

    Tables are wrapped in a focusable scroll region so that a wide table scrolls by keyboard on a
    phone instead of widening the page. A text is rendered once per process and language (answers
    and plan descriptions are shown again and again; a changed text is a new key).
    """
    text = text or ""
    if len(text) > _MEMO_LENGTH:
        return _rendered.__wrapped__(text, get_language())
    return _rendered(text, get_language())


#: texts up to this length are kept rendered (at most 512 of them: a few MB per process at worst)
_MEMO_LENGTH = 4000


@lru_cache(maxsize=512)
def _rendered(text: str, language: str | None) -> str:
    return _wrap_tables(_clean(_md.render(text)))


def _wrap_tables(html: str) -> str:
    # After sanitising, <table> carries no attributes, so these literal replacements are exact.
    label = gettext("表")
    return html.replace(
        "<table>", f'<div class="table-scroll" tabindex="0" role="region" aria-label="{label}"><table>'
    ).replace("</table>", "</table></div>")


def _clean(html: str) -> str:
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer",
    )
