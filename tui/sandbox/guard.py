"""Read deadlines and a connection cap in front of aiohttp, which has neither: a client that
opens connections and sends a request head a byte at a time (or never) holds them for an hour
(aiohttp's keep-alive timeout), and enough of them exhaust the process's file descriptors.

``ConnectionGuard.listen`` creates the listening server itself (``loop.create_server``) with a
protocol factory that wraps each connection's aiohttp protocol (``web.Server`` is the public
factory ``AppRunner.server``): every call is passed through, and the wrapper watches the bytes
go by and the connections come and go.

- Header deadline: a request head (up to its blank line) must arrive within ``header_timeout``
  of the connection opening or of its first byte (later requests on a keep-alive connection);
  otherwise the connection is aborted. An idle keep-alive connection has no deadline.
- Body deadline: ``middleware`` (``install``) reads the whole body within ``body_timeout`` before any handler
  runs (aiohttp keeps it for ``request.read()``); otherwise 408 and the connection is closed.
- Cap: at most ``max_connections`` open (and no more than the open-files limit allows). At
  the cap, a new connection replaces the oldest idle one (one that never sent a complete
  request first, then one idle between requests); when every connection is busy it is answered
  503 and closed. So slow or idle connections cannot shut out a client that sends a request.
- ``accept()`` failing with "Too many open files" is logged once, with a table of the
  connections, then counted (``stats``) with a line at most once a minute when accepting
  resumes; asyncio's default logs a traceback per accept attempt, many per second.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from .control import json_response

log = logging.getLogger("tui.sandbox")

_ACCEPT_FAILED = "socket.accept() out of system resource"  # asyncio's message
_ACCEPT_LOG_PERIOD = 60.0  # seconds between "accepting again" lines
_FD_RESERVE = 64  # descriptors left for the state file, logs, the loop's own
_HEAD_END = b"\r\n\r\n"
_BUSY_BODY = b'{"code":0,"message":"Too many connections.","errors":{}}'
_BUSY_REPLY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(_BUSY_BODY), _BUSY_BODY)
)


def _open_files_limit() -> int | None:
    try:
        import resource
    except ImportError:  # not on Windows
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else int(soft)


class _Connection(asyncio.Protocol):
    """One accepted connection: aiohttp's protocol inside, deadlines and state outside."""

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self.guard = guard
        self.inner = inner
        self.transport: asyncio.Transport | None = None
        self.admitted = False
        self.served = False  # a complete request head was seen
        self.busy = False  # a request is being read or handled (WebSocket: until it closes)
        self._tail = b""  # the last bytes of a head being read (its end may straddle reads)
        self._deadline: asyncio.TimerHandle | None = None

    # -- asyncio.Protocol ----------------------------------------------------------------------
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        if not self.guard.admit(self):
            transport.write(_BUSY_REPLY)
            transport.close()
            return
        self.admitted = True
        self.inner.connection_made(transport)
        self._arm()  # a connection that never sends a request is cut too

    def data_received(self, data: bytes) -> None:
        if not self.admitted:
            return  # refused: the 503 is on its way, the connection closing
        if not self.busy:
            if self._deadline is None:
                self._arm()
            seen = self._tail + data
            if _HEAD_END in seen:
                self.served = self.busy = True
                self._disarm()
                self._tail = b""
            else:
                self._tail = seen[-3:]
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.admitted else None

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self.guard.forget(self)
        if self.admitted:
            self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()

    # -- deadlines -----------------------------------------------------------------------------
    def request_done(self) -> None:
        """The current request was handled: the next head gets a deadline from its first byte."""
        self.busy = False
        self._tail = b""

    def abort(self) -> None:
        if self.transport is not None:
            self.transport.abort()

    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        self._deadline = loop.call_later(self.guard.header_timeout, self._expired)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self) -> None:
        self._deadline = None
        self.guard.stats["header timeouts"] += 1
        self.abort()


