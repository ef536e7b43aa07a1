"""Order endpoints: validation codes, matching, reservations, fees, stops, OCO, bulk, queries."""

from __future__ import annotations

from decimal import Decimal

import pytest

LIMIT = "/api/v4/order/collateral/limit"
MARKET = "/api/v4/order/collateral/market"
STOP_LIMIT = "/api/v4/order/collateral/stop-limit"
TRIGGER = "/api/v4/order/collateral/trigger-market"
OCO = "/api/v4/order/collateral/oco"
CANCEL = "/api/v4/order/cancel"
ORDERS = "/api/v4/orders"
BALANCE = "/api/v4/collateral-account/balance"
POSITIONS = "/api/v4/collateral-account/positions/open"
D = Decimal


def limit(**kw):
    order = {"market": "BTC_USDT", "side": "buy", "amount": "0.001", "price": "30000"}
    order.update(kw)
    return order


@pytest.mark.parametrize(
    ("order", "status", "code", "field"),
    [
        ({"market": "NOPE_USDT"}, 422, 31, "market"),
        ({"market": None}, 422, 30, "market"),
        ({"side": "up"}, 422, 30, "side"),
        ({"amount": "0.0000001"}, 422, 32, "amount"),  # off the 6-decimal step
        ({"amount": "0.00005"}, 422, 32, "amount"),  # below minAmount 0.0001
        ({"amount": "-1"}, 422, 32, "amount"),
        ({"amount": "lots"}, 422, 32, "amount"),
        ({"price": "30000.001"}, 422, 33, "price"),
        ({"price": "0"}, 422, 33, "price"),
        ({"amount": "0.0001", "price": "100"}, 422, 30, "total"),  # 0.01 < minTotal 5
        ({"postOnly": True, "ioc": True}, 422, 37, "ioc"),
        ({"clientOrderId": "bad id!"}, 422, 36, "clientOrderId"),
        ({"positionSide": "LONG"}, 400, 114, "positionSide"),  # one-way mode
        ({"reduceOnly": True}, 400, 116, "reduceOnly"),  # no position
        ({"amount": "1", "price": "60000"}, 400, 10, "amount"),  # 60000/5 > 10000
        ({"postOnly": "yes"}, 422, 30, "postOnly"),
    ],
)
async def test_limit_order_validation(client, order, status, code, field):
    body = limit(**order)
    if body.get("market") is None:
        del body["market"]
    reply = await client.post(LIMIT, body)
    assert reply.status == status, reply
    assert reply.json["code"] == code
    assert field in reply.json["errors"]
    assert reply.json["message"] in ("Validation failed", "Inner validation failed")
    assert await client.ok(ORDERS) == []  # nothing was placed


async def test_limit_rests_reserves_and_fills_at_its_price_with_maker_fee(client, sandbox):
    order = await client.ok(LIMIT, limit(amount="0.01", price="64000", clientOrderId="my-1"))
    assert order["status"] == "OPEN" and order["left"] == "0.01" and order["type"] == "limit"
    assert order["clientOrderId"] == "my-1" and order["positionSide"] == "BOTH"
    # reserve = 0.01*64000/5 (margin at 5x) + 0.01*64000*0.1% (taker fee bound) = 128 + 0.64
    assert (await client.ok(BALANCE))["USDT"] == D("9871.36")
    listed = await client.ok(ORDERS, {"market": "BTC_USDT"})
    assert [o["orderId"] for o in listed] == [order["orderId"]]
    await sandbox.set_price("BTC_USDT", D("63990"))  # crosses the limit
    assert await client.ok(ORDERS) == []
    [pos] = await client.ok(POSITIONS)
    assert D(pos["basePrice"]) == D("64000") and pos["amount"] == "0.01"
    assert D(pos["margin"]) == D("128")
    history = await client.ok("/api/v4/trade-account/order/history", {"clientOrderId": "my-1"})
    [done] = history["BTC_USDT"]
    assert done["status"] == "FILLED" and D(done["dealFee"]) == D("0.64")  # maker 0.1 %
    # balance = 10000 - fee; available = balance - margin
    assert sandbox.engine.balance == D("9999.36")
    assert (await client.ok(BALANCE))["USDT"] == D("9871.36")


