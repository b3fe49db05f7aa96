"""Rendered public pages, cached under a key of what the page depends on (docs/architecture.md,
"Shared state and caching").

The key is the path and sorted query string, the language, who the visitor is where that changes
the page (anonymous visitors share entries; a signed-in user has entries of their own), and the
*data version* of what the page shows — never the raw ``Cookie`` header, so an unrelated cookie
does not make a miss.

Data versions are tokens kept in the ``default`` cache (the database, or Redis when configured),
where every server process reads them: one per municipality (its pages, ``/m/<slug>/…``) and one
global (pages across municipalities: the public home, ``/compare/``, consortium pages). A save or
delete of a model of the apps in ``YAKUSHO_PAGE_DATA_APPS`` (plans, metrics) or of core's
municipality data replaces its municipality's token and the global one when the transaction
commits, so the very next request in any process builds the page again. A change that cannot be
placed in one municipality replaces the *generation* token, which is part of every key.

Only a GET or HEAD answered 200 is stored, and only when building it set no cookie, used no CSRF
token, changed no session and showed no message: such a page is the visitor's own.

Pages are kept per process (``pages``), and one process leaves what it built for the others in the
``built-pages`` cache (a database table): a process that misses a page takes it from there, and
while one process builds a page (it claims the key there) the others wait for it. So after a change
one process in the server builds each page, not every worker, and a worker that never built the
2,000-node plan's pages does not carry the memory their building leaves behind. Within a process,
one thread builds at a time (:func:`one_build_at_a_time`).
"""

from __future__ import annotations

import hashlib
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponseBase
from django.utils import translation
from django.utils.cache import patch_cache_control

from yakusho.core import prefork
from yakusho.core.oncommit import forget, once_on_commit

#: how long a rendered page is kept; it is never stale (its key carries the data version), so this
#: only bounds memory
PAGE_SECONDS = 10 * 60
_GENERATION = "yakusho:pagever:gen"
_GLOBAL = "yakusho:pagever:all"
_PREFIX = "yakusho:page:"


def _version_key(slug: str | None) -> str:
    if slug is None:
        return _GLOBAL
    # a URL may name anything: a digest keeps the key short and plain for every cache backend
    return "yakusho:pagever:m:" + hashlib.sha256(slug.encode()).hexdigest()[:24]


def _new_token() -> str:
    return uuid.uuid4().hex[:12]


def version_tokens(keys: list[str]) -> list[str]:
    """The tokens under ``keys`` in the shared ``default`` cache (one read): a token missing (never
    set, or culled) is set to a new random one, so what was kept under an earlier token can never
    match again. Also used by other kept things (the FAQ's search index)."""
    cache = caches["default"]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            cache.add(key, _new_token(), None)
            found[key] = cache.get(key) or _new_token()
    return [str(found[key]) for key in keys]


def data_versions(slug: str | None) -> tuple[str, str]:
    """The generation and the version of ``slug``'s data (or the global one): one cache read."""
    generation, version = version_tokens([_GENERATION, _version_key(slug)])
    return generation, version


