"""Orders in flight, kept in a small file so a quit (or crash) mid-order loses nothing.

The service writes an entry (clientOrderId + the request) *before* an order is sent and removes
it once the exchange has answered for certain (accepted or refused). An entry still in the file
at the next start is an order whose fate this process never learned: the service looks it up by
clientOrderId and reports it (found -> accepted; absent -> never placed). Nothing is ever resent
from here: prices have moved since, so that is the trader's call.

The file is a journal, one JSON object a line, mode 0600: ``{"add": {...}}`` when an order is
written down, ``{"done": "<clientOrderId>"}`` when it leaves. Writing down an order is one
append (``O_APPEND``, one ``write``) on the path to the exchange, where rewriting the whole
file through a temp file and ``os.replace`` would cost a millisecond. An append starts on a
fresh line: a torn last line (a crash mid-write) never swallows the next entry.
The journal is compacted (rewritten atomically with the live entries) when it has grown, after
an answer, off that path. Amounts and prices are decimal strings.

One journal per venue, URL and account (the launcher names it), but two desks on one account
share it: every append and compaction holds an exclusive ``flock`` on ``<journal>.lock``, and a
compaction rewrites what the *file* holds live (every desk's entries), not this desk's view.

Nothing in the file can stop the desk: a line that cannot be read (not UTF-8, not JSON, nested
too deep, a field of the wrong kind) is lost but reported: its bytes are copied to
``<journal>.bad-<time>-<pid>``, the journal is rewritten without it, and the service tells the
trader at start (:attr:`PendingOrders.problems`). An unreadable file is reported and treated
as empty. The version-1 format (one JSON object with an "orders" list) is still read, and
replaced by a journal at the first write.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from tui.api.files import write_atomically
from tui.domain import risk
from tui.domain.models import OrderRequest, OrderType, PositionSide, Side

from . import events
from .venue import CommandError, Venue

log = logging.getLogger(__name__)

COMPACT_AFTER = 64  # journal lines; compacted once it has more (after an answer)
LATEST_CREATED = 10**11  # unix seconds (year 5138): a larger "created" is not a time
# What reading one damaged line can raise (ArithmeticError: decimal.InvalidOperation, a huge
# number; RecursionError: JSON nested too deep; UnicodeDecodeError is a ValueError).
UNREADABLE = (ValueError, KeyError, TypeError, ArithmeticError, RecursionError)


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
    in_range = isinstance(created, int) and 0 <= created < LATEST_CREATED
    when = float(created) if in_range else 0.0  # float-ok: a time, not money
    return PendingOrder(cid, request, when)


@dataclass
class _Replay:
    """What a journal's bytes hold: the live entries, the unreadable lines, the line count."""

    entries: dict[str, PendingOrder]
    bad: list[bytes]
    lines: int
    legacy: bool = False  # a version-1 file


def _replay(data: bytes) -> _Replay:
    stripped = data.strip()
    if stripped.startswith(b"{") and b"\n" not in stripped:
        legacy = _version_1(stripped)
        if legacy is not None:
            return legacy
    entries: dict[str, PendingOrder] = {}
    bad: list[bytes] = []
    lines = 0
    for raw in data.split(b"\n"):
        if not raw.strip():
            continue
        lines += 1
        try:
            record = json.loads(raw.decode("utf-8"))
            if not isinstance(record, dict):
                raise TypeError("not an object")
            if "add" in record:
                entry = _decode(record["add"])
                entries[entry.client_order_id] = entry
            elif isinstance(record.get("done"), str):
                entries.pop(record["done"], None)
            else:
                raise ValueError("unknown record")
        except UNREADABLE:
            bad.append(raw)
    return _Replay(entries, bad, lines)


def _version_1(text: bytes) -> _Replay | None:
    """A version-1 file (one object with an "orders" list), or None if ``text`` is not one."""
    try:
        data = json.loads(text.decode("utf-8"))
    except UNREADABLE:
        return None  # read as a journal line: reported there
    if not isinstance(data, dict) or "orders" not in data:
        return None
    try:
        items = data["orders"]
        if not isinstance(items, list):
            raise TypeError("no orders list")
        decoded = [_decode(item) for item in items]
    except UNREADABLE:
        return _Replay({}, [text], 1, legacy=True)
    return _Replay({e.client_order_id: e for e in decoded}, [], 1, legacy=True)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return b""


def _line(record: dict[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":")) + "\n"