async def test_marketable_limit_takes_at_the_last_price(client):
    order = await client.ok(LIMIT, limit(amount="0.001", price="70000"))
    assert order["status"] == "FILLED" and order["left"] == "0"
    assert D(order["dealMoney"]) == D("65")  # 0.001 * 65000, price improvement


async def test_post_only_that_would_take_is_refused(client):
    reply = await client.post(LIMIT, limit(price="70000", postOnly=True))
    assert reply.status == 400 and reply.json["code"] == 13 and "postOnly" in reply.json["errors"]


async def test_ioc_that_cannot_fill_is_cancelled(client):
    order = await client.ok(LIMIT, limit(ioc=True))
    assert order["status"] == "CANCELED" and order["left"] == "0.001"
    assert await client.ok(ORDERS) == []


async def test_market_order_fills_with_taker_fee(client, sandbox):
    order = await client.ok(MARKET, {"market": "BTC_PERP", "side": "buy", "amount": "0.01"})
    assert order["type"] == "market" and order["status"] == "FILLED"
    assert "price" not in order
    assert D(order["dealMoney"]) == D("650.1")
    assert D(order["dealFee"]) == D("0.357555")  # 0.055 % taker on PERP
    deals = await client.ok("/api/v4/trade-account/executed-history", {"market": "BTC_PERP"})
    assert deals[0]["orderId"] == order["orderId"] and deals[0]["role"] == 2


async def test_one_way_mode_nets_and_flips(client):
    await client.ok(MARKET, {"market": "BTC_PERP", "side": "buy", "amount": "0.02"})
    await client.ok(MARKET, {"market": "BTC_PERP", "side": "sell", "amount": "0.03"})
    [pos] = await client.ok(POSITIONS, {"market": "BTC_PERP"})
    assert pos["amount"] == "-0.01" and pos["positionSide"] == "BOTH"


async def test_reduce_only_is_clipped_to_the_position(client):
    await client.ok(MARKET, {"market": "BTC_PERP", "side": "buy", "amount": "0.01"})
    same_side = await client.post(
        MARKET, {"market": "BTC_PERP", "side": "buy", "amount": "0.01", "reduceOnly": True}
    )
    assert same_side.status == 400 and same_side.json["code"] == 116
    order = await client.ok(
        MARKET, {"market": "BTC_PERP", "side": "sell", "amount": "0.05", "reduceOnly": True}
    )
    assert order["amount"] == "0.01" and order["reduceOnly"] is True
    assert await client.ok(POSITIONS) == []


async def test_client_order_id_unique_among_open_orders_only(client):
    first = await client.ok(LIMIT, limit(clientOrderId="abc.1"))
    dup = await client.post(LIMIT, limit(clientOrderId="abc.1"))
    assert dup.status == 422 and dup.json["code"] == 36
    other_market = await client.post(
        LIMIT, limit(market="ETH_USDT", amount="0.01", price="1000", clientOrderId="abc.1")
    )
    assert other_market.status == 200
    cancelled = await client.ok(CANCEL, {"market": "BTC_USDT", "clientOrderId": "abc.1"})
    assert cancelled["orderId"] == first["orderId"] and cancelled["status"] == "CANCELED"
    assert (await client.post(LIMIT, limit(clientOrderId="abc.1"))).status == 200


async def test_cancel_errors(client):
    missing = await client.post(CANCEL, {"market": "BTC_USDT", "orderId": 123})
    assert missing.status == 400
    assert missing.json == {
        "code": 2,
        "message": "Inner validation failed",
        "errors": {"orderId": ["Unexecuted order was not found."]},
    }
    both = await client.post(CANCEL, {"market": "BTC_USDT", "orderId": 1, "clientOrderId": "x"})
    assert both.status == 422 and both.json["code"] == 30
    no_market = await client.post(CANCEL, {"orderId": 1})
    assert no_market.status == 422 and no_market.json["errors"] == {
        "market": ["Market field is required."]
    }


