"""Snapshots of the desk and its screens (pytest-textual-snapshot). Deterministic: static
sandbox prices, fixed clock, ages hidden, fixed theme, no cursor blink, no toasts."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

from textual.pilot import Pilot

from tui.app.main_app import CollateralApp
from tui.domain.models import OrderRequest, OrderType, Side

from .conftest import no_blink, ready, wait_for


async def _with_positions(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, CollateralApp)
    screen = await ready(pilot)
    for market, side, amount in (("BTC_PERP", Side.BUY, "0.002"), ("ETH_USDT", Side.SELL, "0.1")):
        await app.service.place_order(
            OrderRequest(market=market, side=side, type=OrderType.MARKET, amount=Decimal(amount))
        )
    await app.service.place_order(
        OrderRequest(
            market="BTC_USDT",
            side=Side.BUY,
            type=OrderType.LIMIT,
            amount=Decimal("0.001"),
            price=Decimal(60000),
        )
    )
    await wait_for(pilot, lambda: screen.positions_table.row_count == 2, "positions")
    await wait_for(pilot, lambda: screen.orders_table.row_count == 1, "orders")
    await pilot.pause(1.2)  # chart replot (2 Hz) and the 4 Hz refresh
    await _quiet(pilot)


async def _quiet(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, CollateralApp)
    no_blink(app)
    app.clear_notifications()
    await pilot.pause(0.3)


def _snap(snap_compare: Any, app: CollateralApp, size: tuple[int, int], steps: Any) -> bool:
    async def run_before(pilot: Pilot[Any]) -> None:
        await asyncio.wait_for(steps(pilot), timeout=30)

    return bool(snap_compare(app, terminal_size=size, run_before=run_before))


def test_main_screen_120x40(snap_compare: Any, snapshot_app: CollateralApp) -> None:
    assert _snap(snap_compare, snapshot_app, (120, 40), _with_positions)


def test_main_screen_80x24(snap_compare: Any, snapshot_app: CollateralApp) -> None:
    assert _snap(snap_compare, snapshot_app, (80, 24), _with_positions)


def test_close_modal(snap_compare: Any, snapshot_app: CollateralApp) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await _with_positions(pilot)
        await pilot.press("c", "2")
        await _quiet(pilot)

    assert _snap(snap_compare, snapshot_app, (120, 40), steps)


def test_order_form_with_error(snap_compare: Any, snapshot_app: CollateralApp) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("f", "o", *"0.0000001", "tab", *"70000", "enter")
        await pilot.pause(0.5)
        await _quiet(pilot)

    assert _snap(snap_compare, snapshot_app, (120, 40), steps)


def test_help_screen(snap_compare: Any, snapshot_app: CollateralApp) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await pilot.press("question_mark")
        await _quiet(pilot)

    assert _snap(snap_compare, snapshot_app, (120, 40), steps)


def test_history_screen(snap_compare: Any, snapshot_app: CollateralApp) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, CollateralApp)
        screen = await ready(pilot)
        await app.service.place_order(
            OrderRequest(
                market="BTC_PERP", side=Side.BUY, type=OrderType.MARKET, amount=Decimal("0.002")
            )
        )
        await wait_for(pilot, lambda: screen.positions_table.row_count == 1, "position")
        await app.service.close_position(next(iter(app.service.positions)))
        await pilot.press("H")
        await wait_for(pilot, lambda: getattr(app.screen, "loaded", 0) >= 1, "history")
        await _quiet(pilot)

    assert _snap(snap_compare, snapshot_app, (120, 40), steps)
