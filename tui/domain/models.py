"""Venue-neutral trading models.

Every amount, price and rate is a ``decimal.Decimal`` parsed from the exchange's strings
(or from JSON numbers parsed with ``parse_float=Decimal``). Nothing here does I/O.

The models are shared by the client (``tui.api`` returns them), the service layer and the app.
They describe what a trader needs to see, not one exchange's wire format: a second venue
(e.g. Bitso cross margin) maps its own payloads onto the same types.
"""

from __future__ import annotations

import enum
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal

ZERO = Decimal(0)


class Product(str, enum.Enum):
    """What a market trades: a margin (spot) pair or a perpetual future."""

    MARGIN = "margin"
    FUTURES = "futures"


class Side(str, enum.Enum):
    """Order side. ``buy`` opens/increases a long, ``sell`` opens/increases a short."""

    BUY = "buy"
    SELL = "sell"

    @property
    def opposite(self) -> Side:
        return Side.SELL if self is Side.BUY else Side.BUY


class PositionSide(str, enum.Enum):
    """Position side as the venue reports it. ``BOTH`` is one-way (netting) mode."""

    LONG = "LONG"
    SHORT = "SHORT"
    BOTH = "BOTH"


class Direction(str, enum.Enum):
    """The economic direction of a position, whatever mode it was opened in."""

    LONG = "long"
    SHORT = "short"


class OrderType(str, enum.Enum):
    LIMIT = "limit"
    MARKET = "market"
    STOP_LIMIT = "stop_limit"
    TRIGGER_MARKET = "trigger_market"
    OCO = "oco"


class LiquidationState(str, enum.Enum):
    MARGIN_CALL = "margin_call"
    LIQUIDATION = "liquidation"


class StreamState(str, enum.Enum):
    CONNECTING = "connecting"
    LIVE = "live"
    STALE = "stale"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class Market:
    name: str
    product: Product
    base: str
    quote: str
    amount_precision: int  # decimals allowed in the amount (WhiteBIT stockPrec)
    price_precision: int  # decimals allowed in the price (WhiteBIT moneyPrec)
    min_amount: Decimal
    min_total: Decimal
    max_total: Decimal  # 0 = unlimited
    maker_fee: Decimal  # percent, "0.1" = 0.1 %
    taker_fee: Decimal
    leverages: tuple[int, ...]  # allowed leverage values for this product
    max_leverage: int

    @property
    def amount_step(self) -> Decimal:
        return Decimal(1).scaleb(-self.amount_precision)

    @property
    def price_step(self) -> Decimal:
        return Decimal(1).scaleb(-self.price_precision)


@dataclass(frozen=True, slots=True)
class Balance:
    asset: str
    balance: Decimal
    borrow: Decimal = ZERO
    available_without_borrow: Decimal | None = None
    available_with_borrow: Decimal | None = None


@dataclass(frozen=True, slots=True)
class AccountSummary:
    equity: Decimal
    margin: Decimal  # used margin
    free_margin: Decimal
    unrealized_funding: Decimal
    pnl: Decimal  # unrealized PnL
    leverage: int
    margin_fraction: Decimal | None = None
    maintenance_margin_fraction: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Position:
    id: int
    market: str
    amount: Decimal  # signed: negative = short (as the positionsMargin stream reports it)
    base_price: Decimal | None  # entry price
    liquidation_price: Decimal | None
    liquidation_state: LiquidationState | None
    margin: Decimal
    free_margin: Decimal
    pnl: Decimal  # unrealized PnL in quote currency
    realized_pnl: Decimal
    funding: Decimal
    unrealized_funding: Decimal
    position_side: PositionSide
    open_time: Decimal | None = None  # unix seconds
    modify_time: Decimal | None = None
    product: Product | None = None

    @property
    def direction(self) -> Direction:
        if self.position_side is PositionSide.SHORT:
            return Direction.SHORT
        if self.position_side is PositionSide.LONG:
            return Direction.LONG
        return Direction.SHORT if self.amount < 0 else Direction.LONG

    @property
    def size(self) -> Decimal:
        """The unsigned position size in base units."""
        return abs(self.amount)


@dataclass(frozen=True, slots=True)
class Order:
    id: int
    market: str
    side: Side
    type: OrderType
    amount: Decimal
    left: Decimal
    price: Decimal | None = None
    activation_price: Decimal | None = None
    stop_limit_price: Decimal | None = None
    deal_stock: Decimal = ZERO
    deal_money: Decimal = ZERO
    deal_fee: Decimal = ZERO
    client_order_id: str = ""
    status: str = ""
    position_side: PositionSide | None = None
    reduce_only: bool = False
    timestamp: Decimal | None = None
    oco_id: int | None = None  # the OCO group this order is a leg of

    @property
    def filled(self) -> Decimal:
        return self.amount - self.left


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What the trader asks for. Prices and amounts are Decimal and already validated."""

    market: str
    side: Side
    type: OrderType
    amount: Decimal
    price: Decimal | None = None  # limit price; the take-profit price for OCO
    activation_price: Decimal | None = None  # trigger for stop-limit, trigger-market, OCO stop
    stop_limit_price: Decimal | None = None  # OCO stop leg's limit price
    position_side: PositionSide | None = None  # only in hedge mode
    reduce_only: bool = False
    client_order_id: str = ""


@dataclass(frozen=True, slots=True)
class PositionEvent:
    """One row of positions history: an open, partial close, close or liquidation."""

    position_id: int
    market: str
    open_time: Decimal | None
    modify_time: Decimal | None
    amount: Decimal
    base_price: Decimal | None
    realized_funding: Decimal
    liquidation_price: Decimal | None
    liquidation_state: LiquidationState | None
    order_id: int | None
    trade_amount: Decimal | None
    trade_price: Decimal | None
    trade_fee: Decimal | None
    funding_fee: Decimal | None
    realized_pnl: Decimal | None
    side: str  # "LONG" / "SHORT"
    is_hedge: bool


@dataclass(frozen=True, slots=True)
class FundingPayment:
    market: str
    funding_time: Decimal
    funding_rate: Decimal
    funding_amount: Decimal
    position_amount: Decimal
    settlement_price: Decimal


@dataclass(frozen=True, slots=True)
class FuturesInfo:
    market: str
    last_price: Decimal
    index_price: Decimal
    funding_rate: Decimal
    next_funding_ms: int
    max_leverage: int
    funding_interval_minutes: int
    brackets: dict[str, Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class KillSwitchTimer:
    """An exchange-side dead-man timer: at ``cancellation_time`` (unix s) the venue cancels the
    market's open orders of ``types`` (None = every type) unless the timer was renewed."""

    market: str
    start_time: int
    cancellation_time: int
    types: tuple[str, ...] | None = None


@dataclass(frozen=True, slots=True)
class VenueInfo:
    """Who we are talking to. ``sandbox`` is True only when the endpoint says it is one."""

    name: str
    rest_url: str
    ws_url: str
    sandbox: bool


def new_client_order_id() -> str:
    """A unique client order id in the characters every venue accepts ([A-Za-z0-9-]):
    ``ct-<ms hex>-<random hex>``."""
    return f"ct-{time.time_ns() // 1_000_000:x}-{secrets.token_hex(4)}"
