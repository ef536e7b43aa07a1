"""``GET /sandbox/stats``: the sandbox's event-loop lag, measured inside its own loop."""

from __future__ import annotations

import asyncio
import time

from tui.sandbox import SandboxServer

from .conftest import Client


async def test_stats_report_a_blocked_loop(sandbox: SandboxServer, client: Client) -> None:
    first = await client.get("/sandbox/stats?reset=1")  # arms the probe
    assert first.status == 200
    await asyncio.sleep(0.05)  # the probe runs a few times: no stall yet
    quiet = (await client.get("/sandbox/stats")).json
    assert quiet["samples"] > 0

    time.sleep(0.2)  # noqa: ASYNC251 - the point: block the loop the sandbox runs on
    await asyncio.sleep(0.01)
    got = await client.get("/sandbox/stats?reset=1")
    assert got.status == 200
    stats = got.json
    assert set(stats) == {
        "seconds",
        "samples",
        "max_lag_ms",
        "max_busy_ms",
        "stalls_over_20ms",
        "maxrss_kib",
    }
    assert stats["max_lag_ms"] >= 190  # the 200 ms block, whatever the machine's load
    assert stats["stalls_over_20ms"] >= 1
    assert stats["maxrss_kib"] > 0
    # reset: a new window without that stall
    await asyncio.sleep(0.02)
    after = (await client.get("/sandbox/stats")).json
    assert after["max_lag_ms"] < stats["max_lag_ms"]
