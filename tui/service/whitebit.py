"""The WhiteBIT adapter: ``tui.api`` clients behind the venue-neutral ``Venue`` protocol."""

from __future__ import annotations

import asyncio
import functools
import importlib
import sys
from collections.abc import Awaitable, Callable, Coroutine
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from tui.api.errors import ApiError, OrderUncertainError, TransportError
from tui.api.signing import Credentials
from tui.domain.models import (
    AccountSummary,
    Balance,
    Direction,
    FundingPayment,
    Market,
    Order,
    OrderRequest,
    OrderType,
    Position,
    PositionEvent,
    PositionSide,
    Side,
    VenueInfo,
)

from .venue import CommandError, StreamCallbacks

if TYPE_CHECKING:
    from tui.api.rest import WhiteBitRest
    from tui.api.ws import WhiteBitStream

P = ParamSpec("P")
T = TypeVar("T")


def _translate(exc: Exception) -> CommandError:
    if isinstance(exc, OrderUncertainError):
        return CommandError(
            None,
            "The exchange did not confirm the order and it could not be found; check open orders"
            " before sending it again",
            uncertain=True,
        )
    if isinstance(exc, TransportError):
        return CommandError(None, f"Cannot reach the exchange: {exc.message}")
    if isinstance(exc, ApiError):
        return CommandError(exc.code, exc.message, exc.errors)
    return CommandError(None, f"{type(exc).__name__}: {exc}")


