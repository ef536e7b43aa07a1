"""REST endpoints for orders: queries, placing with reconciliation by clientOrderId, cancels.

Orders are never blindly retried: every order carries a ``clientOrderId``; if its fate is
unknown (the request may have been sent but no answer came, a 5xx, an unreadable answer) the
client looks it up among active orders and finished orders (WhiteBIT keeps clientOrderId unique
only among *open* orders, so a resent market order would fill twice), resends at most once with
the same id when the lookup confirms it absent, and raises :class:`OrderUncertainError` when it
still cannot tell.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from tui.domain.models import (
    KillSwitchTimer,
    Order,
    OrderRequest,
    OrderType,
    new_client_order_id,
)

from . import parsing
from .errors import (
    ApiError,
    MalformedResponseError,
    OrderUncertainError,
    ServerError,
    TransportError,
    ValidationError,
    error_from_response,
)
from .rest_core import RestCore

__all__ = [
    "CODE_CLIENT_ORDER_ID",
    "KILL_SWITCH_TYPES",
    "OrderEndpoints",
    "decimal_str",
    "new_client_order_id",
    "parse_kill_switch",
    "parse_kill_switches",
]

log = logging.getLogger("tui.api.rest")

#: WhiteBIT error code for an invalid/duplicate clientOrderId (duplicate among open orders).
CODE_CLIENT_ORDER_ID = 36

_ORDER_PATHS: dict[OrderType, str] = {
    OrderType.LIMIT: "/api/v4/order/collateral/limit",
    OrderType.MARKET: "/api/v4/order/collateral/market",
    OrderType.STOP_LIMIT: "/api/v4/order/collateral/stop-limit",
    OrderType.TRIGGER_MARKET: "/api/v4/order/collateral/trigger-market",
    OrderType.OCO: "/api/v4/order/collateral/oco",
}
_BULK_PATH = "/api/v4/order/collateral/bulk"


def decimal_str(value: Decimal) -> str:
    """A Decimal as WhiteBIT wants it: plain notation, no exponent, no trailing zeros."""
    if not isinstance(value, Decimal):
        raise TypeError(f"expected Decimal, got {type(value).__name__}")
    if not value.is_finite():
        raise ValueError("non-finite Decimal")
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if text in ("-0", ""):
        text = "0"
    return text


def _order_query(
    market: str | None, client_order_id: str | None, limit: int, offset: int
) -> dict[str, Any]:
    """Filters shared by the active-orders and order-history endpoints (None = not sent)."""
    return {
        "market": market,
        "clientOrderId": client_order_id or None,
        "limit": limit,
        "offset": offset,
    }


_KILL_SWITCH_PATH = "/api/v4/order/kill-switch"
_KILL_SWITCH_STATUS_PATH = "/api/v4/order/kill-switch/status"
#: What a kill-switch timer may target (WhiteBIT order types: "margin" = margin orders on spot
#: pairs, "futures" = perpetuals).
KILL_SWITCH_TYPES = ("spot", "margin", "futures")


def parse_kill_switch(data: Any) -> KillSwitchTimer:
    """One ``{market, startTime, cancellationTime, types}`` record."""
    if not isinstance(data, Mapping):
        raise parsing.ParseError(f"kill-switch: expected an object, got {type(data).__name__}")
    market = data.get("market")
    if not isinstance(market, str) or not market:
        raise parsing.ParseError(f"kill-switch market: {market!r}")
    types = data.get("types")
    if types is not None and (
        not isinstance(types, list) or not all(isinstance(t, str) for t in types)
    ):
        raise parsing.ParseError(f"kill-switch types: {types!r}")
    return KillSwitchTimer(
        market=market,
        start_time=parsing.to_int(data.get("startTime"), "startTime"),
        cancellation_time=parsing.to_int(data.get("cancellationTime"), "cancellationTime"),
        types=tuple(types) if types is not None else None,
    )


def parse_kill_switches(data: Any) -> list[KillSwitchTimer]:
    if not isinstance(data, list):
        raise parsing.ParseError(f"kill-switch status: expected an array, got {data!r}")
    return [parse_kill_switch(row) for row in data]


class OrderEndpoints(RestCore):
    # ------------------------------------------------------------------ order queries

    async def active_orders(
        self,
        market: str | None = None,
        client_order_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Order]:
        path = "/api/v4/orders"
        params = _order_query(market, client_order_id, limit, offset)
        data = await self._private(path, params)
        return self._parse(parsing.parse_orders, data, path, market=market)

    async def executed_orders(
        self,
        market: str | None = None,
        client_order_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[Order]:
        """Finished orders (``trade-account/order/history``)."""
        path = "/api/v4/trade-account/order/history"
        params = _order_query(market, client_order_id, limit, offset)
        data = await self._private(path, params)
        return self._parse(parsing.parse_order_history, data, path)

    async def conditional_orders(self, market: str | None = None) -> list[dict[str, Any]]:
        """Raw active OCO/OTO groups (``/api/v4/conditional-orders`` records). Use
        :func:`tui.api.parsing.parse_conditional_oco_legs` for typed OCO legs."""
        path = "/api/v4/conditional-orders"
        data = await self._private(path, {"market": market, "limit": 100, "offset": 0})
        rows = data.get("records") if isinstance(data, Mapping) else data
        if not isinstance(rows, list):
            raise MalformedResponseError("Unexpected response shape", status=200, path=path)
        return [dict(r) for r in rows if isinstance(r, Mapping)]

    # ------------------------------------------------------------------ orders

    @staticmethod
    def _order_params(req: OrderRequest, *, bulk: bool = False) -> tuple[str, dict[str, Any]]:
        errors: dict[str, list[str]] = {}

        def need(value: Decimal | None, name: str) -> None:
            if value is None:
                errors.setdefault(name, []).append(
                    f"{name} is required for a {req.type.value} order."
                )
            elif not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
                errors.setdefault(name, []).append(f"{name} must be a positive decimal.")

        need(req.amount, "amount")
        params: dict[str, Any] = {"market": req.market, "side": req.side.value}
        if req.type in (OrderType.LIMIT, OrderType.STOP_LIMIT, OrderType.OCO):
            need(req.price, "price")
        if req.type in (OrderType.STOP_LIMIT, OrderType.TRIGGER_MARKET, OrderType.OCO):
            need(req.activation_price, "activation_price")
        if req.type is OrderType.OCO:
            need(req.stop_limit_price, "stop_limit_price")
        if bulk and req.type is not OrderType.LIMIT:
            errors.setdefault("type", []).append("Bulk orders must be limit orders.")
        if errors:
            raise ValidationError(
                "Invalid order request",
                errors=errors,
                path=_BULK_PATH if bulk else _ORDER_PATHS[req.type],
            )
        params["amount"] = decimal_str(req.amount)
        if (
            req.price is not None
            and req.type is not OrderType.MARKET
            and req.type is not OrderType.TRIGGER_MARKET
        ):
            params["price"] = decimal_str(req.price)
        if req.activation_price is not None and req.type in (
            OrderType.STOP_LIMIT,
            OrderType.TRIGGER_MARKET,
            OrderType.OCO,
        ):
            params["activation_price"] = decimal_str(req.activation_price)
        if req.type is OrderType.OCO and req.stop_limit_price is not None:
            params["stop_limit_price"] = decimal_str(req.stop_limit_price)
        if req.client_order_id:
            params["clientOrderId"] = req.client_order_id
        if req.position_side is not None:
            params["positionSide"] = req.position_side.value
        if req.reduce_only:
            params["reduceOnly"] = True
        return _ORDER_PATHS[req.type], params

    @staticmethod
    def _with_client_id(req: OrderRequest) -> OrderRequest:
        if req.client_order_id:
            return req
        return dataclasses.replace(req, client_order_id=new_client_order_id())

    def _parse_placed(self, req: OrderRequest, data: Any, path: str) -> list[Order]:
        if req.type is OrderType.OCO:
            return self._parse(parsing.parse_oco, data, path, market=req.market)
        return [self._parse(parsing.parse_order, data, path, market=req.market)]

    async def _lookup(self, req: OrderRequest) -> list[Order]:
        """Every order carrying req's clientOrderId: active, finished, and OCO legs."""
        cid = req.client_order_id
        found: dict[int, Order] = {}
        for order in await self.active_orders(market=req.market, client_order_id=cid):
            if order.client_order_id == cid:
                found[order.id] = order
        if req.type is OrderType.OCO:
            rows = await self.conditional_orders(market=req.market)
            legs = self._parse(
                parsing.parse_conditional_oco_legs, rows, "/api/v4/conditional-orders"
            )
            for leg in legs:
                if leg.client_order_id == cid:
                    found[leg.id] = leg
        if not found:
            for order in await self.executed_orders(market=req.market, client_order_id=cid):
                if order.client_order_id == cid:
                    found[order.id] = order
        return list(found.values())

    async def _reconcile(self, req: OrderRequest, why: ApiError) -> list[Order]:
        """Look the order up; raise OrderUncertainError if the lookup itself fails."""
        if self._reconcile_delay:
            # Give a request that is still in flight on the exchange time to land first.
            await asyncio.sleep(self._reconcile_delay)
        try:
            return await self._lookup(req)
        except ApiError as exc:
            raise OrderUncertainError(
                f"Order state unknown after {type(why).__name__}; lookup failed: {exc}",
                path=why.path,
                status=why.status,
                client_order_id=req.client_order_id,
            ) from None

    @staticmethod
    def _uncertain(exc: ApiError) -> bool:
        if isinstance(exc, TransportError):
            return exc.sent is not False
        return isinstance(exc, ServerError)  # 5xx or an unreadable answer (incl. HTTP 200)

    async def place_order(self, req: OrderRequest) -> list[Order]:
        """Place one order (or an OCO: both legs). See the module doc for the retry policy."""
        req = self._with_client_id(req)
        path, params = self._order_params(req)
        try:
            data = await self._private(path, params, retry=False)
            return self._parse_placed(req, data, path)
        except ApiError as exc:
            if not self._uncertain(exc):
                raise
            first = exc
        log.warning(
            "order %s: outcome unknown (%s); reconciling", req.client_order_id, type(first).__name__
        )
        found = await self._reconcile(req, first)
        if found:
            return found
        # Confirmed absent: resend once with the same clientOrderId.
        try:
            data = await self._private(path, params, retry=False)
            return self._parse_placed(req, data, path)
        except ValidationError as exc:
            if exc.code != CODE_CLIENT_ORDER_ID:
                raise
            second: ApiError = exc  # duplicate id: the first one is open after all
        except ApiError as exc:
            if not self._uncertain(exc):
                raise
            second = exc
        found = await self._reconcile(req, second)
        if found:
            return found
        raise OrderUncertainError(
            "Order outcome unknown: not found after one resend "
            f"({type(first).__name__}, then {type(second).__name__})",
            path=path,
            status=second.status,
            client_order_id=req.client_order_id,
        )

    async def place_bulk(
        self, reqs: list[OrderRequest], stop_on_fail: bool = False
    ) -> list[Order | ApiError]:
        """Up to 20 limit orders in one call. Never resent; an uncertain outcome is reconciled
        per order (found -> Order, else OrderUncertainError in that slot)."""
        reqs = [self._with_client_id(r) for r in reqs]
        if not 1 <= len(reqs) <= 20:
            raise ValidationError(
                "A bulk request takes 1 to 20 orders",
                errors={"orders": ["1 to 20 orders."]},
                path=_BULK_PATH,
            )
        items = []
        for r in reqs:
            _, p = self._order_params(r, bulk=True)
            items.append(p)
        params = {"orders": items, "stopOnFail": bool(stop_on_fail)}
        try:
            data = await self._private(_BULK_PATH, params, retry=False)
        except ApiError as exc:
            if not self._uncertain(exc):
                raise
            out: list[Order | ApiError] = []
            for r in reqs:
                try:
                    found = await self._reconcile(r, exc)
                except OrderUncertainError as unc:
                    out.append(unc)
                    continue
                out.append(
                    found[0]
                    if found
                    else OrderUncertainError(
                        "Bulk order outcome unknown (not found)",
                        path=_BULK_PATH,
                        client_order_id=r.client_order_id,
                    )
                )
            return out
        if not isinstance(data, list):
            raise MalformedResponseError("Unexpected response shape", status=200, path=_BULK_PATH)
        results: list[Order | ApiError] = []
        for i, r in enumerate(reqs):
            item = data[i] if i < len(data) else None
            if isinstance(item, Mapping) and isinstance(item.get("result"), Mapping):
                results.append(
                    self._parse(parsing.parse_order, item["result"], _BULK_PATH, market=r.market)
                )
            elif isinstance(item, Mapping) and isinstance(item.get("error"), Mapping):
                # Per-order refusals arrive inside an HTTP 200: typed like a 422, no status.
                err = error_from_response(422, item["error"], _BULK_PATH)
                err.status = None
                results.append(err)
            else:
                results.append(ApiError("Not processed", path=_BULK_PATH))
        return results

    async def cancel_order(
        self, market: str, order_id: int | None = None, client_order_id: str | None = None
    ) -> Order:
        if (order_id is None) == (not client_order_id):
            raise ValueError("give exactly one of order_id and client_order_id")
        path = "/api/v4/order/cancel"
        params: dict[str, Any] = {"market": market}
        if order_id is not None:
            params["orderId"] = int(order_id)
        else:
            params["clientOrderId"] = client_order_id
        data = await self._private(path, params, retry=False)
        return self._parse(parsing.parse_order, data, path, market=market)

    async def cancel_oco(self, market: str, order_id: int) -> None:
        path = "/api/v4/order/oco-cancel"
        await self._private(path, {"market": market, "orderId": int(order_id)}, retry=False)

    # ------------------------------------------------------------------ kill switch

    async def kill_switch(
        self, market: str, timeout: int | None, types: Sequence[str] | None = None
    ) -> KillSwitchTimer | None:
        """Arm or renew the market's dead-man timer (``timeout`` 5-600 s), or delete it
        (``timeout=None`` -> None). Safe to retry: re-sending only resets the timer."""
        if timeout is not None and not 5 <= timeout <= 600:
            raise ValueError("kill-switch timeout must be 5-600 seconds")
        if types is not None and (not types or any(t not in KILL_SWITCH_TYPES for t in types)):
            raise ValueError(f"kill-switch types must be among {KILL_SWITCH_TYPES}")
        params: dict[str, Any] = {
            "market": market,
            # the key must be present: null deletes the timer (so not via _private, which
            # drops None values)
            "timeout": str(timeout) if timeout is not None else None,
        }
        if types is not None:
            params["types"] = list(types)
        data = await self._call("POST", _KILL_SWITCH_PATH, signed=params)
        if timeout is None:
            return None
        return self._parse(parse_kill_switch, data, _KILL_SWITCH_PATH)

    async def kill_switch_status(self, market: str | None = None) -> list[KillSwitchTimer]:
        """The account's running dead-man timers (one market's with ``market``)."""
        data = await self._private(_KILL_SWITCH_STATUS_PATH, {"market": market})
        return self._parse(parse_kill_switches, data, _KILL_SWITCH_STATUS_PATH)
