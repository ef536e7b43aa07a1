"""The session's event log: what happened to the account, with the time, newest first.

Notifications vanish after a few seconds; the log keeps the events a trader must be able to
look back at (orders placed, fills, rejections, margin calls, liquidations, stream losses and
reconnects, service errors) for the whole session, bounded to the last ``limit`` entries.
It listens to a service's events (:meth:`EventLog.attach`), so it needs no UI to be tested.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from tui.domain.models import Order, OrderRequest, StreamState
from tui.domain.risk import fmt

from . import events as ev

#: How many entries a session keeps (the oldest go first).
DEFAULT_LIMIT = 1000

PRICE_STEP = Decimal("1e-8")

#: Kinds of entry, as the log screen shows them.
PLACED = "placed"
FILL = "fill"
REJECTED = "rejected"
MARGIN_CALL = "margin call"
NEAR = "near liq"
LIQUIDATED = "liquidated"
STREAM = "stream"
ERROR = "error"

ALERT_KINDS = {
    "margin_call": MARGIN_CALL,
    "near_liquidation": NEAR,
    "liquidated": LIQUIDATED,
    "partially_liquidated": LIQUIDATED,
}


@dataclass(frozen=True, slots=True)
class LogEntry:
    at: float  # wall-clock time, seconds since the epoch
    kind: str
    text: str


def _request_text(request: OrderRequest) -> str:
    price = f" @ {fmt(request.price)}" if request.price is not None else ""
    return (
        f"{request.side.value} {fmt(request.amount)} {request.market} {request.type.value}{price}"
    )


def _order_text(order: Order, amount: Decimal) -> str:
    if order.deal_stock > 0 and order.deal_money > 0:  # the average fill price
        average = (order.deal_money / order.deal_stock).quantize(PRICE_STEP).normalize()
        price = f" @ {fmt(average)}"
    elif order.price is not None:
        price = f" @ {fmt(order.price)}"
    else:
        price = ""
    return f"{order.side.value} {fmt(amount)} {order.market} {order.type.value}{price} #{order.id}"


class EventLog:
    """The last ``limit`` entries of the session; :meth:`newest_first` lists them."""

    def __init__(self, limit: int = DEFAULT_LIMIT, clock: Callable[[], float] = time.time):
        self._entries: deque[LogEntry] = deque(maxlen=limit)
        self._clock = clock
        self._streams: dict[str, StreamState] = {}
        self._was_live: set[str] = set()
        #: Entries added so far (never decreases): a view redraws when it differs.
        self.version = 0

    @property
    def limit(self) -> int:
        return self._entries.maxlen or 0

    def __len__(self) -> int:
        return len(self._entries)

    def newest_first(self) -> list[LogEntry]:
        return list(reversed(self._entries))

    def add(self, kind: str, text: str) -> LogEntry:
        entry = LogEntry(self._clock(), kind, text)
        self._entries.append(entry)
        self.version += 1
        return entry

    def attach(
        self, subscribe: Callable[[Callable[[ev.Event], None]], Callable[[], None]]
    ) -> Callable[[], None]:
        """Record a service's events from now on (``subscribe``: ``TradingService.subscribe``);
        returns the unsubscribe function."""
        return subscribe(self.record)

    def record(self, event: ev.Event) -> None:
        """Add the entry ``event`` calls for, if any (data changes are not logged)."""
        entry = self._describe(event)
        if entry is not None:
            self.add(*entry)

    def _describe(self, event: ev.Event) -> tuple[str, str] | None:
        """(kind, text) of ``event``'s entry, or None."""
        match event:
            case ev.OrderAccepted(order=order) if order.filled <= 0:
                return (PLACED, _order_text(order, order.amount))
            case ev.OrderFilled(order=order):
                filled = order.deal_stock if order.deal_stock > 0 else order.filled
                return (FILL, _order_text(order, filled))
            case ev.OrderRejected(request=request, code=code, message=message):
                what = _request_text(request) + ": " if request is not None else ""
                code_text = f"[code {code}] " if code is not None else ""
                return (REJECTED, f"{what}{code_text}{message}")
            case ev.PositionAlert(kind=kind, message=message):
                return (ALERT_KINDS.get(kind, kind), message)
            case ev.StreamStateChanged(stream=stream, state=state, detail=detail):
                return self._stream(stream, state, detail)
            case ev.ServiceError(source=source, message=message, code=code):
                code_text = f"[code {code}] " if code is not None else ""
                return (ERROR, f"{source}: {code_text}{message}")
        return None

    def _stream(self, stream: str, state: StreamState, detail: str) -> tuple[str, str] | None:
        """One entry per change of a stream's state; the first connection is not news."""
        previous = self._streams.get(stream)
        if previous is state:
            return None
        self._streams[stream] = state
        suffix = f": {detail}" if detail else ""
        if state is StreamState.LIVE:
            if stream not in self._was_live:
                self._was_live.add(stream)
                return None
            if previous is StreamState.STALE:  # data flows again on the same connection
                return (STREAM, f"{stream} stream live again")
            return (STREAM, f"{stream} stream reconnected")
        if state is StreamState.CONNECTING:
            return None
        if state is StreamState.STALE:
            return (STREAM, f"{stream} stream stale{suffix}")
        if state is StreamState.RECONNECTING:
            return (STREAM, f"{stream} stream lost, reconnecting{suffix}")
        return (STREAM, f"{stream} stream {state.value}{suffix}")
