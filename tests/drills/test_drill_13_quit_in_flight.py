"""Drill 13: a desk process SIGKILLed with an order in flight: reconciled from the journal at
the next start (found -> accepted, never placed -> reported), nothing sent twice."""

from drill_support import run


async def test_drill_13_quit_in_flight() -> None:
    result = await run(13)
    assert result.counters.faults == 3  # two lost requests, one held answer
