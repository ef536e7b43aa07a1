"""Drill 9: Server nonce ahead of the clock: bounded recovery, then a clean restart."""

from drill_support import run


async def test_drill_09_nonce_ahead() -> None:
    result = await run(9)
    assert result.counters.faults == 1
