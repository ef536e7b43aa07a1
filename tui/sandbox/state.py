"""Mutable engine records (orders, positions) and their JSON round trip for persistence."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ZERO = Decimal(0)


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


# -- JSON round trip ---------------------------------------------------------------------------
_DEC = "__dec__"


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return {_DEC: str(obj)}
    raise TypeError(f"cannot persist {type(obj).__name__}")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _DEC in obj:
        return Decimal(obj[_DEC])
    return obj


def dumps_state(state: Any) -> str:
    return json.dumps(state, default=_default, separators=(",", ":"))


def loads_state(text: str) -> Any:
    return json.loads(text, object_hook=_hook, parse_float=Decimal)


def record_to_dict(record: Any) -> dict[str, Any]:
    return dataclasses.asdict(record)


def order_from_dict(data: dict[str, Any]) -> SimOrder:
    return SimOrder(**data)


def position_from_dict(data: dict[str, Any]) -> SimPosition:
    return SimPosition(**data)


def oco_from_dict(data: dict[str, Any]) -> OcoGroup:
    return OcoGroup(**data)
