"""The launcher's embedded sandbox: a child process that listens on the port chosen for it,
saves its state and exits when the desk stops, and never outlives the desk (not even a desk
killed with SIGKILL). Real processes and sockets, private HOME/XDG dirs."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import pty
import select
import signal
import socket
import struct
import subprocess
import sys
import termios
import time
import urllib.request
from pathlib import Path

import pytest

from tui.drills.safety import clean_env
from tui.launcher import (
    SANDBOX_CHILD_ARG,
    LaunchError,
    LaunchOptions,
    embedded_state_path,
    start_embedded_sandbox,
)

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    """Running (a zombie nobody reaped yet counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _wait_gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _refused(url: str) -> bool:
    host, port = url.removeprefix("http://").split(":")
    with socket.socket() as s:
        return s.connect_ex((host, int(port))) != 0


def _info(url: str) -> dict[str, object]:
    with urllib.request.urlopen(url + "/sandbox/info", timeout=10) as response:
        return json.loads(response.read())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_child_listens_on_the_port_chosen_before_it_started_and_stops_cleanly(
    private_dirs: dict[str, str],
) -> None:
    handle = start_embedded_sandbox(LaunchOptions(fresh=True, static_prices=True))
    try:
        planned = handle.target
        assert planned.embedded and not planned.live
        # The port is held for the child from the start: nobody else can bind it meanwhile.
        port = int(planned.rest_url.rsplit(":", 1)[1])
        with socket.socket() as other, pytest.raises(OSError):
            other.bind(("127.0.0.1", port))
        ready = handle.wait_ready()
        assert ready["rest_url"] == planned.rest_url and ready["ws_url"] == planned.ws_url
        assert _info(planned.rest_url)["sandbox"] is True
        # Its credentials are this run's own, not the public demo pair.
        assert planned.api_key.startswith("desk-") and len(planned.api_secret) >= 32
        # The desk's event loop can wait for it too (already listening: returns at once).
        assert asyncio.run(handle.ready())["rest_url"] == planned.rest_url
    finally:
        handle.stop()
    assert handle.returncode == 0  # closed stdin: it saved and exited by itself
    assert (Path(private_dirs["XDG_DATA_HOME"]) / "collateral-tui" / "sandbox.sqlite3").is_file()
    assert _refused(planned.rest_url)


def test_a_child_that_cannot_start_is_a_one_line_launch_error(
    private_dirs: dict[str, str],
) -> None:
    # The state file's place is taken by a directory: the sandbox cannot open its state.
    state = Path(private_dirs["XDG_DATA_HOME"]) / "collateral-tui" / "sandbox.sqlite3"
    state.mkdir(parents=True)
    handle = start_embedded_sandbox(LaunchOptions())
    with pytest.raises(LaunchError) as caught:
        handle.wait_ready()
    message = str(caught.value)
    assert "sandbox exchange" in message and "\n" not in message
    assert not _alive(handle.pid)
    with pytest.raises(LaunchError):  # asked again (the desk's retry): the same answer
        asyncio.run(handle.ready())


def test_a_second_desk_on_the_paper_account_is_refused_naming_the_file_and_the_first(
    private_dirs: dict[str, str],
) -> None:
    """The embedded sandbox child locks the desk's state file for its life: another desk's
    child (even with --fresh) refuses to start with a one-line error the desk shows as its
    start failure, and the first desk's sandbox goes on."""
    first = start_embedded_sandbox(LaunchOptions(static_prices=True))
    second = None
    try:
        first.wait_ready()
        second = start_embedded_sandbox(LaunchOptions(fresh=True, static_prices=True))
        with pytest.raises(LaunchError) as caught:
            second.wait_ready()
        assert str(caught.value) == (
            f"cannot start the sandbox exchange: state file {embedded_state_path()}"
            f" is in use by another process (pid {first.pid})"
        )
        assert not _alive(second.pid)
        assert _info(first.rest_url)["sandbox"] is True
    finally:
        if second is not None:
            second.stop()
        first.stop()
    assert first.returncode == 0


_PARENT = """
import sys, time
from tui.launcher import LaunchOptions, start_embedded_sandbox
handle = start_embedded_sandbox(LaunchOptions(fresh=True, static_prices=True))
handle.wait_ready()
print(handle.pid, handle.rest_url, flush=True)
time.sleep(120)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc")
def test_child_exits_when_the_desk_is_killed(tmp_path: Path) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT],
        env=clean_env(tmp_path),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        line = parent.stdout.readline()
        assert line, parent.stderr.read() if parent.stderr else ""
        child_pid, rest_url = int(line.split()[0]), line.split()[1]
        assert _alive(child_pid) and _info(rest_url)["sandbox"] is True
        parent.kill()  # SIGKILL: no finally, no atexit in the desk
        parent.wait(10)
        assert _wait_gone(child_pid), "the sandbox child outlived the killed desk"
        assert _refused(rest_url)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait(10)


def _sandbox_children(marker: str) -> list[int]:
    """Our embedded-sandbox children whose environment mentions ``marker`` (the test's dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            cmdline = (entry / "cmdline").read_bytes()
            if (
                SANDBOX_CHILD_ARG.encode() in cmdline
                and marker.encode() in (entry / "environ").read_bytes()
            ):
                found.append(int(entry.name))
    return [pid for pid in found if _alive(pid)]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and a pty")
def test_desk_paints_then_loads_the_account_from_its_sandbox_and_leaves_nothing_behind(
    tmp_path: Path,
) -> None:
    """``python -m tui`` in a terminal: the desk reports its first frame and its first frame
    with the account loaded (the benchmark hook, which also makes it exit), then the sandbox
    child is gone."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    marks_r, marks_w = os.pipe()
    env = clean_env(tmp_path)
    env.update(TERM="xterm-256color", COLLATERAL_TUI_BENCH_FD=str(marks_w))
    desk = subprocess.Popen(
        [sys.executable, "-m", "tui", "--fresh", "--static-prices"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        pass_fds=(marks_w,),
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(slave)
    os.close(marks_w)
    marks = b""
    screen = b""
    try:
        deadline = time.monotonic() + 60
        open_fds = {master, marks_r}
        while marks_r in open_fds and time.monotonic() < deadline:
            for fd in select.select(list(open_fds), [], [], 0.5)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    open_fds.discard(fd)
                elif fd == master:
                    screen += chunk
                else:
                    marks += chunk
        assert desk.wait(30) == 0, screen[-2000:]
    finally:
        if desk.poll() is None:
            desk.send_signal(signal.SIGKILL)
            desk.wait(10)
        os.close(master)
        os.close(marks_r)
    assert marks.split() == [b"frame", b"data"], (marks, screen[-2000:])
    assert b"Positions" in screen  # the desk itself was drawn, not an error screen
    deadline = time.monotonic() + 15
    while _sandbox_children(str(tmp_path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _sandbox_children(str(tmp_path)) == []


def test_nonce_file_per_endpoint_and_key_never_named_by_the_key() -> None:
    from tui.launcher import Target, nonce_path

    live = Target("https://whitebit.com", "wss://api.whitebit.com/ws", "KEY-ABC", "s", True, False)
    other = Target("https://whitebit.com", "wss://api.whitebit.com/ws", "KEY-XYZ", "s", True, False)
    path = nonce_path(live)
    assert path is not None and path.name.startswith("nonce-")
    assert "KEY-ABC" not in str(path)
    assert nonce_path(other) != path
    embedded = Target("http://127.0.0.1:1", "ws://127.0.0.1:1/ws", "demo", "s", False, True)
    assert nonce_path(embedded) is None  # a new demo key every run


def test_collector_paused_while_the_desk_is_built_and_on_again_after() -> None:
    """run_desk keeps the garbage collector off while it builds the desk, then freezes what was
    built and turns it back on, also when the build fails."""
    import gc

    from tui.launcher.desk import _collector_paused

    was_enabled = gc.isenabled()
    frozen_before = gc.get_freeze_count()
    gc.enable()
    try:
        with _collector_paused():
            assert not gc.isenabled()
            built = [[] for _ in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= frozen_before + len(built)
        gc.unfreeze()
        with pytest.raises(LaunchError), _collector_paused():
            raise LaunchError("bad config")
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        if not was_enabled:
            gc.disable()
