"""Drill 8: 50 concurrent signed calls: strictly increasing nonces, no rejection."""

from drill_support import run


async def test_drill_08_concurrent_nonces() -> None:
    result = await run(8)
    assert result.ok
