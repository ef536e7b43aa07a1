"""The engine's mutable records (orders, positions, OCO groups) and the constants they share."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

D = Decimal
ZERO = D(0)
HUNDRED = D(100)
COLLATERAL_ASSET = "USDT"
#: Leave this many finished orders/deals/events in memory and in the state file.
HISTORY_CAP = 5000
MONEY_Q = D("1e-8")
CLIENT_ORDER_ID_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")

OPEN = "OPEN"
FILLED = "FILLED"
CANCELED = "CANCELED"
AUTO_CANCELED_LIQUIDATION = "AUTO_CANCELED_LIQUIDATION"
AUTO_CANCELED_REDUCE_ONLY = "AUTO_CANCELED_REDUCE_ONLY"

ORDER_KINDS = ("limit", "market", "stop limit", "stop market")


def cap(records: list[Any]) -> None:
    """Keep the newest ``HISTORY_CAP`` entries of an append-only history."""
    if len(records) > HISTORY_CAP:
        del records[: len(records) - HISTORY_CAP]


@dataclass
class SimOrder:
    id: int
    market: str
    side: str  # "buy" | "sell"
    type: str  # "limit" | "market" | "stop limit" | "stop market"
    amount: Decimal
    left: Decimal
    ctime: Decimal
    mtime: Decimal
    price: Decimal | None = None  # limit price (the stop leg's limit price for stop limit)
    activation_price: Decimal | None = None
    activated: bool = True  # stops start False and flip when the trigger condition holds
    deal_stock: Decimal = ZERO
    deal_money: Decimal = ZERO
    deal_fee: Decimal = ZERO
    client_order_id: str = ""
    post_only: bool = False
    ioc: bool = False
    stp: str = "no"
    status: str = "OPEN"
    position_side: str = "BOTH"
    reduce_only: bool = False
    ftime: Decimal | None = None
    reserved: Decimal = ZERO  # collateral held for the opening part of the order
    oco_id: int | None = None
    oco_leg: str | None = None  # "take_profit" | "stop_loss"
    source: str = "api"  # "api" | "liquidation"

    @property
    def is_stop(self) -> bool:
        return self.type in ("stop limit", "stop market")

    @property
    def activation_condition(self) -> str | None:
        """WhiteBIT derives it from the side: buy triggers on gte, sell on lte."""
        if self.activation_price is None:
            return None
        return "gte" if self.side == "buy" else "lte"

    def copy(self) -> SimOrder:
        return dataclasses.replace(self)


@dataclass
class SimPosition:
    id: int
    market: str
    position_side: str  # "LONG" | "SHORT" | "BOTH"
    direction: str  # "long" | "short"
    size: Decimal  # unsigned, base units
    entry: Decimal  # average entry (base) price
    margin: Decimal  # isolated margin allocated to the position, quote units
    open_time: Decimal
    modify_time: Decimal
    realized_pnl: Decimal = ZERO
    funding: Decimal = ZERO  # settled borrow interest (margin markets), positive = paid
    unrealized_funding: Decimal = ZERO  # accrued interest not yet settled, positive = owed
    liq_stage: str | None = None  # None | "margin_call"
    partially_liquidated: bool = False

    @property
    def signed_amount(self) -> Decimal:
        return -self.size if self.direction == "short" else self.size

    def copy(self) -> SimPosition:
        return dataclasses.replace(self)


@dataclass
class OcoGroup:
    id: int
    market: str
    take_profit_id: int
    stop_loss_id: int
    reduce_only: bool
    client_order_id: str = ""
