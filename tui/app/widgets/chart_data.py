"""What the desk hands the liquidation chart (``tui.app.widgets.liq_chart``), and the chart's
bar axis: plain data and pure functions, in a module of its own so that the desk (and the
tests) can use them without importing plotext.

Bars are drawn on a cell grid: the axis runs from 0 (or below, past liquidation) to a round
upper bound (1, 2, 2.5 or 5 times a power of ten) and each bar's length is rounded to the
nearest cell of the bar area before it goes to plotext. What plotext draws is then a function
of those rounded values: a tick that moves a distance by less than a cell changes nothing on
screen and needs no replot. The exact distance is in the positions table.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal

NICE_STEPS = (Decimal(1), Decimal(2), Decimal("2.5"), Decimal(5), Decimal(10))


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    percent: Decimal
    tone: str  # "green" | "amber" | "red"
    #: what the bar stands for (the position id): keeps the "nearest N" choice steady among
    #: equal distances; not part of the picture (the chart draws label, length and tone)
    key: object = field(default=None, compare=False)


@dataclass(frozen=True, slots=True)
class Focus:
    """The selected position: its market's recent marks and its levels."""

    market: str
    entry: Decimal | None
    liq: Decimal | None


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
        """From 0 (or a round bound below the most negative bar) to a round bound >= 1 % above
        the longest bar."""
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


__all__ = ["Bar", "Focus", "Scale", "nice_bound"]
