"""Audit histories read as words (issue 19): each change is field, before, after — labels for
choices, names for related records (「（削除済み）」 when gone), はい/いいえ, dates as the project
writes them, JSON as text, many-to-many changes as added and removed names — for every audited
model, on a record's history and on the municipality's audit log. No ``None``, ``app.Model.None``,
``Model object (N)`` or escaped JSON reaches a page."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pytest
from auditlog.models import LogEntry
from auditlog.receivers import log_create, log_delete, log_update
from auditlog.registry import auditlog
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.template import Context, Template
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.helpers import login_verified
from yakusho.core import audit
from yakusho.core.models import Department, Membership, Municipality, Role

pytestmark = pytest.mark.django_db

#: what must never reach a history: raw values of the trail, default names, JSON
FORBIDDEN = ("None", ".None", " object (", '{"', '["', "&quot;", "True", "False", "<error forming")

AUDITED = sorted(m._meta.label for m in auditlog.get_models())


def history_html(obj: models.Model) -> str:
    html = Template("{% load yakusho %}{% history obj %}").render(Context({"obj": obj}))
    return html[html.index("<tbody>") :] if "<tbody>" in html else html


def assert_words(html: str, where: str) -> None:
    for bad in FORBIDDEN:
        assert bad not in html, (
            f"{bad!r} in {where}: …{html[max(0, html.find(bad) - 150) : html.find(bad) + 150]}…"
        )


# --- building and changing one record of any model ----------------------------------------------


def pick(model: type[models.Model], town: Municipality, other_than: Any = None) -> models.Model | None:
    """A demo record of ``model``, of 大江町 where the model belongs to a municipality."""
    qs = model._base_manager.all()
    if any(f.name == "municipality" for f in model._meta.concrete_fields) and model is not Municipality:
        qs = qs.filter(municipality=town) if qs.filter(municipality=town).exists() else qs
    if other_than is not None:
        qs = qs.exclude(pk=other_than)
    return qs.order_by("pk").first()


def build(model: type[models.Model], town: Municipality) -> models.Model:
    """A new record with every required field filled from the demo, saved (a real CREATE entry)."""
    values: dict[str, Any] = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            continue
        if f.name == "municipality":
            values[f.name] = town
        elif f.is_relation:
            if f.null:
                continue
            related: Any = f.related_model
            values[f.name] = pick(related, town) or build(related, town)
        elif f.has_default() or f.null:
            continue
        elif f.choices:
            values[f.name] = f.choices[0][0]
        else:
            values[f.name] = sample(f, "作成時の値")
    obj = model(**values)
    obj.save()
    return obj


def sample(f: Any, text: str) -> Any:
    kind = f.get_internal_type()
    if kind == "BooleanField":
        return True
    if kind == "DateField":
        return date(2026, 4, 1)
    if kind == "DateTimeField":
        return timezone.make_aware(datetime(2026, 4, 1, 9, 30))
    if kind == "TimeField":
        return time(9, 0)
    if kind in ("DecimalField", "FloatField"):
        return Decimal("1234.5")
    if kind.endswith("IntegerField"):
        return 2026 if "年度" in str(f.verbose_name) else 3
    if kind == "JSONField":
        return ["一つ目", "二つ目"]
    if kind == "EmailField":
        return "kawatta@example.jp"
    if kind == "URLField":
        return "https://example.jp/kawatta"
    if kind == "SlugField":
        return "kawatta"
    if kind == "FileField":
        return "private/test/kawatta.pdf"
    return text[: f.max_length] if f.max_length else text


def changed_copy(obj: models.Model, town: Municipality) -> models.Model:
    """``obj`` with every audited field set to another value (not saved)."""
    new = copy.copy(obj)
    new._state = copy.copy(obj._state)
    excluded = auditlog.get_model_fields(type(obj))["exclude_fields"]
    for f in type(obj)._meta.concrete_fields:
        if f.primary_key or f.name in excluded or f.name == "municipality":
            continue
        old = getattr(obj, f.attname)
        kind = f.get_internal_type()
        if f.is_relation:
            target: Any = f.related_model
            other = pick(target, town, other_than=old)
            if f.null and old is not None:
                setattr(new, f.attname, None)
            elif other is not None:
                setattr(new, f.attname, other.pk)
        elif f.choices:
            others = [value for value, _label in f.flatchoices if value != old]
            if others:
                setattr(new, f.attname, others[-1])
        elif kind == "BooleanField":
            setattr(new, f.attname, not old)
        elif kind == "JSONField":
            if isinstance(old, dict):
                setattr(new, f.attname, {**old, "追加": ["値", 2, None, True]})
            elif isinstance(old, list):
                setattr(new, f.attname, [*old, "追加の値"])
            else:
                setattr(new, f.attname, ["追加の値"])
        elif kind == "DateField":
            setattr(new, f.attname, (old or date(2026, 4, 1)) + timedelta(days=1))
        elif kind == "DateTimeField":
            setattr(new, f.attname, (old or timezone.now()) + timedelta(hours=1))
        elif kind == "TimeField":
            setattr(new, f.attname, time(10, 15) if old != time(10, 15) else time(11, 0))
        elif kind in ("DecimalField", "FloatField"):
            setattr(new, f.attname, (Decimal(str(old)) if old is not None else Decimal(0)) + Decimal("1.5"))
        elif kind.endswith("IntegerField"):
            setattr(new, f.attname, None if f.null and old is not None else (old or 0) + 1)
        elif f.blank and old:
            setattr(new, f.attname, "")
        else:
            setattr(new, f.attname, sample(f, "変更後の値"))
    return new


@pytest.mark.parametrize("label", AUDITED)
def test_every_audited_model_reads_in_words(label: str, demo_with_reviews: None) -> None:
    """Created, changed in every field and deleted, through django-auditlog's own receivers: the
    record's history and the audit log name it and every change in words."""
    model = apps.get_model(label)
    town = Municipality.objects.get(slug="oe")
    obj = pick(model, town)
    if obj is None:
        obj = build(model, town)  # saved: the CREATE entry is the real one
    else:
        log_create(model, instance=obj, created=True)
    assert type(obj).__str__ is not models.Model.__str__, f"{label} has no __str__"
    assert " object (" not in str(obj) and str(obj).strip(), f"{label}: {obj!s}"

    new = changed_copy(obj, town)
    log_update(model, instance=new)  # the receiver compares with the row in the database
    log_delete(model, instance=obj)
    entries = list(audit.history(obj))
    update = next(e for e in entries if e.action == LogEntry.Action.UPDATE)
    assert len(update.changes_dict) >= 2, f"{label}: nothing changed"

    html = history_html(obj)
    assert_words(html, f"history of {label}")
    described = {d.entry.pk: d for d in audit.describe(entries)}
    for entry in entries:
        assert described[entry.pk].target.strip() and " object (" not in described[entry.pk].target
    shown = described[update.pk].changes
    labels = {c.field for c in shown}
    for name in update.changes_dict:
        field = model._meta.get_field(name)
        if not field.concrete or field.primary_key:
            continue
        if field.name == "municipality" or field.name in audit.HIDDEN_FIELDS:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            continue
        words = audit.field_label(model, name)
        assert words != name.replace("_", " "), f"{label}.{name} has no Japanese name"
        assert words in labels, f"{label}.{name} ({words}) missing from {sorted(labels)}"
        assert words in html
    for change in shown:
        assert (change.before and change.after and change.before != change.after) or change.many


