"""Orders (REST and WS), OCO pairs, order types."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tui.domain.models import ZERO, Order, OrderType, Side

from .scalars import (
    ParseError,
    _bool,
    _dec_opt,
    _dec_or_zero,
    _first,
    _int_opt,
    _list,
    _obj,
    _position_side,
    _positive_or_none,
    _req,
    _str,
    to_int,
)

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
        return _WS_TYPES[to_int(value, "type")]
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
        id=to_int(_req(d, "orderId", "id"), "orderId"),
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
        id=to_int(_req(d, "id"), "id"),
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
    oco_id = to_int(_req(d, "id"), "id")
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
