"""The balance pane adds up on the real desk: with a losing long and a resting limit order it
shows the order's margin on a `Reserved` line, Used = position margin + Reserved, and
Free = Equity - Used (neither the loss nor the order's margin counted as free)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from tui.app.main_app import CollateralApp
from tui.app.widgets.balances import BalanceView
from tui.domain.models import Side

from .conftest import open_position, place_limit, ready, wait_for

D = Decimal


def pane_figures(view: BalanceView) -> dict[str, Decimal]:
    """The pane's ``Label value`` pairs (uPnL keeps its sign)."""
    figures: dict[str, Decimal] = {}
    for line in view.render().plain.splitlines():  # type: ignore[union-attr]
        words = line.split()
        for label, value in zip(words[::2], words[1::2], strict=False):
            if label in ("Equity", "uPnL", "Used", "Reserved", "Free"):
                figures[label] = D(value)
    return figures


async def test_the_pane_shows_reserved_order_margin_and_adds_up(
    app: CollateralApp, sandbox: Any
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        view = screen.query_one("#balances", BalanceView)
        # long 0.01 BTC_PERP at 65010, 5x: margin 130.02, taker fee 0.357555
        await open_position(app, "BTC_PERP", Side.BUY, "0.01")
        await sandbox.set_price("BTC_PERP", D("64010"))  # uPnL -10
        # buy 0.002 @ 60000 rests: 120 / 5 + 120 * 0.055 % = 24.066 reserved
        await place_limit(app, "BTC_PERP", Side.BUY, "0.002", "60000")
        expected = {
            "Equity": D("9989.64"),  # 10000 - 0.357555 - 10
            "uPnL": D("-10.00"),
            "Used": D("154.09"),  # 130.02 + 24.066
            "Reserved": D("24.07"),
        }
        await wait_for(
            pilot,
            lambda: {k: v for k, v in pane_figures(view).items() if k != "Free"} == expected,
            "the pane to show the position and the order",
        )
        shown = pane_figures(view)
        assert shown["Free"] == shown["Equity"] - shown["Used"] == D("9835.55")
        # the order form checks against the same Free
        assert app.service.free_collateral() == D("9835.556445")
