"""What the positions table paints is the latest mark price, on the selected row too.

A stale mark on the row under the cursor is the worst lie a desk can tell: the trader is
looking at it. Each price move must reach the painted screen, not only the table's data.
"""

from __future__ import annotations

from decimal import Decimal

from textual.geometry import Region

from tui.app.main_app import CollateralApp
from tui.domain.models import Side
from tui.sandbox import SandboxServer

from .conftest import open_position, ready, settle, wait_for


def painted_text(app: CollateralApp) -> str:
    table = app.desk.positions_table  # type: ignore[union-attr]
    strips = table.render_lines(Region(0, 0, table.size.width, table.size.height))
    return "\n".join(strip.text for strip in strips)


async def test_selected_row_paints_every_new_mark(
    app: CollateralApp, sandbox: SandboxServer
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await open_position(app, "BTC_PERP", Side.BUY, "0.05")
        await open_position(app, "ETH_PERP", Side.SELL, "0.5")
        await wait_for(pilot, lambda: screen.positions_table.row_count == 2, "two rows")
        await pilot.press("p")
        assert screen.positions_table.selected_key is not None
        base = app.service.prices["BTC_PERP"]
        for step in (Decimal("0.99"), Decimal("0.985"), Decimal("1.01"), Decimal("0.97")):
            price = (base * step).quantize(Decimal("0.01"))
            await sandbox.set_price("BTC_PERP", price)
            await wait_for(
                pilot, lambda p=price: app.service.prices["BTC_PERP"] == p, "price stream"
            )
            await settle(pilot)
            text = painted_text(app)
            assert f"{price:.2f}" in text, f"mark {price} not painted:\n{text}"
