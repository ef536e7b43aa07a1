"""Drill 7: 429 rate limit vs 429 nonce: bounded jittered read retries, orders not retried, new nonce."""

from drill_support import run


async def test_drill_07_rate_limit_vs_nonce() -> None:
    result = await run(7)
    assert result.counters.faults >= 8
