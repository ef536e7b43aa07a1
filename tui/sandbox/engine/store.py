"""The state file, the one place the sandbox touches disk: the engine's state as SQLite rows.

Acknowledged means durable: the server calls :meth:`StateStore.commit` after every command and
before its answer (and after every tick that filled, liquidated or paid funding). One
transaction writes what changed since the last commit, never the whole state:

- open orders and positions: the rows of the ids the engine touched (``touched_orders``,
  ``touched_positions``), plus any id that appeared or disappeared;
- histories (finished orders, deals, position events, funding): the entries appended since the
  last commit, and a delete of the rows the cap trimmed from the front of the list;
- balances, id counters, settings and nonce marks: the keys whose value changed; kill-switch
  timers (one per market at most) when any changed.

So a commit costs a few rows even with full histories. The id counters and nonce marks go in the
same transaction as the command that used them: after any crash they never go backwards.

Prices and the random walk are the simulated market, not anyone's acknowledged operation: they
are written at most every ``PRICE_SAVE_PERIOD`` seconds (and on close, and when a control call
sets a price), so a kill -9 may rewind the market by a few seconds, never an order.

WAL mode with ``synchronous=NORMAL``: a committed transaction is in the WAL before ``commit``
returns, so it survives the process being killed (kill -9); surviving power loss or an OS crash
would need ``synchronous=FULL`` (an fsync per commit), which a paper exchange does not need.
Checkpoints (copying the WAL into the file, with an fsync) take milliseconds per thousand pages,
so they never run on the commit path: automatic checkpoints are off and a thread of the store's
own, on its own connection, runs a PASSIVE checkpoint (which never blocks the writer) every
``CHECKPOINT_PERIOD`` seconds.

One process at a time uses a state file: an exclusive ``flock`` on ``<file>.lock`` (with the
holder's pid in it) from before the file is opened until :meth:`close`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from . import schema
from .killswitch import KillSwitch
from .records import HISTORY_CAP, SimOrder

log = logging.getLogger("tui.sandbox")

PRICE_SAVE_PERIOD = 2.0  # seconds between saves of the moving market (and on close)
CHECKPOINT_PERIOD = 1.0  # seconds between the checkpoint thread's passes
WAL_SIZE_LIMIT = 64 * 1024 * 1024  # bytes of WAL file kept after a checkpoint

_ORDER_COLUMNS = schema.record_columns(SimOrder)
_FINISHED_SQL = schema.upsert_sql("finished_orders", ["seq", *_ORDER_COLUMNS])
_PRICES_SQL = schema.upsert_sql("prices", ["market", "price", "open_price", "high", "low"])


class StateLocked(Exception):
    """The state file is used by another process; the message is one line naming both."""


class StateCorrupt(Exception):
    """The state file is not a readable sandbox database; one line naming it and the fix."""


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


def _sidecars(path: Path) -> list[Path]:
    return [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm", "-journal")]


class _History:
    """What the store last wrote of one capped history list."""

    def __init__(self, last: Any, seq: int, rows: int) -> None:
        self.last = last  # the list's last entry at that commit (compared by identity)
        self.seq = seq  # its seq
        self.rows = rows  # rows in the table


class StateStore:
    """One SQLite file: the engine's state and the server's nonce marks, as rows.

    Locked for this process from before it is opened (``fresh`` included) until :meth:`close`;
    raises StateLocked when another process has it and StateCorrupt when the file is not a
    sandbox database (``fresh`` moves such a file to ``<name>.corrupt`` and starts clean)."""

    def __init__(self, path: Path, *, fresh: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = lock_state_file(self.path)
        try:
            if fresh:
                self._reset()
            self._db = self._open()
        except BaseException:
            self._unlock()
            raise
        self._order_ids: set[int] = set()
        self._position_ids: set[int] = set()
        self._oco_ids: set[int] = set()
        self._keyed: dict[str, dict[str, Any]] = {t: {} for t in schema.KEYED}
        self._histories: dict[str, _History] = {}
        self._timers: dict[str, Any] = {}
        self._prices_saved_at: float | None = None
        self._stop = threading.Event()
        self._checkpointer = threading.Thread(
            target=self._checkpoint_loop, name="sandbox-checkpoint", daemon=True
        )
        self._checkpointer.start()

    # -- opening ------------------------------------------------------------------------------
    def _corrupt(self, detail: object) -> StateCorrupt:
        return StateCorrupt(
            f"state file {self.path} is not a readable sandbox database ({detail}); "
            f"start with --fresh to replace it (the old file is kept as {self.path.name}.corrupt)"
        )

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # kill -9 safe; power loss needs FULL
            db.execute("PRAGMA wal_autocheckpoint=0")  # the checkpoint thread does it
            db.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
            db.execute("PRAGMA busy_timeout=2000")
            check = db.execute("PRAGMA quick_check").fetchone()
            if check is None or check[0] != "ok":
                raise self._corrupt(check[0] if check else "quick_check failed")
            db.execute("BEGIN")
            for statement in schema.ddl():
                db.execute(statement)
            db.execute("COMMIT")
        except sqlite3.DatabaseError as exc:
            db.close()
            raise self._corrupt(exc) from None
        except BaseException:
            db.close()
            raise
        return db

    def _reset(self) -> None:
        """``fresh``: a corrupt file is kept as ``<name>.corrupt``; a good one is dropped."""
        if not self.path.exists():
            return
        try:
            self._open().close()
        except StateCorrupt:
            os.replace(self.path, self.path.with_name(self.path.name + ".corrupt"))
        else:
            self.path.unlink()
        for side in _sidecars(self.path):
            side.unlink(missing_ok=True)

    # -- reading ------------------------------------------------------------------------------
    def _keyed_table(self, table: str) -> dict[str, Any]:
        key, value, _ = schema.KEYED[table]
        return dict(self._db.execute(f"SELECT {key}, {value} FROM {table}").fetchall())

    def restore(self, engine: KillSwitch) -> dict[str, int]:
        """Load the saved state into ``engine`` (a version-1 file is converted first; an empty
        file gets the engine's starting state); returns the saved nonce marks."""
        has_kv = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'kv'"
        ).fetchone()
        if has_kv:
            return self._convert_v1(engine)
        version = self._db.execute("SELECT value FROM meta WHERE name = 'version'").fetchone()
        if version is not None and version[0] != str(schema.SCHEMA_VERSION):
            raise self._corrupt(f"unknown version {version[0]}")
        if self._db.execute("SELECT 1 FROM counters").fetchone() is None:
            # a new file (every commit writes the id counters): write the starting state
            nonces: dict[str, int] = {}
            self.commit(engine, nonces, prices=True, extra=[self._version_sql()])
            return nonces
        try:
            return self._load(engine)
        except (sqlite3.DatabaseError, ValueError, TypeError, ArithmeticError) as exc:
            raise self._corrupt(exc) from None

    def _load(self, engine: KillSwitch) -> dict[str, int]:
        db = self._db
        keyed = {table: self._keyed_table(table) for table in schema.KEYED}
        schema.load_keyed(engine, keyed)
        prices = db.execute("SELECT * FROM prices").fetchall()
        schema.load_walk(engine, prices, keyed["walk"])
        for table, cls in schema.RECORDS.items():
            rows = db.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
            setattr(engine, _attr(table), {r[0]: schema.row_record(cls, r) for r in rows})
        self._histories = {}
        rows = db.execute(
            "SELECT * FROM finished_orders ORDER BY seq DESC LIMIT ?", (HISTORY_CAP,)
        ).fetchall()[::-1]
        engine.finished = [schema.row_record(SimOrder, r[1:]) for r in rows]
        self._histories["finished"] = self._tracker("finished_orders", engine.finished, rows)
        for attr, table in schema.HISTORIES.items():
            rows = db.execute(
                f"SELECT seq, body FROM {table} ORDER BY seq DESC LIMIT ?", (HISTORY_CAP,)
            ).fetchall()[::-1]
            entries = [schema.loads_state(body) for _, body in rows]
            setattr(engine, attr, entries)
            self._histories[attr] = self._tracker(table, entries, rows)
        timers = db.execute("SELECT * FROM kill_switches").fetchall()
        engine.kill_switches = {r[0]: schema.row_timer(r) for r in timers}
        self._timers = dict(engine.kill_switches)
        self._order_ids = set(engine.orders)
        self._position_ids = set(engine.positions)
        self._oco_ids = set(engine.oco)
        self._keyed = keyed  # what the file holds: the next commit writes what differs
        engine.touched_orders.clear()
        engine.touched_positions.clear()
        engine.prices_dirty = False
        return {str(k): int(v) for k, v in keyed["nonces"].items()}

    def saved_window(self) -> dict[str, dict[int, int]]:
        """The windowed nonces the file holds (``NonceBook(window_seen=...)``)."""
        out: dict[str, dict[int, int]] = {}
        rows = self._db.execute(
            "SELECT api_key, nonce, seen_ms FROM window_nonces ORDER BY seen_ms"
        ).fetchall()
        for key, nonce, ms in rows:
            out.setdefault(key, {})[int(nonce)] = int(ms)
        return out

    def _tracker(self, table: str, entries: list[Any], rows: list[Any]) -> _History:
        count = self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        return _History(entries[-1] if entries else None, rows[-1][0] if rows else 0, count)

    def _convert_v1(self, engine: KillSwitch) -> dict[str, int]:
        state: dict[str, Any] = {}
        saved = dict(self._db.execute("SELECT key, value FROM kv").fetchall())
        try:
            for key in schema.V1_KEYS:
                if key in saved:
                    state.update(schema.loads_state(saved[key]))
            if state:
                schema.load_v1(engine, state)
            nonces = {
                str(k): int(v) for k, v in schema.loads_state(saved.get("nonces", "{}")).items()
            }
        except (ValueError, TypeError, KeyError, ArithmeticError) as exc:
            raise self._corrupt(f"version 1 state unreadable: {exc!r}") from None
        self.commit(engine, nonces, prices=True, extra=["DROP TABLE kv", self._version_sql()])
        return nonces

    @staticmethod
    def _version_sql() -> str:
        return f"INSERT OR REPLACE INTO meta VALUES ('version', '{schema.SCHEMA_VERSION}')"

    # -- writing ------------------------------------------------------------------------------
    def commit(
        self,
        engine: KillSwitch,
        nonces: Mapping[str, int],
        *,
        window_changes: Sequence[tuple[str, int, int | None]] = (),
        prices: bool = False,
        extra: list[str] | None = None,
    ) -> None:
        """Write what changed since the last commit in one transaction (see the module doc).

        ``nonces``: each API key's mark; ``window_changes``: the windowed nonces seen and
        forgotten since the last commit (``NonceBook.window_changes``). ``prices``: write the market now (else at most every ``PRICE_SAVE_PERIOD`` s). On an
        error nothing is marked written, so the next commit writes it again."""
        writes: list[tuple[str, list[tuple[Any, ...]]]] = []
        order_ids = self._records(
            writes, "open_orders", engine.orders, self._order_ids, engine.touched_orders
        )
        position_ids = self._records(
            writes, "positions", engine.positions, self._position_ids, engine.touched_positions
        )
        oco_ids = self._records(writes, "oco_groups", engine.oco, self._oco_ids, set())
        histories = {"finished": self._history(writes, "finished", engine.finished)}
        for attr in schema.HISTORIES:
            histories[attr] = self._history(writes, attr, getattr(engine, attr))
        timers = dict(engine.kill_switches)
        if timers != self._timers:
            writes.append(("DELETE FROM kill_switches", [()]))
            rows = [schema.timer_row(t) for t in timers.values()]
            writes.append(("INSERT INTO kill_switches VALUES (?, ?, ?, ?)", rows))
        keyed = schema.keyed_rows(engine)
        keyed["nonces"] = {key: str(mark) for key, mark in nonces.items()}
        if window_changes:
            # Inserts before deletes: a nonce seen and forgotten since the last commit (a
            # failed write held it) ends up deleted; none is forgotten and then seen again.
            seen = [(k, str(n), ms) for k, n, ms in window_changes if ms is not None]
            gone = [(k, str(n)) for k, n, ms in window_changes if ms is None]
            writes.append(("INSERT OR REPLACE INTO window_nonces VALUES (?, ?, ?)", seen))
            writes.append(("DELETE FROM window_nonces WHERE api_key = ? AND nonce = ?", gone))
        now = time.monotonic()
        due = self._prices_saved_at is None or now - self._prices_saved_at >= PRICE_SAVE_PERIOD
        save_prices = prices or (engine.prices_dirty and due)
        if save_prices:
            price_rows, keyed["walk"] = schema.walk_rows(engine)
            writes.append((_PRICES_SQL, price_rows))
        for table, values in keyed.items():
            old = self._keyed[table]
            changed = [(k, v) for k, v in values.items() if old.get(k) != v]
            if changed:
                key, value, _ = schema.KEYED[table]
                writes.append((schema.upsert_sql(table, [key, value]), changed))
        if not writes and not extra:
            return
        self._write(writes, extra or [])
        # written: remember it
        self._order_ids, self._position_ids, self._oco_ids = order_ids, position_ids, oco_ids
        self._timers = timers
        engine.touched_orders.clear()
        engine.touched_positions.clear()
        self._histories.update(histories)
        for table, values in keyed.items():
            self._keyed[table] = dict(values)
        if save_prices:
            self._prices_saved_at = now
            engine.prices_dirty = False

    def _records(
        self,
        writes: list[tuple[str, list[tuple[Any, ...]]]],
        table: str,
        current: dict[int, Any],
        written: set[int],
        touched: set[int],
    ) -> set[int]:
        ids = set(current)
        gone = written - ids
        if gone:
            writes.append((f"DELETE FROM {table} WHERE id = ?", [(i,) for i in sorted(gone)]))
        dirty = (ids - written) | (touched & ids)
        if dirty:
            cls = schema.RECORDS[table]
            rows = [schema.record_row(current[i]) for i in sorted(dirty)]
            writes.append((schema.upsert_sql(table, schema.record_columns(cls)), rows))
        return ids

    def _history(
        self, writes: list[tuple[str, list[tuple[Any, ...]]]], attr: str, entries: list[Any]
    ) -> _History:
        """Rows for the entries appended since the last commit, and the trimmed rows' delete."""
        state = self._histories.get(attr) or _History(None, 0, 0)
        new = 0
        for entry in reversed(entries):
            if entry is state.last:
                break
            new += 1
        if new == 0:
            return state
        seq = state.seq
        rows: list[tuple[Any, ...]] = []
        for entry in entries[len(entries) - new :]:
            seq += 1
            if attr == "finished":
                rows.append((seq, *schema.record_row(entry)))
            else:
                rows.append((seq, schema.dumps_state(entry)))
        table = "finished_orders" if attr == "finished" else schema.HISTORIES[attr]
        sql = _FINISHED_SQL if attr == "finished" else schema.upsert_sql(table, ["seq", "body"])
        writes.append((sql, rows))
        count = state.rows + new
        if count > len(entries):  # the cap trimmed the front of the list: trim the table
            writes.append((f"DELETE FROM {table} WHERE seq <= ?", [(seq - len(entries),)]))
            count = len(entries)
        return _History(entries[-1], seq, count)

    def _write(self, writes: list[tuple[str, list[tuple[Any, ...]]]], extra: list[str]) -> None:
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            for sql, rows in writes:
                db.executemany(sql, rows)
            for statement in extra:
                db.execute(statement)
            db.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):
                db.execute("ROLLBACK")
            raise

    # -- introspection (tests) ----------------------------------------------------------------
    def total_changes(self) -> int:
        """Rows inserted, updated or deleted through this connection so far."""
        return self._db.total_changes

    def count(self, table: str) -> int:
        return int(self._db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])

    # -- checkpoints ---------------------------------------------------------------------------
    def _checkpoint_loop(self) -> None:
        db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=2000")
            while not self._stop.wait(CHECKPOINT_PERIOD):
                try:
                    db.execute("PRAGMA wal_checkpoint(PASSIVE)")
                except sqlite3.Error:
                    log.exception("sandbox: checkpoint of %s failed", self.path)
        finally:
            db.close()

    # -- closing ------------------------------------------------------------------------------
    def _unlock(self) -> None:
        if self._lock is not None:
            os.close(self._lock)  # closing the descriptor releases the flock
            self._lock = None

    def close(self) -> None:
        self._stop.set()
        self._checkpointer.join()
        try:
            self._db.close()  # the last connection to close checkpoints the WAL and removes it
        finally:
            self._unlock()


def _attr(table: str) -> str:
    return {"open_orders": "orders", "positions": "positions", "oco_groups": "oco"}[table]