def _venue_call(fn: Callable[P, Awaitable[T]]) -> Callable[P, Coroutine[Any, Any, T]]:
    """Turn the client's typed errors into ``CommandError`` at the venue boundary."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await fn(*args, **kwargs)
        except CommandError:
            raise
        except (ApiError, OSError) as exc:
            raise _translate(exc) from None

    return wrapper


_CLIENT_MODULES = ("tui.api.rest", "tui.api.ws")


def _import_clients() -> None:
    for name in _CLIENT_MODULES:
        importlib.import_module(name)


class WhiteBitVenue:
    """The HTTP and WebSocket clients (aiohttp, websockets: ~0.4 s of imports) are imported when
    the venue connects, in a worker thread, not when it is built: the desk builds its venue
    before its first frame and connects after it."""

    def __init__(
        self,
        rest_url: str,
        ws_url: str,
        *,
        api_key: str,
        api_secret: str,
        nonce_path: Path | None = None,
        timeout: float = 10.0,
        stream_options: dict[str, object] | None = None,
        rest_options: dict[str, float] | None = None,
    ) -> None:
        self.rest_url = rest_url.rstrip("/")
        self.ws_url = ws_url
        self._credentials = Credentials(api_key=api_key, api_secret=api_secret)
        self._rest_args = (timeout, nonce_path, dict(rest_options or {}))
        self._rest_client: WhiteBitRest | None = None
        self._stream: WhiteBitStream | None = None
        self._stream_options = dict(stream_options or {})

    @property
    def _rest(self) -> WhiteBitRest:
        if self._rest_client is None:
            from tui.api.rest import WhiteBitRest

            timeout, nonce_path, rest_options = self._rest_args
            self._rest_client = WhiteBitRest(
                self.rest_url,
                self._credentials,
                timeout=timeout,
                nonce_path=nonce_path,
                **rest_options,  # type: ignore[arg-type]
            )
        return self._rest_client

    # -- lifecycle -------------------------------------------------------------------------
    @_venue_call
    async def connect(self) -> VenueInfo:
        if not all(name in sys.modules for name in _CLIENT_MODULES):
            await asyncio.to_thread(_import_clients)  # the event loop keeps running meanwhile
        info = await self._rest.sandbox_info()
        sandbox = bool(info and info.get("sandbox") is True)
        name = str(info.get("name", "WhiteBIT sandbox")) if sandbox and info else "WhiteBIT"
        return VenueInfo(name=name, rest_url=self.rest_url, ws_url=self.ws_url, sandbox=sandbox)

    async def close(self) -> None:
        await self.stop_streams()
        if self._rest_client is not None:
            await self._rest_client.aclose()

    # -- reads -----------------------------------------------------------------------------
    @_venue_call
    async def load_markets(self) -> list[Market]:
        return await self._rest.markets()

    @_venue_call
    async def load_prices(self) -> dict[str, Decimal]:
        return await self._rest.tickers()

    @_venue_call
    async def load_balances(self) -> dict[str, Balance]:
        summary = await self._rest.balance_summary()
        return {b.asset: b for b in summary}

    @_venue_call
    async def load_summary(self) -> AccountSummary | None:
        return await self._rest.account_summary()

    @_venue_call
    async def load_positions(self) -> list[Position]:
        return await self._rest.open_positions()

    @_venue_call
    async def load_orders(self) -> list[Order]:
        orders: list[Order] = []
        offset = 0
        while True:
            page = await self._rest.active_orders(limit=100, offset=offset)
            orders.extend(page)
            if len(page) < 100:
                return orders
            offset += 100

    @_venue_call
    async def load_settings(self) -> tuple[int, bool]:
        summary = await self._rest.account_summary()
        hedge = await self._rest.hedge_mode()
        return summary.leverage, hedge

    @_venue_call
    async def positions_history(self, market: str | None) -> list[PositionEvent]:
        return await self._rest.positions_history(market=market, limit=100)

    @_venue_call
    async def funding_history(self, market: str | None) -> list[FundingPayment]:
        return await self._rest.funding_history(market=market, limit=100)

    # -- commands --------------------------------------------------------------------------
    @_venue_call
    async def place_order(self, request: OrderRequest) -> list[Order]:
        return await self._rest.place_order(request)

    @_venue_call
    async def find_orders(self, market: str, client_order_id: str) -> list[Order]:
        found: dict[int, Order] = {}
        for order in await self._rest.active_orders(market=market, client_order_id=client_order_id):
            if order.client_order_id == client_order_id:
                found[order.id] = order
        for order in await self._rest.executed_orders(
            market=market, client_order_id=client_order_id
        ):
            if order.client_order_id == client_order_id:
                found.setdefault(order.id, order)
        return list(found.values())

    @_venue_call
    async def cancel_order(self, order: Order) -> None:
        if order.oco_id is not None:
            await self._rest.cancel_oco(order.market, order.oco_id)
        else:
            await self._rest.cancel_order(order.market, order_id=order.id)

    @_venue_call
    async def kill_switch(self, market: str, timeout: int | None) -> None:
        await self._rest.kill_switch(market, timeout)

    @_venue_call
    async def close_position(self, position: Position, amount: Decimal | None) -> None:
        hedge_side = (
            position.position_side if position.position_side is not PositionSide.BOTH else None
        )
        if amount is None or amount >= position.size:
            await self._rest.close_position(position.id, position.market, hedge_side)
            return
        # WhiteBIT's close endpoint always closes the full size: a partial close is an
        # opposite reduce-only market order for the amount.
        side = Side.SELL if position.direction is Direction.LONG else Side.BUY
        await self._rest.place_order(
            OrderRequest(
                market=position.market,
                side=side,
                type=OrderType.MARKET,
                amount=amount,
                position_side=hedge_side,
                reduce_only=True,
            )
        )

    @_venue_call
    async def set_leverage(self, leverage: int) -> int:
        return await self._rest.set_leverage(leverage)

    @_venue_call
    async def set_hedge_mode(self, enabled: bool) -> bool:
        return await self._rest.set_hedge_mode(enabled)

    # -- streams ---------------------------------------------------------------------------
    async def start_streams(self, callbacks: StreamCallbacks, price_markets: list[str]) -> None:
        from tui.api.ws import WhiteBitStream

        self._stream = WhiteBitStream(
            self.ws_url,
            token_provider=self._rest.websocket_token,
            on_positions=callbacks.on_positions,
            on_price=callbacks.on_price,
            on_order=callbacks.on_order,
            on_state=callbacks.on_state,
            on_error=callbacks.on_error,
            **self._stream_options,  # type: ignore[arg-type]
        )
        await self._stream.set_price_markets(price_markets)
        await self._stream.set_order_markets(price_markets)
        await self._stream.start()

    def stale_after(self, stream: str) -> float | None:
        return self._stream.stale_after(stream) if self._stream is not None else None

    async def stop_streams(self) -> None:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()
