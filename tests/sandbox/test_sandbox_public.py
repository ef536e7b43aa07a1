"""Public market data endpoints and the loopback control endpoints."""

from __future__ import annotations

from decimal import Decimal

from tui.sandbox.control import is_loopback


async def test_markets_lists_margin_pairs_and_perpetuals(client):
    reply = await client.get("/api/v4/public/markets")
    assert reply.status == 200
    markets = {m["name"]: m for m in reply.json}
    assert set(markets) == {"BTC_USDT", "ETH_USDT", "BTC_PERP", "ETH_PERP"}
    btc = markets["BTC_USDT"]
    assert btc["type"] == "spot" and btc["isCollateral"] is True
    assert btc["stockPrec"] == "6" and btc["moneyPrec"] == "2"  # stringified ints
    assert btc["minAmount"] == "0.0001" and btc["minTotal"] == "5" and btc["maxTotal"] == "0"
    assert isinstance(btc["makerFee"], str) and isinstance(btc["takerFee"], str)
    assert markets["BTC_PERP"]["type"] == "futures"
    assert markets["BTC_PERP"]["money"] == "USDT"


async def test_ticker_has_last_prices_as_strings(client):
    reply = await client.get("/api/v4/public/ticker")
    assert reply.status == 200
    btc = reply.json["BTC_USDT"]
    assert Decimal(btc["last_price"]) == Decimal(65000)
    assert {"base_id", "quote_id", "quote_volume", "base_volume", "isFrozen", "change"} <= set(btc)


async def test_futures_lists_perpetuals_with_funding_and_leverage(client, sandbox):
    reply = await client.get("/api/v4/public/futures")
    assert reply.status == 200
    assert reply.json["success"] is True and reply.json["message"] is None
    items = {f["ticker_id"]: f for f in reply.json["result"]}
    assert set(items) == {"BTC_PERP", "ETH_PERP"}
    btc = items["BTC_PERP"]
    assert btc["max_leverage"] == 100
    assert btc["product_type"] == "Perpetual"
    assert Decimal(btc["funding_rate"]) == Decimal("0.0001")
    ts = btc["next_funding_rate_timestamp"]
    assert isinstance(ts, str) and len(ts) == 13
    assert int(ts) == int(sandbox.engine.next_funding * 1000)
    assert isinstance(btc["brackets"], dict) and "100" in btc["brackets"]
    assert isinstance(btc["funding_interval_minutes"], int)


async def test_time_ping_and_collateral_markets(client):
    time_reply = await client.get("/api/v4/public/time")
    assert isinstance(time_reply.json["time"], int) and time_reply.json["time"] > 1_600_000_000
    assert (await client.get("/api/v4/public/ping")).json == ["pong"]
    collateral = (await client.get("/api/v4/public/collateral/markets")).json
    assert collateral == {"success": True, "message": None, "result": ["BTC_USDT", "ETH_USDT"]}


async def test_orderbook_is_sorted_around_the_last_price(client):
    reply = await client.get("/api/v4/public/orderbook/BTC_PERP?limit=5&level=2")
    assert reply.status == 200
    book = reply.json
    assert book["ticker_id"] == "BTC_PERP" and isinstance(book["timestamp"], int)
    asks = [Decimal(p) for p, _ in book["asks"]]
    bids = [Decimal(p) for p, _ in book["bids"]]
    assert len(asks) == len(bids) == 5
    assert asks == sorted(asks) and bids == sorted(bids, reverse=True)
    assert bids[0] < Decimal(65010) < asks[0]


async def test_orderbook_errors(client):
    reply = await client.get("/api/v4/public/orderbook/NOPE_USDT")
    assert reply.status == 422
    assert reply.json == {"market": ["Market is not available."]}
    reply = await client.get("/api/v4/public/orderbook/BTC_USDT?limit=500")
    assert reply.status == 422 and "limit" in reply.json


async def test_unknown_route_is_an_empty_404(client):
    reply = await client.get("/api/v4/public/nothing-here")
    assert reply.status == 404 and reply.text == ""


async def test_sandbox_info_identifies_the_sandbox(client):
    reply = await client.get("/sandbox/info")
    assert reply.status == 200
    assert reply.json["sandbox"] is True
    assert reply.json["name"] == "collateral-tui sandbox"
    assert reply.json["version"]


async def test_control_price_endpoint_sets_the_price(client, sandbox, http):
    async with http.post(
        sandbox.rest_url + "/sandbox/price", json={"market": "ETH_USDT", "price": "3000.5"}
    ) as r:
        assert r.status == 200
    ticker = (await client.get("/api/v4/public/ticker")).json
    assert Decimal(ticker["ETH_USDT"]["last_price"]) == Decimal("3000.5")
    async with http.post(
        sandbox.rest_url + "/sandbox/price", json={"market": "NOPE", "price": "1"}
    ) as r:
        assert r.status == 422
    async with http.post(
        sandbox.rest_url + "/sandbox/price", json={"market": "ETH_USDT", "price": "abc"}
    ) as r:
        assert r.status == 422


def test_loopback_predicate_refuses_other_peers():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("127.5.0.1")
    assert is_loopback("::ffff:127.0.0.1")
    assert not is_loopback("10.0.0.7") and not is_loopback("192.168.1.2")
    assert not is_loopback(None) and not is_loopback("garbage")


def _non_loopback_ipv4() -> str | None:
    import socket

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.connect(("10.255.255.255", 1))  # no packet is sent for UDP connect
        address = sock.getsockname()[0]
    except OSError:
        return None
    finally:
        sock.close()
    return None if address.startswith("127.") else address


async def test_control_endpoints_refuse_non_loopback_peers(http):
    import pytest

    from tui.sandbox import SandboxServer

    from .conftest import Client, fast_config

    address = _non_loopback_ipv4()
    if address is None:
        pytest.skip("this machine has no non-loopback IPv4 address")
    async with SandboxServer(fast_config(host="0.0.0.0")) as sb:
        outside = f"http://{address}:{sb.port}"
        async with http.get(outside + "/sandbox/info") as r:
            assert r.status == 403
        async with http.post(
            outside + "/sandbox/price", json={"market": "BTC_PERP", "price": "1"}
        ) as r:
            assert r.status == 403
        assert sb.engine.prices["BTC_PERP"] == Decimal(65010)
        # the exchange API itself still answers there; loopback control still works
        assert (await Client(http, outside).get("/api/v4/public/ping")).json == ["pong"]
        async with http.get(sb.rest_url + "/sandbox/info") as r:
            assert r.status == 200


async def test_port_in_use_raises_oserror(sandbox):
    import pytest

    from tui.sandbox import SandboxServer, start_sandbox_thread

    from .conftest import fast_config

    with pytest.raises(OSError):
        async with SandboxServer(fast_config(port=sandbox.port)):
            pass
    with pytest.raises(OSError):
        start_sandbox_thread(fast_config(port=sandbox.port))


async def test_assets_lists_every_catalog_asset(client):
    reply = await client.get("/api/v4/public/assets")
    assert reply.status == 200
    assets = reply.json
    assert set(assets) == {"BTC", "ETH", "USDT"}
    usdt = assets["USDT"]
    assert usdt["name"] == "Tether US" and usdt["unified_cryptoasset_id"] == 825
    assert usdt["currency_precision"] == 6 and usdt["is_memo"] is False
    assert usdt["networks"]["default"] in usdt["networks"]["deposits"]
    assert usdt["can_deposit"] is False  # a paper exchange: no deposits or withdrawals
