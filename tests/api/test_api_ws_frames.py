"""The WebSocket stream's pure parts: frame decoding and the token budget."""

from __future__ import annotations

import time
from decimal import Decimal

from tui.api.ws_frames import (
    BadFrame,
    OrderUpdate,
    PositionsUpdate,
    PriceUpdate,
    Reply,
    Unhandled,
    decode_frame,
)
from tui.api.ws_policy import TokenBudget


def test_a_price_update_keeps_the_price_exact() -> None:
    frame = decode_frame('{"method":"lastprice_update","params":["BTC_PERP","65000.10"]}')
    assert frame == PriceUpdate("BTC_PERP", Decimal("65000.10"))


def test_replies_carry_their_id_and_message() -> None:
    frame = decode_frame(b'{"id":3,"result":{"status":"success"},"error":null}')
    assert isinstance(frame, Reply)
    assert frame.id == 3 and frame.message["result"] == {"status": "success"}


def test_an_empty_positions_snapshot_is_an_update() -> None:
    frame = decode_frame('{"method":"positionsMargin_update","params":{"total":0,"records":[]}}')
    assert frame == PositionsUpdate([])


def test_what_a_server_may_send_never_raises() -> None:
    bad = [
        b"\xff\xfe",
        "not json",
        "[1,2]",
        '{"method":"lastprice_update","params":["BTC_PERP"]}',
        '{"method":"lastprice_update","params":["BTC_PERP", "abc"]}',
        '{"method":"ordersPending_update","params":["x",{}]}',
        '{"method":"positionsMargin_update","params":"nope"}',
    ]
    for raw in bad:
        assert isinstance(decode_frame(raw), BadFrame), raw
    assert decode_frame('{"method":"depth_update","params":[]}') == Unhandled("depth_update")
    assert not isinstance(decode_frame('{"method":"ordersPending_update"}'), OrderUpdate)


async def test_the_token_budget_waits_out_its_window() -> None:
    budget = TokenBudget(limit=2, window=0.3)

    async def token() -> str:
        return "t"

    start = time.monotonic()
    for _ in range(2):
        await budget.wait()
        assert await budget.fetch(token) == "t"
    assert time.monotonic() - start < 0.2  # within the limit: no wait
    await budget.wait()
    assert time.monotonic() - start >= 0.29  # the third fetch waits for the first to age out
