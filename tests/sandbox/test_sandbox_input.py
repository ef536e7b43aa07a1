"""Hostile input: numbers that cost unbounded work, out-of-range amounts, non-ASCII digits, deep
nesting, wrong WS parameter types and malformed HTTP. Each gets its documented error quickly,
never a 500, a dropped connection, a frozen loop or an echo of the request bytes."""

from __future__ import annotations

import asyncio
import base64
import time
from typing import Any

import pytest

from tui.sandbox import SandboxServer

from .conftest import KEY, Client, Reply, Ws, fast_config, loads, sign_body

# A generous bound: the frozen loop of the issue took 25 s; a refusal takes milliseconds.
QUICK = 5.0


async def post_raw_json(client: Client, path: str, fields: str) -> Reply:
    """POST a signed body whose ``fields`` are raw JSON text (``1e1000000`` is not producible
    with json.dumps)."""
    body = f'{{"request":"{path}","nonce":{client.next_nonce()}{"," if fields else ""}{fields}}}'
    payload, signature = sign_body(body)
    headers = {
        "Content-Type": "application/json",
        "X-TXC-APIKEY": KEY,
        "X-TXC-PAYLOAD": payload,
        "X-TXC-SIGNATURE": signature,
    }
    return await client.raw(path, body, headers)


async def assert_alive(client: Client) -> None:
    reply = await client.get("/api/v4/public/ping")
    assert reply.status == 200 and reply.json == ["pong"], reply


# -- integers -------------------------------------------------------------------------------------
INT_CASES = [
    ("/api/v4/collateral-account/leverage", "leverage", ""),
    ("/api/v4/orders", "limit", ""),
    ("/api/v4/orders", "offset", ""),
    ("/api/v4/orders", "orderId", ""),
    ("/api/v4/order/cancel", "orderId", '"market":"BTC_PERP",'),
    ("/api/v4/collateral-account/position/close", "positionId", '"market":"BTC_PERP",'),
    ("/api/v4/collateral-account/positions/history", "startDate", ""),
    ("/api/v4/collateral-account/funding-history", "endDate", ""),
    ("/api/v4/trade-account/order/history", "offset", ""),
]


@pytest.mark.parametrize(("path", "field", "extra"), INT_CASES)
async def test_huge_exponent_integer_is_refused_quickly(client, path, field, extra):
    started = time.monotonic()
    reply = await post_raw_json(client, path, f'{extra}"{field}":1e1000000')
    elapsed = time.monotonic() - started
    assert elapsed < QUICK, f"{field}=1e1000000 took {elapsed:.1f} s"
    assert reply.status == 422, reply
    assert reply.json["message"] == "Validation failed"
    assert reply.json["code"] == 30 and field in reply.json["errors"], reply
    await assert_alive(client)


@pytest.mark.parametrize(
    "literal",
    [
        "1e19",
        "-1e400",
        "99999999999999999999999",
        "9" * 60,
        '"99999999999999999999"',
        '"٣"',
        '"1e3"',
        "1.5",
        "1e-999999",
    ],
)
async def test_integer_out_of_range_or_malformed_is_422(client, literal):
    reply = await post_raw_json(client, "/api/v4/orders", f'"limit":{literal}')
    assert reply.status == 422, reply
    assert reply.json["code"] == 30 and "limit" in reply.json["errors"], reply
    reply = await post_raw_json(client, "/api/v4/orders", f'"orderId":{literal}')
    assert reply.status == 422 and "orderId" in reply.json["errors"], reply


async def test_long_integer_literal_is_not_parsed_in_full(client):
    """A 4,000-digit literal (under Python's int-str cap, so json would parse it) is refused
    as the field's validation error, not turned into a bignum."""
    reply = await post_raw_json(client, "/api/v4/orders", '"offset":' + "7" * 4000)
    assert reply.status == 422 and "offset" in reply.json["errors"], reply


async def test_nan_and_infinity_are_refused(client):
    for literal in ("NaN", "Infinity", "-Infinity"):
        reply = await post_raw_json(client, "/api/v4/orders", f'"limit":{literal}')
        assert reply.status in (400, 422), reply
        assert isinstance(reply.json, dict) and reply.json["code"] in (9, 30), reply


