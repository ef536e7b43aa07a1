"""The liquidation chart: which bars it draws, on which grid, how often it replots, and that
textual-plotext's own render shows them."""

from __future__ import annotations

import time
from decimal import Decimal

from textual.app import App, ComposeResult

from tui.app.widgets.chart_data import Bar, Focus, Scale, nice_bound
from tui.app.widgets.liq_chart import REPLOT_INTERVAL, LiqChart


class Host(App[None]):
    CSS = "LiqChart { width: 40; height: 10; }"

    def compose(self) -> ComposeResult:
        yield LiqChart()


class WideHost(Host):
    CSS = "LiqChart { width: 80; height: 14; }"


def bars(n: int, far: Decimal = Decimal(0)) -> list[Bar]:
    # distances 40, 39, ..., the last ones nearest; ``far`` moves the farthest bar only
    out = [Bar(f"P{i}", Decimal(40 - i), "green") for i in range(n)]
    out[0] = Bar("P0", Decimal(40) + far, "green")
    return out


def shown(chart: LiqChart) -> list[str]:
    assert chart.plotted is not None
    return [b.label for b in chart.plotted.bars]


def text(chart: LiqChart) -> str:
    """What PlotextPlot renders for the chart now."""
    return chart.render().plain  # type: ignore[union-attr]


# --- the pure axis --------------------------------------------------------------------------------


def test_nice_bound() -> None:
    values = ("0.3", "1", "1.2", "2.2", "3", "7.3", "38", "100", "101", "0.0042")
    expected = ("0.5", "1", "2", "2.5", "5", "10", "50", "100", "200", "0.005")
    assert [nice_bound(Decimal(v)) for v in values] == [Decimal(e) for e in expected]


def test_scale_bounds_for_bars() -> None:
    def scale(*percents: str, cells: int = 10) -> Scale:
        return Scale.for_bars(tuple(Bar("x", Decimal(p), "green") for p in percents), cells)

    assert scale("38", "6") == Scale(Decimal(0), Decimal(50), 10)
    assert scale("0.2") == Scale(Decimal(0), Decimal(1), 10)  # never below 1 %
    assert scale("7.3", "-0.3") == Scale(Decimal("-0.5"), Decimal(10), 10)  # past liquidation
    assert scale() == Scale(Decimal(0), Decimal(1), 10)
    assert scale("5", cells=0).cells == 1
    assert Scale(Decimal("-0.5"), Decimal(10), 7).step == Decimal("1.5")


def test_snap_ends_on_a_cell_boundary() -> None:
    scale = Scale(Decimal(0), Decimal(10), 8)  # 1.25 % a cell
    assert scale.snap(Decimal("6.2")) == Decimal("6.25")
    assert scale.snap(Decimal("6.9")) == Decimal("7.5")
    assert scale.snap(Decimal("1.875")) == Decimal("2.50")  # half a cell: to the even one
    assert scale.snap(Decimal("0.625")) == Decimal("1.25")  # would round to 0: kept at one cell
    assert scale.snap(Decimal("0.2")) == Decimal("1.25")  # short of liquidation: one cell
    assert scale.snap(Decimal("-0.2")) == Decimal(0)
    assert scale.snap(Decimal(10)) == Decimal(10)
    below = Scale(Decimal(-2), Decimal(10), 8)  # 1.5 % a cell, from -2
    assert below.snap(Decimal("-1.5")) == Decimal("-2.0")
    assert below.snap(Decimal("-1.0")) == Decimal("-0.5")
    assert below.snap(Decimal("3.6")) == Decimal("4.0")
    for percent in ("0.01", "3.33", "9.99", "7.77"):
        steps = (scale.snap(Decimal(percent)) - scale.low) / scale.step
        assert steps == steps.to_integral_value()


# --- the widget -----------------------------------------------------------------------------------


