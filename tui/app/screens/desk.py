"""The desk: status line, balances, positions, open orders, order entry, liquidation chart.

Data flow: service events arrive as messages (``tui.app.messages``) that only mark parts of the
screen dirty; the service's latest state is then applied at once if nothing was applied in the
last ``APPLY_MIN_INTERVAL``, else when that interval is over (so a burst of events costs at most
one apply per interval, and a lone 1 Hz snapshot is painted without waiting for a timer tick).
A 4 Hz timer also applies (clock, data ages). Applying is skipped while another screen or a
modal is on top. Tables are diffed by key. Actions resolve their position/order from the row
key at the moment they fire.
"""

from __future__ import annotations

import gc
import time
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial
from decimal import Decimal
from typing import TYPE_CHECKING

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import DataTable
from textual.worker import Worker, WorkerState

from tui.domain.markets import leverages_for, product_of
from tui.domain.models import Market, Order, OrderRequest, Position, Product, StreamState

from .. import messages as msg
from ..formatting import age as fmt_age
from ..widgets.balances import BalanceView
from ..widgets.footer import DeskFooter
from ..widgets.chart_data import Bar, Focus
from ..widgets.order_form import OrderEntry, OrderForm
from ..widgets.positions import OrdersTable, PositionsTable, order_cells, position_cells
from ..widgets.status import StatusBar, StreamView
from ..widgets.tables import Cell
# The dialogs and other screens are imported where they are shown: the first frame goes without
# them (bench: cold_start); the app imports them just after it (CollateralApp._preload).

if TYPE_CHECKING:
    from tui.service import TradingService

    from ..widgets.liq_chart import LiqChart

REFRESH_INTERVAL = 0.25  # 4 Hz
#: An order's "Sending..." shows this long after Enter, once its request is on the wire.
SHOW_SENDING_AFTER = 0.01
#: Events are applied at most this often: 1/30 s keeps a 20 Hz burst within the 50 ms
#: stream-to-paint budget (bench/RESULTS.md) at a few ms of CPU per apply.
APPLY_MIN_INTERVAL = 1 / 30
#: The positions stream sends a full snapshot every second: this much silence is "stale" even if
#: the service has not flagged the stream yet.
POSITIONS_SILENCE_LIMIT = 5.0
STREAMS = ("positions", "prices")
#: What the desk keeps per position: (inputs, row key, the row's cells as a function, bar).
PositionEntry = tuple[object, str, Callable[[], tuple[Cell, ...]], Bar | None]

