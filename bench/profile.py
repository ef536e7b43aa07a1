"""``python -m bench --profile FIGURE``: where the time of one figure goes (pyinstrument).

Writes ``bench/profiles/FIGURE.txt``: the functions with the largest cumulative share of the
profiled time (each counted once per stack, so recursion does not double count), the view
RESULTS.md quotes. Profiling slows everything down severalfold: read shares, not times.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROFILES = HERE / "profiles"
CHOICES = (
    "snapshot_apply_200",
    "snapshot_apply_1000",
    "key_to_wire",
    "cold_start",
    "rest_call_vs_ccxt",
    "idle",
)


def cumulative(session: Any, top: int = 45, under: str | None = None) -> str:
    """Cumulative share per function (optionally only below frames named ``under``)."""
    root = session.root_frame()
    shares: dict[str, float] = {}
    total = [0.0]

    def collect(frame: Any, stack: frozenset[str]) -> None:
        key = f"{frame.function}  {frame.file_path_short}:{frame.line_no}"
        if key not in stack:
            shares[key] = shares.get(key, 0.0) + frame.time
        for child in frame.children:
            collect(child, stack | {key})

    def find(frame: Any) -> None:
        if under is None or frame.function == under:
            total[0] += frame.time
            collect(frame, frozenset())
            return
        for child in frame.children:
            find(child)

    find(root)
    # time the event loop spent waiting (selectors.select) is idle, not work: leave it out
    idle = sum(v for k, v in shares.items() if k.startswith("select ") and "selectors" in k)
    busy = total[0] - idle
    lines = [
        f"busy: {busy:.2f} s of {total[0]:.2f} s profiled"
        + (f" below {under}()" if under else "")
        + "; shares of the busy time, cumulative (a function's callees included)"
    ]
    ranked = sorted(shares.items(), key=lambda kv: -kv[1])
    shown = 0
    for key, value in ranked:
        if "epoll.poll" in key or (key.startswith("select ") and "selectors" in key):
            continue
        if key.startswith(("[self]  <built-in>", "_run_once ", "run_forever ", "_run  asyncio/")):
            continue
        lines.append(f"{min(value, busy) / busy * 100:5.1f}%  {key}")
        shown += 1
        if shown >= top:
            break
    return "\n".join(lines)


def _profiler() -> Any:
    from pyinstrument import Profiler

    return Profiler(interval=0.0005, async_mode="disabled")


async def _snapshot(count: int) -> str:
    from . import snapshot

    prof = _profiler()
    await snapshot._measure(count, naive=False, reps=15, warmup=2, profiler=prof)
    return cumulative(prof.last_session)


async def _key() -> str:
    from . import live
    from .desk import running_desk
    from .sandbox import Drive, SandboxProcess

    prof = _profiler()
    with SandboxProcess(push=1.0, positions=live.POSITIONS, drive=Drive()) as sandbox:
        try:
            async with running_desk(sandbox) as (app, pilot, desk):
                await live._key_phase(app, pilot, desk, sandbox, 2, 1)
                prof.start()
                await live._key_phase(app, pilot, desk, sandbox, 10, 0)
                prof.stop()
        finally:
            await sandbox.aclose()
    return cumulative(prof.last_session)


async def _rest() -> str:
    from tui.api.rest import WhiteBitRest
    from tui.api.signing import Credentials

    from .rest import POSITIONS
    from .sandbox import SandboxThread, sandbox_config

    prof = _profiler()
    with SandboxThread(sandbox_config()) as sandbox:
        sandbox.add_positions(POSITIONS)
        sandbox.add_key("profile", "profile-secret")
        client = WhiteBitRest(sandbox.rest_url, Credentials("profile", "profile-secret"))
        try:
            for _ in range(30):
                await client.open_positions()
            prof.start()
            for _ in range(300):
                await client.open_positions()
            prof.stop()
        finally:
            await client.aclose()
    return cumulative(prof.last_session, under="open_positions")


def _cold() -> str:
    from pyinstrument.session import Session

    from . import cold

    with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
        out = Path(tmp) / "cold.pyisession"
        args = ["-m", "pyinstrument", "-i", "0.0005", "-r", "session", "-o", str(out)]
        cold._launch([*args, "-m", "tui", "--static-prices", "--fresh"], Path(tmp))
        return cumulative(Session.load(str(out)))


def _idle() -> str:
    import json
    import subprocess
    import sys

    from .sandbox import SandboxProcess

    with SandboxProcess(push=1.0, positions=50) as sandbox, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "idle.pyisession"
        code = (
            "import asyncio, json, sys\n"
            "from pyinstrument import Profiler\n"
            "from bench import idle\n"
            "prof = Profiler(interval=0.001, async_mode='disabled')\n"
            f"r = asyncio.run(idle.child({sandbox.rest_url!r}, {sandbox.ws_url!r}, 20, prof))\n"
            f"prof.last_session.save({str(out)!r})\n"
            "print(json.dumps(r))\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code],
            cwd=HERE.parent,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        from pyinstrument.session import Session

        head = f"(profiled soak: CPU {result['cpu_percent']:.2f} % of a core, with the profiler)"
        return head + "\n" + cumulative(Session.load(str(out)))


def run(name: str) -> Path:
    if name == "snapshot_apply_200":
        text = asyncio.run(_snapshot(200))
    elif name == "snapshot_apply_1000":
        text = asyncio.run(_snapshot(1000))
    elif name == "key_to_wire":
        text = asyncio.run(_key())
    elif name == "rest_call_vs_ccxt":
        text = asyncio.run(_rest())
    elif name == "cold_start":
        text = _cold()
    elif name == "idle":
        text = _idle()
    else:
        raise ValueError(name)
    PROFILES.mkdir(exist_ok=True)
    path = PROFILES / f"{name}.txt"
    path.write_text(f"# python -m bench --profile {name}\n{text}\n")
    return path
