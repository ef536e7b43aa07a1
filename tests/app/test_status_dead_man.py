"""The status line shows ``dead-man 60s`` while a kill-switch timer is armed, nothing otherwise."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Label

from tui.app.widgets.status import StatusBar, StreamView
from tui.domain.models import Side, StreamState

from .conftest import make_app, make_service, place_limit, ready, wait_for


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusBar()


def show(bar: StatusBar, dead_man: int | None) -> None:
    bar.show(
        venue="sandbox",
        sandbox=True,
        streams=[StreamView("positions", StreamState.LIVE, None)],
        leverage=5,
        hedge_mode=False,
        clock="12:00:00",
        show_ages=False,
        dead_man=dead_man,
    )


async def test_dead_man_indicator() -> None:
    app = Host()
    async with app.run_test() as pilot:
        bar = app.query_one(StatusBar)
        label = bar.query_one("#status-dead-man", Label)
        show(bar, None)
        await pilot.pause()
        assert not label.display
        show(bar, 60)
        await pilot.pause()
        assert label.display and str(label.content) == "dead-man 60s"
        show(bar, None)
        await pilot.pause()
        assert not label.display and str(label.content) == ""


async def test_desk_shows_the_armed_switch(sandbox, tmp_path) -> None:
    service = make_service(
        sandbox.rest_url, sandbox.ws_url, sandbox.config, tmp_path, dead_man_seconds=60
    )
    app = make_app(service)
    async with app.run_test(size=(160, 50)) as pilot:
        screen = await ready(pilot)
        label = screen.query_one("#status-dead-man", Label)
        assert not label.display  # no orders: nothing armed
        await place_limit(app, "BTC_USDT", Side.BUY, "0.001", "30000")
        await wait_for(pilot, lambda: str(label.content) == "dead-man 60s", "dead-man shown")
        assert label.display
