"""Async WhiteBIT REST client for collateral (margin + futures) trading.

* One ``aiohttp.ClientSession`` per instance (= per account), created on the first call (aiohttp
  wants a running loop): keep-alive connection reuse in a bounded pool, explicit timeouts, no
  proxy settings from the environment, no redirects, certificate checks for https.
* Private calls are signed (see :mod:`tui.api.signing`). Nonce allocation, signing and the HTTP
  exchange happen under one ``asyncio.Lock``: a nonce is taken only when the previous private
  request has been answered, so nonces reach the exchange in order even when the exchange sits
  behind several load-balanced connections. (WhiteBIT's alternative, ``nonceWindow``, is not used.)
* JSON is decoded with ``parse_float=Decimal``; amounts are sent as plain decimal strings.
* Reads retry on rate limits, 5xx and transport errors with exponential backoff + jitter
  (bounded). A nonce rejection (HTTP 429 ``{"code":0,"message":"Too many requests."}``) means
  the exchange refused the request before doing anything: the nonce source jumps ahead by a
  growing step and the call is repeated a bounded number of times, for any call.
* Orders are never blindly retried: every order carries a ``clientOrderId``; if its fate is
  unknown (timeout, dropped connection, 5xx, unreadable answer) the client looks it up among
  active orders and finished orders (WhiteBIT keeps clientOrderId unique only among *open*
  orders, so a resent market order would fill twice), resends at most once with the same id, and
  raises :class:`OrderUncertainError` when it still cannot tell.
* Secrets never reach logs, reprs or errors. Errors raised here carry no ``__cause__`` /
  ``__context__`` pointing at aiohttp objects (which hold the request headers).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import secrets
import ssl
import time
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

import aiohttp

from tui.domain.models import (
    AccountSummary,
    Balance,
    FundingPayment,
    FuturesInfo,
    Market,
    Order,
    OrderRequest,
    OrderType,
    Position,
    PositionEvent,
    PositionSide,
)

from . import parsing
from .errors import (
    ApiError,
    AuthError,
    MalformedResponseError,
    NonceError,
    NotFoundError,
    OrderUncertainError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
    error_from_response,
)
from .signing import Credentials, NonceSource, sign_request

__all__ = ["NONCE_JUMPS_MS", "WhiteBitRest", "decimal_str", "new_client_order_id"]

log = logging.getLogger(__name__)

#: After a nonce rejection the nonce source jumps this far ahead of max(clock, last) before the
#: next attempt; one entry per attempt, so recovery is bounded (1 s, 1 min, 1 h).
NONCE_JUMPS_MS: tuple[int, ...] = (1_000, 60_000, 3_600_000)

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


def new_client_order_id() -> str:
    """Unique, WhiteBIT-safe ([A-Za-z0-9._-]) client order id: ``ct-<ms hex>-<random hex>``."""
    return f"ct-{time.time_ns() // 1_000_000:x}-{secrets.token_hex(4)}"


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


#: aiohttp errors raised before a request could reach the exchange: no connection was made
#: (refused, DNS, TLS handshake or certificate, connect timeout, no free pooled connection
#: in time - aiohttp turns every timeout that fires while connecting into
#: ConnectionTimeoutError), or the URL was unusable. Every other error comes after a connection
#: was handed to the request, whose line and headers aiohttp writes at once, without waiting:
#: those may have been sent. (The same as aiohttp's ``on_request_headers_sent`` trace, without
#: a trace's cost on every request: tests/api/test_api_rest_transport.py checks both sides.)
_NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError, aiohttp.InvalidURL)


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


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))  # float-ok: seconds, not money
    except ValueError:
        return None


_TLS: dict[bool, ssl.SSLContext] = {}


def _tls_context(base_url: str) -> ssl.SSLContext:
    """Certificate checking for ``base_url``, built once per process.

    https: the certifi CA bundle (as httpx and ccxt use; the system store where certifi is
    missing), hostname checked, certificate required. A plain-http endpoint (the embedded
    sandbox on loopback) never does TLS, so it gets an empty context instead of loading a CA
    bundle (that load was two thirds of the first call: bench/RESULTS.md, first_call_vs_ccxt).
    The empty context still requires a verified certificate and trusts no CA: were it ever used
    for TLS, it would refuse, never accept."""
    https = not base_url.lower().startswith("http://")
    ctx = _TLS.get(https)
    if ctx is None:
        if https:
            try:
                import certifi

                ctx = ssl.create_default_context(cafile=certifi.where())
            except ImportError:  # pragma: no cover - certifi is a declared dependency
                ctx = ssl.create_default_context()
            ctx.set_alpn_protocols(["http/1.1"])
        else:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        _TLS[https] = ctx
    return ctx


def _connect_failure(exc: aiohttp.ClientConnectorError) -> str:
    why = getattr(exc, "certificate_error", None) or getattr(exc, "os_error", None) or exc
    return f"Connection failed: {exc.host}:{exc.port}: {why}"


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class WhiteBitRest:
    """WhiteBIT REST client. Use as ``async with WhiteBitRest(url, creds) as rest: ...``."""

    def __init__(
        self,
        base_url: str,
        credentials: Credentials | None,
        *,
        timeout: float = 10.0,
        connect_timeout: float | None = None,
        nonce_path: Path | None = None,
        max_read_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        reconcile_delay: float = 1.0,
        nonce_source: NonceSource | None = None,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._nonces = nonce_source if nonce_source is not None else NonceSource(nonce_path)
        self._max_read_retries = max(0, int(max_read_retries))
        self._backoff_base = float(backoff_base)  # float-ok: seconds, not money
        self._backoff_cap = float(backoff_cap)  # float-ok: seconds, not money
        self._reconcile_delay = max(0.0, float(reconcile_delay))  # float-ok: seconds, not money
        self._lock = asyncio.Lock()
        # Total time for one exchange (connect, send, answer, body); connecting - including a
        # wait for a free pooled connection - has its own bound (10 s at most by default).
        total = float(timeout)  # float-ok: seconds, not money
        connect = min(total, 10.0)
        if connect_timeout is not None:
            connect = float(connect_timeout)  # float-ok: seconds, not money
        self._timeout = aiohttp.ClientTimeout(total=total, connect=min(connect, total))
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._top_up: asyncio.Future[None] | None = None  # the nonce mark's write, if running

    def __repr__(self) -> str:
        return f"WhiteBitRest({self._base_url!r}, credentials={self._credentials!r})"

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return self._base_url

    @property
    def nonces(self) -> NonceSource:
        return self._nonces

    @property
    def has_credentials(self) -> bool:
        return self._credentials is not None

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def _open(self) -> aiohttp.ClientSession:
        """The session, created on first use (aiohttp binds it to the running loop)."""
        if self._closed:
            raise RuntimeError("WhiteBitRest is closed")
        connector = aiohttp.TCPConnector(
            limit=16,  # bounded pool: at most 16 connections, idle ones kept 30 s
            keepalive_timeout=30,
            ssl=_tls_context(self._base_url),
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            timeout=self._timeout,
            headers={"User-Agent": "collateral-tui", "Accept": "application/json"},
            trust_env=False,  # no proxy or netrc settings from the environment
        )
        return self._session

    async def aclose(self) -> None:
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            await session.close()
        top_up, self._top_up = self._top_up, None
        if top_up is not None:
            await top_up  # a file write of a few ms: let it finish (top_up never raises)

    def _top_up_nonces(self) -> None:
        """Move the nonce mark ahead in a worker thread once a signed request is out, so the
        next signed calls (an order) do not write it on their way (bench: key_to_wire)."""
        if (self._top_up is None or self._top_up.done()) and self._nonces.needs_top_up():
            loop = asyncio.get_running_loop()
            self._top_up = loop.run_in_executor(None, self._nonces.top_up)

    # ------------------------------------------------------------------ transport

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None,
        signed: Mapping[str, Any] | None,
    ) -> Any:
        """One HTTP exchange -> decoded JSON, or a typed error."""
        started = time.monotonic()
        err: ApiError | None = None
        status = 0
        headers: Mapping[str, str] = {}
        content = b""
        url = self._base_url + path
        if signed is not None and self._credentials is None:
            raise AuthError("No API credentials configured", path=path)
        session = self._session if self._session is not None else self._open()
        try:
            if signed is not None:
                assert self._credentials is not None
                async with self._lock:
                    nonce = self._nonces.next()
                    req = sign_request(path, signed, self._credentials, nonce)
                    async with session.post(
                        url,
                        data=req.body,
                        headers=req.headers,
                        allow_redirects=False,
                    ) as response:
                        content = await response.read()
                        status, headers = response.status, response.headers
                self._top_up_nonces()
            else:
                params = {k: _query_value(v) for k, v in (query or {}).items()}
                async with session.request(
                    method,
                    url,
                    params=params or None,
                    allow_redirects=False,
                ) as response:
                    content = await response.read()
                    status, headers = response.status, response.headers
        except _NOT_SENT as exc:
            if isinstance(exc, TimeoutError):
                msg = "Request timed out (connect)"
            elif isinstance(exc, aiohttp.ClientConnectorError):
                msg = _connect_failure(exc)
            else:
                msg = f"Invalid URL: {self._base_url}"
            err = TransportError(msg, path=path, sent=False)
        except TimeoutError:
            err = TransportError("Request timed out", path=path, sent=True)
        except aiohttp.ClientError as exc:
            err = TransportError(
                f"Connection error ({type(exc).__name__}: {exc})", path=path, sent=True
            )
        if err is not None:  # raised outside the except block: no aiohttp object in __context__
            log.debug("%s %s -> %s", method, path, type(err).__name__)
            raise err
        log.debug(
            "%s %s -> %s in %.0f ms", method, path, status, (time.monotonic() - started) * 1000
        )
        return self._decode(status, headers, content, path)

    @staticmethod
    def _decode(status: int, headers: Mapping[str, str], content: bytes, path: str) -> Any:
        body: Any = None
        decoded = False
        if content.strip():
            try:
                body = parsing.loads(content)
                decoded = True
            except (ValueError, UnicodeDecodeError):
                decoded = False
        if 200 <= status < 300:
            if content.strip() and not decoded:
                raise MalformedResponseError("Response is not JSON", status=status, path=path)
            if isinstance(body, Mapping) and body.get("success") is False:
                raise error_from_response(status, body, path)
            return body
        text = "" if decoded else content[:200].decode("utf-8", "replace")
        raise error_from_response(
            status,
            body if decoded else None,
            path,
            text=text,
            retry_after=_retry_after(headers),
        )

    def _backoff(self, attempt: int, exc: ApiError) -> float:
        ceiling = min(self._backoff_cap, self._backoff_base * (2**attempt))
        delay = ceiling / 2 + random.uniform(0, ceiling / 2)  # "equal jitter": grows, never 0
        if isinstance(exc, RateLimitError) and exc.retry_after:
            delay = max(delay, min(exc.retry_after, self._backoff_cap))
        return delay

    async def _call(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None = None,
        signed: Mapping[str, Any] | None = None,
        retry: bool = True,
    ) -> Any:
        attempt = 0
        nonce_retries = 0
        while True:
            try:
                return await self._exchange(method, path, query=query, signed=signed)
            except NonceError:
                # Rejected before execution: safe to repeat, even for orders. Jump ahead so a
                # server nonce that is ahead of our clock (another process, a lost nonce file)
                # is overtaken in a bounded number of steps.
                if nonce_retries >= len(NONCE_JUMPS_MS):
                    raise
                jump = NONCE_JUMPS_MS[nonce_retries]
                nonce_retries += 1
                self._nonces.bump(max(self._nonces.last, _now_ms()) + jump)
                log.warning("nonce rejected on %s; jumping ahead %d ms and retrying", path, jump)
            except (RateLimitError, ServerError, TransportError) as exc:
                if (
                    not retry
                    or attempt >= self._max_read_retries
                    or isinstance(exc, MalformedResponseError)
                ):
                    raise
                delay = self._backoff(attempt, exc)
                attempt += 1
                log.debug("retrying %s in %.2f s after %s", path, delay, type(exc).__name__)
                await asyncio.sleep(delay)

    async def _private(
        self, path: str, params: Mapping[str, Any] | None = None, *, retry: bool = True
    ) -> Any:
        clean = {k: v for k, v in (params or {}).items() if v is not None}
        return await self._call("POST", path, signed=clean, retry=retry)

    async def _public(self, path: str, query: Mapping[str, Any] | None = None) -> Any:
        clean = {k: v for k, v in (query or {}).items() if v is not None}
        return await self._call("GET", path, query=clean)

    @staticmethod
    def _parse(fn: Any, data: Any, path: str, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(data, *args, **kwargs)
        except (parsing.ParseError, TypeError, KeyError, AttributeError) as exc:
            msg = f"Unexpected response shape: {exc}"
        raise MalformedResponseError(msg, status=200, path=path)

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
            return self._parse(lambda d: parsing._int(d["leverage"], "leverage"), data, path)
        return int(leverage)

    async def hedge_mode(self) -> bool:
        path = "/api/v4/collateral-account/hedge-mode"
        data = await self._private(path)
        if not isinstance(data, Mapping) or not isinstance(data.get("hedgeMode"), bool):
            raise MalformedResponseError("Unexpected response shape", status=200, path=path)
        return data["hedgeMode"]

    async def set_hedge_mode(self, enabled: bool) -> bool:
        # The response body is undocumented (JK parses {"hedgeMode": bool}); fall back to the
        # requested value when it carries nothing.
        path = "/api/v4/collateral-account/hedge-mode/update"
        data = await self._private(path, {"hedgeMode": bool(enabled)})
        if isinstance(data, Mapping) and isinstance(data.get("hedgeMode"), bool):
            return data["hedgeMode"]
        return bool(enabled)

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