async def test_in_range_integers_still_work(client):
    reply = await post_raw_json(client, "/api/v4/orders", '"limit":5,"offset":"0"')
    assert reply.status == 200 and reply.json == [], reply
    reply = await post_raw_json(client, "/api/v4/orders", '"limit":5.0')
    assert reply.status == 200, reply
    reply = await post_raw_json(client, "/api/v4/collateral-account/leverage", '"leverage":5')
    assert reply.status == 200 and reply.json == {"leverage": 5}, reply


# -- amounts and prices ---------------------------------------------------------------------------
BIG_NUMBERS = [
    "1e999",
    "1e308",
    "123456789012345678901234567890",
    '"123456789012345678901234567890"',
    '"' + "1" * 100 + '"',
    '"' + "9" * 60 + '"',
    '"0.' + "0" * 60 + '1"',
    "1e-999",
    "-1e999",
]


@pytest.mark.parametrize("literal", BIG_NUMBERS)
async def test_out_of_range_amount_is_422_code_32(client, literal):
    for path, extra in (
        ("/api/v4/order/collateral/limit", '"price":"60000",'),
        ("/api/v4/order/collateral/market", ""),
    ):
        fields = f'"market":"BTC_PERP","side":"buy",{extra}"amount":{literal}'
        reply = await post_raw_json(client, path, fields)
        assert reply.status == 422, reply
        assert reply.json["code"] == 32 and "amount" in reply.json["errors"], reply
    await assert_alive(client)


@pytest.mark.parametrize("literal", BIG_NUMBERS)
async def test_out_of_range_price_is_422_code_33(client, literal):
    fields = f'"market":"BTC_PERP","side":"buy","amount":"0.01","price":{literal}'
    reply = await post_raw_json(client, "/api/v4/order/collateral/limit", fields)
    assert reply.status == 422, reply
    assert reply.json["code"] == 33 and "price" in reply.json["errors"], reply
    fields = (
        '"market":"BTC_PERP","side":"buy","amount":"0.01","price":"60000",'
        f'"activation_price":{literal}'
    )
    reply = await post_raw_json(client, "/api/v4/order/collateral/stop-limit", fields)
    assert reply.status == 422, reply
    assert reply.json["code"] == 33 and "activation_price" in reply.json["errors"], reply


async def test_out_of_range_modify_values_are_422(client):
    placed = await client.ok(
        "/api/v4/order/collateral/limit",
        {"market": "BTC_PERP", "side": "buy", "amount": "0.01", "price": "50000"},
    )
    for field, code in (("amount", 32), ("price", 33), ("total", 30)):
        fields = f'"market":"BTC_PERP","orderId":{placed["orderId"]},"{field}":"{"9" * 60}"'
        reply = await post_raw_json(client, "/api/v4/order/modify", fields)
        assert reply.status == 422, reply
        assert reply.json["code"] == code and field in reply.json["errors"], reply


async def test_largest_accepted_amount_times_price_is_a_documented_refusal(client):
    """Found by the fuzz test: 9997197351 x 9997304917 overflowed the margin quantize (500)."""
    for amount, price in (("999999999", "999999999"), ("999999999.999999", "0.000001")):
        reply = await client.post(
            "/api/v4/order/collateral/limit",
            {"market": "BTC_PERP", "side": "buy", "amount": amount, "price": price},
        )
        assert reply.status in (400, 422) and isinstance(reply.json["code"], int), reply
    for amount in ("9997197351", "1000000000"):
        reply = await client.post(
            "/api/v4/order/collateral/limit",
            {"market": "BTC_PERP", "side": "buy", "amount": amount, "price": "9997304917"},
        )
        assert reply.status == 422 and reply.json["code"] == 32, reply


async def test_normal_amounts_still_work(client):
    placed = await client.ok(
        "/api/v4/order/collateral/limit",
        {"market": "BTC_PERP", "side": "buy", "amount": "0.001", "price": "50000.5"},
    )
    assert placed["amount"] == "0.001" and placed["price"] == "50000.5"


