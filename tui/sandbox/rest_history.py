"""Private REST handlers for the trade account's history: finished orders, executed deals,
the deals of one order. ``TRADE_HISTORY`` joins ``rest_private.PRIVATE``."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from . import errors, wire
from .engine import CANCELED, FILLED, SimOrder
from .rest_params import Context, Params, in_dates, market_param

D = Decimal


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
    market = market_param(ctx, p, required=False)
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
        and in_dates(o.ftime or o.ctime, start, end)
    ][offset : offset + limit]
    out: dict[str, list[Any]] = {}
    for order in rows:
        out.setdefault(order.market, []).append(wire.history_order(order))
    return out


def executed_history(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=False)
    client_order_id = p.str("clientOrderId")
    start, end = p.dates()
    limit, offset = p.page(50, 500)
    rows = [
        d
        for d in reversed(ctx.engine.deals)
        if (market is None or d["market"] == market)
        and (client_order_id is None or d["clientOrderId"] == client_order_id)
        and in_dates(d["time"], start, end)
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
        "records": [wire.order_deal(d) for d in rows],
        "offset": offset,
        "limit": limit,
    }


TRADE_HISTORY: dict[str, Callable[[Context, Params], Any]] = {
    "/api/v4/trade-account/order/history": order_history,
    "/api/v4/trade-account/executed-history": executed_history,
    "/api/v4/trade-account/order": order_deals,
}
