"""The control endpoints (/sandbox/price, /sandbox/faults, /sandbox/info): values are checked
after rounding, and a web page cannot drive them (content type, Origin, Host), over real HTTP."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal

import aiohttp

from tui.sandbox import SandboxServer

from .conftest import loads

START = Decimal("65010.00")  # BTC_PERP's first price (static prices), tick 0.01


async def _post(
    http: aiohttp.ClientSession,
    url: str,
    body: str,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
) -> tuple[int, object]:
    all_headers = {"Content-Type": content_type, **(headers or {})}
    async with http.post(url, data=body.encode(), headers=all_headers) as r:
        text = await r.text()
        assert r.content_type == "application/json", (r.status, text)
        return r.status, loads(text)


async def test_price_below_one_tick_is_refused_after_rounding(sandbox: SandboxServer, http):
    url = sandbox.rest_url + "/sandbox/price"
    for price in ("0.001", "0.004", "0"):
        status, body = await _post(http, url, json.dumps({"market": "BTC_PERP", "price": price}))
        assert status == 422, (price, body)
        assert body["code"] == 33  # type: ignore[index]
    assert sandbox.engine.prices["BTC_PERP"] == START
    status, body = await _post(http, url, '{"market": "BTC_PERP", "price": "0.006"}')
    assert status == 200 and body["price"] == "0.01"  # type: ignore[index]


async def test_price_non_finite_or_absurd_is_a_422(sandbox: SandboxServer, http):
    url = sandbox.rest_url + "/sandbox/price"
    bodies = [
        '{"market": "BTC_PERP", "price": 1e999}',
        '{"market": "BTC_PERP", "price": "1e999"}',
        '{"market": "BTC_PERP", "price": "1e308"}',
        '{"market": "BTC_PERP", "price": "' + "9" * 60 + '"}',
        '{"market": "BTC_PERP", "price": "NaN"}',
        '{"market": "BTC_PERP", "price": "Infinity"}',
        '{"market": "BTC_PERP", "price": "-5"}',
    ]
    for body in bodies:
        status, reply = await _post(http, url, body)
        assert status == 422, (body, reply)
    assert sandbox.engine.prices["BTC_PERP"] == START


async def test_fault_seconds_must_be_finite_and_in_range(sandbox: SandboxServer, http):
    url = sandbox.rest_url + "/sandbox/faults"
    for seconds in ('"NaN"', '"-NaN"', '"sNaN"', '"Infinity"', "1e999", '"1e999"', '"-1"', "601"):
        body = '{"kind": "http_delay", "seconds": ' + seconds + "}"
        # Bounded: before the fix "NaN" was accepted and the delayed request never answered.
        status, reply = await asyncio.wait_for(_post(http, url, body), 5)
        assert status == 422, (seconds, reply)
        assert reply["code"] == 30  # type: ignore[index]
    assert sandbox.faults.armed == []
    status, _ = await _post(http, url, '{"kind": "http_delay", "seconds": "0.5"}')
    assert status == 200 and sandbox.faults.armed[0].seconds == 0.5


async def test_control_posts_need_a_json_content_type(sandbox: SandboxServer, http):
    """A web page can send text/plain (or a form) cross-site without a CORS preflight."""
    price = sandbox.rest_url + "/sandbox/price"
    faults = sandbox.rest_url + "/sandbox/faults"
    body = '{"market": "BTC_PERP", "price": "1"}'
    for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        status, reply = await _post(http, price, body, content_type)
        assert status == 415, (content_type, reply)
        status, _ = await _post(http, faults, '{"kind": "http_500"}', content_type)
        assert status == 415
    assert sandbox.engine.prices["BTC_PERP"] == START and sandbox.faults.armed == []
    status, _ = await _post(http, price, body, "application/json; charset=utf-8")
    assert status == 200 and sandbox.engine.prices["BTC_PERP"] == Decimal(1)


async def test_control_refuses_a_foreign_origin(sandbox: SandboxServer, http):
    price = sandbox.rest_url + "/sandbox/price"
    body = '{"market": "BTC_PERP", "price": "1"}'
    for origin in ("http://evil.example", "null", "http://127.0.0.1.evil.example", "garbage"):
        status, _ = await _post(http, price, body, headers={"Origin": origin})
        assert status == 403, origin
        async with http.get(sandbox.rest_url + "/sandbox/info", headers={"Origin": origin}) as r:
            assert r.status == 403
    assert sandbox.engine.prices["BTC_PERP"] == START
    for origin in ("http://127.0.0.1:8080", "http://localhost", "http://[::1]:3000"):
        status, _ = await _post(http, price, body, headers={"Origin": origin})
        assert status == 200, origin


async def test_control_refuses_a_foreign_host_dns_rebinding(sandbox: SandboxServer, http):
    """DNS rebinding: a page of evil.example whose name now resolves to 127.0.0.1."""
    price = sandbox.rest_url + "/sandbox/price"
    body = '{"market": "BTC_PERP", "price": "1"}'
    for host in ("evil.example", f"evil.example:{sandbox.port}", "127.0.0.1.evil.example"):
        status, _ = await _post(http, price, body, headers={"Host": host})
        assert status == 403, host
        async with http.get(sandbox.rest_url + "/sandbox/faults", headers={"Host": host}) as r:
            assert r.status == 403
    assert sandbox.engine.prices["BTC_PERP"] == START
    for host in (f"localhost:{sandbox.port}", "127.0.0.1", "[::1]:1"):
        status, _ = await _post(http, price, body, headers={"Host": host})
        assert status == 200, host


async def test_the_exchange_api_refuses_a_foreign_host_on_a_loopback_sandbox(
    sandbox: SandboxServer, http
):
    """DNS rebinding against the exchange API itself: with the public demo credentials a
    rebound page could trade the paper account, so every route wants a loopback Host."""
    ping = sandbox.rest_url + "/api/v4/public/ping"
    for host in ("evil.example", f"evil.example:{sandbox.port}"):
        async with http.get(ping, headers={"Host": host}) as r:
            assert r.status == 403, host
            assert (await r.json())["message"].startswith("This sandbox answers only")
        async with http.post(
            sandbox.rest_url + "/api/v4/collateral-account/balance",
            data=b"{}",
            headers={"Host": host, "Content-Type": "application/json"},
        ) as r:
            assert r.status == 403, host
    async with http.get(ping, headers={"Host": f"localhost:{sandbox.port}"}) as r:
        assert r.status == 200
