"""Audit trail through django-auditlog: change history of tenant-owned records and read logs.

Why django-auditlog and not django-simple-history: see docs/architecture.md. In short, it logs
reads as well as writes (``LogAccessMixin``), keeps one table for every model, and its entries
can be erased per object, which retention rules need.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

from auditlog.cid import get_cid
from auditlog.context import auditlog_disabled, disable_auditlog
from auditlog.models import DEFAULT_OBJECT_REPR, LogEntry
from auditlog.registry import auditlog
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist, ValidationError
from django.db import models, transaction
from django.db.models.signals import pre_save
from django.utils import timezone
from django.utils.encoding import smart_str
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from yakusho.core import jcal

#: Tenant-owned models that are not audited, and why.
NOT_AUDITED = {
    "core.OutboundEmail": "the outbox row is itself the record of what was sent; bodies hold personal data",
    "metrics.StoredFigure": "a figure computed from other records and measured again every few minutes",
    "faq.Query": "the log of questions residents asked is itself a record, masked; nobody edits it",
}


def register_models() -> None:
    from yakusho.core.models import (
        Closure,
        Consortium,
        ConsortiumMembership,
        Department,
        Invitation,
        Membership,
        Municipality,
        PolicyPage,
        SynonymGroup,
        User,
    )

    for model, kwargs in (
        (Municipality, {}),
        (Department, {}),
        (Closure, {}),
        (PolicyPage, {}),
        (SynonymGroup, {}),
        (Consortium, {"m2m_fields": {"members"}}),
        (ConsortiumMembership, {}),
        (Membership, {"m2m_fields": {"departments"}}),
        (Invitation, {"exclude_fields": ["token"], "m2m_fields": {"departments"}}),
        (User, {"exclude_fields": ["password", "last_login"]}),
    ):
        if not auditlog.contains(model):
            auditlog.register(model, **kwargs)


def for_municipality(municipality: Any) -> models.QuerySet[LogEntry]:
    """Entries about one municipality's records (tagged by ``TenantOwned.get_additional_data``)."""
    return LogEntry.objects.filter(additional_data__municipality=municipality.pk)


def history(instance: models.Model) -> models.QuerySet[LogEntry]:
    """Log entries of one record, newest first, with their actors."""
    return LogEntry.objects.get_for_object(instance).select_related("actor").order_by("-timestamp")


def _tenant_tag(instance: models.Model) -> dict[str, Any] | None:
    get = getattr(instance, "get_additional_data", None)
    return get() if callable(get) else None


def log_reads(instances: Iterable[models.Model]) -> int:
    """Log that the current user read each of ``instances`` (an export's rows): the entries
    auditlog's ``accessed`` signal writes one at a time — same object, text, tenant tag, actor,
    address and correlation id — written in one insert. An export of 500 submissions took 1.2 s
    of its 2 s in 500 separate inserts. How many entries were written (none while auditlog is
    disabled, or for a model it does not audit)."""
    rows = [i for i in instances if i.pk is not None and auditlog.contains(type(i))]
    if not rows or auditlog_disabled.get():
        return 0
    cid = get_cid()
    content_types = ContentType.objects.get_for_models(*{type(i) for i in rows})
    entries = []
    for instance in rows:
        pk = instance.pk
        try:
            text = smart_str(instance)
        except ObjectDoesNotExist:
            text = DEFAULT_OBJECT_REPR
        entry = LogEntry(
            content_type=content_types[type(instance)],
            object_pk=str(pk),
            object_id=pk if isinstance(pk, int) else None,
            object_repr=text,
            serialized_data=LogEntry.objects._get_serialized_data_or_none(instance),
            action=LogEntry.Action.ACCESS,
            changes=None,
            additional_data=_tenant_tag(instance),
            cid=cid,
        )
        # what a save would send: auditlog's request context sets the actor and address here
        pre_save.send(sender=LogEntry, instance=entry, raw=False, using="default", update_fields=None)
        entries.append(entry)
    LogEntry.objects.bulk_create(entries)
    return len(entries)


