"""A small closed-loop HTTP/1.1 load generator on raw asyncio streams.

Each client is one keep-alive connection with one request in flight: it sends a GET, reads the
status line, the headers and the body (Content-Length, chunked, or until close), and sends the
next request at once. One asyncio process keeps CPU low, which matters when client and server
share the same two cores; the request bytes are built once and the parser reads only what it must.

Every loop is bounded twice: by time (warm-up + measured seconds, a per-request timeout and an
overall watchdog) and by count (``MAX_REQUESTS_PER_CLIENT`` per run).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

REQUEST_TIMEOUT = 30.0  # seconds for one request, connection included
MAX_REQUESTS_PER_CLIENT = 1_000_000  # far above what a Django server answers in one run
ERROR_BACKOFF = 0.05  # seconds to wait after a connection-level failure, so a dead server is not spun on
MAX_HEAD_BYTES = 64 * 1024


class ProtocolError(Exception):
    """The server's answer is not an HTTP/1.x response this client understands."""


class StaleConnection(Exception):
    """A reused keep-alive connection was closed by the server before it answered."""


@dataclass
class LoadResult:
    """What one page's run measured; times are ``time.perf_counter()`` seconds."""

    window_start: float
    window_end: float
    latencies_ns: list[int] = field(default_factory=list)  # of the 200 responses in the window
    errors: Counter[str] = field(default_factory=Counter)  # non-200 statuses and failures, by kind
    body_bytes: int = 0
    client_cpu_seconds: float = 0.0  # this process's CPU time during the measured window
    counters: dict[str, float] = field(default_factory=dict)  # the probe's counters, window deltas

    @property
    def ok(self) -> int:
        return len(self.latencies_ns)

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def duration(self) -> float:
        return max(self.window_end - self.window_start, 1e-9)


RequestSource = bytes | Callable[[], bytes]  # fixed bytes, or a function making each request afresh


def build_request(host: str, port: int, path: str, cookies: dict[str, str] | None = None) -> bytes:
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "User-Agent: yakusho-bench/1",
        "Accept: text/html,application/xhtml+xml,*/*;q=0.8",
        "Accept-Language: ja",
        "Connection: keep-alive",
    ]
    if cookies:
        lines.append("Cookie: " + "; ".join(f"{name}={value}" for name, value in cookies.items()))
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def _read_chunked(reader: asyncio.StreamReader, keep: list[bytes] | None = None) -> int:
    size_total = 0
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, then the empty line
                pass
            return size_total
        chunk = await reader.readexactly(size + 2)
        if keep is not None:
            keep.append(chunk[:-2])
        size_total += size


@dataclass
class Response:
    """One response as ``read_response`` read it; ``body`` is kept only when asked for."""

    status: int
    keep_alive: bool
    size: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str:
        name = name.lower()
        return next((value for key, value in self.headers if key == name), "")


async def read_response(reader: asyncio.StreamReader, reused: bool, keep_body: bool = False) -> Response:
    """Read one response: status, whether the connection stays open, body size (and headers, body).

    Headers (names lower-cased) and the body are kept only with ``keep_body``; the load loop
    needs neither.
    """
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if reused and not exc.partial:
            raise StaleConnection from exc
        raise
    lines = head[:-4].split(b"\r\n")
    version, _, rest = lines[0].partition(b" ")
    if not version.startswith(b"HTTP/1.") or len(rest) < 3 or not rest[:3].isdigit():
        raise ProtocolError(repr(lines[0][:80]))
    status = int(rest[:3])
    keep_alive = version == b"HTTP/1.1"
    length: int | None = None
    chunked = False
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if keep_body:
            headers.append((name.decode("latin-1"), value.strip().decode("latin-1")))
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            token = value.strip().lower()
            if token == b"close":
                keep_alive = False
            elif token == b"keep-alive":
                keep_alive = True
    if status < 200 or status in (204, 304):
        return Response(status, keep_alive, 0, headers)
    if chunked:
        chunks: list[bytes] | None = [] if keep_body else None
        size = await _read_chunked(reader, chunks)
        return Response(status, keep_alive, size, headers, b"".join(chunks or []))
    if length is not None:
        body = await reader.readexactly(length)
        return Response(status, keep_alive, length, headers, body if keep_body else b"")
    body = await reader.read()  # no framing: the body runs until the server closes
    return Response(status, False, len(body), headers, body if keep_body else b"")


