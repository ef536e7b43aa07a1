"""The account figures the balance pane shows and the order form checks against. Pure, exact.

Definitions (USDT, isolated margin per position as in ``tui.domain.risk``):

- ``equity   = balance + uPnL - unrealized funding``   (balance: the wallet balance; uPnL and
  the funding owed are the open positions'; funding is 0 between funding rounds)
- ``used     = position margin + reserved``             (reserved: held by open orders)
- ``free     = equity - used``                          (negative when losses eat the margin)

An open order reserves ``q_open * p / L + q * p * taker_fee`` (rounded to 1e-8): ``q`` is its
remaining amount, ``q_open`` the part that would open or increase a position, ``p`` its limit
price (a stop-market's trigger), ``L`` the effective leverage. An order that only reduces a
position (reduce-only, a hedge-mode close, a one-way order against a position no larger than the
position) reserves nothing. The legs of an OCO group can fill only one of them, so the group
reserves once, at the larger of its prices. This is the sandbox's rule (its ``_requirement``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Context, Decimal, localcontext

from .markets import effective_leverage, product_of
from .models import Direction, Market, Order, Position, PositionSide, Side
from .risk import required_margin

ZERO = Decimal(0)
HUNDRED = Decimal(100)
RESERVE_Q = Decimal("1e-8")  # the exchange's money precision for collateral amounts
_WIDE = Context(prec=100)  # the fee product is exact in it; only the 1e-8 rounding is not


@dataclass(frozen=True, slots=True)
class AccountFigures:
    balance: Decimal  # wallet balance (collateral asset)
    upnl: Decimal  # unrealized PnL of the open positions
    funding: Decimal  # unrealized funding owed by the open positions (positive = owed)
    equity: Decimal
    position_margin: Decimal
    reserved: Decimal  # margin (and taker fee) held by open orders

    @property
    def used(self) -> Decimal:
        return self.position_margin + self.reserved

    @property
    def free(self) -> Decimal:
        return self.equity - self.used


def _opening_amount(order: Order, amount: Decimal, positions: Iterable[Position]) -> Decimal:
    """The part of ``amount`` that would open or increase a position if it filled now."""
    if order.reduce_only:
        return ZERO
    side = order.position_side or PositionSide.BOTH
    if side is not PositionSide.BOTH:  # hedge mode: buy LONG / sell SHORT open, others close
        opening = (side is PositionSide.LONG) == (order.side is Side.BUY)
        return amount if opening else ZERO
    direction = Direction.LONG if order.side is Side.BUY else Direction.SHORT
    for pos in positions:
        if pos.market == order.market and pos.position_side is PositionSide.BOTH and pos.size:
            if pos.direction is direction:
                return amount
            return amount - min(amount, pos.size)
    return amount


def order_reservation(
    order: Order,
    positions: Iterable[Position],
    market: Market | None,
    leverage: int,
    price: Decimal | None = None,
) -> Decimal:
    """Collateral held by one open order (``price`` overrides the order's own, for OCO)."""
    amount = order.left
    price = price if price is not None else (order.price or order.activation_price)
    if price is None or amount <= 0:
        return ZERO
    opening = _opening_amount(order, amount, positions)
    if opening <= 0:
        return ZERO
    product = market.product if market is not None else product_of(order.market)
    fee = market.taker_fee if market is not None else ZERO
    lev = effective_leverage(leverage, product)
    with localcontext(_WIDE):
        held = required_margin(opening, price, lev) + amount * price * fee / HUNDRED
        return held.quantize(RESERVE_Q)


def reserved_margin(
    orders: Iterable[Order],
    positions: Iterable[Position],
    markets: Mapping[str, Market],
    leverage: int,
) -> Decimal:
    """Collateral held by all open orders (an OCO group counted once)."""
    positions = list(positions)
    total = ZERO
    groups: dict[int, list[Order]] = {}
    for order in orders:
        if order.oco_id is not None:
            groups.setdefault(order.oco_id, []).append(order)
            continue
        total += order_reservation(order, positions, markets.get(order.market), leverage)
    for legs in groups.values():
        # Only one leg can fill: the group holds what the dearer leg would need (the take
        # profit's limit price or the stop leg's limit price, whichever is higher).
        prices = [leg.price or leg.activation_price for leg in legs]
        known = [p for p in prices if p is not None]
        lead = max(legs, key=lambda leg: leg.left)
        top = max(known) if known else None
        total += order_reservation(lead, positions, markets.get(lead.market), leverage, top)
    return total


def account_figures(
    balance: Decimal,
    positions: Iterable[Position],
    open_orders: Iterable[Order],
    markets: Mapping[str, Market],
    leverage: int,
) -> AccountFigures:
    positions = list(positions)
    upnl = sum((p.pnl for p in positions), ZERO)
    funding = sum((p.unrealized_funding for p in positions), ZERO)
    return AccountFigures(
        balance=balance,
        upnl=upnl,
        funding=funding,
        equity=balance + upnl - funding,
        position_margin=sum((p.margin for p in positions), ZERO),
        reserved=reserved_margin(open_orders, positions, markets, leverage),
    )
