"""WhiteBIT wire shapes: engine records -> JSON-ready dicts, and a JSON encoder.

Decimals that the API sends as strings are converted here with :func:`s`; a ``Decimal`` left in
a structure is written by :func:`dumps` as a JSON *number* (``collateral-account/balance`` and the
float Unix timestamps need that). ``float`` never appears.
"""

from __future__ import annotations

from decimal import Decimal
from json.encoder import encode_basestring_ascii as _quote
from typing import Any

from tui.domain import risk

from .engine import Engine, OcoGroup, SimOrder, SimPosition

TIME_Q = Decimal("0.000001")
MAX_PLACES = 12

# WebSocket order type ids: margin and futures orders use the margin ids 7-10.
WS_ORDER_TYPES = {"limit": 7, "market": 8, "stop limit": 9, "stop market": 10}
WS_SIDES = {"sell": 1, "buy": 2}


def s(value: Decimal | None) -> str | None:
    """A Decimal as a WhiteBIT string: plain notation, at most 12 places, trailing zeros trimmed."""
    if value is None:
        return None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PLACES:
        value = value.quantize(Decimal(1).scaleb(-MAX_PLACES))
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fixed(value: Decimal | None, places: int) -> str | None:
    if value is None:
        return None
    return format(value.quantize(Decimal(1).scaleb(-places)), "f")


def ts(value: Decimal | None) -> Decimal | None:
    """Unix seconds with microseconds, written as a JSON number."""
    if value is None:
        return None
    return value.quantize(TIME_Q)


# -- JSON ---------------------------------------------------------------------------------------
def _encode(obj: Any, out: list[str]) -> None:
    # Dispatch on the exact type first (the common case, and the hot path of every answer);
    # subclasses take the isinstance branches below. Strings are escaped as json.dumps does
    # (ASCII only) by the stdlib's C escaper.
    kind = type(obj)
    if kind is str:
        out.append(_quote(obj))
    elif kind is dict:
        _encode_dict(obj, out)
    elif obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif kind is Decimal or isinstance(obj, Decimal):
        if not obj.is_finite():
            raise ValueError("non-finite Decimal")
        text = format(obj, "f")
        out.append("0" if text == "-0" else text)
    elif kind is list or isinstance(obj, (list, tuple)):
        out.append("[")
        for i, value in enumerate(obj):
            if i:
                out.append(",")
            _encode(value, out)
        out.append("]")
    elif isinstance(obj, str):
        out.append(_quote(obj))
    elif isinstance(obj, int):
        out.append(str(int(obj)))
    elif isinstance(obj, dict):
        _encode_dict(obj, out)
    else:
        raise TypeError(f"cannot encode {type(obj).__name__}")


def _encode_dict(obj: dict[Any, Any], out: list[str]) -> None:
    out.append("{")
    first = True
    for key, value in obj.items():
        if first:
            first = False
        else:
            out.append(",")
        out.append(_quote(str(key)))
        out.append(":")
        _encode(value, out)
    out.append("}")


def dumps(obj: Any) -> str:
    out: list[str] = []
    _encode(obj, out)
    return "".join(out)


# -- orders -------------------------------------------------------------------------------------
def rest_order(order: SimOrder) -> dict[str, Any]:
    """Order object of the create/cancel/list endpoints (camelCase)."""
    data: dict[str, Any] = {
        "orderId": order.id,
        "clientOrderId": order.client_order_id,
        "market": order.market,
        "side": order.side,
        "type": order.type,
        "timestamp": ts(order.ctime),
        "dealMoney": s(order.deal_money),
        "dealStock": s(order.deal_stock),
        "amount": s(order.amount),
        "left": s(order.left),
        "dealFee": s(order.deal_fee),
    }
    if order.type != "market" and order.type != "stop market":
        data["price"] = s(order.price)
        data["postOnly"] = order.post_only
        data["ioc"] = order.ioc
    if order.is_stop:
        data["activation_price"] = s(order.activation_price)
        data["activationCondition"] = order.activation_condition
        data["activated"] = 1 if order.activated else 0
    data.update(
        {
            "status": order.status,
            "stp": order.stp,
            "oto": None,
            "positionSide": order.position_side,
            "rpi": False,
            "reduceOnly": order.reduce_only,
        }
    )
    return data


