"""SQLite persistence of the sandbox state (stdlib sqlite3, one JSON blob per key)."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from .state import dumps_state, loads_state


class StateStore:
    def __init__(self, path: Path, *, fresh: bool = False) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )
        if fresh:
            self._db.execute("DELETE FROM kv")
        self._db.commit()

    def load(self, key: str) -> Any | None:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else loads_state(row[0])

    def save(self, items: dict[str, Any]) -> None:
        with self._db:
            self._db.executemany(
                "INSERT INTO kv (key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [(key, dumps_state(value)) for key, value in items.items()],
            )

    def close(self) -> None:
        self._db.close()
