"""TradingService against a real sandbox on a loopback port: state, commands, events."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path

import pytest
from service_support import Recorder, make_service, sandbox_config

from tui.domain.models import (
    Direction,
    OrderRequest,
    OrderType,
    PositionSide,
    Product,
    Side,
    StreamState,
)
from tui.sandbox import SandboxServer
from tui.service import CommandError, TradingService, events


def market_order(market: str, side: Side, amount: str, **kw: object) -> OrderRequest:
    return OrderRequest(
        market=market, side=side, type=OrderType.MARKET, amount=Decimal(amount), **kw
    )  # type: ignore[arg-type]


async def test_start_loads_venue_markets_and_balances(
    service: tuple[TradingService, Recorder],
) -> None:
    svc, rec = service
    assert svc.venue is not None and svc.venue.sandbox is True
    assert {"BTC_USDT", "ETH_USDT"} <= {m.name for m in svc.markets_for(Product.MARGIN)}
    assert {"BTC_PERP", "ETH_PERP"} <= {m.name for m in svc.markets_for(Product.FUTURES)}
    assert all(m.product is Product.FUTURES for m in svc.markets_for(Product.FUTURES))
    assert svc.balances["USDT"].balance == Decimal(10000)
    assert isinstance(svc.prices["BTC_PERP"], Decimal)
    await rec.wait_for(lambda: svc.stream_state("positions") is StreamState.LIVE)
    await rec.wait_for(lambda: svc.stream_state("prices") is StreamState.LIVE)


async def test_market_order_opens_position_and_close_removes_it(
    service: tuple[TradingService, Recorder],
) -> None:
    svc, rec = service
    orders = await svc.place_order(market_order("BTC_PERP", Side.BUY, "0.01"))
    assert orders and orders[0].market == "BTC_PERP"
    assert any(isinstance(e, events.OrderAccepted) for e in rec.events)
    await rec.wait_for(lambda: any(p.market == "BTC_PERP" for p in svc.positions.values()))
    (pos,) = [p for p in svc.positions.values() if p.market == "BTC_PERP"]
    assert pos.direction is Direction.LONG and pos.size == Decimal("0.01")
    assert pos.product is Product.FUTURES
    assert pos.liquidation_price is not None and pos.liquidation_price < svc.prices["BTC_PERP"]
    dist = svc.distance(pos)
    assert dist is not None and dist.percent > 0

    await svc.close_position(pos.id)
    await rec.wait_for(lambda: pos.id not in svc.positions)
    removed = [e for e in rec.of(events.PositionsChanged) if pos.id in e.removed]  # type: ignore[attr-defined]
    assert removed, "closing must publish the vanished id"
    # Closing our own position is not a liquidation.
    assert not [e for e in rec.of(events.PositionAlert) if e.kind == "liquidated"]  # type: ignore[attr-defined]


async def test_partial_close_halves_the_position(service: tuple[TradingService, Recorder]) -> None:
    svc, rec = service
    await svc.place_order(market_order("ETH_PERP", Side.SELL, "0.2"))
    await rec.wait_for(lambda: any(p.market == "ETH_PERP" for p in svc.positions.values()))
    (pos,) = [p for p in svc.positions.values() if p.market == "ETH_PERP"]
    assert pos.direction is Direction.SHORT
    await svc.close_position(pos.id, Decimal("0.1"))
    await rec.wait_for(
        lambda: pos.id in svc.positions and svc.positions[pos.id].size == Decimal("0.1")
    )
    assert svc.positions[pos.id].direction is Direction.SHORT


async def test_snapshot_is_a_full_replacement(
    sandbox: SandboxServer, service: tuple[TradingService, Recorder]
) -> None:
    """A position closed behind the service's back (another session) vanishes from state."""
    svc, rec = service
    await svc.place_order(market_order("BTC_PERP", Side.BUY, "0.01"))
    await svc.place_order(market_order("ETH_PERP", Side.BUY, "0.1"))
    await rec.wait_for(lambda: len(svc.positions) == 2)
    other = make_service(sandbox)
    await other.start()
    try:
        (eth,) = [p for p in other.positions.values() if p.market == "ETH_PERP"]
        await other.close_position(eth.id)
    finally:
        await other.stop()
    await rec.wait_for(lambda: len(svc.positions) == 1)
    assert [p.market for p in svc.positions.values()] == ["BTC_PERP"]


async def test_limit_order_listed_and_cancelled(service: tuple[TradingService, Recorder]) -> None:
    svc, _rec = service
    price = (svc.prices["BTC_USDT"] * Decimal("0.5")).quantize(Decimal("0.01"))
    (order,) = await svc.place_order(
        OrderRequest(
            market="BTC_USDT",
            side=Side.BUY,
            type=OrderType.LIMIT,
            amount=Decimal("0.001"),
            price=price,
        )
    )
    assert order.id in svc.orders and svc.orders[order.id].price == price
    assert order.client_order_id, "every order carries a clientOrderId"
    await svc.cancel_order(order.id)
    assert order.id not in svc.orders
    assert svc.positions == {}


async def test_exchange_rejection_is_a_command_error_with_code(
    service: tuple[TradingService, Recorder],
) -> None:
    svc, rec = service
    with pytest.raises(CommandError) as info:
        await svc.place_order(market_order("BTC_PERP", Side.BUY, "1000"))  # far beyond 10000 USDT
    assert info.value.code == 10
    rejected = rec.of(events.OrderRejected)
    assert rejected and rejected[-1].code == 10  # type: ignore[attr-defined]
    assert svc.positions == {}


