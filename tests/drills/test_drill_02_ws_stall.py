"""Drill 2: The stream stalls silently: STALE within 3 s, forced reconnect within 10 s."""

from drill_support import run


async def test_drill_02_ws_stall() -> None:
    result = await run(2)
    assert result.counters.faults == 1
