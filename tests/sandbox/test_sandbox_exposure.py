"""Binding the sandbox beyond loopback: never with the public demo credentials, and the banner
says where it really listens (``--host 0.0.0.0``)."""

from __future__ import annotations

import asyncio
import io
import socket
from pathlib import Path

import pytest

from tui.sandbox import SandboxConfig, SandboxServer
from tui.sandbox.cli import build_parser, config_from_args, main, serve


def _exit_code(fn) -> int:
    try:
        return fn()
    except SystemExit as exc:
        return int(exc.code)


@pytest.mark.parametrize(
    "extra",
    [
        ["--host", "0.0.0.0"],
        ["--host", "::"],
        ["--host", ""],
        ["--host", "0.0.0.0", "--api-key", "mine"],  # the demo secret is still public
        ["--host", "0.0.0.0", "--api-secret", "mine"],
    ],
)
def test_cli_refuses_demo_credentials_beyond_loopback(extra, tmp_path: Path, capsys):
    state = tmp_path / "s.sqlite3"
    assert _exit_code(lambda: main(["--port", "0", "--state", str(state), *extra])) == 2
    err = capsys.readouterr().err
    assert err.startswith("collateral-tui sandbox: error:") and err.count("\n") == 1, err
    assert "--api-key" in err and "--api-secret" in err and "Traceback" not in err
    assert not state.exists()  # refused before anything was opened


async def test_server_refuses_demo_credentials_beyond_loopback():
    with pytest.raises(ValueError, match="demo"):
        async with SandboxServer(SandboxConfig(host="0.0.0.0")):
            pass
    async with SandboxServer(SandboxConfig(host="localhost")) as sb:  # loopback: demo is fine
        assert sb.port > 0


async def _banner(argv: list[str]) -> tuple[str, int]:
    cfg = config_from_args(build_parser().parse_args(argv))
    out = io.StringIO()
    stop = asyncio.Event()
    task = asyncio.create_task(serve(cfg, stop, out=out))
    for _ in range(500):
        if "Press Ctrl-C" in out.getvalue() or task.done():
            break
        await asyncio.sleep(0.01)
    text = out.getvalue()
    port = int(
        next(line for line in text.splitlines() if "REST base URL" in line).rsplit(":", 1)[1]
    )
    # what the banner says is served really is: connect to the bound port
    with socket.create_connection(("127.0.0.1", port), timeout=5):
        pass
    stop.set()
    await asyncio.wait_for(task, 10)
    return text, port


async def test_banner_prints_the_real_address_and_a_warning(tmp_path: Path):
    argv = ["--port", "0", "--state", str(tmp_path / "s.sqlite3"), "--static-prices"]
    text, port = await _banner([*argv, "--host", "0.0.0.0", "--api-key", "k", "--api-secret", "s"])
    assert f"0.0.0.0:{port}" in text, text
    assert "WARNING" in text and "other machines" in text
    assert "demo-" not in text
    text, port = await _banner([*argv, "--fresh"])
    assert f"127.0.0.1:{port}" in text and "WARNING" not in text
