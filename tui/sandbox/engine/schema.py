"""The state file's tables and how engine records map onto rows (used by ``store``).

One row per open order, finished order, position, OCO group, deal, position event, funding
payment and funding round; one per balance, id counter, setting, API key's nonce mark, recently
seen windowed nonce, kill-switch timer and market price. Decimals are TEXT (``str(Decimal)``, exact), never REAL. Orders, positions and OCO groups
have a column per field; the history entries (plain dicts, some nested) are one JSON ``body``
each, Decimals tagged ``{"__dec__": "1.23"}``. History tables are keyed by ``seq``, the entry's
position in its append-only list since the file was created.

Version 1 files (one JSON blob per key in a ``kv`` table) are read by :func:`load_v1` and
converted once by the store.
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from typing import Any

from .killswitch import KillSwitchTimer
from .ledger import Ledger
from .records import D, OcoGroup, SimOrder, SimPosition

SCHEMA_VERSION = 2

#: The capped, append-only histories: engine attribute -> table.
HISTORIES = {
    "deals": "deals",
    "position_events": "position_events",
    "funding_payments": "funding_payments",
    "funding_rounds": "funding_rounds",
}
#: One-key tables: table -> (key column, value column, value type).
KEYED = {
    "balances": ("asset", "amount", "TEXT"),
    "counters": ("kind", "next_id", "INTEGER"),
    "settings": ("name", "value", "TEXT"),
    "nonces": ("api_key", "mark", "TEXT"),  # TEXT: a nonce may have 30 digits
    "walk": ("name", "value", "TEXT"),
}
RECORDS: dict[str, type[Any]] = {
    "open_orders": SimOrder,
    "positions": SimPosition,
    "oco_groups": OcoGroup,
}


# -- records <-> rows --------------------------------------------------------------------------
def _columns(cls: type[Any]) -> list[dataclasses.Field[Any]]:
    return list(dataclasses.fields(cls))


def _sql_type(field: dataclasses.Field[Any]) -> str:
    kind = str(field.type)
    return "INTEGER" if kind.startswith(("int", "bool")) else "TEXT"


def record_row(record: Any) -> tuple[Any, ...]:
    """The record's fields in column order: Decimals as TEXT, bools as 0/1."""
    out: list[Any] = []
    for field in _columns(type(record)):
        value = getattr(record, field.name)
        if isinstance(value, Decimal):
            value = str(value)
        elif isinstance(value, bool):
            value = int(value)
        out.append(value)
    return tuple(out)


def row_record(cls: type[Any], row: tuple[Any, ...]) -> Any:
    values: dict[str, Any] = {}
    for field, value in zip(_columns(cls), row, strict=True):
        kind = str(field.type)
        if value is not None:
            if kind.startswith("Decimal"):
                value = D(value)
            elif kind.startswith("bool"):
                value = bool(value)
        values[field.name] = value
    return cls(**values)


def record_columns(cls: type[Any]) -> list[str]:
    return [f.name for f in _columns(cls)]


def upsert_sql(table: str, columns: list[str]) -> str:
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    return f"INSERT OR REPLACE INTO {table} ({names}) VALUES ({marks})"


def ddl() -> list[str]:
    out = ["CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL)"]
    for table, cls in RECORDS.items():
        cols = [f"{f.name} {_sql_type(f)}" for f in _columns(cls)]
        cols[0] += " PRIMARY KEY"  # ``id``
        out.append(f"CREATE TABLE IF NOT EXISTS {table} ({', '.join(cols)})")
    order_cols = ", ".join(f"{f.name} {_sql_type(f)}" for f in _columns(SimOrder))
    out.append(
        f"CREATE TABLE IF NOT EXISTS finished_orders (seq INTEGER PRIMARY KEY, {order_cols})"
    )
    for table in HISTORIES.values():
        out.append(
            f"CREATE TABLE IF NOT EXISTS {table} (seq INTEGER PRIMARY KEY, body TEXT NOT NULL)"
        )
    for table, (key, value, kind) in KEYED.items():
        out.append(
            f"CREATE TABLE IF NOT EXISTS {table} ({key} TEXT PRIMARY KEY, {value} {kind} NOT NULL)"
        )
    out.append(
        "CREATE TABLE IF NOT EXISTS kill_switches (market TEXT PRIMARY KEY, start TEXT NOT NULL,"
        " timeout INTEGER NOT NULL, types TEXT)"  # types: JSON list, NULL = every type
    )
    out.append(
        "CREATE TABLE IF NOT EXISTS window_nonces (api_key TEXT NOT NULL, nonce TEXT NOT NULL,"
        " seen_ms INTEGER NOT NULL, PRIMARY KEY (api_key, nonce))"
    )
    out.append(
        "CREATE TABLE IF NOT EXISTS prices (market TEXT PRIMARY KEY, price TEXT NOT NULL,"
        " open_price TEXT NOT NULL, high TEXT NOT NULL, low TEXT NOT NULL)"
    )
    return out


