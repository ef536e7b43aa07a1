"""The WebSocket protocol: JSON-RPC shapes, auth, subscriptions, keepalive rules."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp

from tui.sandbox import SandboxServer

from .conftest import Ws, fast_config


async def test_ping_and_time(ws):
    reply = await ws.call("ping")
    assert reply == {"id": reply["id"], "result": "pong", "error": None}
    reply = await ws.call("time")
    assert isinstance(reply["result"], int) and reply["error"] is None


async def test_unknown_method_is_error_4(ws):
    reply = await ws.call("nope_subscribe", [])
    assert reply["result"] is None
    assert reply["error"] == {"code": 4, "message": "method not found"}


async def test_private_methods_need_authorize(ws, client):
    reply = await ws.call("positionsMargin_subscribe", [])
    assert reply["error"] == {"code": 6, "message": "require authentication"}
    bad = await ws.call("authorize", ["not-a-token", "public"])
    assert bad["error"]["code"] == 1 and bad["result"] is None
    await ws.authorize(client)
    reply = await ws.call("positionsMargin_subscribe", [])
    assert reply["result"] == {"status": "success"}


async def test_positions_snapshot_pushes(ws, client):
    await ws.authorize(client)
    await client.ok(
        "/api/v4/order/collateral/market", {"market": "BTC_PERP", "side": "sell", "amount": "0.01"}
    )
    await ws.call("positionsMargin_subscribe", [])
    first = await ws.wait_push("positionsMargin_update")
    second = await ws.wait_push("positionsMargin_update")  # keeps coming every push_interval
    for params in (first, second):
        assert params["total"] == 1
        record = params["records"][0]
        assert record["market"] == "BTC_PERP"
        assert record["amount"] == "-0.01"  # negative for a short
        assert record["position_side"] == "BOTH"
        assert record["liq_stage"] is None
        assert set(record) == {
            "id",
            "market",
            "ctime",
            "mtime",
            "amount",
            "amount_in_money",
            "base_price",
            "pnl",
            "liq_price",
            "liq_stage",
            "unrealized_funding",
            "funding",
            "margin",
            "free_margin",
            "realized_pnl",
            "position_side",
        }
    await ws.call("positionsMargin_unsubscribe", [])


async def test_lastprice_subscription(ws, sandbox):
    reply = await ws.call("lastprice_subscribe", ["BTC_PERP", "ETH_USDT"])
    assert reply["result"] == {"status": "success"}
    await sandbox.set_price("BTC_PERP", Decimal(61000))
    params = await ws.wait_push("lastprice_update", lambda p: p == ["BTC_PERP", "61000"])
    assert params == ["BTC_PERP", "61000"]
    # ticks keep coming
    await ws.wait_push("lastprice_update", lambda p: p[0] == "ETH_USDT")
    bad = await ws.call("lastprice_subscribe", ["NOPE"])
    assert bad["error"]["code"] == 1
    assert (await ws.call("lastprice_request", ["BTC_PERP"]))["result"] == "61000"


async def test_invalid_json_closes_the_connection(ws):
    await ws.ws.send_str("{not json")
    msg = await ws.ws.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_idle_connection_is_closed(http):
    async with (
        SandboxServer(fast_config(ws_idle_timeout=0.3)) as sb,
        http.ws_connect(sb.ws_url, autoping=False) as conn,
    ):
        client = Ws(conn)
        assert (await client.call("ping"))["result"] == "pong"
        await asyncio.sleep(0.15)
        assert (await client.call("ping"))["result"] == "pong"  # a message resets the timer
        msg = await conn.receive(timeout=5)
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)


async def test_balance_and_orders_channels(ws, client):
    await ws.authorize(client)
    balance = await ws.call("balanceMargin_request", ["USDT"])
    assert balance["result"]["USDT"]["balance"] == "10000"
    await ws.call("ordersPending_subscribe", ["BTC_USDT"])
    order = await client.ok(
        "/api/v4/order/collateral/limit",
        {"market": "BTC_USDT", "side": "buy", "amount": "0.001", "price": "30000"},
    )
    event_id, record = await ws.wait_push("ordersPending_update")
    assert event_id == 1 and record["id"] == order["orderId"]
    assert record["type"] == 7 and record["side"] == 2  # margin limit, buy
    await client.ok("/api/v4/order/cancel", {"market": "BTC_USDT", "orderId": order["orderId"]})
    event_id, record = await ws.wait_push("ordersPending_update")
    assert event_id == 3 and record["status"] == "CANCELED"


async def test_protocol_pings_do_not_keep_an_idle_connection_open(http):
    async with (
        SandboxServer(fast_config(ws_idle_timeout=0.4)) as sb,
        http.ws_connect(sb.ws_url, autoping=False) as conn,
    ):
        await conn.ping(b"x")
        pong = await conn.receive(timeout=2)
        assert pong.type == aiohttp.WSMsgType.PONG  # answered...
        await asyncio.sleep(0.2)
        await conn.ping(b"y")
        pong = await conn.receive(timeout=2)
        assert pong.type == aiohttp.WSMsgType.PONG
        msg = await conn.receive(timeout=5)  # ...but the idle timer was not reset
        assert msg.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