# -- non-ASCII digits -----------------------------------------------------------------------------
async def test_non_ascii_digits_are_refused(client):
    fields = '"market":"BTC_PERP","side":"buy","amount":"٠.٠١"'
    reply = await post_raw_json(client, "/api/v4/order/collateral/market", fields)
    assert reply.status == 422 and reply.json["code"] == 32, reply
    fields = '"market":"BTC_PERP","side":"buy","amount":"0.01","price":"٦٠٠٠٠"'
    reply = await post_raw_json(client, "/api/v4/order/collateral/limit", fields)
    assert reply.status == 422 and reply.json["code"] == 33, reply
    fields = '"market":"BTC_PERP","side":"buy","amount":"\\u00a00.01"'  # no-break space
    reply = await post_raw_json(client, "/api/v4/order/collateral/market", fields)
    assert reply.status == 422 and reply.json["code"] == 32, reply
    reply = await post_raw_json(client, "/api/v4/orders", '"limit":"٣"')
    assert reply.status == 422 and "limit" in reply.json["errors"], reply
    for query in ("limit=٣", "limit=３", "limit=1e3"):
        reply = await client.get(f"/api/v4/public/orderbook/BTC_PERP?{query}")
        assert reply.status == 422 and "limit" in reply.json, (query, reply)
        reply = await client.get(f"/api/v4/public/funding-history/BTC_PERP?offset={query[6:]}")
        assert reply.status == 422 and "offset" in reply.json, (query, reply)
    reply = await client.get("/api/v4/public/orderbook/BTC_PERP?limit=" + "9" * 5000)
    assert reply.status == 422 and "limit" in reply.json, reply


# -- nesting and the WS authorize parameters --------------------------------------------------------
@pytest.mark.parametrize(
    "params",
    [{"token": "x"}, 5, [1, 2], [[["x"]]], None, "token", [None], [{"a": 1}], [True]],
)
async def test_ws_authorize_with_wrong_param_types_answers_error_1(ws: Ws, params: Any):
    reply = await ws.call("authorize", params)
    assert reply["result"] is None
    assert reply["error"] == {"code": 1, "message": "invalid argument"}, reply
    assert (await ws.call("ping"))["result"] == "pong"


async def test_ws_authorize_without_params_answers_error_1(ws: Ws):
    await ws.ws.send_str('{"id":7,"method":"authorize"}')
    reply = await ws.recv()
    assert reply == {"id": 7, "result": None, "error": {"code": 1, "message": "invalid argument"}}
    assert (await ws.call("ping"))["result"] == "pong"


@pytest.mark.parametrize("depth", [5000, 900, 60])
async def test_ws_deeply_nested_message_gets_an_error_and_the_connection_lives(ws: Ws, depth):
    await ws.ws.send_str('{"id":9,"method":"ping","params":' + "[" * depth + "]" * depth + "}")
    reply = await ws.recv()
    assert reply["result"] is None and reply["error"]["code"] == 1, reply
    await ws.ws.send_str('{"id":' + "[" * depth + "]" * depth + ',"method":"ping"}')
    reply = await ws.recv()
    assert reply["result"] is None and reply["error"]["code"] == 1, reply
    await ws.ws.send_str("[" * depth + "]" * depth)
    reply = await ws.recv()
    assert reply["result"] is None and reply["error"]["code"] == 1, reply
    assert (await ws.call("ping"))["result"] == "pong"


async def test_ws_huge_numbers_in_params_answer_error_1(ws: Ws):
    await ws.ws.send_str(
        '{"id":3,"method":"ordersPending_request","params":["BTC_PERP",1e1000000,1e1000000]}'
    )
    reply = await ws.recv()
    assert reply["id"] == 3 and reply["error"]["code"] in (1, 6), reply
    assert (await ws.call("ping"))["result"] == "pong"


async def test_unauthenticated_deep_payload_gets_the_auth_error_in_json(client, sandbox):
    payload = base64.b64encode(b"[" * 5000).decode()
    headers = {"X-TXC-APIKEY": KEY, "X-TXC-PAYLOAD": payload, "X-TXC-SIGNATURE": "00"}
    reply = await client.raw("/api/v4/orders", "[" * 5000, headers)
    assert reply.status == 401, reply
    assert reply.json == {"code": 10, "message": "Unauthorized request."}
    await assert_alive(client)


async def test_signed_deep_body_is_invalid_payload(client):
    body = "[" * 2500 + "]" * 2500  # deeper than the C parser's recursion limit; fits a header
    payload, signature = sign_body(body)
    headers = {"X-TXC-APIKEY": KEY, "X-TXC-PAYLOAD": payload, "X-TXC-SIGNATURE": signature}
    reply = await client.raw("/api/v4/orders", body, headers)
    assert reply.status == 400 and reply.json["code"] == 9, reply
    deep = '"orders":' + "[" * 900 + "]" * 900
    reply = await post_raw_json(client, "/api/v4/order/collateral/bulk", deep)
    assert reply.status in (400, 422) and isinstance(reply.json, dict), reply
    await assert_alive(client)


