"""WebSocket client against a throwaway WhiteBIT-shaped loopback server (FakeWsServer)."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import pytest
from api_fakes import FakeWsServer, ws_position

from tui.api.ws import WhiteBitStream
from tui.domain.models import Order, OrderType, Position, Side, StreamState

FAST: dict[str, Any] = {
    "ping_interval": 0.2,
    "pong_timeout": 0.4,
    "stale_after": 0.4,
    "stale_reconnect_after": 1.0,
    "backoff_base": 0.05,
    "backoff_cap": 0.2,
}


async def until(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not cond():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.01)


class Recorder:
    def __init__(self) -> None:
        self.positions: list[list[Position]] = []
        self.prices: list[tuple[str, Decimal]] = []
        self.orders: list[tuple[int, Order]] = []
        self.states: list[tuple[str, StreamState, str]] = []
        self.errors: list[str] = []
        self.tokens = 0

    async def token(self) -> str:
        self.tokens += 1
        return f"token-{self.tokens}"

    def stream(self, url: str, *, private: bool = True, **kw: Any) -> WhiteBitStream:
        opts = dict(FAST)
        opts.update(kw)
        return WhiteBitStream(
            url,
            token_provider=self.token if private else None,
            on_positions=self.positions.append,
            on_price=lambda m, p: self.prices.append((m, p)),
            on_order=lambda e, o: self.orders.append((e, o)),
            on_state=lambda s, st, d: self.states.append((s, st, d)),
            on_error=self.errors.append,
            **opts,
        )


@pytest.fixture
async def server() -> AsyncIterator[FakeWsServer]:
    srv = FakeWsServer()
    await srv.start()
    try:
        yield srv
    finally:
        await srv.stop()


async def test_authorize_subscribe_and_receive(server: FakeWsServer) -> None:
    rec = Recorder()
    stream = rec.stream(server.url)
    await stream.set_price_markets(["BTC_PERP", "ETH_PERP"])
    await stream.set_order_markets(["BTC_PERP"])
    await stream.start()
    try:
        await until(lambda: rec.positions and len({m for m, _ in rec.prices}) == 2)
        assert stream.state("positions") is StreamState.LIVE
        assert stream.state("prices") is StreamState.LIVE
        (pos,) = rec.positions[-1]
        assert pos.id == 1 and pos.amount == Decimal("-0.01") and pos.direction.value == "short"
        assert ("BTC_PERP", Decimal("60000.5")) in rec.prices
        assert all(isinstance(p, Decimal) for _, p in rec.prices)
        assert server.tokens_seen == ["token-1"]
        auth = server.requests("authorize")[0]
        assert auth["params"] == ["token-1", "public"]
        assert server.requests("positionsMargin_subscribe")[0]["params"] == []
        assert server.requests("lastprice_subscribe")[0]["params"] == ["BTC_PERP", "ETH_PERP"]
        assert server.requests("ordersPending_subscribe")[0]["params"] == ["BTC_PERP"]
        # Authorization comes before any private subscription.
        methods = [m["method"] for m in server.messages]
        assert methods.index("authorize") < methods.index("positionsMargin_subscribe")
        assert stream.last_update("positions") > 0
        assert rec.errors == []
    finally:
        await stream.stop()
    assert stream.state("positions") is StreamState.CLOSED
    assert stream.state("prices") is StreamState.CLOSED


async def test_json_pings_and_no_protocol_pings(server: FakeWsServer) -> None:
    rec = Recorder()
    stream = rec.stream(server.url, ping_interval=0.1)
    await stream.start()
    try:
        await until(lambda: len(server.requests("ping")) >= 3)
        ping = server.requests("ping")[0]
        assert ping == {"id": 0, "method": "ping", "params": []}
        assert server.protocol_pings == 0
        assert stream.reconnects == 0  # pongs arrive: no reconnect
    finally:
        await stream.stop()


async def test_missing_pong_forces_reconnect(server: FakeWsServer) -> None:
    server.answer_pings = False
    rec = Recorder()
    stream = rec.stream(server.url, ping_interval=0.1, pong_timeout=0.2, stale_reconnect_after=30)
    await stream.start()
    try:
        await until(lambda: server.connections >= 2)
        await until(lambda: stream.reconnects >= 1)
        assert any("pong" in d for _, st, d in rec.states if st is StreamState.RECONNECTING)
        assert server.tokens_seen[:2] == ["token-1", "token-2"]  # a fresh token per connection
    finally:
        await stream.stop()


async def test_bad_frames_never_crash_the_loop(server: FakeWsServer) -> None:
    rec = Recorder()
    stream = rec.stream(server.url, stale_after=5, stale_reconnect_after=10)
    await stream.set_price_markets(["BTC_PERP"])
    await stream.start()
    try:
        await until(lambda: bool(rec.positions))
        bad = [
            "{not json",
            "[1, 2, 3]",
            json.dumps(
                {"method": "positionsMargin_update", "params": {"records": [{"market": "X"}]}}
            ),
            json.dumps({"method": "positionsMargin_update", "params": "nope"}),
            json.dumps({"method": "lastprice_update", "params": ["BTC_PERP", "abc"]}),
            json.dumps({"method": "lastprice_update", "params": [1]}),
            json.dumps({"method": "ordersPending_update", "params": [1, {"id": "x"}]}),
            json.dumps({"method": "something_new", "params": []}),
            json.dumps({"id": 999, "result": None}),
        ]
        for frame in bad:
            await server.send_raw(frame)
        await server.send_raw(b"\xff\xfe binary junk")
        await until(lambda: len(rec.errors) >= 8)
        n = len(rec.positions)
        await until(lambda: len(rec.positions) > n + 2)  # still flowing
        assert server.connections == 1 and stream.reconnects == 0
        assert any("invalid JSON" in e for e in rec.errors)
        assert any("positionsMargin_update" in e for e in rec.errors)
    finally:
        await stream.stop()


async def test_oversized_frame_reconnects_and_recovers(server: FakeWsServer) -> None:
    rec = Recorder()
    stream = rec.stream(server.url, max_frame_bytes=2048)
    await stream.start()
    try:
        await until(lambda: bool(rec.positions))
        await server.send_raw(json.dumps({"method": "x", "params": "y" * 10_000}))
        await until(lambda: stream.reconnects >= 1)
        n = len(rec.positions)
        await until(lambda: len(rec.positions) > n)
        assert stream.state("positions") is StreamState.LIVE
    finally:
        await stream.stop()


async def test_callback_exceptions_are_reported_not_fatal(server: FakeWsServer) -> None:
    errors: list[str] = []
    calls = {"n": 0}

    def boom(_positions: list[Position]) -> None:
        calls["n"] += 1
        raise RuntimeError("widget bug")

    stream = WhiteBitStream(
        server.url,
        token_provider=lambda: _token(),
        on_positions=boom,
        on_error=errors.append,
        **FAST,
    )
    await stream.start()
    try:
        await until(lambda: calls["n"] >= 3)
        assert any("widget bug" in e for e in errors)
        assert stream.reconnects == 0
    finally:
        await stream.stop()


async def _token() -> str:
    return "t"


async def test_server_restart_on_same_port_resubscribes_and_resumes() -> None:
    server = FakeWsServer()
    await server.start()
    port = server.port
    rec = Recorder()
    stream = rec.stream(server.url)
    await stream.set_price_markets(["BTC_PERP", "ETH_PERP"])
    await stream.set_order_markets(["BTC_PERP"])
    await stream.start()
    try:
        await until(lambda: bool(rec.positions))
        await server.stop()
        await until(lambda: stream.state("positions") is StreamState.RECONNECTING)
        await asyncio.sleep(0.3)  # a few failed attempts while the server is down
        assert stream.reconnects == 0

        server2 = FakeWsServer()
        server2.positions = [ws_position(pid=7, market="ETH_PERP", amount="2")]
        await server2.start(port=port)
        try:
            await until(lambda: any(p and p[0].id == 7 for p in rec.positions))
            assert stream.reconnects == 1
            assert stream.state("positions") is StreamState.LIVE
            assert server2.tokens_seen == ["token-2"]
            assert server2.requests("positionsMargin_subscribe")
            assert server2.requests("lastprice_subscribe")[0]["params"] == ["BTC_PERP", "ETH_PERP"]
            assert server2.requests("ordersPending_subscribe")[0]["params"] == ["BTC_PERP"]
            states = [st for s, st, _ in rec.states if s == "positions"]
            assert StreamState.RECONNECTING in states and states[-1] is StreamState.LIVE
        finally:
            await stream.stop()
            await server2.stop()
    finally:
        await stream.stop()


async def test_stale_flag_then_forced_reconnect(server: FakeWsServer) -> None:
    rec = Recorder()
    stream = rec.stream(server.url, stale_after=0.3, stale_reconnect_after=0.8, ping_interval=0.1)
    await stream.start()
    try:
        await until(lambda: stream.state("positions") is StreamState.LIVE)
        server.push_positions = False  # the connection stays up and answers pings
        await until(lambda: stream.state("positions") is StreamState.STALE)
        assert server.connections == 1
        await until(lambda: server.connections >= 2)  # forced reconnect
        assert any("stale" in d for s, st, d in rec.states if st is StreamState.RECONNECTING)
        server.push_positions = True
        await until(lambda: stream.state("positions") is StreamState.LIVE)
    finally:
        await stream.stop()


async def test_forced_reconnect_comes_at_its_deadline_not_a_tick_later(
    server: FakeWsServer,
) -> None:
    """The watch loop wakes for the reconnect deadline as it does for STALE: with a 0.6 s tick
    (a quarter of the 2.4 s STALE threshold) a reconnect noticed only at the next tick would
    come about 0.5 s after ``stale_reconnect_after`` (2.5 s); it must come at it (0.4 s of
    slack for a loaded machine)."""
    rec = Recorder()
    ages: list[float] = []  # seconds since the last update when the reconnect was decided

    def on_state(name: str, state: StreamState, detail: str) -> None:
        if state is StreamState.RECONNECTING and "stale" in detail and not ages:
            ages.append(time.monotonic() - stream.last_update("positions"))

    stream = WhiteBitStream(
        server.url,
        token_provider=rec.token,
        on_state=on_state,
        stale_after=2.4,
        stale_reconnect_after=2.5,
        ping_interval=30.0,
        pong_timeout=10.0,
    )
    await stream.start()
    try:
        await until(lambda: stream.state("positions") is StreamState.LIVE)
        server.push_positions = False
        await until(lambda: bool(ages), timeout=6.0)
        assert 2.5 < ages[0] < 2.5 + 0.4, f"reconnect {ages[0]:.2f} s after the last update"
    finally:
        await stream.stop()


async def test_set_price_markets_replaces_subscription(server: FakeWsServer) -> None:
    rec = Recorder()
    stream = rec.stream(server.url, private=False)
    await stream.set_price_markets(["BTC_PERP"])
    await stream.start()
    try:
        await until(lambda: bool(rec.prices))
        assert stream.state("positions") is StreamState.CLOSED  # no credentials: no private data
        await stream.set_price_markets(["ETH_PERP", "BTC_PERP"])
        await until(lambda: any(m == "ETH_PERP" for m, _ in rec.prices))
        subs = server.requests("lastprice_subscribe")
        assert [s["params"] for s in subs] == [["BTC_PERP"], ["ETH_PERP", "BTC_PERP"]]
        assert server.requests("authorize") == []
        await stream.set_price_markets([])
        assert server.requests("lastprice_unsubscribe")
    finally:
        await stream.stop()


async def test_orders_pending_updates(server: FakeWsServer) -> None:
    rec = Recorder()
    stream = rec.stream(server.url)
    await stream.set_order_markets(["BTC_PERP"])
    await stream.start()
    try:
        await until(lambda: bool(server.requests("ordersPending_subscribe")))
        order = {
            "id": 55,
            "market": "BTC_PERP",
            "type": 7,
            "side": 2,
            "ctime": 1700000000.25,
            "mtime": 1700000000.25,
            "price": "59000.1",
            "amount": "0.003",
            "left": "0.001",
            "deal_stock": "0.002",
            "deal_money": "118",
            "deal_fee": "0.01",
            "client_order_id": "ct-1",
            "status": "OPEN",
            "position_side": "BOTH",
            "reduce_only": False,
        }
        await server.send_raw(
            json.dumps({"id": None, "method": "ordersPending_update", "params": [2, order]})
        )
        await until(lambda: bool(rec.orders))
        event, o = rec.orders[0]
        assert event == 2 and o.id == 55 and o.side is Side.BUY and o.type is OrderType.LIMIT
        assert o.filled == Decimal("0.002") and o.timestamp == Decimal("1700000000.25")
    finally:
        await stream.stop()


async def test_refused_authorization_backs_off_and_retries(server: FakeWsServer) -> None:
    server.valid_tokens = {"token-3"}
    rec = Recorder()
    stream = rec.stream(server.url)
    await stream.start()
    try:
        await until(lambda: stream.state("positions") is StreamState.LIVE)
        assert server.tokens_seen == ["token-1", "token-2", "token-3"]
        assert any(
            "invalid argument" in d for _, st, d in rec.states if st is StreamState.RECONNECTING
        )
    finally:
        await stream.stop()


async def test_token_is_never_reported(server: FakeWsServer, caplog) -> None:
    caplog.set_level(logging.DEBUG)  # root at DEBUG: websockets would log every frame
    server.valid_tokens = set()  # every token refused
    secret_tokens: list[str] = []

    async def token() -> str:
        secret_tokens.append(f"very-secret-token-{len(secret_tokens)}")
        return secret_tokens[-1]

    states: list[str] = []
    errors: list[str] = []
    stream = WhiteBitStream(
        server.url,
        token_provider=token,
        on_state=lambda s, st, d: states.append(d),
        on_error=errors.append,
        **FAST,
    )
    await stream.start()
    try:
        await until(lambda: len(secret_tokens) >= 2)
    finally:
        await stream.stop()
    text = " ".join(states + errors) + repr(stream) + caplog.text
    assert "authorize" in " ".join(m["method"] for m in server.messages)
    assert all(t not in text for t in secret_tokens)
