"""The order form's preview nets against the held position, as the exchange (sandbox) will.

Issue 11's example: holding a BTC_PERP long of 0.01 at 50x, a sell of 0.01 used to preview a new
short's margin and liquidation; it must say it closes the long, and a sell of 0.03 must show the
flip (the close, then a new short of 0.02 with its own margin and liquidation), with the numbers
the sandbox then actually produces.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.widgets import Static

from tui.app.formatting import money
from tui.app.main_app import CollateralApp
from tui.domain import risk
from tui.domain.models import Direction, OrderType, Product, Side

from .conftest import open_position, ready, settle, wait_for
from .test_app_order_entry import fill_form, pick

D = Decimal
PERP_MMR = D("0.005")


async def test_a_sell_against_a_held_long_previews_the_close_and_the_flip(
    app: CollateralApp, sandbox: Any
) -> None:
    engine = sandbox.engine
    engine.leverage = 50
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        service = app.service
        await wait_for(pilot, lambda: service.leverage == 50, "leverage loaded")
        await open_position(app, "BTC_PERP", Side.BUY, "0.01")
        await wait_for(pilot, lambda: len(service.positions) == 1, "the long on the stream")
        (held,) = service.positions.values()
        assert held.direction is Direction.LONG and held.size == D("0.01")
        mark = service.mark_price("BTC_PERP")
        assert mark is not None

        # a sell of 0.01, typed: amount, then side -> sell
        await fill_form(pilot, Product.FUTURES, OrderType.MARKET, "0.01", {})
        await pilot.press("shift+tab", "shift+tab")  # amount -> type -> side
        assert app.focused is not None and app.focused.id == "side"
        await pick(pilot, 1)  # buy -> sell
        await settle(pilot)
        form = screen.entry.active_form
        assert form.product is Product.FUTURES and form.request is not None
        text = str(form.query_one("#preview", Static).content)
        assert "Closes the long (0.01)" in text, text
        assert f"Releases {money(held.margin)} USDT" in text, text
        assert "PnL about" in text
        assert "Margin" not in text and "Est. liq" not in text, text  # no new position

        # a sell of 0.03: the close, then a new short of 0.02
        await pilot.press("tab", "tab")  # side -> type -> amount (its text selected on focus)
        assert app.focused is not None and app.focused.id == "amount"
        await pilot.press(*"0.03")
        await settle(pilot)
        text = str(form.query_one("#preview", Static).content)
        new_margin = risk.required_margin(D("0.02"), mark, 50)
        liq = risk.estimated_liquidation_price(Direction.SHORT, mark, 50, PERP_MMR)
        assert liq is not None
        assert "Closes the long (0.01)" in text, text
        assert f"Then a new short of 0.02: margin {money(new_margin)} USDT at 50x" in text, text
        assert f"Est. liq {money(liq)} (" in text, text

        # what the sandbox then does is what the preview said
        request = form.request
        assert request is not None and request.amount == D("0.03")
        await service.place_order(request)
        (pos,) = engine.positions.values()
        assert pos.direction == "short" and pos.size == D("0.02") and pos.entry == mark
        assert pos.margin == new_margin  # 0.02 * mark / 50, exact
        actual = engine.liquidation_price(pos)
        assert actual is not None and abs(actual - liq) < D("1e-18")


async def test_a_limit_through_the_mark_is_previewed_at_the_mark(
    app: CollateralApp, sandbox: Any
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        mark = app.service.mark_price("BTC_PERP")
        assert mark is not None
        above = mark + 1000
        await fill_form(pilot, Product.FUTURES, OrderType.LIMIT, "0.01", {"price": str(above)})
        await settle(pilot)
        form = screen.entry.active_form
        assert form.request is not None
        text = str(form.query_one("#preview", Static).content)
        assert f"Crosses the market: fills now at about {money(mark)}" in text, text
        lev = app.service.leverage
        liq = risk.estimated_liquidation_price(Direction.LONG, mark, lev, PERP_MMR)
        assert liq is not None and liq < mark
        assert f"Est. liq {money(liq)} (" in text, text
