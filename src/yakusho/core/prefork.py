"""What ``yakusho serve`` loads once before gunicorn forks its workers (docs/operations.md, "Sizing").

A worker's first requests would otherwise each load the same things for itself — the URL patterns,
every compiled template, the translation catalogues, the holiday tables (about 25 MB per worker) and
the Japanese analyser of the FAQ search (its dictionary, about 100 MB, is memory-mapped) — that the
forked workers can share instead. :func:`freeze` then moves everything loaded so far out of
the garbage collector's reach, so that the collector's bookkeeping in a worker does not write to
(and so copy) the pages it shares with the master.

What the master only read while loading, it then lets go of: :func:`release_mapped_files` drops its
hold on the pages of the analyser's memory-mapped dictionary (they stay in the kernel's page cache,
and each worker maps the ones its questions use).

Apps may load more through the :data:`preparing` signal (the FAQ builds its search indexes, which
read the database): every database connection is closed again before the fork, so no worker
inherits one.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
from pathlib import Path

from django.conf import settings
from django.db import connections
from django.dispatch import Signal
from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
from django.urls import URLResolver, get_resolver, reverse
from django.utils import translation

#: glibc's mallopt(M_ARENA_MAX, …): each thread of a gthread worker would otherwise get an allocation
#: arena of its own that keeps its high-water mark. One: the request threads then allocate from the
#: main arena, whose free space the worker inherited from the master, instead of growing a second
#: one; and since they run Python under the interpreter's lock, they seldom wait for the arena's.
#: Measured with 5 workers and the 2,000-node plan's pages warmed: 342 MB with two arenas, 280 with
#: one (docs/operations.md, "Sizing").
_M_ARENA_MAX = -8
ARENAS = 1


def template_names() -> list[str]:
    """Every template the project and its installed apps ship (HTML and text), by loader name."""
    names: set[str] = set()
    for engine in engines.all():
        for directory in getattr(engine, "template_dirs", ()):
            root = Path(directory)
            if not root.is_dir():
                continue
            for path in root.rglob("*"):
                if path.is_file() and path.suffix in {".html", ".txt", ".xml"}:
                    names.add(path.relative_to(root).as_posix())
    return sorted(names)


def load_templates() -> int:
    """Compile every template into the engines' cached loaders; the number compiled."""
    count = 0
    for engine in engines.all():
        for name in template_names():
            try:
                engine.get_template(name)
            except (TemplateDoesNotExist, TemplateSyntaxError, UnicodeDecodeError):
                # a file the engine cannot load (another engine's, a fragment in another syntax)
                continue
            count += 1
    return count


def load_catalogues() -> None:
    probe = "役所 Yakusho"  # a variable: makemessages extracts only literal messages
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            translation.gettext(probe)


def load_urls() -> int:
    """Build every URL resolver's lookup tables once; the number of entries in them."""

    def walk(resolver: URLResolver) -> int:
        count = len(resolver.reverse_dict)
        for pattern in resolver.url_patterns:
            if isinstance(pattern, URLResolver):
                count += walk(pattern)
        return count

    count = walk(get_resolver())
    reverse("healthz")
    return count


def limit_malloc_arenas(arenas: int = ARENAS) -> bool:
    """Cap glibc's allocation arenas (a no-op elsewhere); whether the cap was set."""
    libc = _libc()
    try:
        return libc is not None and bool(libc.mallopt(_M_ARENA_MAX, arenas))
    except AttributeError:  # not glibc
        return False


@functools.cache
def _libc() -> ctypes.CDLL | None:
    """The C library (found once: ``find_library`` runs ``ldconfig``), or None where there is none."""
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name, use_errno=True)
    except OSError:
        return None


def trim_heap() -> bool:
    """Give the free pages of glibc's heap back to the system (``malloc_trim(0)``; a no-op
    elsewhere); whether any were given back.

    Called after building something large (:func:`yakusho.core.pagecache.one_build_at_a_time`): the
    temporaries of a 5,000-KPI plan's page are freed when the page is built, but the heap keeps
    their pages, so the worker's memory stays at its peak until something reuses them. A few
    milliseconds, once per page per data version."""
    libc = _libc()
    try:
        return libc is not None and bool(libc.malloc_trim(0))
    except AttributeError:  # not glibc
        return False


def freeze() -> None:
    gc.collect()
    gc.freeze()


#: madvise(…, MADV_DONTNEED): Linux's value (the same on every architecture it runs on here)
_MADV_DONTNEED = 4


def release_mapped_files(maps: Path = Path("/proc/self/maps")) -> int:
    """Unmap from this process's page tables the pages of read-only shared file mappings it has
    touched; how many bytes of mappings were released (0 where this is not Linux).

    The Japanese analyser reads most of its 150 MB memory-mapped dictionary while it loads and while
    the FAQ's indexes are built before the fork; the master then holds every page it read, though it
    never analyses a word again, and its proportional set size counts them all. ``MADV_DONTNEED`` on
    a read-only shared file mapping loses nothing: the file's pages stay in the kernel's page cache,
    and a process that reads one again (a worker analysing a question) maps it from there. Only
    ``r--s`` mappings are touched, which nothing can have written to."""
    libc = _libc()
    if libc is None:
        return 0
    try:
        lines = maps.read_text().splitlines()
    except OSError:
        return 0
    released = 0
    for line in lines:
        fields = line.split(maxsplit=5)
        if len(fields) < 6 or fields[1] != "r--s" or not fields[5].startswith("/"):
            continue
        start, end = (int(edge, 16) for edge in fields[0].split("-"))
        if libc.madvise(ctypes.c_void_p(start), ctypes.c_size_t(end - start), _MADV_DONTNEED) == 0:
            released += end - start
    return released


#: sent by :func:`prepare` before freezing: apps load what their workers would otherwise each build
#: on first use (the FAQ's search indexes); a receiver returns how many things it loaded
preparing = Signal()


def prepare() -> dict[str, int]:
    """Load what every worker needs, then freeze it (see the module); what was loaded."""
    from yakusho.core import textsearch
    from yakusho.core.calendar import warm_up

    warm_up()
    # the Japanese analyser's dictionary is memory-mapped: loaded here, its pages are the workers'
    textsearch.analyse("住民票の写し")
    patterns = load_urls()
    templates = load_templates()
    load_catalogues()
    loaded = {"url_patterns": patterns, "templates": templates}
    try:
        for receiver, count in preparing.send(sender=None):
            loaded[f"{receiver.__module__}.{receiver.__name__}"] = int(count or 0)
    finally:
        connections.close_all()  # a forked worker must open its own
    loaded["released_mapped_bytes"] = release_mapped_files()
    freeze()
    return loaded