class PendingOrders:
    """The in-flight orders of one account/endpoint; ``path=None`` keeps them in memory only.

    ``problems``: what could not be read at start (each a sentence for the trader)."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._entries: dict[str, PendingOrder] = {}
        self._lines = 0  # lines in the journal (compaction when it has grown)
        self._legacy = False  # a version-1 file: rewritten as a journal before appending
        self.problems: list[str] = []
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
        # Written down before any compaction: a compaction keeps what the file holds live.
        self._append({"done": client_order_id})
        if self._lines > COMPACT_AFTER:
            self._compact()

    # ------------------------------------------------------------------ the file

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        """An exclusive ``flock`` on ``<journal>.lock`` (a sidecar: the journal itself is
        replaced by compactions). Held for one small read or write; another desk waits that
        long. The lock file is never deleted (two desks could then lock two different files).
        No locking where there is no ``flock`` (Windows)."""
        if sys.platform == "win32":
            yield
            return
        import fcntl

        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path.with_name(path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the flock

    def _load(self, path: Path) -> dict[str, PendingOrder]:
        try:
            with self._locked(path):
                replay = _replay(_read(path))
                self._lines, self._legacy = replay.lines, replay.legacy
                if replay.bad:
                    self._set_aside(path, replay.bad)
                    self._rewrite(path, replay.entries)  # the journal without them
        except OSError as exc:
            message = (
                f"Cannot read the pending-orders journal {path} ({type(exc).__name__}): orders "
                "the last session left in flight, if any, are not checked. Check your open "
                "orders on the exchange."
            )
            log.warning("%s", message)
            self.problems.append(message)
            return {}
        return replay.entries

    def _set_aside(self, path: Path, bad: list[bytes]) -> None:
        """Keep the unreadable lines' bytes next to the journal and say so."""
        copy = path.with_name(f"{path.name}.bad-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}")
        try:
            fd = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            with os.fdopen(fd, "ab") as fh:
                fh.write(b"".join(raw + b"\n" for raw in bad))
            kept = f"their bytes are kept in {copy}"
        except OSError as exc:
            kept = f"their bytes could not be kept ({type(exc).__name__})"
        message = (
            f"{len(bad)} unreadable line(s) in the pending-orders journal {path}: an order the "
            f"last session left in flight may be among them. Check your open orders on the "
            f"exchange; {kept}."
        )
        log.warning("%s", message)
        self.problems.append(message)

    def _rewrite(self, path: Path, entries: dict[str, PendingOrder]) -> None:
        """Replace the journal with ``entries`` (temp file + ``os.replace``), under the lock."""
        text = "".join(_line({"add": _encode(e)}) for e in entries.values())
        try:
            write_atomically(path, text, prefix=".pending-")
            self._lines = len(entries)
            self._legacy = False
        except OSError as exc:
            log.warning("cannot write pending orders %s: %s", path, type(exc).__name__)

    def _append(self, record: dict[str, Any]) -> None:
        path = self.path
        if path is None:
            return
        if self._legacy:
            self._compact()  # the version-1 file becomes a journal first
        line = _line(record).encode("utf-8")
        try:
            with self._locked(path):
                fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
                try:
                    if os.fstat(fd).st_size:
                        os.lseek(fd, -1, os.SEEK_END)
                        if os.read(fd, 1) != b"\n":
                            line = b"\n" + line  # after a torn line, on a line of its own
                    os.write(fd, line)  # one write of one line, under the lock
                finally:
                    os.close(fd)
            self._lines += 1
        except OSError as exc:
            # Losing this file must not stop trading; the order itself is unaffected.
            log.warning("cannot write pending orders %s: %s", path, type(exc).__name__)

    def _compact(self) -> None:
        """Rewrite the journal with what it holds live: every desk's entries on this account,
        not only this one's (each desk writes its "done" lines before compacting)."""
        path = self.path
        if path is None:
            return
        try:
            with self._locked(path):
                replay = _replay(_read(path))
                if replay.bad:  # damaged since this desk started: kept, logged
                    self._set_aside(path, replay.bad)
                self._rewrite(path, replay.entries)
        except OSError as exc:
            log.warning("cannot write pending orders %s: %s", path, type(exc).__name__)


async def reconcile_pending(
    pending: PendingOrders, venue: Venue, publish: Callable[[events.Event], None]
) -> None:
    """Look up the orders a previous run left in flight and report each: found (accepted) or
    never placed. Nothing is resent. An entry whose lookup fails stays for the next start.
    What the journal could not read is reported first."""
    problems, pending.problems = pending.problems, []
    for message in problems:
        publish(events.ServiceError("reconcile", message))
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
