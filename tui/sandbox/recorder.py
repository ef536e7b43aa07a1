"""The request recorder: what the sandbox received, for tests and drills to assert on the
server's side of the story (``sb.recorder``)::

    sb.recorder.orders["my-client-id"]     # -> [order id, ...] created with that clientOrderId
    sb.recorder.duplicates()               # clientOrderIds under which two orders were created

It holds a bounded amount whatever clients send, for a sandbox that runs for days:

- the last ``MAX_REQUESTS`` requests (about ten minutes of the desk's polling; a drill or a test
  sees a few hundred at most), the last ``MAX_WS`` WebSocket connections, the last
  ``MAX_NONCES`` nonces per key and the last ``MAX_ORDERS`` clientOrderIds; totals are counted;
- header values are cut (``X-TXC-PAYLOAD`` to ``MAX_PAYLOAD`` characters, other strings to
  ``MAX_FIELD``) and a request that did not pass authentication keeps no payload or signature:
  what is left of it is a fixed-size summary (method, path, status, key prefix);
- per WebSocket connection: the last ``MAX_TOKENS`` authorize tokens (cut to ``MAX_FIELD``)
  and counts of at most ``MAX_METHODS`` method names (others counted under ``"?"``).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")

MAX_REQUESTS = 2000
MAX_WS = 200
MAX_NONCES = 2000
MAX_ORDERS = 2000
MAX_PAYLOAD = 4096  # an order's payload is a few hundred characters
MAX_FIELD = 256  # a signature is 128 hex digits, a WS token 32 characters
MAX_TOKENS = 8
MAX_IDS_PER_CID = 8  # duplicates() needs two
MAX_METHODS = 32
_MAX_NONCE_DIGITS = 30

#: Paths that create orders (the recorder files them by clientOrderId).
ORDER_PATHS = (
    "/api/v4/order/collateral/limit",
    "/api/v4/order/collateral/market",
    "/api/v4/order/collateral/stop-limit",
    "/api/v4/order/collateral/trigger-market",
    "/api/v4/order/collateral/oco",
    "/api/v4/order/collateral/bulk",
)

#: ``request[AUTH_KEY] = (api key, nonce)``: set by the server when a private request passed
#: authentication (so the recorder counts the nonce as accepted).
AUTH_KEY: web.RequestKey[tuple[str, int]] = web.RequestKey("sandbox_auth", tuple)


class Ring(list[T]):
    """A list that keeps only its last ``maxlen`` appended items (the oldest go first)."""

    def __init__(self, maxlen: int) -> None:
        super().__init__()
        self.maxlen = maxlen

    def append(self, item: T) -> None:
        super().append(item)
        if len(self) > self.maxlen:
            del self[0]


class _Tokens(Ring[str]):
    """Authorize tokens as received, each cut to ``MAX_FIELD`` characters."""

    def __init__(self) -> None:
        super().__init__(MAX_TOKENS)

    def append(self, item: str) -> None:
        super().append(str(item)[:MAX_FIELD])


class _Methods(Counter[str]):
    """Counts per WS method name; a name too long or beyond ``MAX_METHODS`` names counts as
    ``"?"`` (``counter[name] += 1`` and ``update`` both go through ``__setitem__``)."""

    def __setitem__(self, key: str, value: int) -> None:
        if key not in self and (len(key) > 64 or len(self) >= MAX_METHODS):
            key, value = "?", self.get("?", 0) + value
        super().__setitem__(key, value)


def _cut(text: str | None, limit: int = MAX_FIELD) -> str | None:
    return text[:limit] if text is not None else None


@dataclass
class RequestRecord:
    """One HTTP request as the sandbox saw it (private ones: key, nonce, clientOrderId)."""

    at: float  # time.monotonic()
    method: str
    path: str
    status: int | None = None  # None: no answer was sent (connection reset)
    key: str | None = None
    nonce: int | None = None
    client_order_id: str | None = None
    fault: str | None = None
    signature: str | None = None
    payload: str | None = None


@dataclass
class WsRecord:
    """One WebSocket connection: what the client sent (by method) and what it was sent."""

    opened_at: float
    received: Counter[str] = field(default_factory=_Methods)
    sent: Counter[str] = field(default_factory=Counter)
    tokens: list[str] = field(default_factory=_Tokens)  # authorize tokens (sandbox-side only)
    closed_at: float | None = None
    close_reason: str = ""
    stalled: bool = False
    last_message: float = 0.0  # on the idle clock
    transport: Any = None

    @property
    def open(self) -> bool:
        return self.closed_at is None


class Recorder:
    """What the sandbox received, for tests to assert on the server's side of the story."""

    def __init__(self, max_requests: int = MAX_REQUESTS, max_ws: int = MAX_WS) -> None:
        self.requests: list[RequestRecord] = Ring(max_requests)
        self.nonces: dict[str, list[int]] = {}  # accepted nonces per key, in arrival order
        self.rejected_nonces: dict[str, list[int]] = {}  # nonces answered 429 (real or injected)
        self.orders: dict[str, list[int]] = {}  # clientOrderId -> ids of the orders created
        self.ws: list[WsRecord] = Ring(max_ws)
        self.total_requests = 0
        self.total_ws = 0

    # -- queries -------------------------------------------------------------------------------
    def calls(self, path: str) -> list[RequestRecord]:
        return [r for r in self.requests if r.path == path]

    def count(self, path: str) -> int:
        return len(self.calls(path))

    def order_requests(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.path in ORDER_PATHS]

    def duplicates(self) -> dict[str, list[int]]:
        """clientOrderIds under which more than one order was created."""
        return {cid: ids for cid, ids in self.orders.items() if cid and len(ids) > 1}

    def nonce_rejections(self, key: str | None = None) -> int:
        if key is not None:
            return len(self.rejected_nonces.get(key, []))
        return sum(len(v) for v in self.rejected_nonces.values())

    def ws_open(self) -> list[WsRecord]:
        return [c for c in self.ws if c.open]

    def summary(self) -> dict[str, Any]:
        return {
            "requests": self.total_requests,
            "requests_kept": len(self.requests),
            "by_path": dict(Counter(r.path for r in self.requests)),
            "nonces": {k: len(v) for k, v in self.nonces.items()},
            "nonce_rejections": self.nonce_rejections(),
            "orders": {cid: list(ids) for cid, ids in self.orders.items()},
            "duplicates": self.duplicates(),
            "ws_connections": self.total_ws,
            "ws_open": len(self.ws_open()),
        }

    # -- recording (called by the server) ------------------------------------------------------
    def open_ws(self, record: WsRecord) -> None:
        self.ws.append(record)
        self.total_ws += 1

    def begin(self, request: web.Request) -> RequestRecord:
        record = RequestRecord(
            at=time.monotonic(), method=_cut(request.method) or "", path=_cut(request.path) or ""
        )
        if request.method == "POST":
            record.key = _cut(request.headers.get("X-TXC-APIKEY")) or None
            record.signature = _cut(request.headers.get("X-TXC-SIGNATURE")) or None
            payload = request.headers.get("X-TXC-PAYLOAD", "")
            record.payload = _cut(payload, MAX_PAYLOAD) or None
            data = _payload_data(payload)  # the headers carry the body: no need to read it
            if data is not None:
                record.nonce = _int_or_none(data.get("nonce"))
                cid = data.get("clientOrderId")
                record.client_order_id = _cut(cid) if isinstance(cid, str) and cid else None
        self.requests.append(record)
        self.total_requests += 1
        return record

    def finish(
        self, record: RequestRecord, request: web.Request, response: web.StreamResponse | None
    ) -> None:
        if response is None:
            return
        record.status = response.status
        auth = request.get(AUTH_KEY)  # (key, nonce) set by the server once authentication passed
        body = _response_json(response)
        if auth is not None:
            key, nonce = auth
            self.nonces.setdefault(key, Ring(MAX_NONCES)).append(nonce)
            if response.status == 200 and record.path in ORDER_PATHS:
                for order_id, cid in _created_orders(record.path, body):
                    self._order_created(_cut(cid) or "", order_id)
            return
        # not authenticated: keep a fixed-size summary only
        record.payload = record.signature = None
        record.key = _cut(record.key, 64)
        if (
            record.key is not None
            and record.nonce is not None
            and response.status == 429
            and isinstance(body, dict)
            and body.get("code") == 0
        ):
            self.rejected_nonces.setdefault(record.key, Ring(MAX_NONCES)).append(record.nonce)

    def _order_created(self, cid: str, order_id: int) -> None:
        if cid not in self.orders and len(self.orders) >= MAX_ORDERS:
            del self.orders[next(iter(self.orders))]  # the oldest clientOrderId
        self.orders.setdefault(cid, Ring(MAX_IDS_PER_CID)).append(order_id)