def erase_with_history(instance: models.Model, reason: str, actor: Any = None) -> LogEntry:
    """Delete a record holding personal data together with its history.

    The values disappear from the audit trail; one entry stays to record that the record existed
    and was erased, when, by whom and under which rule.
    """
    content_type = ContentType.objects.get_for_model(instance)
    pk = instance.pk
    label = f"{instance._meta.verbose_name} #{pk}"
    with transaction.atomic():
        LogEntry.objects.filter(content_type=content_type, object_pk=str(pk)).delete()
        with disable_auditlog():
            instance.delete()
        return LogEntry.objects.create(
            content_type=content_type,
            object_pk=str(pk),
            object_id=pk if isinstance(pk, int) else None,
            object_repr=label,
            action=LogEntry.Action.DELETE,
            changes={"erased": ["", reason]},
            actor=actor,
            additional_data=_tenant_tag(instance),
        )


# --- the history as people read it --------------------------------------------------------------
#
# django-auditlog stores each change as two strings: "None" for nothing, "True"/"False", a related
# record's id, JSON with its non-ASCII characters escaped, dates in ISO form and times in UTC. The
# pages show none of that: :func:`describe` turns entries into field, before and after in words.

#: an empty value, as the history shows it
EMPTY = "—"
#: the longest value shown; longer texts end in "…"
VALUE_LIMIT = 300
#: what the history says of a related record that no longer exists
DELETED = gettext_lazy("（削除済み）")

#: words for fields declared without a verbose name (a related record's field falls back to the
#: verbose name of the model it points to)
FIELD_WORDS: dict[str, Any] = {
    "order": gettext_lazy("順序"),
    "kind": gettext_lazy("種類"),
    "day": gettext_lazy("日付"),
    "last_number": gettext_lazy("発行した最後の番号"),
    "has_baseline": gettext_lazy("現状値あり"),
    "key": gettext_lazy("キー"),
    "sha256": gettext_lazy("ハッシュ値（SHA-256）"),
    "parent": gettext_lazy("上位の項目"),
    "previous_plan": gettext_lazy("前の計画"),
    "entered_by": gettext_lazy("入力者"),
    "made_by": gettext_lazy("訂正者"),
    "uploaded_by": gettext_lazy("登録者"),
    "author": gettext_lazy("記入者"),
    "erased": gettext_lazy("消去の理由"),
}

#: fields the history leaves out: internal checksums and search indexes say nothing to a reader
HIDDEN_FIELDS = frozenset({"digest"})

_DEFAULT_REPR = re.compile(r"(?P<model>.+) object \((?P<pk>[^()]*)\)")

#: ``(value, record or None) -> text`` for one JSON field (the parsed value: list, dict, ...)
JsonFormatter = Callable[[Any, "models.Model | None"], str]
_json_formatters: dict[tuple[str, str], JsonFormatter] = {}


def register_json_text(model: type[models.Model] | str, field: str, formatter: JsonFormatter) -> None:
    """How the history reads one JSON field of a model (``"app.Model"`` or the class): the
    formatter gets the parsed value and the record, if it still exists. Without one, a JSON value
    reads through :func:`json_text`."""
    label = model if isinstance(model, str) else model._meta.label
    _json_formatters[(label, field)] = formatter


