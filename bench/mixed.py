"""The mixed run: staff record KPI actuals while residents read the same plan's KPI page.

One staff client works like a browser, in a loop: it GETs the review form (with its session
cookie), reads every field of the form and the CSRF token from it, sets the KPI's actual to a new
value and POSTs the form back with the token and the cookies the server set (a 302 back to the form
is success). Right after each write it reads the public KPI page twice — once as a new visitor
(new random cookie) and once with its own staff cookie — and counts the reads that do not show the
value just recorded yet: a correctness figure, which must be 0 ("edits visible at once").

Meanwhile the other clients are residents reading the public KPI page, each request with its own
new cookie, measured like any page (requests/s, percentiles).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlencode

from loadgen import MAX_HEAD_BYTES, REQUEST_TIMEOUT, LoadResult, Response, _client, read_response
from pages import request_source, visitor_cookie

VALUE_BASE = 918_000  # recorded values are VALUE_BASE + n: numbers no demo page shows otherwise
SKIPPED_INPUTS = {"submit", "button", "file", "reset", "image"}


class FormReader(HTMLParser):
    """The fields of the ``<form>`` that holds the input named ``wanted``, as a browser would send
    them (text, hidden, checked boxes, selected options, textareas; no buttons, no files)."""

    def __init__(self, wanted: str) -> None:
        super().__init__(convert_charrefs=True)
        self.wanted = wanted
        self.forms: list[list[tuple[str, str]]] = []
        self.actions: list[str] = []
        self.found: int | None = None
        self._in_form = False
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_value: str | None = None
        self._select_first: str | None = None

    def _field(self, name: str, value: str) -> None:
        if self._in_form:
            self.forms[-1].append((name, value))
            if name == self.wanted:
                self.found = len(self.forms) - 1

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._in_form = True
            self.forms.append([])
            self.actions.append(a.get("action", ""))
        elif tag == "input" and a.get("name") and "disabled" not in a:
            kind = a.get("type", "text").lower()
            if kind in SKIPPED_INPUTS or (kind in ("checkbox", "radio") and "checked" not in a):
                return
            self._field(a["name"], a.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            self._field(self._textarea, "")
        elif tag == "select" and a.get("name"):
            self._select, self._select_value, self._select_first = a["name"], None, None
        elif tag == "option" and self._select is not None:
            value = a.get("value", "")
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self._select_value = value

    def handle_data(self, data: str) -> None:
        if self._textarea is not None and self._in_form and self.forms[-1]:
            name, value = self.forms[-1][-1]
            self.forms[-1][-1] = (name, value + data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select is not None:
            value = self._select_value if self._select_value is not None else self._select_first
            if value is not None:
                self._field(self._select, value)
            self._select = None
        elif tag == "form":
            self._in_form = False


@dataclass
class StaffResult:
    writes: int = 0
    write_latencies_ns: list[int] = field(default_factory=list)  # GET form + POST, per write
    failures: list[str] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=lambda: {"visitor": 0, "staff": 0})
    stale: dict[str, int] = field(default_factory=lambda: {"visitor": 0, "staff": 0})


async def _http(
    host: str, port: int, method: str, path: str, cookies: dict[str, str], body: bytes = b""
) -> Response:
    """One request on a new connection; the response's Set-Cookie values go into ``cookies``."""
    head = [
        f"{method} {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "User-Agent: yakusho-bench/1",
        "Accept-Language: ja",
        "Connection: close",
    ]
    if cookies:
        head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items()))
    if method == "POST":
        head += [
            f"Origin: http://{host}:{port}",
            f"Referer: http://{host}:{port}{path}",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {len(body)}",
        ]
    async with asyncio.timeout(REQUEST_TIMEOUT):
        reader, writer = await asyncio.open_connection(host, port, limit=MAX_HEAD_BYTES)
        try:
            writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body)
            await writer.drain()
            response = await read_response(reader, reused=False, keep_body=True)
        finally:
            writer.close()
    for name, value in response.headers:
        if name == "set-cookie":
            key, _, rest = value.partition("=")
            cookies[key.strip()] = rest.split(";", 1)[0]
    return response


