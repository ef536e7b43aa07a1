"""REST endpoint handlers: typed parameter parsing + one engine call + a wire shape.

Every handler is ``handler(ctx, params) -> JSON-ready object`` and raises ``ApiError`` for any
documented failure. ``PRIVATE`` and ``PUBLIC`` map paths to handlers (the server registers them
from these tables).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from tui.domain import risk

from . import errors, wire
from .catalog import FUTURES_BRACKETS
from .engine import CANCELED, COLLATERAL_ASSET, FILLED, Engine, SimOrder

D = Decimal
_DECIMAL_RE = re.compile(r"^-?(\d+(\.\d*)?|\.\d+)$")
_INT_RE = re.compile(r"^-?\d{1,20}$")
STP_VALUES = {
    "no": "no",
    "cb": "cb",
    "cn": "cn",
    "co": "co",
    "cancel_both": "cb",
    "cancel_new": "cn",
    "cancel_old": "co",
}


@dataclass
class Context:
    engine: Engine
    new_ws_token: Callable[[], str] = field(default=lambda: "")


def _label(name: str) -> str:
    return name[:1].upper() + name[1:]


class Params:
    """Typed access to a request body (private) or query (public)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def raw(self, name: str) -> Any:
        return self.data.get(name)

    def present(self, name: str) -> bool:
        return self.data.get(name) not in (None, "")

    def str(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise errors.required(name)
            return default
        if not isinstance(value, str):
            raise errors.validation(30, name, f"{_label(name)} must be a string.")
        return value

    def decimal(self, name: str, *, required: bool = False, code: int = 30) -> Decimal | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise errors.required(name)
            return None
        if isinstance(value, bool):
            raise errors.validation(code, name, f"{_label(name)} must be a number.")
        if isinstance(value, int):
            return D(value)
        if isinstance(value, Decimal):
            if value.is_finite():
                return value
        elif isinstance(value, str) and _DECIMAL_RE.match(value.strip()):
            try:
                return D(value.strip())
            except InvalidOperation:
                pass
        raise errors.validation(code, name, f"{_label(name)} must be a number.")

    def int(
        self,
        name: str,
        *,
        required: bool = False,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise errors.required(name)
            return default
        result: int | None = None
        if isinstance(value, bool):
            result = None
        elif isinstance(value, int):
            result = value
        elif isinstance(value, Decimal) and value == value.to_integral_value():
            result = int(value)
        elif isinstance(value, str) and _INT_RE.match(value.strip()):
            result = int(value.strip())
        if result is None:
            raise errors.validation(30, name, f"{_label(name)} must be an integer.")
        if minimum is not None and result < minimum:
            raise errors.validation(30, name, f"{_label(name)} must be at least {minimum}.")
        if maximum is not None and result > maximum:
            raise errors.validation(30, name, f"{_label(name)} may not be greater than {maximum}.")
        return result

    def bool(self, name: str, *, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise errors.validation(30, name, f"{_label(name)} must be a boolean.")
        return value

    def page(self, default_limit: int, max_limit: int) -> tuple[int, int]:
        limit = self.int("limit", default=default_limit, minimum=1, maximum=max_limit)
        offset = self.int("offset", default=0, minimum=0)
        assert limit is not None and offset is not None
        return limit, offset

    def dates(self) -> tuple[Decimal | None, Decimal | None]:
        start = self.int("startDate", minimum=0)
        end = self.int("endDate", minimum=0)
        if start is not None and end is not None and start > end:
            raise errors.validation(30, "startDate", "StartDate must be less than endDate.")
        return (D(start) if start is not None else None, D(end) if end is not None else None)


def _in_dates(when: Decimal, start: Decimal | None, end: Decimal | None) -> bool:
    return (start is None or when >= start) and (end is None or when <= end + 1)


def _market(ctx: Context, p: Params, *, required: bool) -> str | None:
    name = p.str("market", required=required)
    if name is not None:
        ctx.engine.spec(name)
    return name


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
    market = _market(ctx, p, required=False)
    return [position_record(ctx.engine, pos) for pos in ctx.engine.open_positions(market)]


def position_record(engine: Engine, pos: Any, *, ws: bool = False) -> dict[str, Any]:
    shape = wire.ws_position if ws else wire.rest_position
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


def position_close(ctx: Context, p: Params) -> Any:
    position_id = p.int("positionId", required=True)
    market = _market(ctx, p, required=True)
    side = p.str("positionSide")
    assert position_id is not None and market is not None
    ctx.engine.close_position(position_id, market, side)
    return []  # OLD docs show [] (the OAS documents no body)


def positions_history(ctx: Context, p: Params) -> Any:
    engine = ctx.engine
    position_id = p.int("positionId", minimum=0)
    market = None if position_id is not None else _market(ctx, p, required=False)
    start, end = p.dates()
    limit, offset = p.page(50, 100)
    rows = [
        e
        for e in reversed(engine.position_events)
        if (position_id is None or e["positionId"] == position_id)
        and (market is None or e["market"] == market)
        and _in_dates(e["modifyDate"], start, end)
    ]
    return [wire.position_event(e) for e in rows[offset : offset + limit]]


def funding_history(ctx: Context, p: Params) -> Any:
    market = _market(ctx, p, required=False)
    start, end = p.dates()
    limit, offset = p.page(100, 100)
    rows = [
        r
        for r in reversed(ctx.engine.funding_payments)
        if (market is None or r["market"] == market) and _in_dates(r["fundingTime"], start, end)
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
def _order_fields(ctx: Context, p: Params, kind: str) -> dict[str, Any]:
    market = _market(ctx, p, required=True)
    side = p.str("side", required=True)
    if side not in ("buy", "sell"):
        raise errors.validation(30, "side", "Side is invalid.")
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
    stp = p.str("stp", default="no") or "no"
    if stp not in STP_VALUES:
        raise errors.validation(30, "stp", "Stp is invalid.")
    fields["stp"] = STP_VALUES[stp]
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
    market = _market(ctx, p, required=True)
    assert market is not None
    side = p.str("side", required=True)
    if side not in ("buy", "sell"):
        raise errors.validation(30, "side", "Side is invalid.")
    amount = p.decimal("amount", required=True, code=32)
    price = p.decimal("price", required=True, code=33)
    activation = p.decimal("activation_price", required=True, code=33)
    stop_limit = p.decimal("stop_limit_price", required=True, code=33)
    side_value = p.str("positionSide")
    stp = p.str("stp", default="no") or "no"
    if stp not in STP_VALUES:
        raise errors.validation(30, "stp", "Stp is invalid.")
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
        stp=STP_VALUES[stp],
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
    market = _market(ctx, p, required=False)
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
    market = _market(ctx, p, required=False)
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
    market = _market(ctx, p, required=True)
    assert market is not None
    order_id, client_order_id = _one_id(p)
    group = ctx.engine.find_oco(market, order_id, client_order_id)
    tp, sl = ctx.engine.cancel_oco(group)
    return wire.oco(group, tp, sl, *_fees(ctx.engine, market))


def conditional_cancel(ctx: Context, p: Params) -> Any:
    market = _market(ctx, p, required=True)
    group_id = p.int("id", required=True)
    group = ctx.engine.oco.get(group_id)  # type: ignore[arg-type]
    if group is None or group.market != market:
        raise errors.not_found("id")
    ctx.engine.cancel_oco(group)
    return []


def oto_cancel(ctx: Context, p: Params) -> Any:
    _market(ctx, p, required=True)
    p.int("otoId", required=True)
    raise errors.not_found("otoId")  # the sandbox creates no OTO groups


def cancel(ctx: Context, p: Params) -> Any:
    market = _market(ctx, p, required=True)
    assert market is not None
    order_id, client_order_id = _one_id(p)
    return wire.rest_order(ctx.engine.cancel_order(market, order_id, client_order_id))


def modify(ctx: Context, p: Params) -> Any:
    market = _market(ctx, p, required=True)
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
        amount = risk.round_to_step(total / ref, step)
    order = ctx.engine.modify_order(
        market, order_id, client_order_id, amount=amount, price=price, activation_price=activation
    )
    return wire.rest_order(order)


def cancel_all(ctx: Context, p: Params) -> Any:
    market = _market(ctx, p, required=False)
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
    market = _market(ctx, p, required=False)
    order_id = p.int("orderId")
    client_order_id = p.str("clientOrderId")
    limit, offset = p.page(50, 100)
    orders = ctx.engine.active_orders(market, order_id, client_order_id)
    return [wire.rest_order(o) for o in orders[offset : offset + limit]]


def _status_matches(order: SimOrder, status: str) -> bool:
    if status == "ALL":
        return True
    if status == FILLED:
        return order.status == FILLED
    if status == "PARTIALLY_FILLED":
        return order.status != FILLED and order.deal_stock > 0
    if status == CANCELED:
        return order.status != FILLED and order.deal_stock == 0
    return False


def order_history(ctx: Context, p: Params) -> Any:
    market = _market(ctx, p, required=False)
    order_id = p.int("orderId")
    client_order_id = p.str("clientOrderId")
    status = (p.str("status", default="ALL") or "ALL").upper()
    if status not in ("ALL", FILLED, CANCELED, "PARTIALLY_FILLED"):
        raise errors.validation(30, "status", "Status is invalid.")
    start, end = p.dates()
    limit, offset = p.page(50, 100)
    rows = [
        o
        for o in reversed(ctx.engine.finished)
        if (market is None or o.market == market)
        and (order_id is None or o.id == order_id)
        and (client_order_id is None or o.client_order_id == client_order_id)
        and _status_matches(o, status)
        and _in_dates(o.ftime or o.ctime, start, end)
    ][offset : offset + limit]
    out: dict[str, list[Any]] = {}
    for order in rows:
        out.setdefault(order.market, []).append(wire.history_order(order))
    return out


def executed_history(ctx: Context, p: Params) -> Any:
    market = _market(ctx, p, required=False)
    client_order_id = p.str("clientOrderId")
    start, end = p.dates()
    limit, offset = p.page(50, 500)
    rows = [
        d
        for d in reversed(ctx.engine.deals)
        if (market is None or d["market"] == market)
        and (client_order_id is None or d["clientOrderId"] == client_order_id)
        and _in_dates(d["time"], start, end)
    ][offset : offset + limit]
    if market is not None:
        return [wire.deal(d) for d in rows]
    out: dict[str, list[Any]] = {}
    for d in rows:
        out.setdefault(d["market"], []).append(wire.deal(d))
    return out


def order_deals(ctx: Context, p: Params) -> Any:
    order_id = p.int("orderId", required=True)
    limit, offset = p.page(50, 100)
    rows = [d for d in ctx.engine.deals if d["orderId"] == order_id][offset : offset + limit]
    return {
        "records": [
            {
                "time": wire.ts(d["time"]),
                "fee": wire.s(d["fee"]),
                "price": wire.s(d["price"]),
                "amount": wire.s(d["amount"]),
                "id": d["id"],
                "dealOrderId": d["orderId"],
                "clientOrderId": d["clientOrderId"],
                "role": d["role"],
                "deal": wire.s(d["deal"]),
                "feeAsset": d["feeAsset"],
                "rpi": False,
            }
            for d in rows
        ],
        "offset": offset,
        "limit": limit,
    }


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
    "/api/v4/trade-account/order/history": order_history,
    "/api/v4/trade-account/executed-history": executed_history,
    "/api/v4/trade-account/order": order_deals,
    "/api/v4/profile/websocket_token": websocket_token,
}


# -- public ---------------------------------------------------------------------------------------
class PublicError(Exception):
    """A public endpoint's flat error: HTTP ``status`` and a body such as
    ``{"market": ["Market is not available."]}``."""

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(body)
        self.status = status
        self.body = body


def public_markets(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    out = []
    for spec in ctx.engine.catalog.values():
        m = spec.market
        out.append(
            {
                "name": m.name,
                "stock": m.base,
                "money": m.quote,
                "stockPrec": str(m.amount_precision),
                "moneyPrec": str(m.price_precision),
                "feePrec": "4",
                "makerFee": wire.s(m.maker_fee),
                "takerFee": wire.s(m.taker_fee),
                "minAmount": wire.s(m.min_amount),
                "minTotal": wire.s(m.min_total),
                "maxTotal": wire.s(m.max_total),
                "tradesEnabled": True,
                "isCollateral": True,
                "type": "futures" if spec.is_futures else "spot",
                "isTradFiFutures": False,
                "delistedAt": None,
            }
        )
    return out


_BASE_VOLUME = {"BTC": D("1850.3"), "ETH": D("24150.7")}


def _volume(ctx: Context, name: str) -> Decimal:
    spec = ctx.engine.catalog[name]
    return _BASE_VOLUME.get(spec.market.base, D(1000)) + ctx.engine.volumes[name]


def public_ticker(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    engine = ctx.engine
    out = {}
    for name, spec in engine.catalog.items():
        last = engine.prices[name]
        start = engine.open_prices[name]
        volume = _volume(ctx, name)
        out[name] = {
            "base_id": spec.base_id,
            "quote_id": spec.quote_id,
            "last_price": wire.s(last),
            "quote_volume": wire.fixed(volume * last, 2),
            "base_volume": wire.s(volume),
            "isFrozen": False,
            "change": wire.fixed((last - start) / start * 100, 2),
        }
    return out


def public_futures(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    engine = ctx.engine
    result = []
    for name, spec in engine.catalog.items():
        if not spec.is_futures:
            continue
        m = spec.market
        last = engine.prices[name]
        spot = f"{m.base}_USDT"
        index = engine.prices.get(spot, last)
        volume = _volume(ctx, name)
        interest = sum((p.size for p in engine.open_positions(name)), D(0)) + D(250)
        next_ms = int(engine.next_funding * 1000)
        result.append(
            {
                "ticker_id": name,
                "stock_currency": m.base,
                "money_currency": "USDT",
                "last_price": wire.s(last),
                "stock_volume": wire.s(volume),
                "money_volume": wire.fixed(volume * last, 2),
                "bid": wire.s(last - m.price_step),
                "ask": wire.s(last + m.price_step),
                "high": wire.s(engine.highs[name]),
                "low": wire.s(engine.lows[name]),
                "product_type": "Perpetual",
                "open_interest": wire.s(interest),
                "index_price": wire.s(index),
                "index_name": spec.index_name,
                "index_currency": m.base,
                "funding_rate": wire.s(engine.funding_rates[name]),
                "funding_cap": wire.s(spec.funding_cap),
                "funding_floor": wire.s(spec.funding_floor),
                "next_funding_rate_timestamp": str(next_ms),
                "brackets": dict(FUTURES_BRACKETS),
                "max_leverage": m.max_leverage,
                "funding_interval_minutes": engine.funding_interval_minutes(),
            }
        )
    return {"success": True, "message": None, "result": result}


def public_collateral_markets(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    names = [n for n, s in ctx.engine.catalog.items() if not s.is_futures]
    return {"success": True, "message": None, "result": names}


#: Asset facts for /public/assets: name, CoinMarketCap id (WhiteBIT's unified_cryptoasset_id),
#: precision and networks. Reported only: the sandbox has no deposits or withdrawals.
_ASSETS: dict[str, tuple[str, int, int, tuple[str, ...]]] = {
    "BTC": ("Bitcoin", 1, 8, ("BTC",)),
    "ETH": ("Ethereum", 1027, 18, ("ETH",)),
    "USDT": ("Tether US", 825, 6, ("ERC20", "TRC20")),
}


def public_assets(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    """Asset status list (GET /api/v4/public/assets): one object per asset of the catalog.
    Generic clients (ccxt's ``load_markets``) read it before the markets."""
    names = sorted(
        {s.market.base for s in ctx.engine.catalog.values()}
        | {s.market.quote for s in ctx.engine.catalog.values()}
    )
    out = {}
    for code in names:
        name, cmc_id, precision, networks = _ASSETS.get(code, (code, 0, 8, (code,)))
        out[code] = {
            "name": name,
            "unified_cryptoasset_id": cmc_id,
            "can_withdraw": False,
            "can_deposit": False,
            "min_withdraw": "0",
            "max_withdraw": "0",
            "maker_fee": "0.1",
            "taker_fee": "0.1",
            "min_deposit": "0",
            "max_deposit": "0",
            "networks": {
                "deposits": list(networks),
                "withdraws": list(networks),
                "default": networks[0],
            },
            "limits": {"deposit": {}, "withdraw": {}},
            "currency_precision": precision,
            "is_memo": False,
        }
    return out


def public_time(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    return {"time": int(ctx.engine.now())}


def public_ping(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    return ["pong"]


def _query_int(q: dict[str, str], name: str, default: int, lo: int, hi: int, clamp: bool) -> int:
    raw = q.get(name)
    if raw is None or raw == "":
        return default
    if not _INT_RE.match(raw):
        raise PublicError(422, {name: [f"The {name} must be an integer."]})
    value = int(raw)
    if clamp:
        return max(lo, min(hi, value))
    if not lo <= value <= hi:
        raise PublicError(422, {name: [f"The {name} must be between {lo} and {hi}."]})
    return value


def _book(ctx: Context, market: str, limit: int, within: Decimal | None) -> dict[str, Any]:
    engine = ctx.engine
    spec = engine.catalog[market]
    m = spec.market
    last = engine.prices[market]
    gap = max(m.price_step, risk.quantize_price(last * D("0.00002"), m.price_step))
    rng = random.Random(f"{engine.options.seed}:{market}:{engine.tick_count}")
    asks, bids = [], []
    for i in range(1, limit + 1):
        ask = last + gap * i
        bid = last - gap * i
        if bid <= 0:
            break
        if within is not None and (ask > last * (1 + within) or bid < last * (1 - within)):
            break
        amount_a = m.min_amount * rng.randint(1, 4000)
        amount_b = m.min_amount * rng.randint(1, 4000)
        asks.append([wire.s(ask), wire.s(amount_a)])
        bids.append([wire.s(bid), wire.s(amount_b)])
    return {
        "ticker_id": market,
        "timestamp": int(engine.now()),
        "asks": asks,
        "bids": bids,
    }


def _book_market(ctx: Context, path: dict[str, str]) -> str:
    market = path.get("market", "")
    if market not in ctx.engine.catalog:
        raise PublicError(422, {"market": ["Market is not available."]})
    return market


def public_orderbook(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    market = _book_market(ctx, path)
    limit = _query_int(q, "limit", 100, 0, 100, clamp=False) or 100
    _query_int(q, "level", 0, 0, 5, clamp=True)  # aggregation level: accepted, not applied
    return _book(ctx, market, limit, None)


def public_depth(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    market = _book_market(ctx, path)
    return _book(ctx, market, 100, D("0.02"))


def public_funding_history(ctx: Context, q: dict[str, str], path: dict[str, str]) -> Any:
    market = path.get("market", "")
    if market not in ctx.engine.catalog or not ctx.engine.catalog[market].is_futures:
        raise PublicError(422, {"market": "Market is not available."})
    limit = _query_int(q, "limit", 100, 1, 100, clamp=False)
    offset = _query_int(q, "offset", 0, 0, 1_000_000, clamp=False)
    rows = [r for r in reversed(ctx.engine.funding_rounds) if r["market"] == market]
    return [
        {
            "fundingTime": wire.s(r["fundingTime"].to_integral_value()),
            "fundingRate": wire.s(r["fundingRate"]),
            "market": market,
            "settlementPrice": wire.s(r["settlementPrice"]),
            "rateCalculatedTime": wire.s(r["rateCalculatedTime"].to_integral_value()),
        }
        for r in rows[offset : offset + limit]
    ]


PUBLIC: dict[str, Callable[[Context, dict[str, str], dict[str, str]], Any]] = {
    "/api/v4/public/markets": public_markets,
    "/api/v4/public/assets": public_assets,
    "/api/v4/public/ticker": public_ticker,
    "/api/v4/public/futures": public_futures,
    "/api/v4/public/collateral/markets": public_collateral_markets,
    "/api/v4/public/time": public_time,
    "/api/v4/public/ping": public_ping,
    "/api/v4/public/orderbook/depth/{market}": public_depth,
    "/api/v4/public/orderbook/{market}": public_orderbook,
    "/api/v4/public/funding-history/{market}": public_funding_history,
}

__all__ = ["COLLATERAL_ASSET", "PRIVATE", "PUBLIC", "Context", "Params", "PublicError"]
