"""Pure risk math shared by the app, the service layer and the sandbox. Decimal in, Decimal out.

The margin model (isolated margin per position; the sandbox implements exactly this):

- notional          = size * price
- initial margin    = notional / leverage                      (``required_margin``)
- unrealized PnL    = (mark - entry) * size   for a long
                      (entry - mark) * size   for a short       (``unrealized_pnl``)
- position equity   = margin + unrealized PnL
- maintenance       = mmr * size * mark     (mmr: maintenance margin rate of the market)
- liquidation price: the mark price at which equity == maintenance
      long:  p = (entry * size - margin) / (size * (1 - mmr))
      short: p = (entry * size + margin) / (size * (1 + mmr))
  With margin = entry * size / L this is entry * (1 - 1/L) / (1 - mmr) for a long and
  entry * (1 + 1/L) / (1 + mmr) for a short. A long whose margin covers the whole notional
  (1x) cannot be liquidated by price alone: its liquidation price is 0 (reported as None).
- margin-call price: where equity == MARGIN_CALL_FACTOR * maintenance (same algebra with
  mmr replaced by MARGIN_CALL_FACTOR * mmr).
- distance to liquidation: signed so that a smaller value is closer and a negative one is past
      long:  mark - liq        short: liq - mark
  and in percent of the mark price.
- margin level (Bitso-style cross margin): total assets / total liabilities.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Context, Decimal, localcontext

from .models import Direction

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
MARGIN_CALL_FACTOR = Decimal(2)

# Step arithmetic (round to step, on-step checks, the largest affordable amount) must be exact: in
# the default 28-digit context a quotient can round up past a multiple of the step (an amount that
# exceeds the balance) or a quantize can raise InvalidOperation. Typed and exchange numbers have far
# fewer than 100 digits, so products and quotients by a power of ten are exact in this context.
_WIDE = Context(prec=100)


def unrealized_pnl(direction: Direction, size: Decimal, entry: Decimal, mark: Decimal) -> Decimal:
    # In the wide context: the default 28 digits would round a large PnL (a 14-digit size times
    # a 15-digit price difference), and PnL must be exact.
    size = abs(size)
    with localcontext(_WIDE):
        if direction is Direction.LONG:
            return (mark - entry) * size
        return (entry - mark) * size


def notional(size: Decimal, price: Decimal) -> Decimal:
    with localcontext(_WIDE):  # exact, as above
        return abs(size) * price


def required_margin(size: Decimal, price: Decimal, leverage: int | Decimal) -> Decimal:
    """Initial margin for an order of ``size`` at ``price`` and ``leverage``."""
    lev = Decimal(leverage)
    if lev <= 0:
        raise ValueError("leverage must be positive")
    with localcontext(_WIDE):  # exact for every leverage that divides a power of ten
        return notional(size, price) / lev


def liquidation_price(
    direction: Direction, size: Decimal, entry: Decimal, margin: Decimal, mmr: Decimal
) -> Decimal | None:
    """The mark price at which the position's equity falls to its maintenance margin.

    Returns None when no positive price liquidates the position (a fully funded long).
    """
    size = abs(size)
    if size == 0:
        return None
    if direction is Direction.LONG:
        price = (entry * size - margin) / (size * (ONE - mmr))
        return price if price > 0 else None
    return (entry * size + margin) / (size * (ONE + mmr))


def margin_call_price(
    direction: Direction, size: Decimal, entry: Decimal, margin: Decimal, mmr: Decimal
) -> Decimal | None:
    return liquidation_price(direction, size, entry, margin, mmr * MARGIN_CALL_FACTOR)


def estimated_liquidation_price(
    direction: Direction, entry: Decimal, leverage: int | Decimal, mmr: Decimal
) -> Decimal | None:
    """Liquidation price of a fresh position opened at ``entry`` with ``leverage``."""
    size = ONE
    return liquidation_price(direction, size, entry, required_margin(size, entry, leverage), mmr)


def liquidation_price_after_add(
    direction: Direction,
    size: Decimal,
    entry: Decimal,
    margin: Decimal,
    add_size: Decimal,
    add_price: Decimal,
    leverage: int | Decimal,
    mmr: Decimal,
) -> Decimal | None:
    """Liquidation price of a position of ``size`` at ``entry`` with ``margin`` after adding
    ``add_size`` at ``add_price`` (what the exchange does on an increase: the entry becomes the
    size-weighted average, the margin grows by the added part's initial margin).

    The cost and the margins are summed exactly; only the final quotient rounds.
    """
    size, add_size = abs(size), abs(add_size)
    with localcontext(_WIDE):
        total = size + add_size
        if total == 0:
            return None
        cost = size * entry + add_size * add_price  # total * (average entry), exactly
        funded = margin + required_margin(add_size, add_price, leverage)
        if direction is Direction.LONG:
            numerator, denominator = cost - funded, total * (ONE - mmr)
        else:
            numerator, denominator = cost + funded, total * (ONE + mmr)
    price = numerator / denominator
    if direction is Direction.LONG and price <= 0:
        return None
    return price


@dataclass(frozen=True, slots=True)
class Distance:
    absolute: Decimal  # in price units; smaller is closer, negative is past liquidation
    percent: Decimal  # of the mark price


def liquidation_distance(
    direction: Direction, mark: Decimal, liq: Decimal | None
) -> Distance | None:
    if liq is None or mark <= 0:
        return None
    absolute = mark - liq if direction is Direction.LONG else liq - mark
    return Distance(absolute=absolute, percent=absolute / mark * HUNDRED)


def margin_level(assets: Decimal, liabilities: Decimal) -> Decimal | None:
    """Cross-margin level = total assets / total liabilities; None when nothing is borrowed."""
    if liabilities <= 0:
        return None
    return assets / liabilities


def round_to_step(value: Decimal, step: Decimal, *, up: bool = False) -> Decimal:
    """Round ``value`` to a multiple of ``step`` (down by default, so it never exceeds)."""
    if step <= 0:
        raise ValueError("step must be positive")
    with localcontext(_WIDE):
        units = (value / step).to_integral_value(rounding=ROUND_UP if up else ROUND_DOWN)
        return (units * step).quantize(step)


def quantize_price(value: Decimal, step: Decimal) -> Decimal:
    with localcontext(_WIDE):
        units = (value / step).to_integral_value(rounding=ROUND_HALF_EVEN)
        return (units * step).quantize(step)


def on_step(value: Decimal, step: Decimal) -> bool:
    with localcontext(_WIDE):
        return (value % step) == 0


def max_amount_for_balance(
    free: Decimal, price: Decimal, leverage: int | Decimal, step: Decimal, fee_rate: Decimal = ZERO
) -> Decimal:
    """Largest amount on ``step`` whose margin plus fee fits in ``free`` collateral.

    ``fee_rate`` is a fraction (0.001 = 0.1 %), charged on the notional.
    """
    if price <= 0 or free <= 0:
        return ZERO
    lev = Decimal(leverage)
    with localcontext(_WIDE):
        per_unit = price / lev + price * fee_rate  # price / 3 is still inexact: checked below
        amount = round_to_step(free / per_unit, step)
        # The quotient was rounded (either way): settle it with the exact test of
        # margin + fee <= free  <=>  amount * price * (1 + lev * fee_rate) <= free * lev.
        factor = price * (ONE + lev * fee_rate)
        limit = free * lev
        while amount > 0 and amount * factor > limit:
            amount -= step
        while (amount + step) * factor <= limit:
            amount += step
        return max(amount, ZERO.quantize(step))


def percent_of(value: Decimal, percent: Decimal, step: Decimal) -> Decimal:
    """``percent`` % of ``value`` rounded down to ``step`` (used for partial closes)."""
    with localcontext(_WIDE):
        return round_to_step(value * percent / HUNDRED, step)


def fmt(value: Decimal | None, places: int | None = None) -> str:
    """Plain (never exponent) string of a Decimal, optionally fixed to ``places``."""
    if value is None:
        return "-"
    if places is not None:
        exp = _EXPONENTS.get(places)
        if exp is None:
            exp = _EXPONENTS[places] = Decimal(1).scaleb(-places)
        value = value.quantize(exp, rounding=ROUND_HALF_EVEN)
    return format(value, "f")


_EXPONENTS: dict[int, Decimal] = {}  # places -> 1E-places, for fmt()