def shows(body: bytes, value: int) -> bool:
    text = body.decode("utf-8", "replace")
    return f"{value:,}" in text or str(value) in text


async def _staff_loop(
    host: str,
    port: int,
    target: dict[str, str],
    staff_cookies: dict[str, str],
    warm_end: float,
    deadline: float,
    result: StaffResult,
) -> None:
    cookies = dict(staff_cookies)
    n = 0
    while time.perf_counter() < deadline:
        start = time.perf_counter()
        try:
            page = await _http(host, port, "GET", target["form"], cookies)
            if page.status != 200:
                result.failures.append(f"GET form: HTTP {page.status}")
                await asyncio.sleep(0.2)
                continue
            reader = FormReader(target["field"])
            reader.feed(page.body.decode("utf-8", "replace"))
            if reader.found is None:
                result.failures.append(f"the form has no field {target['field']}")
                return
            n += 1
            value = VALUE_BASE + n
            fields = [(k, str(value) if k == target["field"] else v) for k, v in reader.forms[reader.found]]
            action = reader.actions[reader.found] or target["form"]
            posted = await _http(host, port, "POST", action, cookies, urlencode(fields).encode())
            end = time.perf_counter()
            if posted.status != 302:
                result.failures.append(f"POST form: HTTP {posted.status}")
                continue
            if start >= warm_end:
                result.writes += 1
                result.write_latencies_ns.append(int((end - start) * 1e9))
            # the next request after the write, as a new visitor and as the staff member
            visitor = dict(pair.split("=", 1) for pair in visitor_cookie().split("; "))
            for who, jar in (("visitor", visitor), ("staff", dict(cookies))):
                read = await _http(host, port, "GET", target["public"], jar)
                result.checks[who] += 1
                if read.status != 200 or not shows(read.body, value):
                    result.stale[who] += 1
        except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError) as exc:
            result.failures.append(f"{type(exc).__name__}: {exc}")
            await asyncio.sleep(0.2)


async def _mixed(
    host: str,
    port: int,
    target: dict[str, str],
    staff_cookies: dict[str, str],
    residents: int,
    warmup: float,
    seconds: float,
) -> tuple[LoadResult, StaffResult]:
    warm_end = time.perf_counter() + warmup
    deadline = warm_end + seconds
    readers = LoadResult(window_start=warm_end, window_end=deadline)
    staff = StaffResult()
    source = request_source(host, port, target["public"], "visitor", "")
    async with asyncio.timeout(warmup + seconds + 4 * REQUEST_TIMEOUT):
        await asyncio.gather(
            _staff_loop(host, port, target, staff_cookies, warm_end, deadline, staff),
            *(_client(host, port, source, warm_end, deadline, readers) for _ in range(residents)),
        )
    return readers, staff


def run_mixed(
    host: str,
    port: int,
    target: dict[str, str],
    staff_cookies: dict[str, str],
    clients: int,
    warmup: float,
    seconds: float,
) -> tuple[LoadResult, StaffResult]:
    """``clients - 1`` residents read ``target["public"]`` while one staff client records actuals."""
    return asyncio.run(_mixed(host, port, target, staff_cookies, max(clients - 1, 1), warmup, seconds))


def summary(staff: StaffResult, window: float) -> dict[str, Any]:
    latencies = sorted(staff.write_latencies_ns)
    return {
        "writes": staff.writes,
        "writes_per_second": staff.writes / window if window else 0.0,
        "write_p50_ms": latencies[len(latencies) // 2] / 1e6 if latencies else None,
        "write_p99_ms": latencies[min(int(len(latencies) * 0.99), len(latencies) - 1)] / 1e6
        if latencies
        else None,
        "checks": dict(staff.checks),
        "stale_reads": dict(staff.stale),
        "failures": len(staff.failures),
        "failure_kinds": sorted(set(staff.failures))[:5],
    }
