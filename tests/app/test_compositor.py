"""The desk's ``LineCompositor`` paints exactly what Textual's own compositor paints.

Every partial update of a live desk (positions and prices streaming from the sandbox, the
chart moving, keyboard flows through the panes, the order form and a modal) is rendered both
ways, Textual's ``Compositor.render_partial_update`` first, and the terminal output (escape
sequences and text) must be the same string.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual._compositor import Compositor

from tui.app.compositor import LineCompositor, span_runs
from tui.app.main_app import CollateralApp
from tui.app.screens.modals import CloseModal
from tui.domain.models import Side

from .conftest import open_position, ready, wait_for


def test_span_runs_join_contiguous_rows_and_take_their_columns() -> None:
    spans = [(3, 5, 9), (4, 1, 4), (4, 6, 8), (7, 0, 2), (40, 0, 9), (-1, 0, 9)]
    assert span_runs(spans, height=40) == [(3, 5, 1, 9), (7, 8, 0, 2)]
    assert span_runs([], height=40) == []


async def test_partial_updates_equal_textuals(app: CollateralApp, sandbox: Any) -> None:
    compared: list[int] = []  # number of lines painted by each compared update
    mismatches: list[tuple[str, str]] = []

    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        compositor = screen._compositor
        assert isinstance(compositor, LineCompositor)
        ours = compositor.render_partial_update
        console = app.console

        def both() -> Any:
            dirty = set(compositor._dirty_regions)
            theirs = Compositor.render_partial_update(compositor)
            compositor._dirty_regions.update(dirty)
            update = ours()
            if update is None or theirs is None:
                assert update is None and theirs is None
                return update
            a, b = theirs.render_segments(console), update.render_segments(console)
            compared.append(len(update.spans))
            if a != b:
                mismatches.append((a, b))
            return update

        compositor.render_partial_update = both  # type: ignore[method-assign]

        for market, side, amount in [
            ("BTC_PERP", Side.BUY, "0.002"),
            ("ETH_PERP", Side.SELL, "0.200"),
            ("BTC_USDT", Side.BUY, "0.001"),
        ]:
            await open_position(app, market, side, amount)
        await wait_for(pilot, lambda: screen.positions_table.row_count == 3, "three positions")
        price = sandbox.engine.prices["BTC_PERP"]
        for step in range(1, 6):  # rows, balances and the chart's bars move
            await sandbox.set_price("BTC_PERP", price - Decimal(400 * step))
            await pilot.pause(0.25)
        # keyboard flows: panes, cursor moves, the order form, a tab switch, a modal
        await pilot.press("p", "down", "down", "up", "r", "o")
        await pilot.press(*"0.001", "tab", *"12345", "shift+tab", "backspace")
        await pilot.press("escape", "m", "f", "p")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CloseModal), "close dialog")
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen, "back on the desk")
        await pilot.pause(0.5)

    assert not mismatches, mismatches[0]
    assert len(compared) >= 20, compared
    assert any(n > 1 for n in compared), "no update painted more than one line"