def page_key(request: HttpRequest, slug: str | None, extra: str = "") -> str:
    """The cache key of the page ``request`` asks for (see the module); ``extra`` is what else the
    page depends on (a view's ``vary``)."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        verified = getattr(user, "is_verified", None)
        who = f"u{user.pk}:{int(bool(verified())) if callable(verified) else 0}"
    else:
        who = "anon"
    query = sorted((k, v) for k, values in request.GET.lists() for v in values)
    parts = [request.path, repr(query), translation.get_language() or "", who, extra, *data_versions(slug)]
    return _PREFIX + hashlib.sha256("\x00".join(parts).encode()).hexdigest()


def _has_pending_messages(request: HttpRequest) -> bool:
    if request.COOKIES.get("messages"):
        return True
    session = getattr(request, "session", None)
    return session is not None and "_messages" in session


def storable(request: HttpRequest, response: HttpResponseBase) -> bool:
    """Whether ``response`` is the same for everyone sharing its key: a 200 that sets no cookie,
    holds no CSRF token, changed no session and showed or queued no message."""
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    if request.META.get("CSRF_COOKIE_NEEDS_UPDATE"):  # get_token() was called: a {% csrf_token %}
        return False
    session = getattr(request, "session", None)
    if session is not None and session.modified:
        return False
    storage = getattr(request, "_messages", None)
    if storage is not None and (storage.used or getattr(storage, "_queued_messages", None)):
        return False
    cache_control = response.get("Cache-Control", "")
    return "private" not in cache_control and "no-store" not in cache_control


Vary = Callable[..., str]

_locks_guard = threading.Lock()
#: keys whose last build could not be stored (insertion-ordered, the oldest dropped first)
_not_stored: dict[str, None] = {}
_NOT_STORED_MAX = 1000
_locks: weakref.WeakValueDictionary[str, threading.Lock] = weakref.WeakValueDictionary()
_one_build = threading.RLock()
#: how many builds the thread holding ``_one_build`` is inside (only that thread changes it)
_build_depth = 0
#: give the heap's free pages back after each outermost build (:func:`one_build_at_a_time`)
TRIM_AFTER_BUILD = True


@contextmanager
def one_build_at_a_time() -> Iterator[None]:
    """Hold this process's lock for building something large to keep (a page to store, a plan's
    summary): the process's threads build one at a time.

    Building such a thing is Python work under the interpreter's lock, so threads building at once
    gain little time; but each holds its own temporaries (the rows and objects of a 5,000-KPI plan),
    and the allocator keeps the peak of them all. Measured on the 2,000-node plan: its four pages
    built by four threads at once left a process 69 MB larger, one after another 21 MB
    (docs/operations.md, "Sizing"). Re-entrant: a build may call another. When the outermost
    build ends, the heap's free pages go back to the system (:func:`prefork.trim_heap`)."""
    global _build_depth
    with _one_build:
        _build_depth += 1
        try:
            yield
        finally:
            _build_depth -= 1
            if _build_depth == 0 and TRIM_AFTER_BUILD:
                prefork.trim_heap()


@contextmanager
def _building(key: str) -> Iterator[None]:
    """Hold this process's lock for building the page under ``key`` (one lock per key)."""
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = threading.Lock()
    with lock:
        yield


def cache_public_page(
    view: Callable[..., HttpResponseBase] | None = None, *, vary: Vary | None = None
) -> Any:
    """Serve a GET from the page cache under :func:`page_key`; store what :func:`storable` allows.

    The page's data version is its municipality's when the URL names one (``municipality``), else
    the global one. A page that also changes with the time of day says so with ``vary``, called with
    the view's arguments: what it returns is part of the key (e.g. the date and whether the offices
    are open, :func:`yakusho.core.office.office_phase`). Used bare (``@cache_public_page``) or with
    ``vary`` (``@cache_public_page(vary=…)``)."""
    if view is None:
        return lambda actual: cache_public_page(actual, vary=vary)

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD") or _has_pending_messages(request):
            return view(request, *args, **kwargs)
        slug = kwargs.get("municipality")
        extra = vary(request, *args, **kwargs) if vary is not None else ""
        key = page_key(request, slug if isinstance(slug, str) else None, extra)

        def build() -> HttpResponseBase:
            return _render(view, request, *args, **kwargs)

        def keep(response: HttpResponseBase) -> bool:
            return _judged_storable(request, key, response)

        if key in _not_stored:  # this visitor's page was their own last time: nothing to wait for
            cached = caches["pages"].get(key)
            if cached is not None:
                return cached
            response = build()
            if keep(response):
                _keep(key, response, PAGE_SECONDS, _shared())
            return response
        # right after a change every reader misses at once: one builds, the others take its page
        page: HttpResponseBase = _once(key, build, keep=keep)
        return page

    return wrapped


# --- pages built by another process -------------------------------------------------------------

