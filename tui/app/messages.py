"""Service events -> Textual messages, in one place.

The service calls ``ServiceBridge._on_event`` on the app's event loop; the bridge turns each
event into a small Textual ``Message`` and posts it to its target (the desk screen), whose
handlers own the widget state. Data-change messages only say *what* changed: the desk applies
the service's latest state at a fixed cadence instead of repainting per event.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.message import Message
from textual.message_pump import MessagePump

from tui.domain.models import Order, OrderRequest, Position, StreamState
from tui.service import events as ev
from tui.service.eventlog import EventLog

# ---------------------------------------------------------------- data changes (coalesced)


class DataChanged(Message, bubble=False):
    """Some part of the service state changed. ``what`` is one of
    positions / orders / balances / prices / settings. For positions, ``ids`` are the ones
    added, removed or changed; for prices, ``markets`` the markets whose price moved (None:
    not known, anything may have changed).

    Not bubbled: the desk handles it and nothing above it does (it comes several times a
    second). StreamStatus likewise."""

    def __init__(
        self,
        what: str,
        *,
        ids: frozenset[int] | None = None,
        markets: frozenset[str] | None = None,
    ) -> None:
        super().__init__()
        self.what = what
        self.ids = ids
        self.markets = markets


class StreamStatus(Message, bubble=False):
    def __init__(self, stream: str, state: StreamState, detail: str = "") -> None:
        super().__init__()
        self.stream = stream
        self.state = state
        self.detail = detail


# ---------------------------------------------------------------- orders and alerts


class OrderPending(Message):
    def __init__(self, request: OrderRequest, client_order_id: str) -> None:
        super().__init__()
        self.request = request
        self.client_order_id = client_order_id


class OrderAccepted(Message):
    def __init__(self, order: Order, client_order_id: str) -> None:
        super().__init__()
        self.order = order
        self.client_order_id = client_order_id


class OrderRejected(Message):
    def __init__(
        self, request: OrderRequest | None, code: int | None, message: str, client_order_id: str
    ) -> None:
        super().__init__()
        self.request = request
        self.code = code
        self.message = message
        self.client_order_id = client_order_id

    @property
    def text(self) -> str:
        return f"[code {self.code}] {self.message}" if self.code is not None else self.message


class OrderFilled(Message):
    def __init__(self, order: Order) -> None:
        super().__init__()
        self.order = order


class PositionAlert(Message):
    def __init__(self, kind: str, position: Position, message: str) -> None:
        super().__init__()
        self.kind = kind
        self.position = position
        self.message = message


class ServiceProblem(Message):
    def __init__(self, source: str, message: str, code: int | None = None) -> None:
        super().__init__()
        self.source = source
        self.message = message
        self.code = code


# ---------------------------------------------------------------- lifecycle


class ServiceStarted(Message):
    """``service.start()`` returned: the whole state is loaded."""


class ServiceStartFailed(Message):
    def __init__(self, message: str) -> None:
        super().__init__()
        self.message = message


def translate(event: ev.Event) -> Message | None:
    """The one mapping from service events to app messages."""
    match event:
        case ev.PositionsChanged(added=added, removed=removed, changed=changed):
            return DataChanged("positions", ids=added | removed | changed)
        case ev.OrdersChanged():
            return DataChanged("orders")
        case ev.BalancesChanged():
            return DataChanged("balances")
        case ev.PricesChanged(prices=prices):
            return DataChanged("prices", markets=frozenset(prices))
        case ev.AccountSettingsChanged():
            return DataChanged("settings")
        case ev.StreamStateChanged(stream=stream, state=state, detail=detail):
            return StreamStatus(stream, state, detail)
        case ev.OrderPending(request=request, client_order_id=coid):
            return OrderPending(request, coid)
        case ev.OrderAccepted(order=order, client_order_id=coid):
            return OrderAccepted(order, coid)
        case ev.OrderRejected(request=request, client_order_id=coid, code=code, message=msg):
            return OrderRejected(request, code, msg, coid)
        case ev.OrderFilled(order=order):
            return OrderFilled(order)
        case ev.PositionAlert(kind=kind, position=position, message=msg):
            return PositionAlert(kind, position, msg)
        case ev.ServiceError(source=source, message=msg, code=code):
            return ServiceProblem(source, msg, code)
    return None


class ServiceBridge:
    """Subscribes to a service and posts the translated messages to ``target``; records every
    event worth keeping in :attr:`log` (the session's event log, the ``e`` screen's)."""

    def __init__(self, subscribe: Callable[[Callable[[ev.Event], None]], Callable[[], None]]):
        self._subscribe = subscribe
        self.log = EventLog()
        self._unsubscribe: Callable[[], None] | None = None
        self._target: MessagePump | None = None

    def attach(self, target: MessagePump) -> None:
        self._target = target
        if self._unsubscribe is None:
            self._unsubscribe = self._subscribe(self._on_event)

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._target = None

    def _on_event(self, event: ev.Event) -> None:
        self.log.record(event)
        target = self._target
        if target is None:
            return
        message = translate(event)
        if message is not None:
            target.post_message(message)
