"""WhiteBIT WebSocket client: positions, last prices and pending orders on one connection.

Per connection: ``authorize`` with a fresh token (when a token provider is given; tokens are
short-lived and the token endpoint allows 10 calls a minute, so one per connection, and at most
``token_limit`` fetches per ``token_window``, waiting before reconnecting when needed), then
``positionsMargin_subscribe []``, ``lastprice_subscribe [markets]``, ``ordersPending_subscribe
[markets]``. A subscribe replaces the channel's market list, so changing markets re-sends the full
list, and everything is re-sent after a reconnect (missed events are not replayed: the service
re-reads REST state after each reconnect).

Keepalive: WhiteBIT closes a connection after 60 s without a client message and does not answer
protocol-level ping frames properly, so websockets' own pings are disabled and a JSON
``{"id":0,"method":"ping","params":[]}`` goes out every ``ping_interval``; no ``pong`` within
``pong_timeout`` forces a reconnect.

Staleness: a stream with no update for its ``stale_after`` (:data:`STALE_AFTER`) is reported
STALE; after ``stale_reconnect_after`` (:data:`STALE_RECONNECT_AFTER`) the connection is dropped
and re-established, with exponential backoff and full jitter.
Nothing a server sends (invalid JSON, wrong shapes, oversized frames) crashes the loop:
``on_error`` is called and the loop continues or reconnects. Callback exceptions are reported
the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from decimal import Decimal
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tui.domain.models import Order, Position, StreamState

from .ws_frames import BadFrame, OrderUpdate, PositionsUpdate, PriceUpdate, Reply, decode_frame
from .ws_policy import STALE_AFTER, STALE_RECONNECT_AFTER, STREAMS, TokenBudget, stale_thresholds

__all__ = ["STALE_AFTER", "STREAMS", "WhiteBitStream", "WsRequestError", "stale_thresholds"]

log = logging.getLogger(__name__)

#: websockets logs every frame at DEBUG, including the ``authorize`` frame with its token. Its
#: logger is pinned to INFO so turning on DEBUG logging application-wide never prints a token.
_wire_log = logging.getLogger(__name__ + ".wire")
_wire_log.setLevel(logging.INFO)


class WsRequestError(Exception):
    """The server answered a request with ``{"error": {"code", "message"}}``."""

    def __init__(self, method: str, code: Any, message: str) -> None:
        super().__init__(f"{method}: [code {code}] {message}")
        self.method = method
        self.code = code
        self.message = message


class _Reconnect(Exception):
    """Internal: drop the current connection and reconnect (reason in the message)."""

    def __init__(self, reason: str, *, stale: bool = False) -> None:
        super().__init__(reason)
        self.stale = stale


def _describe(exc: BaseException) -> str:
    if isinstance(exc, InvalidStatus):
        return f"handshake refused (HTTP {exc.response.status_code})"
    if isinstance(exc, ConnectionClosed):
        rcvd = exc.rcvd
        if rcvd is not None:
            return f"connection closed ({rcvd.code} {rcvd.reason})".strip()
        sent = exc.sent
        if sent is not None:  # we closed it, e.g. 1009 on a frame above max_frame_bytes
            return f"connection closed by the client ({sent.code} {sent.reason})".strip()
        return "connection lost"
    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return "timed out"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class WhiteBitStream:
    """One resilient WhiteBIT WebSocket connection. Callbacks run on the event loop."""

    def __init__(
        self,
        ws_url: str,
        *,
        token_provider: Callable[[], Awaitable[str]] | None,
        on_positions: Callable[[list[Position]], None] | None = None,
        on_price: Callable[[str, Decimal], None] | None = None,
        on_order: Callable[[int, Order], None] | None = None,
        on_state: Callable[[str, StreamState, str], None] | None = None,
        on_error: Callable[[str], None] | None = None,
        ping_interval: float = 30.0,
        pong_timeout: float = 10.0,
        stale_after: float | Mapping[str, float] = STALE_AFTER,
        stale_reconnect_after: float = STALE_RECONNECT_AFTER,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_frame_bytes: int = 4 * 1024 * 1024,
        open_timeout: float = 10.0,
        token_limit: int = 10,
        token_window: float = 60.0,
    ) -> None:
        self._url = ws_url
        self._token_provider = token_provider
        self._on_positions = on_positions
        self._on_price = on_price
        self._on_order = on_order
        self._on_state = on_state
        self._on_error = on_error
        self._ping_interval = float(ping_interval)  # float-ok: seconds, not money
        self._pong_timeout = float(pong_timeout)  # float-ok: seconds, not money
        self._stale_after = stale_thresholds(stale_after)
        self._stale_reconnect_after = max(
            float(stale_reconnect_after),  # float-ok: seconds, not money
            *self._stale_after.values(),
        )
        self._backoff_base = float(backoff_base)  # float-ok: seconds, not money
        self._backoff_cap = float(backoff_cap)  # float-ok: seconds, not money
        self._max_frame_bytes = int(max_frame_bytes)
        self._open_timeout = float(open_timeout)  # float-ok: seconds, not money
        self._request_timeout = max(self._pong_timeout, 1.0)
        self._tokens = TokenBudget(token_limit, token_window)

        self._price_markets: list[str] = []
        self._order_markets: list[str] = []
        self._states: dict[str, StreamState] = {s: StreamState.CLOSED for s in STREAMS}
        self._state_detail: dict[str, str] = {s: "" for s in STREAMS}
        self._last_update: dict[str, float] = {s: 0.0 for s in STREAMS}
        self._stale_base: dict[str, float] = {s: 0.0 for s in STREAMS}
        self.reconnects = 0  # successful reconnections after the first connection

        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self._ws: ClientConnection | None = None
        self._ready = False  # subscriptions done on the current connection
        self._ids = itertools.count(1)  # id 0 is reserved for pings
        self._pending: dict[int, asyncio.Future[Any]] = {}
        self._sub_lock = asyncio.Lock()
        self._ping_sent_at: float | None = None
        self._last_ping: float = 0.0
        self._connections = 0
        self._had_data = False

    # ------------------------------------------------------------------ public API

    def __repr__(self) -> str:
        return f"WhiteBitStream({self._url!r}, states={ {k: v.value for k, v in self._states.items()} })"

    @property
    def connected(self) -> bool:
        return self._ws is not None and self._ready

    def state(self, stream: str) -> StreamState:
        return self._states[stream]

    def last_update(self, stream: str) -> float:
        """``time.monotonic()`` of the stream's last update (0.0 if none yet)."""
        return self._last_update[stream]

    def stale_after(self, stream: str) -> float:
        """Seconds without an update after which ``stream`` is reported STALE."""
        return self._stale_after[stream]

    async def start(self) -> None:
        if self._task is not None and not self._task.done():
            return
        self._stopping = False
        for s in STREAMS:
            self._set_state(s, StreamState.CONNECTING, "")
        self._task = asyncio.create_task(self._run(), name="whitebit-ws")

    async def stop(self) -> None:
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._ws = None
        self._ready = False
        for s in STREAMS:
            self._set_state(s, StreamState.CLOSED, "stopped")

    async def set_price_markets(self, markets: list[str]) -> None:
        self._price_markets = list(dict.fromkeys(markets))
        async with self._sub_lock:
            ws = self._ws
            if ws is None or not self._ready:
                return  # sent on (re)connect
            try:
                await self._subscribe_prices(ws)
            except Exception as exc:  # noqa: BLE001 - reported, the loop carries on
                self._report(f"lastprice subscribe failed: {_describe(exc)}")

    async def set_order_markets(self, markets: list[str]) -> None:
        self._order_markets = list(dict.fromkeys(markets))
        async with self._sub_lock:
            ws = self._ws
            if ws is None or not self._ready or self._token_provider is None:
                return
            try:
                await self._subscribe_orders(ws)
            except Exception as exc:  # noqa: BLE001
                self._report(f"ordersPending subscribe failed: {_describe(exc)}")

    # ------------------------------------------------------------------ state helpers

    def _active(self, stream: str) -> bool:
        if stream == "positions":
            return self._token_provider is not None
        return bool(self._price_markets)

    def _set_state(self, stream: str, state: StreamState, detail: str) -> None:
        if (
            stream == "positions"
            and self._token_provider is None
            and state is not StreamState.CLOSED
        ):
            state, detail = StreamState.CLOSED, "no credentials"
        if self._states[stream] is state and self._state_detail[stream] == detail:
            return
        self._states[stream] = state
        self._state_detail[stream] = detail
        log.debug("stream %s -> %s %s", stream, state.value, detail)
        if self._on_state is not None:
            try:
                self._on_state(stream, state, detail)
            except Exception as exc:
                log.exception("on_state callback failed")
                self._report(f"on_state callback failed: {exc!r}")

    def _report(self, message: str) -> None:
        log.debug("ws error: %s", message)
        if self._on_error is not None:
            try:
                self._on_error(message)
            except Exception:
                log.exception("on_error callback failed")

    def _mark_update(self, stream: str) -> None:
        self._last_update[stream] = time.monotonic()
        if self._states[stream] is not StreamState.LIVE:
            self._set_state(stream, StreamState.LIVE, "")

    # ------------------------------------------------------------------ run loop

    async def _run(self) -> None:
        attempt = 0
        while not self._stopping:
            self._had_data = False
            try:
                await self._session()
                reason = "connection closed by server"
            except asyncio.CancelledError:
                raise
            except _Reconnect as exc:
                reason = str(exc)
                if exc.stale:
                    # The connection worked but a stream went quiet: keep backing off, so a
                    # server that stays quiet costs few token requests (10 per minute allowed).
                    self._had_data = False
            except Exception as exc:  # noqa: BLE001 - every failure ends in a reconnect
                reason = _describe(exc)
            finally:
                self._ws = None
                self._ready = False
                self._fail_pending()
            if self._stopping:
                break
            if self._had_data:
                attempt = 0  # that connection worked: start the backoff over
            delay = random.uniform(0, min(self._backoff_cap, self._backoff_base * (2**attempt)))
            attempt += 1
            log.info("websocket reconnecting in %.2f s: %s", delay, reason)
            for s in STREAMS:
                self._set_state(s, StreamState.RECONNECTING, reason)
            await asyncio.sleep(delay)

    async def _session(self) -> None:
        """One connection's life; returns on a clean close, raises on failure."""
        if self._token_provider is not None:
            await self._tokens.wait()
        async with connect(
            self._url,
            ping_interval=None,  # WhiteBIT answers JSON pings, not protocol pings
            ping_timeout=None,
            close_timeout=1.0,
            open_timeout=self._open_timeout,
            max_size=self._max_frame_bytes,
            max_queue=256,
            proxy=None,
            user_agent_header="collateral-tui",
            logger=_wire_log,
        ) as ws:
            reader = asyncio.create_task(self._reader(ws), name="whitebit-ws-reader")
            try:
                await self._handshake(ws, reader)
                await self._watch(ws, reader)
            finally:
                reader.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await reader

    async def _handshake(self, ws: ClientConnection, reader: asyncio.Task[None]) -> None:
        if self._token_provider is not None:
            # A token only once connected: failed connection attempts cost none.
            token = await self._tokens.fetch(self._token_provider)
            # The token is a credential: never logged, never put in an error message.
            await self._request(ws, "authorize", [token, "public"])
        async with self._sub_lock:
            now = time.monotonic()
            if self._token_provider is not None:
                try:
                    await self._request(ws, "positionsMargin_subscribe", [])
                except WsRequestError as exc:
                    self._report(f"positions subscribe refused: {exc}")
                self._stale_base["positions"] = now
            if self._price_markets:
                try:
                    await self._request(ws, "lastprice_subscribe", list(self._price_markets))
                except WsRequestError as exc:
                    self._report(f"lastprice subscribe refused: {exc}")
            self._stale_base["prices"] = now
            if self._token_provider is not None and self._order_markets:
                try:
                    await self._request(ws, "ordersPending_subscribe", list(self._order_markets))
                except WsRequestError as exc:
                    self._report(f"ordersPending subscribe refused: {exc}")
            self._ws = ws
            self._ready = True
        self._connections += 1
        if self._connections > 1:
            self.reconnects += 1
        self._last_ping = time.monotonic()
        self._ping_sent_at = None
        if not self._price_markets:
            self._set_state("prices", StreamState.LIVE, "no markets subscribed")
        for s in STREAMS:
            if self._states[s] is not StreamState.LIVE:
                self._set_state(
                    s,
                    StreamState.CONNECTING if self._connections == 1 else StreamState.RECONNECTING,
                    "subscribed, waiting for data",
                )

    async def _subscribe_prices(self, ws: ClientConnection) -> None:
        self._stale_base["prices"] = time.monotonic()
        if self._price_markets:
            await self._request(ws, "lastprice_subscribe", list(self._price_markets))
        else:
            await self._request(ws, "lastprice_unsubscribe", [])
            self._set_state("prices", StreamState.LIVE, "no markets subscribed")

    async def _subscribe_orders(self, ws: ClientConnection) -> None:
        if self._order_markets:
            await self._request(ws, "ordersPending_subscribe", list(self._order_markets))
        else:
            await self._request(ws, "ordersPending_unsubscribe", [])

    async def _watch(self, ws: ClientConnection, reader: asyncio.Task[None]) -> None:
        shortest = min(self._stale_after.values())
        tick = max(0.02, min(self._ping_interval, self._pong_timeout, shortest) / 4)
        while not self._stopping:  # also ends the loop should a cancellation ever be lost
            done, _ = await asyncio.wait({reader}, timeout=self._next_check(tick))
            if done:
                reader.result()  # re-raises the reader's failure
                return  # clean close by the server
            now = time.monotonic()
            if self._ping_sent_at is not None and now - self._ping_sent_at > self._pong_timeout:
                raise _Reconnect(f"no pong within {self._pong_timeout:g} s")
            if now - self._last_ping >= self._ping_interval:
                self._last_ping = now
                if self._ping_sent_at is None:
                    self._ping_sent_at = now
                await ws.send('{"id":0,"method":"ping","params":[]}')
            for s in STREAMS:
                if not self._active(s):
                    continue
                age = now - max(self._last_update[s], self._stale_base[s])
                if age > self._stale_reconnect_after:
                    raise _Reconnect(
                        f"{s} stale for more than {self._stale_reconnect_after:g} s", stale=True
                    )
                limit = self._stale_after[s]
                if age > limit and self._states[s] is StreamState.LIVE:
                    self._set_state(s, StreamState.STALE, f"no update for {limit:g} s")

    def _next_check(self, tick: float) -> float:
        """Seconds until the watch loop looks again: the tick, or sooner when a stream turns
        STALE or reaches ``stale_reconnect_after`` (acted on then, not up to a tick later)."""
        now = time.monotonic()
        wait = tick
        for s in STREAMS:
            if not self._active(s):
                continue
            last = max(self._last_update[s], self._stale_base[s]) - now  # <= 0: in the past
            if self._states[s] is StreamState.LIVE:
                wait = min(wait, last + self._stale_after[s] + 0.001)
            wait = min(wait, last + self._stale_reconnect_after + 0.001)
        return max(0.005, wait)

    async def _request(self, ws: ClientConnection, method: str, params: list[Any]) -> Any:
        req_id = next(self._ids)
        fut: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._pending[req_id] = fut
        try:
            await ws.send(
                json.dumps(
                    {"id": req_id, "method": method, "params": params}, separators=(",", ":")
                )
            )
            try:
                # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow a
                # cancellation that races with the reply, and stop() then waits forever.
                async with asyncio.timeout(self._request_timeout):
                    reply = await fut
            except TimeoutError:
                raise _Reconnect(
                    f"no answer to {method} within {self._request_timeout:g} s"
                ) from None
        finally:
            self._pending.pop(req_id, None)
        error = reply.get("error")
        if error:
            code = error.get("code") if isinstance(error, Mapping) else None
            message = error.get("message") if isinstance(error, Mapping) else str(error)
            raise WsRequestError(method, code, str(message))
        return reply.get("result")

    def _fail_pending(self) -> None:
        for fut in self._pending.values():
            if not fut.done():
                fut.set_exception(ConnectionError("connection closed"))
                fut.exception()  # mark retrieved: nobody may be waiting any more
        self._pending.clear()

    async def _reader(self, ws: ClientConnection) -> None:
        try:
            async for raw in ws:
                try:
                    self._handle_frame(raw)
                except Exception as exc:
                    log.exception("unexpected error while handling a frame")
                    self._report(f"frame handling failed: {exc!r}")
        finally:
            self._fail_pending()

    # ------------------------------------------------------------------ frames

    def _handle_frame(self, raw: str | bytes) -> None:
        frame = decode_frame(raw)
        if isinstance(frame, Reply):
            self._handle_reply(frame)
        elif isinstance(frame, PositionsUpdate):
            self._had_data = True
            self._mark_update("positions")
            self._call(self._on_positions, "on_positions", frame.positions)
        elif isinstance(frame, PriceUpdate):
            self._had_data = True
            self._mark_update("prices")
            self._call(self._on_price, "on_price", frame.market, frame.price)
        elif isinstance(frame, OrderUpdate):
            self._had_data = True
            self._call(self._on_order, "on_order", frame.event_id, frame.order)
        elif isinstance(frame, BadFrame):
            self._report(frame.reason)
        else:
            log.debug("ignoring %s", frame.method)

    def _handle_reply(self, reply: Reply) -> None:
        req_id = reply.id
        if req_id == 0:
            self._ping_sent_at = None  # pong
            return
        if isinstance(req_id, int) and not isinstance(req_id, bool):
            fut = self._pending.get(req_id)
            if fut is not None and not fut.done():
                fut.set_result(reply.message)
                return
        log.debug("unmatched reply id=%r", req_id)

    def _call(self, cb: Callable[..., None] | None, name: str, *args: Any) -> None:
        if cb is None:
            return
        try:
            cb(*args)
        except Exception as exc:
            log.exception("%s callback failed", name)
            self._report(f"{name} callback failed: {exc!r}")