async def test_stop_limit_activates_then_fills(client, sandbox):
    order = await client.ok(
        STOP_LIMIT,
        {
            "market": "BTC_PERP",
            "side": "buy",
            "amount": "0.01",
            "price": "66100",
            "activation_price": "66000",
        },
    )
    assert order["type"] == "stop limit" and order["activation_price"] == "66000"
    assert order["activationCondition"] == "gte" and order["activated"] == 0
    await sandbox.set_price("BTC_PERP", D("65500"))
    [listed] = await client.ok(ORDERS)
    assert listed["activated"] == 0
    await sandbox.set_price("BTC_PERP", D("66050"))  # triggers and is marketable
    assert await client.ok(ORDERS) == []
    [pos] = await client.ok(POSITIONS)
    assert D(pos["basePrice"]) == D("66050")


async def test_stop_limit_rests_after_activation(client, sandbox):
    await client.ok(
        STOP_LIMIT,
        {
            "market": "BTC_PERP",
            "side": "sell",
            "amount": "0.01",
            "price": "64500",
            "activation_price": "64000",
        },
    )
    await sandbox.set_price("BTC_PERP", D("63900"))  # triggers; sell limit 64500 not marketable
    [listed] = await client.ok(ORDERS)
    assert listed["activated"] == 1 and listed["activationCondition"] == "lte"
    await sandbox.set_price("BTC_PERP", D("64600"))
    [pos] = await client.ok(POSITIONS)
    assert pos["amount"] == "-0.01" and D(pos["basePrice"]) == D("64500")


async def test_trigger_market_and_activation_equal_to_last(client, sandbox):
    same = await client.post(
        TRIGGER,
        {"market": "BTC_PERP", "side": "sell", "amount": "0.01", "activation_price": "65010"},
    )
    assert same.status == 400 and same.json["code"] == 101
    order = await client.ok(
        TRIGGER,
        {"market": "BTC_PERP", "side": "sell", "amount": "0.01", "activation_price": "64000"},
    )
    assert order["type"] == "stop market" and "price" not in order
    await sandbox.set_price("BTC_PERP", D("63950"))
    [pos] = await client.ok(POSITIONS)
    assert pos["amount"] == "-0.01" and D(pos["basePrice"]) == D("63950")


async def test_oco_take_profit_fill_cancels_the_stop(client, sandbox):
    await client.ok(MARKET, {"market": "BTC_PERP", "side": "buy", "amount": "0.01"})
    oco = await client.ok(
        OCO,
        {
            "market": "BTC_PERP",
            "side": "sell",
            "amount": "0.01",
            "price": "67000",
            "activation_price": "63000",
            "stop_limit_price": "62900",
            "reduceOnly": True,
        },
    )
    assert set(oco) == {"id", "reduceOnly", "stop_loss", "take_profit"}
    assert oco["reduceOnly"] is True
    tp, sl = oco["take_profit"], oco["stop_loss"]
    assert tp["type"] == "limit" and tp["price"] == "67000" and tp["status"] == "OPEN"
    assert sl["type"] == "stop limit" and sl["activation_price"] == "63000"
    assert sl["activation_condition"] == "lte" and sl["activated"] == 0 and sl["post_only"] is False
    assert "takerFee" in sl and "makerFee" in sl
    listed = await client.ok("/api/v4/oco-orders", {"market": "BTC_PERP"})
    assert [g["id"] for g in listed] == [oco["id"]]
    conditional = await client.ok("/api/v4/conditional-orders", {"market": "BTC_PERP"})
    assert conditional["total"] == 1
    record = conditional["records"][0]
    assert record["type"] == "oco" and record["stopLoss"]["activationPrice"] == "63000"
    await sandbox.set_price("BTC_PERP", D("67100"))
    assert await client.ok(POSITIONS) == []
    assert await client.ok(ORDERS) == []
    assert await client.ok("/api/v4/oco-orders") == []
    history = (await client.ok("/api/v4/trade-account/order/history"))["BTC_PERP"]
    statuses = {h["id"]: h["status"] for h in history}
    assert statuses[tp["id"]] == "FILLED" and statuses[sl["id"]] == "CANCELED"


