"""Template filters and tags available in every template (registered as builtins)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from yakusho.core import audit, jcal, shortcodes
from yakusho.core.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3


@register.filter
def wareki(value: date | datetime | None, precision: str = "day") -> str:
    """令和8年4月1日 (a datetime is shown in Asia/Tokyo); ``value|wareki:"month"`` (or a model's
    ``date_precision``) gives 令和5年12月 for a date the plan prints only to the month."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    if precision == "month":
        return jcal.format_wareki_month(value)
    return jcal.format_wareki_date(value)


@register.filter
def fiscal_year(value: int | None) -> str:
    return "" if value is None else jcal.format_fiscal_year(int(value))


@register.filter
def fiscal_year_short(value: int | None) -> str:
    """2026 → 令和8年度."""
    return "" if value is None else jcal.format_fiscal_year(int(value), short=True)


@register.filter
def num(value: Any) -> str:
    """A number as people write it: 4900.000000 → 4,900; 14.400 → 14.4; None → —."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError):
        return str(value)
    return f"{number:,f}"


@register.filter
def index(sequence: Any, position: int) -> Any:
    """``list|index:i`` — the i-th item (for tables whose columns come from parallel lists)."""
    try:
        return sequence[position]
    except (IndexError, TypeError, KeyError):
        return None


@register.filter
def shortcode(value: str) -> str:
    return shortcodes.format_code(value) if value else ""


@register.inclusion_tag("core/includes/history.html")
def history(instance: Any) -> dict[str, Any]:
    return {"entries": audit.history(instance)}


@register.filter
def audit_value(value: Any) -> str:
    """A value of the audit trail as people read it: the trail stores empty values as "None", flags
    as "True"/"False" and an unset relation as "app.Model.None"; none of those reach a page."""
    text = "" if value is None else str(value)
    if text in ("", "None") or text.endswith(".None"):
        return "—"
    if text in ("True", "False"):
        return str(_("はい") if text == "True" else _("いいえ"))
    return text


@register.simple_tag(takes_context=True)
def render_panel(context: template.Context, rendered: Any, membership: Any) -> SafeString:
    """Render a staff-home panel with its own context (see ``core.ui``)."""
    return render_to_string(
        rendered.panel.template,
        {**rendered.context, "membership": membership},
        request=context.get("request"),
    )


@register.simple_tag(takes_context=True)
def render_section(context: template.Context, section: Any, section_context: dict[str, Any]) -> SafeString:
    """Render a consortium page section with its own context (see ``core.ui``)."""
    return render_to_string(section.template, section_context, request=context.get("request"))
