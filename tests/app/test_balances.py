"""The balance pane repaints a changed value without a layout pass while its height is the same
(the balances change with every poll; a layout pass reflows the whole desk)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.app import App, ComposeResult
from textual.containers import Vertical

from tui.app.widgets.balances import BalanceView
from tui.domain.account import AccountFigures
from tui.domain.models import Balance


class Host(App[None]):
    CSS = "#pane { width: 38; height: 11; } #narrow { width: 12; height: 11; }"

    def compose(self) -> ComposeResult:
        with Vertical(id="pane"):
            yield BalanceView(id="balances")
        with Vertical(id="narrow"):
            yield BalanceView(id="tight")


def summary(equity: str) -> AccountFigures:
    return AccountFigures(
        balance=Decimal(equity) - Decimal("3.25"),
        upnl=Decimal("3.25"),
        funding=Decimal(0),
        equity=Decimal(equity),
        position_margin=Decimal(100),
        reserved=Decimal("20.5"),
    )


def spy_layouts(view: BalanceView) -> list[bool]:
    layouts: list[bool] = []
    original = view.refresh

    def spy(*args: Any, **kw: Any) -> Any:
        layouts.append(bool(kw.get("layout")))
        return original(*args, **kw)

    view.refresh = spy  # type: ignore[method-assign]
    return layouts


async def test_a_new_value_of_the_same_height_repaints_without_layout() -> None:
    app = Host()
    async with app.run_test() as pilot:
        view = app.query_one("#balances", BalanceView)
        usdt = {"USDT": Balance("USDT", Decimal(1000))}
        view.show(usdt, summary("1000"))
        await pilot.pause()
        assert view.size.height == 6  # Equity, Used, Reserved, Free, a blank line, USDT
        layouts = spy_layouts(view)
        view.show(usdt, summary("1001.75"))
        await pilot.pause()
        assert "Equity      1001.75" in view.render().plain  # type: ignore[union-attr]
        assert layouts == [False]
        layouts.clear()
        both = {**usdt, "BTC": Balance("BTC", Decimal("0.5"))}
        view.show(both, summary("1001.75"))  # one more line: the pane must grow
        await pilot.pause()
        assert layouts[0] is True and view.size.height == 7


async def test_a_line_that_may_wrap_keeps_the_layout_pass() -> None:
    app = Host()
    async with app.run_test() as pilot:
        view = app.query_one("#tight", BalanceView)
        usdt = {"USDT": Balance("USDT", Decimal(1000))}
        view.show(usdt, summary("1000"))
        await pilot.pause()
        layouts = spy_layouts(view)
        view.show(usdt, summary("1001.75"))  # lines wider than the 12 columns: they wrap
        await pilot.pause()
        assert layouts == [True]
