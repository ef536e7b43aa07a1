"""``collateral-tui sandbox`` command line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import requests

from tui.sandbox.cli import build_parser, config_from_args, main

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
        ["--state", "x.db", "--fresh"],
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
