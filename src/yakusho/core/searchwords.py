"""The synonym groups a municipality's search uses: the shipped groups of municipal vocabulary
(``data/search/synonyms.yaml``) and the municipality's own (``core.SynonymGroup``, edited by its
staff). The FAQ and the procedure catalogue both search with these (``core.textsearch``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from django.conf import settings

from yakusho.core import datafiles
from yakusho.core.models import Municipality, SynonymGroup
from yakusho.core.textsearch import Synonyms


@lru_cache(maxsize=1)
def shipped_synonyms() -> tuple[tuple[str, ...], ...]:
    """The synonym groups of ``data/search/synonyms.yaml``."""
    path = Path(settings.DATA_DIR) / "search" / "synonyms.yaml"
    data = datafiles.DataFile.read(path.read_bytes(), path.name).data or {}
    return tuple(tuple(str(w) for w in group) for group in data.get("groups", []))


def local_groups(municipality: Municipality) -> list[list[str]]:
    """The municipality's own groups (one query), each of two words or more."""
    groups = [g.word_list() for g in SynonymGroup.objects.for_municipality(municipality).order_by("pk")]
    return [g for g in groups if len(g) >= 2]


def synonyms_for(municipality: Municipality) -> Synonyms:
    """Shipped and local groups together."""
    return Synonyms([*shipped_synonyms(), *local_groups(municipality)])
