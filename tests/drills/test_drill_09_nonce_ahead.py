"""Drill 9: server nonce ahead of the clock: nothing with nonceWindow; on the strict path a
bounded recovery, then a clean restart; an exchange clock 30 s off falls back to strict."""

from drill_support import run


async def test_drill_09_nonce_ahead() -> None:
    result = await run(9)
    assert result.counters.faults == 1
