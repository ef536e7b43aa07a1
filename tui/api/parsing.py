"""WhiteBIT JSON -> domain models. Pure functions, no I/O.

Input is JSON already decoded with ``parse_float=Decimal``: amounts are decimal strings (or,
for ``collateral-account/balance`` and timestamps, ``Decimal``/``int`` numbers). A ``float``
here means somebody decoded without ``parse_float=Decimal``; it is refused rather than silently
rounded. Any shape problem raises :class:`ParseError` (the REST client turns it into
``MalformedResponseError``; the stream reports it through ``on_error``).

REST is camelCase with side "buy"/"sell" and type strings; WebSocket is snake_case with side
1 = sell / 2 = buy, integer order types and a negative ``amount`` for shorts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
import enum
from typing import Any, TypeVar

from tui.domain.markets import leverages_for, product_of
from tui.domain.models import (
    ZERO,
    AccountSummary,
    Balance,
    FundingPayment,
    FuturesInfo,
    LiquidationState,
    Market,
    Order,
    OrderType,
    Position,
    PositionEvent,
    PositionSide,
    Product,
    Side,
)

__all__ = [
    "ParseError",
    "loads",
    "order_type_from_rest",
    "order_type_from_ws",
    "parse_account_summary",
    "parse_balance_summary",
    "parse_collateral_balance",
    "parse_conditional_oco_legs",
    "parse_funding_history",
    "parse_futures",
    "parse_market",
    "parse_markets",
    "parse_oco",
    "parse_order",
    "parse_order_history",
    "parse_orders",
    "parse_position",
    "parse_position_events",
    "parse_positions",
    "parse_tickers",
    "parse_ws_order",
    "parse_ws_position",
    "parse_ws_positions",
    "to_decimal",
]


class ParseError(ValueError):
    """A payload did not have the documented shape."""


def loads(data: bytes | str) -> Any:
    """JSON with every non-integer number as ``Decimal`` (never a float)."""
    return json.loads(data, parse_float=Decimal)


# ---------------------------------------------------------------------------- scalars


def to_decimal(value: Any, name: str = "value") -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ParseError(f"{name}: expected a number, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ParseError(f"{name}: not a decimal: {value[:40]!r}") from None
    elif isinstance(value, float):
        raise ParseError(f"{name}: float received (JSON must be parsed with parse_float=Decimal)")
    else:
        raise ParseError(f"{name}: expected a number, got {type(value).__name__}")
    if not result.is_finite():
        raise ParseError(f"{name}: not finite")
    return result


def _dec_opt(value: Any, name: str) -> Decimal | None:
    """None for null, "", "NaN" (WhiteBIT sends "NaN" for some liquidation prices)."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in ("", "nan", "null", "none"):
        return None
    return to_decimal(value, name)


def _dec_or_zero(value: Any, name: str) -> Decimal:
    result = _dec_opt(value, name)
    return ZERO if result is None else result


def _positive_or_none(value: Any, name: str) -> Decimal | None:
    """Prices where 0 means "none" (a liquidation price of 0: never liquidated by price)."""
    result = _dec_opt(value, name)
    if result is None or result <= 0:
        return None
    return result


