"""Drill 6: A filled market order whose answer is lost four ways: never a second fill."""

from drill_support import run


async def test_drill_06_no_second_fill() -> None:
    result = await run(6)
    assert result.counters.faults == 4