def test_the_audit_log_reads_in_words(demo_with_reviews: None, client: Client) -> None:
    """One change of every audited model on 大江町's audit log, page after page."""
    town = Municipality.objects.get(slug="oe")
    for label in AUDITED:
        model = apps.get_model(label)
        obj = pick(model, town) or build(model, town)
        log_update(model, instance=changed_copy(obj, town))
        entry = LogEntry.objects.get_for_object(obj).latest("pk")
        entry.additional_data = {"municipality": town.pk}  # a consortium's records are listed too
        entry.save(update_fields=["additional_data"])
    admin = Membership.objects.filter(municipality=town, role=Role.ADMIN, is_active=True).first()
    assert admin is not None
    login_verified(client, admin.user)
    url = reverse("staff:audit_log", args=[town.slug])
    seen = set()
    for number in range(1, 100):
        response = client.get(url, {"page": number})
        if response.status_code == 404:
            break
        page = response.content.decode()
        table = page[page.index("<tbody>") : page.index("</tbody>")]
        assert_words(table, f"audit log page {number}")
        seen |= {label for label in AUDITED if f"<td>{apps.get_model(label)._meta.verbose_name}：" in table}
    assert seen == set(AUDITED)


# --- each point of the issue, on its own --------------------------------------------------------


def test_a_new_record_shows_its_values_without_none_or_its_municipality(demo) -> None:
    town = Municipality.objects.get(slug="oe")
    department = Department.objects.create(municipality=town, name="試験課", phone="0237-62-2111")
    html = history_html(department)
    assert "課名</strong>：試験課" in html and "0237-62-2111" in html
    assert "大江町" not in html and "→" not in html  # the owner is not news; a new value has no before
    assert_words(html, "a new department")


