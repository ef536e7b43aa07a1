"""Distance-to-liquidation chart: one bar per open position, coloured by the service's
thresholds, and for the selected position a small mark-price line with liq/entry levels.

Data is pushed in with :meth:`LiqChart.set_data`; a 2 Hz timer replots only when the data
changed (textual-plotext issue #11: clear, plot, then ``refresh()``).

With more positions than the chart has lines, it shows the ones nearest to liquidation (in
position order) and says "nearest N of M": bars that cannot be drawn are not plotted, and a
change among them does not replot (plotext's cost grows with every bar: measured in bench/).

Bars are drawn on a cell grid: the axis runs from 0 (or below, past liquidation) to a round
upper bound (1, 2, 2.5 or 5 times a power of ten) and each bar's length is rounded to the
nearest cell of the bar area *before* it goes to plotext. What plotext draws is then a function
of those rounded values, so a tick that moves a distance by less than a cell changes nothing on
screen and costs no replot (a replot is plotext's build plus decoding its ANSI output: the bulk
of applying a snapshot, bench/RESULTS.md). The exact distance is in the positions table.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from plotext import _utility as plotext_utility
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip
from textual.style import Style as TextualStyle
from textual_plotext import PlotextPlot

from .chart_data import Bar, Focus

REPLOT_INTERVAL = 0.5  # seconds: at most 2 Hz
HISTORY = 120  # mark-price samples kept per market
DEFAULT_CAPACITY = 8  # bars shown before the first layout tells the real height
DEFAULT_WIDTH = 40  # cells, before the first layout tells the real width
FOCUS_MIN_WIDTH = 36  # narrower than this, the mark-price panel is left out
NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


PLOT_COLOURS = {"green": "green", "amber": "orange", "red": "red"}


def nice_bound(value: Decimal) -> Decimal:
    """The smallest 1, 2, 2.5 or 5 times a power of ten that is >= ``value`` (> 0)."""
    exponent = value.adjusted()  # value = d.ddd x 10**exponent
    for power in (exponent - 1, exponent):
        scale = Decimal(1).scaleb(power)
        for step in NICE_STEPS:
            if step * scale >= value:
                return step * scale
    return Decimal(1).scaleb(exponent + 1)


@dataclass(frozen=True, slots=True)
class Scale:
    """The bar axis: from ``low`` to ``high`` percent over ``cells`` cells."""

    low: Decimal
    high: Decimal
    cells: int

    @classmethod
    def for_bars(cls, bars: tuple[Bar, ...], cells: int) -> Scale:
        top = max((b.percent for b in bars), default=Decimal(1))
        bottom = min((b.percent for b in bars), default=Decimal(0))
        high = nice_bound(max(top, Decimal(1)))
        low = -nice_bound(-bottom) if bottom < 0 else Decimal(0)
        return cls(low, high, max(1, cells))

    @property
    def step(self) -> Decimal:
        """One cell of the axis, in percent."""
        return (self.high - self.low) / self.cells

    def snap(self, percent: Decimal) -> Decimal:
        """``percent`` rounded to the nearest cell boundary of this axis."""
        step = self.step
        steps = ((percent - self.low) / step).quantize(Decimal(1), ROUND_HALF_EVEN)
        snapped = self.low + steps * step
        if percent > 0 and snapped <= 0:
            return step  # still short of liquidation: keep one cell, never an empty bar
        return snapped


def tone_for(percent: Decimal, green: Decimal, red: Decimal) -> str:
    if percent < red:
        return "red"
    if percent < green:
        return "amber"
    return "green"


class LiqChart(PlotextPlot):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._bars: tuple[Bar, ...] = ()  # the bars drawn
        self._all_bars: tuple[Bar, ...] = ()  # every position's bar
        self._focus: Focus | None = None
        self._scale: Scale | None = None
        self._shown: frozenset[object] = frozenset()  # keys of the bars drawn (see _nearest)
        self._marks: dict[str, deque[Decimal]] = {}
        self._dirty = True
        self._plotted: object = None
        self.replots = 0  # how many times the plot was rebuilt (tests and the bench read it)
        self._text: Text | None = None
        self._text_key: object = None
        self._strips: list[Strip] | None = None
        self._strips_key: object = None
        self._layout: bool | None = None  # the figures plotted on: True = bars and mark line

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(REPLOT_INTERVAL, self._maybe_replot, name="liq-chart-replot")
        self._maybe_replot()

    # ----------------------------------------------------------------- data in

    def record_marks(self, prices: dict[str, Decimal]) -> None:
        for market, price in prices.items():
            history = self._marks.setdefault(market, deque(maxlen=HISTORY))
            if not history or history[-1] != price:
                history.append(price)
                if self._focus is not None and self._focus.market == market:
                    self._dirty = True

    def set_data(self, bars: list[Bar], focus: Focus | None) -> None:
        self._all_bars = tuple(bars)
        show_focus = focus is not None and self._width() >= FOCUS_MIN_WIDTH
        new_bars, scale = self._nearest(show_focus)
        if new_bars != self._bars or scale != self._scale or focus != self._focus:
            self._bars = new_bars
            self._scale = scale
            self._focus = focus
            self._dirty = True

    def _capacity(self) -> int:
        """How many bars fit: one line each, less the frame and the "nearest" title."""
        height = self.size.height
        return max(1, height - 3) if height else DEFAULT_CAPACITY

    def _width(self) -> int:
        return self.size.width or DEFAULT_WIDTH

    def _nearest(self, show_focus: bool) -> tuple[tuple[Bar, ...], Scale]:
        """The bars to draw, their lengths snapped to the cell grid of the bar area (see the
        module docstring), and that grid."""
        bars = self._all_bars
        capacity = self._capacity()
        # The bar area: the bars' half of the chart (plotext halves the width for two
        # sub-plots), less the y axis and the labels beside it.
        width = self._width() // 2 if show_focus else self._width()
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
        self._shown = frozenset(b.key for b in bars if b.key is not None)
        labels = max((len(b.label) for b in bars), default=0)
        scale = Scale.for_bars(bars, width - labels - 3)
        snapped = tuple(Bar(b.label, scale.snap(b.percent), b.tone) for b in bars)
        return snapped, scale

    # ----------------------------------------------------------------- drawing

    def _signature(self) -> object:
        marks = tuple(self._marks.get(self._focus.market, ())) if self._focus else ()
        return (self._bars, self._scale, self._focus, marks, self.size)

    def _maybe_replot(self) -> None:
        if not self._dirty:
            return
        self._dirty = False
        signature = self._signature()
        if signature == self._plotted:
            return
        self._plotted = signature
        self.replot()

    def on_resize(self) -> None:
        show_focus = self._focus is not None and self._width() >= FOCUS_MIN_WIDTH
        self._bars, self._scale = self._nearest(show_focus)
        self._dirty = True

    def replot(self) -> None:
        # Plotext draws with floats: the conversion is for display only, never for money math.
        plt = self.plt
        show_focus = self._focus is not None and self._width() >= FOCUS_MIN_WIDTH
        if self._layout is None or self._layout != show_focus:
            plt.clear_figure()
            if show_focus:
                plt.subplots(1, 2)
            self._layout = show_focus
        else:
            # Same layout: clear the data (plotext's clear_data, meant for re-plotting) and
            # keep the figures. Re-creating them deep-copies plotext's defaults for each one,
            # a third of a replot; tests/app/test_liq_chart.py checks both ways draw alike.
            plt.clear_data()
        bars_fig = plt
        if show_focus:
            bars_fig = plt.subplot(1, 1)  # plotext returns the sub-figure to draw on
        bars_fig.title(None)  # (set below when there is one)
        if self._bars:
            # horizontal bars: one line per position, its label on the y axis
            n = len(self._bars)
            for y, bar in enumerate(self._bars, start=1):
                bars_fig.bar(
                    [y],
                    [float(bar.percent)],
                    color=PLOT_COLOURS[bar.tone],
                    orientation="h",
                    width=0.5,
                    minimum=0,
                )
            bars_fig.yticks(list(range(1, n + 1)), [b.label for b in self._bars])
            scale = self._scale or Scale.for_bars(self._bars, self._width())
            bars_fig.xlim(float(scale.low), float(scale.high))
            bars_fig.ylim(0.4, n + 0.6)
            bars_fig.xticks([])  # the value sits at the bar end; keep the rows for bars
            if n < len(self._all_bars):
                bars_fig.title(f"nearest {n}/{len(self._all_bars)}")
        else:
            bars_fig.title("no open positions")
        if show_focus:
            assert self._focus is not None
            line_fig = plt.subplot(1, 2)
            marks = [float(m) for m in self._marks.get(self._focus.market, ())]
            if len(marks) == 1:
                marks = marks * 2  # a flat line rather than a dot
            if marks:
                line_fig.plot(marks, marker="braille", color="cyan")
            if self._focus.entry is not None:
                line_fig.hline(float(self._focus.entry), "blue")
            if self._focus.liq is not None:
                line_fig.hline(float(self._focus.liq), "red")
            line_fig.xticks([])
            line_fig.title(f"{self._focus.market.split('_')[0]} mark")
        self.replots += 1
        self._text = None
        self._strips = None
        # Painted with whatever else changed: the desk's compositor (tui/app/compositor.py)
        # renders only the dirty lines of the widgets on them, so a changed table row in the
        # same frame no longer drags in the bounding box between them (it did with Textual's:
        # the chart was painted in a frame of its own then).
        self.refresh()

    # ----------------------------------------------------------------- painting

    def render(self) -> Text:
        """What ``PlotextPlot.render`` shows, without its round trip through ANSI: that one
        builds plotext's ANSI string and decodes it again (``Text.from_ansi``) on every
        repaint, which costs more than the plot. Here plotext's character and colour
        matrices become the same ``Text`` directly, once per replot, size or theme
        (tests/app/test_liq_chart.py checks it equals the decoded ANSI)."""
        key = (self.size, self.app.theme)
        if self._text is None or self._text_key != key:
            self._text = self._build_text()
            self._text_key = key
        return self._text

    def _build_matrix(self) -> object:
        """Build the plot into plotext's matrices (characters and colours per cell)."""
        width, height = self.size
        plot = self.plt
        # What PlotextPlot.render does before plotext's build() ...
        plot.plotsize(width, height)
        plot._set_size(width, height)
        plot.theme(self._get_plotext_theme_name(self.app.theme))
        # ... and build() itself, less the ANSI canvas (matrix.set_canvas)
        plot._set_sizes()
        plot._build_matrix()
        return plot.monitor.matrix

    @staticmethod
    def _runs(matrix: object) -> list[list[tuple[str, Style]]]:
        """Per line, top first: the runs of cells in one colour, as (text, Rich style)."""
        lines = []
        for row in reversed(range(matrix.rows)):  # type: ignore[attr-defined]
            markers = matrix.marker[row]  # type: ignore[attr-defined]
            colours = list(
                zip(
                    matrix.fullground[row],  # type: ignore[attr-defined]
                    matrix.style[row],  # type: ignore[attr-defined]
                    matrix.background[row],  # type: ignore[attr-defined]
                )
            )
            runs = []
            start = 0
            cols = len(colours)
            for col in range(1, cols + 1):
                if col == cols or colours[col] != colours[start]:
                    runs.append(("".join(markers[start:col]), _plotext_style(*colours[start])))
                    start = col
            lines.append(runs)
        return lines

    def _build_text(self) -> Text:
        lines = []
        for runs in self._runs(self._build_matrix()):
            line = Text()
            for text, style in runs:
                line.append(text, style or None)
            lines.append(line)
        lines.append(Text())  # plotext's canvas ends with a newline
        return Text("\n", tab_size=8).join(lines)  # as Text.from_ansi joins its lines

    def render_line(self, y: int) -> Strip:
        """Lines straight from plotext's matrices: what Textual makes of ``render()``'s Text
        (through its Content: 2-3 ms a replot here), built directly, segment for segment
        (tests/app/test_liq_chart.py compares the two)."""
        key = (self.size, self.app.theme, self.visual_style)
        if self._strips is None or self._strips_key != key:
            self._strips = self._build_strips()
            self._strips_key = key
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)

    def _build_strips(self) -> list[Strip]:
        width, height = self.size
        if width <= 0 or height <= 0:
            return []
        visual = self.visual_style
        ansi_theme = self.app.ansi_theme
        styles: dict[Style, TextualStyle] = {}
        strips = []
        for y, runs in enumerate(self._runs(self._build_matrix())[:height]):
            # (text, Textual style) per segment: one per coloured run, one per unstyled gap
            parts: list[tuple[str, TextualStyle]] = []
            unstyled = False
            for text, style in runs:
                if not style:
                    if unstyled:
                        parts[-1] = (parts[-1][0] + text, visual)
                    else:
                        parts.append((text, visual))
                    unstyled = True
                    continue
                unstyled = False
                final = styles.get(style)
                if final is None:
                    final = styles[style] = visual + TextualStyle.from_rich_style(style, ansi_theme)
                parts.append((text, final))
            segments = []
            x = 0
            for text, style in parts:
                # as Textual's Content does: each segment's style carries its offset (selection)
                segments.append(Segment(text, style.rich_style_with_offset(x, y)))
                x += len(text)
            strips.append(Strip(segments).crop_extend(0, width, visual.rich_style))
        return strips


_ANSI_STYLES: dict[str, Style] = {}


def _plotext_style(fullground: object, style: object, background: object) -> Style:
    """The Rich style of one plotext cell colour: plotext's own ANSI codes for it, decoded the
    way ``Text.from_ansi`` decodes them (so both routes paint alike), cached."""
    code = plotext_utility.colors_to_ansi(fullground, style, background)
    found = _ANSI_STYLES.get(code)
    if found is None:
        text = Text.from_ansi(code + "x")
        found = Style.null()
        for span in text.spans:
            found += span.style if isinstance(span.style, Style) else Style.parse(span.style)
        if text.style:
            found = (text.style if isinstance(text.style, Style) else Style.parse(text.style)) + found
        _ANSI_STYLES[code] = found
    return found
