"""Order-form validation: the text the trader typed -> an ``OrderRequest`` or messages per field.

Pure and Decimal-only (no float anywhere, no I/O). The app calls :func:`validate_order_form` on every
keystroke/submit and shows ``result.errors[field]`` next to the field; only when there are no errors
is ``result.request`` set, and only a request is ever sent. ``result.preview`` (notional, margin,
estimated liquidation price and its distance from the mark price) is filled whenever the amount and
a reference price could be read, even if another field still has an error, so the trader sees what
the order would cost while fixing it.

Rules (WhiteBIT collateral trading; /work/shared/spec/exchange-api.md section 4.2):

- Numbers are plain decimals typed with ASCII digits and a ``.``: ``"0.01"``, ``"60000"``, ``".5"``.
  Refused with a message: empty, non-numeric (``"abc"``, ``"1,5"``, ``"1_000"``, non-ASCII digits,
  which ``Decimal()`` would otherwise accept), exponent notation (``"1e3"``), ``NaN``/``Infinity``,
  negative, zero, absurdly large (more than ``MAX_INTEGER_DIGITS`` digits before the point) and more
  decimals than the market allows (``stockPrec`` for amounts, ``moneyPrec`` for every price).
  Trailing zeros beyond the precision are fine (``"0.10000"`` on a 4-decimal market is 0.1000): the
  value is a multiple of the step, and the request carries it quantized to the step so the wire
  text never has more decimals than the exchange accepts. Every accepted value is numerically equal
  to the typed text.
- amount >= ``min_amount``; for each leg ``amount * leg price >= min_total`` and
  ``<= max_total`` unless ``max_total`` is 0 (unlimited). A market order's leg price is the mark
  price, a trigger-market's is its activation price, an OCO has two legs (take-profit ``price`` and
  the stop leg's ``stop_limit_price``).
- leverage: the account leverage must be one WhiteBIT accepts (``markets.ACCOUNT_LEVERAGES``); the
  leverage that applies to this market (``markets.effective_leverage``: margin pairs cap at 10x)
  must be in ``market.leverages`` and not above ``market.max_leverage``.
- netting (``positions``): an order meets the position of its market (one-way mode and margin
  pairs: the market's BOTH position; hedge mode: the chosen LONG/SHORT side). The opposite
  direction reduces it first (released margin = the position's margin pro rata, realized PnL at
  the expected fill price) and, in one-way mode, opens the other direction with the rest (a flip);
  the same direction adds to it (entry = size-weighted average, margin grows by the added part's).
  A closing-only order (``reduce_only``, or a hedge-mode order whose position side is the opposite
  of its side, e.g. sell + LONG) is clipped to the position and never opens. This is exactly what
  the sandbox engine does (``tui.sandbox.engine.positions``).
- margin: ``risk.required_margin`` of the opening part at the effective leverage plus the taker
  fee on the whole notional must fit in ``free_collateral`` (the taker fee, since a limit order
  may well take; the exchange reserves the same at placement, at the order's own price). Orders
  that open nothing (reduce, close, closing-only) skip this check entirely: the form never stops
  a trader from closing; if the exchange wants the fee up front it says so.
- expected fill price (preview only): a limit buy at or above the mark (a sell at or below) crosses
  the market and fills now, as a taker, at about the mark: its preview (notional, fee, margin,
  liquidation) is at the mark and says so (``crosses_market``).
- position side: required (LONG or SHORT) in hedge mode; forbidden in one-way mode, where it is
  omitted from the request (``BOTH`` or empty is read as "omitted"). Hedge mode is a futures
  feature (spec 4.1: "Hedge mode matters for futures (_PERP) markets"; the sandbox engine nets
  margin pairs one-way and answers 114 to a LONG/SHORT there), so on a margin market the form is
  validated as one-way whatever the account's hedge setting.
- prices per type: limit -> ``price``; market -> none (mark price used for totals, margin and the
  preview; without a mark price the order is refused under ``"market"``); stop-limit -> ``price``
  and ``activation_price``; trigger-market -> ``activation_price``; OCO -> ``price`` (take profit),
  ``activation_price`` (stop trigger) and ``stop_limit_price`` (stop leg's limit). Fields a type
  does not use are ignored (the form may keep hidden text) and are None in the request.
- trigger direction (reference = ``mark_price``, which the service fills with the last price;
  WhiteBIT stops trigger on the last price):
  WhiteBIT derives a stop's activation condition from its side: buy -> ``gte`` (fires when the last
  price rises to the activation price), sell -> ``lte``. A buy stop at or below the last price
  would fire at once (and "activation price equals last price" is error 101), so we require
  buy: activation > last, sell: activation < last.
  An OCO's stop leg follows the same rule and its take-profit leg is a resting limit on the other
  side of the market: buy OCO: price < last < activation; sell OCO: price > last > activation
  (the same rule Binance documents for OCO; WhiteBIT answers a wrong one with 105/106). Without a
  last price we still require price < activation (buy) / price > activation (sell). The stop leg's
  limit price (``stop_limit_price``) may sit on either side of the trigger, as for any stop-limit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_UP, Context, Decimal, localcontext
from enum import Enum
from typing import TypeVar

from .markets import ACCOUNT_LEVERAGES, effective_leverage
from .models import (
    Direction,
    Market,
    OrderRequest,
    OrderType,
    Position,
    PositionSide,
    Product,
    Side,
)
from .preview import RiskPreview, build_preview, held_position, opened_part

E = TypeVar("E", bound=Enum)

ZERO = Decimal(0)
HUNDRED = Decimal(100)

#: Digits allowed before the decimal point of any typed number. Far above any real amount or
#: price, low enough that every check below is exact in ``_EXACT`` precision.
MAX_INTEGER_DIGITS = 15

#: Field names used as keys of ``ValidationResult.errors``.
FIELDS = (
    "market",
    "side",
    "type",
    "amount",
    "price",
    "activation_price",
    "stop_limit_price",
    "position_side",
    "leverage",
    "client_order_id",
)

_PLAIN = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_EXPONENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE][+-]?[0-9]+")
_SPECIAL = re.compile(r"[+-]?(?:s?nan[0-9]*|inf|infinity)", re.IGNORECASE)
_CLIENT_ORDER_ID = re.compile(r"[A-Za-z0-9._-]+")

# Comparisons (totals, margin) are done in a context wide enough that products of typed numbers
# are exact: at most 15 integer digits and a few dozen decimals each.
_EXACT = Context(prec=120)


@dataclass(frozen=True, slots=True)
class OrderForm:
    """The order-entry form exactly as the trader typed it."""

    market: str
    side: str | Side
    type: str | OrderType
    amount: str
    price: str = ""
    activation_price: str = ""
    stop_limit_price: str = ""
    position_side: str | PositionSide | None = None
    reduce_only: bool = False
    client_order_id: str = ""


@dataclass(frozen=True, slots=True)
class ValidationResult:
    errors: dict[str, str] = field(default_factory=dict)
    request: OrderRequest | None = None
    preview: RiskPreview | None = None

    @property
    def ok(self) -> bool:
        return not self.errors and self.request is not None


def _plain(value: Decimal) -> str:
    return format(value, "f")


def _money(value: Decimal, places: int, rounding: str) -> str:
    """Display ``value`` with ``places`` decimals, rounded in the direction that keeps a message
    honest (a shortfall is never shown smaller than it is)."""
    with localcontext(_EXACT):
        return _plain(value.quantize(Decimal(1).scaleb(-places), rounding=rounding))


def parse_decimal(
    text: str | None, *, label: str, places: int
) -> tuple[Decimal | None, str | None]:
    """Read a strictly positive decimal with at most ``places`` significant decimals.

    Returns ``(value, None)`` or ``(None, message)``. ``value`` equals the typed number; when it
    was typed with more (zero) decimals than ``places`` it is quantized to ``places``.
    """
    raw = "" if text is None else str(text).strip()
    step = Decimal(1).scaleb(-places)
    if not raw:
        return None, f"{label} is required"
    if _SPECIAL.fullmatch(raw):
        return None, f"{label} must be a finite number"
    if _EXPONENT.fullmatch(raw):
        written = Decimal(raw)
        exp = written.as_tuple().exponent
        assert isinstance(exp, int)
        if abs(exp) <= 20:
            return None, f"{label}: no exponents, write {_plain(written)} instead of {raw}"
        return None, f"{label}: write the number in full, without an exponent"
    if not _PLAIN.fullmatch(raw):
        if "," in raw and _PLAIN.fullmatch(raw.replace(",", ".", 1)):
            return None, f"{label}: use '.' as the decimal separator"
        return None, f"{label} must be a number"
    value = Decimal(raw)
    if value < 0:
        return None, f"{label} must be positive"
    if value == 0:
        return None, f"{label} must be greater than 0"
    integer_digits = len(raw.lstrip("+-").split(".", 1)[0].lstrip("0"))
    if integer_digits > MAX_INTEGER_DIGITS:
        return None, f"{label} is too large"
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)  # finite by construction
    if -exponent > places:
        return None, f"{label} must be a multiple of {_plain(step)}"
    if value.as_tuple().exponent < -places:  # type: ignore[operator]
        with localcontext(_EXACT):
            value = value.quantize(step)  # only trailing zeros go: exact
    return value, None


def _parse_choice(raw: object, enum_type: type[E], *, upper: bool) -> E | None:
    if isinstance(raw, enum_type):
        return raw
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    text = text.upper() if upper else text.lower()
    text = text.replace(" ", "_").replace("-", "_")
    try:
        return enum_type(text)
    except ValueError:
        return None


def _direction_of(side: Side) -> Direction:
    return Direction.LONG if side is Side.BUY else Direction.SHORT


# The price fields each type needs and how the form labels them.
_PRICE_FIELDS: dict[OrderType, tuple[tuple[str, str], ...]] = {
    OrderType.LIMIT: (("price", "Price"),),
    OrderType.MARKET: (),
    OrderType.STOP_LIMIT: (("price", "Limit price"), ("activation_price", "Activation price")),
    OrderType.TRIGGER_MARKET: (("activation_price", "Activation price"),),
    OrderType.OCO: (
        ("price", "Take-profit price"),
        ("activation_price", "Stop price"),
        ("stop_limit_price", "Stop limit price"),
    ),
}


def validate_order_form(
    form: OrderForm,
    *,
    market: Market,
    hedge_mode: bool,
    free_collateral: Decimal,
    leverage: int,
    mark_price: Decimal | None,
    positions: Sequence[Position] = (),
) -> ValidationResult:
    """Check ``form`` against ``market`` and the account; see the module docstring for the rules.

    ``positions``: the account's open positions (any market); the preview and the margin check
    net the order against the one it meets, as the exchange will.
    """
    errors: dict[str, str] = {}

    # --- market, side, type -------------------------------------------------------------------
    typed_market = (form.market or "").strip()
    if not typed_market:
        errors["market"] = "Pick a market"
    elif typed_market.upper() != market.name.upper():
        errors["market"] = f"Form is for {typed_market} but the market data is for {market.name}"

    side = _parse_choice(form.side, Side, upper=False)
    if side is None:
        errors["side"] = "Side must be buy or sell"
    order_type = _parse_choice(form.type, OrderType, upper=False)
    if order_type is None:
        errors["type"] = "Unknown order type"
    assert side is None or isinstance(side, Side)
    assert order_type is None or isinstance(order_type, OrderType)

    if mark_price is not None and mark_price <= 0:
        mark_price = None

    # --- numbers ------------------------------------------------------------------------------
    amount, message = parse_decimal(form.amount, label="Amount", places=market.amount_precision)
    if message:
        errors["amount"] = message
    elif amount is not None and amount < market.min_amount:
        errors["amount"] = f"Minimum amount is {_plain(market.min_amount)} {market.base}"

    prices: dict[str, Decimal] = {}
    for name, label in _PRICE_FIELDS[order_type] if order_type is not None else ():
        value, message = parse_decimal(
            getattr(form, name), label=label, places=market.price_precision
        )
        if message:
            errors[name] = message
        else:
            assert value is not None
            prices[name] = value

    if order_type is OrderType.MARKET and mark_price is None:
        errors.setdefault("market", f"No mark price for {market.name} yet; try again in a moment")

    # --- position side ------------------------------------------------------------------------
    position_side: PositionSide | None = None
    raw_ps = form.position_side
    if raw_ps is None or (isinstance(raw_ps, str) and not raw_ps.strip()):
        parsed_ps = None
    else:
        parsed_ps = _parse_choice(raw_ps, PositionSide, upper=True)
        if parsed_ps is None:
            errors["position_side"] = "Position side must be LONG or SHORT"
    hedged = hedge_mode and market.product is Product.FUTURES
    if "position_side" not in errors:
        if hedged:
            if parsed_ps in (PositionSide.LONG, PositionSide.SHORT):
                position_side = parsed_ps
            else:
                errors["position_side"] = "Hedge mode: pick LONG or SHORT"
        elif parsed_ps in (PositionSide.LONG, PositionSide.SHORT):
            errors["position_side"] = (
                "No position side in one-way mode"
                if market.product is Product.FUTURES
                else "No position side on margin pairs (they net one-way)"
            )
        # one-way mode: BOTH / empty -> omitted from the request

    closing = bool(form.reduce_only) or (
        side is not None
        and position_side is not None
        and _direction_of(side) is not Direction(position_side.value.lower())
    )

    # --- client order id ----------------------------------------------------------------------
    client_order_id = (form.client_order_id or "").strip()
    if client_order_id and not _CLIENT_ORDER_ID.fullmatch(client_order_id):
        errors["client_order_id"] = "Client order id: letters, digits, '.', '-', '_' only"

    # --- leverage -----------------------------------------------------------------------------
    eff_leverage: int | None = None
    if (
        isinstance(leverage, bool)
        or not isinstance(leverage, int)
        or leverage not in ACCOUNT_LEVERAGES
    ):
        allowed = ", ".join(str(x) for x in ACCOUNT_LEVERAGES)
        errors["leverage"] = f"Leverage {leverage}x is not allowed ({allowed})"
    else:
        eff = effective_leverage(leverage, market.product)
        if eff not in market.leverages:
            allowed = ", ".join(f"{x}x" for x in market.leverages)
            errors["leverage"] = f"{eff}x is not available on {market.name} ({allowed})"
        elif market.max_leverage and eff > market.max_leverage:
            errors["leverage"] = (
                f"{market.name} allows at most {market.max_leverage}x; lower the leverage"
            )
        else:
            eff_leverage = eff

    # --- trigger direction --------------------------------------------------------------------
    if side is not None and order_type in (
        OrderType.STOP_LIMIT,
        OrderType.TRIGGER_MARKET,
        OrderType.OCO,
    ):
        _check_trigger_direction(errors, side, order_type, prices, mark_price, market)

    # --- totals and margin (per leg) ----------------------------------------------------------
    legs: list[tuple[str, Decimal]] = []  # (leg name for messages, price)
    if order_type is OrderType.LIMIT and "price" in prices:
        legs = [("", prices["price"])]
    elif order_type is OrderType.MARKET and mark_price is not None:
        legs = [("", mark_price)]
    elif order_type is OrderType.STOP_LIMIT and "price" in prices:
        legs = [("", prices["price"])]
    elif order_type is OrderType.TRIGGER_MARKET and "activation_price" in prices:
        legs = [("", prices["activation_price"])]
    elif order_type is OrderType.OCO and "price" in prices and "stop_limit_price" in prices:
        legs = [("Take-profit ", prices["price"]), ("Stop ", prices["stop_limit_price"])]

    held = held_position(positions, market, hedged, position_side)
    preview: RiskPreview | None = None
    if amount is not None and "amount" not in errors and legs:
        places = market.price_precision
        quote = market.quote
        with localcontext(_EXACT):
            for leg, price in legs:
                total = amount * price
                approx = "about " if order_type is OrderType.MARKET else ""
                if total < market.min_total:
                    errors["amount"] = (
                        f"{leg}Total {approx}{_money(total, places, ROUND_DOWN)} {quote} is below"
                        f" the minimum {_plain(market.min_total)} {quote}"
                    )
                    break
                if market.max_total > 0 and total > market.max_total:
                    errors["amount"] = (
                        f"{leg}Total {approx}{_money(total, places, ROUND_UP)} {quote} is above"
                        f" the maximum {_plain(market.max_total)} {quote}"
                    )
                    break
            ref_price = max(price for _, price in legs)
            opened = opened_part(amount, side, closing, held)
            if eff_leverage is not None and opened > 0 and "amount" not in errors:
                # As the exchange reserves: margin of the opening part + the fee on the whole
                # order, at the order's own price (a marketable limit is checked at its limit).
                notional = amount * ref_price
                opening = opened * ref_price
                # margin + fee > free  <=>  opening * 100 + L * fee% * notional > free * L * 100
                lev = Decimal(eff_leverage)
                fees = lev * market.taker_fee * notional
                if opening * HUNDRED + fees > free_collateral * lev * HUNDRED:
                    needed = opening / lev + notional * market.taker_fee / HUNDRED
                    errors["amount"] = (
                        f"Needs {_money(needed, 2, ROUND_UP)} {quote} (margin + fee),"
                        f" {_money(max(free_collateral, ZERO), 2, ROUND_DOWN)} free"
                    )
        if eff_leverage is not None and side is not None and order_type is not None:
            fill = ref_price
            crosses = (
                order_type is OrderType.LIMIT
                and mark_price is not None
                and (ref_price >= mark_price if side is Side.BUY else ref_price <= mark_price)
            )
            if crosses:
                assert mark_price is not None
                fill = mark_price
            preview = build_preview(
                amount,
                fill,
                eff_leverage,
                side,
                position_side,
                closing,
                market,
                mark_price,
                held,
                crosses=crosses,
                pnl_known=order_type is not OrderType.OCO,
            )

    if errors or amount is None or side is None or order_type is None:
        return ValidationResult(errors=errors, request=None, preview=preview)

    request = OrderRequest(
        market=market.name,
        side=side,
        type=order_type,
        amount=amount,
        price=prices.get("price"),
        activation_price=prices.get("activation_price"),
        stop_limit_price=prices.get("stop_limit_price"),
        position_side=position_side,
        reduce_only=bool(form.reduce_only),
        client_order_id=client_order_id,
    )
    return ValidationResult(errors={}, request=request, preview=preview)


def _check_trigger_direction(
    errors: dict[str, str],
    side: Side,
    order_type: OrderType,
    prices: dict[str, Decimal],
    last: Decimal | None,
    market: Market,
) -> None:
    activation = prices.get("activation_price")
    buy = side is Side.BUY
    if activation is not None and last is not None and "activation_price" not in errors:
        if buy and activation <= last:
            errors["activation_price"] = (
                f"A buy stop triggers on a rise: must be above the last price {_plain(last)}"
            )
        elif not buy and activation >= last:
            errors["activation_price"] = (
                f"A sell stop triggers on a fall: must be below the last price {_plain(last)}"
            )
    if order_type is not OrderType.OCO:
        return
    take_profit = prices.get("price")
    if take_profit is None or "price" in errors:
        return
    if last is not None:
        if buy and take_profit >= last:
            errors["price"] = (
                f"Take profit of a buy OCO must be below the last price {_plain(last)}"
            )
        elif not buy and take_profit <= last:
            errors["price"] = (
                f"Take profit of a sell OCO must be above the last price {_plain(last)}"
            )
    if activation is not None and "activation_price" not in errors and "price" not in errors:
        if buy and activation <= take_profit:
            errors["activation_price"] = (
                "Buy OCO: the stop price must be above the take-profit price"
            )
        elif not buy and activation >= take_profit:
            errors["activation_price"] = (
                "Sell OCO: the stop price must be below the take-profit price"
            )
