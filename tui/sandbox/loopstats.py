"""Event-loop lag of the sandbox, on the loopback control endpoint ``GET /sandbox/stats``.

A probe task sleeps ``PROBE_INTERVAL`` and records how late each wake-up is (``lag``: wall
time, so it also counts the process being descheduled) and how much CPU the loop's thread used
between two wake-ups (``busy``: the loop was running something else). The worst of each is
what a stall is: no request, WS frame or price tick is served meanwhile. asyncio runs every
ready callback before a due timer, so on a saturated loop the lag is also the length of one
loop iteration (many short callbacks), not only of one long one; ``samples`` falls far below
one a millisecond then.

The probe is armed by the first stats call, so a sandbox nobody measures pays nothing;
``?reset=1`` starts a new measurement window (the answer is the window that ended).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import resource
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web


def freeze_startup_heap() -> None:
    """Move everything alive now (modules, classes, the loaded state) out of the collector's
    sight: a full collection then scans only what was made since, not the whole heap (about
    20 ms a full collection under load, measured, against a 20 ms stall bound). Objects frozen
    here are still freed by reference counting; only a reference cycle among them is never
    collected, which startup leaves almost none of. For a process that is only a sandbox: call
    it once, after the server started (not in a test process running many sandboxes)."""
    gc.collect()
    gc.freeze()


PROBE_INTERVAL = 0.001  # seconds between probe wake-ups
STALL_MS = 20.0  # lags above this are counted as stalls


class LoopStats:
    def __init__(self) -> None:
        self._task: asyncio.Task[None] | None = None
        self._reset()

    def _reset(self) -> None:
        self.since = time.monotonic()
        self.samples = 0
        self.max_lag_ms = 0.0
        self.max_busy_ms = 0.0
        self.stalls = 0  # wake-ups later than STALL_MS

    def arm(self) -> None:
        if self._task is None or self._task.done():
            self._reset()
            self._task = asyncio.get_running_loop().create_task(self._probe())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _probe(self) -> None:
        cpu = time.thread_time()
        while True:
            due = time.monotonic() + PROBE_INTERVAL
            await asyncio.sleep(PROBE_INTERVAL)
            now, now_cpu = time.monotonic(), time.thread_time()
            lag = max(0.0, (now - due) * 1000)
            busy = (now_cpu - cpu) * 1000
            cpu = now_cpu
            self.samples += 1
            self.max_lag_ms = max(self.max_lag_ms, lag)
            self.max_busy_ms = max(self.max_busy_ms, busy)
            if lag > STALL_MS:
                self.stalls += 1

    def snapshot(self, reset: bool = False) -> dict[str, Any]:
        out = {
            "seconds": round(time.monotonic() - self.since, 3),
            "samples": self.samples,
            "max_lag_ms": round(self.max_lag_ms, 3),
            "max_busy_ms": round(self.max_busy_ms, 3),
            "stalls_over_20ms": self.stalls,
            "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        }
        if reset:
            self._reset()
        return out


def install(app: web.Application, guard: Callable[[web.Request], None]) -> LoopStats:
    """Route ``GET /sandbox/stats`` (``guard`` refuses non-loopback callers) on ``app``."""
    stats = LoopStats()

    async def endpoint(request: web.Request) -> web.Response:
        guard(request)
        stats.arm()
        body = stats.snapshot(reset=request.query.get("reset") == "1")
        return web.json_response(body)  # timings are floats (milliseconds, not money)

    async def cleanup(_app: web.Application) -> None:
        await stats.stop()

    app.router.add_get("/sandbox/stats", endpoint)
    app.on_cleanup.append(cleanup)
    return stats