def history_order(order: SimOrder) -> dict[str, Any]:
    """A finished order of ``trade-account/order/history``."""
    return {
        "id": order.id,
        "clientOrderId": order.client_order_id,
        "amount": s(order.amount),
        "price": s(order.price if order.price is not None else _avg(order)),
        "type": _history_type(order),
        "side": order.side,
        "ctime": ts(order.ctime),
        "ftime": ts(order.ftime),
        "dealFee": s(order.deal_fee),
        "dealStock": s(order.deal_stock),
        "dealMoney": s(order.deal_money),
        "postOnly": order.post_only,
        "ioc": order.ioc,
        "status": _history_status(order),
        "feeAsset": "USDT",
        "positionSide": order.position_side,
        "rpi": False,
        "reduceOnly": order.reduce_only,
        "activation_price": s(order.activation_price) if order.is_stop else None,
        "source": order.source,
    }


def _avg(order: SimOrder) -> Decimal:
    return order.deal_money / order.deal_stock if order.deal_stock else Decimal(0)


def _history_type(order: SimOrder) -> str:
    return {
        "limit": "margin limit",
        "market": "margin market",
        "stop limit": "margin stop limit",
        "stop market": "trigger margin market",
    }[order.type]


def _history_status(order: SimOrder) -> str:
    if order.status == "CANCELED" and order.deal_stock > 0:
        return "PARTIALLY_FILLED"
    return order.status


def oco_leg_snake(order: SimOrder, maker_fee: Decimal, taker_fee: Decimal) -> dict[str, Any]:
    return {
        "id": order.id,
        "market": order.market,
        "type": order.type,
        "side": order.side,
        "amount": s(order.amount),
        "left": s(order.left),
        "price": s(order.price),
        "activation_price": s(order.activation_price),
        "activation_condition": order.activation_condition,
        "activated": 1 if order.activated else 0,
        "client_order_id": order.client_order_id,
        "post_only": order.post_only,
        "ioc": order.ioc,
        "stp": order.stp,
        "status": order.status,
        "ctime": ts(order.ctime),
        "mtime": ts(order.mtime),
        "deal_stock": s(order.deal_stock),
        "deal_money": s(order.deal_money),
        "deal_fee": s(order.deal_fee),
        "takerFee": s(taker_fee),
        "makerFee": s(maker_fee),
        "position_side": order.position_side,
        "reduce_only": order.reduce_only,
    }


def oco_leg_camel(order: SimOrder, maker_fee: Decimal, taker_fee: Decimal) -> dict[str, Any]:
    """The same leg with camelCase keys (``/api/v4/conditional-orders``)."""
    return {_camel(k): v for k, v in oco_leg_snake(order, maker_fee, taker_fee).items()}


def _camel(key: str) -> str:
    head, *words = key.split("_")
    return head + "".join(word.title() for word in words)


def oco(group: OcoGroup, tp: SimOrder, sl: SimOrder, maker: Decimal, taker: Decimal) -> dict:
    return {
        "id": group.id,
        "reduceOnly": group.reduce_only,
        "stop_loss": oco_leg_snake(sl, maker, taker),
        "take_profit": oco_leg_snake(tp, maker, taker),
    }


def ws_order(order: SimOrder) -> dict[str, Any]:
    data = {
        "id": order.id,
        "market": order.market,
        "type": WS_ORDER_TYPES[order.type],
        "side": WS_SIDES[order.side],
        "post_only": order.post_only,
        "ioc": order.ioc,
        "ctime": ts(order.ctime),
        "mtime": ts(order.mtime),
        "price": s(order.price) if order.price is not None else "0",
        "amount": s(order.amount),
        "left": s(order.left),
        "deal_stock": s(order.deal_stock),
        "deal_money": s(order.deal_money),
        "deal_fee": s(order.deal_fee),
        "client_order_id": order.client_order_id,
        "stp": order.stp,
        "status": order.status,
        "position_side": order.position_side,
        "rpi": False,
        "retail": False,
        "reduce_only": order.reduce_only,
    }
    if order.is_stop:
        data["activation_price"] = s(order.activation_price)
        data["activation_condition"] = order.activation_condition
        data["activated"] = 1 if order.activated else 0
    return data


