"""HTTP-level errors in WhiteBIT's error shape, never echoing what the client sent.

aiohttp answers on its own in two places: an ``HTTPException`` raised while routing or reading
(405 wrong method, 413 body too large) and a request its parser refused (a header line or field
over 8,190 bytes, bytes HTTP forbids, not HTTP at all), which it answers with a text/plain 400
that quotes the offending bytes, before any middleware runs. Here both answer
``{"code": 0, "message": "...", "errors": {}}`` (the private error body, spec section 3); an
unknown route keeps WhiteBIT's empty 404, and an unexpected failure the documented 500 body.
"""

from __future__ import annotations

import asyncio
import logging
from http import HTTPStatus
from typing import Any

from aiohttp import web

from . import errors
from .wire import dumps

log = logging.getLogger("tui.sandbox")

MESSAGES = {
    400: "Bad request.",
    405: "Method not allowed.",
    413: "Request entity too large.",
}


def error_response(status: int, headers: Any = None) -> web.Response:
    """The answer for HTTP ``status`` (404: empty, like WhiteBIT's unknown route)."""
    if status == 404:
        return web.Response(status=404)
    if status >= 500:
        body: Any = errors.INTERNAL_ERROR_BODY
    else:
        try:
            phrase = HTTPStatus(status).phrase
        except ValueError:
            phrase = "Error"
        body = {"code": 0, "message": MESSAGES.get(status, f"{phrase}."), "errors": {}}
    response = web.Response(status=status, text=dumps(body), content_type="application/json")
    if headers is not None and "Allow" in headers:
        response.headers["Allow"] = headers["Allow"]
    return response


def from_http_exception(exc: web.HTTPException) -> web.StreamResponse:
    """An ``HTTPException`` as the answer (redirects and successes pass as raised)."""
    if exc.status < 400:
        return exc
    return error_response(exc.status, exc.headers)


@web.middleware
async def middleware(request: web.Request, handler: Any) -> web.StreamResponse:
    """Outermost: whatever escapes the inner middlewares still answers in JSON."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        return from_http_exception(exc)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("sandbox: unexpected error on %s %s", request.method, request.path)
        return error_response(500)


class JsonErrorHandler(web.RequestHandler):
    """``RequestHandler`` whose ``handle_error`` (public; aiohttp calls it for a request its
    parser refused, and for anything escaping the app) answers JSON and logs without the
    request bytes. ``__slots__ = ()`` keeps the base layout so an instance can take this class."""

    __slots__ = ()

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        log.debug("sandbox: HTTP %s for a malformed request from %s", status, request.remote)
        if request.writer.output_size > 0:
            raise ConnectionError("response already started; cannot send the error")
        response = error_response(status)
        response.force_close()
        return response


class JsonErrorServer(web.Server):
    """``web.Server`` (the protocol factory a site listens with) making JsonErrorHandlers.

    aiohttp has no option for the parser-error answer, and its Application builds a plain
    ``web.Server``: :func:`install` retypes that one object, and each connection's handler is
    retyped here. Both subclasses only override public methods (``__call__``, ``handle_error``);
    if aiohttp changes their layout the assignment raises TypeError at the first connection,
    which the sandbox tests catch."""

    def __call__(self) -> web.RequestHandler:
        handler = super().__call__()
        handler.__class__ = JsonErrorHandler
        return handler


def install(runner: web.BaseRunner) -> None:
    """Make ``runner``'s connections answer parser errors in JSON; call after ``setup()``."""
    server = runner.server
    if server is None:
        raise RuntimeError("install() needs a runner that is set up")
    server.__class__ = JsonErrorServer
