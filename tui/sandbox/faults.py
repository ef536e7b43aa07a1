"""Fault hooks: the sandbox misbehaves on demand, like real exchanges do.

WhiteBIT has no testnet, so the sandbox is where the desk rehearses faults. Tests use the Python
API (``sb.faults``, ``sb.recorder``); other processes use the loopback-only control endpoint
``POST /sandbox/faults`` with the same fields (``GET /sandbox/faults`` reports)::

    await sb.faults.inject("http_delay", path="/api/v4/order/collateral/limit", seconds=2)
    await sb.faults.inject("ws_abort")
    sb.recorder.orders["my-client-id"]     # -> [order id, ...] (``recorder``: what was received)

HTTP faults are *armed*: each fires on the next ``times`` requests whose path starts with
``path`` (every REST path when ``path`` is empty; never ``/ws`` or ``/sandbox/*``):

=================== =================================================================================
``http_delay``      run the request (the order is committed), then hold the answer ``seconds``
                    (past the client's timeout: the response is lost)
``http_reset``      reset the TCP connection (RST) after the headers, before reading the body: the
                    request never reaches the exchange. ``commit=True``: run it first, then reset
``http_429_rate``   HTTP 429 with the gateway's rate-limit body: HTML, not JSON (spec section 3),
                    so it cannot be mistaken for the nonce answer below
``http_429_nonce``  HTTP 429 ``{"code":0,"errors":{},"message":"Too many requests."}`` (bad nonce)
``http_500``        HTTP 500 ``{"error":["Internal server error."]}`` (``commit=True``: after running)
``http_503``        HTTP 503 with a non-JSON (HTML) body (``commit=True``: after running)
=================== =================================================================================

WebSocket faults act at once on the connections open now (all, or the ``times`` newest):

=================== =================================================================================
``ws_abort``        drop the TCP connection without a close frame
``ws_stall``        keep the connection open but send nothing more (no pushes, no replies)
``ws_invalid_json`` send a frame that is not JSON
``ws_missing_fields`` send a ``positionsMargin_update`` whose record lacks required fields
``ws_oversized``    send a valid JSON frame of ``size`` bytes (default 8 MiB)
=================== =================================================================================

``nonce_ahead`` moves the server's last nonce for ``key`` (default: the sandbox key) ``ms`` ahead
of the server clock, as if another process had used the key with a clock ahead of ours.

The idle close (WhiteBIT: 60 s without a client message) runs on ``SandboxConfig.ws_clock`` when
given, so a test can simulate minutes with a fast clock (:class:`WarpClock`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .recorder import ORDER_PATHS, WsRecord

if TYPE_CHECKING:
    from .server import SandboxServer

HTTP_KINDS = (
    "http_delay",
    "http_reset",
    "http_429_rate",
    "http_429_nonce",
    "http_500",
    "http_503",
)
WS_KINDS = ("ws_abort", "ws_stall", "ws_invalid_json", "ws_missing_fields", "ws_oversized")
OTHER_KINDS = ("nonce_ahead",)
KINDS = HTTP_KINDS + WS_KINDS + OTHER_KINDS

RATE_LIMIT_TEXT = "<html><body><h1>429 Too Many Requests</h1></body></html>"
UNAVAILABLE_TEXT = "<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>"
NONCE_BODY = {"code": 0, "errors": {}, "message": "Too many requests."}
INTERNAL_BODY = {"error": ["Internal server error."]}
DEFAULT_OVERSIZE = 8 * 1024 * 1024
MAX_SECONDS = 600  # longest http_delay


class FaultError(ValueError):
    """A fault request that makes no sense (unknown kind, bad parameter)."""


class WarpClock:
    """A monotonic clock running ``factor`` times faster than wall time (for idle-timeout drills:
    ``WarpClock(100)`` turns a 60 s timeout into 0.6 s of waiting)."""

    def __init__(self, factor: float) -> None:
        if factor <= 0:
            raise ValueError("factor must be positive")
        self.factor = float(factor)
        self._start = time.monotonic()

    def __call__(self) -> float:
        return (time.monotonic() - self._start) * self.factor

    def wall(self, simulated: float) -> float:
        """Wall seconds that ``simulated`` seconds take on this clock."""
        return simulated / self.factor


@dataclass
class Fault:
    kind: str
    path: str = ""
    times: int = 1
    seconds: float = 0.0
    size: int = DEFAULT_OVERSIZE
    commit: bool = False
    fired: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "path": self.path,
            "times": self.times,
            "seconds": repr(self.seconds),  # a duration; the wire never carries floats
            "size": self.size,
            "commit": self.commit,
            "fired": self.fired,
        }


class Faults:
    """Armed HTTP faults and WebSocket actions for one sandbox (``sb.faults``)."""

    def __init__(self, server: SandboxServer) -> None:
        self._server = server
        self.armed: list[Fault] = []
        self.fired = 0  # faults that actually happened (HTTP hits + WS connections hit)
        self.log: list[tuple[str, str]] = []  # (kind, path or connection note), in order

    # -- API -------------------------------------------------------------------------------------
    async def inject(
        self,
        kind: str,
        *,
        path: str = "",
        times: int = 1,
        seconds: float = 0.0,
        size: int = DEFAULT_OVERSIZE,
        commit: bool = False,
        key: str | None = None,
        ms: int = 0,
    ) -> Fault:
        if kind not in KINDS:
            raise FaultError(f"unknown fault kind {kind!r} (known: {', '.join(KINDS)})")
        if not isinstance(times, int) or isinstance(times, bool) or times < 1:
            raise FaultError("times must be a positive integer")
        if not 0 <= seconds <= MAX_SECONDS:  # also False for NaN
            raise FaultError(f"seconds must be between 0 and {MAX_SECONDS}")
        if size < 1 or size > 64 * 1024 * 1024:
            raise FaultError("size must be between 1 byte and 64 MiB")
        if path and not path.startswith("/"):
            raise FaultError("path must start with '/'")
        fault = Fault(kind, path=path, times=times, seconds=seconds, size=size, commit=commit)
        if kind in HTTP_KINDS:
            self.armed.append(fault)
        elif kind == "nonce_ahead":
            self._nonce_ahead(key or self._server.config.api_key, ms)
            self._fired(fault, "nonce")
        else:
            await self._ws_fault(fault)
        return fault

    def clear(self) -> None:
        """Disarm every pending fault (stalled connections stay stalled until they close)."""
        self.armed.clear()

    def report(self) -> dict[str, Any]:
        return {
            "armed": [f.as_dict() for f in self.armed],
            "fired": self.fired,
            "log": [list(x) for x in self.log],
            "recorder": self._server.recorder.summary(),
        }

    # -- HTTP ------------------------------------------------------------------------------------
    def _take(self, path: str) -> Fault | None:
        if path == "/ws" or path.startswith("/sandbox/"):
            return None
        for fault in self.armed:
            if path.startswith(fault.path or "/api/"):
                fault.fired += 1
                if fault.fired >= fault.times:
                    self.armed.remove(fault)
                self._fired(fault, path)
                return fault
        return None

    def _fired(self, fault: Fault, where: str) -> None:
        self.fired += 1
        self.log.append((fault.kind, where))

    @web.middleware
    async def middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        """Outermost middleware: records every request and applies armed HTTP faults."""
        if request.path.startswith("/sandbox/") or request.path == "/ws":
            return await handler(request)
        recorder = self._server.recorder
        record = recorder.begin(request)
        fault = self._take(request.path)
        record.fault = fault.kind if fault else None
        response: web.StreamResponse | None = None
        try:
            if fault is None:
                response = await handler(request)
                return response
            kind = fault.kind
            if kind == "http_reset" and not fault.commit:
                _reset(request)
            if kind == "http_429_rate":
                response = web.Response(status=429, text=RATE_LIMIT_TEXT, content_type="text/html")
                return response
            if kind == "http_429_nonce":
                response = web.json_response(NONCE_BODY, status=429)
                return response
            if kind in ("http_500", "http_503") and not fault.commit:
                response = _server_error(kind)
                return response
            # Faults that let the request run first (the order is committed), then lose the answer.
            response = await handler(request)
            recorder.finish(record, request, response)
            if kind == "http_delay":
                await asyncio.sleep(fault.seconds)
                return response
            if kind == "http_reset":
                response = None
                _reset(request)
            response = _server_error(kind)
            record.status = response.status
            return response
        finally:
            if response is not None and record.status is None:
                recorder.finish(record, request, response)

    # -- WebSocket -------------------------------------------------------------------------------
    async def _ws_fault(self, fault: Fault) -> None:
        targets = [
            c
            for c in self._server.recorder.ws
            if c.open and (fault.kind == "ws_abort" or not c.stalled)
        ]
        targets = targets[-fault.times :] if fault.times < len(targets) else targets
        for conn in targets:
            self._fired(fault, f"ws#{self._server.recorder.ws.index(conn)}")
            if fault.kind == "ws_abort":
                _abort(conn.transport)
            elif fault.kind == "ws_stall":
                conn.stalled = True
            else:
                await self._server._ws_send_raw(conn, _bad_frame(fault))

    def muted(self, conn: WsRecord | None) -> bool:
        return conn is not None and conn.stalled

    # -- nonces ----------------------------------------------------------------------------------
    def _nonce_ahead(self, key: str, ms: int) -> None:
        server = self._server
        now_ms = int(server.engine.now() * 1000)
        server.nonces.last[key] = max(server.nonces.last.get(key, 0), now_ms + int(ms))
        server.commit()  # a nonce mark is state: durable before the fault is acknowledged


def _server_error(kind: str) -> web.Response:
    if kind == "http_503":
        return web.Response(status=503, text=UNAVAILABLE_TEXT, content_type="text/html")
    return web.json_response(INTERNAL_BODY, status=500)


def _bad_frame(fault: Fault) -> str:
    if fault.kind == "ws_invalid_json":
        return '{"id":null,"method":"positionsMargin_update","params":{"total":1,'
    if fault.kind == "ws_missing_fields":
        # A snapshot whose record lacks market, amount, prices...
        return json.dumps(
            {
                "id": None,
                "method": "positionsMargin_update",
                "params": {"total": 1, "records": [{"id": 1}]},
            }
        )
    filler = "x" * max(0, fault.size - 64)
    return json.dumps({"id": None, "method": "sandbox_padding", "params": [filler]})


def _abort(transport: Any) -> None:
    """Close the TCP connection with an RST: no close frame, no FIN handshake."""
    if transport is None:
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()


def _reset(request: web.Request) -> None:
    _abort(request.transport)
    raise asyncio.CancelledError()  # stop handling: nothing is answered


def parse_control(data: Any) -> dict[str, Any]:
    """Validate a ``POST /sandbox/faults`` body into ``Faults.inject`` keyword arguments."""
    if not isinstance(data, dict):
        raise FaultError("body must be a JSON object")
    allowed: dict[str, Callable[[Any], bool]] = {
        "kind": lambda v: isinstance(v, str),
        "path": lambda v: isinstance(v, str),
        "times": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "seconds": lambda v: isinstance(v, (int, Decimal, str)) and not isinstance(v, bool),
        "size": lambda v: isinstance(v, int) and not isinstance(v, bool),
        "commit": lambda v: isinstance(v, bool),
        "key": lambda v: isinstance(v, str),
        "ms": lambda v: isinstance(v, int) and not isinstance(v, bool),
    }
    out: dict[str, Any] = {}
    for name, value in data.items():
        check = allowed.get(name)
        if check is None:
            raise FaultError(f"unknown field {name!r}")
        if not check(value):
            raise FaultError(f"field {name!r} has the wrong type")
        out[name] = value
    if "kind" not in out:
        raise FaultError("field 'kind' is required")
    if "seconds" in out:
        out["seconds"] = _seconds(out["seconds"])
    return out


def _seconds(value: Any) -> float:
    """A duration in [0, MAX_SECONDS]; NaN, infinities and huge exponents are refused before
    any conversion (``float(Decimal("NaN"))`` is a sleep that never ends)."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except ArithmeticError:
        number = Decimal("NaN")
    if not number.is_finite() or not 0 <= number <= MAX_SECONDS:
        raise FaultError(f"field 'seconds' must be a number between 0 and {MAX_SECONDS}")
    return float(number)  # float-ok: a duration for asyncio.sleep, not money


__all__ = [
    "HTTP_KINDS",
    "KINDS",
    "ORDER_PATHS",
    "WS_KINDS",
    "Fault",
    "FaultError",
    "Faults",
    "WarpClock",
    "parse_control",
]
