"""Bad command lines: a one-line error, a non-zero exit, no traceback (``python -m tui`` run as a
subprocess with private HOME/XDG dirs, so nothing on this machine is read)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tui.drills.safety import clean_env

SECRET = "cli-secret-7a6b5c4d3e2f1a0b"


def run(tmp: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full = clean_env(tmp)
    full.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tui", *args],
        check=False,
        env=full,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("collateral-tui: error: ")
    assert "Traceback" not in proc.stderr and SECRET not in proc.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--bogus"], "unrecognized arguments: --bogus"),
        (["--profile"], "expected one argument"),
        (["--api-url", "http://127.0.0.1:1"], "--api-url needs --ws-url"),
        (["--live", "--fresh", "extra"], "unrecognized arguments: extra"),
    ],
)
def test_bad_flags(tmp_path: Path, args: list[str], needle: str) -> None:
    one_line_error(run(tmp_path, *args), needle)


def test_missing_config_file(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    one_line_error(run(tmp_path, env={"COLLATERAL_TUI_CONFIG": str(missing)}), "not found")
    one_line_error(run(tmp_path, "--config", str(missing)), "not found")


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("default_profile = \n", "line 1: invalid TOML"),
        ("[profiles.a]\napi_key = 5\n", "must be a string"),
        ('[profiles.a]\napi_sekret = "x"\n', "unknown key 'api_sekret'"),
        ('default_profile = "b"\n[profiles.a]\n', "'b' is not defined"),
        ('[thresholds]\ngreen = "lots"\n', "thresholds.green"),
        ("\xff\xfe", "not UTF-8"),
    ],
)
def test_malformed_config_file(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(text.encode("latin-1"))
    one_line_error(run(tmp_path, "--config", str(path)), needle)


def test_shared_config_holding_a_secret_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f'[profiles.a]\napi_key = "k"\napi_secret = "{SECRET}"\n')
    os.chmod(path, 0o644)
    one_line_error(run(tmp_path, "--config", str(path)), "readable by others", "chmod 600")


def test_unreachable_endpoint(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there
    proc = run(
        tmp_path,
        "--api-url",
        f"http://127.0.0.1:{port}",
        "--ws-url",
        f"ws://127.0.0.1:{port}/ws",
        env={"WHITEBIT_API_KEY": "k", "WHITEBIT_API_SECRET": SECRET},
    )
    one_line_error(proc, f"127.0.0.1:{port}", "Cannot reach")


def test_endpoint_without_credentials(tmp_path: Path) -> None:
    proc = run(tmp_path, "--api-url", "http://127.0.0.1:1", "--ws-url", "ws://127.0.0.1:1/ws")
    one_line_error(proc, "no API credentials")


def test_unknown_keymap_id(tmp_path: Path) -> None:
    # The desk refuses a keymap entry naming no action (CollateralApp raises KeymapError, a
    # ValueError): one line before the full-screen app starts, not a silently ignored key.
    pytest.importorskip("tui.app.actions", reason="the action registry (KeymapError) is not here")
    path = tmp_path / "config.toml"
    path.write_text('[keymap]\nno_such_action = "x"\n')
    one_line_error(run(tmp_path, "--config", str(path), "--fresh"), "no_such_action")
