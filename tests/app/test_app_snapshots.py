"""Snapshots of the desk and its screens (pytest-textual-snapshot). Deterministic: static
sandbox prices, fixed clock, ages hidden, fixed theme, no cursor blink, no toasts."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import pytest
from textual.pilot import Pilot

from tui.app.main_app import CollateralApp
from tui.app.screens.error import StartErrorScreen
from tui.domain.models import OrderRequest, OrderType, Side, StreamState

from .conftest import inject_fault, no_blink, ready, wait_for

#: The modals are drawn at the roomy size and at the smallest supported terminal.
SIZES = pytest.mark.parametrize("size", [(120, 40), (80, 24)], ids=["120x40", "80x24"])


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


async def _open_modal(pilot: Pilot[Any], *keys: str, modal_id: str) -> None:
    """Press ``keys`` on the desk and wait for the dialog ``modal_id`` to be on top."""
    app = pilot.app
    await pilot.press(*keys)
    await wait_for(pilot, lambda: app.screen.id == modal_id, modal_id)
    await _quiet(pilot)


@SIZES
def test_close_all_modal(
    snap_compare: Any, snapshot_app: CollateralApp, size: tuple[int, int]
) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await _with_positions(pilot)
        await _open_modal(pilot, "C", modal_id="close-all-modal")

    assert _snap(snap_compare, snapshot_app, size, steps)


@SIZES
def test_cancel_order_modal(
    snap_compare: Any, snapshot_app: CollateralApp, size: tuple[int, int]
) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await _with_positions(pilot)
        await _open_modal(pilot, "r", "x", modal_id="cancel-modal")

    assert _snap(snap_compare, snapshot_app, size, steps)


@SIZES
def test_leverage_modal(
    snap_compare: Any, snapshot_app: CollateralApp, size: tuple[int, int]
) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await _with_positions(pilot)  # the cursor's position (BTC_PERP) picks the product
        await _open_modal(pilot, "l", modal_id="leverage-modal")

    assert _snap(snap_compare, snapshot_app, size, steps)


@SIZES
def test_hedge_mode_modal(
    snap_compare: Any, snapshot_app: CollateralApp, size: tuple[int, int]
) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await ready(pilot)
        await _quiet(pilot)
        await _open_modal(pilot, "h", modal_id="hedge-modal")

    assert _snap(snap_compare, snapshot_app, size, steps)


async def _stalled(pilot: Pilot[Any], rest_url: str) -> None:
    """The desk with positions, then the exchange's stream stalls (connection open, nothing
    sent) until both streams are STALE and the order entry says so."""
    app = pilot.app
    assert isinstance(app, CollateralApp)
    await _with_positions(pilot)
    screen = app.desk
    assert screen is not None
    await inject_fault(rest_url, "ws_stall")
    await wait_for(
        pilot,
        lambda: all(
            app.service.stream_state(s) is StreamState.STALE for s in ("positions", "prices")
        ),
        "both streams stale",
    )
    await wait_for(
        pilot, lambda: screen.entry.active_form.block_reason is not None, "order entry blocked"
    )
    await pilot.pause(0.6)  # the 4 Hz refresh paints the status line
    await _quiet(pilot)


def test_stale_desk(
    snap_compare: Any, stalling_snapshot_app: CollateralApp, threaded_sandbox: Any
) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await _stalled(pilot, threaded_sandbox.rest_url)

    assert _snap(snap_compare, stalling_snapshot_app, (120, 40), steps)


@SIZES
def test_stale_close_asks_to_trade_anyway(
    snap_compare: Any,
    stalling_snapshot_app: CollateralApp,
    threaded_sandbox: Any,
    size: tuple[int, int],
) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        await _stalled(pilot, threaded_sandbox.rest_url)
        await _open_modal(pilot, "c", modal_id="trade-anyway-modal")

    assert _snap(snap_compare, stalling_snapshot_app, size, steps)


@SIZES
def test_start_error_screen(
    snap_compare: Any, unreachable_snapshot_app: CollateralApp, size: tuple[int, int]
) -> None:
    async def steps(pilot: Pilot[Any]) -> None:
        app = pilot.app
        await wait_for(
            pilot, lambda: isinstance(app.screen, StartErrorScreen), "error screen", timeout=20
        )
        await pilot.pause(0.5)  # the screen is up (the toast that came with it is cleared next)
        await _quiet(pilot)

    assert _snap(snap_compare, unreachable_snapshot_app, size, steps)