async def test_many_positions_show_the_nearest_in_position_order() -> None:
    app = Host()
    async with app.run_test() as pilot:
        chart = app.query_one(LiqChart)
        await pilot.pause()
        chart.set_data(bars(30), None)
        chart.replot_if_changed()
        capacity = chart.size.height - 3  # the frame and the title take three lines
        nearest = [f"P{i}" for i in range(30 - capacity, 30)]
        assert shown(chart) == nearest
        assert [b.percent for b in chart.plotted.bars] == sorted(  # type: ignore[union-attr]
            (b.percent for b in chart.plotted.bars),  # type: ignore[union-attr]
            reverse=True,
        )
        await pilot.pause()
        drawn = text(chart)
        assert f"nearest {capacity}/30" in drawn
        for label in nearest:
            assert f"{label}┤" in drawn, label
        assert "P0┤" not in drawn
        replots = chart.replots
        chart.set_data(bars(30, far=Decimal(5)), None)  # a change the chart cannot show
        chart.replot_if_changed()
        assert chart.replots == replots
        chart.set_data(bars(3), None)  # few positions: all of them
        chart.replot_if_changed()
        assert shown(chart) == ["P0", "P1", "P2"]
        assert chart.replots == replots + 1
        await pilot.pause()
        assert "nearest" not in text(chart)
        chart.set_data([], None)
        chart.replot_if_changed()
        await pilot.pause()
        assert "no open positions" in text(chart)


async def test_a_move_within_a_cell_does_not_replot_and_a_cell_crossing_does() -> None:
    app = Host()
    async with app.run_test() as pilot:
        chart = app.query_one(LiqChart)
        await pilot.pause()
        chart.set_data([Bar("A", Decimal("6.00"), "amber"), Bar("B", Decimal(30), "green")], None)
        chart.replot_if_changed()
        replots = chart.replots
        picture = chart.plotted
        assert picture is not None
        # 40 wide, labels 1 wide: 36 cells over 0..50 % = 1.39 % a cell
        assert picture.scale == Scale(Decimal(0), Decimal(50), 36)
        assert picture.bars[0].percent == Decimal(50) / 36 * 4  # 6 % is 4.32 cells
        chart.set_data([Bar("A", Decimal("6.10"), "amber"), Bar("B", Decimal(30), "green")], None)
        chart.replot_if_changed()
        assert chart.replots == replots and chart.plotted == picture
        chart.set_data([Bar("A", Decimal("8.00"), "amber"), Bar("B", Decimal(30), "green")], None)
        chart.replot_if_changed()
        assert chart.replots == replots + 1
        assert chart.plotted.bars[0].percent == Decimal(50) / 36 * 6  # type: ignore[union-attr]
        # the same bar in another tone is another picture
        chart.set_data([Bar("A", Decimal("8.00"), "red"), Bar("B", Decimal(30), "green")], None)
        chart.replot_if_changed()
        assert chart.replots == replots + 2


async def test_a_burst_replots_at_most_twice_a_second_and_shows_the_last_data() -> None:
    app = Host()
    async with app.run_test() as pilot:
        chart = app.query_one(LiqChart)
        await pilot.pause()
        replots = chart.replots
        start = time.monotonic()
        step = 0
        while time.monotonic() - start < 1.6:  # a 50 Hz burst of changes the chart can show
            step += 1
            chart.set_data([Bar(f"S{step}", Decimal(10 + step % 20), "green")], None)
            await pilot.pause(0.02)
        elapsed = time.monotonic() - start
        made = chart.replots - replots
        assert step > 40 and 2 <= made <= 1 + int(elapsed / REPLOT_INTERVAL)
        await pilot.pause(REPLOT_INTERVAL + 0.1)  # the last data, within the interval
        assert shown(chart) == [f"S{step}"]
        assert f"S{step}┤" in text(chart)
        # nothing changes: no more replots
        settled = chart.replots
        await pilot.pause(2 * REPLOT_INTERVAL)
        assert chart.replots == settled


