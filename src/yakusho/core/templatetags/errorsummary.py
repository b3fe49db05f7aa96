"""The lines of the error summary (core/includes/error_summary.html) that every form page shows
above its form after a failed submit: one ``(anchor, message)`` pair per error, the anchor being
the id of the input the message is about ("" when it is about no one input).

    {% load errorsummary %}
    {% form_error_links form as error_links %}                    a Django form
    {% form_error_links form targets row_label=row as error_links %} with a formset's rows
    {% include "core/includes/error_summary.html" %}

Pages of the form engine pass ``error_links`` from :func:`yakusho.procedures.formrender.error_links`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms, template
from django.forms.formsets import DELETION_FIELD_NAME

register = template.Library()

Links = list[tuple[str, str]]


@register.filter
def as_error_links(value: Any) -> Links:
    """Pairs for the summary from what a page has: pairs, objects with ``anchor`` and ``text``,
    or bare messages (no anchor)."""
    out: Links = []
    for item in value or ():
        if isinstance(item, tuple | list) and len(item) == 2:
            out.append((str(item[0] or ""), str(item[1])))
        elif hasattr(item, "anchor") and hasattr(item, "text"):
            out.append((str(item.anchor or ""), str(item.text)))
        else:
            out.append(("", str(item)))
    return out


@register.simple_tag
def error_list(*pairs: Any) -> Links:
    """``anchor, message, anchor, message, …`` → pairs, leaving out those without a message."""
    return [(str(a or ""), str(m)) for a, m in zip(pairs[::2], pairs[1::2], strict=False) if m]


@register.simple_tag
def form_error_links(*forms_: Any, row_label: str = "", anchor: str = "") -> Links:
    """Every error of these forms and formsets, in the order of their fields: the form's own
    errors first, then 「ラベル：エラー」 for each field, linked to its input. A formset's rows are
    named with ``row_label`` (``%(n)s`` the row's number, ``%(name)s`` its ``item_name``):
    「年度別の目標（2行目）の目標値：…」. ``anchor`` is where errors of no one input link to (the
    formset's fieldset, say)."""
    out: Links = []
    for form in forms_:
        if isinstance(form, forms.BaseFormSet):
            out += [(anchor, str(e)) for e in form.non_form_errors()]
            for n, row in enumerate(form.forms, start=1):
                if form.can_delete and DELETION_FIELD_NAME in row.fields and row[DELETION_FIELD_NAME].value():
                    continue  # a row being deleted is not checked
                prefix = row_label % {"n": n, "name": getattr(row, "item_name", "")} if row_label else ""
                out += _form_links(row, prefix, anchor)
        elif isinstance(form, forms.BaseForm):
            out += _form_links(form, "", anchor)
    return out


def _form_links(form: forms.BaseForm, prefix: str, anchor: str) -> Links:
    if not form.is_bound or not form.errors:
        return []
    out: Links = [(anchor, f"{prefix}：{e}" if prefix else str(e)) for e in form.non_field_errors()]
    for field in _fields(form):
        if field.is_hidden:
            label, to = prefix or str(field.label), anchor
        else:
            label = f"{prefix}の{field.label}" if prefix and field.label else (prefix or str(field.label))
            to = field.id_for_label or field.auto_id or anchor
        out += [(to, f"{label}：{e}" if label else str(e)) for e in field.errors]
    return out


def _fields(form: forms.BaseForm) -> Iterable[forms.BoundField]:
    return [form[name] for name in form.fields]
