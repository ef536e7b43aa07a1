"""Drill 11: Money math against a Fraction reference; bad order-form input sends nothing."""

from drill_support import run


async def test_drill_11_money_math() -> None:
    result = await run(11)
    assert result.counters.bad_inputs >= 50