@dataclass(frozen=True)
class Change:
    """One field of one entry in words. ``before`` is None for a value set on creation, ``after``
    is None for a deleted record's value; ``added``/``removed`` are the names of a many-to-many
    change."""

    field: str
    before: str | None = None
    after: str | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()

    @property
    def many(self) -> bool:
        return bool(self.added or self.removed)

    @property
    def text(self) -> str:
        """The change on one line: 「名称：総務課 → 総務企画課」."""
        if self.many:
            parts = []
            if self.added:
                parts.append(_("追加 %(names)s") % {"names": "、".join(self.added)})
            if self.removed:
                parts.append(_("削除 %(names)s") % {"names": "、".join(self.removed)})
            return f"{self.field}：{' / '.join(parts)}"
        if self.before is None:
            return f"{self.field}：{self.after}"
        if self.after is None:
            return f"{self.field}：{self.before}"
        return f"{self.field}：{self.before} → {self.after}"


@dataclass(frozen=True)
class Described:
    """A log entry with its record named and its changes in words."""

    entry: LogEntry
    target: str
    changes: list[Change]
    #: what the entry did in words where the action alone says too little (「利用停止（理由：…）」)
    summary: str = ""


class Names:
    """Names of related records (and the records the entries are about), looked up once per page."""

    def __init__(self) -> None:
        self._objects: dict[tuple[type[models.Model], str], models.Model | None] = {}

    def get(self, model: type[models.Model] | None, pk: Any) -> models.Model | None:
        if model is None:
            return None
        key = (model, str(pk))
        if key not in self._objects:
            try:
                value = model._meta.pk.to_python(pk)
                self._objects[key] = model._base_manager.filter(pk=value).first()
            except (ValidationError, ValueError, TypeError):
                self._objects[key] = None
        return self._objects[key]

    def name(self, model: type[models.Model] | None, pk: Any) -> str:
        obj = self.get(model, pk)
        return str(DELETED) if obj is None else _text(obj)

    def prefetch(self, wanted: Mapping[type[models.Model], set[str]]) -> None:
        """Look many records up at once: one query per model (and 500 ids)."""
        for model, pks in wanted.items():
            values: dict[Any, str] = {}
            for pk in pks:
                if (model, pk) in self._objects:
                    continue
                try:
                    values[model._meta.pk.to_python(pk)] = pk
                except (ValidationError, ValueError, TypeError):
                    self._objects[(model, pk)] = None
            keys = list(values)
            for start in range(0, len(keys), 500):
                found = model._base_manager.in_bulk(keys[start : start + 500])
                for value in keys[start : start + 500]:
                    self._objects[(model, values[value])] = found.get(value)


def _text(obj: Any) -> str:
    try:
        return str(obj)
    except Exception:  # a __str__ following a relation that is gone
        return str(obj._meta.verbose_name)


def _is_empty(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and (raw in ("", "None") or raw.endswith(".None")))


def _shorten(text: str) -> str:
    return text if len(text) <= VALUE_LIMIT else text[:VALUE_LIMIT].rstrip() + "…"


def _number(value: Any) -> str:
    try:
        number = Decimal(str(value)).normalize()
    except (InvalidOperation, ValueError):
        return str(value)
    if number == number.to_integral_value():
        number = number.quantize(Decimal(1))
    return f"{number:,f}"


def _scalar_text(value: Any, values: Mapping[str, Any] | None = None) -> str:
    """One JSON scalar in words: labels for known values, はい/いいえ, ISO dates in the project's form."""
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return str(_("はい") if value else _("いいえ"))
    if isinstance(value, int | float):
        return _number(value)
    text = str(value)
    if values and text in values:
        return str(values[text])
    if re.fullmatch(r"\d{4}-\d{2}(-\d{2})?", text):  # a day, or a month where only the month is known
        try:
            if len(text) == 7:
                return jcal.format_date(date.fromisoformat(f"{text}-01"), style="month")
            return jcal.format_date(date.fromisoformat(text))
        except ValueError:
            return text
    return text


