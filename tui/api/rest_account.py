"""REST endpoints for market data, the collateral account and its positions."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from tui.domain.models import (
    AccountSummary,
    Balance,
    FundingPayment,
    FuturesInfo,
    Market,
    Position,
    PositionEvent,
    PositionSide,
)

from . import parsing
from .errors import ApiError, AuthError, MalformedResponseError, NotFoundError, ValidationError
from .rest_core import RestCore

__all__ = ["AccountEndpoints"]


class AccountEndpoints(RestCore):
    # ------------------------------------------------------------------ public

    async def markets(self) -> list[Market]:
        path = "/api/v4/public/markets"
        return self._parse(parsing.parse_markets, await self._public(path), path)

    async def tickers(self) -> dict[str, Decimal]:
        path = "/api/v4/public/ticker"
        return self._parse(parsing.parse_tickers, await self._public(path), path)

    async def futures(self) -> list[FuturesInfo]:
        path = "/api/v4/public/futures"
        return self._parse(parsing.parse_futures, await self._public(path), path)

    async def sandbox_info(self) -> dict[str, Any] | None:
        """The sandbox's self-description, or None when the endpoint is not a sandbox."""
        path = "/sandbox/info"
        try:
            data = await self._call("GET", path, retry=False)
        except (NotFoundError, MalformedResponseError, AuthError, ValidationError):
            return None
        except ApiError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                return None
            raise
        if isinstance(data, Mapping) and data.get("sandbox") is True:
            return dict(data)
        return None

    async def server_time(self) -> int:
        path = "/api/v4/public/time"
        data = await self._public(path)
        try:
            return int(data["time"])
        except (TypeError, KeyError, ValueError):
            raise MalformedResponseError(
                "Unexpected response shape", status=200, path=path
            ) from None

    # ------------------------------------------------------------------ account

    async def collateral_balance(self, ticker: str | None = None) -> dict[str, Decimal]:
        path = "/api/v4/collateral-account/balance"
        data = await self._private(path, {"ticker": ticker})
        return self._parse(parsing.parse_collateral_balance, data, path)

    async def balance_summary(self) -> list[Balance]:
        path = "/api/v4/collateral-account/balance-summary"
        return self._parse(parsing.parse_balance_summary, await self._private(path), path)

    async def account_summary(self) -> AccountSummary:
        path = "/api/v4/collateral-account/summary"
        return self._parse(parsing.parse_account_summary, await self._private(path), path)

    async def set_leverage(self, leverage: int) -> int:
        # Idempotent (setting the same value twice is harmless): retried like a read.
        path = "/api/v4/collateral-account/leverage"
        data = await self._private(path, {"leverage": int(leverage)})
        if isinstance(data, Mapping) and data.get("leverage") is not None:
            return self._parse(parsing.to_int, data["leverage"], path, "leverage")
        return int(leverage)

    async def hedge_mode(self) -> bool:
        path = "/api/v4/collateral-account/hedge-mode"
        data = await self._private(path)
        mode = data.get("hedgeMode") if isinstance(data, Mapping) else None
        if not isinstance(mode, bool):
            raise MalformedResponseError("Unexpected response shape", status=200, path=path)
        return mode

    async def set_hedge_mode(self, enabled: bool) -> bool:
        # The response body is undocumented (JK parses {"hedgeMode": bool}); fall back to the
        # requested value when it carries nothing.
        path = "/api/v4/collateral-account/hedge-mode/update"
        data = await self._private(path, {"hedgeMode": bool(enabled)})
        mode = data.get("hedgeMode") if isinstance(data, Mapping) else None
        return mode if isinstance(mode, bool) else bool(enabled)

    # ------------------------------------------------------------------ positions

    async def open_positions(self, market: str | None = None) -> list[Position]:
        path = "/api/v4/collateral-account/positions/open"
        data = await self._private(path, {"market": market})
        return self._parse(parsing.parse_positions, data, path)

    async def close_position(
        self, position_id: int, market: str, position_side: PositionSide | None = None
    ) -> None:
        """Market-closes the position. It places an order, so it is never retried blindly."""
        path = "/api/v4/collateral-account/position/close"
        params: dict[str, Any] = {"positionId": int(position_id), "market": market}
        if position_side is not None and position_side is not PositionSide.BOTH:
            params["positionSide"] = position_side.value
        await self._private(path, params, retry=False)

    async def positions_history(
        self,
        market: str | None = None,
        position_id: int | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[PositionEvent]:
        path = "/api/v4/collateral-account/positions/history"
        params = {"market": market, "positionId": position_id, "limit": limit, "offset": offset}
        return self._parse(parsing.parse_position_events, await self._private(path, params), path)

    async def funding_history(
        self, market: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[FundingPayment]:
        path = "/api/v4/collateral-account/funding-history"
        params = {"market": market, "limit": limit, "offset": offset}
        return self._parse(parsing.parse_funding_history, await self._private(path, params), path)

    async def websocket_token(self) -> str:
        path = "/api/v4/profile/websocket_token"
        data = await self._private(path)
        token = data.get("websocket_token") if isinstance(data, Mapping) else None
        if not isinstance(token, str) or not token:
            raise MalformedResponseError("Unexpected response shape", status=200, path=path)
        return token
