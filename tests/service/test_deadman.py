"""The dead-man switch against a real sandbox: armed while a market has open orders, renewed,
deleted when the orders are gone and on a clean stop; off when the timeout is None."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal

import pytest
from service_support import make_service

from tui.domain.models import OrderRequest, OrderType, Side
from tui.sandbox import SandboxServer
from tui.service import TradingService
from tui.service.deadman import DeadManSwitch


def limit(market: str = "BTC_USDT", price: str = "30000", amount: str = "0.001") -> OrderRequest:
    return OrderRequest(
        market=market,
        side=Side.BUY,
        type=OrderType.LIMIT,
        amount=Decimal(amount),
        price=Decimal(price),
    )


async def until(cond: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.fixture
async def armed(sandbox: SandboxServer) -> AsyncIterator[TradingService]:
    svc = make_service(sandbox, dead_man_seconds=5, dead_man_renew=0.5)
    await svc.start()
    try:
        yield svc
    finally:
        await svc.stop()


async def test_arms_renews_and_disarms_with_the_open_orders(armed, sandbox):
    engine = sandbox.engine
    assert armed.dead_man.state.armed == () and armed.dead_man.state.timeout == 5
    (order,) = await armed.place_order(limit())
    await until(lambda: "BTC_USDT" in engine.kill_switches)
    first = engine.kill_switches["BTC_USDT"]
    assert first.timeout == 5 and first.types is None
    assert armed.dead_man.state.armed == ("BTC_USDT",)
    assert "BTC_PERP" not in engine.kill_switches  # no orders there

    await until(lambda: engine.kill_switches["BTC_USDT"].start > first.start)  # renewed

    await armed.cancel_order(order.id)
    await until(lambda: not engine.kill_switches)
    assert armed.dead_man.state.armed == ()


async def test_renewal_keeps_orders_past_the_timeout(armed, sandbox):
    (order,) = await armed.place_order(limit())
    await until(lambda: "BTC_USDT" in sandbox.engine.kill_switches)
    await asyncio.sleep(6)  # longer than the 5 s timer: only renewals keep the order alive
    assert order.id in sandbox.engine.orders


async def test_clean_stop_deletes_the_timers(sandbox):
    svc = make_service(sandbox, dead_man_seconds=5, dead_man_renew=0.5)
    await svc.start()
    try:
        (order,) = await svc.place_order(limit())
        await svc.place_order(limit("ETH_USDT", "3000", "0.01"))
        await until(lambda: set(sandbox.engine.kill_switches) == {"BTC_USDT", "ETH_USDT"})
    finally:
        await svc.stop()
    assert sandbox.engine.kill_switches == {}
    assert order.id in sandbox.engine.orders  # a clean quit leaves the orders, not the timers


async def test_off_when_the_timeout_is_none(sandbox):
    svc = make_service(sandbox)  # dead_man_seconds defaults to None
    await svc.start()
    try:
        assert not svc.dead_man.enabled and svc.dead_man.state.timeout is None
        await svc.place_order(limit())
        await asyncio.sleep(1.2)  # longer than a tick
        assert sandbox.engine.kill_switches == {}
    finally:
        await svc.stop()


def test_timeout_bounds():
    async def sync(market: str, timeout: int | None) -> None:
        return None

    for bad in (4, 601):
        with pytest.raises(ValueError):
            DeadManSwitch(sync, bad)
    assert DeadManSwitch(sync, 60).renew_every == 20  # a third of the timeout
