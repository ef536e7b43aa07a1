"""Distance-to-liquidation chart: one bar per open position, coloured by the service's
thresholds, and for the selected position a small mark-price line with liq/entry levels.

Data is pushed in with :meth:`LiqChart.set_data` and :meth:`LiqChart.record_marks`. The chart
replots at most every ``REPLOT_INTERVAL`` seconds and only when the picture changed: the first
change after a quiet spell is drawn at once, later ones wait for a one-shot timer that ends
the interval, so the last data is on screen within ``REPLOT_INTERVAL``. A replot is
textual-plotext's way (its issue #11): clear the figure, plot, ``refresh()``; ``PlotextPlot``
renders it.

With more positions than the chart has lines, it shows the ones nearest to liquidation (in
position order) and says "nearest N/M". Bar lengths are snapped to the cell grid of the bar
area (``chart_data.Scale``), so a move of less than a cell is no change of the picture.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from textual.timer import Timer
from textual_plotext import PlotextPlot

from .chart_data import Bar, Focus, Scale

REPLOT_INTERVAL = 0.5  # seconds: at most 2 replots a second
HISTORY = 120  # mark-price samples kept per market
DEFAULT_CAPACITY = 8  # bars shown before the first layout tells the real height
DEFAULT_WIDTH = 40  # cells, before the first layout tells the real width
FOCUS_MIN_WIDTH = 36  # narrower than this, the mark-price panel is left out
PLOT_COLOURS = {"green": "green", "amber": "orange", "red": "red"}


@dataclass(frozen=True, slots=True)
class Picture:
    """Everything a replot draws: equal pictures draw alike, so an equal one is skipped."""

    bars: tuple[Bar, ...]  # snapped to ``scale``
    scale: Scale
    title: str | None
    focus: Focus | None  # None when there is none or no room for the mark panel
    marks: tuple[Decimal, ...]  # the focused market's recent marks
    #: the keys of the bars drawn: not part of the picture (see LiqChart._nearest)
    keys: frozenset[object] = field(default=frozenset(), compare=False)


class LiqChart(PlotextPlot):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._all_bars: tuple[Bar, ...] = ()  # every position's bar, as the desk gave them
        self._focus: Focus | None = None
        self._shown: frozenset[object] = frozenset()  # keys of the bars drawn (see _nearest)
        self._marks: dict[str, deque[Decimal]] = {}
        self.plotted: Picture | None = None  # what the plot was last built from
        self._last_replot = -REPLOT_INTERVAL  # time.monotonic() of the last replot
        self._timer: Timer | None = None  # the pending replot, if any
        self.replots = 0  # how many times the plot was rebuilt (tests and the bench read it)

    def on_mount(self) -> None:
        super().on_mount()
        self.replot_if_changed()

    # ----------------------------------------------------------------- data in

    def record_marks(self, prices: dict[str, Decimal]) -> None:
        for market, price in prices.items():
            history = self._marks.setdefault(market, deque(maxlen=HISTORY))
            if not history or history[-1] != price:
                history.append(price)
                if self._focus is not None and self._focus.market == market:
                    self._schedule()

    def set_data(self, bars: list[Bar], focus: Focus | None) -> None:
        self._all_bars = tuple(bars)
        self._focus = focus
        self._schedule()

    def on_resize(self) -> None:
        self._schedule()  # the grid and the number of bars that fit depend on the size

    # ----------------------------------------------------------------- replotting

    def _schedule(self) -> None:
        """Replot now, or when the interval since the last replot ends."""
        if self._timer is not None or not self.is_mounted:
            return  # a replot is due already (or on_mount draws the first one)
        wait = self._last_replot + REPLOT_INTERVAL - time.monotonic()
        if wait <= 0:
            self.replot_if_changed()
        else:
            self._timer = self.set_timer(wait, self.replot_if_changed, name="liq-chart-replot")

    def replot_if_changed(self) -> None:
        """Replot now if the picture changed (the timer's callback; the bench calls it too)."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        picture = self.picture()
        if picture == self.plotted:
            return
        self.plotted = picture
        self._shown = picture.keys
        self._last_replot = time.monotonic()
        self.replots += 1
        self._replot(picture)
        self.refresh()

    def picture(self) -> Picture:
        """What the chart draws for the data it holds, at its current size."""
        width = self.size.width or DEFAULT_WIDTH
        focus = self._focus if width >= FOCUS_MIN_WIDTH else None
        # The bar area: the bars' half of the chart when plotext splits it in two sub-plots,
        # less the y axis and the labels beside it.
        bars, scale, keys = self._nearest(width // 2 if focus else width)
        total = len(self._all_bars)
        title = f"nearest {len(bars)}/{total}" if len(bars) < total else None
        marks = tuple(self._marks.get(focus.market, ())) if focus else ()
        return Picture(bars, scale, title, focus, marks, keys)

    def _nearest(self, width: int) -> tuple[tuple[Bar, ...], Scale, frozenset[object]]:
        """The bars that fit (one a line, the nearest to liquidation, in position order),
        their lengths snapped to the cell grid of a bar area ``width`` cells wide, that grid,
        and the keys of the bars kept."""
        bars = self._all_bars
        height = self.size.height
        capacity = max(1, height - 3) if height else DEFAULT_CAPACITY  # less frame and title
        if len(bars) > capacity:
            keep = heapq.nsmallest(capacity, range(len(bars)), key=lambda i: bars[i].percent)
            # Nearest at the chart's resolution: among bars within a cell of the last one in,
            # those already shown stay (else equal distances would trade places on every tick).
            nearest = [bars[i] for i in keep]
            labels = max(len(b.label) for b in nearest)
            first = Scale.for_bars(tuple(nearest), width - labels - 3)
            cutoff = max(b.percent for b in nearest) + first.step
            shown = self._shown
            contenders = [i for i, b in enumerate(bars) if b.percent <= cutoff]
            keep = heapq.nsmallest(
                capacity,
                contenders,
                key=lambda i: (first.snap(bars[i].percent), bars[i].key not in shown, i),
            )
            chosen = set(keep)
            bars = tuple(bar for i, bar in enumerate(bars) if i in chosen)
        keys = frozenset(b.key for b in bars if b.key is not None)
        labels = max((len(b.label) for b in bars), default=0)
        scale = Scale.for_bars(bars, width - labels - 3)
        snapped = tuple(Bar(b.label, scale.snap(b.percent), b.tone) for b in bars)
        return snapped, scale, keys

    def _replot(self, picture: Picture) -> None:
        # Plotext draws with floats: the conversion is for display only, never for money math.
        plt = self.plt
        plt.clear_figure()
        bars_fig = plt
        if picture.focus is not None:
            plt.subplots(1, 2)
            bars_fig = plt.subplot(1, 1)  # plotext returns the sub-figure to draw on
        if picture.bars:
            # horizontal bars: one line per position, its label on the y axis
            n = len(picture.bars)
            for y, bar in enumerate(picture.bars, start=1):
                bars_fig.bar(
                    [y],
                    [float(bar.percent)],
                    color=PLOT_COLOURS[bar.tone],
                    orientation="h",
                    width=0.1,  # one row: wider bars spill into the next row (rounding)
                    minimum=0,
                )
            bars_fig.yticks(list(range(1, n + 1)), [b.label for b in picture.bars])
            bars_fig.xlim(float(picture.scale.low), float(picture.scale.high))
            bars_fig.ylim(0.5, n + 0.5)  # a row per unit when the bars fill the chart
            bars_fig.xticks([])  # the value sits at the bar end; keep the rows for bars
            bars_fig.title(picture.title)
        else:
            bars_fig.title("no open positions")
        focus = picture.focus
        if focus is not None:
            line_fig = plt.subplot(1, 2)
            marks = [float(m) for m in picture.marks]
            if len(marks) == 1:
                marks = marks * 2  # a flat line rather than a dot
            if marks:
                line_fig.plot(marks, marker="braille", color="cyan")
            if focus.entry is not None:
                line_fig.hline(float(focus.entry), "blue")
            if focus.liq is not None:
                line_fig.hline(float(focus.liq), "red")
            line_fig.xticks([])
            line_fig.title(f"{focus.market.split('_')[0]} mark")


__all__ = ["REPLOT_INTERVAL", "Bar", "Focus", "LiqChart", "Picture"]