def json_text(
    value: Any,
    record: models.Model | None = None,
    *,
    keys: Mapping[str, Any] | None = None,
    values: Mapping[str, Any] | None = None,
) -> str:
    """A JSON value as readable text: a list as 「、」-joined items (a list of records one per line),
    a mapping as 「key：value」 lines with ``keys`` as labels, scalar values by ``values`` labels.

    Never JSON: no braces, brackets or quotes. Keys named in ``keys`` come first, in its order
    (the trail stores keys sorted)."""
    rank = {k: i for i, k in enumerate(keys or {})}

    def pairs(mapping: Mapping[str, Any]) -> list[tuple[Any, Any]]:
        items = [(k, v) for k, v in mapping.items() if not _json_empty(v)]
        return sorted(items, key=lambda kv: rank.get(str(kv[0]), len(rank)))

    def inline(item: Any) -> str:
        if isinstance(item, Mapping):
            return "、".join(f"{keys.get(str(k), k) if keys else k}：{inline(v)}" for k, v in pairs(item))
        if isinstance(item, list | tuple):
            return "、".join(inline(v) for v in item if not _json_empty(v)) or EMPTY
        return _scalar_text(item, values)

    if _json_empty(value):
        return ""
    if isinstance(value, Mapping):
        return "\n".join(f"{keys.get(str(k), k) if keys else k}：{inline(v)}" for k, v in pairs(value))
    if isinstance(value, list | tuple):
        if any(isinstance(v, Mapping | list | tuple) for v in value):
            return "\n".join(inline(v) for v in value if not _json_empty(v))
        return inline(value)
    return _scalar_text(value, values)


def _json_empty(value: Any) -> bool:
    return value is None or value == "" or (isinstance(value, list | tuple | Mapping) and not value)


def field_label(model: type[models.Model] | None, name: str) -> str:
    """The words the history uses for a field: its verbose name (the model's mapping of the audit
    registration first), else :data:`FIELD_WORDS`, else the verbose name of the related model."""
    if model is not None and auditlog.contains(model):
        mapping = auditlog.get_model_fields(model).get("mapping_fields") or {}
        if name in mapping:
            return str(mapping[name])
    field: Any = None
    if model is not None:
        try:
            field = model._meta.get_field(name)
        except FieldDoesNotExist:
            field = None
    verbose = getattr(field, "verbose_name", None)
    automatic = verbose is None or str(verbose) == name.replace("_", " ")
    if not automatic:
        return str(verbose)
    if name in FIELD_WORDS:
        return str(FIELD_WORDS[name])
    related = getattr(field, "related_model", None)
    if related is not None:
        return str(related._meta.verbose_name)
    return str(verbose or name)


def _hidden(model: type[models.Model], field: Any) -> bool:
    """Fields left out of the history: keys, the owning municipality (the same for every entry of a
    tenant's record), times the entry itself shows, checksums and fields the registration excludes."""
    if field.primary_key or field.name in HIDDEN_FIELDS:
        return True
    if field.name == "municipality" and getattr(field, "related_model", None) is not None:
        return (
            field.related_model._meta.label == "core.Municipality"
            and model._meta.label != "core.Municipality"
        )
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return True
    if auditlog.contains(model):
        return field.name in (auditlog.get_model_fields(model).get("exclude_fields") or ())
    return False


def _precision(field: Any, changes: Mapping[str, Any], side: int, record: models.Model | None) -> str:
    """``month`` when the record prints this date to the month only (``date_precision`` and kin)."""
    name = field.name
    if name == "month":  # a month stored as its first day
        return "month"
    for candidate in (f"{name}_precision", f"{name.removesuffix('_on')}_precision"):
        values = changes.get(candidate)
        if isinstance(values, list | tuple) and len(values) > side and not _is_empty(values[side]):
            return str(values[side])
        if record is not None and hasattr(record, candidate):
            return str(getattr(record, candidate) or "day")
    return "day"


