"""Drill 14: Safe defaults: loopback only without config; no trading on LIVE without --live."""

from drill_support import run


async def test_drill_14_safe_defaults() -> None:
    result = await run(14)
    assert result.ok
