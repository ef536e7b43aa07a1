"""Drill 8: 50 concurrent signed calls overlap on the wire, each with ``nonceWindow: true``;
50 distinct nonces accepted, no rejection. Fails while the REST client holds its lock across
the HTTP exchange (or sends without nonceWindow)."""

from drill_support import run


async def test_drill_08_concurrent_nonces() -> None:
    result = await run(8)
    assert result.counters.faults == 50  # every answer held: the calls must overlap