class ConnectionGuard:
    def __init__(self, *, header_timeout: float, body_timeout: float, max_connections: int) -> None:
        self.header_timeout = header_timeout
        self.body_timeout = body_timeout
        self.max_connections = max_connections
        self._open: dict[_Connection, None] = {}  # in opening order
        self._by_transport: dict[Any, _Connection] = {}
        self._listener: asyncio.AbstractServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._previous_handler: Callable[..., Any] | None = None
        self._accept_errors = 0  # since the last log line
        self._accept_logged_at = 0.0
        self.stats = {
            "header timeouts": 0,
            "body timeouts": 0,
            "idle dropped at the cap": 0,
            "refused at the cap": 0,
            "accept errors": 0,
        }

    @property
    def cap(self) -> int:
        limit = _open_files_limit()
        if limit is None:
            return self.max_connections
        return max(1, min(self.max_connections, limit - _FD_RESERVE))

    @property
    def open_connections(self) -> int:
        return len(self._open)

    async def listen(
        self, server: web.Server, host: str, port: int, backlog: int = 128
    ) -> asyncio.AbstractServer:
        loop = asyncio.get_running_loop()
        self._listener = await loop.create_server(
            lambda: _Connection(self, server()), host or None, port, backlog=backlog
        )
        self._loop = loop
        self._previous_handler = loop.get_exception_handler()
        loop.set_exception_handler(self._exception_handler)
        return self._listener

    def addresses(self) -> list[Any]:
        listener = self._listener
        sockets = getattr(listener, "sockets", None) or []
        return [s.getsockname() for s in sockets]

    def close(self) -> None:
        """Stop listening (open connections are aiohttp's to shut down)."""
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if self._loop is not None:
            if self._loop.get_exception_handler() == self._exception_handler:
                self._loop.set_exception_handler(self._previous_handler)
            self._loop = None

    # -- connections ---------------------------------------------------------------------------
    def admit(self, conn: _Connection) -> bool:
        now = time.monotonic()
        if self._accept_errors and now - self._accept_logged_at >= _ACCEPT_LOG_PERIOD:
            log.warning(
                "sandbox: accepting connections again after %d failed accepts (%d in all)",
                self._accept_errors,
                self.stats["accept errors"],
            )
            self._accept_errors = 0
            self._accept_logged_at = now
        if len(self._open) >= self.cap:
            victim = next((c for c in self._open if not c.busy and not c.served), None)
            victim = victim or next((c for c in self._open if not c.busy), None)
            if victim is None:
                self._count("refused at the cap")
                return False
            self._count("idle dropped at the cap")
            self.forget(victim)
            victim.abort()
        self._open[conn] = None
        assert conn.transport is not None
        self._by_transport[conn.transport] = conn
        return True

    def forget(self, conn: _Connection) -> None:
        self._open.pop(conn, None)
        if conn.transport is not None and self._by_transport.get(conn.transport) is conn:
            del self._by_transport[conn.transport]

    def _count(self, what: str) -> None:
        self.stats[what] += 1
        if self.stats[what] == 1:
            log.warning(
                "sandbox: %d connections open (the cap): %s (further ones are counted, "
                "see ConnectionGuard.stats)",
                len(self._open),
                what,
            )

    # -- the app's side: the body deadline, the end of each request ----------------------------
    def install(self, app: web.Application) -> None:
        """Add the body-deadline middleware (innermost so far: after the error middleware, so
        a 413 from the read is answered as before) and the end-of-request signal."""
        app.middlewares.append(self.middleware)
        app.on_response_prepare.append(self._response_prepared)

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Read the body within ``body_timeout`` (408 otherwise), then run the handler."""
        if request.body_exists:
            try:
                async with asyncio.timeout(self.body_timeout):
                    await request.read()  # kept by aiohttp for the handler's read()
            except TimeoutError:
                self.stats["body timeouts"] += 1
                response = json_response(
                    {"code": 0, "message": "Request body timeout.", "errors": {}}, 408
                )
                response.force_close()
                return response
        answer: web.StreamResponse = await handler(request)
        return answer

    async def _response_prepared(self, request: web.Request, response: web.StreamResponse) -> None:
        """Every answer, whoever made it (handler, fault, error middleware): the request is
        over, and the next head's deadline starts with its first byte. A WebSocket (101) stays
        busy until it closes."""
        conn = self._by_transport.get(request.transport)
        if conn is not None and response.status != 101:
            conn.request_done()

    # -- accept() failures ---------------------------------------------------------------------
    def _exception_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if context.get("message") == _ACCEPT_FAILED and isinstance(exc, OSError):
            self.stats["accept errors"] += 1
            self._accept_errors += 1
            if self.stats["accept errors"] == 1:
                log.error("%s", self._accept_table(exc))
                self._accept_logged_at = time.monotonic()
            return
        if self._previous_handler is not None:
            self._previous_handler(loop, context)
        else:
            loop.default_exception_handler(context)

    def _accept_table(self, exc: OSError) -> str:
        name = errno.errorcode.get(exc.errno or 0, str(exc.errno))
        idle_new = sum(1 for c in self._open if not c.busy and not c.served)
        idle_kept = sum(1 for c in self._open if not c.busy and c.served)
        rows = [
            ("open connections", str(len(self._open))),
            ("  busy (a request or a WebSocket)", str(len(self._open) - idle_new - idle_kept)),
            ("  idle, no request yet", str(idle_new)),
            ("  idle between requests", str(idle_kept)),
            ("connection cap", str(self.cap)),
            ("open files limit", str(_open_files_limit() or "unlimited")),
            *((what, str(n)) for what, n in self.stats.items()),
        ]
        width = max(len(r[0]) for r in rows)
        head = (
            f"sandbox: cannot accept connections: {exc.strerror or exc} ({name}); asyncio "
            "retries every second; further failures are counted, not logged:"
        )
        lines = [head]
        lines += [f"  {what:<{width}}  {value}" for what, value in rows]
        return "\n".join(lines)