# -- malformed HTTP ---------------------------------------------------------------------------------
MARKER = "ECHOMARKER"


def assert_error_json(status: int, reply: Reply) -> None:
    assert reply.status == status, reply
    assert isinstance(reply.json, dict), reply
    assert isinstance(reply.json.get("code"), int) and isinstance(reply.json.get("message"), str)
    assert MARKER not in reply.text


async def test_405_answers_whitebit_error_json(client):
    reply = await client.get("/api/v4/orders?" + MARKER)
    assert_error_json(405, reply)
    async with client.session.put(client.base + "/api/v4/public/ping") as r:
        assert_error_json(405, Reply(r.status, await r.text()))


async def test_413_answers_whitebit_error_json(client):
    body = '{"x":"' + MARKER * 200_000 + '"}'
    payload, signature = sign_body("{}")
    headers = {"X-TXC-APIKEY": KEY, "X-TXC-PAYLOAD": payload, "X-TXC-SIGNATURE": signature}
    reply = await client.raw("/api/v4/orders", body, headers)
    assert_error_json(413, reply)


async def raw_http(sandbox: SandboxServer, request: bytes) -> tuple[int, str, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", sandbox.port)
    try:
        writer.write(request)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head.decode("latin-1"), body


@pytest.mark.parametrize(
    "request_bytes",
    [
        # a header value longer than aiohttp's 8190-byte field limit
        b"GET /api/v4/public/ping HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
        + MARKER.encode() * 1000
        + b"\r\n\r\n",
        # a request line longer than the line limit
        b"GET /" + MARKER.encode() * 1000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
        # a header name with bytes HTTP forbids
        b"GET /api/v4/public/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        + MARKER.encode()
        + b"\x01: y\r\n\r\n",
        # not HTTP at all
        MARKER.encode() + b"\x00\x01\x02\r\n\r\n",
    ],
)
async def test_malformed_http_answers_json_and_never_echoes(sandbox, request_bytes, http):
    status, head, body = await raw_http(sandbox, request_bytes)
    assert status == 400, head
    assert "application/json" in head.lower(), head
    assert MARKER.encode() not in body and MARKER not in head
    data = loads(body.decode())
    assert isinstance(data, dict) and isinstance(data["code"], int) and data["message"]
    client = Client(http, sandbox.rest_url)
    await assert_alive(client)


async def test_unreadable_body_is_a_json_400_not_a_500(sandbox):
    """A gzip Content-Encoding over bytes that are not gzip: aiohttp raises while reading."""
    request = (
        b"POST /api/v4/orders HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Encoding: gzip\r\n"
        b"Content-Length: 10\r\nX-TXC-PAYLOAD: e30=\r\n\r\n" + MARKER.encode()
    )
    status, head, body = await raw_http(sandbox, request)
    assert status == 400, (head, body)
    assert MARKER.encode() not in body
    assert loads(body.decode())["code"] == 0


async def test_public_funding_history_dates_are_ascii_and_filter(http):
    """Public funding history reads its documented startDate/endDate: non-ASCII digits are
    refused (they were silently ignored), and the dates filter the rounds."""
    async with SandboxServer(fast_config(funding_interval=0.2)) as sb:
        client = Client(http, sb.rest_url)
        path = "/api/v4/public/funding-history/BTC_PERP"
        bad = await client.get(f"{path}?startDate=%D9%A3")  # Arabic-Indic three
        assert bad.status == 422 and "startDate" in bad.json, bad
        for _ in range(100):
            if sb.engine.funding_rounds:
                break
            await asyncio.sleep(0.05)
        everything = await client.get(path)
        assert everything.status == 200 and everything.json, everything
        first = int(everything.json[-1]["fundingTime"])
        assert (await client.get(f"{path}?endDate={first - 1}")).json == []
        since = await client.get(f"{path}?startDate={first}&endDate={first}")
        assert since.json and {r["fundingTime"] for r in since.json} == {str(first)}
        backwards = await client.get(f"{path}?startDate=10&endDate=5")
        assert backwards.status == 422 and "startDate" in backwards.json, backwards
