"""The WebSocket protocol (JSON-RPC-like, WhiteBIT section 6): methods, subscriptions, pushes.

Request ``{"id", "method", "params"}`` -> response ``{"id", "result", "error"}``; pushes are
``{"id": null, "method": "<channel>_update", "params": ...}``. A new ``X_subscribe`` replaces
that channel's subscription on the connection; ``X_unsubscribe`` clears it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import wire

if TYPE_CHECKING:
    from .engine import Engine

ERROR_MESSAGES = {
    1: "invalid argument",
    2: "internal error",
    3: "service unavailable",
    4: "method not found",
    5: "service timeout",
    6: "require authentication",
}


class WsError(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(ERROR_MESSAGES[code])
        self.code = code

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": ERROR_MESSAGES[self.code]}


SUCCESS = {"status": "success"}


@dataclass
class WsSession:
    """Per-connection protocol state."""

    authorized: bool = False
    lastprice: set[str] = field(default_factory=set)
    positions: bool = False
    position_events: bool = False
    balances: set[str] | None = None  # None = not subscribed; empty = all assets
    balances_sent: dict[str, tuple[str, ...]] = field(default_factory=dict)
    orders_pending: set[str] | None = None
    deals: set[str] | None = None
    outbox: list[dict[str, Any]] = field(default_factory=list)  # pushes after the response


Handler = Callable[["WsProtocol", WsSession, list[Any]], Any]


def _markets(engine: Engine, params: list[Any]) -> set[str]:
    if not all(isinstance(m, str) and m in engine.catalog for m in params):
        raise WsError(1)
    return set(params)


def _market_list_param(engine: Engine, params: list[Any]) -> set[str]:
    """``deals_subscribe [[markets]]`` style (also accepts the flat form)."""
    if params and isinstance(params[0], list):
        params = params[0]
    return _markets(engine, params)


class WsProtocol:
    def __init__(self, engine: Engine, check_token: Callable[[str], bool]) -> None:
        self.engine = engine
        self.check_token = check_token

    # -- dispatch -------------------------------------------------------------------------------
    def handle(self, session: WsSession, message: dict[str, Any]) -> dict[str, Any]:
        request_id = message.get("id")
        method = message.get("method")
        params = message.get("params", [])
        try:
            if isinstance(request_id, bool) or not isinstance(request_id, int | str | None):
                request_id = None  # echo only what the client could have meant as an id
                raise WsError(1)
            if not isinstance(method, str):
                raise WsError(1)
            entry = METHODS.get(method)
            if entry is None:
                raise WsError(4)
            handler, private = entry
            if private and not session.authorized:
                raise WsError(6)
            if params is None:
                params = []
            if not isinstance(params, list):
                raise WsError(1)
            result = handler(self, session, params)
        except WsError as exc:
            return {"id": request_id, "result": None, "error": exc.body()}
        return {"id": request_id, "result": result, "error": None}

    # -- pushes ---------------------------------------------------------------------------------
    def positions_update(self) -> dict[str, Any]:
        records = [
            wire.position_record(self.engine, p, ws=True) for p in self.engine.open_positions()
        ]
        return push("positionsMargin_update", {"total": len(records), "records": records})

    def lastprice_update(self, market: str) -> dict[str, Any]:
        return push("lastprice_update", [market, wire.s(self.engine.prices[market])])

    def balance_rows(self, assets: set[str]) -> dict[str, tuple[str, ...]]:
        rows = {}
        for row in self.engine.balance_summary():
            if assets and row["asset"] not in assets:
                continue
            rows[row["asset"]] = tuple(
                wire.s(row[k]) or "0"
                for k in ("balance", "borrow", "availableWithoutBorrow", "availableWithBorrow")
            )
        return rows

    def balance_update(self, session: WsSession, *, full: bool = False) -> dict[str, Any] | None:
        if session.balances is None:
            return None
        rows = self.balance_rows(session.balances)
        changed = [
            {"a": asset, "B": v[0], "b": v[1], "av": v[2], "ab": v[3]}
            for asset, v in rows.items()
            if full or session.balances_sent.get(asset) != v
        ]
        session.balances_sent.update(rows)
        return push("balanceMargin_update", changed) if changed else None

    def event_pushes(self, session: WsSession, event: tuple[Any, ...]) -> list[dict[str, Any]]:
        kind = event[0]
        if kind == "order" and session.orders_pending is not None:
            _, event_id, order = event
            if not session.orders_pending or order.market in session.orders_pending:
                return [push("ordersPending_update", [event_id, wire.ws_order(order)])]
        if kind == "deal" and session.deals is not None:
            d = event[1]
            if not session.deals or d["market"] in session.deals:
                return [
                    push(
                        "deals_update",
                        [
                            d["id"],
                            wire.ts(d["time"]),
                            d["market"],
                            d["orderId"],
                            wire.s(d["price"]),
                            wire.s(d["amount"]),
                            wire.s(d["fee"]),
                            d["clientOrderId"],
                            2 if d["side"] == "buy" else 1,
                            d["role"],
                            d["feeAsset"],
                        ],
                    )
                ]
        if kind == "margin_event" and session.position_events:
            _, event_type, pos = event
            record = wire.position_record(self.engine, pos, ws=True)
            if event_type == 2:
                record["liq_stage"] = "liquidation"
            return [push("positionsAccountMargin_update", [event_type, record])]
        return []


def push(method: str, params: Any) -> dict[str, Any]:
    return {"id": None, "method": method, "params": params}


# -- methods ------------------------------------------------------------------------------------
def _ping(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    return "pong"


def _time(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    return int(proto.engine.now())


def _authorize(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    if len(params) < 1 or not isinstance(params[0], str) or not proto.check_token(params[0]):
        raise WsError(1)
    if len(params) > 1 and params[1] != "public":
        raise WsError(1)
    session.authorized = True
    return SUCCESS


def _lastprice_subscribe(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    session.lastprice = _markets(proto.engine, params)
    session.outbox.extend(proto.lastprice_update(m) for m in sorted(session.lastprice))
    return SUCCESS


def _lastprice_unsubscribe(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    session.lastprice = set()
    return SUCCESS


def _lastprice_request(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    if len(params) != 1:
        raise WsError(1)
    (market,) = _markets(proto.engine, params)
    return wire.s(proto.engine.prices[market])


def _positions_subscribe(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    session.positions = True
    session.outbox.append(proto.positions_update())  # state recovers at once after subscribing
    return SUCCESS


def _positions_unsubscribe(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    session.positions = False
    return SUCCESS


def _position_events_subscribe(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    session.position_events = True
    return SUCCESS


def _position_events_unsubscribe(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    session.position_events = False
    return SUCCESS


def _assets(proto: WsProtocol, params: list[Any]) -> set[str]:
    if not all(isinstance(a, str) for a in params):
        raise WsError(1)
    assets = {a.upper() for a in params}
    if assets - set(proto.engine.balances):
        raise WsError(1)
    return assets


def _balance_request(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    rows = proto.balance_rows(_assets(proto, params))
    return {
        asset: {
            "balance": v[0],
            "borrow": v[1],
            "available_without_borrow": v[2],
            "available_with_borrow": v[3],
        }
        for asset, v in rows.items()
    }


def _balance_subscribe(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    session.balances = _assets(proto, params)
    session.balances_sent = {}
    update = proto.balance_update(session, full=True)
    if update is not None:
        session.outbox.append(update)
    return SUCCESS


def _balance_unsubscribe(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    session.balances = None
    return SUCCESS


def _orders_request(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    if not params or not isinstance(params[0], str) or params[0] not in proto.engine.catalog:
        raise WsError(1)
    offset = params[1] if len(params) > 1 else 0
    limit = params[2] if len(params) > 2 else 100
    if (
        not (isinstance(offset, int) and isinstance(limit, int))
        or offset < 0
        or not 0 < limit <= 100
    ):
        raise WsError(1)
    orders = proto.engine.active_orders(params[0])
    return {
        "limit": limit,
        "offset": offset,
        "total": len(orders),
        "records": [wire.ws_order(o) for o in orders[offset : offset + limit]],
    }


def _orders_subscribe(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    session.orders_pending = _markets(proto.engine, params)
    return SUCCESS


def _orders_unsubscribe(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    session.orders_pending = None
    return SUCCESS


def _deals_subscribe(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    session.deals = _market_list_param(proto.engine, params)
    return SUCCESS


def _deals_unsubscribe(proto: WsProtocol, session: WsSession, params: list[Any]) -> Any:
    session.deals = None
    return SUCCESS


METHODS: dict[str, tuple[Handler, bool]] = {
    "ping": (_ping, False),
    "time": (_time, False),
    "authorize": (_authorize, False),
    "lastprice_subscribe": (_lastprice_subscribe, False),
    "lastprice_unsubscribe": (_lastprice_unsubscribe, False),
    "lastprice_request": (_lastprice_request, False),
    "positionsMargin_subscribe": (_positions_subscribe, True),
    "positionsMargin_unsubscribe": (_positions_unsubscribe, True),
    "positionsAccountMargin_subscribe": (_position_events_subscribe, True),
    "positionsAccountMargin_unsubscribe": (_position_events_unsubscribe, True),
    "balanceMargin_request": (_balance_request, True),
    "balanceMargin_subscribe": (_balance_subscribe, True),
    "balanceMargin_unsubscribe": (_balance_unsubscribe, True),
    "ordersPending_request": (_orders_request, True),
    "ordersPending_subscribe": (_orders_subscribe, True),
    "ordersPending_unsubscribe": (_orders_unsubscribe, True),
    "deals_subscribe": (_deals_subscribe, True),
    "deals_unsubscribe": (_deals_unsubscribe, True),
}

__all__ = ["METHODS", "WsError", "WsProtocol", "WsSession", "push"]
