"""Property tests: hostile REST parameters and WS frames never get a 500, a non-JSON answer or a
dropped connection. Small ``max_examples`` keep them fast; ``SANDBOX_FUZZ_EXAMPLES=2000`` runs a
longer search."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import ClientConnection, connect

from tui.sandbox.rest_private import PRIVATE
from tui.sandbox.thread import SandboxHandle, start_sandbox_thread
from tui.sandbox.ws import METHODS

from .conftest import KEY, SECRET, fast_config

EXAMPLES = int(os.environ.get("SANDBOX_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# -- JSON text fragments (raw, so literals json.dumps cannot write are included) -----------------
NUMBER_LITERALS = st.sampled_from(
    [
        "1e1000000",
        "-1e1000000",
        "1e999",
        "1e308",
        "1e-999",
        "1e19",
        "9" * 30,
        "9" * 60,
        "0",
        "-0",
        "-1",
        "0.0000000000000000000001",
        "12345678901234567890.5",
        "1E+5",
        "5",
        "5.0",
        "0.01",
        "60000",
    ]
)
TEXTS = st.sampled_from(
    [
        "٠.٠١",
        "٣",
        "３",
        "1" * 100,
        "9" * 60,
        "1e5",
        "NaN",
        "Infinity",
        "-",
        ".",
        " 5 ",
        "0x10",
        "1_000",
        "BTC_PERP",
        "ETH_PERP",
        "buy",
        "sell",
        "long",
        "short",
        "both",
        "0.01",
        "60000",
        "",
    ]
) | st.text(max_size=12)


def _scalar() -> st.SearchStrategy[str]:
    return st.one_of(
        st.just("null"),
        st.sampled_from(["true", "false"]),
        st.integers(min_value=-(10**25), max_value=10**25).map(str),
        NUMBER_LITERALS,
        TEXTS.map(json.dumps),
    )


JSON_VALUE = st.recursive(
    _scalar(),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ",".join(xs) + "]"),
        st.dictionaries(TEXTS, inner, max_size=4).map(
            lambda d: "{" + ",".join(f"{json.dumps(k)}:{v}" for k, v in d.items()) + "}"
        ),
    ),
    max_leaves=12,
) | st.integers(min_value=1, max_value=3000).map(lambda n: "[" * n + "]" * n)

FIELDS = [
    "market",
    "side",
    "amount",
    "price",
    "activation_price",
    "activationPrice",
    "stop_limit_price",
    "total",
    "limit",
    "offset",
    "orderId",
    "positionId",
    "leverage",
    "startDate",
    "endDate",
    "clientOrderId",
    "ticker",
    "hedgeMode",
    "type",
    "positionSide",
    "orders",
    "stopOnFail",
    "postOnly",
    "ioc",
    "rpi",
    "reduceOnly",
    "stp",
    "timeout",
    "id",
    "otoId",
    "status",
    "nonceWindow",
]
GOOD = {"market": '"BTC_PERP"', "side": '"buy"', "amount": '"0.001"', "price": '"50000"'}


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str, str]:
    path = draw(st.sampled_from(sorted(PRIVATE)))
    fields = dict(GOOD) if draw(st.booleans()) else {}
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True)):
        fields[name] = draw(JSON_VALUE)
    return path, ",".join(f'"{k}":{v}' for k, v in fields.items())


# -- a sandbox in a thread, shared by the module ---------------------------------------------------
@pytest.fixture(scope="module")
def box() -> Iterator[SandboxHandle]:
    handle = start_sandbox_thread(fast_config())
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture(scope="module")
def web(box: SandboxHandle) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=box.rest_url, timeout=30) as client:
        yield client


_nonce = [int(time.time() * 1000)]


def signed_post(web: httpx.Client, path: str, fields: str) -> httpx.Response:
    _nonce[0] += 1
    body = f'{{"request":"{path}","nonce":{_nonce[0]}{"," if fields else ""}{fields}}}'
    payload = base64.b64encode(body.encode()).decode()
    signature = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha512).hexdigest()
    headers = {"X-TXC-APIKEY": KEY, "X-TXC-PAYLOAD": payload, "X-TXC-SIGNATURE": signature}
    return web.post(path, content=body.encode(), headers=headers)


def assert_documented(response: httpx.Response) -> Any:
    # 429: a fuzzed nonceWindow makes the (counter) nonce a stale timestamp
    assert response.status_code in (200, 400, 413, 422, 429), (response.status_code, response.text)
    assert response.headers["content-type"].startswith("application/json"), response.text
    return json.loads(response.text, parse_float=Decimal)


@FUZZ
@given(bodies())
def test_fuzz_private_rest_params(web: httpx.Client, case: tuple[str, str]) -> None:
    path, fields = case
    data = assert_documented(signed_post(web, path, fields))
    if isinstance(data, dict) and "code" in data:
        assert isinstance(data["code"], int) and isinstance(data["message"], str)


QUERY_VALUES = TEXTS | NUMBER_LITERALS | st.integers(min_value=-(10**25), max_value=10**25).map(str)


@FUZZ
@given(
    st.sampled_from(
        [
            "/api/v4/public/orderbook/BTC_PERP",
            "/api/v4/public/orderbook/ETH_PERP",
            "/api/v4/public/funding-history/BTC_PERP",
            "/api/v4/public/orderbook/depth/BTC_PERP",
            "/api/v4/public/ticker",
        ]
    ),
    st.dictionaries(st.sampled_from(["limit", "offset", "level", "x"]), QUERY_VALUES, max_size=3),
)
def test_fuzz_public_queries(web: httpx.Client, path: str, query: dict[str, str]) -> None:
    response = web.get(path, params=query)
    assert response.status_code in (200, 422), (response.status_code, response.text)
    json.loads(response.text)


# -- WebSocket -------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def wsconn(box: SandboxHandle, web: httpx.Client) -> Iterator[ClientConnection]:
    token = signed_post(web, "/api/v4/profile/websocket_token", "").json()["websocket_token"]
    with connect(box.ws_url, max_size=None) as conn:
        conn.send(json.dumps({"id": 1, "method": "authorize", "params": [token, "public"]}))
        assert json.loads(conn.recv(timeout=10))["result"] == {"status": "success"}
        yield conn


def ws_call(conn: ClientConnection, text: str) -> dict[str, Any]:
    conn.send(text)
    while True:
        message = json.loads(conn.recv(timeout=10), parse_float=Decimal)
        if message.get("method") is None or message.get("id") is not None:
            return message  # a reply (pushes have a method and id null)


@FUZZ
@given(
    st.sampled_from([*sorted(METHODS), "nope", ""]) | TEXTS,
    JSON_VALUE,
    st.sampled_from(["7", "null", '"x"', "1e1000000", "[1]", '{"a":1}', "true", "1.5"]),
)
def test_fuzz_ws_frames(
    wsconn: ClientConnection, method: str, params: str, request_id: str
) -> None:
    frame = f'{{"id":{request_id},"method":{json.dumps(method)},"params":{params}}}'
    reply = ws_call(wsconn, frame)
    assert set(reply) == {"id", "result", "error"}, reply
    assert reply["id"] in (7, None, "x"), reply
    if reply["error"] is not None:
        assert isinstance(reply["error"]["code"], int) and reply["error"]["message"]
    pong = ws_call(wsconn, '{"id":7,"method":"ping","params":[]}')
    assert pong == {"id": 7, "result": "pong", "error": None}


# -- in-bounds but extreme amounts and prices reach the engine -------------------------------------
def _edge_decimal() -> st.SearchStrategy[str]:
    return st.one_of(
        st.decimals(min_value=Decimal("-1e15"), max_value=Decimal("1e15"), places=0),
        st.decimals(min_value=-1, max_value=Decimal("1e15"), places=8),
        st.decimals(min_value=0, max_value=1, places=18),
        st.decimals(min_value=0, max_value=Decimal(999999999), places=6),
        st.sampled_from([Decimal("999999999999999.999999999999999999"), Decimal("1e-18")]),
    ).map(lambda d: json.dumps(format(d, "f")))


ORDER_PATHS = [
    "/api/v4/order/collateral/limit",
    "/api/v4/order/collateral/market",
    "/api/v4/order/collateral/stop-limit",
    "/api/v4/order/collateral/trigger-market",
    "/api/v4/order/collateral/oco",
    "/api/v4/order/modify",
    "/api/v4/collateral-account/leverage",
]


@FUZZ
@given(
    st.sampled_from(ORDER_PATHS),
    st.sampled_from(["BTC_PERP", "ETH_PERP", "BTC_USDT"]),
    st.sampled_from(["buy", "sell"]),
    _edge_decimal(),
    _edge_decimal(),
    _edge_decimal(),
    st.sampled_from(["1", "5", "10", "20", "50", "100", "0", "-3", "1000"]),
)
def test_fuzz_extreme_orders(
    web: httpx.Client,
    path: str,
    market: str,
    side: str,
    amount: str,
    price: str,
    other: str,
    leverage: str,
) -> None:
    fields = (
        f'"market":"{market}","side":"{side}","amount":{amount},"price":{price},'
        f'"activation_price":{other},"stop_limit_price":{price},"orderId":1,'
        f'"total":{other},"leverage":{leverage}'
    )
    assert_documented(signed_post(web, path, fields))