async def test_oco_stop_trigger_cancels_the_take_profit(client, sandbox):
    await client.ok(MARKET, {"market": "BTC_PERP", "side": "buy", "amount": "0.01"})
    oco = await client.ok(
        OCO,
        {
            "market": "BTC_PERP",
            "side": "sell",
            "amount": "0.01",
            "price": "67000",
            "activation_price": "63000",
            "stop_limit_price": "62900",
        },
    )
    await sandbox.set_price("BTC_PERP", D("62950"))  # stop triggers, sells at the last price
    assert await client.ok(POSITIONS) == []
    history = (await client.ok("/api/v4/trade-account/order/history"))["BTC_PERP"]
    statuses = {h["id"]: h["status"] for h in history}
    assert statuses[oco["take_profit"]["id"]] == "CANCELED"
    assert statuses[oco["stop_loss"]["id"]] == "FILLED"


async def test_oco_validation_and_cancel(client):
    wrong_tp = await client.post(
        OCO,
        {
            "market": "BTC_PERP",
            "side": "sell",
            "amount": "0.01",
            "price": "60000",
            "activation_price": "63000",
            "stop_limit_price": "62900",
        },
    )
    assert wrong_tp.status == 400 and wrong_tp.json["code"] == 105
    wrong_sl = await client.post(
        OCO,
        {
            "market": "BTC_PERP",
            "side": "sell",
            "amount": "0.01",
            "price": "67000",
            "activation_price": "66000",
            "stop_limit_price": "62900",
        },
    )
    assert wrong_sl.status == 400 and wrong_sl.json["code"] == 106
    oco = await client.ok(
        OCO,
        {
            "market": "BTC_PERP",
            "side": "buy",
            "amount": "0.01",
            "price": "63000",
            "activation_price": "67000",
            "stop_limit_price": "67100",
            "clientOrderId": "oco-1",
        },
    )
    cancelled = await client.ok(
        "/api/v4/order/oco-cancel", {"market": "BTC_PERP", "clientOrderId": "oco-1"}
    )
    assert cancelled["id"] == oco["id"]
    assert cancelled["take_profit"]["status"] == cancelled["stop_loss"]["status"] == "CANCELED"
    assert (await client.ok(BALANCE))["USDT"] == 10000  # reservation released
    gone = await client.post(
        "/api/v4/order/conditional-cancel", {"market": "BTC_PERP", "id": oco["id"]}
    )
    assert gone.status == 400 and gone.json["code"] == 2 and "id" in gone.json["errors"]
    oco2 = await client.ok(
        OCO,
        {
            "market": "BTC_PERP",
            "side": "buy",
            "amount": "0.01",
            "price": "63000",
            "activation_price": "67000",
            "stop_limit_price": "67100",
        },
    )
    assert (
        await client.ok(
            "/api/v4/order/conditional-cancel", {"market": "BTC_PERP", "id": oco2["id"]}
        )
        == []
    )
    assert await client.ok(ORDERS) == []


async def test_bulk_returns_result_or_error_per_order(client):
    orders = [
        limit(),
        limit(amount="0.00005"),
        limit(market="ETH_PERP", amount="0.01", price="3000"),
    ]
    results = await client.ok("/api/v4/order/collateral/bulk", {"orders": orders})
    assert len(results) == 3
    assert results[0]["error"] is None and results[0]["result"]["market"] == "BTC_USDT"
    assert results[1]["result"] is None and results[1]["error"]["code"] == 32
    assert results[2]["error"] is None and results[2]["result"]["market"] == "ETH_PERP"
    stopped = await client.ok(
        "/api/v4/order/collateral/bulk", {"orders": orders, "stopOnFail": True}
    )
    assert len(stopped) == 2 and stopped[1]["error"]["code"] == 32
    too_many = await client.post("/api/v4/order/collateral/bulk", {"orders": [limit()] * 21})
    assert too_many.status == 422 and too_many.json["code"] == 30