def _int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ParseError(f"{name}: expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            pass
        else:
            if d.is_finite() and d == d.to_integral_value():
                return int(d)
    raise ParseError(f"{name}: expected an integer, got {value!r}")


def _int_opt(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    return _int(value, name)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return False


def _str(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ParseError(f"{name}: expected a non-empty string, got {value!r}")
    return value


def _obj(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ParseError(f"{name}: expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise ParseError(f"{name}: expected an array, got {type(value).__name__}")
    return value


def _first(d: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        if key in d and d[key] is not None:
            return d[key]
    return default


E = TypeVar("E", bound=enum.Enum)


def _req(d: Mapping[str, Any], *keys: str) -> Any:
    value = _first(d, *keys)
    if value is None:
        raise ParseError(f"missing field {keys[0]!r}")
    return value


def _enum_or_none(cls: type[E], text: str | None) -> E | None:
    """The enum member named by ``text``, or None for a missing or unknown value."""
    if not text:
        return None
    try:
        return cls(text)
    except ValueError:
        return None


def _liq_state(value: Any) -> LiquidationState | None:
    return _enum_or_none(LiquidationState, None if value is None else str(value).lower())


def _position_side(value: Any) -> PositionSide | None:
    return _enum_or_none(PositionSide, None if value is None else str(value).upper())


# ---------------------------------------------------------------------------- market data


def parse_market(d: Mapping[str, Any]) -> Market | None:
    """One ``/public/markets`` row, or None when it is neither a margin pair nor a perpetual."""
    d = _obj(d, "market")
    kind = str(d.get("type") or "spot").lower()
    if kind == "futures":
        product = Product.FUTURES
    elif kind == "spot" and _bool(d.get("isCollateral")):
        product = Product.MARGIN
    else:
        return None
    name = _str(d.get("name"), "name")
    if product_of(name) is not product:
        return None  # a "futures" row not named *_PERP (or vice versa): not something we trade
    quote = str(d.get("money") or "")
    if product is Product.FUTURES and quote.upper() in ("", "PERP"):
        # ccxt maps money == "PERP" to USDT: older responses used "PERP" for the quote.
        quote = "USDT"
    leverages = leverages_for(product)
    return Market(
        name=name,
        product=product,
        base=_str(d.get("stock"), "stock"),
        quote=quote,
        amount_precision=_int(_req(d, "stockPrec"), "stockPrec"),
        price_precision=_int(_req(d, "moneyPrec"), "moneyPrec"),
        min_amount=to_decimal(_req(d, "minAmount"), "minAmount"),
        min_total=_dec_or_zero(d.get("minTotal"), "minTotal"),
        max_total=_dec_or_zero(d.get("maxTotal"), "maxTotal"),
        maker_fee=_dec_or_zero(d.get("makerFee"), "makerFee"),
        taker_fee=_dec_or_zero(d.get("takerFee"), "takerFee"),
        leverages=leverages,
        max_leverage=max(leverages),
    )


def parse_markets(data: Any) -> list[Market]:
    out: list[Market] = []
    for row in _list(data, "markets"):
        if isinstance(row, Mapping) and row.get("delistedAt"):
            continue
        market = parse_market(row)
        if market is not None:
            out.append(market)
    return out


def parse_tickers(data: Any) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for name, row in _obj(data, "ticker").items():
        if not isinstance(row, Mapping):
            continue
        price = _dec_opt(row.get("last_price"), f"{name}.last_price")
        if price is not None:
            out[str(name)] = price
    return out


def parse_futures(data: Any) -> list[FuturesInfo]:
    if isinstance(data, Mapping):
        if data.get("success") is False:
            raise ParseError(str(data.get("message") or "futures list unavailable"))
        data = data.get("result")
    out: list[FuturesInfo] = []
    for row in _list(data, "result"):
        row = _obj(row, "futures")
        brackets: dict[str, Decimal] = {}
        raw_brackets = row.get("brackets")
        if isinstance(raw_brackets, Mapping):
            for lev, cap in raw_brackets.items():
                brackets[str(lev)] = to_decimal(cap, f"brackets.{lev}")
        out.append(
            FuturesInfo(
                market=_str(_req(row, "ticker_id"), "ticker_id"),
                last_price=_dec_or_zero(row.get("last_price"), "last_price"),
                index_price=_dec_or_zero(row.get("index_price"), "index_price"),
                funding_rate=_dec_or_zero(row.get("funding_rate"), "funding_rate"),
                next_funding_ms=_int_opt(row.get("next_funding_rate_timestamp"), "next_funding")
                or 0,
                max_leverage=_int_opt(row.get("max_leverage"), "max_leverage") or 0,
                funding_interval_minutes=_int_opt(
                    row.get("funding_interval_minutes"), "funding_interval_minutes"
                )
                or 0,
                brackets=brackets,
            )
        )
    return out


# ---------------------------------------------------------------------------- account


def parse_collateral_balance(data: Any) -> dict[str, Decimal]:
    """``{"USDT": 1000.5, "BTC": 0}`` (JSON numbers, decoded as Decimal/int) -> Decimals."""
    return {str(k): to_decimal(v, str(k)) for k, v in _obj(data, "balance").items()}


def parse_balance_summary(data: Any) -> list[Balance]:
    out: list[Balance] = []
    for row in _list(data, "balance-summary"):
        row = _obj(row, "balance")
        out.append(
            Balance(
                asset=_str(_req(row, "asset"), "asset"),
                balance=_dec_or_zero(row.get("balance"), "balance"),
                borrow=_dec_or_zero(row.get("borrow"), "borrow"),
                available_without_borrow=_dec_opt(
                    row.get("availableWithoutBorrow"), "availableWithoutBorrow"
                ),
                available_with_borrow=_dec_opt(
                    row.get("availableWithBorrow"), "availableWithBorrow"
                ),
            )
        )
    return out


def parse_account_summary(data: Any) -> AccountSummary:
    d = _obj(data, "summary")
    margin_fraction = _dec_opt(d.get("marginFraction"), "marginFraction")
    return AccountSummary(
        equity=to_decimal(_req(d, "equity"), "equity"),
        margin=_dec_or_zero(d.get("margin"), "margin"),
        free_margin=_dec_or_zero(d.get("freeMargin"), "freeMargin"),
        unrealized_funding=_dec_or_zero(d.get("unrealizedFunding"), "unrealizedFunding"),
        pnl=_dec_or_zero(d.get("pnl"), "pnl"),
        leverage=_int(_req(d, "leverage"), "leverage"),
        margin_fraction=margin_fraction,
        maintenance_margin_fraction=_dec_opt(
            d.get("maintenanceMarginFraction"), "maintenanceMarginFraction"
        ),
    )


# ---------------------------------------------------------------------------- positions


def _signed_amount(amount: Decimal, side: PositionSide | None) -> Decimal:
    # Position.amount is signed (negative = short), as the WS stream reports it. The REST sign
    # for shorts is unconfirmed: a SHORT (hedge mode) row with a positive amount is negated.
    if side is PositionSide.SHORT and amount > 0:
        return -amount
    if side is PositionSide.LONG and amount < 0:
        return -amount
    return amount


def parse_position(d: Mapping[str, Any]) -> Position:
    """One ``collateral-account/positions/open`` row."""
    d = _obj(d, "position")
    market = _str(_req(d, "market"), "market")
    side = _position_side(d.get("positionSide")) or PositionSide.BOTH
    # ``pnl`` changed meaning between doc versions (OLD: unrealized; current OAS: realized from
    # partial closes, with the unrealized value in ``unrealizedPnl``). When ``unrealizedPnl`` is
    # present we follow the current docs; otherwise ``pnl`` is the only PnL there is.
    if d.get("unrealizedPnl") is not None:
        pnl = _dec_or_zero(d.get("unrealizedPnl"), "unrealizedPnl")
        realized = _dec_or_zero(d.get("pnl"), "pnl")
    else:
        pnl = _dec_or_zero(d.get("pnl"), "pnl")
        realized = _dec_or_zero(d.get("realizedPnl"), "realizedPnl")
    return Position(
        id=_int(_req(d, "positionId", "id"), "positionId"),
        market=market,
        # OLD: amount/basePrice/liquidationPrice/pnl may be null while a borrowing order has not
        # opened the position yet.
        amount=_signed_amount(_dec_or_zero(d.get("amount"), "amount"), side),
        base_price=_positive_or_none(d.get("basePrice"), "basePrice"),
        liquidation_price=_positive_or_none(d.get("liquidationPrice"), "liquidationPrice"),
        liquidation_state=_liq_state(d.get("liquidationState")),
        margin=_dec_or_zero(d.get("margin"), "margin"),
        free_margin=_dec_or_zero(d.get("freeMargin"), "freeMargin"),
        pnl=pnl,
        realized_pnl=realized,
        funding=_dec_or_zero(d.get("funding"), "funding"),
        unrealized_funding=_dec_or_zero(d.get("unrealizedFunding"), "unrealizedFunding"),
        position_side=side,
        open_time=_dec_opt(d.get("openDate"), "openDate"),
        modify_time=_dec_opt(d.get("modifyDate"), "modifyDate"),
        product=product_of(market),
    )


def parse_positions(data: Any) -> list[Position]:
    return [parse_position(row) for row in _list(data, "positions")]


def parse_ws_position(d: Mapping[str, Any]) -> Position:
    """One ``positionsMargin_update`` record (snake_case, amount negative for shorts)."""
    d = _obj(d, "position")
    market = _str(_req(d, "market"), "market")
    side = _position_side(d.get("position_side")) or PositionSide.BOTH
    amount = _dec_or_zero(d.get("amount"), "amount")
    if side is PositionSide.LONG and amount < 0:
        # The docs' own example pairs amount "-0.01" with "LONG" (inconsistent). The signed
        # amount is the more specific fact; the side label is treated as unreliable then.
        side = PositionSide.BOTH
    return Position(
        id=_int(_req(d, "id"), "id"),
        market=market,
        amount=amount,
        base_price=_positive_or_none(d.get("base_price"), "base_price"),
        liquidation_price=_positive_or_none(d.get("liq_price"), "liq_price"),
        liquidation_state=_liq_state(d.get("liq_stage")),
        margin=_dec_or_zero(d.get("margin"), "margin"),
        free_margin=_dec_or_zero(d.get("free_margin"), "free_margin"),
        pnl=_dec_or_zero(d.get("pnl"), "pnl"),
        realized_pnl=_dec_or_zero(d.get("realized_pnl"), "realized_pnl"),
        funding=_dec_or_zero(d.get("funding"), "funding"),
        unrealized_funding=_dec_or_zero(d.get("unrealized_funding"), "unrealized_funding"),
        position_side=side,
        open_time=_dec_opt(d.get("ctime"), "ctime"),
        modify_time=_dec_opt(d.get("mtime"), "mtime"),
        product=product_of(market),
    )


def parse_ws_positions(params: Any) -> list[Position]:
    """``positionsMargin_update`` params ``{"total": n, "records": [...]}`` (full snapshot)."""
    if isinstance(params, list) and len(params) == 1 and isinstance(params[0], Mapping):
        params = params[0]  # tolerate a one-element array wrapper
    p = _obj(params, "params")
    return [parse_ws_position(r) for r in _list(p.get("records", []), "records")]


def parse_position_events(data: Any) -> list[PositionEvent]:
    out: list[PositionEvent] = []
    for row in _list(data, "positions/history"):
        row = _obj(row, "position event")
        detail = row.get("orderDetail")
        detail = detail if isinstance(detail, Mapping) else {}
        amount = _dec_or_zero(row.get("amount"), "amount")
        # 2026-04-29: ``positionSide`` was replaced by ``side`` + ``isHedge``; accept both.
        side = row.get("side")
        if isinstance(side, str) and side.upper() in ("LONG", "SHORT"):
            side_s = side.upper()
            is_hedge = _bool(row.get("isHedge"))
        else:
            ps = _position_side(row.get("positionSide"))
            if ps in (PositionSide.LONG, PositionSide.SHORT):
                side_s = ps.value
                is_hedge = _bool(row.get("isHedge")) if "isHedge" in row else False
            else:
                side_s = "SHORT" if amount < 0 else "LONG"
                is_hedge = False
        out.append(
            PositionEvent(
                position_id=_int(_req(row, "positionId"), "positionId"),
                market=_str(_req(row, "market"), "market"),
                open_time=_dec_opt(row.get("openDate"), "openDate"),
                modify_time=_dec_opt(row.get("modifyDate"), "modifyDate"),
                amount=amount,
                base_price=_positive_or_none(row.get("basePrice"), "basePrice"),
                realized_funding=_dec_or_zero(row.get("realizedFunding"), "realizedFunding"),
                liquidation_price=_positive_or_none(row.get("liquidationPrice"), "liqPrice"),
                liquidation_state=_liq_state(row.get("liquidationState")),
                order_id=_int_opt(detail.get("id"), "orderDetail.id"),
                trade_amount=_dec_opt(detail.get("tradeAmount"), "tradeAmount"),
                trade_price=_dec_opt(detail.get("price"), "price"),
                trade_fee=_dec_opt(detail.get("tradeFee"), "tradeFee"),
                funding_fee=_dec_opt(detail.get("fundingFee"), "fundingFee"),
                realized_pnl=_dec_opt(detail.get("realizedPnl"), "realizedPnl"),
                side=side_s,
                is_hedge=is_hedge,
            )
        )
    return out


def parse_funding_history(data: Any) -> list[FundingPayment]:
    rows = data.get("records") if isinstance(data, Mapping) else data
    out: list[FundingPayment] = []
    for row in _list(rows, "records"):
        row = _obj(row, "funding")
        out.append(
            FundingPayment(
                market=_str(_req(row, "market"), "market"),
                funding_time=to_decimal(_req(row, "fundingTime"), "fundingTime"),
                funding_rate=_dec_or_zero(row.get("fundingRate"), "fundingRate"),
                funding_amount=_dec_or_zero(row.get("fundingAmount"), "fundingAmount"),
                position_amount=_dec_or_zero(row.get("positionAmount"), "positionAmount"),
                settlement_price=_dec_or_zero(row.get("settlementPrice"), "settlementPrice"),
            )
        )
    return out


# ---------------------------------------------------------------------------- orders

_REST_TYPES: dict[str, OrderType] = {
    "limit": OrderType.LIMIT,
    "margin limit": OrderType.LIMIT,
    "market": OrderType.MARKET,
    "margin market": OrderType.MARKET,
    "stock market": OrderType.MARKET,
    "market stock": OrderType.MARKET,
    "stop limit": OrderType.STOP_LIMIT,
    "stop_limit": OrderType.STOP_LIMIT,
    "margin stop limit": OrderType.STOP_LIMIT,
    "stop market": OrderType.TRIGGER_MARKET,
    "stop_market": OrderType.TRIGGER_MARKET,
    "trigger market": OrderType.TRIGGER_MARKET,
    "trigger_market": OrderType.TRIGGER_MARKET,
    "margin stop market": OrderType.TRIGGER_MARKET,
    "trigger margin market": OrderType.TRIGGER_MARKET,
    "margin trigger market": OrderType.TRIGGER_MARKET,
    "oco": OrderType.OCO,
}

#: WS order type ids. Margin and futures orders use 7-10; 1-4 are spot.
_WS_TYPES: dict[int, OrderType] = {
    1: OrderType.LIMIT,
    2: OrderType.MARKET,
    202: OrderType.MARKET,
    3: OrderType.STOP_LIMIT,
    4: OrderType.TRIGGER_MARKET,
    7: OrderType.LIMIT,
    8: OrderType.MARKET,
    9: OrderType.STOP_LIMIT,
    10: OrderType.TRIGGER_MARKET,
    14: OrderType.MARKET,  # margin normalization (a forced market order)
}


def order_type_from_rest(value: Any) -> OrderType:
    if isinstance(value, int) and not isinstance(value, bool):
        return order_type_from_ws(value)
    text = " ".join(str(value or "").strip().lower().replace("-", " ").split())
    if text in _REST_TYPES:
        return _REST_TYPES[text]
    if "stop" in text and "limit" in text:
        return OrderType.STOP_LIMIT
    if "stop" in text or "trigger" in text:
        return OrderType.TRIGGER_MARKET
    if "limit" in text:
        return OrderType.LIMIT
    if "market" in text:
        return OrderType.MARKET
    raise ParseError(f"unknown order type {str(value)[:40]!r}")


def order_type_from_ws(value: Any) -> OrderType:
    try:
        return _WS_TYPES[_int(value, "type")]
    except KeyError:
        raise ParseError(f"unknown WS order type {value!r}") from None


def _side(value: Any) -> Side:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("buy", "sell"):
            return Side(text)
        if text in ("1", "2"):
            value = int(text)
    if isinstance(value, int) and not isinstance(value, bool):
        if value == 1:
            return Side.SELL
        if value == 2:
            return Side.BUY
    raise ParseError(f"unknown side {value!r}")


def parse_order(
    d: Mapping[str, Any], *, market: str | None = None, oco_id: int | None = None
) -> Order:
    """An order object from REST: create responses and ``/orders`` (camelCase, ``orderId``),
    order history (``id``, ``ctime``, no ``left``), OCO legs (snake_case)."""
    d = _obj(d, "order")
    otype = order_type_from_rest(_req(d, "type"))
    amount = _dec_or_zero(d.get("amount"), "amount")
    deal_stock = _dec_or_zero(_first(d, "dealStock", "deal_stock"), "dealStock")
    left_raw = d.get("left")
    left = _dec_opt(left_raw, "left") if left_raw is not None else None
    if left is None:
        left = max(amount - deal_stock, ZERO)
    price = _dec_opt(d.get("price"), "price")
    if price is not None and price == 0 and otype in (OrderType.MARKET, OrderType.TRIGGER_MARKET):
        price = None
    return Order(
        id=_int(_req(d, "orderId", "id"), "orderId"),
        market=_str(_first(d, "market", default=market), "market"),
        side=_side(_req(d, "side")),
        type=otype,
        amount=amount,
        left=left,
        price=price,
        activation_price=_positive_or_none(
            _first(d, "activation_price", "activationPrice"), "activation_price"
        ),
        stop_limit_price=_positive_or_none(
            _first(d, "stop_limit_price", "stopLimitPrice"), "stop_limit_price"
        ),
        deal_stock=deal_stock,
        deal_money=_dec_or_zero(_first(d, "dealMoney", "deal_money"), "dealMoney"),
        deal_fee=_dec_or_zero(_first(d, "dealFee", "deal_fee"), "dealFee"),
        client_order_id=str(_first(d, "clientOrderId", "client_order_id", default="")),
        status=str(d.get("status") or ""),
        position_side=_position_side(_first(d, "positionSide", "position_side")),
        reduce_only=_bool(_first(d, "reduceOnly", "reduce_only", default=False)),
        timestamp=_dec_opt(_first(d, "timestamp", "ctime"), "timestamp"),
        oco_id=oco_id if oco_id is not None else _int_opt(_first(d, "oco_id", "ocoId"), "ocoId"),
    )


def parse_orders(data: Any, *, market: str | None = None) -> list[Order]:
    if isinstance(data, Mapping) and "records" in data:
        data = data["records"]
    return [parse_order(row, market=market) for row in _list(data, "orders")]


def parse_order_history(data: Any) -> list[Order]:
    """``trade-account/order/history``: ``{"BTC_USDT": [...], ...}`` (or a flat array)."""
    if isinstance(data, list):
        return parse_orders(data)
    out: list[Order] = []
    for market, rows in _obj(data, "order history").items():
        if isinstance(rows, list):
            out.extend(parse_order(row, market=str(market)) for row in rows)
    return out


def parse_ws_order(d: Mapping[str, Any]) -> Order:
    """An ``ordersPending_update`` order (snake_case, integer type and side)."""
    d = _obj(d, "order")
    otype = order_type_from_ws(_req(d, "type"))
    price = _dec_opt(d.get("price"), "price")
    if price is not None and price == 0 and otype in (OrderType.MARKET, OrderType.TRIGGER_MARKET):
        price = None
    amount = _dec_or_zero(d.get("amount"), "amount")
    deal_stock = _dec_or_zero(d.get("deal_stock"), "deal_stock")
    left = _dec_opt(d.get("left"), "left")
    return Order(
        id=_int(_req(d, "id"), "id"),
        market=_str(_req(d, "market"), "market"),
        side=_side(_req(d, "side")),
        type=otype,
        amount=amount,
        left=left if left is not None else max(amount - deal_stock, ZERO),
        price=price,
        activation_price=_positive_or_none(d.get("activation_price"), "activation_price"),
        deal_stock=deal_stock,
        deal_money=_dec_or_zero(d.get("deal_money"), "deal_money"),
        deal_fee=_dec_or_zero(d.get("deal_fee"), "deal_fee"),
        client_order_id=str(d.get("client_order_id") or ""),
        status=str(d.get("status") or ""),
        position_side=_position_side(d.get("position_side")),
        reduce_only=_bool(d.get("reduce_only", False)),
        timestamp=_dec_opt(_first(d, "ctime", "mtime"), "ctime"),
    )


def parse_oco(data: Any, *, market: str | None = None) -> list[Order]:
    """An OCO create / ``oco-orders`` / ``oco-cancel`` object ``{id, stop_loss, take_profit}``
    (snake_case legs) or a ``conditional-orders`` OCO record (camelCase legs) -> two orders."""
    d = _obj(data, "oco")
    oco_id = _int(_req(d, "id"), "id")
    legs: list[Order] = []
    for key in ("take_profit", "takeProfit", "stop_loss", "stopLoss"):
        leg = d.get(key)
        if isinstance(leg, Mapping):
            legs.append(parse_order(leg, market=_first(d, "market", default=market), oco_id=oco_id))
    if not legs:
        raise ParseError("OCO without legs")
    return legs


def parse_conditional_oco_legs(data: Any) -> list[Order]:
    """OCO legs from ``conditional-orders`` (``{records:[...]}``) or ``oco-orders`` (array).
    OTO records are skipped (their conditional order is not an OCO leg)."""
    rows = data.get("records") if isinstance(data, Mapping) else data
    out: list[Order] = []
    for row in _list(rows or [], "records"):
        if not isinstance(row, Mapping):
            continue
        if str(row.get("type", "oco")).lower() != "oco":
            continue
        out.extend(parse_oco(row))
    return out
