"""Drill 15: hostile input against the sandbox's REST and WebSocket (fails on a sandbox that
answers any of it with a 5xx, a non-JSON or off-shape body, a dropped connection or a freeze)."""

from drill_support import run


async def test_drill_15_fuzz() -> None:
    result = await run(15)
    assert result.counters.bad_inputs >= 500  # counted in the summary's "bad inputs tried"