class KeepAlive:
    """One keep-alive HTTP/1.1 connection to one port for a flow of requests (a resident's): a
    request on a connection the server closed meanwhile is sent once more on a new one; a server
    that answers and closes (HTTP/1.0) gets a new connection for the next request."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.host = host
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def send(self, data: bytes) -> Response:
        async with asyncio.timeout(REQUEST_TIMEOUT):
            for attempt in range(2):  # one retry, only for a stale keep-alive connection
                reused = self.writer is not None
                if self.reader is None or self.writer is None:
                    self.reader, self.writer = await asyncio.open_connection(
                        self.host, self.port, limit=MAX_HEAD_BYTES
                    )
                self.writer.write(data)
                await self.writer.drain()
                try:
                    response = await read_response(self.reader, reused, keep_body=True)
                    break
                except StaleConnection:
                    self.close()
                    if attempt:
                        raise
        if not response.keep_alive:
            self.close()
        return response


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes, reused: bool
) -> tuple[int, bool, int]:
    """Send ``request`` and read one response: (status, connection stays open, body bytes)."""
    writer.write(request)
    await writer.drain()
    response = await read_response(reader, reused)
    return response.status, response.keep_alive, response.size


async def _client(
    host: str, port: int, source: RequestSource, warm_end: float, deadline: float, result: LoadResult
) -> None:
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None

    def close() -> None:
        nonlocal reader, writer
        if writer is not None:
            writer.close()
        reader = writer = None

    try:
        for _ in range(MAX_REQUESTS_PER_CLIENT):
            start = time.perf_counter()
            if start >= deadline:
                break
            counted = start >= warm_end
            request = source if isinstance(source, bytes) else source()
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    for attempt in range(2):  # one retry, only for a stale keep-alive connection
                        reused = writer is not None
                        if reader is None or writer is None:
                            reader, writer = await asyncio.open_connection(host, port, limit=MAX_HEAD_BYTES)
                        try:
                            status, keep_alive, size = await exchange(reader, writer, request, reused)
                            break
                        except StaleConnection:
                            close()
                            if attempt:
                                raise
            # TimeoutError is an OSError: caught first, it is not followed by the back-off.
            except (TimeoutError, ProtocolError, StaleConnection) as exc:
                close()
                if counted:
                    result.errors[type(exc).__name__] += 1
                continue
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
                close()
                if counted:
                    result.errors[type(exc).__name__] += 1
                await asyncio.sleep(ERROR_BACKOFF)
                continue
            end = time.perf_counter()
            if not keep_alive:
                close()
            if not counted:
                continue
            result.window_end = max(result.window_end, end)
            if status == 200:
                result.latencies_ns.append(int((end - start) * 1e9))
                result.body_bytes += size
            else:
                result.errors[f"HTTP {status}"] += 1
    finally:
        close()


Probe = Callable[[], dict[str, float]]


async def _window_probe(warm_end: float, deadline: float, result: LoadResult, probe: Probe | None) -> None:
    """Read this process's CPU time, and the probe's counters, at the start and end of the window."""
    await asyncio.sleep(max(warm_end - time.perf_counter(), 0))
    cpu0 = time.process_time()
    before = probe() if probe else {}
    await asyncio.sleep(max(deadline - time.perf_counter(), 0))
    result.client_cpu_seconds = time.process_time() - cpu0
    after = probe() if probe else {}
    result.counters = {name: after[name] - before[name] for name in before.keys() & after.keys()}


async def _run(
    host: str,
    port: int,
    request: RequestSource,
    clients: int,
    warmup: float,
    seconds: float,
    probe: Probe | None,
) -> LoadResult:
    warm_end = time.perf_counter() + warmup
    deadline = warm_end + seconds
    result = LoadResult(window_start=warm_end, window_end=deadline)
    probe_task = asyncio.create_task(_window_probe(warm_end, deadline, result, probe))
    try:
        # A request started just before the deadline may run on, but never past REQUEST_TIMEOUT.
        async with asyncio.timeout(warmup + seconds + REQUEST_TIMEOUT + 5):
            await asyncio.gather(
                *(_client(host, port, request, warm_end, deadline, result) for _ in range(clients))
            )
            await probe_task
    finally:
        probe_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await probe_task
    return result


def run_load(
    host: str,
    port: int,
    request: RequestSource,
    clients: int,
    warmup: float,
    seconds: float,
    probe: Probe | None = None,
) -> LoadResult:
    """Run ``clients`` closed-loop connections: ``warmup`` seconds unrecorded, then ``seconds`` measured.

    ``request`` is the request's bytes, or a function called before every request for new bytes
    (a new visitor's cookie on every request, say).

    Requests that start inside the measured window are recorded; throughput is their count over
    the time from the window's start to the last of them finishing. ``probe`` returns counters
    (CPU seconds, say) read at the window's start and end; their differences land in ``counters``.
    """
    return asyncio.run(_run(host, port, request, clients, warmup, seconds, probe))
