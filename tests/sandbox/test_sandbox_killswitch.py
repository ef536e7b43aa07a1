"""Kill-switch timers (spec 4.x "Kill-switch (dead-man) timers"): sync, status, delete, expiry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal

import aiohttp
import pytest

from tui.sandbox import SandboxServer
from tui.sandbox.config import wall_clock

from .conftest import Client, fast_config

KILL = "/api/v4/order/kill-switch"
STATUS = "/api/v4/order/kill-switch/status"
LIMIT = "/api/v4/order/collateral/limit"
ORDERS = "/api/v4/orders"


class ShiftedClock:
    """Wall time plus an offset the test moves forward (nonces are not windowed, so the
    signing client keeps working whatever the sandbox's clock says)."""

    def __init__(self) -> None:
        self.offset = Decimal(0)

    def __call__(self) -> Decimal:
        return wall_clock() + self.offset


@pytest.fixture
def clock() -> ShiftedClock:
    return ShiftedClock()


@pytest.fixture
async def ks(clock: ShiftedClock) -> AsyncIterator[tuple[SandboxServer, Client]]:
    async with (
        SandboxServer(fast_config(clock=clock)) as sb,
        aiohttp.ClientSession() as http,
    ):
        yield sb, Client(http, sb.rest_url)


async def rest(client: Client, market: str, price: str, amount: str = "0.001") -> int:
    body = {"market": market, "side": "buy", "amount": amount, "price": price}
    return int((await client.ok(LIMIT, body))["orderId"])


async def open_ids(client: Client) -> set[int]:
    return {int(o["orderId"]) for o in await client.ok(ORDERS)}


async def wait_for(predicate, timeout: float = 3.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await predicate():
        assert asyncio.get_running_loop().time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"timeout": "60"}, 30, "market"),
        ({"market": "NOPE_USDT", "timeout": "60"}, 31, "market"),
        ({"market": "BTC_USDT"}, 30, "timeout"),  # the key must be present, even as null
        ({"market": "BTC_USDT", "timeout": "4"}, 30, "timeout"),
        ({"market": "BTC_USDT", "timeout": "601"}, 30, "timeout"),
        ({"market": "BTC_USDT", "timeout": "soon"}, 30, "timeout"),
        ({"market": "BTC_USDT", "timeout": "60", "types": []}, 30, "types"),
        ({"market": "BTC_USDT", "timeout": "60", "types": ["spot", "options"]}, 30, "types"),
        ({"market": "BTC_USDT", "timeout": "60", "types": "futures"}, 30, "types"),
    ],
)
async def test_kill_switch_validation(ks, body, code, field):
    _, client = ks
    reply = await client.post(KILL, body)
    assert reply.status == 422, reply
    assert reply.json["code"] == code
    assert reply.json["message"] == "Validation failed"
    assert field in reply.json["errors"]
    assert await client.ok(STATUS) == []


async def test_sync_status_reset_and_delete(ks, clock):
    _, client = ks
    timer = await client.ok(KILL, {"market": "BTC_PERP", "timeout": "30", "types": ["futures"]})
    assert set(timer) == {"market", "startTime", "cancellationTime", "types"}
    assert timer["market"] == "BTC_PERP" and timer["types"] == ["futures"]
    assert isinstance(timer["startTime"], int)
    assert timer["cancellationTime"] == timer["startTime"] + 30
    other = await client.ok(KILL, {"market": "BTC_USDT", "timeout": 10})
    assert other["types"] is None  # omitted = every type
    assert await client.ok(STATUS) == [timer, other]  # by market name
    assert await client.ok(STATUS, {"market": "BTC_PERP"}) == [timer]

    clock.offset += 20  # re-sending resets the timer from now
    again = await client.ok(KILL, {"market": "BTC_PERP", "timeout": "30", "types": ["futures"]})
    assert again["startTime"] >= timer["startTime"] + 20
    assert again["cancellationTime"] == again["startTime"] + 30

    assert await client.ok(KILL, {"market": "BTC_PERP", "timeout": None}) == []
    assert await client.ok(STATUS) == [other]
    assert await client.ok(KILL, {"market": "BTC_PERP", "timeout": None}) == []  # idempotent


async def test_expiry_cancels_that_markets_orders_only(ks, clock):
    _, client = ks
    btc = await rest(client, "BTC_USDT", "30000")
    eth = await rest(client, "ETH_USDT", "3000", amount="0.01")
    await client.ok(KILL, {"market": "BTC_USDT", "timeout": "5"})
    clock.offset += 4
    assert await open_ids(client) == {btc, eth}  # not yet due

    clock.offset += 2
    await wait_for(lambda: _without(client, btc))
    assert await open_ids(client) == {eth}
    assert await client.ok(STATUS) == []  # a timer fires once
    history = await client.ok("/api/v4/trade-account/order/history", {"market": "BTC_USDT"})
    assert [o["status"] for o in history["BTC_USDT"]] == ["CANCELED"]


async def test_renewal_postpones_expiry(ks, clock):
    _, client = ks
    btc = await rest(client, "BTC_USDT", "30000")
    for _ in range(3):
        await client.ok(KILL, {"market": "BTC_USDT", "timeout": "5"})
        clock.offset += 4
        await asyncio.sleep(0.6)  # a timer-loop pass sees the (not yet due) timer
        assert await open_ids(client) == {btc}
    clock.offset += 2
    await wait_for(lambda: _without(client, btc))


async def test_types_select_which_orders_are_cancelled(ks, clock):
    _, client = ks
    margin = await rest(client, "BTC_USDT", "30000")
    perp = await rest(client, "BTC_PERP", "30000")
    await client.ok(KILL, {"market": "BTC_USDT", "timeout": "5", "types": ["futures"]})
    await client.ok(KILL, {"market": "BTC_PERP", "timeout": "5", "types": ["futures"]})
    clock.offset += 6
    await wait_for(lambda: _without(client, perp))
    assert await client.ok(STATUS) == []
    assert await open_ids(client) == {margin}  # a margin order is not a "futures" order


async def _without(client: Client, order_id: int) -> bool:
    return order_id not in await open_ids(client)
