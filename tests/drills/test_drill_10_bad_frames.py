"""Drill 10: Bad frames: no crash, error shown, the stream carries on or reconnects."""

from drill_support import run


async def test_drill_10_bad_frames() -> None:
    result = await run(10)
    assert result.counters.faults == 3
