"""What the desk shows for positions and orders, as plain data: table rows, chart bars, the
chart's focus, the order form's risk preview. No widgets here: the desk hands the results to its tables and chart.

:class:`PositionRows` keeps one row per position and rebuilds it only when its inputs changed
(the position, its market, its mark price, the thresholds): the service keeps an unchanged
position's object across snapshots, so "unchanged" is mostly an identity check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import NamedTuple

from tui.domain import risk
from tui.domain.models import Direction, Market, Order, Position
from tui.domain.preview import Effect, RiskPreview
from tui.service import Thresholds

from .formatting import amount, money, percent, signed
from .widgets.chart_data import Bar, Focus
from .widgets.positions import order_cells, position_cells
from .widgets.tables import Cell

#: A row's cells, built when the table needs them (a row off screen may never need them).
CellsFn = Callable[[], tuple[Cell, ...]]


class PositionRow(NamedTuple):
    inputs: object  # what the row was built from: the row is rebuilt when this differs
    key: str  # the table's row key
    cells: CellsFn
    bar: Bar | None


def position_bar(pos: Position, dist: risk.Distance | None, band: str) -> Bar | None:
    """The chart's bar for a position: its distance to liquidation, in its band's tone."""
    if dist is None:
        return None
    return Bar(
        # the full market name: "BTC L" alone cannot tell BTC_PERP from BTC_USDT
        f"{pos.market} {pos.direction.value[0].upper()}",
        dist.percent,
        band if band != "unknown" else "green",
        key=pos.id,
    )


def position_row(
    pos: Position, market: Market | None, mark: Decimal | None, thresholds: Thresholds
) -> tuple[CellsFn, Bar | None]:
    """The row's cells (as a function) and the chart's bar (built now: every position competes
    for a place on the chart)."""
    dist = (
        risk.liquidation_distance(pos.direction, mark, pos.liquidation_price)
        if mark is not None
        else None
    )
    band = thresholds.band(dist.percent if dist else None)
    return partial(position_cells, pos, market, mark, dist, band=band), position_bar(
        pos, dist, band
    )


def chart_focus(pos: Position | None) -> Focus | None:
    """What the chart marks for the selected position: its market's marks, entry and liq."""
    if pos is None:
        return None
    return Focus(pos.market, pos.base_price, pos.liquidation_price)


def order_rows(orders: Mapping[int, Order], markets: Mapping[str, Market]) -> dict[str, CellsFn]:
    """The open orders' rows, by order id, in id order."""
    return {
        str(oid): partial(order_cells, order, markets.get(order.market))
        for oid, order in sorted(orders.items())
    }


@dataclass(slots=True)
class RowChanges:
    """What to tell the positions table: every row (``full``: replace the table's rows with
    ``rows``), or only the rows that changed and the keys removed."""

    full: bool
    rows: dict[str, CellsFn] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)


