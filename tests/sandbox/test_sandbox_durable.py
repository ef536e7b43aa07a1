"""Durable state: what the sandbox acknowledged survives ``kill -9``; a commit writes what changed.

Real processes (``python -m tui.sandbox.cli``) on a temp state file, real signed HTTP, and
``SIGKILL`` the moment an answer arrives: no clean shutdown, no save loop to wait for.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import requests

from tui.sandbox.auth import NonceBook
from tui.sandbox.engine import Engine, EngineOptions
from tui.sandbox.engine.records import HISTORY_CAP
from tui.sandbox.engine.store import StateStore

from .conftest import KEY, SECRET, sign_body

ROOT = Path(__file__).resolve().parents[2]
D = Decimal


class Sandbox:
    """One ``python -m tui.sandbox.cli`` process on ``state``; ``kill()`` is SIGKILL."""

    def __init__(self, state: Path, *extra: str) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tui.sandbox.cli",
                "--port",
                "0",
                "--static-prices",
                "--api-key",
                KEY,
                "--api-secret",
                SECRET,
                "--state",
                str(state),
                *extra,
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.url = ""
        for line in self.proc.stdout:
            if "REST base URL" in line:
                self.url = line.split(": ", 1)[1].strip()
            if line.startswith("Press Ctrl-C"):
                break
        if not self.url:
            assert self.proc.stderr is not None
            raise AssertionError(f"the sandbox did not start: {self.proc.stderr.read()}")

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=15)


class Signer:
    """Signed requests with a strictly increasing nonce (kept across restarts)."""

    def __init__(self) -> None:
        self.nonce = int(time.time() * 1000)

    def signed(
        self, path: str, data: dict[str, Any] | None = None, *, window: bool = False
    ) -> tuple[bytes, dict[str, str]]:
        self.nonce += 1
        fields = {**(data or {}), "request": path, "nonce": self.nonce}
        if window:  # WhiteBIT's nonceWindow: a unix-ms nonce, each usable once within +-5 s
            self.nonce = max(self.nonce, int(time.time() * 1000))
            fields.update(nonce=self.nonce, nonceWindow=True)
        body = json.dumps(fields)
        payload, signature = sign_body(body, SECRET)
        headers = {
            "Content-Type": "application/json",
            "X-TXC-APIKEY": KEY,
            "X-TXC-PAYLOAD": payload,
            "X-TXC-SIGNATURE": signature,
        }
        return body.encode(), headers


def send(url: str, path: str, body: bytes, headers: dict[str, str]) -> requests.Response:
    return requests.post(url + path, data=body, headers=headers, timeout=10)


def ok(sb: Sandbox, signer: Signer, path: str, data: dict[str, Any] | None = None) -> Any:
    reply = send(sb.url, path, *signer.signed(path, data))
    assert reply.status_code == 200, reply.text
    return reply.json()


@pytest.fixture
def processes() -> Iterator[list[Sandbox]]:
    started: list[Sandbox] = []
    yield started
    for sb in started:
        if sb.proc.poll() is None:
            sb.kill()


def test_every_acknowledged_operation_survives_kill_9(
    tmp_path: Path, processes: list[Sandbox]
) -> None:
    state = tmp_path / "sandbox.sqlite3"
    signer = Signer()

    def restart() -> Sandbox:
        processes[-1].kill()  # SIGKILL at once after the acknowledgement
        processes.append(Sandbox(state))
        return processes[-1]

    processes.append(Sandbox(state))
    sb = processes[-1]
    resting = {"market": "BTC_PERP", "side": "buy", "amount": "0.01", "price": "30000"}
    rest = ok(sb, signer, "/api/v4/order/collateral/limit", resting)
    timer = ok(sb, signer, "/api/v4/order/kill-switch", {"market": "ETH_PERP", "timeout": 600})
    sb = restart()
    active = ok(sb, signer, "/api/v4/orders")
    assert [o["orderId"] for o in active] == [rest["orderId"]]
    status = ok(sb, signer, "/api/v4/order/kill-switch/status", {"market": "ETH_PERP"})
    assert [t["cancellationTime"] for t in status] == [timer["cancellationTime"]]

    market_path = "/api/v4/order/collateral/market"
    captured = signer.signed(market_path, {"market": "BTC_PERP", "side": "buy", "amount": "0.01"})
    reply = send(sb.url, market_path, *captured)
    assert reply.status_code == 200, reply.text
    filled = reply.json()
    sb = restart()
    positions = ok(sb, signer, "/api/v4/collateral-account/positions/open")
    assert [(p["market"], D(str(p["amount"]))) for p in positions] == [("BTC_PERP", D("0.01"))]
    deals = ok(sb, signer, "/api/v4/trade-account/order", {"orderId": filled["orderId"]})
    assert len(deals["records"]) == 1

    cancelled = ok(
        sb, signer, "/api/v4/order/cancel", {"market": "BTC_PERP", "orderId": rest["orderId"]}
    )
    assert cancelled["orderId"] == rest["orderId"]
    sb = restart()
    assert ok(sb, signer, "/api/v4/orders") == []
    history = ok(sb, signer, "/api/v4/trade-account/order/history", {"market": "BTC_PERP"})
    statuses = {o["id"]: o["status"] for o in history["BTC_PERP"]}
    assert statuses == {rest["orderId"]: "CANCELED", filled["orderId"]: "FILLED"}

    ok(
        sb,
        signer,
        "/api/v4/collateral-account/position/close",
        {"market": "BTC_PERP", "positionId": positions[0]["positionId"]},
    )
    sb = restart()
    assert ok(sb, signer, "/api/v4/collateral-account/positions/open") == []

    # a windowed request (nonceWindow: each nonce once within +-5 s), replayed after kill -9
    path = "/api/v4/order/collateral/limit"
    windowed = signer.signed(path, resting, window=True)
    assert send(sb.url, path, *windowed).status_code == 200
    sb = restart()
    assert send(sb.url, path, *windowed).status_code == 429
    assert len(ok(sb, signer, "/api/v4/orders")) == 1
    ok(sb, signer, "/api/v4/order/cancel/all")
    history = ok(sb, signer, "/api/v4/trade-account/order/history", {"market": "BTC_PERP"})
    acknowledged = [o["id"] for o in history["BTC_PERP"]]
    assert len(acknowledged) == 4  # the closing market order and the windowed one too

    # the captured market order, replayed after three kill -9 restarts: its nonce is spent
    replay = send(sb.url, market_path, *captured)
    assert replay.status_code == 429, replay.text
    assert ok(sb, signer, "/api/v4/collateral-account/positions/open") == []
    # ids never go backwards: the next order id is above every acknowledged one
    new = ok(sb, signer, "/api/v4/order/collateral/limit", resting)
    assert new["orderId"] > max(acknowledged)


def _changes(store: StateStore) -> int:
    return store.total_changes()


def test_a_commit_writes_what_changed_not_the_history(tmp_path: Path) -> None:
    """With full histories (deals, finished orders, position events), one more order writes
    a handful of rows: the cost of a commit does not grow with the history."""
    clock = lambda: D("1800000000")
    engine = Engine(clock=clock, balances={"USDT": D(10_000_000)})
    store = StateStore(tmp_path / "big.sqlite3")
    try:
        store.restore(engine)
        for _ in range(HISTORY_CAP // 2 + 10):  # two history rows per round trip
            engine.place_order("market", "BTC_PERP", "buy", D("0.001"))
            engine.place_order("market", "BTC_PERP", "sell", D("0.001"))
        store.commit(engine, {KEY: 1})
        assert len(engine.deals) == HISTORY_CAP and len(engine.finished) == HISTORY_CAP
        assert store.count("deals") == HISTORY_CAP  # trimmed rows are deleted

        before = _changes(store)
        engine.place_order("limit", "BTC_PERP", "buy", D("0.001"), price=D(30000))
        store.commit(engine, {KEY: 2})
        # the order, the id counter, the nonce mark, the balance-ish scalars: not 5000 rows
        assert _changes(store) - before < 12

        before = _changes(store)
        engine.place_order("market", "BTC_PERP", "buy", D("0.001"))
        store.commit(engine, {KEY: 3})
        # a fill: the finished order + the deal + a position event (+ trims) + position + scalars
        assert _changes(store) - before < 20

        before = _changes(store)
        store.commit(engine, {KEY: 3})  # nothing changed: nothing written
        assert _changes(store) - before == 0
    finally:
        store.close()

    again = Engine(clock=clock)
    reopened = StateStore(tmp_path / "big.sqlite3")
    try:
        assert reopened.restore(again) == {KEY: 3}
    finally:
        reopened.close()
    assert again.deals == engine.deals
    assert again.finished == engine.finished
    assert again.position_events == engine.position_events
    assert again.orders == engine.orders and again.positions == engine.positions
    assert again.next_ids == engine.next_ids and again.balances == engine.balances


def test_windowed_nonces_are_written_as_they_come_and_go(tmp_path: Path) -> None:
    """A commit writes the windowed nonces seen and forgotten since the last one (not the
    whole window, which holds thousands under load); forgotten ones leave the file, and a
    reopened store gives back exactly the window in memory, oldest first."""
    engine = Engine(clock=lambda: D("1800000000"))
    store = StateStore(tmp_path / "window.sqlite3")
    book = NonceBook()
    try:
        store.restore(engine)
        base = 1_800_000_000_000
        for i in range(300):
            book.check(KEY, base + i, True, base + i)
        store.commit(engine, book.last, window_changes=book.window_changes)
        book.window_changes.clear()
        assert store.count("window_nonces") == 300

        before = _changes(store)
        later = base + 10_150  # > 10 s after the first 150: those are forgotten
        book.check(KEY, later, True, later)
        store.commit(engine, book.last, window_changes=book.window_changes)
        book.window_changes.clear()
        assert store.count("window_nonces") == 151
        assert _changes(store) - before < 160  # 150 deletes + 1 insert + the mark
    finally:
        store.close()
    reopened = StateStore(tmp_path / "window.sqlite3")
    try:
        reopened.restore(Engine(clock=lambda: D("1800000000")))
        saved = reopened.saved_window()
    finally:
        reopened.close()
    assert saved == book.window_seen
    assert list(saved[KEY]) == sorted(saved[KEY], key=saved[KEY].__getitem__)


# -- a corrupt file ------------------------------------------------------------------------------
def _corrupt(path: Path) -> bytes:
    data = b"this is not a database, just bytes " * 200
    path.write_bytes(data)
    return data


def test_a_corrupt_state_file_is_one_line_naming_the_file_and_fresh(tmp_path: Path) -> None:
    state = tmp_path / "sandbox.sqlite3"
    _corrupt(state)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    run = subprocess.run(
        [sys.executable, "-m", "tui.sandbox.cli", "--port", "0", "--state", str(state)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    [line] = run.stderr.splitlines()
    assert line.startswith("collateral-tui sandbox: error: ")
    assert str(state) in line and "--fresh" in line


def test_fresh_replaces_a_corrupt_file_and_keeps_a_copy(
    tmp_path: Path, processes: list[Sandbox]
) -> None:
    state = tmp_path / "sandbox.sqlite3"
    data = _corrupt(state)
    processes.append(Sandbox(state, "--fresh"))
    sb = processes[-1]
    signer = Signer()
    assert D(str(ok(sb, signer, "/api/v4/collateral-account/balance")["USDT"])) == D(10000)
    placed = ok(
        sb,
        signer,
        "/api/v4/order/collateral/limit",
        {"market": "BTC_PERP", "side": "buy", "amount": "0.01", "price": "30000"},
    )
    sb.kill()
    assert state.with_name("sandbox.sqlite3.corrupt").read_bytes() == data
    processes.append(Sandbox(state))  # the new file is a good one
    assert [o["orderId"] for o in ok(processes[-1], signer, "/api/v4/orders")] == [
        placed["orderId"]
    ]


def test_a_corrupt_state_file_in_the_store_names_the_file(tmp_path: Path) -> None:
    from tui.sandbox.engine.store import StateCorrupt

    state = tmp_path / "x.sqlite3"
    _corrupt(state)
    with pytest.raises(StateCorrupt) as caught:
        StateStore(state)
    assert str(state) in str(caught.value) and "--fresh" in str(caught.value)
    assert "\n" not in str(caught.value)
    # a truncated/garbled database page is caught too, not only a foreign header
    good = tmp_path / "good.sqlite3"
    store = StateStore(good)
    store.restore(Engine(clock=lambda: D("1800000000")))
    store.commit(Engine(clock=lambda: D("1800000000")), {KEY: 1})
    store.close()
    raw = bytearray(good.read_bytes())
    raw[100:4096] = b"\xff" * (4096 - 100)
    good.write_bytes(bytes(raw))
    for suffix in ("-wal", "-shm"):
        Path(str(good) + suffix).unlink(missing_ok=True)
    with pytest.raises(StateCorrupt):
        StateStore(good)


def test_a_version_1_key_value_file_is_converted(tmp_path: Path) -> None:
    """A state file from before the rows (one JSON blob per key) is read once and converted."""
    state = tmp_path / "old.sqlite3"
    db = sqlite3.connect(str(state))
    core = {
        "version": 1,
        "balances": {"USDT": {"__dec__": "1234.5"}},
        "leverage": 3,
        "hedge_mode": True,
        "volumes": {},
        "funding_rates": {},
        "positions": [],
        "orders": [],
        "oco": [],
        "next_ids": {"order": 4000000777, "position": 700010, "deal": 90000050},
        "next_funding": {"__dec__": "1800003600"},
        "next_interest": {"__dec__": "1800000600"},
    }
    history = {
        "finished": [],
        "deals": [{"id": 90000049, "price": {"__dec__": "65000"}}],
        "position_events": [],
        "funding_payments": [],
        "funding_rounds": [],
    }
    db.execute("CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    for key, value in (
        ("engine.core", core),
        ("engine.history", history),
        ("nonces", {KEY: 1700000000123}),
    ):
        db.execute("INSERT INTO kv VALUES (?, ?)", (key, json.dumps(value)))
    db.commit()
    db.close()

    for _ in range(2):  # converted once; the second open reads the rows
        engine = Engine(clock=lambda: D("1800000000"))
        store = StateStore(state)
        try:
            assert store.restore(engine) == {KEY: 1700000000123}
        finally:
            store.close()
        assert engine.balances["USDT"] == D("1234.5") and engine.leverage == 3
        assert engine.hedge_mode is True and engine.next_ids["order"] == 4000000777
        assert engine.deals == [{"id": 90000049, "price": D("65000")}]


def test_the_rows_match_the_engine_after_every_kind_of_change(tmp_path: Path) -> None:
    """Each step commits only what the engine marked as touched; reopening the file after
    each step gives back the live engine exactly (a missed touch would show here)."""
    now = [D("1800000000")]
    engine = Engine(
        clock=lambda: now[0],
        balances={"USDT": D(100_000)},
        options=EngineOptions(funding_interval=600.0, interest_interval=300.0),
    )
    path = tmp_path / "steps.sqlite3"
    store = StateStore(path)
    store.restore(engine)

    def check(label: str) -> None:
        nonlocal store
        store.commit(engine, {KEY: 1})
        store.close()
        again = Engine(clock=lambda: now[0])
        store = StateStore(path)
        store.restore(again)
        for attr in (
            "orders",
            "positions",
            "oco",
            "finished",
            "deals",
            "position_events",
            "funding_payments",
            "funding_rounds",
            "balances",
            "next_ids",
            "leverage",
            "hedge_mode",
            "volumes",
            "funding_rates",
            "next_funding",
            "next_interest",
            "kill_switches",
        ):
            assert getattr(again, attr) == getattr(engine, attr), (label, attr)

    engine.set_leverage(10)
    engine.set_hedge_mode(True)
    check("settings")
    rest = engine.place_order(
        "limit", "BTC_PERP", "buy", D("0.1"), price=D(60000), position_side="LONG"
    )
    engine.place_order(
        "stop market", "ETH_PERP", "buy", D("1"), activation_price=D(3300), position_side="LONG"
    )
    engine.sync_kill_switch("BTC_PERP", 60, ("futures",))
    engine.sync_kill_switch("ETH_USDT", 30)
    check("resting")
    engine.modify_order("BTC_PERP", rest.id, None, price=D(61000))
    check("modified")
    engine.place_order("market", "BTC_PERP", "buy", D("0.2"), position_side="LONG")
    engine.place_order("market", "BTC_USDT", "buy", D("0.5"))  # margin: borrows, accrues interest
    check("filled")
    engine.place_oco(
        "BTC_PERP", "sell", D("0.1"), D(70000), D(60000), D(59900), position_side="LONG"
    )
    check("oco")
    engine.set_price("ETH_PERP", D(3400))  # the stop triggers and fills
    engine.set_price("BTC_PERP", D(70000))  # the OCO take-profit fills, its stop is cancelled
    assert not engine.oco and {o.status for o in engine.finished} == {"FILLED", "CANCELED"}
    check("triggers")
    now[0] += 3600  # funding rounds and interest
    engine.run_due()
    assert engine.funding_payments and any(p.unrealized_funding for p in engine.positions.values())
    check("funding")
    engine.set_price("BTC_USDT", D(58000))  # margin call / partial liquidation
    check("margin call")
    engine.set_price("BTC_USDT", D(50000))
    assert any(e["liquidationState"] == "liquidation" for e in engine.position_events)
    check("liquidated")
    engine.sync_kill_switch("ETH_USDT", None)
    check("kill switch deleted")
    engine.cancel_all()
    [pos] = [p for p in engine.positions.values() if p.market == "ETH_PERP"]
    engine.close_position(pos.id, "ETH_PERP", "LONG")
    check("closed")
    store.close()


async def test_a_30_digit_nonce_mark_is_saved_exactly(tmp_path: Path, http: Any) -> None:
    """Nonce marks are TEXT: a 30-digit nonce (valid on the wire) does not overflow SQLite's
    64-bit INTEGER and stop every later commit."""
    from tui.sandbox import SandboxServer

    from .conftest import Client, fast_config

    path = tmp_path / "nonce.sqlite3"
    huge = 10**29 + 7
    async with SandboxServer(fast_config(state_path=path)) as sb:
        client = Client(http, sb.rest_url)
        client.nonce = huge - 1
        await client.ok("/api/v4/collateral-account/balance")
        placed = await client.ok(
            "/api/v4/order/collateral/limit",
            {"market": "BTC_PERP", "side": "buy", "amount": "0.01", "price": "30000"},
        )
    async with SandboxServer(fast_config(state_path=path)) as sb:
        assert sb.nonces.last[KEY] == huge + 1
        assert [o.id for o in sb.engine.orders.values()] == [placed["orderId"]]
