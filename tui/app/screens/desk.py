"""The desk: status line, balances, positions, open orders, order entry, liquidation chart.

Data flow: service events arrive as messages (``tui.app.messages``) that only mark parts of the
screen dirty; the service's latest state is then applied at most once per
``APPLY_MIN_INTERVAL`` (a burst of events costs one apply), and by a 4 Hz timer (clock, data
ages). Applying is skipped while another screen or a modal is on top. Tables are diffed by key
(``tui.app.presenters``). Actions resolve their position/order from the row key at the moment
they fire; the flows they start live in ``tui.app.screens.flows``. Whether trading is allowed
is the service's answer (``TradingService.trade_gate``): the desk only shows it.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable, Coroutine
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from tui.domain.markets import product_of
from tui.domain.models import Order, OrderRequest, Position, Product

from .. import messages as msg
from .. import presenters
from ..actions import bindings
from ..formatting import age as fmt_age
from ..widgets.balances import BalanceView
from ..widgets.liq_chart import LiqChart
from ..widgets.order_entry import OrderEntry
from ..widgets.order_form import OrderForm
from ..widgets.positions import OrdersTable, PositionsTable
from ..widgets.status import StatusBar, StreamView
from ..widgets.tables import KeyedTable
from . import flows
from .help import HelpScreen
from .history import HistoryScreen

if TYPE_CHECKING:
    from tui.service import TradingService

REFRESH_INTERVAL = 0.25  # 4 Hz
#: An order's "Sending..." shows this long after Enter: its request is started first.
SHOW_SENDING_AFTER = 0.01
#: Events are applied at most this often: 1/30 s keeps a 20 Hz burst within the 50 ms
#: stream-to-paint budget at a few ms of CPU per apply.
APPLY_MIN_INTERVAL = 1 / 30
STREAMS = ("positions", "prices")
#: The order entry is built at the latest this long after the desk is mounted (seconds).
ENTRY_BUILD_LATEST = 2.0
EVERYTHING = frozenset({"positions", "orders", "balances", "prices", "settings", "markets"})

DESK_BINDINGS: list[Binding] = bindings("desk")  # from the registry, tui.app.actions

PANES = ("positions", "entry", "orders")
ACTIVE_MARK = "▶ "
PANE_CONTAINERS = {"positions": "#positions-pane", "entry": "#entry-pane", "orders": "#orders-pane"}


class DeskScreen(Screen[None]):
    BINDINGS = DESK_BINDINGS
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (34, "-tall")]

    def __init__(
        self,
        service: TradingService,
        *,
        clock: Callable[[], str],
        show_ages: bool = True,
        help_rows: Callable[[], list[tuple[str, str, str]]] | None = None,
        confirm_limit_orders: bool = True,
        confirm_market_above: Decimal = Decimal(0),
    ) -> None:
        super().__init__(id="desk-screen")
        self.service = service
        self.clock = clock
        self.show_ages = show_ages
        self._help_rows = help_rows
        self.confirm_limit_orders = confirm_limit_orders
        self.confirm_market_above = confirm_market_above
        self.dirty: set[str] = set(EVERYTHING)
        self.started = False
        self.applied = 0  # number of refreshes that applied state (tests wait on it)
        self._last_stale: str | None = None
        self._last_apply = 0.0  # time.monotonic() of the last apply_state
        self._apply_scheduled = False
        self._active_pane: str | None = None
        self.position_rows = presenters.PositionRows()
        self._notified_fills: deque[int] = deque(maxlen=500)

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield StatusBar(id="status")
        with Vertical(id="desk"):
            with Vertical(id="positions-pane", classes="pane") as pane:
                pane.border_title = "Positions (p)"
                yield PositionsTable(id="positions")
            with Horizontal(id="lower"):
                with Vertical(id="lower-left"):
                    with Horizontal(id="info-row"):
                        with Vertical(id="balance-pane", classes="pane") as pane:
                            pane.border_title = "Collateral"
                            yield BalanceView(id="balances")
                        with Vertical(id="chart-pane", classes="pane") as pane:
                            pane.border_title = "Distance to liquidation"
                            yield LiqChart(id="liq-chart")
                    with Vertical(id="orders-pane", classes="pane") as pane:
                        pane.border_title = "Open orders (r)"
                        yield OrdersTable(id="orders")
                with Vertical(id="entry-pane", classes="pane") as pane:
                    pane.border_title = "Order entry (o)  m/f"
                    yield OrderEntry(self.service, place=self.submit_order, id="order-entry")
        yield Footer()

    def on_mount(self) -> None:
        self.positions_table.focus()
        self.set_interval(REFRESH_INTERVAL, self.apply_state, name="desk-refresh")
        self.apply_state()
        # The order entry (~130 widgets, ~400 ms on 2 cores) is built once the account is on
        # screen: built before, it more than doubled the time to the first frame, and built
        # right after it, it held the balances and positions back by as much. A key that asks
        # for it meanwhile (o, m, f) builds it at once; so does a slow or failed start.
        self.set_timer(ENTRY_BUILD_LATEST, self._build_entry)

    async def _build_entry(self) -> None:
        building = self.entry.build()
        if building is not None:
            await building
        self.entry.mount_futures()
        self.dirty.add("markets")  # the forms' markets and state
        self.apply_state()

    # ------------------------------------------------------------------ handy lookups

    @property
    def positions_table(self) -> PositionsTable:
        return self.query_one("#positions", PositionsTable)

    @property
    def orders_table(self) -> OrdersTable:
        return self.query_one("#orders", OrdersTable)

    @property
    def entry(self) -> OrderEntry:
        return self.query_one("#order-entry", OrderEntry)

    @property
    def liq_chart(self) -> LiqChart:
        return self.query_one("#liq-chart", LiqChart)

    def selected_position(self) -> Position | None:
        """Resolved from the row key under the cursor, now."""
        key = self.positions_table.selected_key
        if key is None:
            return None
        return self.service.positions.get(int(key))

    def selected_order(self) -> Order | None:
        key = self.orders_table.selected_key
        if key is None:
            return None
        return self.service.orders.get(int(key))

    # ------------------------------------------------------------------ service messages

    def on_data_changed(self, message: msg.DataChanged) -> None:
        if message.what == "positions":
            self.position_rows.touch(message.ids)
        elif message.what == "prices":
            self.position_rows.touch_markets(message.markets)
        self.dirty.add(message.what)
        self._schedule_apply()

    def on_stream_status(self, message: msg.StreamStatus) -> None:
        self.dirty.add("streams")
        self._schedule_apply()

    def _schedule_apply(self) -> None:
        """Apply soon: after the messages already queued (they coalesce into one apply), and
        no sooner than APPLY_MIN_INTERVAL after the previous apply."""
        if self._apply_scheduled:
            return
        self._apply_scheduled = True
        wait = self._last_apply + APPLY_MIN_INTERVAL - time.monotonic()
        if wait > 0:
            self.set_timer(wait, self._scheduled_apply, name="desk-apply")
        else:
            self.call_later(self._scheduled_apply)

    def _scheduled_apply(self) -> None:
        self._apply_scheduled = False
        if self.dirty:
            self.apply_state()

    def on_service_started(self, message: msg.ServiceStarted) -> None:
        self.started = True
        self.dirty.update(EVERYTHING)
        self.position_rows.touch_all()
        self.apply_state()
        self.call_after_refresh(self._build_entry)
        # What was built so far (Textual, the widgets, the CSS, the markets) lives as long as
        # the desk: out of the garbage collector's sight, its full collections scan only what
        # the streams allocate, not ~150k long-lived objects (a 20-50 ms pause otherwise).
        self.app.call_after_refresh(gc.freeze)

    def on_order_filled(self, message: msg.OrderFilled) -> None:
        o = message.order
        # The service can report one fill twice (the REST answer and the stream's "finished"
        # event): one notification per order is enough.
        if o.id in self._notified_fills:
            return
        self._notified_fills.append(o.id)
        self.notify(
            f"{o.side.value} {o.amount - o.left} {o.market} ({o.type.value})",
            title=f"Filled #{o.id}",
        )

    def on_position_alert(self, message: msg.PositionAlert) -> None:
        severe = message.kind in (
            "margin_call",
            "near_liquidation",
            "liquidated",
            "partially_liquidated",
        )
        self.notify(
            message.message,
            title="Position alert",
            severity="error" if severe else "warning",
            timeout=10,
        )
        if message.kind in ("margin_call", "near_liquidation"):
            self.app.bell()

    def on_service_problem(self, message: msg.ServiceProblem) -> None:
        code = f"[code {message.code}] " if message.code is not None else ""
        self.notify(
            f"{code}{message.message}", title=f"Service: {message.source}", severity="warning"
        )

    # ------------------------------------------------------------------ applying state

    def apply_state(self) -> None:
        """Apply the service's latest state (see the module docstring for when); skipped under
        a modal/other screen."""
        if self.app.screen is not self:
            return
        self._last_apply = time.monotonic()
        service = self.service
        dirty = self.dirty
        self.dirty = set()
        with self.app.batch_update():
            self._apply_status()
            if "markets" in dirty:
                for form in self.entry.forms:
                    form.refresh_markets()
            if dirty & {"markets", "settings"}:
                self.position_rows.touch_all()
            if dirty & {"positions", "prices", "markets"}:
                self._apply_positions()
            if dirty & {"orders", "markets"}:
                self.orders_table.sync(presenters.order_rows(service.orders, service.markets))
            if dirty & {"balances", "markets", "orders", "positions", "settings"}:
                figures = service.account_figures() if service.balances or service.summary else None
                self.query_one("#balances", BalanceView).show(service.balances, figures)
            if dirty & {"prices", "settings", "balances", "markets"}:
                for form in self.entry.forms:
                    form.refresh_state()
            self._apply_gate()
            self._apply_ages()
        if dirty:
            self.applied += 1

    def _apply_status(self) -> None:
        service = self.service
        venue = service.venue
        dead_man = service.dead_man.state
        streams = [
            StreamView(
                name,
                service.stream_state(name),
                service.stream_age(name) if self.show_ages else None,
                service.stale_after(name),
            )
            for name in STREAMS
        ]
        self.query_one("#status", StatusBar).show(
            venue=venue.name if venue else "connecting...",
            sandbox=venue.sandbox if venue else None,
            streams=streams,
            leverage=service.leverage if self.started else None,
            hedge_mode=service.hedge_mode if self.started else None,
            clock=self.clock(),
            show_ages=self.show_ages,
            dead_man=dead_man.timeout if dead_man.armed else None,
        )

    def _apply_positions(self) -> None:
        """Rows and bars for the positions that may have changed (see PositionRows)."""
        service = self.service
        changes = self.position_rows.update(
            service.positions, service.markets, service.prices, service.thresholds
        )
        if changes.full:
            self.positions_table.sync(changes.rows)
        else:
            self.positions_table.update_rows(changes.rows, changes.removed)
        chart = self.liq_chart
        chart.record_marks(service.prices)
        chart.set_data(self.position_rows.bars, presenters.chart_focus(self.selected_position()))

    def _apply_gate(self) -> None:
        """Show the service's trade gate: the forms' block reason, the stale mark on the
        positions pane."""
        gate = self.service.trade_gate()
        for form in self.entry.forms:
            form.set_block_reason(gate.reason)
        self._last_stale = ", ".join(gate.stale_streams) if gate.overridable else None

    def _apply_ages(self) -> None:
        def subtitle(name: str) -> str:
            if not self.show_ages or not self.started:
                return ""
            age = self.service.stream_age(name)
            limit = self.service.stale_after(name)  # the stream's own STALE threshold
            if age is None or limit is None or age <= limit:
                return ""
            return f"data {fmt_age(age)} old"

        positions_age = subtitle("positions")
        stale = self._last_stale
        positions_pane = self.query_one("#positions-pane")
        _set_subtitle(
            positions_pane, f"STALE: {stale} - closing asks first" if stale else positions_age
        )
        positions_pane.set_class(bool(stale), "-stale")
        _set_subtitle(self.query_one("#balance-pane"), positions_age)
        _set_subtitle(self.query_one("#chart-pane"), subtitle("prices"))

    # ------------------------------------------------------------------ selection

    # (No check_action: close, close all and cancel stay visible in the footer with nothing to
    # act on, and say why when pressed.)
    @on(KeyedTable.RowHighlighted)
    def _row_highlighted(self, event: KeyedTable.RowHighlighted) -> None:
        if event.table.id == "positions":
            self.dirty.add("positions")

    # ------------------------------------------------------------------ focus / panes

    def current_pane(self) -> str | None:
        focused = self.focused
        if focused is None:
            return None
        if focused is self.positions_table:
            return "positions"
        if focused is self.orders_table:
            return "orders"
        if self.entry in focused.ancestors_with_self:
            return "entry"
        return None

    def on_descendant_focus(self) -> None:
        pane = self.current_pane()
        if pane != self._active_pane:
            self._active_pane = pane
            # Mark the active pane in its title. (A CSS class or :focus-within would restyle
            # the pane's whole subtree: about 130 widgets in the order entry, on every move.)
            for name, selector in PANE_CONTAINERS.items():
                container = self.query_one(selector)
                title = str(container.border_title or "").removeprefix(ACTIVE_MARK)
                container.border_title = (ACTIVE_MARK + title) if name == pane else title

    def action_focus_pane(self, pane: str) -> None:
        if pane == "positions":
            self.positions_table.focus()
        elif pane == "orders":
            self.orders_table.focus()
        elif pane == "entry":
            self.entry.build()  # (if it is not built yet: focus follows once it is)
            self.entry.active_form.focus_first()

    def action_cycle_pane(self, step: int) -> None:
        current = self.current_pane()
        index = PANES.index(current) if current in PANES else 0
        self.action_focus_pane(PANES[(index + step) % len(PANES)])

    def on_order_form_leave(self, message: OrderForm.Leave) -> None:
        message.stop()
        self.action_cycle_pane(message.step)

    def action_show_product(self, product: str) -> None:
        prod = Product(product)
        self.entry.show_product(prod)
        if self.current_pane() == "entry":
            self.call_after_refresh(self.entry.active_form.focus_first)

    # ------------------------------------------------------------------ orders

    def on_order_form_submit(self, message: OrderForm.Submit) -> None:
        message.stop()
        self.submit_order(message.form, message.request)

    def submit_order(self, form: OrderForm, request: OrderRequest) -> None:
        """The order forms' ``place``: called from the Enter key's own step. Asks first when
        :func:`flows.order_confirmation` says so, then sends."""
        gate = self.service.trade_gate()
        if not gate.allowed:
            form.set_status(f"Not sent: {gate.reason}", error=True)
            return
        # The form is marked in flight now, in the key's own step: a second Enter is refused
        # (it does not open a second confirmation, nor send twice).
        form.in_flight = True
        questions = flows.order_confirmation(self, request, form.preview)
        if questions:
            self._run_flow(flows.confirm_then_send(self, form, request, questions), "orders")
        else:
            self.send_order(form, request)

    def send_order(self, form: OrderForm, request: OrderRequest) -> None:
        """Send a confirmed order; the form is already marked in flight. The request is started
        before "Sending..." is painted."""
        # Not exclusive: cancelling an order request may not stop it reaching the exchange.
        # The form refuses a second Enter while this runs instead.
        self._run_flow(flows.place_order(self, form, request), "orders")
        self.set_timer(SHOW_SENDING_AFTER, lambda: self._show_sending(form))

    def _show_sending(self, form: OrderForm) -> None:
        if form.in_flight:  # (not if the answer came first)
            form.set_in_flight(True)

    # ------------------------------------------------------------------ destructive actions

    def _run_flow(self, flow: Coroutine[Any, Any, None], group: str) -> None:
        self.run_worker(flow, group=group, exit_on_error=False)

    def action_close_position(self) -> None:
        position = self.selected_position()
        if position is None:
            self.notify("No position selected (p, then up/down)", severity="warning")
            return
        if not flows.refused_outright(self):
            self._run_flow(flows.close_position(self, position.id), "close")

    def action_close_all(self) -> None:
        if not self.service.positions:
            self.notify("No positions to close", severity="warning")
            return
        if not flows.refused_outright(self):
            self._run_flow(flows.close_all(self), "close")

    def action_cancel_order(self) -> None:
        order = self.selected_order()
        if order is None:
            self.notify("No order selected (r, then up/down)", severity="warning")
            return
        if not flows.refused_outright(self):
            self._run_flow(flows.cancel_order(self, order.id), "cancel")

    def leverage_product(self) -> Product:
        position = self.selected_position()
        if position is not None and self.current_pane() != "entry":
            return position.product or product_of(position.market)
        return self.entry.active_form.product

    def action_leverage(self) -> None:
        if not flows.refused_outright(self):
            self._run_flow(flows.leverage(self, self.leverage_product()), "settings")

    def action_toggle_hedge(self) -> None:
        if not flows.refused_outright(self):
            self._run_flow(flows.toggle_hedge(self), "settings")

    # ------------------------------------------------------------------ other screens

    def action_history(self) -> None:
        position = self.selected_position()
        self.app.push_screen(
            HistoryScreen(
                self.service, position.market if position else None, show_times=self.show_ages
            )
        )

    def action_events(self) -> None:
        from .events import EventsScreen  # (built when first asked for)

        bridge = getattr(self.app, "bridge", None)  # CollateralApp's: it records the log
        if bridge is None:
            return
        self.app.push_screen(EventsScreen(bridge.log))

    def action_help(self) -> None:
        rows = self._help_rows() if self._help_rows else []
        self.app.push_screen(HelpScreen(rows))

    def on_screen_resume(self) -> None:
        # back from a modal or another screen: everything may have moved meanwhile
        self.dirty.update({"positions", "orders", "balances", "prices", "settings"})
        self.apply_state()

    # ------------------------------------------------------------------ worker failures

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            error = event.worker.error
            self.notify(
                f"{type(error).__name__}: {error}",
                title=f"{event.worker.group} failed",
                severity="error",
            )


def _set_subtitle(widget: Widget, text: str) -> None:
    if str(widget.border_subtitle or "") != text:  # setting it always repaints
        widget.border_subtitle = text