def value_text(
    model: type[models.Model] | None,
    field: Any,
    raw: Any,
    *,
    names: Names | None = None,
    record: models.Model | None = None,
    changes: Mapping[str, Any] | None = None,
    side: int = 1,
) -> str:
    """One stored value in words ("" for nothing): labels for choices, the related record's name
    (or 「（削除済み）」), はい/いいえ, dates and times as the project writes them, JSON as text."""
    if _is_empty(raw):
        return ""
    names = names or Names()
    if field is None:
        return _shorten(_scalar_text(raw.strip() if isinstance(raw, str) else raw))
    if raw in ("True", "False", True, False) and field.get_internal_type() in (
        "BooleanField",
        "NullBooleanField",
    ):
        return str(_("はい") if raw in ("True", True) else _("いいえ"))
    text = str(raw)
    if field.is_relation and (field.many_to_one or field.one_to_one):
        return _shorten(names.name(field.related_model, text))
    if field.flatchoices:
        labels = {str(k): v for k, v in field.flatchoices}
        return _shorten(str(labels.get(text, text)))
    kind = field.get_internal_type()
    try:
        if kind == "DateTimeField":
            moment = datetime.fromisoformat(text)
            if timezone.is_naive(moment):
                moment = moment.replace(tzinfo=UTC)  # django-auditlog stores UTC without its zone
            return jcal.format_datetime(moment)
        if kind == "DateField":
            day = date.fromisoformat(text[:10])
            style = "month" if _precision(field, changes or {}, side, record) == "month" else "day"
            return jcal.format_date(day, style=style)
        if kind == "TimeField":
            return f"{time.fromisoformat(text):%H:%M}"
    except ValueError:
        return _shorten(text)
    if kind in ("DecimalField", "FloatField"):
        return _number(text)
    if kind.endswith("IntegerField") and "年度" in str(field.verbose_name) and text.isdigit():
        try:
            return jcal.format_fiscal_year(int(text), short=True)
        except ValueError:  # a year before the eras the calendar knows: the number as it is
            return text
    if kind == "JSONField":
        try:
            value = json.loads(text) if isinstance(raw, str) else raw
        except ValueError:
            return _shorten(text)
        formatter = _json_formatters.get((model._meta.label, field.name)) if model else None
        shown = formatter(value, record) if formatter else json_text(value, record)
        return _shorten(shown)
    if kind in ("FileField", "ImageField"):
        return text.rsplit("/", 1)[-1]
    return _shorten(text)


def _object_name(text: str, model: type[models.Model] | None, names: Names) -> str:
    """A record's name as the log stored it, or, where the log only had 「Model object (12)」, the
    record's name now (「（削除済み）」 when it is gone)."""
    match = _DEFAULT_REPR.fullmatch(text)
    if match is None and text != DEFAULT_OBJECT_REPR:
        return text
    obj = names.get(model, match["pk"]) if match else None
    if obj is not None:
        return _text(obj)
    label = str(model._meta.verbose_name) if model is not None else ""
    return f"{label}{DELETED}"


def entry_target(entry: LogEntry, names: Names | None = None) -> str:
    """The name of the record an entry is about (never 「NodeReview object (406)」)."""
    model = entry.content_type.model_class()
    if model is None:
        return entry.object_repr
    names = names or Names()
    match = _DEFAULT_REPR.fullmatch(entry.object_repr)
    if match or entry.object_repr == DEFAULT_OBJECT_REPR:
        obj = names.get(model, entry.object_pk)
        return _text(obj) if obj is not None else f"{model._meta.verbose_name}{DELETED}"
    return entry.object_repr


