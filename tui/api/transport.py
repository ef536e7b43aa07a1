"""The REST client's HTTP seam: one :meth:`HttpTransport.send` that returns status, headers and
body, or raises :class:`~tui.api.errors.TransportError` saying whether the request may have
reached the exchange.

Built on one long-lived ``httpx.AsyncClient`` per account: an HTTP/1.1 keep-alive pool of at
most 16 connections, connect/read/write/pool timeouts plus a total deadline per call, no proxy
or netrc settings from the environment, no redirects, the certifi CA bundle for https.

``TransportError.sent`` decides whether an order whose answer was lost gets reconciled, so the
mapping is conservative: ``False`` only when the request certainly never left (no connection
could be made or borrowed from the pool, an unusable URL, or the total deadline fired before
the request headers started going out); ``True`` for everything later.

Errors raised here are built outside ``except`` blocks: no ``__cause__``/``__context__`` leads to
an httpx object, which would hold the request headers (API key, payload, signature).
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from .errors import TransportError

__all__ = ["DEFAULT_HEADERS", "HttpTransport", "Response", "tls_context"]

DEFAULT_HEADERS: Mapping[str, str] = {"User-Agent": "collateral-tui", "Accept": "application/json"}

#: httpx errors raised before any byte of the request could leave: no connection was made
#: (refused, DNS, TLS handshake or certificate, connect timeout), no pooled connection came free
#: in time, or the URL's scheme is unusable.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True, slots=True)
class Response:
    """An HTTP answer of any status: the caller decides what a status means."""

    status: int
    headers: Mapping[str, str]
    body: bytes


_TLS: dict[bool, ssl.SSLContext] = {}


def tls_context(base_url: str) -> ssl.SSLContext:
    """Certificate checking for ``base_url``, built once per process.

    https: the certifi CA bundle (the system store where certifi is missing), hostname checked,
    certificate required, HTTP/1.1 only. A plain-http endpoint (the embedded sandbox on
    loopback) never does TLS, so it gets an empty context instead of loading a CA bundle, which
    would be most of the first call's time. The empty context still requires a verified
    certificate and trusts no CA: were it ever used for TLS, it would refuse, never accept."""
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


class _Trace:
    """httpcore's trace hook: remembers whether the request headers started going out."""

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started = False

    async def __call__(self, name: str, info: Mapping[str, Any]) -> None:
        if not self.started and name.endswith("send_request_headers.started"):
            self.started = True


class HttpTransport:
    """One account's connection pool. ``send`` may be called concurrently; ``aclose`` ends it
    for good (later calls raise ``RuntimeError`` instead of opening a new pool)."""

    def __init__(
        self,
        base_url: str,
        *,
        timeout: float,
        connect_timeout: float,
        max_connections: int = 16,
        keepalive_expiry: float = 30.0,
    ) -> None:
        # The total deadline bounds the whole call; connecting and waiting for a pooled
        # connection have their own, shorter bound, so a call that gives up before sending
        # usually says so (sent=False) rather than hitting the deadline.
        self._deadline = timeout
        connect = min(connect_timeout, timeout)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=connect, pool=connect),
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=keepalive_expiry,
            ),
            headers=dict(DEFAULT_HEADERS),
            verify=tls_context(base_url),
            trust_env=False,  # no proxy or netrc settings from the environment
            follow_redirects=False,
        )
        self._closed = False

    @property
    def closed(self) -> bool:
        return self._closed

    async def aclose(self) -> None:
        self._closed = True
        await self._client.aclose()

    async def send(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Response:
        """One HTTP exchange. Raises TransportError (sent=False/True) when no answer came."""
        if self._closed:
            raise RuntimeError("the HTTP transport is closed")
        trace = _Trace()
        err: TransportError | None = None
        try:
            async with asyncio.timeout(self._deadline):
                response = await self._client.request(
                    method, url, headers=headers, content=body, extensions={"trace": trace}
                )
        except _NOT_SENT as exc:
            if isinstance(exc, httpx.TimeoutException):
                msg = f"Request timed out ({type(exc).__name__})"
            elif isinstance(exc, httpx.UnsupportedProtocol):
                msg = f"Unusable URL ({exc})"
            else:
                msg = f"Connection failed: {urlsplit(url).netloc}: {exc}"
            err = TransportError(msg, path=urlsplit(url).path, sent=False)
        except httpx.InvalidURL as exc:
            err = TransportError(f"Invalid URL ({exc})", path=urlsplit(url).path, sent=False)
        except TimeoutError:
            err = TransportError("Request timed out", path=urlsplit(url).path, sent=trace.started)
        except httpx.HTTPError as exc:  # ReadTimeout, WriteError, RemoteProtocolError, ...
            err = TransportError(
                f"Connection error ({type(exc).__name__}: {exc})",
                path=urlsplit(url).path,
                sent=True,
            )
        if err is not None:  # raised outside the except block: no httpx object in __context__
            raise err
        return Response(response.status_code, response.headers, response.content)
