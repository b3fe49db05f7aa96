"""Template filters and tags available in every template (registered as builtins)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from yakusho.core import audit, jcal, shortcodes, wording
from yakusho.core.contacts import department_contact
from yakusho.core.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str) -> SafeString:
    return mark_safe(render_markdown(text))  # noqa: S308 - sanitised by nh3


@register.filter
def date_text(value: date | datetime | str | None, options: str = "") -> str:
    """A date as Yakusho shows it, one way per language (:func:`yakusho.core.jcal.format_date`):
    令和8年（2026年）12月14日 in Japanese, 14 December 2026 in English — in the active language,
    so a mail shows it in the language it is sent in.

    ``options``, comma-separated: ``time`` (a datetime with its time in Japan: … 09:05),
    ``weekday`` (…（月）, Monday …), ``short`` (12月14日, 14 Dec: within a month's calendar),
    ``month`` (令和8年（2026年）12月; ``day`` is the default, so a model's ``date_precision`` can
    be given). An ISO string (``2026-12-14``, as JSON stores dates) is read as a date; any other
    string is shown as it is. None and "" show nothing."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text) if "T" in text else date.fromisoformat(text)
        except ValueError:
            return text
    wanted = {o.strip() for o in options.split(",") if o.strip()}
    if "time" in wanted and isinstance(value, datetime):
        return jcal.format_datetime(value)
    style = "month" if "month" in wanted else "short" if "short" in wanted else "day"
    return jcal.format_date(value, style=style, weekday="weekday" in wanted)


@register.filter
def wareki(value: date | datetime | None, precision: str = "day") -> str:
    """令和8年4月1日 (a datetime is shown in Asia/Tokyo); ``value|wareki:"month"`` (or a model's
    ``date_precision``) gives 令和5年12月 for a date the plan prints only to the month.

    The plan's pages keep this form, as the plan itself prints its dates; in English it is the
    English date of :func:`date_text`. Every other page shows dates with :func:`date_text`."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date()
    if get_language() and get_language().startswith("en"):
        return jcal.format_date(value, style="month" if precision == "month" else "day", language="en")
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


@register.filter
def area_word(municipality: Any) -> str:
    """``{{ municipality|area_word }}``: 町内, 市内, 村内, 区内 (:mod:`yakusho.core.wording`)."""
    return wording.area_word(municipality)


@register.filter
def municipality_word(municipality: Any, suffix: str = "") -> str:
    """``{{ municipality|municipality_word:"長" }}``: 町長 in a 町, 市長 in a 市; a suffix it does not
    know shows nothing rather than a 500."""
    try:
        return wording.municipality_word(municipality, str(suffix))
    except ValueError:
        return ""


@register.filter
def head_title(municipality: Any) -> str:
    """``{{ municipality|head_title }}``: 町長, 市長, 村長, 区長."""
    return wording.head_title(municipality)


@register.filter
def phone_examples(municipality: Any) -> str:
    """``{{ municipality|phone_examples }}``: 「0237-12-3456、090-1234-5678」 in the municipality's
    own area code (only the mobile example when it is unknown)."""
    return wording.phone_examples(municipality)


@register.inclusion_tag("core/includes/history.html")
def history(instance: Any) -> dict[str, Any]:
    """A record's change history, each change as field, before → after in words (``core.audit``)."""
    return {"entries": audit.describe(audit.history(instance))}


@register.inclusion_tag("core/includes/department_contact.html")
def contact_card(department: Any, municipality: Any, heading_id: str = "contact-heading") -> dict[str, Any]:
    """The 「お問い合わせ」 section of a public page: the department's phone, place and hours (see
    ``core.contacts``)."""
    return {"contact": department_contact(department, municipality), "heading_id": heading_id}


@register.filter
def audit_value(value: Any) -> str:
    """A value of the audit trail as people read it: the trail stores empty values as "None", flags
    as "True"/"False" and an unset relation as "app.Model.None"; none of those reach a page.
    (The history itself reads whole entries through ``core.audit.describe``.)"""
    text = "" if value is None else str(value)
    if text in ("", "None") or text.endswith(".None"):
        return audit.EMPTY
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
