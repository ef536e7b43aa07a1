"""Positions history and funding history, filterable by market."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Label, Select

from tui.domain.models import FundingPayment, PositionEvent
from tui.domain.risk import fmt

from ..actions import bindings
from ..formatting import DASH, signed

if TYPE_CHECKING:
    from tui.service import TradingService

ALL = "__all__"


def when(ts: Decimal | None, show: bool = True) -> str:
    if ts is None:
        return DASH
    if not show:
        return "(hidden)"
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


class HistoryScreen(Screen[None]):
    BINDINGS = bindings("history")

    def __init__(
        self, service: TradingService, market: str | None = None, *, show_times: bool = True
    ) -> None:
        super().__init__(id="history-screen")
        self.service = service
        self.market = market
        self.show_times = show_times
        self.loaded = 0  # how many loads completed (tests wait on it)

    def compose(self) -> ComposeResult:
        with Horizontal(id="history-filter"):
            yield Label("Market ", classes="field-label")
            options = [("All markets", ALL)] + [(m, m) for m in sorted(self.service.markets)]
            yield Select(
                options,
                id="history-market",
                value=self.market or ALL,
                allow_blank=False,
                compact=True,
            )
            yield Label("", id="history-status")
        with Vertical(id="history-positions-pane", classes="pane") as pane:
            pane.border_title = "Positions history"
            yield DataTable(id="history-positions", cursor_type="row")
        with Vertical(id="history-funding-pane", classes="pane") as pane:
            pane.border_title = "Funding history"
            yield DataTable(id="history-funding", cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        positions = self.query_one("#history-positions", DataTable)
        for key, label, width in (
            ("time", "Time (UTC)", 19),
            ("market", "Market", 9),
            ("id", "Pos", 6),
            ("side", "Side", 5),
            ("amount", "Amount", 10),
            ("entry", "Entry", 10),
            ("trade", "Trade px", 10),
            ("pnl", "Realized", 10),
            ("fee", "Fee", 8),
            ("state", "State", 11),
        ):
            positions.add_column(label, key=key, width=width)
        funding = self.query_one("#history-funding", DataTable)
        for key, label, width in (
            ("time", "Time (UTC)", 19),
            ("market", "Market", 9),
            ("rate", "Rate", 10),
            ("amount", "Paid", 10),
            ("position", "Position", 10),
            ("price", "Price", 10),
        ):
            funding.add_column(label, key=key, width=width)
        positions.focus()
        self.load()

    @on(Select.Changed, "#history-market")
    def _market_changed(self, event: Select.Changed) -> None:
        value = event.value
        market = value if isinstance(value, str) and value != ALL else None
        if market != self.market:
            self.market = market
            self.load()

    def action_reload(self) -> None:
        self.load()

    def action_close(self) -> None:
        self.dismiss(None)

    @work(group="history", exclusive=True, exit_on_error=False)
    async def load(self) -> None:
        # A read: exclusive is safe (a cancelled read sends nothing to the exchange).
        from tui.service import CommandError

        status = self.query_one("#history-status", Label)
        status.update("loading...")
        market = self.market
        try:
            events = await self.service.positions_history(market)
            funding = await self.service.funding_history(market)
        except CommandError as exc:
            status.update(f"Failed: {exc}")
            return
        self._fill_positions(events)
        self._fill_funding(funding)
        status.update(f"{len(events)} position events, {len(funding)} funding payments")
        self.loaded += 1

    def _fill_positions(self, events: list[PositionEvent]) -> None:
        table = self.query_one("#history-positions", DataTable)
        table.clear()  # a one-off load, not a hot path
        for i, e in enumerate(events):
            state = e.liquidation_state.value if e.liquidation_state else ""
            table.add_row(
                when(e.modify_time or e.open_time, self.show_times),
                e.market,
                str(e.position_id),
                e.side.lower(),
                fmt(e.amount),
                fmt(e.base_price),
                fmt(e.trade_price),
                signed(e.realized_pnl),
                fmt(e.trade_fee),
                state,
                key=f"{e.position_id}-{i}",
            )

    def _fill_funding(self, payments: list[FundingPayment]) -> None:
        table = self.query_one("#history-funding", DataTable)
        table.clear()
        for i, p in enumerate(payments):
            table.add_row(
                when(
                    p.funding_time / 1000 if p.funding_time > 10**11 else p.funding_time,
                    self.show_times,
                ),
                p.market,
                fmt(p.funding_rate),
                signed(p.funding_amount),
                fmt(p.position_amount),
                fmt(p.settlement_price),
                key=str(i),
            )
