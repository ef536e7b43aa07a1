"""The sandbox's control endpoints (not part of the exchange's API):

- ``GET /sandbox/info``: identifies the sandbox (404 when posing as a live exchange);
- ``POST /sandbox/price {"market", "price"}``: set a market's last price;
- ``POST /sandbox/faults {...}`` / ``GET /sandbox/faults``: arm faults, report them
  (``faults.parse_control`` names the fields).

Only a local program may drive them, never a web page the user happens to open:

- the peer address is loopback (403 otherwise);
- the ``Host`` header, when sent, names a loopback host: ``127.0.0.0/8``, ``[::1]`` or
  ``localhost``, any port (403 otherwise). A page that rebinds its own DNS name to 127.0.0.1
  reaches the port with its own name as ``Host`` (DNS rebinding);
- an ``Origin`` header, when sent, is a loopback origin (403 otherwise; ``null`` included). A
  browser sends ``Origin`` on every cross-site POST;
- a POST is ``Content-Type: application/json`` (415 otherwise). ``text/plain``, forms and
  multipart are what a page may POST cross-site without a CORS preflight.

Every refusal is a JSON error ``{"code", "message", "errors"}``.
"""

from __future__ import annotations

import ipaddress
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiohttp import web

import tui
from tui.domain import risk

from . import errors
from .auth import parse_json_object
from .faults import FaultError, parse_control
from .rest_params import Params
from .wire import dumps, s

if TYPE_CHECKING:
    from .server import SandboxServer

NAME = "collateral-tui sandbox"
#: Highest price ``/sandbox/price`` sets: far above any market's (BTC is ~6.5e4), far below what
#: the engine's arithmetic can hold.
MAX_PRICE = Decimal(10) ** 12


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(status=status, text=dumps(body), content_type="application/json")


def is_loopback(remote: str | None) -> bool:
    """True for a loopback IP address (IPv4, IPv6, IPv4-mapped IPv6); False for anything else."""
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote.split("%", 1)[0])
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return bool(address.is_loopback or (mapped is not None and mapped.is_loopback))


def is_loopback_host(host: str) -> bool:
    """``host`` (a Host header or URL host, with or without a port) names this machine."""
    host = host.strip().lower()
    if host.startswith("["):
        name, bracket, _ = host[1:].partition("]")
        return bool(bracket) and is_loopback(name)
    name = host.rsplit(":", 1)[0] if host.count(":") == 1 else host
    return name in ("localhost", "localhost.") or is_loopback(name)


def _is_loopback_origin(origin: str) -> bool:
    try:
        parts = urlsplit(origin.strip())
        port = parts.port  # ValueError on a port that is not a number
    except ValueError:
        return False
    del port
    return parts.scheme in ("http", "https") and is_loopback_host(parts.netloc)


def host_middleware(loopback_only: bool) -> Any:
    """On a sandbox bound to loopback, every route (the exchange API and ``/ws`` too) answers
    only to a loopback ``Host``: a page that rebinds its DNS name to 127.0.0.1 could otherwise
    use the paper account with the public demo credentials. Beyond loopback the bind itself
    needs explicit credentials, and names the host a trader types, so nothing is checked."""

    @web.middleware
    async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
        host = request.headers.get("Host")
        if loopback_only and host is not None and not is_loopback_host(host):
            return json_response(
                {
                    "code": 0,
                    "message": "This sandbox answers only to a loopback Host.",
                    "errors": {},
                },
                403,
            )
        return await handler(request)

    return middleware


def _forbidden(message: str) -> errors.ApiError:
    return errors.ApiError(403, {"code": 0, "message": message, "errors": {}})


def require_local(request: web.Request) -> None:
    """Refuse (403) a request that does not come from a local program (see the module doc)."""
    if not is_loopback(request.remote):
        raise _forbidden("Sandbox control is available on loopback only.")
    host = request.headers.get("Host")
    if host is not None and not is_loopback_host(host):
        raise _forbidden("Sandbox control answers only to a loopback Host.")
    origin = request.headers.get("Origin")
    if origin is not None and not _is_loopback_origin(origin):
        raise _forbidden("Sandbox control refuses requests from web pages.")


def _json_body(request: web.Request, body: bytes) -> dict[str, Any]:
    if request.content_type != "application/json":
        raise errors.ApiError(
            415, {"code": 0, "message": "Content-Type must be application/json.", "errors": {}}
        )
    return parse_json_object(body)


def _valid_price(server: SandboxServer, market: str, price: Decimal) -> Decimal:
    """``price`` rounded to the market's tick; 422 (code 33) unless it is then in (0, MAX]."""
    step = server.engine.spec(market).market.price_step
    if not price.is_finite() or price <= 0 or price > MAX_PRICE:
        raise errors.validation(33, "price", f"Price must be above 0 and at most {MAX_PRICE}.")
    rounded = risk.quantize_price(price, step)
    if rounded <= 0:
        raise errors.validation(33, "price", f"Price rounds to 0 (tick {s(step)}).")
    return rounded


def add_routes(app: web.Application, server: SandboxServer) -> None:
    async def info(request: web.Request) -> web.Response:
        require_local(request)
        if server.config.pose_as_live:
            raise web.HTTPNotFound()  # answers like a real exchange: unknown route
        return json_response(
            {
                "sandbox": True,
                "name": NAME,
                "version": tui.__version__,
                "markets": list(server.engine.catalog),
                "static_prices": server.engine.options.static_prices,
            }
        )

    async def set_price(request: web.Request) -> web.Response:
        require_local(request)
        p = Params(_json_body(request, await request.read()))
        market = p.str("market", required=True)
        price = p.decimal("price", required=True, code=33)
        assert market is not None and price is not None
        await server.set_price(market, _valid_price(server, market, price))
        return json_response({"market": market, "price": s(server.engine.prices[market])})

    async def faults(request: web.Request) -> web.Response:
        """``{"kind": ..., "path"?, "times"?, "seconds"?, "size"?, "commit"?, "key"?, "ms"?}``;
        ``{"kind": "clear"}`` disarms everything."""
        require_local(request)
        data = _json_body(request, await request.read())
        try:
            if data.get("kind") == "clear":
                server.faults.clear()
                return json_response(server.faults.report())
            fault = await server.faults.inject(**parse_control(data))
        except FaultError as exc:
            return json_response({"code": 30, "message": str(exc), "errors": {}}, 422)
        return json_response({"fault": fault.as_dict(), **server.faults.report()})

    async def faults_report(request: web.Request) -> web.Response:
        require_local(request)
        return json_response(server.faults.report())

    app.router.add_get("/sandbox/info", info)
    app.router.add_post("/sandbox/price", set_price)
    app.router.add_post("/sandbox/faults", faults)
    app.router.add_get("/sandbox/faults", faults_report)
