"""``idle``: the desk left alone with both streams live and 50 open positions.

The desk runs headless in a child process of its own (``python -m bench.idle --child ...``) so
that nothing the harness imported (ccxt, pyinstrument) or did counts against it; the sandbox
runs in the harness process. Prices are static, so the stream keeps re-sending the same
snapshot every second: what is measured is the cost of receiving, checking and not repainting
it, plus the desk's own timers (clock, stream ages). The frame probe is installed, so painting
costs what a terminal would (the escape sequences are built).

The child samples its CPU time and RSS every ``SAMPLE`` seconds after a warm-up and prints one
JSON line: ``{"seconds", "cpu_percent", "rss_start_mib", "rss_end_mib", "rss_max_mib",
"samples": [[t, cpu%, rss], ...]}``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WARMUP = 5.0  # seconds after the desk is up, before the soak starts
SAMPLE = 5.0
POSITIONS = 50


def rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


async def child(
    rest_url: str, ws_url: str, seconds: float, profiler: Any = None, warmup: float = WARMUP
) -> dict[str, Any]:
    import tempfile

    from tui.app.main_app import CollateralApp
    from tui.domain.models import StreamState
    from tui.service import TradingService

    from .probe import FrameProbe

    with tempfile.TemporaryDirectory(prefix="bench-idle-") as tmp:
        service = TradingService.for_whitebit(
            rest_url,
            ws_url,
            api_key="demo-key",
            api_secret="demo-secret",
            nonce_path=Path(tmp) / "nonce",
        )
        app = CollateralApp(service)
        async with app.run_test(size=(120, 40)) as pilot:
            FrameProbe(app)
            deadline = time.monotonic() + 30
            while not (
                app.desk is not None
                and app.desk.started
                and len(service.positions) == POSITIONS
                and all(
                    service.stream_state(s) is StreamState.LIVE for s in ("positions", "prices")
                )
            ):
                if time.monotonic() > deadline:
                    raise TimeoutError("idle: the desk did not come up")
                await pilot.pause(0.1)
            await asyncio.sleep(warmup)
            samples = []
            t0 = time.monotonic()
            c0 = time.process_time()
            last_t, last_c = t0, c0
            rss0 = rss_mib()
            if profiler is not None:
                profiler.start()
            while time.monotonic() - t0 < seconds:
                await asyncio.sleep(min(SAMPLE, seconds))
                now, cpu = time.monotonic(), time.process_time()
                samples.append(
                    (round(now - t0, 1), round((cpu - last_c) / (now - last_t) * 100, 3), rss_mib())
                )
                last_t, last_c = now, cpu
            t1, c1 = time.monotonic(), time.process_time()
            if profiler is not None:
                profiler.stop()
            return {
                "seconds": t1 - t0,
                "cpu_percent": (c1 - c0) / (t1 - t0) * 100,
                "rss_start_mib": rss0,
                "rss_end_mib": rss_mib(),
                "rss_max_mib": max(s[2] for s in samples),
                "samples": samples,
            }


def measure(seconds: float, warmup: float = WARMUP) -> dict[str, Any]:
    from .sandbox import SandboxThread, sandbox_config

    with SandboxThread(sandbox_config(push_interval=1.0, tick_interval=1.0)) as sandbox:
        sandbox.add_positions(POSITIONS)
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.idle",
                "--child",
                sandbox.rest_url,
                sandbox.ws_url,
                str(seconds),
                "--warmup",
                str(warmup),
            ],
            cwd=ROOT,
            check=False,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
    if proc.returncode != 0:
        raise RuntimeError(f"bench idle child failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.idle")
    parser.add_argument("--child", nargs=3, metavar=("REST", "WS", "SECONDS"), required=True)
    parser.add_argument("--warmup", type=float, default=WARMUP)
    args = parser.parse_args(argv)
    rest_url, ws_url, seconds = args.child
    result = asyncio.run(child(rest_url, ws_url, float(seconds), warmup=args.warmup))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