# -- history bodies: JSON with exact Decimals --------------------------------------------------
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


# -- the small keyed tables --------------------------------------------------------------------
def keyed_rows(engine: Ledger) -> dict[str, dict[str, Any]]:
    """Balances, id counters and settings as ``{table: {key: value}}`` (diffed by the store)."""
    settings = {
        "leverage": str(engine.leverage),
        "hedge_mode": "1" if engine.hedge_mode else "0",
        "next_funding": str(engine.next_funding),
        "next_interest": str(engine.next_interest),
    }
    for name, volume in engine.volumes.items():
        settings[f"volume:{name}"] = str(volume)
    for name, rate in engine.funding_rates.items():
        settings[f"funding_rate:{name}"] = str(rate)
    return {
        "balances": {asset: str(amount) for asset, amount in engine.balances.items()},
        "counters": dict(engine.next_ids),
        "settings": settings,
    }


def load_keyed(engine: Ledger, tables: dict[str, dict[str, Any]]) -> None:
    if tables["balances"]:
        engine.balances = {asset: D(amount) for asset, amount in tables["balances"].items()}
    engine.next_ids.update({k: int(v) for k, v in tables["counters"].items()})
    settings = tables["settings"]
    if "leverage" in settings:
        engine.leverage = int(settings["leverage"])
        engine.hedge_mode = settings["hedge_mode"] == "1"
        engine.next_funding = D(settings["next_funding"])
        engine.next_interest = D(settings["next_interest"])
    for name in engine.catalog:
        if f"volume:{name}" in settings:
            engine.volumes[name] = D(settings[f"volume:{name}"])
        if name in engine.funding_rates and f"funding_rate:{name}" in settings:
            engine.funding_rates[name] = D(settings[f"funding_rate:{name}"])


def walk_rows(engine: Ledger) -> tuple[list[tuple[str, ...]], dict[str, str]]:
    """The market (prices, highs, lows) and the random walk's state."""
    prices: list[tuple[str, ...]] = [
        (
            name,
            str(p),
            str(engine.open_prices[name]),
            str(engine.highs[name]),
            str(engine.lows[name]),
        )
        for name, p in engine.prices.items()
    ]
    rng = engine.rng.getstate()
    walk = {
        "tick_count": str(engine.tick_count),
        "rng": json.dumps([rng[0], list(rng[1]), rng[2]]),
    }
    return prices, walk


def load_walk(engine: Ledger, prices: list[tuple[str, ...]], walk: dict[str, str]) -> None:
    for name, price, open_price, high, low in prices:
        if name in engine.catalog:
            engine.prices[name] = D(price)
            engine.open_prices[name] = D(open_price)
            engine.highs[name] = D(high)
            engine.lows[name] = D(low)
    if "tick_count" in walk:
        engine.tick_count = int(walk["tick_count"])
    if "rng" in walk:
        rng = json.loads(walk["rng"])
        engine.rng.setstate((rng[0], tuple(rng[1]), rng[2]))


# -- kill-switch timers -------------------------------------------------------------------------
def timer_row(timer: KillSwitchTimer) -> tuple[Any, ...]:
    types = None if timer.types is None else json.dumps(list(timer.types))
    return (timer.market, str(timer.start), timer.timeout, types)


def row_timer(row: tuple[Any, ...]) -> KillSwitchTimer:
    market, start, timeout, types = row
    kinds = None if types is None else tuple(json.loads(types))
    return KillSwitchTimer(market=market, start=D(start), timeout=int(timeout), types=kinds)


# -- version 1: one JSON blob per key ----------------------------------------------------------
V1_KEYS = ("engine.core", "engine.history", "engine.prices")
V1_NONCES = "nonces"


def load_v1(engine: Ledger, state: dict[str, Any]) -> None:
    """Load a version-1 state (the merged ``engine.*`` blobs) into ``engine``."""
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
    engine.finished = [SimOrder(**o) for o in state.get("finished", [])]
    for attr in HISTORIES:
        setattr(engine, attr, list(state.get(attr, [])))
    engine.oco = {g["id"]: OcoGroup(**g) for g in state["oco"]}
    engine.next_ids.update({k: int(v) for k, v in state["next_ids"].items()})
    engine.next_funding = D(state["next_funding"])
    engine.next_interest = D(state["next_interest"])
    engine.tick_count = int(state.get("tick_count", 0))
    rng = state.get("rng")
    if rng:
        engine.rng.setstate((rng[0], tuple(rng[1]), rng[2]))
