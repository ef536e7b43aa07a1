"""The status line updates only what changed, and without a layout pass when the width is the
same (a layout pass reflows the whole desk; the clock ticks every second)."""

from __future__ import annotations

from typing import Any

from textual.app import App, ComposeResult
from textual.widgets import Label

from tui.app.widgets.status import StatusBar, StreamView, stream_text
from tui.domain.models import StreamState


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield StatusBar()


def show(bar: StatusBar, *, clock: str, venue: str = "sandbox") -> None:
    bar.show(
        venue=venue,
        sandbox=True,
        streams=[StreamView("positions", StreamState.LIVE, None)],
        leverage=5,
        hedge_mode=False,
        clock=clock,
        show_ages=False,
    )


async def test_clock_tick_repaints_without_layout() -> None:
    app = Host()
    async with app.run_test() as pilot:
        bar = app.query_one(StatusBar)
        show(bar, clock="12:00:00")
        await pilot.pause()
        layouts: list[tuple[str, bool]] = []
        for label in bar.query(Label):
            original = label.refresh

            def spy(*args: Any, _original: Any = original, _id: Any = label.id, **kw: Any) -> Any:
                layouts.append((_id, bool(kw.get("layout"))))
                return _original(*args, **kw)

            label.refresh = spy  # type: ignore[method-assign]
        show(bar, clock="12:00:01")
        await pilot.pause()
        assert str(bar.query_one("#status-clock", Label).content) == "12:00:01"
        assert layouts == [("status-clock", False)]  # nothing else touched, no layout
        layouts.clear()
        show(bar, clock="12:00:01", venue="a longer venue name")
        assert ("status-venue", True) in layouts  # a new width needs a layout pass


def test_a_live_but_quiet_stream_is_judged_by_its_own_threshold() -> None:
    """Each stream has its own STALE threshold (the service's): the indicator warns past it."""

    def view(name: str, age: float, limit: float | None) -> StreamView:
        return StreamView(name, StreamState.LIVE, age, limit)

    text, css = stream_text(view("positions", 2.7, 2.5), show_age=True)
    assert text.startswith("positions stale") and css == "-warn"
    assert stream_text(view("prices", 2.7, 3.0), show_age=True) == ("prices live", "-ok")
    assert stream_text(view("prices", 2.7, None), show_age=True) == ("prices live", "-ok")
    assert stream_text(view("positions", 2.7, 2.5), show_age=False) == ("positions live", "-ok")
