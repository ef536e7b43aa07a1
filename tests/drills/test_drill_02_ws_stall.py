"""Drill 2: the stream stalls silently: STALE on the desk within 3 s, the stalled connection
dropped within 10 s, each measured from the stall."""

from drill_support import run


async def test_drill_02_ws_stall() -> None:
    result = await run(2)
    assert result.counters.faults == 1
