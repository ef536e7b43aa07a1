"""WhiteBIT request signing and nonces.

Signing (WhiteBIT "Authentication" docs, official python quickstart):

1. body = JSON of every parameter plus ``"request": <exact path>`` and ``"nonce": <int>``,
   serialised once, compactly (``separators=(",", ":")``) - these exact bytes are sent;
2. ``X-TXC-PAYLOAD`` = base64(body);
3. ``X-TXC-SIGNATURE`` = lowercase hex HMAC-SHA512 keyed with the secret over the *base64 string*.

Nonces (spec, "Nonce rules"): without ``nonceWindow`` they must strictly increase per API key;
with ``"nonceWindow": true`` each must be a Unix-ms time within +-5 s of the exchange's clock
and unique, in any order (for concurrent senders). :class:`NonceSource` hands out both under a
thread lock and can persist a mark to a file so a restart never goes backwards.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from .files import write_atomically

__all__ = ["Credentials", "NonceSource", "SignedRequest", "encode_body", "sign_request"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, eq=True, repr=False)
class Credentials:
    """An API key pair. Its repr/str never shows the secret and shows only a key prefix."""

    api_key: str
    api_secret: str

    def __repr__(self) -> str:
        key = self.api_key or ""
        shown = f"{key[:4]}…" if len(key) >= 12 else "…"
        return f"Credentials(api_key='{shown}', api_secret=<redacted>)"

    __str__ = __repr__


@dataclass(frozen=True, repr=False)
class SignedRequest:
    """The exact bytes to send and the headers that go with them."""

    body: bytes
    headers: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:  # headers hold the key, payload and signature: never shown
        return f"SignedRequest(body=<{len(self.body)} bytes>, headers=<redacted>)"

    __str__ = __repr__


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("non-finite Decimal in request parameters")
        # Decimal strings, never exponent notation ("1E-7" -> "0.0000001").
        return format(value, "f")
    if hasattr(value, "value") and isinstance(value.value, (str, int)):
        return value.value  # enums (Side, PositionSide, ...)
    raise TypeError(f"cannot encode {type(value).__name__} in a request")


def encode_body(data: Mapping[str, Any]) -> bytes:
    """Compact JSON as WhiteBIT wants it. Floats are refused: amounts travel as strings."""
    _reject_floats(data)
    return json.dumps(data, separators=(",", ":"), default=_json_default).encode("utf-8")


def _reject_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("float in request parameters; use Decimal (amounts are sent as strings)")
    if isinstance(value, Mapping):
        for v in value.values():
            _reject_floats(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            _reject_floats(v)


def sign_request(
    path: str,
    params: Mapping[str, Any],
    credentials: Credentials,
    nonce: int,
    *,
    window: bool = False,
) -> SignedRequest:
    """Build the body and the X-TXC-* headers for one private call. ``window``: send
    ``"nonceWindow": true`` (the nonce is then a Unix-ms timestamp, unique within +-5 s of the
    exchange's clock, and need not exceed the previous one)."""
    data = {**params, "request": path, "nonce": int(nonce)}
    if window:
        data["nonceWindow"] = True
    body = encode_body(data)
    payload = base64.b64encode(body).decode("ascii")
    signature = hmac.new(
        credentials.api_secret.encode("utf-8"), payload.encode("ascii"), hashlib.sha512
    ).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-TXC-APIKEY": credentials.api_key,
        "X-TXC-PAYLOAD": payload,
        "X-TXC-SIGNATURE": signature,
    }
    return SignedRequest(body=body, headers=headers)


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


#: How far ahead of the last nonce the persisted mark is set. Wide enough that the service's
#: own calls (it polls every 2 s) keep topping the mark up before a nonce reaches it, so no
#: order waits for the disk; a restart starts at most this far above the clock (see below).
RESERVE_MS = 10_000
#: A nonce mark is a Unix-ms time: more digits than this (year 33658) is a damaged file.
MARK_DIGITS = 15
#: A top-up moves the mark once less than this is left between the last nonce and the mark.
TOP_UP_BELOW_MS = RESERVE_MS // 2


