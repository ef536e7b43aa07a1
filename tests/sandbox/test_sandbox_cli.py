"""``collateral-tui sandbox`` command line."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests

from tui.drills.safety import clean_env
from tui.launcher import (
    LaunchError,
    LaunchOptions,
    Target,
    embedded_state_path,
    start_embedded_sandbox,
)
from tui.sandbox.cli import build_parser, config_from_args, main
from tui.sandbox.engine.store import StateStore

from .conftest import Client

ROOT = Path(__file__).resolve().parents[2]


def test_bad_flag_is_a_one_line_error_with_exit_2(capsys):
    assert _exit_code(lambda: main(["--bogus"])) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "unrecognized arguments: --bogus" in err
    assert "Traceback" not in err


def test_bad_values_are_refused(capsys):
    for argv in (
        ["--balance", "USDT"],
        ["--balance", "USDT=lots"],
        ["--port", "99999"],
    ):
        assert _exit_code(lambda argv=argv: main(argv)) == 2
        assert capsys.readouterr().err.startswith("collateral-tui sandbox: error:")


def test_flags_map_onto_the_config(tmp_path):
    args = build_parser().parse_args(
        [
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--api-key",
            "k",
            "--api-secret",
            "s",
            "--balance",
            "usdt=2500.5",
            "--balance",
            "BTC=1",
            "--static-prices",
            "--state",
            str(tmp_path / "s.db"),
        ]
    )
    cfg = config_from_args(args)
    assert cfg.api_key == "k" and cfg.api_secret == "s" and cfg.static_prices is True
    assert cfg.balances == {"USDT": Decimal("2500.5"), "BTC": Decimal(1)}
    assert cfg.state_path == tmp_path / "s.db" and cfg.fresh is False
    fresh = config_from_args(build_parser().parse_args(["--fresh"]))
    assert fresh.fresh is True and fresh.state_path is not None  # the default state file
    assert fresh.state_path.name == "sandbox-standalone.sqlite3"
    both = config_from_args(build_parser().parse_args(["--fresh", "--state", "x.db"]))
    assert both.fresh is True and both.state_path == Path("x.db")


def _exit_code(fn) -> int:
    try:
        return fn()
    except SystemExit as exc:
        return int(exc.code)


def test_cli_serves_until_interrupted(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tui.sandbox.cli",
            "--port",
            "0",
            "--static-prices",
            "--state",
            str(tmp_path / "cli.sqlite3"),
            "--balance",
            "USDT=777",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        text = "".join(lines)
        rest = next(l.split(": ", 1)[1].strip() for l in lines if "REST base URL" in l)
        assert "ws://127.0.0.1:" in text and "/ws" in text
        assert "demo-key" in text and "demo-secret" in text
        info = requests.get(rest + "/sandbox/info", timeout=5).json()
        assert info["sandbox"] is True
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=15) == 0
        assert "Traceback" not in proc.stderr.read()
        assert (tmp_path / "cli.sqlite3").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


# -- the paper accounts: whose file, --fresh, one process per file (real processes) ----------
@pytest.fixture
def started() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test starts; any still running at the end is killed."""
    procs: list[subprocess.Popen[str]] = []
    yield procs
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def _standalone(
    started: list[subprocess.Popen[str]], env: dict[str, str], *args: str
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """``python -m tui sandbox ARGS`` once it serves, and its banner (``state``, ...)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "sandbox", "--port", "0", "--static-prices", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started.append(proc)
    assert proc.stdout is not None and proc.stderr is not None
    banner: dict[str, str] = {}
    for line in proc.stdout:
        if line.startswith("Press Ctrl-C"):
            return proc, banner
        name, sep, value = line.partition(":")
        if sep:
            banner[name.strip()] = value.strip()
    raise AssertionError(f"the sandbox did not start: {proc.stderr.read()}")


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=15) == 0
    assert proc.stderr is not None and "Traceback" not in proc.stderr.read()


def _saved(path: Path) -> dict[str, Any]:
    """What the state file holds: the USDT balance and the open positions' markets."""
    db = sqlite3.connect(str(path))
    try:
        [(usdt,)] = db.execute("SELECT amount FROM balances WHERE asset = 'USDT'")
        markets = [m for (m,) in db.execute("SELECT market FROM positions ORDER BY id")]
    finally:
        db.close()
    return {"USDT": Decimal(usdt), "positions": markets}


async def _call(target: Target, path: str, data: dict[str, Any] | None = None) -> Any:
    async with aiohttp.ClientSession() as http:
        return await Client(http, target.rest_url, target.api_key, target.api_secret).ok(path, data)


def test_standalone_fresh_leaves_the_desks_paper_account_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, started: list[subprocess.Popen[str]]
) -> None:
    """A position opened on the desk's embedded sandbox survives ``collateral-tui sandbox
    --fresh``: the standalone resets its own file, and the desk finds the position again."""
    env = clean_env(tmp_path)
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, env[name])  # the desk's child, started from this process
    desk = start_embedded_sandbox(LaunchOptions(static_prices=True))
    try:
        desk.wait_ready()
        order = {"market": "BTC_PERP", "side": "buy", "amount": "0.01"}
        asyncio.run(_call(desk.target, "/api/v4/order/collateral/market", order))
        opened = asyncio.run(_call(desk.target, "/api/v4/collateral-account/positions/open"))
    finally:
        desk.stop()
    assert [p["market"] for p in opened] == ["BTC_PERP"]
    account = embedded_state_path()
    before = account.read_bytes()

    standalone, banner = _standalone(started, env, "--fresh")
    assert Path(banner["state"]) == account.with_name("sandbox-standalone.sqlite3")
    _stop(standalone)

    assert account.read_bytes() == before
    assert _saved(account)["positions"] == ["BTC_PERP"]
    desk = start_embedded_sandbox(LaunchOptions(static_prices=True))
    try:
        desk.wait_ready()
        again = asyncio.run(_call(desk.target, "/api/v4/collateral-account/positions/open"))
    finally:
        desk.stop()
    assert [p["positionId"] for p in again] == [p["positionId"] for p in opened]