def entry_changes(entry: LogEntry, names: Names | None = None) -> list[Change]:
    """An entry's changes in words, in the model's field order: created records show the values
    they were given, deleted ones the values they had, updates before → after; fields without a
    value on creation, hidden fields and reverse relations are left out."""
    names = names or Names()
    model = entry.content_type.model_class()
    raw_changes = entry.changes_dict or {}
    record: models.Model | None = None
    record_loaded = False

    def current() -> models.Model | None:
        nonlocal record, record_loaded
        if not record_loaded:
            record = names.get(model, entry.object_pk)
            record_loaded = True
        return record

    order = {f.name: i for i, f in enumerate(model._meta.get_fields())} if model else {}
    out: list[tuple[int, Change]] = []
    for name, values in raw_changes.items():
        field: Any = None
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                field = None
        label = field_label(model, name)
        position = order.get(name, len(order))
        if isinstance(values, Mapping):
            if values.get("type") != "m2m":
                continue
            related = getattr(field, "related_model", None)
            objects = tuple(_object_name(str(o), related, names) for o in values.get("objects") or ())
            if not objects:
                continue
            change = (
                Change(label, added=objects)
                if values.get("operation") == "add"
                else Change(label, removed=objects)
            )
            out.append((position, change))
            continue
        if field is not None and (not getattr(field, "concrete", False) or field.many_to_many):
            continue  # reverse relations ("app.Model.None") and m2m fields logged as plain values
        if field is not None and model is not None and _hidden(model, field):
            continue
        seq = list(values) if isinstance(values, list | tuple) else [values]
        old_raw, new_raw = [*seq, None, None][:2]
        needs_record = field is not None and field.get_internal_type() in ("DateField", "JSONField")
        obj = current() if needs_record else None
        before = value_text(model, field, old_raw, names=names, record=obj, changes=raw_changes, side=0)
        after = value_text(model, field, new_raw, names=names, record=obj, changes=raw_changes, side=1)
        if entry.action == LogEntry.Action.CREATE or (field is None and not before):
            if after:
                out.append((position, Change(label, after=after)))
        elif entry.action == LogEntry.Action.DELETE:
            if before:
                out.append((position, Change(label, before=before)))
        elif before != after:
            out.append((position, Change(label, before=before or EMPTY, after=after or EMPTY)))
        elif old_raw != new_raw and before:
            # the same words for different values (a long text changed past the cut, a detail the
            # words leave out, two records both gone): say so rather than hide the change
            after = f"{after} {_('（表示していない部分が変わりました）')}"
            out.append((position, Change(label, before=before, after=after)))
    return [change for _, change in sorted(out, key=lambda item: item[0])]


def describe(entries: Iterable[LogEntry]) -> list[Described]:
    """Entries as the history pages show them (the records they name looked up once for all)."""
    entries = list(entries)
    wanted: dict[type[models.Model], set[str]] = defaultdict(set)
    for entry in entries:
        model = entry.content_type.model_class()
        if model is None:
            continue
        wanted[model].add(str(entry.object_pk))
        for name, values in (entry.changes_dict or {}).items():
            try:
                field = model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if field.concrete and field.is_relation and isinstance(values, list | tuple):
                wanted[field.related_model].update(str(v) for v in values[:2] if not _is_empty(v))
    names = Names()
    names.prefetch(wanted)
    return [Described(e, entry_target(e, names), entry_changes(e, names), summary(e)) for e in entries]


def summary(entry: LogEntry) -> str:
    """An entry's deed in words where 「更新」 says too little: a municipality's suspension
    (「利用停止（理由：…）」) and resumption (「利用再開」); "" for any other entry."""
    model = entry.content_type.model_class()
    if entry.action != LogEntry.Action.UPDATE or model is None or model._meta.label != "core.Municipality":
        return ""
    changes = entry.changes_dict or {}
    at = changes.get("suspended_at")
    if not isinstance(at, list | tuple) or len(at) < 2:
        return ""
    if _is_empty(at[0]) and not _is_empty(at[1]):
        reason = changes.get("suspended_reason")
        text = reason[1] if isinstance(reason, list | tuple) and len(reason) > 1 else ""
        if _is_empty(text):
            return str(_("利用停止"))
        return str(_("利用停止（理由：%(reason)s）") % {"reason": _shorten(str(text))})
    if not _is_empty(at[0]) and _is_empty(at[1]):
        return str(_("利用再開"))
    return ""
