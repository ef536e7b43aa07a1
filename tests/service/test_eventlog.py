"""The session's event log (tui.service.eventlog): bounded, newest first, with times; fed by a
real service against a real sandbox."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest
from service_support import Recorder

from tui.domain.models import OrderRequest, OrderType, Side, StreamState
from tui.sandbox import SandboxServer
from tui.service import CommandError, TradingService, events
from tui.service.eventlog import FILL, LIQUIDATED, MARGIN_CALL, REJECTED, STREAM, EventLog


def market_order(market: str, side: Side, amount: str) -> OrderRequest:
    return OrderRequest(market=market, side=side, type=OrderType.MARKET, amount=Decimal(amount))


def test_the_log_is_bounded_newest_first_and_timed() -> None:
    ticks = iter(range(100, 200))
    log = EventLog(limit=3, clock=lambda: float(next(ticks)))
    for n in range(5):
        log.add("fill", f"order {n}")
    assert len(log) == 3
    assert [(e.at, e.text) for e in log.newest_first()] == [
        (104.0, "order 4"),
        (103.0, "order 3"),
        (102.0, "order 2"),
    ]
    assert log.version == 5


def test_a_stream_logs_its_changes_not_its_first_connection() -> None:
    log = EventLog()
    for state in (
        StreamState.CONNECTING,
        StreamState.LIVE,
        StreamState.LIVE,  # no change: nothing
        StreamState.STALE,
        StreamState.LIVE,
        StreamState.RECONNECTING,
        StreamState.CONNECTING,
        StreamState.LIVE,
    ):
        log.record(events.StreamStateChanged("prices", state, ""))
    assert [e.text for e in log.newest_first()] == [
        "prices stream reconnected",
        "prices stream lost, reconnecting",
        "prices stream live again",
        "prices stream stale",
    ]
    assert {e.kind for e in log.newest_first()} == {STREAM}


async def test_fills_rejections_margin_calls_liquidations_and_reconnects_are_logged(
    sandbox: SandboxServer, service: tuple[TradingService, Recorder]
) -> None:
    svc, rec = service
    log = EventLog()
    log.attach(svc.subscribe)
    await svc.set_leverage(10)
    await svc.place_order(market_order("BTC_PERP", Side.BUY, "0.05"))
    with pytest.raises(CommandError):
        await svc.place_order(market_order("BTC_PERP", Side.BUY, "1000"))  # beyond the balance
    await rec.wait_for(lambda: len(svc.positions) == 1)
    (pos,) = svc.positions.values()
    assert pos.liquidation_price is not None
    await sandbox.set_price(
        "BTC_PERP", (pos.liquidation_price * Decimal("1.003")).quantize(Decimal("0.01"))
    )
    await rec.wait_for(lambda: any(e.kind == MARGIN_CALL for e in log.newest_first()))
    await sandbox.set_price(
        "BTC_PERP", (pos.liquidation_price * Decimal("0.7")).quantize(Decimal("0.01"))
    )
    await rec.wait_for(lambda: svc.positions == {}, timeout=15)
    await sandbox.faults.inject("ws_abort")
    await rec.wait_for(
        lambda: any(e.text.endswith("stream reconnected") for e in log.newest_first())
    )

    entries = log.newest_first()
    kinds = [e.kind for e in entries]
    # newest first: the fill came before the rejection, which came before the margin call...
    assert kinds.index(MARGIN_CALL) < kinds.index(REJECTED) < kinds.index(FILL)
    assert kinds.index(STREAM) < kinds.index(LIQUIDATED) < kinds.index(MARGIN_CALL)
    assert all(a.at >= b.at for a, b in pairwise(entries))
    fill = entries[kinds.index(FILL)]
    assert fill.text.startswith("buy 0.05 BTC_PERP market @ ")
    rejected = entries[kinds.index(REJECTED)]
    assert rejected.text.startswith("buy 1000 BTC_PERP market: [code 10] ")
    assert any(e.text == "BTC_PERP position LIQUIDATED" for e in entries)