#: the cache where processes leave the pages they built for each other (settings: a table of its
#: own); absent where the pages cache is itself shared (Redis) — then nothing more is needed
SHARED = "built-pages"
#: how long a process waits for the page another process said it is building before building it
#: itself (the 2,000-node plan's overview takes about 0.6 s)
WAIT_SECONDS = 5.0
_POLL_SECONDS = 0.05
#: how long a claim stands if its process died while building
_CLAIM_SECONDS = 30
_CLAIM = "claim:"


def _shared() -> Any:
    return caches[SHARED] if SHARED in settings.CACHES else None


def _built_elsewhere(shared: Any, key: str) -> tuple[Any, bool]:
    """What is under ``key`` in the ``shared`` cache as another process built it (waiting for it
    while another process holds the claim to build it), or None: this process builds it; and
    whether this process now holds the claim (which it deletes when done)."""
    if shared is None:
        return None, False
    page = shared.get(key)
    if page is not None:
        return page, False
    if shared.add(_CLAIM + key, 1, _CLAIM_SECONDS):
        return None, True
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)
        found = shared.get_many([key, _CLAIM + key])
        if key in found:
            return found[key], False
        if _CLAIM + key not in found:  # given up: its page could not be stored, or it failed
            break
    return None, False


def built_once(key: str, build: Callable[[], Any], seconds: int = PAGE_SECONDS) -> Any:
    """What ``build()`` returns, kept under ``key`` in this process and built by one process of the
    server: one thread at a time, and a process that misses takes it from the ``built-pages`` table
    when another process built it (or waits while another builds it). For something costly that
    many pages show, like a plan's progress counts; ``key`` must carry the data's version, as page
    keys do. ``build`` must not return None."""
    return _once(key, build, seconds=seconds)


def _once(
    key: str,
    build: Callable[[], Any],
    *,
    keep: Callable[[Any], bool] = lambda value: True,
    seconds: int = PAGE_SECONDS,
) -> Any:
    """The one way things are built here (pages and :func:`built_once`): what this process keeps
    under ``key``; else, under the key's lock, what another thread or process built meanwhile;
    else ``build()`` under :func:`one_build_at_a_time`, kept here and left for the other processes
    when ``keep(value)`` says it may be. The claim taken in the shared table is released whatever
    happens, so a process waiting for it stops waiting."""
    local = caches["pages"]
    value = local.get(key)
    if value is not None:
        return value
    with _building(key):
        value = local.get(key)
        if value is not None:
            return value
        shared = _shared()
        value, claimed = _built_elsewhere(shared, key)
        if value is not None:
            local.set(key, value, seconds)
            return value
        try:
            with one_build_at_a_time():
                value = build()
            if keep(value):
                _keep(key, value, seconds, shared)
        finally:
            if claimed:
                shared.delete(_CLAIM + key)
    return value


def _keep(key: str, value: Any, seconds: int, shared: Any) -> None:
    caches["pages"].set(key, value, seconds)
    if shared is not None:
        shared.set(key, value, seconds)


def _render(
    view: Callable[..., HttpResponseBase], request: HttpRequest, *args: Any, **kwargs: Any
) -> HttpResponseBase:
    response = view(request, *args, **kwargs)
    render = getattr(response, "render", None)
    if callable(render) and not getattr(response, "is_rendered", True):
        response = render()
    # browsers ask again each time: a change must show on the next request
    patch_cache_control(response, no_cache=True)
    return response


def _judged_storable(request: HttpRequest, key: str, response: HttpResponseBase) -> bool:
    """:func:`storable`, remembered: a key whose page could not be stored is built at once next
    time, without waiting on the key's lock or another process's claim."""
    if storable(request, response):
        _not_stored.pop(key, None)
        return True
    with _locks_guard:
        _not_stored[key] = None
        while len(_not_stored) > _NOT_STORED_MAX:
            del _not_stored[next(iter(_not_stored))]
    return False


# --- data versions ------------------------------------------------------------------------------


