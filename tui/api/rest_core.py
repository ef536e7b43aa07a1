"""The REST client's call machinery: nonces and signing, one HTTP exchange through
:mod:`tui.api.transport`, decoding, typed errors, retries. The endpoint methods live in
:mod:`tui.api.rest_account` and :mod:`tui.api.rest_orders`; :class:`tui.api.rest.WhiteBitRest`
joins them.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, Self, TypeVar
from urllib.parse import urlencode

from . import parsing
from .errors import (
    ApiError,
    AuthError,
    MalformedResponseError,
    NonceError,
    RateLimitError,
    ServerError,
    TransportError,
    error_from_response,
)
from .signing import Credentials, NonceSource, sign_request
from .transport import HttpTransport, Response

__all__ = ["NONCE_JUMPS_MS", "RestCore"]

log = logging.getLogger("tui.api.rest")

P = ParamSpec("P")
T = TypeVar("T")

#: After a nonce rejection the nonce source jumps this far ahead of max(clock, last) before the
#: next attempt; one entry per attempt, so recovery is bounded (1 s, 1 min, 1 h).
NONCE_JUMPS_MS: tuple[int, ...] = (1_000, 60_000, 3_600_000)

#: After ``nonceWindow`` nonces were refused twice in a row (the exchange's clock is more than
#: 5 s from ours), signed calls go without it, one at a time, for this long (seconds).
STRICT_AFTER_REFUSALS_S = 60.0


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))  # float-ok: seconds, not money
    except ValueError:
        return None


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def decode(response: Response, path: str) -> Any:
    """A response's JSON (decoded with Decimal), or the typed error its status and body mean."""
    status, content = response.status, response.body
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
        retry_after=_retry_after(response.headers),
    )


