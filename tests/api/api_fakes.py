"""Throwaway loopback servers for tests/api (imported as ``api_fakes``; pytest puts this
directory on sys.path).

``FakeExchange`` is a tiny, throwaway WhiteBIT-shaped HTTP server on a real loopback socket.
It exists for behaviours the sandbox cannot produce on demand (lost responses, 5xx, slow
answers, a server nonce ahead of our clock). It checks the signing exactly like WhiteBIT
documents it (payload == body, HMAC-SHA512 over the base64 payload, ``request`` == path,
strictly increasing nonce -> HTTP 429 ``{"code":0,...,"message":"Too many requests."}``).
It is not a mock of our code: the client under test talks to it over HTTP.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

KEY = "test-key-4f1c2b9a"
SECRET = "test-secret-9d8e7f6a5b"


@dataclass
class Drop:
    """Close the connection without answering (a lost response)."""


@dataclass
class Sleep:
    """Answer after ``seconds`` (for client timeouts)."""

    seconds: float
    then: Any = None


@dataclass
class Raw:
    status: int
    text: str
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[dict[str, Any]], Awaitable[Any] | Any]


def _dumps(obj: Any) -> str:
    def default(v: Any) -> Any:
        if isinstance(v, Decimal):
            return str(v)
        raise TypeError(type(v).__name__)

    return json.dumps(obj, default=default)


class FakeExchange:
    def __init__(self, key: str = KEY, secret: str = SECRET) -> None:
        self.key = key
        self.secret = secret
        self.routes: dict[str, Handler] = {}
        self.last_nonce = 0
        self.nonces: list[int] = []
        self.nonce_rejections = 0
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.raw_bodies: list[bytes] = []
        self.url = ""
        self.port = 0
        self._runner: web.AppRunner | None = None

    def route(self, path: str, handler: Handler | Any) -> None:
        """``handler(data) -> result``; a non-callable is returned as-is for every call."""
        self.routes[path] = handler if callable(handler) else (lambda _d, _v=handler: _v)

    def script(self, path: str, *results: Any, then: Any = None) -> None:
        """Answer the first calls with ``results`` in order, then ``then`` forever."""
        queue = list(results)

        def handler(data: dict[str, Any]) -> Any:
            if queue:
                return queue.pop(0)
            return then(data) if callable(then) else then

        self.routes[path] = handler

    def count(self, path: str) -> int:
        return sum(1 for p, _ in self.calls if p == path)

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        sock = site._server.sockets[0]  # type: ignore[union-attr]
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        data: dict[str, Any] = dict(request.query)
        if request.method == "POST":
            body = await request.read()
            self.raw_bodies.append(body)
            payload = request.headers.get("X-TXC-PAYLOAD", "")
            if not payload:
                return _json(400, {"code": 0, "message": "Payload not provided.", "errors": {}})
            if base64.b64decode(payload) != body:
                return _json(400, {"code": 9, "message": "Invalid payload.", "errors": {}})
            if request.headers.get("X-TXC-APIKEY") != self.key:
                return _json(401, {"code": 10, "message": "Unauthorized request.", "errors": {}})
            expected = hmac.new(self.secret.encode(), payload.encode(), hashlib.sha512).hexdigest()
            if request.headers.get("X-TXC-SIGNATURE") != expected:
                return _json(401, {"code": 10, "message": "Unauthorized request.", "errors": {}})
            data = json.loads(body, parse_float=Decimal)
            if data.get("request") != path:
                return _json(400, {"code": 9, "message": "Invalid payload.", "errors": {}})
            nonce = int(data.get("nonce", 0))
            if nonce <= self.last_nonce:
                self.nonce_rejections += 1
                return _json(429, {"code": 0, "errors": {}, "message": "Too many requests."})
            self.last_nonce = nonce
            self.nonces.append(nonce)
        self.calls.append((path, data))
        handler = self.routes.get(path)
        if handler is None:
            return web.Response(status=404, body=b"")
        result = handler(data)
        if asyncio.iscoroutine(result):
            result = await result
        while isinstance(result, Sleep):
            await asyncio.sleep(result.seconds)
            result = result.then
        if isinstance(result, Drop):
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError()  # aiohttp stops handling this request
        if isinstance(result, Raw):
            return web.Response(status=result.status, text=result.text, headers=result.headers)
        if isinstance(result, tuple):
            status, obj = result
            return _json(status, obj)
        return _json(200, result)


def _json(status: int, obj: Any) -> web.Response:
    return web.Response(status=status, text=_dumps(obj), content_type="application/json")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
