"""The liquidation chart draws at most one bar per line: the positions nearest to liquidation."""

from __future__ import annotations

from decimal import Decimal

from textual.app import App, ComposeResult

from tui.app.widgets.liq_chart import Bar, LiqChart


class Host(App[None]):
    CSS = "LiqChart { width: 40; height: 10; }"

    def compose(self) -> ComposeResult:
        yield LiqChart()


def bars(n: int, far: Decimal = Decimal(0)) -> list[Bar]:
    # distances 40, 39, ..., the last ones nearest; ``far`` moves the farthest bar only
    out = [Bar(f"P{i}", Decimal(40 - i), "green") for i in range(n)]
    out[0] = Bar("P0", Decimal(40) + far, "green")
    return out


async def test_many_positions_show_the_nearest_in_position_order() -> None:
    app = Host()
    async with app.run_test() as pilot:
        chart = app.query_one(LiqChart)
        await pilot.pause()
        chart.set_data(bars(30), None)
        chart._maybe_replot()
        capacity = chart.size.height - 3
        shown = [b.label for b in chart._bars]
        assert shown == [f"P{i}" for i in range(30 - capacity, 30)]
        replots = chart.replots
        chart.set_data(bars(30, far=Decimal(5)), None)  # a change the chart cannot show
        chart._maybe_replot()
        assert chart.replots == replots
        chart.set_data(bars(3), None)  # few positions: all of them
        chart._maybe_replot()
        assert [b.label for b in chart._bars] == ["P0", "P1", "P2"]
        assert chart.replots == replots + 1
