"""The client's kill-switch calls against the embedded sandbox, over real HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tui.api.errors import ValidationError
from tui.api.rest import WhiteBitRest
from tui.api.signing import Credentials
from tui.domain.models import KillSwitchTimer
from tui.sandbox import DEMO_API_KEY, DEMO_API_SECRET, SandboxConfig, SandboxServer


@pytest.fixture
async def rest() -> AsyncIterator[WhiteBitRest]:
    async with (
        SandboxServer(SandboxConfig(port=0, static_prices=True)) as sb,
        WhiteBitRest(sb.rest_url, Credentials(DEMO_API_KEY, DEMO_API_SECRET), timeout=5.0) as c,
    ):
        yield c


async def test_kill_switch_arm_status_delete(rest: WhiteBitRest) -> None:
    timer = await rest.kill_switch("BTC_PERP", 60, types=["futures"])
    assert isinstance(timer, KillSwitchTimer)
    assert timer.market == "BTC_PERP" and timer.types == ("futures",)
    assert timer.cancellation_time == timer.start_time + 60
    other = await rest.kill_switch("BTC_USDT", 5)
    assert other is not None and other.types is None
    assert await rest.kill_switch_status() == [timer, other]
    assert await rest.kill_switch_status("BTC_USDT") == [other]
    assert await rest.kill_switch("BTC_PERP", None) is None  # delete: the null key is sent
    assert await rest.kill_switch_status() == [other]


async def test_kill_switch_refuses_bad_arguments(rest: WhiteBitRest) -> None:
    with pytest.raises(ValueError):
        await rest.kill_switch("BTC_USDT", 4)
    with pytest.raises(ValueError):
        await rest.kill_switch("BTC_USDT", 60, types=["options"])
    with pytest.raises(ValidationError):
        await rest.kill_switch("NOPE_USDT", 60)  # the exchange's 422
    assert await rest.kill_switch_status() == []