async def test_the_first_change_after_a_quiet_spell_is_drawn_at_once() -> None:
    app = Host()
    async with app.run_test() as pilot:
        chart = app.query_one(LiqChart)
        await pilot.pause(REPLOT_INTERVAL + 0.1)
        replots = chart.replots
        chart.set_data([Bar("NOW", Decimal(5), "red")], None)
        assert chart.replots == replots + 1 and shown(chart) == ["NOW"]


async def test_the_selected_position_gets_a_mark_panel_with_its_marks() -> None:
    app = WideHost()
    async with app.run_test() as pilot:
        chart = app.query_one(LiqChart)
        await pilot.pause()
        chart.record_marks({"BTC_PERP": Decimal(65000), "ETH_USDT": Decimal(3000)})
        chart.record_marks({"BTC_PERP": Decimal(64800)})
        focus = Focus("BTC_PERP", Decimal(65500), Decimal(62000))
        chart.set_data(
            [Bar("BTC_PERP L", Decimal("2.5"), "red"), Bar("ETH_USDT S", Decimal(12), "amber")],
            focus,
        )
        chart.replot_if_changed()
        assert chart.plotted is not None
        assert chart.plotted.focus == focus
        assert chart.plotted.marks == (Decimal(65000), Decimal(64800))
        await pilot.pause()
        drawn = text(chart)
        assert "BTC mark" in drawn and "BTC_PERP L┤" in drawn and "ETH_USDT S┤" in drawn
        # a new mark of the focused market is a new picture, another market's is not
        replots = chart.replots
        chart.record_marks({"ETH_USDT": Decimal(3001)})
        chart.replot_if_changed()
        assert chart.replots == replots
        chart.record_marks({"BTC_PERP": Decimal(64700)})
        chart.replot_if_changed()
        assert chart.replots == replots + 1
        assert chart.plotted.marks[-1] == Decimal(64700)


async def test_a_narrow_chart_leaves_the_mark_panel_out() -> None:
    app = Host()
    async with app.run_test(size=(40, 20)) as pilot:
        chart = app.query_one(LiqChart)
        chart.styles.width = 30
        await pilot.pause()
        chart.set_data([Bar("A", Decimal(3), "red")], Focus("BTC_PERP", None, Decimal(1)))
        chart.replot_if_changed()
        assert chart.plotted is not None and chart.plotted.focus is None
        await pilot.pause()
        assert "mark" not in text(chart) and "A┤" in text(chart)


async def test_nearest_n_keeps_the_bars_shown_among_equal_distances() -> None:
    app = Host()
    async with app.run_test() as pilot:
        chart = app.query_one(LiqChart)
        await pilot.pause()
        capacity = chart.size.height - 3

        def data(moves: dict[int, Decimal]) -> list[Bar]:
            # 3 x capacity positions at the same distance, labelled apart, each its own key
            return [
                Bar(f"M{i % 4}", Decimal("9.1") + moves.get(i, Decimal(0)), "green", key=i)
                for i in range(3 * capacity)
            ]

        def keys() -> frozenset[object]:
            assert chart.plotted is not None
            return chart.plotted.keys

        chart.set_data(data({}), None)
        chart.replot_if_changed()
        first = keys()
        replots = chart.replots
        assert len(first) == capacity
        # every shown one moves a hair farther and every other one a hair nearer: equal at
        # the chart's resolution, so the same bars stay (no trading places, no replot)
        moves = {
            i: Decimal("0.01") if i in first else Decimal("-0.01") for i in range(3 * capacity)
        }
        chart.set_data(data(moves), None)
        chart.replot_if_changed()
        assert keys() == first and chart.replots == replots
        # one outsider clearly nearer (several cells): it comes in
        outsider = next(i for i in range(3 * capacity) if i not in first)
        chart.set_data(data({outsider: Decimal(-8)}), None)
        chart.replot_if_changed()
        assert outsider in keys() and chart.replots == replots + 1
