"""Engine-level checks (synchronous, injectable clock): short liquidation, reservations."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tui.sandbox import errors
from tui.sandbox.engine import Engine, EngineOptions

D = Decimal


def make_engine() -> Engine:
    return Engine(
        clock=lambda: D("1800000000"),
        balances={"USDT": D("1000")},
        options=EngineOptions(seed=1, static_prices=True),
    )


def test_short_margin_position_margin_call_partial_and_full_liquidation():
    engine = make_engine()
    engine.set_leverage(10)
    engine.place_order("market", "ETH_USDT", "sell", D("1"))
    [pos] = engine.open_positions()
    assert pos.direction == "short" and pos.margin == D("320")
    liq = engine.liquidation_price(pos)
    call = engine.margin_call_price(pos)
    assert liq is not None and call is not None and call < liq
    engine.set_price("ETH_USDT", (call + liq) / 2)
    assert pos.liq_stage == "margin_call" and pos.size == D("1")
    engine.set_price("ETH_USDT", liq + D("0.5"))
    assert pos.size == D("0.75") and pos.partially_liquidated
    new_liq = engine.liquidation_price(pos)
    assert new_liq is not None and new_liq > liq  # margin restored: further away
    balance_before_full = engine.balance
    margin_left = pos.margin
    engine.set_price("ETH_USDT", new_liq + D("0.5"))
    assert engine.open_positions() == []
    assert engine.balance == balance_before_full - margin_left
    states = [e["liquidationState"] for e in engine.position_events]
    assert states == [None, "liquidation", "liquidation"]
    kinds = [e[0] for e in engine.drain_events()]
    assert kinds.count("margin_event") == 3  # margin call, partial, full


def test_recovery_resets_the_stage_so_a_new_breach_is_partial_again():
    engine = make_engine()
    engine.set_leverage(10)
    engine.place_order("market", "BTC_PERP", "buy", D("0.01"))
    [pos] = engine.open_positions()
    liq = engine.liquidation_price(pos)
    assert liq is not None
    engine.set_price("BTC_PERP", liq - D("1"))
    assert pos.partially_liquidated and pos.size == D("0.0075")
    engine.set_price("BTC_PERP", D("65010"))  # recovers out of the margin-call zone
    assert pos.liq_stage is None and not pos.partially_liquidated
    liq = engine.liquidation_price(pos)
    assert liq is not None
    engine.set_price("BTC_PERP", liq - D("1"))
    assert pos.id in engine.positions and pos.size < D("0.0075")  # partial again, not full


def test_reservations_are_released_on_cancel_and_fill():
    engine = make_engine()
    start = engine.available()
    order = engine.place_order("limit", "BTC_USDT", "buy", D("0.01"), price=D("60000"))
    assert order.reserved > 0 and engine.available() == start - order.reserved
    engine.cancel_order("BTC_USDT", order.id)
    assert engine.available() == start
    with pytest.raises(errors.ApiError) as exc:
        engine.place_order("limit", "BTC_USDT", "buy", D("1"), price=D("60000"))
    assert exc.value.code == 10
    assert engine.orders == {}
