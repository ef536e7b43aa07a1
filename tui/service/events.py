"""Typed change events the service publishes to its subscribers (the app turns them into
Textual messages). Small, immutable, and carrying domain models only: no exchange JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from tui.domain.models import (
    AccountSummary,
    Balance,
    LiquidationState,
    Order,
    OrderRequest,
    Position,
    StreamState,
)


@dataclass(frozen=True, slots=True)
class Event:
    """Base class of every service event."""


@dataclass(frozen=True, slots=True)
class BalancesChanged(Event):
    balances: dict[str, Balance]
    summary: AccountSummary | None


@dataclass(frozen=True, slots=True)
class PositionsChanged(Event):
    """A full replacement of the open positions (keyed by position id).

    ``added``/``removed``/``changed`` are the ids that differ from the previous state;
    a removed id is a closed (or liquidated) position.
    """

    positions: dict[int, Position]
    added: frozenset[int] = frozenset()
    removed: frozenset[int] = frozenset()
    changed: frozenset[int] = frozenset()


@dataclass(frozen=True, slots=True)
class OrdersChanged(Event):
    orders: dict[int, Order]


@dataclass(frozen=True, slots=True)
class PricesChanged(Event):
    prices: dict[str, Decimal]  # market -> last/mark price (only the markets that changed)


@dataclass(frozen=True, slots=True)
class StreamStateChanged(Event):
    stream: str  # "positions" or "prices"
    state: StreamState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class AccountSettingsChanged(Event):
    leverage: int
    hedge_mode: bool


@dataclass(frozen=True, slots=True)
class OrderPending(Event):
    request: OrderRequest
    client_order_id: str


@dataclass(frozen=True, slots=True)
class OrderAccepted(Event):
    order: Order
    client_order_id: str


@dataclass(frozen=True, slots=True)
class OrderRejected(Event):
    request: OrderRequest | None
    client_order_id: str
    code: int | None
    message: str
    errors: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PendingOrderReconciled(Event):
    """An order a previous run left in flight was looked up at start: ``orders`` is what the
    exchange has under its clientOrderId (empty: it was never placed)."""

    request: OrderRequest
    client_order_id: str
    orders: tuple[Order, ...]


@dataclass(frozen=True, slots=True)
class OrderFilled(Event):
    order: Order


@dataclass(frozen=True, slots=True)
class PositionAlert(Event):
    """A position entered margin call, fell under the red distance threshold, or was
    (partially) liquidated."""

    kind: str  # "margin_call" | "near_liquidation" | "liquidated" | "partially_liquidated"
    position: Position
    state: LiquidationState | None
    message: str


@dataclass(frozen=True, slots=True)
class ServiceError(Event):
    """Something went wrong that the trader should see (never contains secrets)."""

    source: str
    message: str
    code: int | None = None
