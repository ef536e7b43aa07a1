"""Integration: the REST and WebSocket clients against the embedded sandbox, over real sockets."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tui.api import parsing
from tui.api.errors import AuthError, NonceError, ValidationError
from tui.api.rest import WhiteBitRest
from tui.api.signing import Credentials, NonceSource
from tui.api.ws import WhiteBitStream
from tui.domain.models import (
    AccountSummary,
    Balance,
    FundingPayment,
    Order,
    OrderRequest,
    OrderType,
    Position,
    PositionEvent,
    Product,
    Side,
    StreamState,
)
from tui.sandbox import DEMO_API_KEY, DEMO_API_SECRET, SandboxConfig, SandboxServer

CREDS = Credentials(DEMO_API_KEY, DEMO_API_SECRET)


def config(**kw: Any) -> SandboxConfig:
    opts: dict[str, Any] = {
        "port": 0,
        "static_prices": True,
        "tick_interval": 0.1,
        "push_interval": 0.1,
    }
    opts.update(kw)
    return SandboxConfig(**opts)


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(config()) as sb:
        yield sb


@pytest.fixture
async def rest(sandbox: SandboxServer) -> AsyncIterator[WhiteBitRest]:
    async with WhiteBitRest(
        sandbox.rest_url, CREDS, timeout=5.0, backoff_base=0.01, backoff_cap=0.05, reconcile_delay=0
    ) as client:
        yield client


async def until(cond: Callable[[], Any], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(0.02)


def req(market: str, side: Side, type_: OrderType, amount: str, **kw: Any) -> OrderRequest:
    extra = {
        k: Decimal(v) if isinstance(v, str) and k != "client_order_id" else v for k, v in kw.items()
    }
    return OrderRequest(market=market, side=side, type=type_, amount=Decimal(amount), **extra)


# ----------------------------------------------------------------------------- public


async def test_public_market_data(rest: WhiteBitRest) -> None:
    markets = {m.name: m for m in await rest.markets()}
    assert {Product.MARGIN, Product.FUTURES} <= {m.product for m in markets.values()}
    perp = markets["BTC_PERP"]
    assert perp.product is Product.FUTURES and perp.max_leverage == 100
    assert markets["BTC_USDT"].max_leverage == 10
    assert isinstance(perp.min_amount, Decimal) and perp.amount_precision >= 0
    tickers = await rest.tickers()
    assert tickers["BTC_PERP"] > 0 and isinstance(tickers["BTC_PERP"], Decimal)
    futures = {f.market: f for f in await rest.futures()}
    assert futures["BTC_PERP"].max_leverage == 100 and futures["BTC_PERP"].next_funding_ms > 0
    info = await rest.sandbox_info()
    assert info is not None and info["sandbox"] is True
    assert abs(await rest.server_time() - time.time()) < 60


# ----------------------------------------------------------------------------- account


async def test_account_endpoints(rest: WhiteBitRest) -> None:
    balance = await rest.collateral_balance()
    assert balance["USDT"] == Decimal(10000)
    assert await rest.collateral_balance("USDT") == {"USDT": Decimal(10000)}
    summary = await rest.balance_summary()
    assert all(isinstance(b, Balance) for b in summary)
    assert next(b for b in summary if b.asset == "USDT").balance == Decimal(10000)
    acct = await rest.account_summary()
    assert isinstance(acct, AccountSummary) and acct.equity == Decimal(10000)
    assert await rest.set_leverage(10) == 10
    assert (await rest.account_summary()).leverage == 10
    assert await rest.hedge_mode() is False
    assert await rest.set_hedge_mode(True) is True
    assert await rest.hedge_mode() is True
    assert await rest.set_hedge_mode(False) is False
    token = await rest.websocket_token()
    assert isinstance(token, str) and len(token) >= 8


async def test_unrealized_pnl_follows_the_price(sandbox: SandboxServer, rest: WhiteBitRest) -> None:
    await rest.place_order(req("BTC_PERP", Side.SELL, OrderType.MARKET, "0.01"))
    (before,) = await rest.open_positions()
    await sandbox.set_price("BTC_PERP", before.base_price - Decimal(1000))
    (after,) = await rest.open_positions()
    # pnl is the unrealized (mark-to-market) PnL: a short gains 0.01 * 1000 when price drops 1000
    assert after.pnl - before.pnl == Decimal(10)
    assert after.realized_pnl == 0


async def test_position_lifecycle(rest: WhiteBitRest) -> None:
    (filled,) = await rest.place_order(req("BTC_PERP", Side.SELL, OrderType.MARKET, "0.01"))
    assert filled.left == 0 and filled.deal_stock == Decimal("0.01") and filled.client_order_id
    (pos,) = await rest.open_positions()
    assert isinstance(pos, Position) and pos.market == "BTC_PERP"
    assert pos.amount == Decimal("-0.01")  # short, signed like the stream
    assert pos.liquidation_price is not None and pos.liquidation_price > pos.base_price
    assert await rest.open_positions("ETH_PERP") == []
    executed = await rest.executed_orders(market="BTC_PERP", client_order_id=filled.client_order_id)
    assert [o.id for o in executed] == [filled.id]
    await rest.close_position(pos.id, pos.market)
    assert await rest.open_positions() == []
    history = await rest.positions_history(market="BTC_PERP")
    assert history and all(isinstance(e, PositionEvent) for e in history)
    assert {e.position_id for e in history} == {pos.id}
    assert any(e.side == "SHORT" for e in history)
    assert await rest.positions_history(position_id=pos.id, limit=1)


async def test_funding_history() -> None:
    async with (
        SandboxServer(config(funding_interval=0.3)) as sb,
        WhiteBitRest(sb.rest_url, CREDS, reconcile_delay=0) as rest,
    ):
        await rest.place_order(req("BTC_PERP", Side.BUY, OrderType.MARKET, "0.01"))
        payments: list[FundingPayment] = []

        async def poll() -> None:
            while not payments:
                payments.extend(await rest.funding_history(market="BTC_PERP"))
                await asyncio.sleep(0.1)

        await asyncio.wait_for(poll(), 10)
    p = payments[0]
    assert p.market == "BTC_PERP" and isinstance(p.funding_amount, Decimal)
    assert p.position_amount == Decimal("0.01") and p.settlement_price > 0


# ----------------------------------------------------------------------------- orders


async def test_order_types_queries_and_cancels(rest: WhiteBitRest) -> None:
    (limit,) = await rest.place_order(
        req("BTC_PERP", Side.BUY, OrderType.LIMIT, "0.01", price="30000")
    )
    assert limit.type is OrderType.LIMIT and limit.left == Decimal("0.01") and limit.price == 30000
    (stop,) = await rest.place_order(
        req(
            "BTC_PERP",
            Side.BUY,
            OrderType.STOP_LIMIT,
            "0.01",
            price="70100",
            activation_price="70000",
        )
    )
    assert stop.type is OrderType.STOP_LIMIT and stop.activation_price == Decimal(70000)
    (trigger,) = await rest.place_order(
        req("ETH_PERP", Side.SELL, OrderType.TRIGGER_MARKET, "0.1", activation_price="2000")
    )
    assert trigger.type is OrderType.TRIGGER_MARKET
    (margin,) = await rest.place_order(
        req(
            "BTC_USDT",
            Side.BUY,
            OrderType.LIMIT,
            "0.001",
            price="40000",
            client_order_id="my.id-1_x",
        )
    )
    assert margin.client_order_id == "my.id-1_x"

    active = {o.id: o for o in await rest.active_orders()}
    assert {limit.id, stop.id, trigger.id, margin.id} <= set(active)
    assert [
        o.id for o in await rest.active_orders(market="BTC_USDT", client_order_id="my.id-1_x")
    ] == [margin.id]

    cancelled = await rest.cancel_order("BTC_PERP", order_id=limit.id)
    assert cancelled.id == limit.id and cancelled.status.upper().startswith("CANCEL")
    by_cid = await rest.cancel_order("BTC_USDT", client_order_id="my.id-1_x")
    assert by_cid.id == margin.id
    remaining = {o.id for o in await rest.active_orders()}
    assert limit.id not in remaining and margin.id not in remaining and stop.id in remaining
    history = await rest.executed_orders(market="BTC_PERP")
    assert limit.id in {o.id for o in history}


async def test_oco_place_list_cancel(rest: WhiteBitRest) -> None:
    await rest.place_order(req("BTC_PERP", Side.BUY, OrderType.MARKET, "0.01"))
    legs = await rest.place_order(
        req(
            "BTC_PERP",
            Side.SELL,
            OrderType.OCO,
            "0.01",
            price="90000",
            activation_price="40000",
            stop_limit_price="39000",
            reduce_only=True,
        )
    )
    assert len(legs) == 2
    oco_id = legs[0].oco_id
    assert oco_id is not None and {leg.oco_id for leg in legs} == {oco_id}
    assert {leg.type for leg in legs} == {OrderType.LIMIT, OrderType.STOP_LIMIT}
    groups = await rest.conditional_orders(market="BTC_PERP")
    assert [g["id"] for g in groups] == [oco_id]
    listed = parsing.parse_conditional_oco_legs(groups)
    assert {o.id for o in listed} == {leg.id for leg in legs}
    await rest.cancel_oco("BTC_PERP", oco_id)
    assert await rest.conditional_orders(market="BTC_PERP") == []


async def test_bulk(rest: WhiteBitRest) -> None:
    results = await rest.place_bulk(
        [
            req("BTC_PERP", Side.BUY, OrderType.LIMIT, "0.01", price="30000"),
            req("BTC_PERP", Side.BUY, OrderType.LIMIT, "0.01", price="0.001"),  # off the price step
            req("ETH_PERP", Side.SELL, OrderType.LIMIT, "0.1", price="9000"),
        ]
    )
    ok1, bad, ok2 = results
    assert isinstance(ok1, Order) and isinstance(ok2, Order)
    assert isinstance(bad, ValidationError) and bad.code == 33 and "price" in bad.errors
    assert {ok1.id, ok2.id} <= {o.id for o in await rest.active_orders()}


# ----------------------------------------------------------------------------- errors


async def test_documented_errors_are_typed(rest: WhiteBitRest) -> None:
    async def fails(coro: Any) -> ValidationError:
        with pytest.raises(ValidationError) as info:
            await coro
        return info.value

    step = await fails(
        rest.place_order(req("BTC_PERP", Side.BUY, OrderType.LIMIT, "0.000001", price="30000"))
    )
    assert step.code == 32 and "amount" in step.errors
    money = await fails(rest.place_order(req("BTC_PERP", Side.BUY, OrderType.MARKET, "100")))
    assert money.code == 10 and money.errors == {"amount": ["Not enough balance."]}
    assert str(money) == "[code 10] Inner validation failed (amount: Not enough balance.)"
    market = await fails(rest.place_order(req("NOPE_PERP", Side.BUY, OrderType.MARKET, "1")))
    assert market.code == 31 and "market" in market.errors
    missing = await fails(rest.cancel_order("BTC_PERP", order_id=123456))
    assert missing.code == 2 and missing.errors == {"orderId": ["Unexecuted order was not found."]}
    gone = await fails(rest.close_position(999, "BTC_PERP"))
    assert gone.code == 104 and "positionId" in gone.errors
    lev = await fails(rest.set_leverage(7))
    assert lev.code == 30 and lev.status in (400, 422)
    await rest.place_order(
        req("BTC_PERP", Side.BUY, OrderType.LIMIT, "0.01", price="30000", client_order_id="dup-1")
    )
    dup = await fails(
        rest.place_order(
            req(
                "BTC_PERP",
                Side.BUY,
                OrderType.LIMIT,
                "0.01",
                price="30000",
                client_order_id="dup-1",
            )
        )
    )
    assert dup.code == 36
    hedge = await fails(rest.set_hedge_mode(True))  # an open order exists
    assert hedge.code == 113


async def test_bad_credentials_are_auth_errors(sandbox: SandboxServer) -> None:
    async with WhiteBitRest(sandbox.rest_url, Credentials(DEMO_API_KEY, "wrong-secret")) as rest:
        with pytest.raises(AuthError) as info:
            await rest.account_summary()
    assert info.value.status == 401 and info.value.code == 10
    assert "wrong-secret" not in str(info.value) + repr(info.value)


# ----------------------------------------------------------------------------- nonces


async def test_50_concurrent_signed_calls_zero_nonce_rejections(rest: WhiteBitRest, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="tui.api.rest")
    calls = [
        rest.collateral_balance,
        rest.account_summary,
        rest.open_positions,
        rest.active_orders,
        rest.balance_summary,
    ]
    results = await asyncio.gather(*(calls[i % len(calls)]() for i in range(50)))
    assert len(results) == 50
    assert "nonce rejected" not in caplog.text
    assert rest.nonces.last <= time.time_ns() // 1_000_000 + 100  # no jump-ahead happened
    # Orders placed concurrently also all get through.
    orders = await asyncio.gather(
        *(
            rest.place_order(
                req("BTC_PERP", Side.BUY, OrderType.LIMIT, "0.01", price=str(30000 + i))
            )
            for i in range(10)
        )
    )
    assert len({o[0].id for o in orders}) == 10
    assert "nonce rejected" not in caplog.text


async def test_server_nonce_ahead_recovers_and_persists(
    sandbox: SandboxServer, tmp_path: Path, caplog
) -> None:
    caplog.set_level(logging.WARNING, logger="tui.api.rest")
    ahead = NonceSource(clock=lambda: time.time_ns() // 1_000_000 + 20 * 60 * 1000)
    strict = {"nonce_window": False}  # without nonceWindow, the server's last nonce counts
    async with WhiteBitRest(sandbox.rest_url, CREDS, nonce_source=ahead, **strict) as other:
        await other.collateral_balance()  # another process with a clock 20 min fast
    path = tmp_path / "nonce"
    async with WhiteBitRest(sandbox.rest_url, CREDS, nonce_path=path, **strict) as rest:
        assert (await rest.collateral_balance())["USDT"] == Decimal(10000)
    assert caplog.text.count("nonce rejected") == 3  # 1 s, 1 min, 1 h: bounded
    # After a restart the persisted nonce is used: no more rejections.
    async with WhiteBitRest(sandbox.rest_url, CREDS, nonce_path=path, **strict) as rest:
        await rest.collateral_balance()
    assert caplog.text.count("nonce rejected") == 3


async def test_an_exchange_clock_ahead_of_ours_falls_back_to_growing_nonces() -> None:
    """The sandbox's clock 30 s ahead: our ``nonceWindow`` nonces are "more than 5 seconds
    lesser" than its time. Two refusals, then the client sends without nonceWindow and every
    call succeeds."""

    def clock() -> Decimal:
        return Decimal(time.time_ns()) / 10**9 + 30

    async with (
        SandboxServer(config(clock=clock)) as sb,
        WhiteBitRest(sb.rest_url, CREDS, timeout=5.0) as rest,
    ):
        await rest.collateral_balance()
        await rest.collateral_balance()
        assert sb.recorder.nonce_rejections() == 2
        assert len(sb.recorder.nonces[DEMO_API_KEY]) == 2


async def test_hopeless_nonce_gives_up(sandbox: SandboxServer) -> None:
    far = NonceSource(clock=lambda: time.time_ns() // 1_000_000 + 48 * 3600 * 1000)
    async with WhiteBitRest(sandbox.rest_url, CREDS, nonce_source=far, nonce_window=False) as other:
        await other.collateral_balance()
    async with WhiteBitRest(sandbox.rest_url, CREDS, nonce_window=False) as rest:
        with pytest.raises(NonceError):
            await rest.collateral_balance()


# ----------------------------------------------------------------------------- websocket


class Seen:
    def __init__(self) -> None:
        self.positions: list[list[Position]] = []
        self.prices: list[tuple[str, Decimal]] = []
        self.orders: list[tuple[int, Order]] = []
        self.errors: list[str] = []

    def stream(self, url: str, rest: WhiteBitRest, **kw: Any) -> WhiteBitStream:
        opts: dict[str, Any] = {
            "ping_interval": 0.5,
            "pong_timeout": 1.0,
            "stale_after": 1.0,
            "stale_reconnect_after": 3.0,
            "backoff_base": 0.05,
            "backoff_cap": 0.3,
        }
        opts.update(kw)
        return WhiteBitStream(
            url,
            token_provider=rest.websocket_token,
            on_positions=self.positions.append,
            on_price=lambda m, p: self.prices.append((m, p)),
            on_order=lambda e, o: self.orders.append((e, o)),
            on_error=self.errors.append,
            **opts,
        )


async def test_stream_positions_prices_and_orders(
    sandbox: SandboxServer, rest: WhiteBitRest
) -> None:
    seen = Seen()
    stream = seen.stream(sandbox.ws_url, rest)
    await stream.set_price_markets(["BTC_PERP", "ETH_PERP"])
    await stream.set_order_markets(["BTC_PERP"])
    await stream.start()
    try:
        await until(lambda: stream.state("positions") is StreamState.LIVE and seen.prices)
        assert seen.positions[-1] == []
        await rest.place_order(req("BTC_PERP", Side.SELL, OrderType.MARKET, "0.02"))
        await until(lambda: seen.positions and seen.positions[-1])
        (pos,) = seen.positions[-1]
        assert pos.amount == Decimal("-0.02") and pos.market == "BTC_PERP"
        (limit,) = await rest.place_order(
            req("BTC_PERP", Side.BUY, OrderType.LIMIT, "0.01", price="30000")
        )
        await until(lambda: any(o.id == limit.id for _, o in seen.orders))
        event, order = next((e, o) for e, o in seen.orders if o.id == limit.id)
        assert event == 1 and order.side is Side.BUY and order.type is OrderType.LIMIT
        await sandbox.set_price("BTC_PERP", Decimal(61000))
        await until(lambda: ("BTC_PERP", Decimal(61000)) in seen.prices)
        assert seen.errors == []
    finally:
        await stream.stop()


async def test_stream_survives_sandbox_restart_on_same_port(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.sqlite"
    first = SandboxServer(config(state_path=state))
    await first.start()
    port = first.port
    seen = Seen()
    rest = WhiteBitRest(
        first.rest_url, CREDS, reconcile_delay=0, backoff_base=0.01, backoff_cap=0.05
    )
    stream = seen.stream(first.ws_url, rest)
    second: SandboxServer | None = None
    try:
        await rest.place_order(req("ETH_PERP", Side.BUY, OrderType.MARKET, "0.5"))
        await stream.set_price_markets(["ETH_PERP"])
        await stream.start()
        await until(lambda: seen.positions and seen.positions[-1])
        pid = seen.positions[-1][0].id
        await first.close()
        await until(lambda: stream.state("positions") is StreamState.RECONNECTING)
        n = len(seen.positions)
        await asyncio.sleep(0.3)
        assert len(seen.positions) == n and stream.reconnects == 0

        second = SandboxServer(config(state_path=state, port=port))
        await second.start()
        # (the counter moves once every subscription is confirmed: a snapshot can come first)
        await until(
            lambda: (
                len(seen.positions) > n
                and stream.state("positions") is StreamState.LIVE
                and stream.reconnects > 0
            )
        )
        assert stream.reconnects == 1
        assert [p.id for p in seen.positions[-1]] == [pid]  # the same position, resumed
        m = len(seen.prices)
        await until(lambda: len(seen.prices) > m)  # prices resubscribed too
        # REST keeps working on the same client after the restart (new connection, nonce ok).
        assert [p.id for p in await rest.open_positions()] == [pid]
    finally:
        await stream.stop()
        await rest.aclose()
        if second is not None:
            await second.close()
        await first.close()


async def test_stale_flag_and_forced_reconnect_with_slow_pushes() -> None:
    # The sandbox pushes positions every 1 s; with stale_after 0.3 s the stream flags STALE
    # between pushes, and with stale_reconnect_after 0.6 s it forces reconnects.
    async with (
        SandboxServer(config(push_interval=1.0)) as sb,
        WhiteBitRest(sb.rest_url, CREDS) as rest,
    ):
        states: list[tuple[str, StreamState]] = []
        stream = WhiteBitStream(
            sb.ws_url,
            token_provider=rest.websocket_token,
            on_state=lambda s, st, d: states.append((s, st)),
            ping_interval=0.2,
            pong_timeout=1.0,
            stale_after=0.3,
            stale_reconnect_after=0.6,
            backoff_base=0.01,
            backoff_cap=0.05,
        )
        await stream.start()
        try:
            await until(lambda: ("positions", StreamState.STALE) in states)
            await until(lambda: stream.reconnects >= 1)
        finally:
            await stream.stop()
    assert ("positions", StreamState.LIVE) in states


async def test_json_pings_keep_the_connection_past_the_idle_timeout() -> None:
    async with (
        SandboxServer(config(ws_idle_timeout=0.6)) as sb,
        WhiteBitRest(sb.rest_url, CREDS) as rest,
    ):
        streams = {}
        for name, ping in (("pinging", 0.15), ("silent", 30.0)):
            streams[name] = WhiteBitStream(
                sb.ws_url,
                token_provider=rest.websocket_token,
                ping_interval=ping,
                pong_timeout=1.0,
                stale_after=5,
                stale_reconnect_after=10,
                backoff_base=0.01,
                backoff_cap=0.05,
            )
            await streams[name].start()
        try:
            await until(lambda: streams["silent"].reconnects >= 1)  # idle-closed by the server
            await asyncio.sleep(0.8)
            assert streams["pinging"].reconnects == 0
            assert streams["pinging"].state("positions") is StreamState.LIVE
        finally:
            for stream in streams.values():
                await stream.stop()


async def test_each_stream_goes_stale_after_its_own_threshold() -> None:
    """``stale_after`` per stream: when the connection goes silent, the positions stream (a full
    snapshot every push) is STALE after its own shorter threshold while prices is still LIVE;
    prices follows after its own; the forced reconnect still comes after
    ``stale_reconnect_after``."""
    async with (
        SandboxServer(config()) as sb,
        WhiteBitRest(sb.rest_url, CREDS) as rest,
    ):
        states: list[tuple[float, str, StreamState, str]] = []
        stream = WhiteBitStream(
            sb.ws_url,
            token_provider=rest.websocket_token,
            on_state=lambda s, st, d: states.append((time.monotonic(), s, st, d)),
            ping_interval=30.0,
            pong_timeout=10.0,
            stale_after={"positions": 0.4, "prices": 1.2},
            stale_reconnect_after=1.6,
            backoff_base=0.01,
            backoff_cap=0.05,
        )
        await stream.set_price_markets(["BTC_PERP"])
        await stream.start()
        try:
            await until(
                lambda: (
                    stream.state("positions") is StreamState.LIVE
                    and stream.state("prices") is StreamState.LIVE
                )
            )
            assert (stream.stale_after("positions"), stream.stale_after("prices")) == (0.4, 1.2)
            await sb.faults.inject("ws_stall")  # open and silent: no pushes, no replies
            await until(lambda: stream.state("positions") is StreamState.STALE)
            assert stream.state("prices") is StreamState.LIVE  # its own, longer threshold
            await until(lambda: stream.state("prices") is StreamState.STALE)
            stale = {s: (t, d) for t, s, st, d in states if st is StreamState.STALE}
            # each one measured from its own last update, against its own threshold
            assert stale["positions"][0] - stream.last_update("positions") > 0.4
            assert stale["prices"][0] - stream.last_update("prices") > 1.2
            assert stale["positions"][1] == "no update for 0.4 s"
            assert stale["prices"][1] == "no update for 1.2 s"
            await until(lambda: stream.reconnects >= 1)  # a new connection, not stalled
            reasons = [d for _, s, st, d in states if st is StreamState.RECONNECTING]
            assert "positions stale for more than 1.6 s" in reasons
            await until(lambda: stream.state("positions") is StreamState.LIVE)
        finally:
            await stream.stop()


def test_stale_after_per_stream_defaults_and_overrides() -> None:
    from tui.api.ws import STALE_AFTER, stale_thresholds

    # production: both leave half a second before the README's 3 s for the desk to paint STALE
    assert stale_thresholds() == {"positions": 2.5, "prices": 2.5} == dict(STALE_AFTER)
    assert stale_thresholds(1) == {"positions": 1.0, "prices": 1.0}  # one number: both
    assert stale_thresholds({"positions": 0.5}) == {"positions": 0.5, "prices": 2.5}
    with pytest.raises(ValueError, match="unknown streams"):
        stale_thresholds({"orders": 1.0})
    with pytest.raises(ValueError, match="positive"):
        stale_thresholds({"prices": 0})
    stream = WhiteBitStream("ws://127.0.0.1:9/ws", token_provider=None)
    assert (stream.stale_after("positions"), stream.stale_after("prices")) == (2.5, 2.5)
