"""Positions: leverage, hedge mode, close, history, liquidation stages on the stream, funding,
borrow interest."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tui.domain import risk
from tui.domain.models import Direction
from tui.sandbox import SandboxServer

from .conftest import Client, fast_config

D = Decimal
MARKET = "/api/v4/order/collateral/market"
LIMIT = "/api/v4/order/collateral/limit"
POSITIONS = "/api/v4/collateral-account/positions/open"
HISTORY = "/api/v4/collateral-account/positions/history"
LEVERAGE = "/api/v4/collateral-account/leverage"
HEDGE = "/api/v4/collateral-account/hedge-mode/update"
CLOSE = "/api/v4/collateral-account/position/close"


async def test_leverage_values_and_margin_cap(client):
    bad = await client.post(LEVERAGE, {"leverage": 4})
    assert bad.status == 422 and bad.json["code"] == 30 and "leverage" in bad.json["errors"]
    assert (await client.post(LEVERAGE, {"leverage": "x"})).status == 422
    assert await client.ok(LEVERAGE, {"leverage": 100}) == {"leverage": 100}
    await client.ok(MARKET, {"market": "BTC_USDT", "side": "buy", "amount": "0.01"})
    await client.ok(MARKET, {"market": "BTC_PERP", "side": "buy", "amount": "0.01"})
    positions = {p["market"]: p for p in await client.ok(POSITIONS)}
    assert D(positions["BTC_USDT"]["margin"]) == D("65")  # margin pairs: min(100, 10) = 10x
    assert D(positions["BTC_PERP"]["margin"]) == D("6.501")  # futures: 100x
    summary = await client.ok("/api/v4/collateral-account/summary")
    assert summary["leverage"] == 100
    # the account leverage cannot change under open positions (code 113)
    locked = await client.post(LEVERAGE, {"leverage": 5})
    assert locked.status == 400 and locked.json["code"] == 113


async def test_hedge_mode_long_and_short_on_one_perp(client):
    assert await client.ok("/api/v4/collateral-account/hedge-mode") == {"hedgeMode": False}
    assert await client.ok(HEDGE, {"hedgeMode": True}) == {"hedgeMode": True}
    missing_side = await client.post(
        MARKET, {"market": "BTC_PERP", "side": "buy", "amount": "0.01"}
    )
    assert missing_side.status == 400 and missing_side.json["code"] == 114
    long_order = await client.ok(
        MARKET, {"market": "BTC_PERP", "side": "buy", "amount": "0.01", "positionSide": "LONG"}
    )
    assert long_order["positionSide"] == "LONG"
    await client.ok(
        MARKET, {"market": "BTC_PERP", "side": "sell", "amount": "0.02", "positionSide": "SHORT"}
    )
    positions = {p["positionSide"]: p for p in await client.ok(POSITIONS, {"market": "BTC_PERP"})}
    assert set(positions) == {"LONG", "SHORT"}
    assert positions["LONG"]["amount"] == "0.01" and positions["SHORT"]["amount"] == "-0.02"
    assert positions["LONG"]["positionId"] != positions["SHORT"]["positionId"]
    # sell LONG reduces the long only
    await client.ok(
        MARKET, {"market": "BTC_PERP", "side": "sell", "amount": "0.004", "positionSide": "LONG"}
    )
    positions = {p["positionSide"]: p for p in await client.ok(POSITIONS, {"market": "BTC_PERP"})}
    assert positions["LONG"]["amount"] == "0.006" and positions["SHORT"]["amount"] == "-0.02"
    # closing side without a position is refused (reduce semantics)
    no_pos = await client.post(
        MARKET, {"market": "ETH_PERP", "side": "sell", "amount": "0.01", "positionSide": "LONG"}
    )
    assert no_pos.status == 400 and no_pos.json["code"] == 116
    # margin pairs stay one-way in hedge mode
    margin = await client.ok(MARKET, {"market": "ETH_USDT", "side": "buy", "amount": "0.01"})
    assert margin["positionSide"] == "BOTH"
    # cannot leave hedge mode with futures positions
    locked = await client.post(HEDGE, {"hedgeMode": False})
    assert locked.status == 400 and locked.json["code"] == 113
    assert "hedgeMode" in locked.json["errors"]
    wrong = await client.post(
        CLOSE,
        {
            "positionId": positions["SHORT"]["positionId"],
            "market": "BTC_PERP",
            "positionSide": "LONG",
        },
    )
    assert wrong.status == 400 and wrong.json["code"] == 104
    for side in ("LONG", "SHORT"):
        assert (
            await client.ok(
                CLOSE,
                {
                    "positionId": positions[side]["positionId"],
                    "market": "BTC_PERP",
                    "positionSide": side,
                },
            )
            == []
        )
    assert await client.ok(POSITIONS, {"market": "BTC_PERP"}) == []
    assert await client.ok(HEDGE, {"hedgeMode": False}) == {"hedgeMode": False}
    history = await client.ok(HISTORY, {"market": "BTC_PERP"})
    assert all(e["isHedge"] is True for e in history)
    assert {e["side"] for e in history} == {"LONG", "SHORT"}


async def test_hedge_mode_update_refused_with_open_futures_orders(client):
    await client.ok(
        LIMIT, {"market": "BTC_PERP", "side": "buy", "amount": "0.01", "price": "30000"}
    )
    reply = await client.post(HEDGE, {"hedgeMode": True})
    assert reply.status == 400 and reply.json["code"] == 113
    missing = await client.post(HEDGE, {})
    assert missing.status == 422 and missing.json["code"] == 30


async def test_close_unknown_position_is_104(client):
    reply = await client.post(CLOSE, {"positionId": 42, "market": "BTC_PERP"})
    assert reply.status == 400
    assert reply.json == {
        "code": 104,
        "message": "Inner validation failed",
        "errors": {"positionId": ["position doesn't exist."]},
    }


async def test_positions_history_records_each_change(client, sandbox):
    opened = await client.ok(MARKET, {"market": "ETH_PERP", "side": "buy", "amount": "0.1"})
    await sandbox.set_price("ETH_PERP", D("3300"))
    partial = await client.ok(MARKET, {"market": "ETH_PERP", "side": "sell", "amount": "0.04"})
    [pos] = await client.ok(POSITIONS)
    assert D(pos["pnl"]) > 0  # realized from the partial close (current OAS meaning)
    await client.ok(CLOSE, {"positionId": pos["positionId"], "market": "ETH_PERP"})
    events = await client.ok(HISTORY, {"positionId": pos["positionId"]})
    assert [e["amount"] for e in events] == ["0", "0.06", "0.1"]  # newest first
    open_event = events[-1]
    assert open_event["orderDetail"]["id"] == opened["orderId"]
    assert open_event["orderDetail"]["realizedPnl"] is None
    partial_event = events[1]
    assert partial_event["orderDetail"]["id"] == partial["orderId"]
    assert D(partial_event["orderDetail"]["realizedPnl"]) == D("0.04") * (D("3300") - D("3201"))
    for event in events:
        assert event["positionSide"] == "BOTH" and event["side"] == "LONG"
        assert event["isHedge"] is False and event["liquidationState"] is None
        assert set(event["orderDetail"]) == {
            "id",
            "tradeAmount",
            "price",
            "tradeFee",
            "fundingFee",
            "realizedPnl",
        }
    page = await client.ok(HISTORY, {"market": "ETH_PERP", "limit": 1, "offset": 1})
    assert [e["amount"] for e in page] == ["0.06"]
    bad = await client.post(HISTORY, {"limit": 0})
    assert bad.status == 422


async def test_liquidation_stages_on_the_positions_stream(client, sandbox, ws):
    engine = sandbox.engine
    await client.ok(LEVERAGE, {"leverage": 10})
    opened = await client.ok(MARKET, {"market": "BTC_PERP", "side": "buy", "amount": "0.1"})
    pending = await client.ok(
        LIMIT, {"market": "BTC_PERP", "side": "buy", "amount": "0.01", "price": "40000"}
    )
    take_profit = await client.ok(
        LIMIT,
        {
            "market": "BTC_PERP",
            "side": "sell",
            "amount": "0.1",
            "price": "70000",
            "reduceOnly": True,
        },
    )
    await ws.authorize(client)
    await ws.call("positionsAccountMargin_subscribe", [])
    await ws.call("positionsMargin_subscribe", [])
    healthy = await ws.wait_push("positionsMargin_update")
    assert healthy["records"][0]["liq_stage"] is None
    [pos] = engine.open_positions()
    entry, margin, mmr = pos.entry, pos.margin, engine.catalog["BTC_PERP"].mmr
    liq = risk.liquidation_price(Direction.LONG, D("0.1"), entry, margin, mmr)
    call = risk.margin_call_price(Direction.LONG, D("0.1"), entry, margin, mmr)
    assert call is not None and liq is not None and call > liq

    # 1. margin call: between the margin-call and liquidation prices
    await sandbox.set_price("BTC_PERP", ((call + liq) / 2).quantize(D("0.01")))
    snap = await ws.wait_push(
        "positionsMargin_update", lambda p: p["records"][0]["liq_stage"] == "margin_call"
    )
    assert snap["records"][0]["amount"] == "0.1"
    event_type, event_pos = await ws.wait_push("positionsAccountMargin_update")
    assert event_type == 1 and event_pos["liq_stage"] == "margin_call"
    [rest_pos] = await client.ok(POSITIONS)
    assert rest_pos["liquidationState"] == "margin_call"

    # 2. partial liquidation: just past the liquidation price -> 25 % closed, margin restored
    await sandbox.set_price("BTC_PERP", liq.quantize(D("0.01")) - D("5"))
    snap = await ws.wait_push(
        "positionsMargin_update", lambda p: p["total"] == 1 and p["records"][0]["amount"] == "0.075"
    )
    record = snap["records"][0]
    assert record["liq_stage"] == "margin_call"
    new_liq = D(record["liq_price"])
    assert new_liq < liq
    event_type, event_pos = await ws.wait_push("positionsAccountMargin_update", lambda p: p[0] == 2)
    assert event_pos["liq_stage"] == "liquidation"
    assert [o["orderId"] for o in await client.ok("/api/v4/orders")] == [
        pending["orderId"],
        take_profit["orderId"],
    ]

    # 3. hit again: full liquidation, position gone, its orders cancelled, margin lost
    await sandbox.set_price("BTC_PERP", new_liq - D("1"))
    snap = await ws.wait_push("positionsMargin_update", lambda p: p["total"] == 0)
    assert snap["records"] == []
    assert await client.ok(POSITIONS) == []
    assert await client.ok("/api/v4/orders") == []
    history = (await client.ok("/api/v4/trade-account/order/history"))["BTC_PERP"]
    statuses = {h["id"]: h["status"] for h in history}
    assert statuses[pending["orderId"]] == "AUTO_CANCELED_LIQUIDATION"
    assert statuses[take_profit["orderId"]] == "AUTO_CANCELED_LIQUIDATION"
    open_fee = D(opened["dealFee"])
    assert engine.balance == D("10000") - margin - open_fee  # the whole margin is lost
    events = await client.ok(HISTORY, {"market": "BTC_PERP"})
    assert [e["liquidationState"] for e in events] == ["liquidation", "liquidation", None]
    assert [e["amount"] for e in events] == ["0", "0.075", "0.1"]
    assert events[0]["orderDetail"]["tradeAmount"] == "0.075"


async def test_liquidation_price_matches_domain_math(client, sandbox):
    await client.ok(LEVERAGE, {"leverage": 5})
    await client.ok(MARKET, {"market": "ETH_USDT", "side": "sell", "amount": "1"})
    [pos] = await client.ok(POSITIONS)
    expected = risk.liquidation_price(Direction.SHORT, D("1"), D("3200"), D("640"), D("0.03"))
    assert D(pos["liquidationPrice"]) == risk.quantize_price(expected, D("0.01"))
    assert pos["amount"] == "-1"


async def test_perp_funding_is_paid_from_the_balance(http):
    async with SandboxServer(fast_config(funding_interval=0.2)) as sb:
        client = Client(http, sb.rest_url)
        order = await client.ok(MARKET, {"market": "BTC_PERP", "side": "buy", "amount": "0.1"})
        after_open = sb.engine.balance
        records = []
        for _ in range(100):
            records = (await client.ok("/api/v4/collateral-account/funding-history"))["records"]
            if records:
                break
            await asyncio.sleep(0.05)
        assert records, "no funding round happened"
        first = records[-1]
        assert first["market"] == "BTC_PERP" and first["fundingRate"] == "0.0001"
        assert D(first["fundingAmount"]) == -D("0.1") * D("65010") * D("0.0001")  # longs pay
        assert first["positionAmount"] == "0.1"
        assert sb.engine.balance <= after_open + D(first["fundingAmount"])
        [pos] = await client.ok(POSITIONS)
        assert pos["funding"] == "0" and pos["unrealizedFunding"] == "0"  # never on PERP
        public = await client.get("/api/v4/public/funding-history/BTC_PERP")
        assert public.status == 200 and public.json[0]["market"] == "BTC_PERP"
        assert order["status"] == "FILLED"


async def test_margin_borrow_interest_accrues_and_settles(http):
    now = [D("1800000000")]
    async with SandboxServer(fast_config(clock=lambda: now[0])) as sb:
        client = Client(http, sb.rest_url)
        await client.ok(MARKET, {"market": "BTC_USDT", "side": "buy", "amount": "0.1"})
        [pos] = await client.ok(POSITIONS)
        assert pos["unrealizedFunding"] == "0"
        now[0] += 3600
        sb.engine.run_due()
        [pos] = await client.ok(POSITIONS)
        hourly = (D("6500") - D("1300")) * D("0.000585") / 24  # borrowed * daily rate / 24
        assert D(pos["unrealizedFunding"]) == hourly
        balance_before = sb.engine.balance
        partial = await client.ok(MARKET, {"market": "BTC_USDT", "side": "sell", "amount": "0.05"})
        [pos] = await client.ok(POSITIONS)
        assert pos["unrealizedFunding"] == "0" and D(pos["funding"]) == hourly
        assert sb.engine.balance == balance_before - hourly - D(partial["dealFee"])
        [event] = await client.ok(HISTORY, {"limit": 1})
        assert D(event["orderDetail"]["fundingFee"]) == hourly
        assert D(event["realizedFunding"]) == hourly
