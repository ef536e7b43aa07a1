"""The status line shows ``dead-man 60s`` while a kill-switch timer is armed, nothing otherwise."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Label

from tui.app.widgets.status import StatusBar, StreamView
from tui.domain.models import StreamState


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
