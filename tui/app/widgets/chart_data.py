"""What the desk hands the liquidation chart (``tui.app.widgets.liq_chart``): plain data, in a
module of its own so that the desk can build it without importing plotext, which the chart
needs and the desk's first frame does not (the chart is mounted just after it; bench:
cold_start)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal


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


__all__ = ["Bar", "Focus"]