# -- positions ----------------------------------------------------------------------------------
def rest_position(
    pos: SimPosition,
    *,
    pnl: Decimal,
    liq_price: Decimal | None,
    free_margin: Decimal,
    price: Decimal,
) -> dict[str, Any]:
    """``positions/open`` record. ``amount`` is signed (negative = short), as the stream does.

    ``pnl`` follows the current OAS (realized PnL from partial closes); the floating PnL is in
    ``unrealizedPnl``. ``pnlPercent`` is the unrealized PnL in percent of the position margin.
    """
    base = pos.margin if pos.margin > 0 else Decimal(1)
    return {
        "positionId": pos.id,
        "market": pos.market,
        "openDate": ts(pos.open_time),
        "modifyDate": ts(pos.modify_time),
        "amount": s(pos.signed_amount),
        "basePrice": s(pos.entry),
        "liquidationPrice": s(liq_price),
        "liquidationState": pos.liq_stage,
        "pnl": s(pos.realized_pnl.quantize(Decimal("0.00000001"))),
        "unrealizedPnl": s(pnl.quantize(Decimal("0.00000001"))),
        "pnlPercent": fixed(pnl / base * 100, 2),
        "margin": s(pos.margin),
        "freeMargin": s(free_margin),
        "funding": s(pos.funding),
        "unrealizedFunding": s(pos.unrealized_funding),
        "tpsl": None,
        "positionSide": pos.position_side,
        "amountInMoney": s(pos.size * price),
    }


def ws_position(
    pos: SimPosition,
    *,
    pnl: Decimal,
    liq_price: Decimal | None,
    free_margin: Decimal,
    price: Decimal,
) -> dict[str, Any]:
    """One ``positionsMargin_update`` record (snake_case, negative amount for shorts)."""
    return {
        "id": pos.id,
        "market": pos.market,
        "ctime": ts(pos.open_time),
        "mtime": ts(pos.modify_time),
        "amount": s(pos.signed_amount),
        "amount_in_money": s(pos.size * price),
        "base_price": s(pos.entry),
        "pnl": s(pnl.quantize(Decimal("0.00000001"))),
        "liq_price": s(liq_price),
        "liq_stage": pos.liq_stage,
        "unrealized_funding": s(pos.unrealized_funding),
        "funding": s(pos.funding),
        "margin": s(pos.margin),
        "free_margin": s(free_margin),
        "realized_pnl": s(pos.realized_pnl.quantize(Decimal("0.00000001"))),
        "position_side": pos.position_side,
    }


def position_record(engine: Engine, pos: SimPosition, *, ws: bool = False) -> dict[str, Any]:
    """A position as REST (or, with ``ws``, the WebSocket) reports it, with live figures."""
    shape = ws_position if ws else rest_position
    return shape(
        pos,
        pnl=engine.position_pnl(pos),
        liq_price=_q_price(engine, pos.market, engine.liquidation_price(pos)),
        free_margin=engine.available(),
        price=engine.prices[pos.market],
    )


def _q_price(engine: Engine, market: str, value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return risk.quantize_price(value, engine.catalog[market].market.price_step)


def position_event(event: dict[str, Any]) -> dict[str, Any]:
    detail = event["orderDetail"]
    return {
        "positionId": event["positionId"],
        "market": event["market"],
        "openDate": ts(event["openDate"]),
        "modifyDate": ts(event["modifyDate"]),
        "amount": s(event["amount"]),
        "basePrice": s(event["basePrice"]),
        "realizedFunding": s(event["realizedFunding"]),
        "liquidationPrice": s(event["liquidationPrice"]),
        "liquidationState": event["liquidationState"],
        "orderDetail": {
            "id": detail["id"],
            "tradeAmount": s(detail["tradeAmount"]),
            "price": s(detail["price"]),
            "tradeFee": s(detail["tradeFee"]),
            "fundingFee": s(detail["fundingFee"]),
            "realizedPnl": s(detail["realizedPnl"]),
        },
        # both the pre-2026-04-29 field and its replacement, so old and new clients parse it
        "positionSide": event["positionSide"],
        "side": event["side"],
        "isHedge": event["isHedge"],
    }


def deal(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record["id"],
        "orderId": record["orderId"],
        "clientOrderId": record["clientOrderId"],
        "time": ts(record["time"]),
        "side": record["side"],
        "role": record["role"],
        "amount": s(record["amount"]),
        "price": s(record["price"]),
        "deal": s(record["deal"]),
        "fee": s(record["fee"]),
        "feeAsset": record["feeAsset"],
    }


def funding_payment(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "market": record["market"],
        "fundingTime": s(record["fundingTime"].to_integral_value()),
        "fundingRate": s(record["fundingRate"]),
        "fundingAmount": s(record["fundingAmount"]),
        "positionAmount": s(record["positionAmount"]),
        "settlementPrice": s(record["settlementPrice"]),
        "rateCalculatedTime": s(record["rateCalculatedTime"].to_integral_value()),
    }


def order_deal(record: dict[str, Any]) -> dict[str, Any]:
    """One deal as ``trade-account/order`` reports it: :func:`deal` without the side, the order
    id as ``dealOrderId`` and an ``rpi`` flag."""
    out = deal(record)
    del out["side"]
    out["dealOrderId"] = out.pop("orderId")
    out["rpi"] = False
    return out