class RestCore:
    """Signed and public calls with the retry policy of :mod:`tui.api.rest`."""

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
        nonce_window: bool = True,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._credentials = credentials
        self._nonces = nonce_source if nonce_source is not None else NonceSource(nonce_path)
        self._max_read_retries = max(0, int(max_read_retries))
        self._backoff_base = float(backoff_base)  # float-ok: seconds, not money
        self._backoff_cap = float(backoff_cap)  # float-ok: seconds, not money
        self._reconcile_delay = max(0.0, float(reconcile_delay))  # float-ok: seconds, not money
        self._nonce_window = nonce_window
        self._strict_until = 0.0  # time.monotonic() until which nonceWindow is not used
        # Held across a whole exchange, but only by requests sent without ``nonceWindow``
        # (see _send_signed): those must reach the exchange in nonce order.
        self._strict_lock = asyncio.Lock()
        # ``timeout`` bounds one whole exchange; connecting (and waiting for a pooled
        # connection) has its own bound, 10 s at most by default.
        total = float(timeout)  # float-ok: seconds, not money
        connect = 10.0 if connect_timeout is None else float(connect_timeout)  # float-ok: seconds
        connect = min(total, connect)
        self._http = HttpTransport(self._base_url, timeout=total, connect_timeout=connect)
        self._top_up: asyncio.Future[None] | None = None  # the nonce mark's write, if running

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._base_url!r}, credentials={self._credentials!r})"

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

    async def aclose(self) -> None:
        if not self._http.closed:
            await self._http.aclose()
        top_up, self._top_up = self._top_up, None
        if top_up is not None:
            await top_up  # a file write of a few ms: let it finish (top_up never raises)

    def _top_up_nonces(self) -> None:
        """Move the nonce mark ahead in a worker thread once a signed request is out, so the
        next signed call (an order) does not wait for that file write on its way."""
        if (self._top_up is None or self._top_up.done()) and self._nonces.needs_top_up():
            loop = asyncio.get_running_loop()
            self._top_up = loop.run_in_executor(None, self._nonces.top_up)

    # ------------------------------------------------------------------ one exchange

    async def _exchange(
        self,
        method: str,
        path: str,
        *,
        query: Mapping[str, Any] | None,
        signed: Mapping[str, Any] | None,
        window: bool = False,
    ) -> Any:
        """One HTTP exchange -> decoded JSON, or a typed error. ``window``: a signed request
        goes with ``nonceWindow`` (see :meth:`_send_signed`)."""
        started = time.monotonic()
        url = self._base_url + path
        if signed is not None:
            if self._credentials is None:
                raise AuthError("No API credentials configured", path=path)
            response = await self._send_signed(
                method, path, url, signed, self._credentials, window=window
            )
            self._top_up_nonces()
        else:
            if query:
                url += "?" + urlencode({k: _query_value(v) for k, v in query.items()})
            response = await self._send(method, path, url)
        log.debug(
            "%s %s -> %s in %.0f ms",
            method,
            path,
            response.status,
            (time.monotonic() - started) * 1000,
        )
        return decode(response, path)

    async def _send(
        self,
        method: str,
        path: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        try:
            return await self._http.send(method, url, headers, body)
        except TransportError as exc:
            log.debug("%s %s -> %s", method, path, type(exc).__name__)
            raise

    async def _send_signed(
        self,
        method: str,
        path: str,
        url: str,
        params: Mapping[str, Any],
        credentials: Credentials,
        *,
        window: bool,
    ) -> Response:
        """Take a nonce, sign and send. No lock is held across a ``window`` exchange, so a slow
        answer (a balance read) never holds up another call (an order).

        Nonces: without ``nonceWindow`` WhiteBIT refuses (429) a nonce not greater than the
        last one it saw for the key. Concurrent requests travel over separate pooled
        connections (and, at the real exchange, through load-balanced gateways), so arrival
        order is not send order: a counter increasing in send order is not enough. The spec's
        answer for concurrent senders ("Nonce rules") is ``nonceWindow: true``: each nonce then
        only has to be a Unix-ms time within +-5 s of the exchange's clock and unique for the
        key, in any arrival order. ``NonceSource.next(window=True)`` gives exactly that,
        ``max(now_ms, last windowed + 1)``, taken here with no await before the send.

        Without ``window`` (the exchange refused windowed nonces: its clock is not ours; or
        ``nonce_window=False``) the request holds ``_strict_lock`` until answered: one at a
        time, so such nonces reach the exchange in order. Windowed requests taken before it
        have smaller nonces (``last`` covers them), so they never count against it, in any
        arrival order; one taken after it (a call that started before the switch) may carry a
        greater nonce, and if that arrives first and the exchange counts it, the strict request
        is refused before anything ran and ``_call`` repeats it with a newer nonce (safe for
        orders too)."""
        nonces = self._nonces
        if window:
            req = sign_request(path, params, credentials, nonces.next(window=True), window=True)
            return await self._send(method, path, url, req.headers, req.body)
        async with self._strict_lock:
            req = sign_request(path, params, credentials, nonces.next())
            return await self._send(method, path, url, req.headers, req.body)

    # ------------------------------------------------------------------ retries

    def _backoff(self, attempt: int, exc: ApiError) -> float:
        ceiling = min(self._backoff_cap, self._backoff_base * 2.0**attempt)
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
        window = (
            signed is not None and self._nonce_window and time.monotonic() >= self._strict_until
        )
        window_retries = 1  # a refused nonceWindow nonce is retried once with a fresh one
        while True:
            try:
                return await self._exchange(method, path, query=query, signed=signed, window=window)
            except NonceError:
                # Rejected before execution: safe to repeat, even for orders.
                if window and window_retries:
                    # A duplicate (another process on this key, same ms) or a nonce that
                    # waited more than 5 s for a connection: a fresh one is enough.
                    window_retries -= 1
                    log.warning("nonce rejected on %s; retrying with a fresh one", path)
                    continue
                if window:
                    # Refused twice: the exchange's clock is more than 5 s from ours. Nonces
                    # that only have to grow, one call at a time, for a while.
                    window = False
                    self._strict_until = time.monotonic() + STRICT_AFTER_REFUSALS_S
                    log.warning(
                        "nonce rejected again on %s; sending without nonceWindow for %.0f s",
                        path,
                        STRICT_AFTER_REFUSALS_S,
                    )
                    continue
                # Jump ahead so a server nonce that is ahead of our clock (another process, a
                # lost nonce file) is overtaken in a bounded number of steps.
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
    def _parse(
        fn: Callable[Concatenate[Any, P], T],
        data: Any,
        path: str,
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``fn(data, ...)``, with any shape problem raised as MalformedResponseError."""
        try:
            return fn(data, *args, **kwargs)
        except (parsing.ParseError, TypeError, KeyError, AttributeError) as exc:
            msg = f"Unexpected response shape: {exc}"
        raise MalformedResponseError(msg, status=200, path=path)