def _payload_data(payload: str) -> dict[str, Any] | None:
    if not payload or len(payload) > MAX_PAYLOAD:
        return None
    try:
        data = json.loads(base64.b64decode(payload.encode("ascii"), validate=True))
    except (binascii.Error, UnicodeError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return int(value) if len(value) <= _MAX_NONCE_DIGITS else None
    return None


def _response_json(response: web.StreamResponse) -> Any:
    text = getattr(response, "text", None)
    if not text:
        return None
    try:
        return json.loads(text, parse_float=Decimal)
    except ValueError:
        return None


def _created_orders(path: str, body: Any) -> list[tuple[int, str]]:
    """(order id, clientOrderId) of every order an order endpoint's answer created."""
    if path.endswith("/bulk"):
        items = [i.get("result") for i in body or [] if isinstance(i, dict)]
    elif path.endswith("/oco") and isinstance(body, dict):
        items = [body.get("stop_loss"), body.get("take_profit")]
        cid = body.get("client_order_id") or body.get("clientOrderId")
        if cid and isinstance(body.get("id"), int):
            return [(body["id"], str(cid))]
    else:
        items = [body]
    out = []
    for item in items:
        if not isinstance(item, dict):
            continue
        order_id = item.get("orderId", item.get("id"))
        cid = item.get("clientOrderId", item.get("client_order_id"))
        if isinstance(order_id, int) and cid:
            out.append((order_id, str(cid)))
    return out