def test_fresh_with_state_resets_that_file_only(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    env = clean_env(tmp_path)
    x, y = tmp_path / "x.sqlite3", tmp_path / "y.sqlite3"
    first, _ = _standalone(started, env, "--state", str(x), "--balance", "USDT=777")
    _stop(first)
    shutil.copyfile(x, y)  # a second account with the same state
    y_before = y.read_bytes()

    again, banner = _standalone(started, env, "--fresh", "--state", str(x), "--balance", "USDT=555")
    assert banner["state"] == str(x)
    _stop(again)

    # --balance applies to a fresh state only: 555 shows that x was reset
    assert _saved(x)["USDT"] == Decimal(555)
    assert y.read_bytes() == y_before
    assert _saved(y)["USDT"] == Decimal(777)
    data = Path(env["XDG_DATA_HOME"]) / "collateral-tui"
    assert not (data / "sandbox.sqlite3").exists()
    assert not (data / "sandbox-standalone.sqlite3").exists()


def test_a_second_process_on_a_state_file_is_refused_naming_the_file_and_the_first(
    tmp_path: Path, started: list[subprocess.Popen[str]]
) -> None:
    env = clean_env(tmp_path)
    state = tmp_path / "shared.sqlite3"
    first, banner = _standalone(started, env, "--state", str(state))

    second = subprocess.run(
        [sys.executable, "-m", "tui", "sandbox", "--port", "0", "--state", str(state)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert second.returncode == 2
    assert second.stderr == (
        f"collateral-tui sandbox: error: state file {state} is in use by another process"
        f" (pid {first.pid})\n"
    )
    assert second.stdout == ""
    assert requests.get(banner["REST base URL"] + "/sandbox/info", timeout=5).ok  # unaffected

    _stop(first)
    StateStore(state).close()  # the lock went with the process


def test_the_desk_names_a_corrupt_state_file_and_fresh_recovers_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The desk's embedded sandbox on a corrupt paper account: one line naming the file and
    ``--fresh`` (not sqlite's bare "file is not a database"); ``--fresh`` keeps a copy."""
    env = clean_env(tmp_path)
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, env[name])
    account = embedded_state_path()
    account.parent.mkdir(parents=True, exist_ok=True)
    garbage = b"not a database " * 300
    account.write_bytes(garbage)
    desk = start_embedded_sandbox(LaunchOptions(static_prices=True))
    try:
        with pytest.raises(LaunchError) as caught:
            desk.wait_ready()
    finally:
        desk.stop()
    message = str(caught.value)
    assert str(account) in message and "--fresh" in message and "\n" not in message

    desk = start_embedded_sandbox(LaunchOptions(static_prices=True, fresh=True))
    try:
        desk.wait_ready()
        opened = asyncio.run(_call(desk.target, "/api/v4/collateral-account/positions/open"))
    finally:
        desk.stop()
    assert opened == []
    assert account.with_name(account.name + ".corrupt").read_bytes() == garbage
