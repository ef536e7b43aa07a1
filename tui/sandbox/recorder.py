"""The request recorder: what the sandbox received, for tests and drills to assert on the
server's side of the story (``sb.recorder``)::

    sb.recorder.orders["my-client-id"]     # -> [order id, ...] created with that clientOrderId
    sb.recorder.duplicates()               # clientOrderIds under which two orders were created
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web

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
    received: Counter[str] = field(default_factory=Counter)
    sent: Counter[str] = field(default_factory=Counter)
    tokens: list[str] = field(default_factory=list)  # authorize tokens (sandbox-side only)
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

    def __init__(self) -> None:
        self.requests: list[RequestRecord] = []
        self.nonces: dict[str, list[int]] = {}  # accepted nonces per key, in arrival order
        self.rejected_nonces: dict[str, list[int]] = {}  # nonces answered 429 (real or injected)
        self.orders: dict[str, list[int]] = {}  # clientOrderId -> ids of the orders created
        self.ws: list[WsRecord] = []

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
            "requests": len(self.requests),
            "by_path": dict(Counter(r.path for r in self.requests)),
            "nonces": {k: len(v) for k, v in self.nonces.items()},
            "nonce_rejections": self.nonce_rejections(),
            "orders": {cid: list(ids) for cid, ids in self.orders.items()},
            "duplicates": self.duplicates(),
            "ws_connections": len(self.ws),
            "ws_open": len(self.ws_open()),
        }

    # -- recording (called by the server) ------------------------------------------------------
    def begin(self, request: web.Request) -> RequestRecord:
        record = RequestRecord(at=time.monotonic(), method=request.method, path=request.path)
        if request.method == "POST":
            record.key = request.headers.get("X-TXC-APIKEY") or None
            record.signature = request.headers.get("X-TXC-SIGNATURE") or None
            payload = request.headers.get("X-TXC-PAYLOAD", "")
            record.payload = payload or None
            data = _payload_data(payload)  # the headers carry the body: no need to read it
            if data is not None:
                record.nonce = _int_or_none(data.get("nonce"))
                cid = data.get("clientOrderId")
                record.client_order_id = cid if isinstance(cid, str) and cid else None
        self.requests.append(record)
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
            self.nonces.setdefault(key, []).append(nonce)
            if response.status == 200 and record.path in ORDER_PATHS:
                for order_id, cid in _created_orders(record.path, body):
                    self.orders.setdefault(cid, []).append(order_id)
        elif (
            record.key is not None
            and record.nonce is not None
            and response.status == 429
            and isinstance(body, dict)
            and body.get("code") == 0
        ):
            self.rejected_nonces.setdefault(record.key, []).append(record.nonce)


def _payload_data(payload: str) -> dict[str, Any] | None:
    if not payload:
        return None
    try:
        data = json.loads(base64.b64decode(payload.encode("ascii"), validate=True))
    except (binascii.Error, UnicodeError, ValueError, RecursionError):  # 5,000 "[": recursion
        return None
    return data if isinstance(data, dict) else None


def _int_or_none(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
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
