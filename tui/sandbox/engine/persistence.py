"""Persistence, the one place the sandbox touches disk: the engine's state in a SQLite file.

The state is split by how often it changes: the core (account, orders, positions, ids, timers) is
saved whenever the engine is ``dirty``; the capped histories only when they grew; the random walk
at most every ``PRICE_SAVE_PERIOD`` seconds (and on close). Each part is one JSON blob per key,
Decimals kept exact (``{"__dec__": "1.23"}``), never float.

One process at a time uses a state file: :class:`StateStore` holds an exclusive ``flock`` on
``<file>.lock`` (with its pid written in it) while open, so two sandboxes on one paper account
cannot overwrite each other's saves (the last to save would win); the second refuses at start.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import sqlite3
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from .ledger import Ledger
from .records import D, OcoGroup, SimOrder, SimPosition

log = logging.getLogger("tui.sandbox")

PRICE_SAVE_PERIOD = 5.0  # the random walk is saved at most this often (and on close)
STATE_KEYS = ("engine.core", "engine.history", "engine.prices")
NONCES_KEY = "nonces"


# -- JSON round trip ---------------------------------------------------------------------------
_DEC = "__dec__"


def _default(obj: Any) -> Any:
    if isinstance(obj, Decimal):
        return {_DEC: str(obj)}
    raise TypeError(f"cannot persist {type(obj).__name__}")


def _hook(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _DEC in obj:
        return Decimal(obj[_DEC])
    return obj


def dumps_state(state: Any) -> str:
    return json.dumps(state, default=_default, separators=(",", ":"))


def loads_state(text: str) -> Any:
    return json.loads(text, object_hook=_hook, parse_float=Decimal)


def record_to_dict(record: Any) -> dict[str, Any]:
    return dataclasses.asdict(record)


# -- the engine's state ------------------------------------------------------------------------
def to_state(engine: Ledger) -> dict[str, Any]:
    """The whole state (``core_state() | history_state() | price_state()``)."""
    return {**core_state(engine), **history_state(engine), **price_state(engine)}


def core_state(engine: Ledger) -> dict[str, Any]:
    """Account, orders, positions, ids, timers: small, saved whenever ``dirty``."""
    return {
        "version": 1,
        "balances": engine.balances,
        "leverage": engine.leverage,
        "hedge_mode": engine.hedge_mode,
        "volumes": engine.volumes,
        "funding_rates": engine.funding_rates,
        "positions": [record_to_dict(p) for p in engine.positions.values()],
        "orders": [record_to_dict(o) for o in engine.orders.values()],
        "oco": [record_to_dict(g) for g in engine.oco.values()],
        "next_ids": engine.next_ids,
        "next_funding": engine.next_funding,
        "next_interest": engine.next_interest,
    }


def history_state(engine: Ledger) -> dict[str, Any]:
    """Append-only records (capped): saved only when :func:`history_signature` changes."""
    return {
        "finished": [record_to_dict(o) for o in engine.finished],
        "deals": engine.deals,
        "position_events": engine.position_events,
        "funding_payments": engine.funding_payments,
        "funding_rounds": engine.funding_rounds,
    }


def history_signature(engine: Ledger) -> tuple[Any, ...]:
    return (
        len(engine.finished),
        engine.finished[-1].id if engine.finished else None,
        len(engine.deals),
        engine.deals[-1]["id"] if engine.deals else None,
        len(engine.position_events),
        engine.position_events[-1]["modifyDate"] if engine.position_events else None,
        len(engine.funding_payments),
        len(engine.funding_rounds),
        engine.funding_rounds[-1]["fundingTime"] if engine.funding_rounds else None,
    )


def price_state(engine: Ledger) -> dict[str, Any]:
    """The market: changes every tick, so the server saves it at a slower cadence."""
    rng_state = engine.rng.getstate()
    return {
        "prices": engine.prices,
        "open_prices": engine.open_prices,
        "highs": engine.highs,
        "lows": engine.lows,
        "tick_count": engine.tick_count,
        "rng": [rng_state[0], list(rng_state[1]), rng_state[2]],
    }


def load_state(engine: Ledger, state: dict[str, Any]) -> None:
    engine.balances = {k: D(v) for k, v in state["balances"].items()}
    engine.leverage = int(state["leverage"])
    engine.hedge_mode = bool(state["hedge_mode"])
    for key in ("prices", "open_prices", "highs", "lows", "volumes"):
        saved = state.get(key, {})
        current = getattr(engine, key)
        for name in engine.catalog:
            if name in saved:
                current[name] = D(saved[name])
    for name, rate in state.get("funding_rates", {}).items():
        if name in engine.funding_rates:
            engine.funding_rates[name] = D(rate)
    engine.positions = {p["id"]: SimPosition(**p) for p in state["positions"]}
    engine.orders = {o["id"]: SimOrder(**o) for o in state["orders"]}
    engine.finished = [SimOrder(**o) for o in state["finished"]]
    engine.deals = list(state["deals"])
    engine.position_events = list(state["position_events"])
    engine.funding_payments = list(state["funding_payments"])
    engine.funding_rounds = list(state["funding_rounds"])
    engine.oco = {g["id"]: OcoGroup(**g) for g in state["oco"]}
    engine.next_ids.update({k: int(v) for k, v in state["next_ids"].items()})
    engine.next_funding = D(state["next_funding"])
    engine.next_interest = D(state["next_interest"])
    engine.tick_count = int(state.get("tick_count", 0))
    rng = state.get("rng")
    if rng:
        engine.rng.setstate((rng[0], tuple(rng[1]), rng[2]))
    engine.dirty = False
    engine.prices_dirty = False


# -- the lock ---------------------------------------------------------------------------------
class StateLocked(Exception):
    """The state file is used by another process; the message is one line naming both."""


def lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def lock_state_file(path: Path) -> int | None:
    """Lock ``path`` for this process: an exclusive ``flock`` on ``<path>.lock``, held as long
    as the returned descriptor stays open (the kernel drops it when the process dies, however
    it dies), with this process's pid written in the lock file for the refusal message.
    None where there is no ``flock`` (Windows: no locking). Raises StateLocked.

    The lock file is never deleted: unlinking it would let two processes lock two different
    files of the same name."""
    if sys.platform == "win32":
        return None
    import fcntl

    fd = os.open(lock_path(path), os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.read(fd, 32).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise StateLocked(
            f"state file {path} is in use by another process (pid {holder})"
        ) from None
    except BaseException:
        os.close(fd)
        raise
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


# -- the SQLite file ---------------------------------------------------------------------------
class StateStore:
    """One SQLite file (stdlib sqlite3, WAL): the engine's state and the server's nonces.

    Locked for this process from before it is opened (``fresh`` included) until :meth:`close`;
    raises StateLocked when another process has it."""

    def __init__(self, path: Path, *, fresh: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = lock_state_file(self.path)
        try:
            self._db = sqlite3.connect(str(self.path), check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
            )
            if fresh:
                self._db.execute("DELETE FROM kv")
            self._db.commit()
        except BaseException:
            self._unlock()
            raise
        self._history_saved: tuple[Any, ...] | None = None
        self._prices_saved_at = 0.0

    def load(self, key: str) -> Any | None:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else loads_state(row[0])

    def write(self, items: dict[str, Any]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT INTO kv (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(key, dumps_state(value)) for key, value in items.items()],
            )

    def restore(self, engine: Ledger) -> dict[str, int]:
        """Load the saved state into ``engine`` (if any); returns the saved nonces."""
        state: dict[str, Any] = {}
        for key in STATE_KEYS:
            state.update(self.load(key) or {})
        if state:
            load_state(engine, state)
            self._history_saved = history_signature(engine)
        nonces: dict[str, int] = self.load(NONCES_KEY) or {}
        return nonces

    def save(
        self, engine: Ledger, nonces: dict[str, int], *, nonces_changed: bool, force: bool = False
    ) -> bool:
        """Save what changed (everything when ``force``); True when the nonces were saved.

        A failed write is logged and leaves the dirty flags set, so the next call retries it.
        """
        items: dict[str, Any] = {}
        if force or engine.dirty or nonces_changed:
            items["engine.core"] = core_state(engine)
            items[NONCES_KEY] = nonces
        signature = history_signature(engine)
        if force or signature != self._history_saved:
            items["engine.history"] = history_state(engine)
        now = time.monotonic()
        if engine.prices_dirty and (force or now - self._prices_saved_at >= PRICE_SAVE_PERIOD):
            items["engine.prices"] = price_state(engine)
        if not items:
            return False
        try:
            self.write(items)
        except Exception:
            log.exception("sandbox: cannot save state to %s", self.path)
            return False
        if "engine.core" in items:
            engine.dirty = False
        if "engine.history" in items:
            self._history_saved = signature
        if "engine.prices" in items:
            engine.prices_dirty = False
            self._prices_saved_at = now
        return NONCES_KEY in items

    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the flock
            self._lock = None

    def close(self) -> None:
        try:
            self._db.close()
        finally:
            self._unlock()
