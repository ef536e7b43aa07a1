"""Drill 12: No key, secret, signature or token in DEBUG logs, errors or the crash report; 0644 refused."""

from drill_support import run


async def test_drill_12_secrets() -> None:
    result = await run(12)
    assert result.ok
