"""Orders in flight, kept in a small file so a quit (or crash) mid-order loses nothing.

The service writes an entry (clientOrderId + the request) *before* an order is sent and removes
it once the exchange has answered for certain (accepted or refused). An entry still in the file
at the next start is an order whose fate this process never learned: the service looks it up by
clientOrderId and reports it (found -> accepted; absent -> never placed). Nothing is ever resent
from here: prices have moved since, so that is the trader's call.

The file is a journal, one JSON object a line, mode 0600: ``{"add": {...}}`` when an order is
written down, ``{"done": "<clientOrderId>"}`` when it leaves. Writing down an order is one
append (``O_APPEND``, one ``write``) on the path to the exchange, where rewriting the whole
file through a temp file and ``os.replace`` would cost a millisecond.
The journal is compacted (rewritten atomically with the live entries) when it has grown, after
an answer, off that path. Amounts and prices are decimal strings. A line that cannot be read
(a crash mid-write leaves at most the last one) is logged and skipped; an unreadable file is
treated as empty, so it can never stop the desk from starting. The version-1 format (one JSON
object with an "orders" list) is still read, and replaced by a journal at the first write.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tui.api.files import write_atomically
from tui.domain import risk
from tui.domain.models import OrderRequest, OrderType, PositionSide, Side

from . import events
from .venue import CommandError, Venue

log = logging.getLogger(__name__)

COMPACT_AFTER = 64  # journal lines; compacted once it has more (after an answer)


@dataclass(frozen=True, slots=True)
class PendingOrder:
    client_order_id: str
    request: OrderRequest
    created: float  # unix seconds (display only)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _encode(entry: PendingOrder) -> dict[str, Any]:
    r = entry.request
    return {
        "client_order_id": entry.client_order_id,
        "created": int(entry.created),
        "request": {
            "market": r.market,
            "side": r.side.value,
            "type": r.type.value,
            "amount": _dec(r.amount),
            "price": _dec(r.price),
            "activation_price": _dec(r.activation_price),
            "stop_limit_price": _dec(r.stop_limit_price),
            "position_side": r.position_side.value if r.position_side else None,
            "reduce_only": r.reduce_only,
        },
    }


def _opt_dec(value: Any) -> Decimal | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError("decimal fields are strings")
    number = Decimal(value)
    if not number.is_finite():
        raise ValueError("non-finite decimal")
    return number


def _decode(item: Any) -> PendingOrder:
    if not isinstance(item, dict) or not isinstance(item.get("request"), dict):
        raise TypeError("entry is not an object")
    cid = item.get("client_order_id")
    if not isinstance(cid, str) or not cid:
        raise ValueError("missing client_order_id")
    r = item["request"]
    amount = _opt_dec(r.get("amount"))
    if amount is None:
        raise ValueError("missing amount")
    request = OrderRequest(
        market=str(r["market"]),
        side=Side(r["side"]),
        type=OrderType(r["type"]),
        amount=amount,
        price=_opt_dec(r.get("price")),
        activation_price=_opt_dec(r.get("activation_price")),
        stop_limit_price=_opt_dec(r.get("stop_limit_price")),
        position_side=PositionSide(r["position_side"]) if r.get("position_side") else None,
        reduce_only=bool(r.get("reduce_only", False)),
        client_order_id=cid,
    )
    created = item.get("created", 0)
    when = float(created) if isinstance(created, int) else 0.0  # float-ok: a time, not money
    return PendingOrder(cid, request, when)


class PendingOrders:
    """The in-flight orders of one account/endpoint; ``path=None`` keeps them in memory only."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, PendingOrder] = {}
        self._lines = 0  # lines in the journal (compaction when it has grown)
        self._legacy = False  # a version-1 file: rewritten as a journal before appending
        if path is not None:
            self._entries = self._load(path)

    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> list[PendingOrder]:
        return list(self._entries.values())

    def add(self, request: OrderRequest) -> None:
        cid = request.client_order_id
        if not cid:
            raise ValueError("a pending order needs a clientOrderId")
        entry = PendingOrder(cid, request, time.time())
        self._entries[cid] = entry
        self._append({"add": _encode(entry)})

    def discard(self, client_order_id: str) -> None:
        if self._entries.pop(client_order_id, None) is None:
            return
        if self._lines + 1 > COMPACT_AFTER:
            self._compact()
        else:
            self._append({"done": client_order_id})

    # ------------------------------------------------------------------ the file

    def _load(self, path: Path) -> dict[str, PendingOrder]:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {}
        except OSError as exc:
            log.warning("cannot read pending orders %s: %s", path, type(exc).__name__)
            return {}
        entries: dict[str, PendingOrder] = {}
        stripped = text.strip()
        if stripped.startswith("{") and "\n" not in stripped:
            try:
                data = json.loads(stripped)
            except ValueError:
                data = None
            if isinstance(data, dict) and "orders" in data:  # version 1: one object
                self._legacy = True
                try:
                    items = data["orders"]
                    if not isinstance(items, list):
                        raise TypeError("no orders list")
                    decoded = [_decode(item) for item in items]
                except (ValueError, KeyError, TypeError, InvalidOperation) as exc:
                    log.warning(
                        "ignoring unreadable pending orders file %s (%s)", path, type(exc).__name__
                    )
                    return {}
                return {e.client_order_id: e for e in decoded}
        bad = 0
        for line in text.splitlines():
            if not line.strip():
                continue
            self._lines += 1
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise TypeError("not an object")
                if "add" in record:
                    entry = _decode(record["add"])
                    entries[entry.client_order_id] = entry
                elif isinstance(record.get("done"), str):
                    entries.pop(record["done"], None)
                else:
                    raise ValueError("unknown record")
            except (ValueError, KeyError, TypeError, InvalidOperation):
                bad += 1
        if bad:
            log.warning("skipped %d unreadable line(s) in pending orders %s", bad, path)
        return entries

    def _append(self, record: dict[str, Any]) -> None:
        path = self.path
        if path is None:
            return
        if self._legacy:
            self._compact()  # the version-1 file becomes a journal first
        line = (json.dumps(record, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, line)  # one write of one line: appends do not interleave
            finally:
                os.close(fd)
            self._lines += 1
        except OSError as exc:
            # Losing this file must not stop trading; the order itself is unaffected.
            log.warning("cannot write pending orders %s: %s", path, type(exc).__name__)

    def _compact(self) -> None:
        """Rewrite the journal with the live entries only (temp file + ``os.replace``)."""
        path = self.path
        if path is None:
            return
        lines = "".join(
            json.dumps({"add": _encode(e)}, separators=(",", ":")) + "\n"
            for e in self._entries.values()
        )
        try:
            write_atomically(path, lines, prefix=".pending-")
            self._lines = len(self._entries)
            self._legacy = False
        except OSError as exc:
            log.warning("cannot write pending orders %s: %s", path, type(exc).__name__)


async def reconcile_pending(
    pending: PendingOrders, venue: Venue, publish: Callable[[events.Event], None]
) -> None:
    """Look up the orders a previous run left in flight and report each: found (accepted) or
    never placed. Nothing is resent. An entry whose lookup fails stays for the next start."""
    for entry in pending.entries():
        request, cid = entry.request, entry.client_order_id
        try:
            found = await venue.find_orders(request.market, cid)
        except CommandError as exc:
            publish(
                events.ServiceError(
                    "reconcile", f"Cannot check order {cid} from the last session: {exc.message}"
                )
            )
            continue
        pending.discard(cid)
        publish(events.PendingOrderReconciled(request, cid, tuple(found)))
        if found:
            for order in found:
                publish(events.OrderAccepted(order, cid))
        else:
            publish(
                events.ServiceError(
                    "reconcile",
                    f"Order {cid} ({request.side.value} {risk.fmt(request.amount)} "
                    f"{request.market}) from the last session never reached the exchange",
                )
            )
