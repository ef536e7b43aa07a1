"""The desk re-reads only the positions the service says changed (and those in markets whose
price moved). Whatever it shows that way must be what a full pass over every position shows."""

from __future__ import annotations

import dataclasses
import random
from decimal import Decimal

from tui.app import messages as msg
from tui.app.main_app import CollateralApp
from tui.app.screens.desk import DeskScreen
from tui.domain.markets import product_of
from tui.domain.models import Position, PositionSide, StreamState, VenueInfo
from tui.sandbox.catalog import default_catalog
from tui.service import TradingService


class HostApp(CollateralApp):
    """The desk on a service whose state the test sets (no exchange: this is about the UI)."""

    def start_service(self) -> None:  # type: ignore[override]
        if self.desk is not None:
            self.desk.post_message(msg.ServiceStarted())


def make_service() -> TradingService:
    service = TradingService.for_whitebit(
        "http://127.0.0.1:9", "ws://127.0.0.1:9/ws", api_key="k", api_secret="s"
    )
    catalog = default_catalog()
    service.venue = VenueInfo("test", "http://127.0.0.1:9", "ws://127.0.0.1:9/ws", True)
    service.markets = {name: spec.market for name, spec in catalog.items()}
    service.prices = {name: spec.start_price for name, spec in catalog.items()}
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
        dist = Decimal(20 + (i * 7) % 40) / 100
        liq = price * (1 + dist) if short else price * (1 - dist)
        out.append(
            Position(
                id=500_000 + i,
                market=market,
                amount=-size if short else size,
                base_price=price,
                liquidation_price=liq.quantize(Decimal("0.01")),
                liquidation_state=None,
                margin=(size * price / 5).quantize(Decimal("0.01")),
                free_margin=Decimal(10),
                pnl=Decimal(0),
                realized_pnl=Decimal(0),
                funding=Decimal(0),
                unrealized_funding=Decimal(0),
                position_side=PositionSide.BOTH,
                product=product_of(market),
            )
        )
    return out


def next_snapshot(current: list[Position], step: int) -> list[Position]:
    """Every object re-created (as parsing a frame does), a few with new values."""
    picks = set(random.Random(step).sample(range(len(current)), max(1, len(current) // 10)))
    out = []
    for i, p in enumerate(current):
        if i in picks:
            out.append(dataclasses.replace(p, pnl=p.pnl + Decimal(step) / 100, margin=p.margin + 1))
        else:
            out.append(dataclasses.replace(p))
    return out


def shown(desk: DeskScreen) -> tuple[object, ...]:
    table = desk.positions_table
    keys = table.row_keys
    cells = [table.cells(k) for k in keys]
    return keys, cells, desk.position_rows.bars


async def test_incremental_applies_equal_a_full_pass() -> None:
    service = make_service()
    app = HostApp(service, clock=lambda: "12:00:00", show_ages=False, theme="textual-dark")
    async with app.run_test(size=(120, 40)) as pilot:
        desk = app.desk
        assert isinstance(desk, DeskScreen)
        for _ in range(100):
            if desk.started:
                break
            await pilot.pause(0.02)
        positions = synthetic_positions(60)
        service._on_positions(positions)
        await pilot.pause(0.1)
        rng = random.Random(7)
        incremental = 0
        for step in range(1, 25):
            positions = next_snapshot(positions, step)
            if step % 4 == 0:  # a position closed
                positions = positions[: -1 - rng.randrange(3)]
            if step % 5 == 0:  # a new one
                positions.append(dataclasses.replace(positions[0], id=900_000 + step))
            if step % 3 == 0:  # a price moved
                market = positions[rng.randrange(len(positions))].market
                service._on_price(market, service.prices[market] * Decimal("1.001"))
            rows = desk.position_rows
            full_passes: list[bool] = []
            real_full = rows._full

            def spy(*args: object, real_full=real_full, full_passes=full_passes) -> object:
                full_passes.append(True)
                return real_full(*args)  # type: ignore[arg-type]

            rows._full = spy  # type: ignore[method-assign]
            service._on_positions(positions)
            await pilot.pause(0.05)
            del rows._full
            incremental += not full_passes
            after = shown(desk)
            assert len(after[0]) == len(positions)
            # a full pass over the same state changes nothing
            rows.touch_all()
            desk.dirty.add("positions")
            desk.apply_state()
            assert shown(desk) == after, step
        assert incremental >= 20  # the incremental path is what ran
