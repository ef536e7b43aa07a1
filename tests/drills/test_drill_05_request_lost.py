"""Drill 5: Request never reached the server: one resend with the same clientOrderId, one order."""

from drill_support import run


async def test_drill_05_request_lost() -> None:
    result = await run(5)
    assert result.counters.faults == 3