class NonceSource:
    """Strictly increasing nonces: ``next()`` = ``max(now_ms, last + 1)`` (and, for
    ``nonceWindow`` requests, ``next(window=True)``: unique and following the clock).

    Thread-safe (a ``threading.Lock``; nothing awaits while it is held, so it is task-safe too).
    With ``path`` a high-water mark is kept in that file (atomically: temp file +
    ``os.replace``) and read back at construction, so a restarted process continues above
    every nonce handed out before, even if the clock went backwards. Every nonce handed out is
    at or below the mark on disk: the mark is reserved ahead (``RESERVE_MS`` above the last
    nonce), and a nonce that would pass it writes a new mark before it is returned. That file
    write would sit between a keypress and its order reaching the exchange, so callers keep it
    off their path with :meth:`top_up`: once
    less than ``TOP_UP_BELOW_MS`` is left, it moves the mark ahead again, from a worker thread
    after the request has gone out (the REST client does this). A restart therefore starts at
    most ``RESERVE_MS`` above the clock, which WhiteBIT accepts: without ``nonceWindow`` a
    nonce only has to be greater than the previous one; windowed nonces follow the clock.
    """

    def __init__(self, path: Path | str | None = None, *, clock: Callable[[], int] = _now_ms):
        self._lock = threading.Lock()
        # Serialises the file writes (next() on the event loop, top_up() in a worker thread).
        # Taken after _lock or alone, never the other way round.
        self._file_lock = threading.Lock()
        self._clock = clock
        self._path = Path(path) if path is not None else None
        self._last = 0
        self._last_window = 0  # the last nonce handed out for a nonceWindow request
        self._reserved = 0  # the mark on disk: every nonce handed out is <= it
        if self._path is not None:
            self._last = self._reserved = self._load(self._path)
        self._written = self._reserved  # the highest mark written (under _file_lock)

    def _load(self, path: Path) -> int:
        """The mark in ``path``; 0 without a file. A file that cannot be read or holds anything
        but ASCII digits (a stray byte, 400 digits) is logged and replaced by ``RESERVE_MS``
        above the clock: a previous run's nonces were at most its mark, and its mark at most
        ``RESERVE_MS`` above a nonce that followed the clock, so this stays above them (a run
        that had jumped further ahead is overtaken by the client's nonce-rejection jumps)."""
        try:
            data = path.read_bytes().strip()
        except FileNotFoundError:
            return 0
        except OSError as exc:
            why = exc.__class__.__name__
        else:
            if data.isdigit() and len(data) <= MARK_DIGITS:  # bytes.isdigit: ASCII only
                return int(data)
            why = "not a number"
        fallback = int(self._clock()) + RESERVE_MS
        log.warning(
            "unreadable nonce file %s (%s): continuing from %d ms above the clock",
            path,
            why,
            RESERVE_MS,
        )
        return fallback

    def _store(self, value: int) -> None:
        """Write the mark ``value`` unless a higher one is already written (two writers may
        race: the later write must not lower the mark)."""
        assert self._path is not None
        path = self._path
        with self._file_lock:
            if value <= self._written:
                return
            try:
                write_atomically(path, str(value), prefix=".nonce-", encoding="ascii")
            except OSError as exc:
                # Losing persistence must not stop trading: the clock still moves forward, and
                # a rejected nonce after a restart is recovered by bump() in the client.
                log.warning("cannot persist nonce to %s: %s", path, exc.__class__.__name__)
            self._written = value

    @property
    def last(self) -> int:
        with self._lock:
            return self._last

    def next(self, *, window: bool = False) -> int:
        """A nonce above every one handed out: ``max(now_ms, last + 1)``.

        ``window``: a nonce for a ``nonceWindow`` request instead, which must be within +-5 s
        of the exchange's clock and unique, but need not exceed the others:
        ``max(now_ms, last windowed + 1)``. It follows the clock even while ``last`` is ahead
        of it (a restart continues above the persisted mark; a rejection jumps ahead), and
        ``last`` still covers it, so a later plain nonce exceeds it too."""
        with self._lock:
            now = int(self._clock())
            if window:
                value = max(now, self._last_window + 1)
                self._last_window = value
                self._last = max(self._last, value)
            else:
                value = max(now, self._last + 1)
                self._last = value
            if self._path is not None and value > self._reserved:
                self._reserved = value + RESERVE_MS
                self._store(self._reserved)
            return value

    def needs_top_up(self) -> bool:
        """Whether :meth:`top_up` would write (less than ``TOP_UP_BELOW_MS`` left)."""
        with self._lock:
            return self._path is not None and self._reserved - self._last < TOP_UP_BELOW_MS

    def top_up(self) -> None:
        """Move the mark ``RESERVE_MS`` above the last nonce if less than ``TOP_UP_BELOW_MS``
        is left, so the next nonces need no write. Blocking (a file write): call it from a
        worker thread, after the request that used the last nonce has gone out."""
        with self._lock:
            if self._path is None or self._reserved - self._last >= TOP_UP_BELOW_MS:
                return
            target = self._last + RESERVE_MS
        self._store(target)  # without _lock: next() carries on meanwhile, below the old mark
        with self._lock:
            self._reserved = max(self._reserved, target)

    def bump(self, at_least: int) -> int:
        """Make every later nonce greater than ``at_least`` (after the exchange rejected one).
        Returns the new ``last``."""
        with self._lock:
            if at_least > self._last:
                self._last = int(at_least)
                if self._path is not None and self._last > self._reserved:
                    self._reserved = self._last
                    self._store(self._reserved)
            return self._last
