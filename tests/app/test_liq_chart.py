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


def test_nice_bound_and_snap() -> None:
    from tui.app.widgets.liq_chart import Scale, nice_bound

    assert [nice_bound(Decimal(v)) for v in ("0.3", "1", "1.2", "2.2", "3", "7.3", "38", "100")] == [
        Decimal("0.5"),
        Decimal(1),
        Decimal(2),
        Decimal("2.5"),
        Decimal(5),
        Decimal(10),
        Decimal(50),
        Decimal(100),
    ]
    scale = Scale(Decimal(0), Decimal(10), 8)  # 1.25 % a cell
    assert scale.snap(Decimal("6.2")) == Decimal("6.25")
    assert scale.snap(Decimal("6.9")) == Decimal("7.5")
    assert scale.snap(Decimal("0.2")) == Decimal("1.25")  # near liquidation: never an empty bar
    assert scale.snap(Decimal("-0.2")) == Decimal(0)


async def test_a_move_within_a_cell_does_not_replot_and_a_cell_crossing_does() -> None:
    app = Host()
    async with app.run_test() as pilot:
        chart = app.query_one(LiqChart)
        await pilot.pause()
        chart.set_data([Bar("A", Decimal("6.00"), "amber"), Bar("B", Decimal(30), "green")], None)
        chart._maybe_replot()
        replots = chart.replots
        drawn = chart._bars
        # 40 wide, labels 1 wide: 36 cells over 0..50 % = 1.39 % a cell
        chart.set_data([Bar("A", Decimal("6.10"), "amber"), Bar("B", Decimal(30), "green")], None)
        chart._maybe_replot()
        assert chart.replots == replots and chart._bars == drawn
        chart.set_data([Bar("A", Decimal("8.00"), "amber"), Bar("B", Decimal(30), "green")], None)
        chart._maybe_replot()
        assert chart.replots == replots + 1
        assert chart._bars[0].percent != drawn[0].percent
        # the same bar in another tone is another picture
        chart.set_data([Bar("A", Decimal("8.00"), "red"), Bar("B", Decimal(30), "green")], None)
        chart._maybe_replot()
        assert chart.replots == replots + 2


async def test_text_equals_what_plotexts_ansi_output_decodes_to() -> None:
    """LiqChart turns plotext's matrices into Rich Text itself instead of decoding plotext's
    ANSI string: the two must be equal (same characters, same styled spans)."""
    from rich.text import Text

    from tui.app.widgets.liq_chart import Focus

    app = Host()
    async with app.run_test() as pilot:
        chart = app.query_one(LiqChart)
        await pilot.pause()
        chart.record_marks({"BTC_PERP": Decimal(65000)})
        chart.record_marks({"BTC_PERP": Decimal(64800)})
        cases = [
            ([], None),
            (bars(3), None),
            (
                [Bar("BTC_PERP L", Decimal("2.5"), "red"), Bar("ETH_USDT S", Decimal(12), "amber")],
                Focus("BTC_PERP", Decimal(65500), Decimal(62000)),
            ),
            (bars(30), Focus("BTC_PERP", None, Decimal(70000))),
        ]
        for bar_list, focus in cases:
            chart.set_data(bar_list, focus)
            chart._maybe_replot()
            ours = chart.render()
            theirs = Text.from_ansi(chart.plt.build())
            assert ours.plain == theirs.plain, (bar_list, focus)
            assert ours.spans == theirs.spans, (bar_list, focus)
            assert (ours.end, ours.tab_size, ours.style) == (theirs.end, theirs.tab_size, theirs.style)
            assert len(ours.spans) > 3 and ours.plain.strip()


async def test_lines_are_what_textual_makes_of_the_text() -> None:
    """LiqChart.render_line builds its strips from plotext's matrices; Textual's own route
    (render() -> Content -> strips) must give the same segments, style for style."""
    from textual.visual import Visual, visualize

    from tui.app.widgets.liq_chart import Focus

    app = Host()
    async with app.run_test() as pilot:
        chart = app.query_one(LiqChart)
        await pilot.pause()
        chart.record_marks({"BTC_PERP": Decimal(65000)})
        chart.record_marks({"BTC_PERP": Decimal(64800)})
        for bar_list, focus in (
            ([], None),
            (bars(30), Focus("BTC_PERP", Decimal(64000), Decimal(70000))),
            ([Bar("BTC_PERP L", Decimal("-1.5"), "red")], Focus("BTC_PERP", None, None)),
        ):
            chart.set_data(bar_list, focus)
            chart._maybe_replot()
            width, height = chart.size
            ours = [list(chart.render_line(y)) for y in range(height)]
            visual = visualize(chart, chart.render())
            theirs = Visual.to_strips(chart, visual, width, height, chart.visual_style)
            assert ours == [list(strip) for strip in theirs], (bar_list, focus)


async def test_replotting_on_kept_figures_draws_what_fresh_figures_draw() -> None:
    """replot() clears the data of the figures it keeps (same layout) instead of creating
    them again: through a sequence of changes, every picture must equal a fresh figure's."""
    from tui.app.widgets.liq_chart import Focus

    app = Host()
    async with app.run_test() as pilot:
        chart = app.query_one(LiqChart)
        await pilot.pause()
        btc = Focus("BTC_PERP", Decimal(65500), Decimal(62000))
        steps = [
            (bars(3), btc),
            (bars(30), btc),  # "nearest" title
            (bars(2), btc),  # title gone again
            ([], btc),  # no bars
            (bars(4), btc),
            (bars(4), None),  # layout change: one figure
            (bars(30), None),
            ([], None),
            (bars(5, far=Decimal(7)), Focus("ETH_USDT", None, Decimal(3000))),
        ]
        for i, (bar_list, focus) in enumerate(steps):
            chart.record_marks({"BTC_PERP": Decimal(65000 + i * 10)})
            chart.set_data(bar_list, focus)
            chart.replot()
            kept = chart._build_text()
            chart._layout = None  # what a fresh figure draws
            chart.replot()
            fresh = chart._build_text()
            assert (kept.plain, kept.spans) == (fresh.plain, fresh.spans), i


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

        chart.set_data(data({}), None)
        chart._maybe_replot()
        shown = set(chart._shown)
        replots = chart.replots
        assert len(shown) == capacity
        # every shown one moves a hair farther and every other one a hair nearer: equal at
        # the chart's resolution, so the same bars stay (no trading places, no replot)
        moves = {i: Decimal("0.01") if i in shown else Decimal("-0.01") for i in range(3 * capacity)}
        chart.set_data(data(moves), None)
        chart._maybe_replot()
        assert set(chart._shown) == shown and chart.replots == replots
        # one outsider clearly nearer (several cells): it comes in
        outsider = next(i for i in range(3 * capacity) if i not in shown)
        chart.set_data(data({outsider: Decimal(-8)}), None)
        chart._maybe_replot()
        assert outsider in chart._shown and chart.replots == replots + 1