def test_reverse_relations_never_show_as_app_model_none(demo_with_plans) -> None:
    from yakusho.procedures.models import Submission

    submission = Submission.objects.filter(municipality__slug="oe").first()
    assert submission is not None
    log_create(Submission, instance=submission, created=True)
    entry = LogEntry.objects.get_for_object(submission).get()
    assert "procedures.SubmissionAttachment.None" in json.dumps(entry.changes)  # what the trail stores
    html = history_html(submission)
    assert_words(html, "a submission's history")
    assert "申請内容" in html and str(submission.procedure) in html


def test_a_record_without_a_name_of_its_own_is_named_now(demo_with_reviews, client: Client) -> None:
    """Entries written before a model had ``__str__`` say 「NodeReview object (406)」: the pages
    name the record as it is now, or say it was deleted."""
    from yakusho.plans.models import NodeReview

    review = NodeReview.objects.filter(municipality__slug="oe").select_related("node").first()
    assert review is not None
    kind = ContentType.objects.get_for_model(NodeReview)
    old = LogEntry.objects.create(
        content_type=kind,
        object_pk=str(review.pk),
        object_id=review.pk,
        object_repr=f"NodeReview object ({review.pk})",
        action=LogEntry.Action.UPDATE,
        changes={"state": ["draft", "submitted"]},
        additional_data={"municipality": review.municipality_id},
    )
    gone = LogEntry.objects.create(
        content_type=kind,
        object_pk="999999",
        object_id=999999,
        object_repr="NodeReview object (999999)",
        action=LogEntry.Action.DELETE,
        changes={"state": ["draft", "None"]},
        additional_data={"municipality": review.municipality_id},
    )
    assert audit.entry_target(old) == str(review) and str(review.node.title) in str(review)
    assert audit.entry_target(gone) == "項目の評価（削除済み）"
    admin = Membership.objects.filter(municipality=review.municipality, role=Role.ADMIN).first()
    assert admin is not None
    login_verified(client, admin.user)
    page = client.get(reverse("staff:audit_log", args=[review.municipality.slug])).content.decode()
    assert "項目の評価：" + str(review) in page and "状態</strong>：作成中 → 提出済み" in page
    assert "項目の評価（削除済み）" in page and " object (" not in page


def test_related_records_by_name_and_deleted_ones_said_so(demo_with_plans) -> None:
    from yakusho.procedures.models import Procedure

    procedure = Procedure.objects.filter(municipality__slug="oe").first()
    assert procedure is not None
    first = Department.objects.create(municipality=procedure.municipality, name="旧担当課")
    second = Department.objects.create(municipality=procedure.municipality, name="新担当課")
    procedure.department = first
    procedure.save()
    procedure.department = second
    procedure.save()
    first.delete()
    html = history_html(procedure)
    assert "担当課</strong>：（削除済み） → 新担当課" in html
    assert_words(html, "a procedure whose department was deleted")


