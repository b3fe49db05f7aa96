"""Each request's id, its line in the log and its operator metrics (docs/monitoring.md).

:class:`RequestMiddleware` (the outermost middleware) gives every request an id — the incoming
``X-Request-ID`` when it is a safe token, a new one otherwise — and echoes it in the response. It
times the request and the queries it makes, counts them in the operator metrics when those are on
(:mod:`yakusho.core.opsmetrics`), and writes one line on the ``yakusho.request`` logger at INFO:
method, view (the URL name, never the path), status, duration, the signed-in user's numeric id and
the municipality's slug. Never the path or query string, form data, cookies or an e-mail address.

:class:`RequestContext` (a logging filter on the handler) puts the request id on every record logged
while the request runs, so that an exception's traceback can be found from the request it broke.

:class:`JsonLineFormatter` (``YAKUSHO_LOG_FORMAT=json``) writes one JSON object a line with only the
fields of :data:`JSON_FIELDS`: whatever else a record carries (Django's ``request`` object, with its
query string) stays out.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.utils.functional import empty
from pythonjsonlogger.json import JsonFormatter

from yakusho.core import opsmetrics

log = logging.getLogger("yakusho.request")

HEADER = "X-Request-ID"
#: an incoming request id is kept when it is this (else a new one is made)
SAFE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "yakusho_request_id", default=None
)


def request_id_for(request: HttpRequest) -> str:
    given = request.META.get("HTTP_X_REQUEST_ID", "")
    return given if isinstance(given, str) and SAFE_ID.match(given) else uuid.uuid4().hex


class QueryTimer:
    """``connection.execute_wrapper``: the time spent in queries and their number."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.queries = 0

    def __call__(self, execute: Callable[..., Any], sql: Any, params: Any, many: bool, context: Any) -> Any:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.queries += 1

    @contextmanager
    def timing(self) -> Iterator[QueryTimer]:
        with ExitStack() as stack:
            for connection in connections.all():
                stack.enter_context(connection.execute_wrapper(self))
            yield self


def view_label(request: HttpRequest) -> str:
    """The URL name of the view that answered (``plans:kpi_list``): a bounded label, never the path."""
    match = getattr(request, "resolver_match", None)
    if match is not None:
        return str(match.view_name)
    static = getattr(settings, "STATIC_URL", None) or "/static/"
    return opsmetrics.STATIC if request.path_info.startswith(static) else opsmetrics.UNRESOLVED


def user_id(request: HttpRequest) -> int | None:
    """The signed-in user's id — only if the request already looked them up (no query for a log)."""
    user = getattr(request, "user", None)
    if user is None or getattr(user, "_wrapped", None) is empty:
        return None
    return user.pk if user.is_authenticated else None


def municipality(request: HttpRequest) -> str | None:
    match = getattr(request, "resolver_match", None)
    slug = match.kwargs.get("municipality") if match is not None else None
    return slug if isinstance(slug, str) else None


class RequestMiddleware:
    """Request id, request line and request metrics. Outermost, so that its time is the whole stack's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = request_id_for(request)
        request.request_id = rid  # type: ignore[attr-defined]
        token = request_id_var.set(rid)
        metrics = opsmetrics.enabled()
        logging_on = log.isEnabledFor(logging.INFO)
        try:
            start = time.perf_counter()
            if metrics or logging_on:
                timer = QueryTimer()
                with timer.timing():
                    response = self.get_response(request)
            else:
                timer = None
                response = self.get_response(request)
            response[HEADER] = rid
            if timer is not None:
                self._record(request, response, time.perf_counter() - start, timer, metrics, logging_on)
            return response
        finally:
            request_id_var.reset(token)

    def _record(
        self,
        request: HttpRequest,
        response: HttpResponse,
        seconds: float,
        timer: QueryTimer,
        metrics: bool,
        logging_on: bool,
    ) -> None:
        view = view_label(request)
        method = opsmetrics.method_label(request.method)
        if metrics:
            opsmetrics.observe_request(
                view, method, response.status_code, seconds, timer.seconds, timer.queries
            )
        if logging_on:
            duration_ms = round(seconds * 1000, 1)
            log.info(
                "%s %s %s %sms",
                method,
                view,
                response.status_code,
                duration_ms,
                extra={
                    "user_id": user_id(request),
                    "municipality": municipality(request),
                    "view": view,
                    "method": method,
                    "status": response.status_code,
                    "duration_ms": duration_ms,
                    "db_ms": round(timer.seconds * 1000, 1),
                    "db_queries": timer.queries,
                },
            )


class RequestContext(logging.Filter):
    """Puts the current request's id on every record (``request_id``; absent outside a request).

    Django logs a 4xx or 5xx answer ("Not Found: …") after the middleware has returned, with the
    request on the record: its id is taken from there."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            rid = request_id_var.get() or getattr(getattr(record, "request", None), "request_id", None)
            if isinstance(rid, str):
                record.request_id = rid
        return True


#: the only fields a JSON log line holds
JSON_FIELDS = (
    "time",
    "level",
    "logger",
    "message",
    "request_id",
    "user_id",
    "municipality",
    "view",
    "method",
    "status",
    "duration_ms",
    "db_ms",
    "db_queries",
    "exc_info",
    "stack_info",
)


class JsonLineFormatter(JsonFormatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message and the request's fields."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("fmt", "{levelname}{name}{message}")
        kwargs.setdefault("style", "{")
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", "time")
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {key: log_data[key] for key in JSON_FIELDS if log_data.get(key) is not None}
