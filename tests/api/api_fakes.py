"""Throwaway loopback servers for tests/api (imported as ``api_fakes``; pytest puts this
directory on sys.path).

``FakeExchange`` is a tiny, throwaway WhiteBIT-shaped HTTP server on a real loopback socket.
It exists for behaviours the sandbox cannot produce on demand (lost responses, 5xx, slow
answers, a server nonce ahead of our clock). It checks the signing exactly like WhiteBIT
documents it (payload == body, HMAC-SHA512 over the base64 payload, ``request`` == path,
strictly increasing nonce -> HTTP 429 ``{"code":0,...,"message":"Too many requests."}``; with
``nonceWindow: true`` a unique nonce within +-5 s of the clock, in any order, as the spec says).
It is not a mock of our code: the client under test talks to it over HTTP.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import socket
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import WSMsgType, web

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
        self.windowed: set[int] = set()  # nonces accepted with nonceWindow
        self.skew_ms = 0  # how far this exchange's clock is ahead of ours (nonceWindow check)
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.raw_bodies: list[bytes] = []
        self.headers: list[dict[str, str]] = []  # request headers, one dict per request
        self.peers: set[Any] = set()  # client (host, port) pairs: one per TCP connection
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
        if request.transport is not None:
            self.peers.add(request.transport.get_extra_info("peername"))
        self.headers.append(dict(request.headers))
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
            if data.get("nonceWindow") is True:
                now_ms = time.time_ns() // 1_000_000 + self.skew_ms
                refused = abs(nonce - now_ms) > 5000 or nonce in self.windowed
                self.windowed.add(nonce)
            else:
                refused = nonce <= self.last_nonce
            if refused:
                self.nonce_rejections += 1
                return _json(429, {"code": 0, "errors": {}, "message": "Too many requests."})
            self.last_nonce = max(self.last_nonce, nonce)
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


# =============================================================================== WebSocket


def ws_position(pid: int = 1, market: str = "BTC_PERP", amount: str = "-0.01") -> dict[str, Any]:
    return {
        "id": pid,
        "market": market,
        "ctime": 1704067200,
        "mtime": 1704067200,
        "amount": amount,
        "amount_in_money": "600",
        "base_price": "60000",
        "pnl": "-0.47",
        "liq_price": "65000",
        "liq_stage": None,
        "unrealized_funding": "0",
        "funding": "0",
        "margin": "23.8",
        "free_margin": "999932.92",
        "realized_pnl": "0",
        "position_side": "BOTH",
    }


class FakeWsServer:
    """A WhiteBIT-shaped WebSocket endpoint on loopback (aiohttp), scriptable per test.

    Speaks the documented protocol: ``authorize`` with a token, ``*_subscribe`` replaces the
    channel's list, JSON ``ping`` -> ``{"id":0,"result":"pong"}``, and pushes a full
    positionsMargin snapshot and lastprice updates every ``push_interval`` to subscribers.
    Protocol-level ping frames are recorded (autoping off) so tests can assert none are sent.
    """

    def __init__(
        self, *, push_interval: float = 0.05, valid_tokens: set[str] | None = None
    ) -> None:
        self.push_interval = push_interval
        self.valid_tokens = valid_tokens  # None = accept any token
        self.answer_pings = True
        self.push_positions = True
        self.push_prices = True
        self.positions: list[dict[str, Any]] = [ws_position()]
        self.prices: dict[str, str] = {"BTC_PERP": "60000.5", "ETH_PERP": "3000.25"}
        self.connections = 0
        self.tokens_seen: list[str] = []
        self.messages: list[dict[str, Any]] = []  # every JSON request received
        self.protocol_pings = 0
        self.sockets: set[web.WebSocketResponse] = set()
        self.port = 0
        self.url = ""
        self._runner: web.AppRunner | None = None

    def requests(self, method: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m.get("method") == method]

    async def start(self, port: int = 0) -> None:
        app = web.Application()
        app.router.add_get("/ws", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"ws://127.0.0.1:{self.port}/ws"

    async def stop(self) -> None:
        for ws in list(self.sockets):
            await ws.close(code=1001, message=b"going away")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def send_raw(self, data: str | bytes) -> None:
        for ws in list(self.sockets):
            if isinstance(data, bytes):
                await ws.send_bytes(data)
            else:
                await ws.send_str(data)

    async def _handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=False, max_msg_size=0)
        await ws.prepare(request)
        self.connections += 1
        self.sockets.add(ws)
        state: dict[str, Any] = {"auth": False, "positions": False, "prices": [], "orders": []}
        pusher = asyncio.create_task(self._push(ws, state))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.PING:
                    self.protocol_pings += 1
                    continue
                if msg.type != WSMsgType.TEXT:
                    continue
                try:
                    req = json.loads(msg.data)
                except ValueError:
                    await ws.close()  # like WhiteBIT: invalid JSON closes the connection
                    break
                self.messages.append(req)
                await self._answer(ws, state, req)
        finally:
            pusher.cancel()
            self.sockets.discard(ws)
        return ws

    async def _answer(
        self, ws: web.WebSocketResponse, state: dict[str, Any], req: dict[str, Any]
    ) -> None:
        rid, method, params = req.get("id"), req.get("method"), req.get("params") or []
        ok = {"id": rid, "result": {"status": "success"}, "error": None}
        if method == "ping":
            if self.answer_pings:
                await ws.send_str(json.dumps({"id": rid, "result": "pong", "error": None}))
        elif method == "authorize":
            token = params[0] if params else ""
            self.tokens_seen.append(token)
            if self.valid_tokens is not None and token not in self.valid_tokens:
                await ws.send_str(
                    json.dumps(
                        {
                            "id": rid,
                            "result": None,
                            "error": {"code": 1, "message": "invalid argument"},
                        }
                    )
                )
            else:
                state["auth"] = True
                await ws.send_str(json.dumps(ok))
        elif method in ("positionsMargin_subscribe", "ordersPending_subscribe"):
            if not state["auth"]:
                await ws.send_str(
                    json.dumps(
                        {
                            "id": rid,
                            "result": None,
                            "error": {"code": 6, "message": "require authentication"},
                        }
                    )
                )
                return
            key = "positions" if method.startswith("positions") else "orders"
            state[key] = True if key == "positions" else list(params)
            await ws.send_str(json.dumps(ok))
        elif method == "lastprice_subscribe":
            state["prices"] = list(params)
            await ws.send_str(json.dumps(ok))
        elif method == "lastprice_unsubscribe":
            state["prices"] = []
            await ws.send_str(json.dumps(ok))
        else:
            await ws.send_str(
                json.dumps(
                    {"id": rid, "result": None, "error": {"code": 4, "message": "method not found"}}
                )
            )

    async def _push(self, ws: web.WebSocketResponse, state: dict[str, Any]) -> None:
        while not ws.closed:
            await asyncio.sleep(self.push_interval)
            try:
                if state["positions"] and self.push_positions:
                    await ws.send_str(
                        json.dumps(
                            {
                                "id": None,
                                "method": "positionsMargin_update",
                                "params": {"total": len(self.positions), "records": self.positions},
                            }
                        )
                    )
                if self.push_prices:
                    for market in state["prices"]:
                        if market in self.prices:
                            await ws.send_str(
                                json.dumps(
                                    {
                                        "id": None,
                                        "method": "lastprice_update",
                                        "params": [market, self.prices[market]],
                                    }
                                )
                            )
            except (ConnectionError, RuntimeError):
                return