def test_choices_flags_dates_and_numbers_in_words(demo_with_reviews) -> None:
    from yakusho.plans.models import KpiActual, ReviewCycle

    cycle = ReviewCycle.objects.filter(municipality__slug="oe").first()
    assert cycle is not None
    cycle.state = ReviewCycle.State.FINALISED
    cycle.demo = not cycle.demo
    cycle.due_date = date(2026, 5, 31)
    cycle.save()
    html = history_html(cycle)
    assert "状態</strong>：実施中 → 確定" in html
    assert "はい" in html and "いいえ" in html
    assert "令和8年（2026年）5月31日" in html and "2026-05-31" not in html
    actual = KpiActual.objects.filter(municipality__slug="oe", value__isnull=False).first()
    assert actual is not None
    actual.value = Decimal("4900.000000")
    actual.save()
    html = history_html(actual)
    assert "4,900" in html and "4900.000000" not in html
    assert_words(html, "a KPI actual")


def test_json_reads_as_text_with_labels(demo_with_plans) -> None:
    from yakusho.bookings.models import Resource
    from yakusho.plans.models import PlanEdition

    resource = Resource.objects.filter(municipality__slug="oe").first()
    assert resource is not None
    resource.payment_methods = ["cash", "card"]
    resource.opening_hours = {"0": [["09:00", "12:00"], ["13:00", "17:00"]]}
    resource.save()
    resource.payment_methods = ["cash", "qr"]
    resource.save()
    html = history_html(resource)
    assert "現金、クレジットカード → 現金、QRコード決済" in html
    assert "月：09:00〜12:00、13:00〜17:00" in html and "日：休み" in html
    assert_words(html, "a resource")

    edition = PlanEdition.objects.filter(municipality__slug="oe").first()
    assert edition is not None
    edition.history = [{"number": "2.0", "date": "2024-07", "note": "改訂"}]
    edition.level_labels = ["基本目標", "施策"]
    edition.save()
    html = history_html(edition)
    assert "版：2.0、日付：令和6年（2024年）7月、備考：改訂" in html
    assert "基本目標、施策" in html
    assert_words(html, "an edition")


def test_json_text_never_writes_json() -> None:
    text = audit.json_text({"b": [1, 2.5, None], "a": {"x": True, "y": "2026-04-01"}}, keys={"a": "エー"})
    assert text.splitlines() == ["エー：x：はい、y：令和8年（2026年）4月1日", "b：1、2.5"]
    assert audit.json_text([]) == "" and audit.json_text(None) == ""
    assert audit.json_text([["a", "b"], ["c"]]) == "a、b\nc"


def test_many_to_many_changes_read_as_added_and_removed_names(demo, client: Client) -> None:
    town = Municipality.objects.get(slug="oe")
    membership = Membership.objects.filter(municipality=town, role=Role.DEPARTMENT).first()
    assert membership is not None
    extra = Department.objects.create(municipality=town, name="追加された課")
    membership.departments.add(extra)
    membership.departments.remove(extra)
    html = history_html(membership)
    assert "所属課</strong>：追加 追加された課" in html and "所属課</strong>：削除 追加された課" in html
    assert_words(html, "a membership")


def test_a_long_text_changed_past_what_is_shown_says_so(demo) -> None:
    from yakusho.core.models import PolicyPage

    town = Municipality.objects.get(slug="oe")
    page = PolicyPage.objects.create(municipality=town, kind=PolicyPage.Kind.choices[0][0], body="あ" * 400)
    page.body = "あ" * 400 + "い"
    page.save()
    (change,) = audit.entry_changes(audit.history(page).first())
    assert change.field == "本文（Markdown）" and change.before == "あ" * audit.VALUE_LIMIT + "…"
    assert change.after == change.before + " （表示していない部分が変わりました）"


def test_an_erased_record_keeps_only_the_reason(demo) -> None:
    town = Municipality.objects.get(slug="oe")
    department = Department.objects.create(municipality=town, name="消す課")
    entry = audit.erase_with_history(department, "保存期間の経過")
    (change,) = audit.entry_changes(entry)
    assert change.text == "消去の理由：保存期間の経過"


def test_every_model_of_yakusho_has_a_name_of_its_own() -> None:
    nameless = [
        m._meta.label
        for m in apps.get_models()
        if m.__module__.startswith("yakusho.") and m.__str__ is models.Model.__str__
    ]
    assert nameless == []
