"""Drill 1: WS dropped without a close frame: jittered reconnect, fresh token, one authorize and
one subscribe each, STALE then LIVE after the first new snapshot, tokens within 10/min."""

from drill_support import run


async def test_drill_01_ws_drop() -> None:
    result = await run(1)
    assert result.counters.faults >= 15
