"""WhiteBIT WebSocket frames -> typed events. Pure: no I/O, no connection state.

:func:`decode_frame` never raises on what a server sends: a frame that is not JSON, not an
object or not the documented shape comes back as :class:`BadFrame` with a reason the stream
reports through ``on_error``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from tui.domain.models import Order, Position

from . import parsing

__all__ = [
    "BadFrame",
    "Frame",
    "OrderUpdate",
    "PositionsUpdate",
    "PriceUpdate",
    "Reply",
    "Unhandled",
    "decode_frame",
]


@dataclass(frozen=True, slots=True)
class Reply:
    """The answer to one of our requests (``id`` 0 is a pong)."""

    id: Any
    message: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PositionsUpdate:
    positions: list[Position]


@dataclass(frozen=True, slots=True)
class PriceUpdate:
    market: str
    price: Decimal


@dataclass(frozen=True, slots=True)
class OrderUpdate:
    event_id: int
    order: Order


@dataclass(frozen=True, slots=True)
class Unhandled:
    """A well-formed update of a channel the stream does not follow."""

    method: str


@dataclass(frozen=True, slots=True)
class BadFrame:
    reason: str


Frame = Reply | PositionsUpdate | PriceUpdate | OrderUpdate | Unhandled | BadFrame


def decode_frame(raw: str | bytes) -> Frame:
    try:
        text = raw.decode("utf-8") if isinstance(raw, (bytes, bytearray)) else raw
        msg = parsing.loads(text)
    except (ValueError, UnicodeDecodeError):
        return BadFrame("invalid JSON frame ignored")
    if not isinstance(msg, Mapping):
        return BadFrame("non-object frame ignored")
    method = msg.get("method")
    if method is None:
        return Reply(msg.get("id"), msg)
    params = msg.get("params")
    if method == "positionsMargin_update":
        try:
            return PositionsUpdate(parsing.parse_ws_positions(params))
        except (parsing.ParseError, TypeError) as exc:
            return BadFrame(f"bad positionsMargin_update ignored: {exc}")
    if method == "lastprice_update":
        try:
            if not isinstance(params, list) or len(params) < 2 or not isinstance(params[0], str):
                raise parsing.ParseError("expected [market, price]")
            return PriceUpdate(params[0], parsing.to_decimal(params[1], "price"))
        except parsing.ParseError as exc:
            return BadFrame(f"bad lastprice_update ignored: {exc}")
    if method == "ordersPending_update":
        try:
            if not isinstance(params, list) or len(params) < 2:
                raise parsing.ParseError("expected [event_id, order]")
            event_id = parsing.to_int(params[0], "event_id")
            return OrderUpdate(event_id, parsing.parse_ws_order(params[1]))
        except (parsing.ParseError, TypeError) as exc:
            return BadFrame(f"bad ordersPending_update ignored: {exc}")
    return Unhandled(str(method)[:60])
