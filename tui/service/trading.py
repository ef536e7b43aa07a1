"""``TradingService``: owns a venue, holds the current state, publishes typed change events.

No Textual here. The app subscribes a callback and turns events into messages; widgets read
the state attributes. Everything runs on one asyncio loop (the app's).

State rules:
- Each positions snapshot from the stream is a full replacement: ids that vanish are closed
  (or liquidated) positions. After every reconnect the state is re-read over REST.
- Balances, the account summary and open orders are re-read over REST on a fixed cadence and
  after every command; order events from the stream update open orders in between.
- Commands refuse to trade on a LIVE endpoint unless the service was created with
  ``allow_live=True`` (the ``--live`` flag).
- Every order gets a clientOrderId here and is written to the pending-orders file
  (``pending_path``) before it is sent; it leaves the file once the exchange answered for certain.
  ``start()`` looks up whatever a previous run left there (a quit or crash with an order in
  flight) and reports it: ``PendingOrderReconciled`` plus ``OrderAccepted`` when found, a
  ``ServiceError`` when it was never placed. Nothing is resent automatically.
- With ``dead_man_seconds`` set, a ``DeadManSwitch`` keeps the exchange's kill-switch timer
  armed on every market with open orders; ``stop()`` deletes the timers (a clean stop), a killed
  process leaves them to fire.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from tui.domain import risk
from tui.domain.account import AccountFigures, account_figures
from tui.domain.models import (
    AccountSummary,
    Balance,
    FundingPayment,
    Market,
    Order,
    OrderRequest,
    Position,
    PositionEvent,
    Product,
    StreamState,
    VenueInfo,
    new_client_order_id,
)

from . import events
from .alerts import AlertTracker
from .deadman import DeadManSwitch
from .gate import Thresholds, TradeGate
from .pending import PendingOrders, reconcile_pending
from .positions import merge_snapshot
from .venue import CommandError, StreamCallbacks, Venue

log = logging.getLogger(__name__)

STREAMS = ("positions", "prices")
ZERO = Decimal(0)
COLLATERAL_ASSET = "USDT"
FILL_MEMORY = 1000  # order ids whose announced fill amount is remembered


Listener = Callable[[events.Event], None]


class TradingService:
    def __init__(
        self,
        venue: Venue,
        *,
        allow_live: bool = False,
        thresholds: Thresholds | None = None,
        poll_interval: float = 2.0,
        pending_path: Path | None = None,
        dead_man_seconds: int | None = None,
        dead_man_renew: float | None = None,
    ) -> None:
        self._venue = venue
        self.dead_man = DeadManSwitch(
            venue.kill_switch,
            dead_man_seconds,
            renew_every=dead_man_renew,
            on_error=lambda market, exc: self._publish(
                events.ServiceError("dead-man", f"Kill-switch on {market}: {exc.message}", exc.code)
            ),
        )
        self.pending = PendingOrders(pending_path)
        self.live_allowed = allow_live
        self.thresholds = thresholds or Thresholds()
        self.poll_interval = poll_interval
        self.venue: VenueInfo | None = None
        self.markets: dict[str, Market] = {}
        self.balances: dict[str, Balance] = {}
        self.summary: AccountSummary | None = None
        self.positions: dict[int, Position] = {}
        self.orders: dict[int, Order] = {}
        self.prices: dict[str, Decimal] = {}
        self.leverage: int = 1
        self.hedge_mode: bool = False
        self._stream_state: dict[str, StreamState] = {s: StreamState.CONNECTING for s in STREAMS}
        self._stream_seen: dict[str, float | None] = {s: None for s in STREAMS}
        self._listeners: list[Listener] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._resync_lock = asyncio.Lock()
        self._alerts = AlertTracker(self.thresholds)
        self._announced_fills: OrderedDict[int, Decimal] = OrderedDict()
        self._started = False

    # -- construction ----------------------------------------------------------------------
    @classmethod
    def for_whitebit(
        cls,
        rest_url: str,
        ws_url: str,
        *,
        api_key: str,
        api_secret: str,
        allow_live: bool = False,
        thresholds: Thresholds | None = None,
        nonce_path: Path | None = None,
        poll_interval: float = 2.0,
        stream_options: dict[str, object] | None = None,
        pending_path: Path | None = None,
        dead_man_seconds: int | None = None,
        dead_man_renew: float | None = None,
    ) -> TradingService:
        from .whitebit import WhiteBitVenue

        venue = WhiteBitVenue(
            rest_url,
            ws_url,
            api_key=api_key,
            api_secret=api_secret,
            nonce_path=nonce_path,
            stream_options=stream_options,
        )
        return cls(
            venue,
            allow_live=allow_live,
            thresholds=thresholds,
            poll_interval=poll_interval,
            pending_path=pending_path,
            dead_man_seconds=dead_man_seconds,
            dead_man_renew=dead_man_renew,
        )

    # -- subscribers -----------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            with contextlib.suppress(ValueError):
                self._listeners.remove(listener)

        return unsubscribe

    def _publish(self, event: events.Event) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a broken subscriber must not break the service
                log.exception("service listener failed on %s", type(event).__name__)

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self) -> None:
        if self._started:
            return
        self.venue = await self._venue.connect()
        self.markets = {m.name: m for m in await self._venue.load_markets()}
        self.prices = dict(await self._venue.load_prices())
        await self.resync()  # (a reconciled order that is still open is already in self.orders)
        self._started = True
        await reconcile_pending(self.pending, self._venue, self._publish)
        callbacks = StreamCallbacks(
            on_positions=self._on_positions,
            on_price=self._on_price,
            on_order=self._on_order,
            on_state=self._on_state,
            on_error=self._on_stream_error,
        )
        await self._venue.start_streams(callbacks, sorted(self.markets))
        self._tasks.append(asyncio.create_task(self._poll_loop(), name="service-poll"))
        run = self.dead_man.run(lambda: {o.market for o in self.orders.values()})
        self._tasks.append(asyncio.create_task(run, name="service-dead-man"))

    async def probe(self) -> VenueInfo:
        """Check that the endpoint answers (venue info and markets) without starting anything.
        Raises ``CommandError`` with a one-line reason. Call ``stop()`` afterwards."""
        info = await self._venue.connect()
        await self._venue.load_markets()
        return info

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._started:
            await self.dead_man.close()  # a clean stop: no timer is left to fire later
        await self._venue.close()
        self._started = False

    async def resync(self) -> None:
        """Re-read balances, summary, settings, positions and open orders over REST."""
        async with self._resync_lock:
            balances = await self._venue.load_balances()
            summary = await self._venue.load_summary()
            leverage, hedge = await self._venue.load_settings()
            positions = await self._venue.load_positions()
            orders = await self._venue.load_orders()
        self._apply_balances(balances, summary)
        self._apply_settings(leverage, hedge)
        self._apply_positions(positions)
        self._apply_orders(orders)

    async def _poll_loop(self) -> None:
        while True:
            await asyncio.sleep(self.poll_interval)
            try:
                balances = await self._venue.load_balances()
                summary = await self._venue.load_summary()
                orders = await self._venue.load_orders()
            except CommandError as exc:
                self._publish(events.ServiceError("poll", exc.message, exc.code))
                continue
            self._apply_balances(balances, summary)
            self._apply_orders(orders)

    # -- derived state ---------------------------------------------------------------------
    def markets_for(self, product: Product) -> list[Market]:
        return sorted(
            (m for m in self.markets.values() if m.product is product), key=lambda m: m.name
        )

    def stream_state(self, name: str) -> StreamState:
        return self._stream_state[name]

    def stream_age(self, name: str) -> float | None:
        seen = self._stream_seen[name]
        return None if seen is None else time.monotonic() - seen

    def stale_after(self, name: str) -> float | None:
        """Seconds of silence after which the venue reports stream ``name`` STALE (each stream
        has its own), or None before the streams are started."""
        return self._venue.stale_after(name)

    def mark_price(self, market: str) -> Decimal | None:
        # WhiteBIT publishes no mark price: the last price stands in for it.
        return self.prices.get(market)

    def distance(self, position: Position) -> risk.Distance | None:
        mark = self.mark_price(position.market)
        if mark is None:
            return None
        return risk.liquidation_distance(position.direction, mark, position.liquidation_price)

    def trade_gate(self) -> TradeGate:
        """May the trader trade now? Refused outright before the service has started and on a
        LIVE endpoint without ``allow_live``; refused but overridable while a stream is not
        LIVE (connecting, stale, reconnecting, closed). The venue judges staleness, each stream
        against its own threshold (:meth:`stale_after`); nothing else here does."""
        if self.venue is None or not self._started:
            return TradeGate(False, "Connecting...")
        if not self.venue.sandbox and not self.live_allowed:
            return TradeGate(False, "LIVE endpoint: start with --live to trade real money")
        stale = {n: s for n, s in self._stream_state.items() if s is not StreamState.LIVE}
        if stale:
            detail = ", ".join(f"{name} {state.value}" for name, state in sorted(stale.items()))
            return TradeGate(False, f"Data not live: {detail}", tuple(sorted(stale)))
        return TradeGate(True)

    def account_figures(self) -> AccountFigures:
        """Equity, uPnL, used (position margin + reserved by open orders) and free, adding up
        by construction (``tui.domain.account``). The exchange's summary reports equity and uPnL
        but not what open orders reserve: those two are taken from it when it has been read,
        the margins are summed from the positions and open orders held here."""
        usdt = self.balances.get(COLLATERAL_ASSET)
        figures = account_figures(
            usdt.balance if usdt is not None else ZERO,
            self.positions.values(),
            self.orders.values(),
            self.markets,
            self.leverage,
        )
        if self.summary is not None:
            s = self.summary
            figures = replace(figures, equity=s.equity, upnl=s.pnl, funding=s.unrealized_funding)
        return figures

    def free_collateral(self) -> Decimal:
        """What a new order may use: the pane's Free (equity - used)."""
        return self.account_figures().free

    # -- stream callbacks ------------------------------------------------------------------
    def _touch(self, stream: str) -> None:
        self._stream_seen[stream] = time.monotonic()

    def _on_positions(self, positions: list[Position]) -> None:
        self._touch("positions")
        self._apply_positions(positions)

    def _on_price(self, market: str, price: Decimal) -> None:
        self._touch("prices")
        if self.prices.get(market) == price:
            return
        self.prices[market] = price
        self._publish(events.PricesChanged({market: price}))

    def _on_order(self, event_id: int, order: Order) -> None:
        # 1 = new, 2 = update, 3 = finished (filled or cancelled).
        if event_id == 3:
            self.orders.pop(order.id, None)
        else:
            self.orders[order.id] = order
        self._announce_fill(order)
        self.dead_man.poke()
        self._publish(events.OrdersChanged(dict(self.orders)))

    def _announce_fill(self, order: Order) -> None:
        """Publish ``OrderFilled`` once per increase of an order's filled amount.

        The same fill reaches us twice (the placement's answer and the stream's order event):
        remember what was announced per order id, in a bounded LRU.
        """
        filled = order.deal_stock if order.deal_stock > 0 else order.amount - order.left
        if filled <= 0 or filled <= self._announced_fills.get(order.id, ZERO):
            return
        self._announced_fills[order.id] = filled
        self._announced_fills.move_to_end(order.id)
        while len(self._announced_fills) > FILL_MEMORY:
            self._announced_fills.popitem(last=False)
        self._publish(events.OrderFilled(order))

    def _on_state(self, stream: str, state: StreamState, detail: str) -> None:
        previous = self._stream_state.get(stream)
        self._stream_state[stream] = state
        self._publish(events.StreamStateChanged(stream, state, detail))
        if (
            stream == "positions"
            and state is StreamState.LIVE
            and previous in (StreamState.RECONNECTING, StreamState.STALE)
        ):
            # Events missed while disconnected are not replayed: re-read over REST.
            self._tasks.append(asyncio.create_task(self._resync_quietly(), name="service-resync"))

    def _on_stream_error(self, message: str) -> None:
        self._publish(events.ServiceError("stream", message))

    async def _resync_quietly(self) -> None:
        try:
            await self.resync()
        except CommandError as exc:
            self._publish(events.ServiceError("resync", exc.message, exc.code))

    # -- state application -----------------------------------------------------------------
    def _apply_balances(self, balances: dict[str, Balance], summary: AccountSummary | None) -> None:
        if balances == self.balances and summary == self.summary:
            return
        self.balances = balances
        self.summary = summary
        if summary is not None:
            self.leverage = summary.leverage
        self._publish(events.BalancesChanged(dict(balances), summary))

    def _apply_settings(self, leverage: int, hedge: bool) -> None:
        if (leverage, hedge) == (self.leverage, self.hedge_mode) and self._started:
            return
        self.leverage, self.hedge_mode = leverage, hedge
        self._publish(events.AccountSettingsChanged(leverage, hedge))

    def _apply_orders(self, orders: list[Order]) -> None:
        new = {o.id: o for o in orders}
        if new == self.orders:
            return
        self.orders = new
        self.dead_man.poke()
        self._publish(events.OrdersChanged(dict(new)))

    def _apply_positions(self, positions: list[Position]) -> None:
        old = self.positions
        new, added, removed, changed = merge_snapshot(old, positions)
        self.positions = new
        if added or removed or changed:
            self._publish(events.PositionsChanged(dict(new), added, removed, changed))
        for pid in added | changed:
            now = new[pid]
            for alert in self._alerts.changed(old.get(pid), now, self.distance(now)):
                self._publish(alert)
        for pid in removed:
            last = old[pid]
            vanished = self._alerts.vanished(last, self.distance(last))
            if vanished is not None:
                self._publish(vanished)

    # -- commands --------------------------------------------------------------------------
    def _guard(self) -> None:
        """Commands refuse what the gate refuses outright; stale data is the desk's to confirm."""
        gate = self.trade_gate()
        if not gate.allowed and not gate.overridable:
            raise CommandError(None, gate.reason or "Trading is disabled")

    async def place_order(self, request: OrderRequest) -> list[Order]:
        self._guard()
        if request.market not in self.markets:
            raise CommandError(31, "Market is not available.", {"market": [request.market]})
        if not request.client_order_id:
            request = replace(request, client_order_id=new_client_order_id())
        cid = request.client_order_id
        self.pending.add(request)  # on disk before it is sent: a quit now loses nothing
        self._publish(events.OrderPending(request, cid))
        try:
            orders = await self._venue.place_order(request)
        except CommandError as exc:
            if not exc.uncertain:
                self.pending.discard(cid)  # refused for certain; uncertain ones are kept
            self._publish(events.OrderRejected(request, cid, exc.code, exc.message, exc.errors))
            raise
        # (cancelled mid-flight, e.g. the app quit: the entry stays for the next start)
        self.pending.discard(cid)
        for order in orders:
            self._publish(events.OrderAccepted(order, order.client_order_id))
            self._announce_fill(order)
        await self._refresh_after_command()
        return orders

    async def cancel_order(self, order_id: int) -> None:
        self._guard()
        order = self.orders.get(order_id)
        if order is None:
            raise CommandError(2, "Unexecuted order was not found.", {"orderId": [str(order_id)]})
        await self._venue.cancel_order(order)
        await self._refresh_after_command()

    async def close_position(self, position_id: int, amount: Decimal | None = None) -> None:
        self._guard()
        position = self.positions.get(position_id)
        if position is None:
            raise CommandError(104, "position doesn't exist.", {"positionId": [str(position_id)]})
        if amount is not None and amount <= 0:
            raise CommandError(None, "Amount to close must be positive")
        self._alerts.own_closes.add(position_id)
        try:
            await self._venue.close_position(position, amount)
        except CommandError:
            self._alerts.own_closes.discard(position_id)
            raise
        await self._refresh_after_command()
        if position_id in self.positions:  # a partial close: later shrinks are not ours
            self._alerts.own_closes.discard(position_id)

    async def close_all_positions(self) -> list[CommandError]:
        self._guard()
        failures: list[CommandError] = []
        for position in list(self.positions.values()):
            self._alerts.own_closes.add(position.id)
            try:
                await self._venue.close_position(position, None)
            except CommandError as exc:
                self._alerts.own_closes.discard(position.id)
                failures.append(
                    CommandError(
                        exc.code, f"{position.market} #{position.id}: {exc.message}", exc.errors
                    )
                )
        await self._refresh_after_command()
        return failures

    async def set_leverage(self, leverage: int) -> int:
        self._guard()
        value = await self._venue.set_leverage(leverage)
        self._apply_settings(value, self.hedge_mode)
        await self._refresh_after_command()
        return value

    async def set_hedge_mode(self, enabled: bool) -> bool:
        self._guard()
        value = await self._venue.set_hedge_mode(enabled)
        self._apply_settings(self.leverage, value)
        return value

    async def positions_history(self, market: str | None = None) -> list[PositionEvent]:
        return await self._venue.positions_history(market)

    async def funding_history(self, market: str | None = None) -> list[FundingPayment]:
        return await self._venue.funding_history(market)

    async def _refresh_after_command(self) -> None:
        try:
            await self.resync()
        except CommandError as exc:
            self._publish(events.ServiceError("refresh", exc.message, exc.code))
