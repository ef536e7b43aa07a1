"""Alerts, fills and the stale-data guard."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.widgets import Button

from tui.app.main_app import CollateralApp
from tui.domain.models import Side, StreamState

from .conftest import notifications, open_position, ready, settle, wait_for


async def test_fill_and_near_liquidation_alerts(app: CollateralApp, sandbox: Any) -> None:
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]  # count, do not beep
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await open_position(app, "BTC_PERP", Side.BUY, "0.002")
        await wait_for(
            pilot, lambda: any("Filled" in n for n in notifications(app)), "fill notification"
        )
        await wait_for(pilot, lambda: screen.positions_table.row_count == 1, "position row")
        (pos,) = app.service.positions.values()
        assert pos.liquidation_price is not None
        # move the mark to 2 % above the liquidation price: under the red threshold (5 %)
        await sandbox.set_price(
            "BTC_PERP", (pos.liquidation_price * Decimal("1.02")).quantize(Decimal("0.01"))
        )
        await wait_for(
            pilot, lambda: any("Position alert" in n for n in notifications(app)), "position alert"
        )
        assert bells, "an alert rings the bell"
        await wait_for(
            pilot,
            lambda: (
                (cell := screen.positions_table.cell(str(pos.id), "dist_pct")) is not None
                and cell.tone.startswith("text-error")
            ),
            "distance cell in red",
        )


async def test_stale_streams_block_order_entry_and_ask_before_closing(
    app: CollateralApp, sandbox: Any
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await open_position(app, "BTC_PERP", Side.BUY, "0.002")
        await wait_for(pilot, lambda: screen.positions_table.row_count == 1, "position row")
        await sandbox.close()  # the exchange goes away: the streams drop
        await wait_for(
            pilot,
            lambda: app.service.stream_state("positions") is not StreamState.LIVE,
            "positions stream not live",
            timeout=20,
        )
        await settle(pilot)
        form = screen.entry.active_form
        assert form.block_reason is not None and "not live" in form.block_reason
        assert form.query_one("#submit", Button).disabled
        await pilot.press("c")
        await wait_for(pilot, lambda: app.screen.id == "trade-anyway-modal", "trade anyway?")
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
