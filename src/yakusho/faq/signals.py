"""The FAQ index's version: replaced on commit when anything the index holds changes."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import caches
from django.db import models, transaction
from django.db.models.signals import m2m_changed, post_delete, post_save

from yakusho.core.pagecache import version_tokens

_GLOBAL = "yakusho:faq:index:all"


def _key(municipality_id: int) -> str:
    return f"yakusho:faq:index:m:{municipality_id}"


def index_version(municipality_id: int) -> str:
    """The version of ``municipality_id``'s index (and of the shared entries): one cache read."""
    return ":".join(version_tokens([_GLOBAL, _key(municipality_id)]))


def changed(municipality_id: int | None) -> None:
    """Replace the version of one municipality's index (every one when None)."""
    caches["default"].set(
        _GLOBAL if municipality_id is None else _key(municipality_id), uuid.uuid4().hex[:12], None
    )


def _on_change(
    sender: type[models.Model], instance: models.Model, using: str = "default", **kwargs: Any
) -> None:
    municipality_id = getattr(instance, "municipality_id", None)
    transaction.on_commit(lambda: changed(municipality_id), using=using)


def connect() -> None:
    from yakusho.bookings.models import Resource
    from yakusho.core.models import Department
    from yakusho.faq.models import Entry, Override, SharedEntry
    from yakusho.procedures.models import Procedure

    for model in (Entry, SharedEntry, Override, Procedure, Resource, Department):
        label = model._meta.label
        post_save.connect(_on_change, sender=model, dispatch_uid=f"faq-index-save-{label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"faq-index-delete-{label}")
    for through in (Entry.procedures.through, Entry.resources.through):
        m2m_changed.connect(_on_change, sender=through, dispatch_uid=f"faq-index-m2m-{through._meta.label}")
