"""``yakusho demo`` loads the FAQ files of ``data/faq/`` (a ``demo_loaded`` receiver, after the
procedures and the bookings, which the entries link to)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from yakusho.faq.files import FaqFileInvalid, faq_files, import_file


def load_demo_faq(sender: Any, **kwargs: Any) -> str:
    results = []
    for path in faq_files():
        try:
            results.append(import_file(path))
        except FaqFileInvalid as exc:
            raise CommandError(str(exc)) from None
    entries = sum(r.created + r.updated + r.unchanged for r in results)
    return f"FAQ: {len(results)} files, {entries} entries ({sum(r.created for r in results)} new)."
