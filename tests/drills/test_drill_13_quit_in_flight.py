"""Drill 13: Quit with an order in flight: persisted, reconciled at the next start."""

from drill_support import run


async def test_drill_13_quit_in_flight() -> None:
    result = await run(13)
    assert result.ok
