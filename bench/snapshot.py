"""``snapshot_apply_N``: a positions snapshot applied to the desk's positions table and chart.

The real desk runs headless (``App.run_test``, 120x40): ``CollateralApp`` with its stylesheet and
``DeskScreen``, on a ``TradingService`` whose state is set in memory (no exchange: this figure is
about the UI). One step is what happens for one snapshot:

    service._on_positions(snapshot)   # what the WebSocket client calls: diff, events
    -> DataChanged message -> desk.apply_state()   # the desk's own scheduling
    -> chart.replot_if_changed()      # right after (its pending replot timer is paused)
    ... until the frame is painted and nothing else is pending ("settled")

Ours: the desk as it is. Naive: the same app, the same data and the same code everywhere except
that the positions table's updates (``sync``, and ``update_rows`` for the desk's incremental
path) are replaced by emptying it and adding every row again (``sync({})`` + ``sync(rows)``).
Each snapshot re-creates every ``Position`` (as parsing a frame does) and changes a random 10 %
of them (PnL, margin and liquidation price: the distance to liquidation moves visibly).

The figure is CPU time (``time.process_time_ns``) from the snapshot to the end of the last frame
it caused, so time spent idle waiting for Textual's refresh timer does not count.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tui.app import messages as msg
from tui.app.main_app import CollateralApp
from tui.app.screens.desk import DeskScreen
from tui.app.widgets.liq_chart import LiqChart
from tui.domain.markets import product_of
from tui.domain.models import Position, PositionSide, StreamState, VenueInfo
from tui.sandbox.catalog import default_catalog
from tui.service import TradingService

from .probe import FrameProbe, pause_timers
from .stats import Side, ms

SIZE = (120, 40)
CHANGED_SHARE = 10  # percent of rows changed per snapshot


class HostApp(CollateralApp):
    """The desk on an in-memory service: ``start_service`` only tells the desk it started."""

    def start_service(self) -> None:  # type: ignore[override]
        if self.desk is not None:
            self.desk.post_message(msg.ServiceStarted())


def make_service() -> TradingService:
    service = TradingService.for_whitebit(
        "http://127.0.0.1:9", "ws://127.0.0.1:9/ws", api_key="bench", api_secret="bench"
    )
    catalog = default_catalog()
    service.venue = VenueInfo("bench", "http://127.0.0.1:9", "ws://127.0.0.1:9/ws", True)
    service.markets = {name: spec.market for name, spec in catalog.items()}
    service.prices = {name: spec.start_price for name, spec in catalog.items()}
    service.leverage = 5
    for stream in ("positions", "prices"):
        service._stream_state[stream] = StreamState.LIVE
        service._touch(stream)
    return service


def synthetic_positions(count: int) -> list[Position]:
    catalog = default_catalog()
    markets = sorted(catalog)
    out = []
    for i in range(count):
        market = markets[i % len(markets)]
        price = catalog[market].start_price
        short = i % 2 == 1
        size = Decimal("0.001") * (1 + i % 9)
        entry = price * (Decimal("1.004") if short else Decimal("0.996"))
        # distances to liquidation over 6.5..38.5 %: amber and green rows, and no row within
        # 1 % of a threshold (5 % red, 15 % green), so the 0.3 % moves below never cross one:
        # a crossing raises an alert (a notification), which is not what this figure measures
        dist = Decimal(13 + (i * 7) % 65) / 2
        if 14 <= dist <= 16:
            dist += 3
        dist /= 100
        liq = price * (1 + dist) if short else price * (1 - dist)
        pnl = (entry - price) * size if short else (price - entry) * size
        out.append(
            Position(
                id=500_000 + i,
                market=market,
                amount=-size if short else size,
                base_price=entry.quantize(Decimal("0.01")),
                liquidation_price=liq.quantize(Decimal("0.01")),
                liquidation_state=None,
                margin=(size * price / 5).quantize(Decimal("0.01")),
                free_margin=Decimal(10),
                pnl=pnl.quantize(Decimal("0.01")),
                realized_pnl=Decimal(0),
                funding=Decimal(0),
                unrealized_funding=Decimal(0),
                position_side=PositionSide.BOTH,
                product=product_of(market),  # as the parser sets it
            )
        )
    return out


def next_snapshot(current: list[Position], step: int) -> list[Position]:
    """A new snapshot: every object re-created, 10 % of them with new values."""
    n = len(current)
    changed = max(1, n * CHANGED_SHARE // 100)
    picks = set(random.Random(step).sample(range(n), changed))
    delta = Decimal(step % 5 + 1) / 100
    sign = 1 if step % 2 else -1  # back and forth: the book does not drift
    out = []
    for i, p in enumerate(current):
        if i in picks:
            liq = p.liquidation_price or Decimal(0)
            out.append(
                dataclasses.replace(
                    p,
                    pnl=p.pnl + delta * sign,
                    margin=p.margin - delta * sign,
                    # 0.3 % of the price: the distance to liquidation moves visibly
                    liquidation_price=(liq + sign * liq * Decimal("0.003")).quantize(
                        Decimal("0.01")
                    ),
                )
            )
        else:
            out.append(dataclasses.replace(p))
    return out


def naive_sync(table: Any) -> Callable[[Any], bool]:
    """The naive way: throw every row away and add them all again."""

    built: dict[str, tuple[Any, Any]] = {}  # row key -> (source, its cells)
    sync = table.sync

    def cells(key: str, source: Any) -> Any:
        """A row's cells. The desk hands the table functions that build them; the naive side
        builds each changed row once, as ours does, so both sides build the same rows and the
        naive side pays only for its way of updating the table."""
        if not callable(source):
            return source
        known = built.get(key)
        if known is None or known[0] is not source:
            known = built[key] = (source, tuple(source()))
        return known[1]

    def naive(rows: Any) -> bool:
        sync({})
        sync({key: cells(key, source) for key, source in rows.items()})
        return True

    return naive


def naive_update_rows(desk: Any, table: Any) -> Callable[..., bool]:
    """The desk's incremental update (only the rows that changed), done the naive way too:
    every row thrown away and added again (all of the desk's rows, as ``sync`` gets them)."""
    sync = naive_sync(table)

    def update_rows(rows: Any, removed: Any = ()) -> bool:
        return sync({row.key: row.cells for row in desk.position_rows.rows.values()})

    return update_rows


async def _measure(
    count: int, naive: bool, reps: int, warmup: int, profiler: Any = None
) -> list[float]:
    service = make_service()
    app = HostApp(service, clock=lambda: "12:00:00", show_ages=False, theme="textual-dark")
    samples: list[float] = []
    async with app.run_test(size=SIZE) as pilot:
        probe = FrameProbe(app)
        desk = app.desk
        assert isinstance(desk, DeskScreen)
        for _ in range(100):
            if desk.started:
                break
            await pilot.pause(0.02)
        chart = desk.query_one("#liq-chart", LiqChart)
        # The 4 Hz refresh and the 2 Hz replot timers are paused: the snapshot's own apply (on
        # its DataChanged message) runs, and the chart replots right after it, as its timer
        # would within half a second.
        paused = pause_timers(desk, "desk-refresh") + pause_timers(chart, "liq-chart-replot")
        applied: list[int] = []
        apply_state = desk.apply_state

        def apply_and_replot() -> None:
            apply_state()
            chart.replot_if_changed()
            applied.append(time.process_time_ns())

        desk.apply_state = apply_and_replot  # type: ignore[method-assign]
        table = desk.positions_table
        if naive:
            table.sync = naive_sync(table)  # type: ignore[method-assign]
            table.update_rows = naive_update_rows(desk, table)  # type: ignore[method-assign]
        positions = synthetic_positions(count)
        service._on_positions(positions)  # the first snapshot adds every row (not measured)
        await probe.settle(timeout=20)
        if profiler is not None:
            profiler.start()
        for step in range(1, warmup + reps + 1):
            positions = next_snapshot(positions, step)
            await asyncio.sleep(0.02)
            before, applies = probe.count, len(applied)
            cpu0 = time.process_time_ns()
            service._touch("prices")
            service._on_positions(positions)  # what the WebSocket client calls
            last = await probe.settle()
            if len(applied) == applies:
                raise RuntimeError("bench: the snapshot was never applied")
            cpu1 = applied[-1]
            if last >= before:  # else nothing visible changed: no frame
                cpu1 = max(cpu1, probe.frames[last][1])
            if step > warmup:
                samples.append(ms(cpu1 - cpu0))
        if profiler is not None:
            profiler.stop()
        assert table.row_count == count, (table.row_count, count)
        for timer in paused:
            timer.resume()
    return samples


async def measure(count: int, reps: int, warmup: int) -> tuple[Side, Side]:
    """(ours, naive), measured one after the other in this process."""
    ours = await _measure(count, naive=False, reps=reps, warmup=warmup)
    naive = await _measure(count, naive=True, reps=reps, warmup=warmup)
    return Side(ours), Side(naive)