class PositionRows:
    """The positions' rows and bars, kept across updates.

    ``touch``/``touch_markets`` say which positions to look at again at the next
    :meth:`update` (the ids the service said changed, the positions in markets whose price
    moved); ``touch_all`` (or an unknown set) makes the next update a full pass.
    """

    def __init__(self) -> None:
        self.rows: dict[int, PositionRow] = {}  # by position id, in id order
        self._touched: set[int] | None = None  # None: all of them
        self._by_market: dict[str, set[int]] = {}

    def touch(self, ids: Iterable[int] | None) -> None:
        if ids is None:
            self._touched = None
        elif self._touched is not None:
            self._touched.update(ids)

    def touch_markets(self, markets: Iterable[str] | None) -> None:
        if markets is None:
            self._touched = None
        elif self._touched is not None:
            for market in markets:
                self._touched |= self._by_market.get(market, set())

    def touch_all(self) -> None:
        self._touched = None

    @property
    def bars(self) -> list[Bar]:
        return [row.bar for row in self.rows.values() if row.bar is not None]

    def update(
        self,
        positions: Mapping[int, Position],
        markets: Mapping[str, Market],
        prices: Mapping[str, Decimal],
        thresholds: Thresholds,
    ) -> RowChanges:
        touched, self._touched = self._touched, set()
        if touched is None:
            return self._full(positions, markets, prices, thresholds)
        return self._some(touched, positions, markets, prices, thresholds)

    def _row(
        self,
        pos: Position,
        markets: Mapping[str, Market],
        prices: Mapping[str, Decimal],
        thresholds: Thresholds,
    ) -> tuple[PositionRow, bool]:
        """The position's row, and whether it was (re)built."""
        market, mark = markets.get(pos.market), prices.get(pos.market)
        inputs = (pos, mark, market, thresholds)
        known = self.rows.get(pos.id)
        if known is not None and known.inputs == inputs:
            return known, False
        cells, bar = position_row(pos, market, mark, thresholds)
        return PositionRow(inputs, str(pos.id), cells, bar), True

    def _full(
        self,
        positions: Mapping[int, Position],
        markets: Mapping[str, Market],
        prices: Mapping[str, Decimal],
        thresholds: Thresholds,
    ) -> RowChanges:
        fresh: dict[int, PositionRow] = {}
        by_market: dict[str, set[int]] = {}
        for pid, pos in sorted(positions.items()):
            fresh[pid], _ = self._row(pos, markets, prices, thresholds)
            by_market.setdefault(pos.market, set()).add(pid)
        self.rows, self._by_market = fresh, by_market
        return RowChanges(True, {row.key: row.cells for row in fresh.values()})

    def _some(
        self,
        touched: set[int],
        positions: Mapping[int, Position],
        markets: Mapping[str, Market],
        prices: Mapping[str, Decimal],
        thresholds: Thresholds,
    ) -> RowChanges:
        changes = RowChanges(False)
        added = False
        for pid in sorted(touched):
            pos = positions.get(pid)
            if pos is None:
                gone = self.rows.pop(pid, None)
                if gone is not None:
                    changes.removed.append(gone.key)
                    for pids in self._by_market.values():
                        pids.discard(pid)
                continue
            row, rebuilt = self._row(pos, markets, prices, thresholds)
            if not rebuilt:
                continue
            if pid not in self.rows:
                added = True
                self._by_market.setdefault(pos.market, set()).add(pid)
            self.rows[pid] = row
            changes.rows[row.key] = row.cells
        if added:  # keep id order (the chart's bars follow it)
            self.rows = dict(sorted(self.rows.items()))
        return changes


def preview_text(preview: RiskPreview | None, quote: str) -> str:
    """The preview as the exchange will act: a reducing part says what it closes, releases and
    realizes; only the part that opens shows margin and liquidation."""
    if preview is None:
        return "Preview: enter an amount and price"
    lines: list[str] = []
    if preview.crosses_market:
        lines.append(f"Crosses the market: fills now at about {money(preview.price)}")
    lines.append(f"Notional {money(preview.notional)} {quote}   fee {money(preview.fee)}")
    effect = preview.effect
    held = "long" if preview.held_direction is Direction.LONG else "short"
    if effect is Effect.NOTHING:
        name = preview.direction.value
        lines.append(f"No {name} position to reduce: the exchange refuses it")
        return "\n".join(lines)
    if effect is Effect.REDUCE:
        lines.append(f"Reduces the {held} to {amount(preview.remaining)}: no new margin")
    elif effect in (Effect.CLOSE, Effect.FLIP):
        lines.append(f"Closes the {held} ({amount(preview.reduced)})")
    if effect in (Effect.REDUCE, Effect.CLOSE, Effect.FLIP):
        pnl = (
            f"   PnL about {signed(preview.realized_pnl)}"
            if preview.realized_pnl is not None
            else ""
        )
        lines.append(f"Releases {money(preview.released_margin)} {quote}{pnl}")
    if not preview.opens:
        return "\n".join(lines)
    side = preview.direction.value
    margin = f"{money(preview.required_margin)} {quote} at {preview.leverage}x"
    if effect is Effect.FLIP:
        lines.append(f"Then a new {side} of {amount(preview.opened)}: margin {margin}")
    elif effect is Effect.ADD:
        lines.append(f"Adds {amount(preview.opened)} to the {side}: margin {margin}")
    else:
        lines.append(f"Margin   {margin}")
    if preview.est_liquidation_price is None:
        lines.append("Est. liq  none (fully funded)")
    else:
        dist = (
            f" ({percent(preview.liq_distance_pct)} from mark)"
            if preview.liq_distance_pct is not None
            else ""
        )
        scope = ""
        if effect is Effect.ADD:
            scope = f" whole {side}" if preview.liq_combined else " new part only"
        lines.append(f"Est. liq{scope} {money(preview.est_liquidation_price)}{dist}")
    return "\n".join(lines)