def changed(*slugs: str | None) -> None:
    """Replace the versions of the ``slugs``' pages and the global one (every page when one of them
    is None) now, in one cache write; :func:`changed_on_commit` is what receivers call."""
    tokens = {_GLOBAL: _new_token()}
    if None in slugs:
        tokens[_GENERATION] = _new_token()
    else:
        tokens.update({_version_key(slug): _new_token() for slug in slugs if slug is not None})
    caches["default"].set_many(tokens, None)


_PENDING = "_yakusho_pages_changed"


def changed_on_commit(slug: str | None, using: str = "default") -> None:
    """Replace ``slug``'s version when the transaction commits (at once outside one), once per
    transaction however many rows it saved (``core.oncommit``)."""
    once_on_commit(_PENDING, slug, lambda slugs: changed(*slugs), using)


def forget_pending(using: str = "default") -> None:
    """Drop the connection's pending versions (tests: data loaded in a transaction that is never
    committed left them, and a later test's commit callbacks would write them)."""
    forget(_PENDING, using)


def _municipality_model() -> type[models.Model]:
    return apps.get_model("core", "Municipality")


_paths: dict[type[models.Model], list[models.ForeignKey[Any, Any]] | None] = {}


def _path_to_municipality(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]] | None:
    """The shortest chain of foreign keys from ``model`` to the municipality (None without one)."""
    if model in _paths:
        return _paths[model]
    target = _municipality_model()
    queue: deque[tuple[type[models.Model], list[models.ForeignKey[Any, Any]]]] = deque([(model, [])])
    seen = {model}
    found = None
    while queue:
        current, path = queue.popleft()
        if len(path) >= 5:
            continue
        fields = [f for f in current._meta.get_fields() if isinstance(f, models.ForeignKey)]
        # a field named "municipality" first: it is what the row is about
        for field in sorted(fields, key=lambda f: f.name != "municipality"):
            related = field.related_model
            if related is target:
                found = [*path, field]
                break
            if isinstance(related, type) and related not in seen:
                seen.add(related)
                queue.append((related, [*path, field]))
        if found:
            break
    _paths[model] = found
    return found


def municipality_slug(instance: models.Model) -> str | None:
    """The URL name of the municipality ``instance`` belongs to (one query at most, none when the row
    holds its municipality already), or None."""
    target = _municipality_model()
    if isinstance(instance, target):
        return None  # the municipality itself: lists and names everywhere change
    path = _path_to_municipality(type(instance))
    if not path:
        return None
    first = path[0]
    value = getattr(instance, first.attname)
    if value is None:
        return None
    if len(path) == 1 and first.is_cached(instance):  # the row holds its municipality already
        return str(getattr(instance, first.name).slug)
    rest = "__".join(f.name for f in path[1:])
    lookup = f"{rest}__slug" if rest else "slug"
    model = first.related_model
    assert isinstance(model, type)
    slug = model._default_manager.filter(pk=value).values_list(lookup, flat=True).first()
    return str(slug) if slug is not None else None


def _on_change(sender: type[models.Model], instance: models.Model, using: str, **kwargs: Any) -> None:
    # loaddata (raw): related rows may not exist yet, so every page is built again
    changed_on_commit(None if kwargs.get("raw") else municipality_slug(instance), using)


def watched_models() -> list[type[models.Model]]:
    """The models whose rows public pages show: every model of ``YAKUSHO_PAGE_DATA_APPS`` (by app
    label, so core imports none of them) and core's municipality data."""
    labels = getattr(settings, "YAKUSHO_PAGE_DATA_APPS", ("plans", "metrics"))
    found: list[type[models.Model]] = []
    for label in labels:
        try:
            found.extend(apps.get_app_config(label).get_models())
        except LookupError:
            continue
    for name in ("Municipality", "Department", "Membership", "Closure"):
        found.append(apps.get_model("core", name))
    return found


def connect() -> None:
    """Connect the receivers that replace data versions (called once from ``CoreConfig.ready``)."""
    for model in watched_models():
        post_save.connect(_on_change, sender=model, dispatch_uid=f"pagecache-save-{model._meta.label}")
        post_delete.connect(_on_change, sender=model, dispatch_uid=f"pagecache-delete-{model._meta.label}")