async def test_leverage_and_hedge_mode(service: tuple[TradingService, Recorder]) -> None:
    svc, rec = service
    assert await svc.set_leverage(20) == 20
    assert svc.leverage == 20
    assert await svc.set_hedge_mode(True) is True
    assert svc.hedge_mode is True
    await svc.place_order(
        market_order("BTC_PERP", Side.BUY, "0.01", position_side=PositionSide.LONG)
    )
    await svc.place_order(
        market_order("BTC_PERP", Side.SELL, "0.01", position_side=PositionSide.SHORT)
    )
    await rec.wait_for(lambda: len(svc.positions) == 2)
    assert {p.direction for p in svc.positions.values()} == {Direction.LONG, Direction.SHORT}
    with pytest.raises(CommandError) as info:
        await svc.set_hedge_mode(False)
    assert info.value.code == 113
    failures = await svc.close_all_positions()
    assert failures == []
    await rec.wait_for(lambda: svc.positions == {})


async def test_margin_call_and_liquidation_alerts(
    sandbox: SandboxServer, service: tuple[TradingService, Recorder]
) -> None:
    svc, rec = service
    await svc.set_leverage(10)
    await svc.place_order(market_order("BTC_PERP", Side.BUY, "0.05"))
    await rec.wait_for(lambda: len(svc.positions) == 1)
    (pos,) = svc.positions.values()
    assert pos.liquidation_price is not None
    # Just above the liquidation price: margin call (and under the red distance threshold).
    near = (pos.liquidation_price * Decimal("1.003")).quantize(Decimal("0.01"))
    await sandbox.set_price("BTC_PERP", near)
    await rec.wait_for(lambda: any(e.kind == "margin_call" for e in rec.of(events.PositionAlert)))  # type: ignore[attr-defined]
    await rec.wait_for(
        lambda: any(e.kind == "near_liquidation" for e in rec.of(events.PositionAlert))
    )  # type: ignore[attr-defined]
    # Far below: liquidated (partially, then fully).
    await sandbox.set_price(
        "BTC_PERP", (pos.liquidation_price * Decimal("0.8")).quantize(Decimal("0.01"))
    )
    await sandbox.set_price(
        "BTC_PERP", (pos.liquidation_price * Decimal("0.7")).quantize(Decimal("0.01"))
    )
    await rec.wait_for(lambda: svc.positions == {}, timeout=15)
    assert any(e.kind == "liquidated" for e in rec.of(events.PositionAlert))  # type: ignore[attr-defined]


async def test_reconnect_resyncs_after_server_restart(tmp_path: Path) -> None:
    state_file = tmp_path / "sandbox.sqlite3"
    async with SandboxServer(sandbox_config(state_path=state_file)) as sb:
        port = int(sb.rest_url.rsplit(":", 1)[1])
        svc = make_service(sb)
        rec = Recorder()
        svc.subscribe(rec)
        await svc.start()
        await rec.wait_for(lambda: svc.stream_state("positions") is StreamState.LIVE)
        await svc.place_order(market_order("BTC_PERP", Side.BUY, "0.01"))
        await rec.wait_for(lambda: len(svc.positions) == 1)
        position_ids = set(svc.positions)
    try:
        await rec.wait_for(lambda: svc.stream_state("positions") is not StreamState.LIVE)
        async with SandboxServer(sandbox_config(port=port, state_path=state_file)) as sb2:
            assert sb2.rest_url == sb.rest_url
            await rec.wait_for(
                lambda: svc.stream_state("positions") is StreamState.LIVE, timeout=15
            )
            await rec.wait_for(lambda: svc.positions != {})
            assert set(svc.positions) == position_ids
    finally:
        await svc.stop()


async def test_a_fill_is_announced_once(service: tuple[TradingService, Recorder]) -> None:
    """The placement's answer and the stream's 'finished' event both report a market fill."""
    svc, rec = service
    await rec.wait_for(lambda: svc.stream_state("positions") is StreamState.LIVE)
    (order,) = await svc.place_order(market_order("BTC_PERP", Side.BUY, "0.01"))
    await rec.wait_for(lambda: len(svc.positions) == 1)
    # Give the stream's order events time to arrive as well.
    await asyncio.sleep(1.0)
    fills = [e for e in rec.of(events.OrderFilled) if e.order.id == order.id]  # type: ignore[attr-defined]
    assert len(fills) == 1


async def test_each_stream_has_its_own_stale_threshold(sandbox: SandboxServer) -> None:
    """The service passes on the venue's per-stream STALE thresholds (the desk judges ages by
    them): the production defaults unless the stream options say otherwise."""
    cfg = sandbox.config
    for options, expected in (
        ({}, (2.5, 2.5)),  # production: STALE_AFTER
        ({"stale_after": {"prices": 4.0}}, (2.5, 4.0)),
        ({"stale_after": 1.0}, (1.0, 1.0)),
    ):
        svc = TradingService.for_whitebit(
            sandbox.rest_url,
            sandbox.ws_url,
            api_key=cfg.api_key,
            api_secret=cfg.api_secret,
            stream_options=options,
        )
        assert svc.stale_after("positions") is None  # not started: not known yet
        await svc.start()
        try:
            assert (svc.stale_after("positions"), svc.stale_after("prices")) == expected
        finally:
            await svc.stop()
