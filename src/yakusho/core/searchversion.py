"""The version of a municipality's search indexes (the FAQ's, the procedure catalogue's), kept in
the shared ``default`` cache so every server process sees a change at once.

An index built in a process is kept under the version it was built from and built again when the
version has changed. Apps :func:`watch` the models their indexes read; a save or delete of one
replaces its municipality's version when the transaction commits — once per transaction, however
many rows it changed (an import of 1,000 entries writes the version once). A change that belongs to
no municipality (a consortium's shared entry) replaces the global version, part of every one.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.cache import caches
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save

from yakusho.core.oncommit import forget, once_on_commit
from yakusho.core.pagecache import version_tokens

_GLOBAL = "yakusho:search:index:all"
_PENDING = "_yakusho_search_changed"


def _key(municipality_id: int) -> str:
    return f"yakusho:search:index:m:{municipality_id}"


def index_version(municipality_id: int) -> str:
    """The version of ``municipality_id``'s indexes: one cache read."""
    return ":".join(version_tokens([_GLOBAL, _key(municipality_id)]))


def changed(*municipality_ids: int | None) -> None:
    """Replace the versions of these municipalities' indexes now (every one's when one is None)."""
    keys = [_GLOBAL] if None in municipality_ids else [_key(pk) for pk in municipality_ids if pk]
    caches["default"].set_many({key: uuid.uuid4().hex[:12] for key in keys}, None)


def changed_on_commit(municipality_id: int | None, using: str = "default") -> None:
    """Replace the version when the transaction commits, once per transaction (``core.oncommit``)."""
    once_on_commit(_PENDING, municipality_id, lambda ids: changed(*ids), using)


def forget_pending(using: str = "default") -> None:
    """Drop the connection's pending versions (tests whose transaction is never committed)."""
    forget(_PENDING, using)


def _on_change(
    sender: type[models.Model], instance: models.Model, using: str = "default", **kwargs: Any
) -> None:
    changed_on_commit(getattr(instance, "municipality_id", None), using=using)


def watch(*watched: Any) -> None:
    """Replace the version when a row of these models (or many-to-many tables) changes."""
    for model in watched:
        label = model._meta.label
        if model._meta.auto_created:  # a many-to-many table
            m2m_changed.connect(_on_change, sender=model, dispatch_uid=f"search-index-m2m-{label}")
            continue
        post_save.connect(_on_change, sender=model, dispatch_uid=f"search-index-save-{label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"search-index-delete-{label}")
