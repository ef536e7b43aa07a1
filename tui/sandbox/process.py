"""The embedded sandbox's child process: the body of ``python -m tui --embedded-sandbox-child``.

The desk's side (the handle that starts this process and waits for it) is
``tui.launcher.sandbox.SandboxProcess``. The protocol between the two:

- stdin, first line: the settings as one JSON object (``port``, ``api_key``, ``api_secret``,
  ``static_prices``, ``state_path``, ``fresh``);
- stdout, one line: ``{"rest_url": ..., "ws_url": ...}`` once listening, or ``{"error": ...}``;
- then the sandbox runs until its stdin reaches EOF (the desk closed it, or died: the kernel
  closes the pipe) or SIGTERM, saves its state and exits. Ctrl-C belongs to the desk (ignored).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from pathlib import Path
from typing import Any


def run_child() -> int:
    """Read the settings from stdin, serve until stdin closes; the process's exit code."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    line = sys.stdin.buffer.readline()
    if not line:
        return 0  # the desk went away before sending anything
    return asyncio.run(_serve(json.loads(line)))


def _announce(payload: dict[str, object]) -> None:
    os.write(1, json.dumps(payload).encode() + b"\n")


async def _serve(spec: dict[str, Any]) -> int:
    from . import SandboxConfig, SandboxServer, loopstats

    config = SandboxConfig(
        host="127.0.0.1",
        port=int(spec["port"]),
        api_key=str(spec["api_key"]),
        api_secret=str(spec["api_secret"]),
        static_prices=bool(spec["static_prices"]),
        state_path=Path(spec["state_path"]),
        fresh=bool(spec["fresh"]),
    )
    loop = asyncio.get_running_loop()
    desk_gone = asyncio.Event()

    def stdin_readable() -> None:
        try:
            chunk = os.read(0, 4096)
        except OSError:
            chunk = b""
        if not chunk:  # EOF: the desk closed the pipe, or died
            loop.remove_reader(0)
            desk_gone.set()

    try:
        server = SandboxServer(config)
        await server.start()
        loopstats.freeze_startup_heap()
    except Exception as exc:  # noqa: BLE001 - reported to the desk as one line
        _announce({"error": str(exc) or type(exc).__name__})
        return 1
    try:
        loop.add_reader(0, stdin_readable)
        loop.add_signal_handler(signal.SIGTERM, desk_gone.set)
        _announce({"rest_url": server.rest_url, "ws_url": server.ws_url})
        await desk_gone.wait()
    finally:
        await server.close()
    return 0
