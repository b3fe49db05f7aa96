"""What the FAQ's index reads, watched: a change replaces the municipality's search version
(``core.searchversion``) once per transaction, on commit."""

from __future__ import annotations

from yakusho.core.searchversion import index_version

__all__ = ["connect", "index_version"]


def connect() -> None:
    from yakusho.bookings.models import Resource
    from yakusho.core.models import Department, SynonymGroup
    from yakusho.core.searchversion import watch
    from yakusho.faq.models import Entry, Override, SharedEntry
    from yakusho.procedures.models import Procedure

    watch(Entry, SharedEntry, Override, Procedure, Resource, Department, SynonymGroup)
    watch(Entry.procedures.through, Entry.resources.through)
