"""Drill 3: Server idle timeout on a 100x clock: JSON pings keep the connection for 5 simulated minutes."""

from drill_support import run


async def test_drill_03_idle_timeout() -> None:
    result = await run(3)
    assert result.ok
