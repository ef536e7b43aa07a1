"""Drill 4: Order committed, response lost: no blind resend, reconciled, exactly one order."""

from drill_support import run


async def test_drill_04_response_lost() -> None:
    result = await run(4)
    assert result.counters.faults == 2