DESK_BINDINGS: list[Binding] = [
    Binding("tab", "cycle_pane(1)", "Next pane", show=False, id="desk.next_pane"),
    Binding("shift+tab", "cycle_pane(-1)", "Previous pane", show=False, id="desk.prev_pane"),
    Binding("p", "focus_pane('positions')", "Positions", show=False, id="desk.positions"),
    Binding("o", "focus_pane('entry')", "Order", id="desk.order_entry"),
    Binding("r", "focus_pane('orders')", "Orders", show=False, id="desk.orders"),
    Binding("m", "show_product('margin')", "Margin form", show=False, id="desk.margin"),
    Binding("f", "show_product('futures')", "Futures form", show=False, id="desk.futures"),
    Binding("c", "close_position", "Close", id="desk.close"),
    Binding("C", "close_all", "Close all", id="desk.close_all"),
    Binding("x", "cancel_order", "Cancel order", id="desk.cancel_order"),
    Binding("l", "leverage", "Leverage", id="desk.leverage"),
    Binding("h", "toggle_hedge", "Hedge", id="desk.hedge"),
    Binding("H", "history", "History", id="desk.history"),
    Binding("question_mark", "help", "Help", id="desk.help"),
    Binding("escape", "focus_pane('positions')", "Back to positions", show=False, id="desk.escape"),
]

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
    ) -> None:
        super().__init__(id="desk-screen")
        self.service = service
        self.clock = clock
        self.show_ages = show_ages
        self._help_rows = help_rows
        self.dirty: set[str] = {"positions", "orders", "balances", "prices", "settings", "markets"}
        self.started = False
        self.applied = 0  # number of refreshes that applied state (tests wait on it)
        self._last_stale: str | None = None
        self._bindings_signature: object = None
        self._last_apply = 0.0  # time.monotonic() of the last apply_state
        self._apply_scheduled = False
        self._order_hold: AbstractContextManager[None] | None = None  # see _hold_for_order
        self._active_pane: str | None = None
        # position id -> (inputs, row key, cells, bar): a row is rebuilt only when its inputs
        # changed (see _apply_positions)
        self._position_rows: dict[int, PositionEntry] = {}
        # positions to look at again at the next apply (None: all), and the index for prices
        self._touched: set[int] | None = None
        self._pids_by_market: dict[str, set[int]] = {}
        self._notified_fills: deque[int] = deque(maxlen=500)
        self._resumed = False
        self._liq_chart: LiqChart | None = None
        # The breakpoint classes Textual sets on the first Resize, set before anything is
        # styled: set later, they restyle the whole screen once more (bench: cold_start).
        width, height = self.app.size
        self.add_class(
            *_breakpoint_class(width, self.HORIZONTAL_BREAKPOINTS),
            *_breakpoint_class(height, self.VERTICAL_BREAKPOINTS),
            update=False,
        )

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
                            # its chart: see _after_first_frame
                    with Vertical(id="orders-pane", classes="pane") as pane:
                        pane.border_title = "Open orders (r)"
                        yield OrdersTable(id="orders")
                with Vertical(id="entry-pane", classes="pane") as pane:
                    pane.border_title = "Order entry (o)  m/f"
                    yield OrderEntry(self.service, place=self.submit_order, id="order-entry")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.positions_table.focus()
        self.set_interval(REFRESH_INTERVAL, self.apply_state, name="desk-refresh")
        self.apply_state()
        self.call_after_refresh(self._after_first_frame)

    async def _after_first_frame(self) -> None:
        """What the first frame goes without (bench: cold_start), built just after it: the
        chart (plotext is imported here), the order entry's tabs and form, the footer's keys;
        one frame later the other form. A key that asks for a form meanwhile (``o``, ``m``,
        ``f``) builds it at once, and focus follows once it is mounted."""
        if not self.is_attached:  # the app is exiting
            return
        from ..widgets.liq_chart import LiqChart

        chart = LiqChart(id="liq-chart")
        mounts = [self.query_one("#chart-pane").mount(chart), self.entry.build()]
        for mounting in mounts:
            if mounting is not None:
                await mounting
        self._liq_chart = chart
        self.query_one(DeskFooter).release()
        self.dirty.update({"positions", "markets"})  # the chart's data, the forms' state
        self.apply_state()
        self.call_after_refresh(self.entry.mount_futures)

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
    def liq_chart(self) -> LiqChart | None:
        """The chart, once mounted (just after the first frame)."""
        return self._liq_chart

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
        # Which positions to look at again (see _apply_positions); None = all of them.
        touched = self._touched
        if message.what == "positions":
            if message.ids is None:
                self._touched = None
            elif touched is not None:
                touched |= message.ids
        elif message.what == "prices":
            if message.markets is None:
                self._touched = None
            elif touched is not None:
                for market in message.markets:
                    touched |= self._pids_by_market.get(market, set())
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
        wait = self._last_apply + APPLY_MIN_INTERVAL - time.monotonic()
        if wait <= 0 and self._message_queue.empty():
            # nothing else queued to coalesce with: apply now, not one more trip through the
            # message queue (~0.2-0.5 ms of Textual's dispatch per snapshot; bench:
            # snapshot_apply). (_message_queue: Textual's, pinned version.)
            if self.dirty:
                self.apply_state()
            return
        self._apply_scheduled = True
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
        self.dirty.update({"positions", "orders", "balances", "prices", "settings", "markets"})
        self.apply_state()
        # Everything built so far (Textual, the widgets, the CSS, the markets) lives as long as
        # the desk: move it out of the garbage collector's sight, so its full collections scan
        # what the streams allocate, not ~150k startup objects (a 20-50 ms pause otherwise,
        # landing on a random frame: bench/RESULTS.md, snapshot_apply and stream_to_paint p95).
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
        if self.app.screen is not self or self._order_hold is not None:
            return  # (nor while an order is on its way out: see _hold_for_order)
        self._last_apply = time.monotonic()
        service = self.service
        dirty = self.dirty
        self.dirty = set()
        with self.app.batch_update():
            self._apply_status()
            if "markets" in dirty:
                for form in self.entry.forms:
                    form.refresh_markets()
            if dirty & {"positions", "prices", "markets"}:
                self._apply_positions(everything=bool(dirty & {"markets", "settings"}))
            if dirty & {"orders", "markets"}:
                self.orders_table.sync(
                    {
                        str(oid): order_cells(o, service.markets.get(o.market))
                        for oid, o in sorted(service.orders.items())
                    }
                )
            if dirty & {"balances", "markets"}:
                self.query_one("#balances", BalanceView).show(service.balances, service.summary)
            if dirty & {"prices", "settings", "balances", "markets"}:
                for form in self.entry.forms:
                    form.refresh_state()
            self._apply_guard()
            self._apply_ages()
        if dirty:
            self._refresh_bindings_if_needed()
            self.applied += 1

    def _refresh_bindings_if_needed(self) -> None:
        """The footer recomposes on refresh_bindings: only ask when what check_action
        looks at has changed."""
        signature = (
            self.positions_table.selected_key,
            self.orders_table.selected_key,
            bool(self.service.positions),
            self._last_stale,
        )
        if signature != self._bindings_signature:
            self._bindings_signature = signature
            self.refresh_bindings()

    def _apply_status(self) -> None:
        service = self.service
        venue = service.venue
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
        )

    def _apply_positions(self, everything: bool = False) -> None:
        """Rows and bars for the positions: only those the service said changed (and those in
        markets whose price moved) when that is known, else every position (a full pass)."""
        touched = self._touched
        self._touched = set()
        if everything or touched is None:
            self._apply_all_positions()
        else:
            self._apply_some_positions(touched)
        bars = [entry[3] for entry in self._position_rows.values() if entry[3] is not None]
        chart = self.liq_chart
        if chart is None:  # mounted just after the first frame
            return
        chart.record_marks(self.service.prices)
        selected = self.selected_position()
        focus = (
            Focus(selected.market, selected.base_price, selected.liquidation_price)
            if selected
            else None
        )
        chart.set_data(bars, focus)

    def _position_entry(
        self, pid: int, pos: Position, market: Market | None, mark: Decimal | None
    ) -> tuple[PositionEntry, bool]:
        """(inputs, row key, cells, bar) for a position, and whether it is new: the cached
        one while its inputs are the same (the service keeps an unchanged position's object,
        so this is mostly an identity check), else built again."""
        inputs = (pos, mark, market, self.service.thresholds)
        entry = self._position_rows.get(pid)
        if entry is not None and entry[0] == inputs:
            return entry, False
        key = entry[1] if entry is not None else str(pid)
        return (inputs, key, *self._position_row(pos, market, mark)), True

    def _apply_all_positions(self) -> None:
        service = self.service
        rows = {}
        fresh: dict[int, PositionEntry] = {}
        by_market: dict[str, set[int]] = {}
        markets = service.markets
        per_market: dict[str, tuple[Market | None, Decimal | None]] = {}
        for pid, pos in sorted(service.positions.items()):
            known = per_market.get(pos.market)
            if known is None:
                known = per_market[pos.market] = (
                    markets.get(pos.market),
                    service.mark_price(pos.market),
                )
            entry, _ = self._position_entry(pid, pos, *known)
            fresh[pid] = entry
            rows[entry[1]] = entry[2]
            by_market.setdefault(pos.market, set()).add(pid)
        self._position_rows = fresh
        self._pids_by_market = by_market
        self.positions_table.sync(rows)

    def _apply_some_positions(self, touched: set[int]) -> None:
        service = self.service
        cache = self._position_rows
        rows = {}
        removed = []
        added = False
        for pid in sorted(touched):
            pos = service.positions.get(pid)
            if pos is None:
                entry = cache.pop(pid, None)
                if entry is not None:
                    removed.append(entry[1])
                    for pids in self._pids_by_market.values():
                        pids.discard(pid)
                continue
            mark = service.mark_price(pos.market)
            entry, rebuilt = self._position_entry(pid, pos, service.markets.get(pos.market), mark)
            if not rebuilt:
                continue
            if pid not in cache:
                added = True
                self._pids_by_market.setdefault(pos.market, set()).add(pid)
            cache[pid] = entry
            rows[entry[1]] = entry[2]
        if added:  # keep position order (the chart's bars follow it)
            self._position_rows = dict(sorted(cache.items()))
        self.positions_table.update_rows(rows, removed)

    def _position_row(
        self, pos: Position, market: Market | None, mark: Decimal | None
    ) -> tuple[Callable[[], tuple[Cell, ...]], Bar | None]:
        """The row's cells (as a function: the table builds them when the row is on screen)
        and the chart's bar (built now: every position competes for the chart)."""
        service = self.service
        dist = service.distance(pos)
        band = service.thresholds.band(dist.percent if dist else None)
        cells = partial(position_cells, pos, market, mark, dist, band=band)
        bar = None
        if dist is not None:
            bar = Bar(
                # the full market name: "BTC L" alone cannot tell BTC_PERP from BTC_USDT
                f"{pos.market} {pos.direction.value[0].upper()}",
                dist.percent,
                band if band != "unknown" else "green",
                key=pos.id,
            )
        return cells, bar

    def stale_reason(self) -> str | None:
        """Why the data cannot be trusted for trading right now, or None."""
        service = self.service
        for name in STREAMS:
            state = service.stream_state(name)
            age = service.stream_age(name)
            since = f" ({fmt_age(age)})" if age is not None and self.show_ages else ""
            if state in (StreamState.STALE, StreamState.RECONNECTING, StreamState.CLOSED):
                return f"{name} stream {state.value}{since}"
            if state is StreamState.CONNECTING:
                return f"{name} stream connecting"
            if name == "positions" and age is not None and age > POSITIONS_SILENCE_LIMIT:
                return f"positions stream silent{since}"
        return None

    def _apply_guard(self) -> None:
        blocked = self.service.trading_blocked() if self.started else "Connecting..."
        stale = self.stale_reason() if self.started else None
        reason = blocked or (f"Data stale: {stale}" if stale else None)
        for form in self.entry.forms:
            form.set_block_reason(reason)
        if stale != self._last_stale:
            self._last_stale = stale
            self._refresh_bindings_if_needed()

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

    # ------------------------------------------------------------------ bindings state

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "close_position":
            return True if self.selected_position() is not None else None
        if action == "close_all":
            return True if self.service.positions else None
        if action == "cancel_order":
            return True if self.selected_order() is not None else None
        return True

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._refresh_bindings_if_needed()
        if event.data_table.id == "positions":
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
        """The order forms' ``place``: called from the Enter key's own step (bench: key_to_wire)."""
        blocked = self.service.trading_blocked()
        stale = self.stale_reason()
        if blocked or stale:
            form.set_status(f"Not sent: {blocked or 'data stale: ' + str(stale)}", error=True)
            return
        # The request goes out first: the form is marked in flight now (a second Enter is
        # refused), and shows it a moment later. Painting "Sending..." first delayed the
        # request by a repaint (httpx yields to the loop before it writes; bench: key_to_wire).
        form.in_flight = True
        self._hold_for_order()
        self.place_order(form, request)
        self.set_timer(SHOW_SENDING_AFTER, lambda: self._show_sending(form))

    def _show_sending(self, form: OrderForm) -> None:
        self._release_order_hold()
        if form.in_flight:  # (not if the answer came first)
            form.set_in_flight(True)

    def _hold_for_order(self) -> None:
        """No repaint and no apply from Enter until the order's request is out: a frame (5-20
        ms when the chart repaints) or an apply (a few ms) falling due on the way would run
        before it (the order takes two more trips through the event loop: its worker, then
        aiohttp's body write; bench: key_to_wire). Released when "Sending..." is shown
        (SHOW_SENDING_AFTER) or the answer comes, whichever is first: what changed meanwhile is
        then applied and painted."""
        if self._order_hold is None:
            hold = self.app.batch_update()
            hold.__enter__()
            self._order_hold = hold

    def _release_order_hold(self) -> None:
        hold, self._order_hold = self._order_hold, None
        if hold is None:
            return
        hold.__exit__(None, None, None)
        self.check_idle()  # the screen resumes painting what was marked dirty meanwhile
        if self.dirty:
            self._schedule_apply()

    @work(group="orders", exit_on_error=False)
    async def place_order(self, form: OrderForm, request: object) -> None:
        # Not exclusive: cancelling an order request may not stop it reaching the exchange.
        # The form keeps submit disabled while this runs instead.
        from tui.service import CommandError

        try:
            orders = await self.service.place_order(request)  # type: ignore[arg-type]
        except CommandError as exc:
            self.post_message(OrderDone(form, f"Rejected: {exc}", error=True))
            self.notify(str(exc), title="Order rejected", severity="error")
            return
        except Exception:
            self.post_message(OrderDone(form, "Order failed (see notification)", error=True))
            raise
        finally:
            self._release_order_hold()
        ids = ", ".join(f"#{o.id}" for o in orders) or "-"
        self.post_message(OrderDone(form, f"Placed {ids}", error=False))
        self.dirty.update({"orders", "positions", "balances"})

    def on_order_done(self, message: OrderDone) -> None:
        message.form.order_done(message.text, error=message.error)

    # ------------------------------------------------------------------ destructive actions

    async def _trade_anyway(self) -> bool:
        """When data is stale, ask before letting a close through."""
        stale = self.stale_reason()
        if stale is None:
            return True
        from .modals import ConfirmModal

        return bool(
            await self.app.push_screen_wait(
                ConfirmModal(
                    "Data is stale",
                    [
                        f"The {stale}.",
                        "Prices and positions on screen may be out of date.",
                        "Trade anyway?",
                    ],
                    confirm="trade anyway",
                    danger=True,
                    id="trade-anyway-modal",
                )
            )
        )

    def _blocked(self) -> bool:
        reason = self.service.trading_blocked()
        if reason:
            self.notify(reason, title="Trading disabled", severity="error")
            return True
        return False

    def action_close_position(self) -> None:
        position = self.selected_position()
        if position is None:
            self.notify("Select a position first", severity="warning")
            return
        if self._blocked():
            return
        self._close_flow(position.id)

    @work(group="close", exit_on_error=False)
    async def _close_flow(self, position_id: int) -> None:
        from tui.service import CommandError

        if not await self._trade_anyway():
            return
        position = self.service.positions.get(position_id)
        if position is None:
            self.notify("That position is already gone", severity="warning")
            return
        market = self.service.markets.get(position.market)
        from .modals import CloseModal, CloseTarget

        target = CloseTarget(
            position_id=position.id,
            market=position.market,
            direction=position.direction,
            size=position.size,
            entry=position.base_price,
            mark=self.service.mark_price(position.market),
            pnl=position.pnl,
            amount_step=market.amount_step if market else Decimal("0.00000001"),
            amount_places=market.amount_precision if market else 8,
            price_places=market.price_precision if market else 2,
            quote=market.quote if market else "",
        )
        pct = await self.app.push_screen_wait(CloseModal(target))
        if pct is None:
            return
        from .modals import close_amount

        amount = None if pct >= 100 else close_amount(target, pct)
        try:
            await self.service.close_position(position_id, amount)
        except CommandError as exc:
            self.notify(str(exc), title="Close refused", severity="error")
            return
        what = "closed" if amount is None else f"reduced by {amount}"
        self.notify(f"{target.market} {target.direction.value} {what}", title="Position")
        self.dirty.update({"positions", "balances", "orders"})

    def action_close_all(self) -> None:
        if not self.service.positions:
            self.notify("No open positions", severity="warning")
            return
        if self._blocked():
            return
        self._close_all_flow()

    @work(group="close", exit_on_error=False)
    async def _close_all_flow(self) -> None:
        if not await self._trade_anyway():
            return
        positions = list(self.service.positions.values())
        lines = [f"{len(positions)} position(s) will be closed at market:"]
        lines += [f"  {p.market} {p.direction.value} {p.size}" for p in positions[:8]]
        if len(positions) > 8:
            lines.append(f"  ... and {len(positions) - 8} more")
        from .modals import CloseAllModal

        if not await self.app.push_screen_wait(CloseAllModal(lines)):
            return
        failures = await self.service.close_all_positions()
        if failures:
            for err in failures:
                self.notify(str(err), title="Close failed", severity="error")
        else:
            self.notify("All positions closed", title="Close all")
        self.dirty.update({"positions", "balances", "orders"})

    def action_cancel_order(self) -> None:
        order = self.selected_order()
        if order is None:
            self.notify("Select an open order first (r)", severity="warning")
            return
        if self._blocked():
            return
        self._cancel_flow(order.id)

    @work(group="cancel", exit_on_error=False)
    async def _cancel_flow(self, order_id: int) -> None:
        from tui.service import CommandError

        order = self.service.orders.get(order_id)
        if order is None:
            return
        lines = [
            f"Market   {order.market}",
            f"Side     {order.side.value}",
            f"Type     {order.type.value}",
            f"Price    {order.price if order.price is not None else '-'}",
            f"Trigger  {order.activation_price if order.activation_price is not None else '-'}",
            f"Amount   {order.amount}  (filled {order.filled})",
        ]
        from .modals import ConfirmModal

        if not await self.app.push_screen_wait(
            ConfirmModal(
                f"Cancel order #{order.id}", lines, confirm="cancel the order", id="cancel-modal"
            )
        ):
            return
        try:
            await self.service.cancel_order(order_id)
        except CommandError as exc:
            self.notify(str(exc), title="Cancel refused", severity="error")
            return
        self.notify(f"Order #{order_id} cancelled", title="Cancel")
        self.dirty.add("orders")

    def action_leverage(self) -> None:
        if self._blocked():
            return
        self._leverage_flow()

    def leverage_product(self) -> Product:
        position = self.selected_position()
        if position is not None and self.current_pane() != "entry":
            return position.product or product_of(position.market)
        return self.entry.active_form.product

    @work(group="settings", exit_on_error=False)
    async def _leverage_flow(self) -> None:
        from tui.service import CommandError

        from .modals import LeverageModal

        product = self.leverage_product()
        allowed = leverages_for(product)
        choice = await self.app.push_screen_wait(
            LeverageModal(product.value, allowed, self.service.leverage)
        )
        if choice is None:
            return
        try:
            value = await self.service.set_leverage(choice)
        except CommandError as exc:
            self.notify(str(exc), title="Leverage refused", severity="error")
            return
        self.notify(f"Account leverage is now {value}x", title="Leverage")
        self.dirty.update({"settings", "balances"})

    def action_toggle_hedge(self) -> None:
        if self._blocked():
            return
        self._hedge_flow()

    @work(group="settings", exit_on_error=False)
    async def _hedge_flow(self) -> None:
        from tui.service import CommandError

        enable = not self.service.hedge_mode
        word = "ON" if enable else "OFF"
        lines = [
            f"Hedge mode is {'off' if enable else 'on'}.",
            "On: separate LONG and SHORT positions per futures market"
            " (orders need a position side)."
            if enable
            else "Off: one net position per market.",
            "The exchange refuses the change while positions or orders are open.",
        ]
        from .modals import ConfirmModal

        if not await self.app.push_screen_wait(
            ConfirmModal(
                f"Turn hedge mode {word}",
                lines,
                confirm=f"turn it {word.lower()}",
                id="hedge-modal",
            )
        ):
            return
        try:
            value = await self.service.set_hedge_mode(enable)
        except CommandError as exc:
            self.notify(
                f"Exchange refused: {exc}",
                title="Hedge mode unchanged",
                severity="error",
                timeout=10,
            )
            return
        self.notify(f"Hedge mode {'on' if value else 'off'}", title="Hedge mode")
        self.dirty.add("settings")

    # ------------------------------------------------------------------ other screens

    def action_history(self) -> None:
        from .history import HistoryScreen

        position = self.selected_position()
        self.app.push_screen(
            HistoryScreen(
                self.service, position.market if position else None, show_times=self.show_ages
            )
        )

    def action_help(self) -> None:
        from .help import HelpScreen

        rows = self._help_rows() if self._help_rows else []
        self.app.push_screen(HelpScreen(rows))

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        if not self._resumed:
            # Pushed just now: every widget was styled as it mounted and on_mount applied the
            # state, so skip Textual's whole-screen restyle (bench: cold_start) and the apply.
            self._resumed = True
            event.refresh_styles = False
            return
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
            if event.worker.group == "orders":
                for form in self.entry.forms:
                    if form.in_flight:
                        form.order_done("Order failed", error=True)


def _breakpoint_class(dimension: int, breakpoints: list[tuple[int, str]]) -> list[str]:
    """The class Textual's ``Screen`` gives for ``dimension``: the highest breakpoint reached."""
    reached = [(edge, name) for edge, name in breakpoints if dimension >= edge]
    return [max(reached)[1]] if reached else []


def _set_subtitle(widget: Widget, text: str) -> None:
    if str(widget.border_subtitle or "") != text:  # setting it always repaints
        widget.border_subtitle = text


class OrderDone(Message):
    def __init__(self, form: OrderForm, text: str, *, error: bool) -> None:
        super().__init__()
        self.form = form
        self.text = text
        self.error = error
