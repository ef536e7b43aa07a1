"""``cold_start``: process start -> the desk's first frame, in a real terminal (a pty, 120x40).

Both sides are started the same way, as a user would, with the interpreter of this run:
``python -m tui --static-prices --fresh`` (the desk on its embedded sandbox, data and config
dirs in a fresh temporary directory) and ``python -m bench.hello`` (a bare Textual app). Each
reports its first painted frame on a pipe through the ``COLLATERAL_TUI_BENCH_FD`` hook (see
``tui.app.main_app``); the time is taken when this process reads the marker. The desk also
reports the first frame after the service loaded the account ("data"): the figure
``first_useful_frame`` (process start -> the first frame with balances and positions painted).
The two sides alternate so that drifting machine load hits both alike.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

from .stats import Figure, Side

ROOT = Path(__file__).resolve().parent.parent
SIZE = (120, 40)
TIMEOUT = 60.0


def _launch(args: list[str], home: Path) -> dict[str, float]:
    """Run ``python args`` in a pty; returns {marker: ms since the start}."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", SIZE[1], SIZE[0], 0, 0))
    marker_r, marker_w = os.pipe()
    env = dict(os.environ)
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[name] = str(home / name.lower())
    env.pop("COLLATERAL_TUI_CONFIG", None)
    env.pop("WHITEBIT_API_KEY", None)
    env.pop("WHITEBIT_API_SECRET", None)
    env.update(
        {
            "TERM": "xterm-256color",
            "COLUMNS": str(SIZE[0]),
            "LINES": str(SIZE[1]),
            "COLLATERAL_TUI_BENCH_FD": str(marker_w),
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    marks: dict[str, float] = {}
    start = time.perf_counter_ns()
    proc = subprocess.Popen(
        [sys.executable, *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        pass_fds=(marker_w,),
        env=env,
        cwd=ROOT,
        start_new_session=True,
    )
    os.close(slave)
    os.close(marker_w)
    pending = b""
    deadline = time.monotonic() + TIMEOUT
    open_fds = {master, marker_r}
    try:
        while marker_r in open_fds and time.monotonic() < deadline:
            ready, _, _ = select.select(list(open_fds), [], [], 0.5)
            for fd in ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    chunk = b""
                if fd == master:  # the terminal output: drained, not kept
                    if not chunk:
                        open_fds.discard(master)
                    continue
                if not chunk:
                    open_fds.discard(marker_r)
                    continue
                now = time.perf_counter_ns()
                pending += chunk
                while b"\n" in pending:
                    line, pending = pending.split(b"\n", 1)
                    marks.setdefault(line.decode(), (now - start) / 1e6)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
        os.close(master)
        os.close(marker_r)
    if "frame" not in marks:
        raise RuntimeError(
            f"bench: {' '.join(args)} painted no frame (exit code {proc.returncode})"
        )
    return marks


def compile_sources() -> None:
    """Byte-compile the checkout's sources first, as ``pip install`` does for an installed
    wheel. Both sides start with ``PYTHONDONTWRITEBYTECODE=1`` (as this machine's environment
    sets it), so a module edited since its last ``.pyc`` would otherwise be compiled again on
    every start: the desk's ~70 modules, against the bare app's one."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "tui"), str(ROOT / "bench")],
        check=False,
        stdout=subprocess.DEVNULL,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},
    )


def measure(reps: int, warmup: int) -> tuple[list[float], list[float], list[float]]:
    """(desk first frame, desk first frame with data, hello first frame), in ms."""
    compile_sources()
    desk: list[float] = []
    data: list[float] = []
    hello: list[float] = []
    for i in range(warmup + reps):
        with tempfile.TemporaryDirectory(prefix="bench-cold-") as tmp:
            marks = _launch(["-m", "tui", "--static-prices", "--fresh"], Path(tmp))
        hello_marks = _launch(["-m", "bench.hello"], ROOT)
        if "data" not in marks:
            raise RuntimeError("bench: the desk painted no frame with the account loaded")
        if i >= warmup:
            desk.append(marks["frame"])
            data.append(marks["data"])
            hello.append(hello_marks["frame"])
    return desk, data, hello


def useful_frame_figure(data: list[float]) -> Figure:
    """``first_useful_frame`` from the "data" marks of :func:`measure`."""
    fig = Figure(
        "first_useful_frame",
        "process start -> first frame with balances and positions painted (embedded sandbox)",
        Side(data),
        "<= 1.0 s median",
    )
    fig.met = fig.ours.median_ms <= 1000
    return fig
