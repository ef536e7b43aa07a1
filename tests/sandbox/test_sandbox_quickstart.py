# ruff: noqa: I001 - the quickstart helper below is kept verbatim, imports included
"""WhiteBIT's own quickstart helper, copied verbatim, pointed at the sandbox."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from tui.sandbox import start_sandbox_thread

from .conftest import KEY, SECRET, fast_config

# ---- verbatim from https://docs.whitebit.com/products/margin-futures/quickstart ----------------
# fmt: off
import base64
import hashlib
import hmac
import json
import time
import requests

API_KEY = "YOUR_API_KEY"        # Replace with actual API key
API_SECRET = "YOUR_API_SECRET"  # Replace with actual API secret
BASE_URL = "https://whitebit.com"

def send_request(path, data=None):
    if data is None:
        data = {}
    data["request"] = path
    data["nonce"] = int(time.time() * 1000)
    data_json = json.dumps(data)
    payload_b64 = base64.b64encode(data_json.encode()).decode()
    signature = hmac.new(
        API_SECRET.encode(), payload_b64.encode(), hashlib.sha512
    ).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-TXC-APIKEY": API_KEY,
        "X-TXC-PAYLOAD": payload_b64,
        "X-TXC-SIGNATURE": signature,
    }
    return requests.post(BASE_URL + path, headers=headers, data=data_json).json()
# fmt: on
# ---- end of the verbatim helper --------------------------------------------------------------


def quickstart(path, data=None):
    """The helper's nonce is the millisecond clock: keep calls 2 ms apart like a human would."""
    time.sleep(0.002)
    return send_request(path, data)


@pytest.fixture
def pointed_at_sandbox():
    global API_KEY, API_SECRET, BASE_URL
    handle = start_sandbox_thread(fast_config())
    saved = (API_KEY, API_SECRET, BASE_URL)
    API_KEY, API_SECRET, BASE_URL = KEY, SECRET, handle.rest_url
    try:
        yield handle
    finally:
        API_KEY, API_SECRET, BASE_URL = saved
        handle.stop()


def test_margin_quickstart_flow(pointed_at_sandbox):
    balance = quickstart("/api/v4/collateral-account/balance")
    assert balance["USDT"] == 10000  # a JSON number
    assert quickstart("/api/v4/collateral-account/leverage", {"leverage": 5}) == {"leverage": 5}
    order = quickstart(
        "/api/v4/order/collateral/limit",
        {
            "market": "BTC_USDT",
            "side": "buy",
            "amount": "0.001",
            "price": "30000",  # Price far below market — order will not fill
        },
    )
    orderId = order.get("orderId")
    assert isinstance(orderId, int) and order["left"] == "0.001"
    assert quickstart("/api/v4/collateral-account/positions/open", {"market": "BTC_USDT"}) == []
    held = quickstart("/api/v4/collateral-account/balance")["USDT"]
    assert Decimal(str(held)) < Decimal(10000)  # collateral reserved for the order
    cancel = quickstart("/api/v4/order/cancel", {"market": "BTC_USDT", "orderId": orderId})
    assert cancel["orderId"] == orderId and cancel["status"] == "CANCELED"
    assert quickstart("/api/v4/collateral-account/balance")["USDT"] == 10000  # released


def test_futures_quickstart_flow(pointed_at_sandbox):
    handle = pointed_at_sandbox
    assert quickstart("/api/v4/collateral-account/leverage", {"leverage": 5}) == {"leverage": 5}
    hedge = quickstart("/api/v4/collateral-account/hedge-mode/update", {"hedgeMode": True})
    assert hedge == {"hedgeMode": True}
    assert quickstart("/api/v4/collateral-account/hedge-mode") == {"hedgeMode": True}
    order = quickstart(
        "/api/v4/order/collateral/limit",
        {
            "market": "BTC_PERP",
            "side": "buy",
            "amount": "0.001",
            "price": "30000",
            "positionSide": "LONG",
        },
    )
    assert order["market"] == "BTC_PERP" and order["type"] == "limit"
    assert order["positionSide"] == "LONG"
    # the market comes down to the order: it fills at its limit price and opens a LONG
    handle.set_price("BTC_PERP", Decimal(29999))
    positions = quickstart("/api/v4/collateral-account/positions/open", {"market": "BTC_PERP"})
    assert len(positions) == 1
    pos = positions[0]
    assert pos["positionSide"] == "LONG" and Decimal(pos["basePrice"]) == Decimal(30000)
    assert Decimal(pos["margin"]) == Decimal(6)  # 0.001 * 30000 / 5
    assert pos["liquidationPrice"] is not None
    close = quickstart(
        "/api/v4/collateral-account/position/close",
        {
            "positionId": pos["positionId"],
            "market": "BTC_PERP",
        },
    )
    assert close == []
    assert quickstart("/api/v4/collateral-account/positions/open", {"market": "BTC_PERP"}) == []


async def test_quickstart_helper_from_async_code(pointed_at_sandbox):
    summary = await asyncio.to_thread(quickstart, "/api/v4/collateral-account/summary")
    assert summary["leverage"] == 5 and Decimal(str(summary["equity"])) == Decimal(10000)