async def test_cancel_all_filters_by_product(client):
    await client.ok(LIMIT, limit())
    await client.ok(LIMIT, limit(market="BTC_PERP"))
    assert await client.ok("/api/v4/order/cancel/all", {"type": ["futures"]}) == []
    assert [o["market"] for o in await client.ok(ORDERS)] == ["BTC_USDT"]
    assert await client.ok("/api/v4/order/cancel/all", {}) == []
    assert await client.ok(ORDERS) == []
    bad = await client.post("/api/v4/order/cancel/all", {"type": ["options"]})
    assert bad.status == 422


async def test_active_orders_filters_and_paging(client):
    a = await client.ok(LIMIT, limit(clientOrderId="a"))
    b = await client.ok(LIMIT, limit(clientOrderId="b", price="31000"))
    assert [o["orderId"] for o in await client.ok(ORDERS, {"limit": 1})] == [a["orderId"]]
    assert [o["orderId"] for o in await client.ok(ORDERS, {"limit": 1, "offset": 1})] == [
        b["orderId"]
    ]
    by_id = await client.ok(ORDERS, {"market": "BTC_USDT", "orderId": b["orderId"]})
    assert [o["clientOrderId"] for o in by_id] == ["b"]
    bad = await client.post(ORDERS, {"limit": 1000})
    assert bad.status == 422 and bad.json["code"] == 30


async def test_histories_support_reconciliation(client):
    order = await client.ok(
        MARKET, {"market": "ETH_PERP", "side": "buy", "amount": "0.01", "clientOrderId": "recon-7"}
    )
    history = await client.ok(
        "/api/v4/trade-account/order/history", {"market": "ETH_PERP", "clientOrderId": "recon-7"}
    )
    assert list(history) == ["ETH_PERP"]
    [record] = history["ETH_PERP"]
    assert record["id"] == order["orderId"] and record["status"] == "FILLED"
    assert record["type"] == "margin market" and record["positionSide"] == "BOTH"
    keyed = await client.ok("/api/v4/trade-account/executed-history")
    assert list(keyed) == ["ETH_PERP"] and keyed["ETH_PERP"][0]["clientOrderId"] == "recon-7"
    fills = await client.ok("/api/v4/trade-account/order", {"orderId": order["orderId"]})
    assert fills["records"][0]["dealOrderId"] == order["orderId"]
    assert (await client.ok("/api/v4/trade-account/order", {"orderId": 1}))["records"] == []


async def test_modify_recreates_the_order_with_a_new_id(client, ws):
    await ws.authorize(client)
    await ws.call("ordersPending_subscribe", ["BTC_USDT"])
    order = await client.ok(LIMIT, limit(clientOrderId="mod-1"))
    await ws.wait_push("ordersPending_update", lambda p: p[0] == 1)
    modified = await client.ok(
        "/api/v4/order/modify",
        {"market": "BTC_USDT", "orderId": order["orderId"], "price": "31000", "amount": "0.002"},
    )
    assert modified["orderId"] != order["orderId"]
    assert modified["price"] == "31000" and modified["amount"] == "0.002"
    assert modified["clientOrderId"] == "mod-1"
    finished = await ws.wait_push("ordersPending_update", lambda p: p[0] == 3)
    assert finished[1]["id"] == order["orderId"]
    created = await ws.wait_push("ordersPending_update", lambda p: p[0] == 1)
    assert created[1]["id"] == modified["orderId"]
    assert [o["orderId"] for o in await client.ok(ORDERS)] == [modified["orderId"]]
    gone = await client.post(
        "/api/v4/order/modify",
        {"market": "BTC_USDT", "orderId": order["orderId"], "price": "32000"},
    )
    assert gone.status == 400 and gone.json["code"] == 2
    too_big = await client.post(
        "/api/v4/order/modify",
        {"market": "BTC_USDT", "orderId": modified["orderId"], "amount": "5"},
    )
    assert too_big.status == 400 and too_big.json["code"] == 10
    assert [o["orderId"] for o in await client.ok(ORDERS)] == [modified["orderId"]]  # untouched
