"""SQLite state survives a restart; ``fresh`` starts clean; the engine is deterministic."""

from __future__ import annotations

from decimal import Decimal

from tui.sandbox import SandboxServer
from tui.sandbox.engine import Engine, EngineOptions
from tui.sandbox.engine.store import StateStore

from .conftest import Client, fast_config

D = Decimal


async def test_state_survives_a_restart(tmp_path, http):
    path = tmp_path / "state" / "sandbox.sqlite3"
    async with SandboxServer(fast_config(state_path=path)) as sb:
        client = Client(http, sb.rest_url)
        await client.ok("/api/v4/collateral-account/leverage", {"leverage": 10})
        await client.ok("/api/v4/collateral-account/hedge-mode/update", {"hedgeMode": True})
        await client.ok(
            "/api/v4/order/collateral/market",
            {"market": "BTC_PERP", "side": "buy", "amount": "0.01", "positionSide": "LONG"},
        )
        order = await client.ok(
            "/api/v4/order/collateral/limit",
            {
                "market": "ETH_USDT",
                "side": "buy",
                "amount": "0.01",
                "price": "2000",
                "clientOrderId": "keep-me",
            },
        )
        await sb.set_price("ETH_PERP", D("3100"))
        positions = await client.ok("/api/v4/collateral-account/positions/open")
        balance = sb.engine.balance
        last_nonce = client.nonce
    assert path.exists()

    async with SandboxServer(fast_config(state_path=path)) as sb:
        client = Client(http, sb.rest_url)
        client.nonce = last_nonce - 1  # a nonce the previous run already saw
        stale = await client.post("/api/v4/collateral-account/balance")
        assert stale.status == 429
        client.nonce = last_nonce + 10
        assert await client.ok("/api/v4/collateral-account/positions/open") == positions
        [kept] = await client.ok("/api/v4/orders")
        assert kept["orderId"] == order["orderId"] and kept["clientOrderId"] == "keep-me"
        assert await client.ok("/api/v4/collateral-account/hedge-mode") == {"hedgeMode": True}
        assert (await client.ok("/api/v4/collateral-account/summary"))["leverage"] == 10
        assert sb.engine.balance == balance
        assert sb.engine.prices["ETH_PERP"] == D("3100")
        history = await client.ok("/api/v4/collateral-account/positions/history")
        assert len(history) == 1
        # new ids continue after the old ones
        new = await client.ok(
            "/api/v4/order/collateral/limit",
            {"market": "ETH_USDT", "side": "buy", "amount": "0.01", "price": "2000"},
        )
        assert new["orderId"] > order["orderId"]

    async with SandboxServer(fast_config(state_path=path, fresh=True)) as sb:
        client = Client(http, sb.rest_url)
        assert await client.ok("/api/v4/collateral-account/positions/open") == []
        assert await client.ok("/api/v4/orders") == []
        assert (await client.ok("/api/v4/collateral-account/balance"))["USDT"] == 10000


def test_engine_random_walk_is_seeded_and_static_prices_freeze():
    clock = lambda: D("1800000000")

    def walk(seed: int, static: bool) -> list[Decimal]:
        engine = Engine(clock=clock, options=EngineOptions(seed=seed, static_prices=static))
        out = []
        for _ in range(20):
            engine.step_prices()
            out.append(engine.prices["BTC_PERP"])
        return out

    assert walk(3, False) == walk(3, False)
    assert walk(3, False) != walk(4, False)
    assert len(set(walk(3, False))) > 1
    assert set(walk(3, True)) == {D("65010")}
    for price in walk(5, False):
        assert price == price.quantize(D("0.01"))  # always on the price step


def test_engine_state_round_trip_keeps_the_walk_going(tmp_path):
    clock = lambda: D("1800000000")
    a = Engine(clock=clock, options=EngineOptions(seed=9))
    store = StateStore(tmp_path / "walk.sqlite3")
    store.restore(a)
    for _ in range(5):
        a.step_prices()
    store.commit(a, {}, prices=True)
    store.close()
    b = Engine(clock=clock, options=EngineOptions(seed=123))
    store = StateStore(tmp_path / "walk.sqlite3")
    store.restore(b)
    store.close()
    for _ in range(5):
        a.step_prices()
        b.step_prices()
    assert a.prices == b.prices
