"""The sandbox server: aiohttp on one loopback port, REST under /api/v4, WebSocket at /ws.

A thin layer: authentication (``auth``), handlers (``rest``), the WS protocol (``ws``) and
background loops (price ticks, funding/interest timers, position pushes) around
the synchronous ``Engine``. Any unexpected exception becomes HTTP 500
``{"error":["Internal server error."]}``; no traceback ever reaches a client.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from decimal import Decimal
from typing import Any, Self

from aiohttp import WSCloseCode, WSMsgType, web

from . import control, errors, http_errors, loopstats, numbers
from .auth import NonceBook, authenticate, parse_nonce
from .config import SandboxConfig, is_loopback_bind
from .control import json_response
from .engine import Engine, EngineOptions
from .engine.store import StateStore
from .faults import Faults
from .guard import ConnectionGuard
from .recorder import AUTH_KEY, Recorder, WsRecord
from .rest_params import Context, Params
from .rest_private import PRIVATE
from .rest_public import PUBLIC, PublicError
from .wire import dumps
from .ws import WsProtocol, WsSession

log = logging.getLogger("tui.sandbox")

TOKEN_TTL = Decimal(900)  # seconds a websocket_token stays valid for ``authorize``


@web.middleware
async def _error_middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    try:
        return await handler(request)
    except errors.ApiError as exc:
        return json_response(exc.body, exc.status)
    except PublicError as exc:
        return json_response(exc.body, exc.status)
    except web.HTTPException as exc:
        return http_errors.from_http_exception(exc)  # JSON error shape; 404 stays empty
    except web.RequestPayloadError:  # a body aiohttp could not read (bad chunks, bad gzip)
        return http_errors.error_response(400)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("sandbox: unexpected error on %s %s", request.method, request.path)
        return json_response(errors.INTERNAL_ERROR_BODY, 500)


class SandboxServer:
    """``async with SandboxServer(cfg) as sb`` binds, starts the loops and exits cleanly."""

    def __init__(self, config: SandboxConfig | None = None) -> None:
        self.config = config or SandboxConfig()
        cfg = self.config
        if (problem := cfg.exposure_problem()) is not None:
            raise ValueError(problem)
        self.store = StateStore(cfg.state_path, fresh=cfg.fresh) if cfg.state_path else None
        self.engine = Engine(
            clock=cfg.now,
            balances=cfg.balances,
            options=EngineOptions(
                seed=cfg.seed,
                static_prices=cfg.static_prices,
                funding_interval=cfg.funding_interval,
                interest_interval=cfg.interest_interval,
            ),
        )
        self.nonces = NonceBook()
        if self.store is not None:
            try:
                marks = self.store.restore(self.engine)
            except BaseException:
                self.store.close()
                raise
            self.nonces = NonceBook(marks, self.store.saved_window())
        self.keys = {cfg.api_key: cfg.api_secret}
        self._tokens: dict[str, Decimal] = {}
        self.context = Context(engine=self.engine, new_ws_token=self._new_token)
        self.protocol = WsProtocol(self.engine, self._check_token)
        self._sessions: dict[web.WebSocketResponse, WsSession] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._runner: web.AppRunner | None = None
        self._port: int | None = None
        self.recorder = Recorder()  # what the server received (tests assert on it)
        self.faults = Faults(self)  # fault hooks: ``await sb.faults.inject(kind, ...)``
        self.guard = ConnectionGuard(
            header_timeout=cfg.header_timeout,
            body_timeout=cfg.body_timeout,
            max_connections=cfg.max_connections,
        )
        self._ws_records: dict[web.WebSocketResponse, WsRecord] = {}
        self.app = self._build_app()

    # -- lifecycle ------------------------------------------------------------------------------
    def _build_app(self) -> web.Application:
        app = web.Application(
            middlewares=[
                http_errors.middleware,
                control.host_middleware(is_loopback_bind(self.config.host)),
                self.faults.middleware,
                _error_middleware,
            ],
            client_max_size=1024 * 1024,
        )
        self.guard.install(app)
        for path in PRIVATE:
            app.router.add_post(path, self._private)
        for path, handler in PUBLIC.items():
            app.router.add_get(path, self._public(handler))
        app.router.add_get("/ws", self._websocket)
        control.add_routes(app, self)
        loopstats.install(app, self._require_loopback)
        return app

    async def start(self) -> None:
        runner = web.AppRunner(
            self.app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await runner.setup()
        http_errors.install(runner)  # parser errors (oversize headers...) answer JSON, no echo
        assert runner.server is not None
        try:  # the guard listens: read deadlines and a connection cap (guard.py)
            await self.guard.listen(runner.server, self.config.host, self.config.port)
        except BaseException:
            await runner.cleanup()
            if self.store is not None:
                self.store.close()
                self.store = None
            raise
        self._runner = runner
        self._port = int(self.guard.addresses()[0][1])
        loops = [self._price_loop(), self._timer_loop(), self._push_loop()]
        self._tasks = [asyncio.create_task(c) for c in loops]
        log.info("sandbox listening on %s", self.rest_url)

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks = []
        for ws in list(self._sessions):
            with contextlib.suppress(Exception):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutdown")
        self.guard.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.store is not None:
            try:
                self.commit(prices=True)
            finally:
                self.store.close()
            self.store = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the sandbox is not started")
        return self._port

    @property
    def bound(self) -> list[str]:
        """Every ``address:port`` the sandbox listens on (``[::]:8080`` for IPv6)."""
        return [
            f"[{a[0]}]:{a[1]}" if ":" in a[0] else f"{a[0]}:{a[1]}" for a in self.guard.addresses()
        ]

    @property
    def _url_host(self) -> str:
        host = self.config.host
        if host in ("", "0.0.0.0"):
            return "127.0.0.1"
        if host == "::":
            return "[::1]"
        return f"[{host}]" if ":" in host else host

    @property
    def rest_url(self) -> str:
        return f"http://{self._url_host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{self._url_host}:{self.port}/ws"

    async def set_price(self, market: str, price: Decimal) -> None:
        self.engine.set_price(market, Decimal(price))
        self.commit(prices=True)  # a price set by hand is saved with what it filled
        await self._after_change(prices=[market])

    # -- persistence ----------------------------------------------------------------------------
    def commit(self, prices: bool = False) -> None:
        """Make what changed durable (one SQLite transaction, the changed rows only). Called
        after every change and before its answer or push: acknowledged means durable."""
        if self.store is not None:
            nonces = self.nonces
            self.store.commit(
                self.engine, nonces.last, window_changes=nonces.window_changes, prices=prices
            )
            nonces.window_changes.clear()  # written (a failed write raised above)

    # -- tokens ---------------------------------------------------------------------------------
    def _new_token(self) -> str:
        now = self.engine.now()
        for token in [t for t, exp in self._tokens.items() if exp < now]:
            del self._tokens[token]
        token = secrets.token_urlsafe(24)
        self._tokens[token] = now + TOKEN_TTL
        return token

    def _check_token(self, token: str) -> bool:
        expiry = self._tokens.get(token)
        return expiry is not None and expiry >= self.engine.now()

    # -- HTTP handlers --------------------------------------------------------------------------
    async def _private(self, request: web.Request) -> web.Response:
        body = await request.read()
        now_ms = int(self.engine.now() * 1000)
        key, data = authenticate(
            path=request.path,
            headers=request.headers,
            body=body,
            keys=self.keys,
            nonces=self.nonces,
            now_ms=now_ms,
        )
        request[AUTH_KEY] = (key, parse_nonce(data["nonce"]))
        handler = PRIVATE[request.path]
        try:
            result = handler(self.context, Params(data))
        finally:
            await self._after_change()
        return json_response(result)

    def _public(self, handler: Any) -> Any:
        async def endpoint(request: web.Request) -> web.Response:
            return json_response(
                handler(self.context, dict(request.query), dict(request.match_info))
            )

        return endpoint

    def _require_loopback(self, request: web.Request) -> None:
        control.require_local(request)  # kept for subclasses' own endpoints (bench)

    # -- WebSocket ------------------------------------------------------------------------------
    def _idle_clock(self) -> Any:
        return self.config.ws_clock or asyncio.get_running_loop().time

    async def _websocket(self, request: web.Request) -> web.StreamResponse:
        ws = web.WebSocketResponse(autoping=True, heartbeat=None, max_msg_size=1024 * 1024)
        await ws.prepare(request)
        session = WsSession()
        record = WsRecord(opened_at=time.monotonic(), transport=request.transport)
        clock = self._idle_clock()
        record.last_message = clock()
        self.recorder.open_ws(record)
        self._sessions[ws] = session
        self._ws_records[ws] = record
        watchdog = asyncio.create_task(self._idle_watchdog(ws, record))
        try:
            while not ws.closed:
                msg = await ws.receive()
                # Only client *messages* keep the connection alive (WhiteBIT: drop after 60 s
                # without one); protocol-level ping frames are answered but do not count.
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    record.last_message = clock()
                if msg.type == WSMsgType.TEXT:
                    try:
                        message = numbers.loads(msg.data)
                    except numbers.TooDeep:
                        message = {"id": None}  # valid JSON: answered "invalid argument" below
                    except ValueError:
                        message = None
                    if not isinstance(message, dict):
                        # WhiteBIT closes the connection at once on invalid JSON
                        record.close_reason = "invalid json"
                        await ws.close(code=WSCloseCode.UNSUPPORTED_DATA, message=b"invalid json")
                        break
                    method = message.get("method")
                    record.received[method if isinstance(method, str) else "?"] += 1
                    params = message.get("params")
                    if method == "authorize" and isinstance(params, list) and params:
                        record.tokens.append(str(params[0])[:200])
                    try:
                        reply = self.protocol.handle(session, message)
                    except Exception:
                        log.exception("sandbox: ws handler error")
                        reply = {
                            "id": message.get("id"),
                            "result": None,
                            "error": {"code": 2, "message": "internal error"},
                        }
                    await self._send(ws, reply)
                    outbox, session.outbox = session.outbox, []
                    for item in outbox:
                        await self._send(ws, item)
                elif msg.type == WSMsgType.BINARY:
                    record.close_reason = "invalid json"
                    await ws.close(code=WSCloseCode.UNSUPPORTED_DATA, message=b"invalid json")
                    break
                else:  # CLOSE / CLOSING / CLOSED / ERROR
                    break
        finally:
            watchdog.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await watchdog
            record.closed_at = time.monotonic()
            record.close_reason = record.close_reason or "closed"
            record.transport = None
            self._sessions.pop(ws, None)
            self._ws_records.pop(ws, None)
        return ws

    async def _idle_watchdog(self, ws: web.WebSocketResponse, record: WsRecord) -> None:
        """Close the connection after ``ws_idle_timeout`` without a client message, measured on
        ``config.ws_clock`` (polled every ``ws_idle_poll`` s) or the loop clock (exact)."""
        idle = self.config.ws_idle_timeout
        clock = self._idle_clock()
        injected = self.config.ws_clock is not None
        while not ws.closed:
            left = record.last_message + idle - clock()
            if left <= 0:
                record.close_reason = "idle timeout"
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"idle timeout")
                return
            await asyncio.sleep(self.config.ws_idle_poll if injected else left)

    async def _send(self, ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
        record = self._ws_records.get(ws)
        if ws.closed or self.faults.muted(record):
            return
        try:
            await ws.send_str(dumps(message))
        except (ConnectionError, RuntimeError):
            self._sessions.pop(ws, None)
            return
        if record is not None:
            method = message.get("method")
            record.sent[method if isinstance(method, str) else "reply"] += 1

    async def _ws_send_raw(self, record: WsRecord, text: str) -> None:
        """Send ``text`` as is on the connection of ``record`` (fault hooks: bad frames)."""
        for ws, rec in list(self._ws_records.items()):
            if rec is record and not ws.closed:
                with contextlib.suppress(ConnectionError, RuntimeError):
                    await ws.send_str(text)

    async def _broadcast(self, build: Any) -> None:
        """Send ``build(session)`` (a message, a list of them, or None) to every connection."""
        for ws, session in list(self._sessions.items()):
            messages = build(session)
            if messages is None:
                continue
            if isinstance(messages, dict):
                messages = [messages]
            for message in messages:
                await self._send(ws, message)

    async def _after_change(self, prices: list[str] | None = None) -> None:
        self.commit()
        events = self.engine.drain_events()
        if events:
            await self._broadcast(
                lambda session: [m for e in events for m in self.protocol.event_pushes(session, e)]
            )
        if prices:
            await self._broadcast(
                lambda session: [
                    self.protocol.lastprice_update(m) for m in prices if m in session.lastprice
                ]
            )

    # -- background loops -----------------------------------------------------------------------
    async def _guarded(self, period: float, step: Any) -> None:
        while True:
            await asyncio.sleep(period)
            try:
                await step()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("sandbox: background step failed")

    async def _price_loop(self) -> None:
        async def step() -> None:
            self.engine.step_prices()
            await self._after_change(prices=list(self.engine.catalog))

        await self._guarded(self.config.tick_interval, step)

    async def _timer_loop(self) -> None:
        shortest = min(self.config.funding_interval, self.config.interest_interval)
        # At most 0.5 s: a kill-switch timer fires within half a second of its deadline.
        period = max(0.01, min(0.5, shortest / 4))

        async def step() -> None:
            self.engine.run_due()
            self.engine.expire_kill_switches()
            await self._after_change()

        await self._guarded(period, step)

    async def _push_loop(self) -> None:
        async def step() -> None:
            if not self._sessions:
                return
            snapshot = self.protocol.positions_update()
            await self._broadcast(lambda session: snapshot if session.positions else None)
            await self._broadcast(lambda session: self.protocol.balance_update(session))

        await self._guarded(self.config.push_interval, step)
