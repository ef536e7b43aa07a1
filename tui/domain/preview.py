"""The risk preview of an order: what it does to the position it meets, as the exchange does.

Pure and Decimal-only. Built by :func:`tui.domain.validation.validate_order_form`; the rules
(netting, expected fill price) are stated in that module's docstring. The sandbox engine
(``tui.sandbox.engine.positions``) nets exactly so.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext
from enum import Enum

from . import risk
from .markets import MAINTENANCE_MARGIN_RATE
from .models import Direction, Market, Position, PositionSide, Side

ZERO = Decimal(0)
HUNDRED = Decimal(100)
_EXACT = Context(prec=120)  # released margin: a pro-rata share of typed numbers, exact


def direction_of(side: Side) -> Direction:
    return Direction.LONG if side is Side.BUY else Direction.SHORT


class Effect(Enum):
    """What an order does to the position it meets (the sandbox engine nets exactly so)."""

    OPEN = "open"  # no position there: a new one
    ADD = "add"  # same direction: the position grows
    REDUCE = "reduce"  # opposite direction, smaller than the position
    CLOSE = "close"  # closes the position exactly (a closing-only order is clipped to its size)
    FLIP = "flip"  # closes the position, then opens the other direction with the rest
    NOTHING = "nothing"  # a closing-only order with nothing to reduce: the exchange refuses it


@dataclass(frozen=True, slots=True)
class RiskPreview:
    """What the order would do, computed from the typed values (display only).

    Prices are the expected fill price ``price``: the mark for a market order and for a limit
    that crosses it (the exchange fills it now, as a taker, at the market), else the order's own
    price. The margin and liquidation fields describe the part that opens (OPEN, ADD, FLIP's
    new position); a reducing part releases margin and realizes PnL instead.
    """

    price: Decimal  # expected fill price (OCO: the more expensive leg)
    notional: Decimal  # amount * price
    required_margin: Decimal  # initial margin of the opening part; 0 when nothing opens
    fee: Decimal  # taker fee on the notional
    leverage: int  # the effective leverage on this market
    opens: bool  # something opens or grows (OPEN, ADD, FLIP)
    direction: Direction  # the direction that opens (for a closing order: the one it reduces)
    est_liquidation_price: Decimal | None  # of the opening part (ADD: see liq_combined)
    liq_distance: Decimal | None  # from the mark price, signed (smaller = closer, < 0 = past)
    liq_distance_pct: Decimal | None  # of the mark price
    effect: Effect = Effect.OPEN
    held_direction: Direction | None = None  # of the position the order meets (None: none)
    held_size: Decimal = ZERO  # size of that position
    reduced: Decimal = ZERO  # the part of the order that reduces that position
    opened: Decimal = ZERO  # the part that opens / adds (0 for REDUCE, CLOSE, NOTHING)
    remaining: Decimal = ZERO  # the position's size after a REDUCE
    released_margin: Decimal = ZERO  # margin the reducing part frees (pro rata of the position's)
    realized_pnl: Decimal | None = None  # of the reducing part at ``price``, before fees
    crosses_market: bool = False  # a limit at or through the mark: fills now at about ``price``
    liq_combined: bool = False  # ADD: the liquidation is the whole grown position's


def held_position(
    positions: Sequence[Position],
    market: Market,
    hedged: bool,
    position_side: PositionSide | None,
) -> Position | None:
    """The position an order meets: in hedge mode the one on the chosen side, else the market's
    one-way (BOTH) position."""
    for position in positions:
        if position.market.upper() != market.name.upper() or position.size == 0:
            continue
        sided = position.position_side in (PositionSide.LONG, PositionSide.SHORT)
        if hedged and position.position_side is position_side:
            return position
        if not hedged and not sided:
            return position
    return None


def opened_part(
    amount: Decimal, side: Side | None, closing: bool, held: Position | None
) -> Decimal:
    """The part of ``amount`` that opens or adds (the engine's split of a trade)."""
    if closing or side is None:
        return ZERO
    if held is None or held.direction is direction_of(side):
        return amount
    return max(amount - held.size, ZERO)


def build_preview(
    amount: Decimal,
    price: Decimal,
    leverage: int,
    side: Side,
    position_side: PositionSide | None,
    closing: bool,
    market: Market,
    mark: Decimal | None,
    held: Position | None,
    *,
    crosses: bool,
    pnl_known: bool,
) -> RiskPreview:
    direction = direction_of(side)
    mmr = MAINTENANCE_MARGIN_RATE[market.product]
    notional = risk.notional(amount, price)
    fee = notional * market.taker_fee / HUNDRED
    held_size = held.size if held is not None else ZERO
    reduced = opened = remaining = released = ZERO
    pnl: Decimal | None = None
    liq: Decimal | None = None
    combined = False
    if held is not None and held.direction is not direction:
        reduced = min(amount, held_size)
        opened = ZERO if closing else amount - reduced
        remaining = held_size - reduced
        if remaining == 0:
            effect = Effect.FLIP if opened > 0 else Effect.CLOSE
        else:
            effect = Effect.REDUCE
        with localcontext(_EXACT):
            released = held.margin * reduced / held_size
        if pnl_known and held.base_price is not None:
            pnl = risk.unrealized_pnl(held.direction, reduced, held.base_price, price)
        if not opened:
            direction = held.direction  # the position it reduces
    elif closing:
        effect = Effect.NOTHING
        if position_side is not None:
            direction = Direction(position_side.value.lower())
        else:  # reduce-only: it could only ever reduce the other direction
            direction = Direction.SHORT if direction is Direction.LONG else Direction.LONG
    else:
        effect = Effect.OPEN if held is None else Effect.ADD
        opened = amount
    if opened > 0:
        if held is not None and effect is Effect.ADD and held.base_price is not None:
            liq = risk.liquidation_price_after_add(
                direction, held_size, held.base_price, held.margin, opened, price, leverage, mmr
            )
            combined = True
        else:
            liq = risk.estimated_liquidation_price(direction, price, leverage, mmr)
    distance = risk.liquidation_distance(direction, mark, liq) if mark is not None else None
    return RiskPreview(
        price=price,
        notional=notional,
        required_margin=risk.required_margin(opened, price, leverage) if opened else ZERO,
        fee=fee,
        leverage=leverage,
        opens=opened > 0,
        direction=direction,
        est_liquidation_price=liq,
        liq_distance=distance.absolute if distance else None,
        liq_distance_pct=distance.percent if distance else None,
        effect=effect,
        held_direction=held.direction if held is not None else None,
        held_size=held_size,
        reduced=reduced,
        opened=opened,
        remaining=remaining,
        released_margin=released,
        realized_pnl=pnl,
        crosses_market=crosses,
        liq_combined=combined,
    )
