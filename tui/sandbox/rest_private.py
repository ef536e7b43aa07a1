"""Private REST handlers (account, positions, orders): typed parameters, one engine call, a
wire shape. ``PRIVATE`` maps each POST path to its handler; the server authenticates first."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from tui.domain import risk

from . import errors, numbers, wire
from .engine import Engine
from .rest_history import TRADE_HISTORY
from .rest_killswitch import KILL_SWITCH
from .rest_params import Context, Params, in_dates, market_param

D = Decimal
STP_VALUES = {
    "no": "no",
    "cb": "cb",
    "cn": "cn",
    "co": "co",
    "cancel_both": "cb",
    "cancel_new": "cn",
    "cancel_old": "co",
}


# -- account --------------------------------------------------------------------------------------
def balance(ctx: Context, p: Params) -> Any:
    balances = ctx.engine.available_balances()
    ticker = p.str("ticker")
    if ticker is not None:
        if ticker.upper() not in balances:
            raise errors.validation(30, "ticker", "ticker is invalid.")
        balances = {ticker.upper(): balances[ticker.upper()]}
    # Decimal values are written as JSON numbers, as WhiteBIT sends them on this endpoint only
    return {asset: D(wire.s(value) or "0") for asset, value in balances.items()}


def balance_summary(ctx: Context, p: Params) -> Any:
    rows = ctx.engine.balance_summary()
    ticker = p.str("ticker")
    if ticker is not None:
        rows = [r for r in rows if r["asset"] == ticker.upper()]
        if not rows:
            raise errors.validation(30, "ticker", "ticker is invalid.")
    return [
        {
            "asset": r["asset"],
            "balance": wire.s(r["balance"]),
            "borrow": wire.s(r["borrow"]),
            "availableWithoutBorrow": wire.s(r["availableWithoutBorrow"]),
            "availableWithBorrow": wire.s(r["availableWithBorrow"]),
        }
        for r in rows
    ]


def summary(ctx: Context, p: Params) -> Any:
    data = ctx.engine.summary()
    return {k: (v if k == "leverage" else wire.s(_q8(v))) for k, v in data.items()}


def _q8(value: Decimal) -> Decimal:
    return value.quantize(D("1e-8")) if abs(value) < 10**15 else value


def leverage(ctx: Context, p: Params) -> Any:
    value = p.int("leverage", required=True)
    assert value is not None
    return {"leverage": ctx.engine.set_leverage(value)}


def hedge_mode(ctx: Context, p: Params) -> Any:
    return {"hedgeMode": ctx.engine.hedge_mode}


def hedge_mode_update(ctx: Context, p: Params) -> Any:
    if p.raw("hedgeMode") is None:
        raise errors.required("hedgeMode")
    return {"hedgeMode": ctx.engine.set_hedge_mode(p.bool("hedgeMode"))}


def positions_open(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=False)
    return [wire.position_record(ctx.engine, pos) for pos in ctx.engine.open_positions(market)]


def position_close(ctx: Context, p: Params) -> Any:
    position_id = p.int("positionId", required=True)
    market = market_param(ctx, p, required=True)
    side = p.str("positionSide")
    assert position_id is not None and market is not None
    ctx.engine.close_position(position_id, market, side)
    return []  # OLD docs show [] (the OAS documents no body)


def positions_history(ctx: Context, p: Params) -> Any:
    engine = ctx.engine
    position_id = p.int("positionId", minimum=0)
    market = None if position_id is not None else market_param(ctx, p, required=False)
    start, end = p.dates()
    limit, offset = p.page(50, 100)
    rows = [
        e
        for e in reversed(engine.position_events)
        if (position_id is None or e["positionId"] == position_id)
        and (market is None or e["market"] == market)
        and in_dates(e["modifyDate"], start, end)
    ]
    return [wire.position_event(e) for e in rows[offset : offset + limit]]


def funding_history(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=False)
    start, end = p.dates()
    limit, offset = p.page(100, 100)
    rows = [
        r
        for r in reversed(ctx.engine.funding_payments)
        if (market is None or r["market"] == market) and in_dates(r["fundingTime"], start, end)
    ]
    return {
        "records": [wire.funding_payment(r) for r in rows[offset : offset + limit]],
        "limit": limit,
        "offset": offset,
    }


def adl_quantile(ctx: Context, p: Params) -> Any:
    out = []
    for name, spec in ctx.engine.catalog.items():
        if not spec.is_futures:
            continue
        sides = {pos.direction for pos in ctx.engine.open_positions(name)}
        out.append(
            {
                "market": name,
                "long": 0 if "long" in sides else None,
                "short": 0 if "short" in sides else None,
            }
        )
    return out


def websocket_token(ctx: Context, p: Params) -> Any:
    return {"websocket_token": ctx.new_ws_token()}


# -- orders ---------------------------------------------------------------------------------------
def _side(p: Params) -> str:
    side = p.str("side", required=True)
    if side not in ("buy", "sell"):
        raise errors.validation(30, "side", "Side is invalid.")
    return side


def _stp(p: Params) -> str:
    stp = p.str("stp", default="no") or "no"
    if stp not in STP_VALUES:
        raise errors.validation(30, "stp", "Stp is invalid.")
    return STP_VALUES[stp]


def _order_fields(ctx: Context, p: Params, kind: str) -> dict[str, Any]:
    market = market_param(ctx, p, required=True)
    side = _side(p)
    amount = p.decimal("amount", required=True, code=32)
    fields: dict[str, Any] = {"market": market, "side": side, "amount": amount}
    if kind in ("limit", "stop limit"):
        fields["price"] = p.decimal("price", required=True, code=33)
    if kind in ("stop limit", "stop market"):
        fields["activation_price"] = p.decimal("activation_price", required=True, code=33)
    client_order_id = p.str("clientOrderId", default="")
    fields["client_order_id"] = client_order_id or ""
    if kind == "limit":
        fields["post_only"] = p.bool("postOnly")
        fields["ioc"] = p.bool("ioc")
        if fields["ioc"] and p.bool("rpi"):
            raise errors.validation(40, "ioc", "IOC and RPI flags cannot be used together.")
    if p.bool("rpi"):
        raise errors.validation(43, "rpi", "RPI is not allowed for this account.")
    side_value = p.str("positionSide")
    fields["position_side"] = side_value.upper() if side_value is not None else None
    fields["reduce_only"] = p.bool("reduceOnly")
    fields["stp"] = _stp(p)
    if p.present("stopLoss") or p.present("takeProfit"):
        if fields["reduce_only"]:
            raise errors.validation(
                30, "reduceOnly", "Reduce only cannot be used with stop loss or take profit."
            )
        raise errors.validation(
            30,
            "stopLoss",
            "Attached take profit / stop loss (OTO) is not supported by the sandbox.",
        )
    return fields


def _place(kind: str) -> Callable[[Context, Params], Any]:
    def handler(ctx: Context, p: Params) -> Any:
        fields = _order_fields(ctx, p, kind)
        market = fields.pop("market")
        side = fields.pop("side")
        amount = fields.pop("amount")
        order = ctx.engine.place_order(kind, market, side, amount, **fields)
        return wire.rest_order(order)

    handler.__name__ = f"place_{kind.replace(' ', '_')}"
    return handler


def bulk(ctx: Context, p: Params) -> Any:
    orders = p.raw("orders")
    if not isinstance(orders, list) or not orders:
        raise errors.validation(30, "orders", "Orders field is required.")
    if len(orders) > 20:
        raise errors.validation(30, "orders", "Orders may not have more than 20 items.")
    stop_on_fail = p.bool("stopOnFail")
    place = _place("limit")
    results = []
    for item in orders:
        try:
            if not isinstance(item, dict):
                raise errors.validation(30, "orders", "Each order must be an object.")
            results.append({"result": place(ctx, Params(item)), "error": None})
        except errors.ApiError as exc:
            results.append({"result": None, "error": exc.as_bulk_error()})
            if stop_on_fail:
                break
    return results


def _fees(engine: Engine, market: str) -> tuple[Decimal, Decimal]:
    m = engine.catalog[market].market
    return m.maker_fee, m.taker_fee


def oco(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=True)
    assert market is not None
    side = _side(p)
    amount = p.decimal("amount", required=True, code=32)
    price = p.decimal("price", required=True, code=33)
    activation = p.decimal("activation_price", required=True, code=33)
    stop_limit = p.decimal("stop_limit_price", required=True, code=33)
    side_value = p.str("positionSide")
    stp = _stp(p)
    assert amount is not None and price is not None and activation is not None
    assert stop_limit is not None
    group = ctx.engine.place_oco(
        market,
        side,
        amount,
        price,
        activation,
        stop_limit,
        client_order_id=p.str("clientOrderId", default="") or "",
        position_side=side_value.upper() if side_value else None,
        reduce_only=p.bool("reduceOnly"),
        stp=stp,
    )
    tp, sl = ctx.engine.oco_legs(group)
    return wire.oco(group, tp, sl, *_fees(ctx.engine, market))


def _oco_groups(ctx: Context, market: str | None) -> list[Any]:
    return [
        g
        for g in sorted(ctx.engine.oco.values(), key=lambda g: g.id)
        if market is None or g.market == market
    ]


def conditional_orders(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=False)
    limit, offset = p.page(100, 100)
    groups = _oco_groups(ctx, market)
    records = []
    for g in groups[offset : offset + limit]:
        tp, sl = ctx.engine.oco_legs(g)
        fees = _fees(ctx.engine, g.market)
        records.append(
            {
                "id": g.id,
                "type": "oco",
                "stopLoss": wire.oco_leg_camel(sl, *fees),
                "takeProfit": wire.oco_leg_camel(tp, *fees),
            }
        )
    return {"limit": limit, "offset": offset, "total": len(groups), "records": records}


def oco_orders(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=False)
    limit, offset = p.page(50, 100)
    out = []
    for g in _oco_groups(ctx, market)[offset : offset + limit]:
        tp, sl = ctx.engine.oco_legs(g)
        fees = _fees(ctx.engine, g.market)
        out.append(
            {
                "id": g.id,
                "stop_loss": wire.oco_leg_snake(sl, *fees),
                "take_profit": wire.oco_leg_snake(tp, *fees),
            }
        )
    return out


def _one_id(p: Params, id_field: str = "orderId") -> tuple[int | None, str | None]:
    order_id = p.int(id_field)
    client_order_id = p.str("clientOrderId")
    if (order_id is None) == (client_order_id is None):
        raise errors.validation(
            30, id_field, f"Exactly one of {id_field} or clientOrderId is required."
        )
    return order_id, client_order_id


def oco_cancel(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=True)
    assert market is not None
    order_id, client_order_id = _one_id(p)
    group = ctx.engine.find_oco(market, order_id, client_order_id)
    tp, sl = ctx.engine.cancel_oco(group)
    return wire.oco(group, tp, sl, *_fees(ctx.engine, market))


def conditional_cancel(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=True)
    group_id = p.int("id", required=True)
    group = ctx.engine.oco.get(group_id)  # type: ignore[arg-type]
    if group is None or group.market != market:
        raise errors.not_found("id")
    ctx.engine.cancel_oco(group)
    return []


def oto_cancel(ctx: Context, p: Params) -> Any:
    market_param(ctx, p, required=True)
    p.int("otoId", required=True)
    raise errors.not_found("otoId")  # the sandbox creates no OTO groups


def cancel(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=True)
    assert market is not None
    order_id, client_order_id = _one_id(p)
    return wire.rest_order(ctx.engine.cancel_order(market, order_id, client_order_id))


def modify(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=True)
    assert market is not None
    order_id, client_order_id = _one_id(p)
    amount = p.decimal("amount", code=32)
    total = p.decimal("total", code=30)
    price = p.decimal("price", code=33)
    activation = p.decimal("activationPrice", code=33)
    if activation is None:
        activation = p.decimal("activation_price", code=33)
    if amount is None and total is None and price is None and activation is None:
        raise errors.validation(
            30, "amount", "Nothing to modify: send amount, total, price or activationPrice."
        )
    if total is not None and amount is None:
        ref = price
        if ref is None:
            current = ctx.engine.active_orders(market, order_id, client_order_id)
            ref = current[0].price if current and current[0].price is not None else None
        if ref is None or ref <= 0:
            raise errors.validation(30, "total", "Total needs a price.")
        step = ctx.engine.catalog[market].market.amount_step
        amount = numbers.bounded_decimal(risk.round_to_step(total / ref, step))
        if amount is None:
            raise errors.validation(30, "total", "Total is out of range for that price.")
    order = ctx.engine.modify_order(
        market, order_id, client_order_id, amount=amount, price=price, activation_price=activation
    )
    return wire.rest_order(order)


def cancel_all(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=False)
    types = p.raw("type")
    if types is not None and (
        not isinstance(types, list) or any(t not in ("spot", "margin", "futures") for t in types)
    ):
        raise errors.validation(30, "type", "Type is invalid.")
    side = p.str("positionSide")
    if side is not None and side.lower() not in ("both", "long", "short"):
        raise errors.validation(30, "positionSide", "Position side is invalid.")
    ctx.engine.cancel_all(market, types, side)
    return []


def active_orders(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=False)
    order_id = p.int("orderId")
    client_order_id = p.str("clientOrderId")
    limit, offset = p.page(50, 100)
    orders = ctx.engine.active_orders(market, order_id, client_order_id)
    return [wire.rest_order(o) for o in orders[offset : offset + limit]]


PRIVATE: dict[str, Callable[[Context, Params], Any]] = {
    "/api/v4/collateral-account/balance": balance,
    "/api/v4/collateral-account/balance-summary": balance_summary,
    "/api/v4/collateral-account/summary": summary,
    "/api/v4/collateral-account/leverage": leverage,
    "/api/v4/collateral-account/hedge-mode": hedge_mode,
    "/api/v4/collateral-account/hedge-mode/update": hedge_mode_update,
    "/api/v4/collateral-account/positions/open": positions_open,
    "/api/v4/collateral-account/position/close": position_close,
    "/api/v4/collateral-account/positions/history": positions_history,
    "/api/v4/collateral-account/funding-history": funding_history,
    "/api/v4/collateral-account/adl-quantile": adl_quantile,
    "/api/v4/order/collateral/limit": _place("limit"),
    "/api/v4/order/collateral/market": _place("market"),
    "/api/v4/order/collateral/stop-limit": _place("stop limit"),
    "/api/v4/order/collateral/trigger-market": _place("stop market"),
    "/api/v4/order/collateral/bulk": bulk,
    "/api/v4/order/collateral/oco": oco,
    "/api/v4/conditional-orders": conditional_orders,
    "/api/v4/oco-orders": oco_orders,
    "/api/v4/order/conditional-cancel": conditional_cancel,
    "/api/v4/order/oco-cancel": oco_cancel,
    "/api/v4/order/oto-cancel": oto_cancel,
    "/api/v4/order/cancel": cancel,
    "/api/v4/order/cancel/all": cancel_all,
    "/api/v4/order/modify": modify,
    "/api/v4/orders": active_orders,
    "/api/v4/profile/websocket_token": websocket_token,
    **TRADE_HISTORY,
    **KILL_SWITCH,
}
