"""Account endpoints: balance (JSON numbers), balance-summary, summary, misc."""

from __future__ import annotations

from decimal import Decimal

D = Decimal


async def test_balance_is_json_numbers_and_filters_by_ticker(client):
    reply = await client.post("/api/v4/collateral-account/balance")
    assert reply.status == 200
    assert '"USDT":10000' in reply.text  # a number, not a string
    assert reply.json["USDT"] == 10000 and reply.json["BTC"] == 0
    only = await client.ok("/api/v4/collateral-account/balance", {"ticker": "USDT"})
    assert only == {"USDT": 10000}
    bad = await client.post("/api/v4/collateral-account/balance", {"ticker": "DOGE"})
    assert bad.status == 422 and bad.json["code"] == 30
    assert bad.json["errors"] == {"ticker": ["ticker is invalid."]}


async def test_balance_summary_shows_borrow_and_availability(client):
    await client.ok("/api/v4/collateral-account/leverage", {"leverage": 5})
    order = await client.ok(
        "/api/v4/order/collateral/market", {"market": "BTC_USDT", "side": "buy", "amount": "0.1"}
    )
    rows = {r["asset"]: r for r in await client.ok("/api/v4/collateral-account/balance-summary")}
    usdt = rows["USDT"]
    assert set(usdt) == {
        "asset",
        "balance",
        "borrow",
        "availableWithoutBorrow",
        "availableWithBorrow",
    }
    fee = D(order["dealFee"])
    assert D(usdt["balance"]) == D("10000") - fee
    assert D(usdt["borrow"]) == D("6500") - D("1300")  # notional minus own margin at 5x
    assert D(usdt["availableWithoutBorrow"]) == D("10000") - fee - D("1300")
    assert D(usdt["availableWithBorrow"]) == D(usdt["availableWithoutBorrow"]) * 5
    filtered = await client.ok("/api/v4/collateral-account/balance-summary", {"ticker": "usdt"})
    assert [r["asset"] for r in filtered] == ["USDT"]


async def test_summary_reflects_positions(client, sandbox):
    empty = await client.ok("/api/v4/collateral-account/summary")
    assert empty["leverage"] == 5 and D(empty["equity"]) == D("10000")
    assert D(empty["marginFraction"]) == D("1000000000000000000000")  # no positions
    order = await client.ok(
        "/api/v4/order/collateral/market", {"market": "BTC_PERP", "side": "buy", "amount": "0.1"}
    )
    await sandbox.set_price("BTC_PERP", D("66010"))
    summary = await client.ok("/api/v4/collateral-account/summary")
    assert D(summary["pnl"]) == D("100")
    assert D(summary["margin"]) == D("1300.2")
    assert D(summary["equity"]) == D("10000") - D(order["dealFee"]) + D("100")
    for key in (
        "freeMargin",
        "unrealizedFunding",
        "marginFraction",
        "maintenanceMarginFraction",
        "futuresEquity",
        "futuresFreeMargin",
    ):
        assert isinstance(summary[key], str)


async def test_websocket_tokens_are_fresh_and_adl_quantile_lists_perps(client):
    first = await client.ws_token()
    second = await client.ws_token()
    assert first and second and first != second
    adl = await client.ok("/api/v4/collateral-account/adl-quantile")
    assert [row["market"] for row in adl] == ["BTC_PERP", "ETH_PERP"]


async def test_market_filters_reject_unknown_markets(client):
    for path in (
        "/api/v4/collateral-account/positions/open",
        "/api/v4/collateral-account/funding-history",
        "/api/v4/orders",
    ):
        reply = await client.post(path, {"market": "NOPE_PERP"})
        assert reply.status == 422 and reply.json["code"] == 31, path
        assert reply.json["errors"] == {"market": ["Market is not available."]}
