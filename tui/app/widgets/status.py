"""The header/status line: venue, SANDBOX/LIVE, stream states, leverage, hedge mode, the dead-man
switch (``dead-man 60s`` while a kill-switch timer is armed), clock."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label

from tui.domain.models import StreamState

from ..formatting import age


@dataclass(frozen=True, slots=True)
class StreamView:
    name: str
    state: StreamState
    age: float | None  # seconds since the last update, None = never / hidden
    #: the service's STALE threshold for this stream (None: not known yet); the streams have
    #: their own (service.stale_after), and the indicator follows the same one
    stale_after: float | None = None


def stream_text(view: StreamView, *, show_age: bool) -> tuple[str, str]:
    """(text, css class) for one stream's indicator."""
    label = view.name
    state = view.state
    quiet = view.age is not None and view.stale_after is not None and view.age > view.stale_after
    if state is StreamState.LIVE and (not quiet or not show_age):
        return f"{label} live", "-ok"
    if state is StreamState.LIVE:
        # live but silent for a while: the service has not flagged it yet, the trader should see it
        return f"{label} stale {age(view.age)}", "-warn"
    suffix = f" {age(view.age)}" if show_age and view.age is not None else ""
    if state is StreamState.RECONNECTING:
        return f"{label} reconnecting{suffix}", "-bad"
    if state is StreamState.STALE:
        return f"{label} stale{suffix}", "-bad"
    if state is StreamState.CONNECTING:
        return f"{label} connecting", "-warn"
    return f"{label} closed", "-bad"


class StatusBar(Horizontal):
    """One line at the top of the desk. Set its parts with :meth:`show`."""

    def compose(self) -> ComposeResult:
        yield Label("", id="status-venue")
        yield Label("", id="status-mode")
        yield Label("", id="status-stream-positions", classes="status-stream")
        yield Label("", id="status-stream-prices", classes="status-stream")
        yield Label("", id="status-account")
        yield Label("", id="status-dead-man")  # shown while a kill-switch timer is armed
        yield Label("", id="status-clock")

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._last: tuple[object, ...] | None = None
        self._texts: dict[str, str] = {}  # what each label shows

    def show(
        self,
        *,
        venue: str,
        sandbox: bool | None,
        streams: list[StreamView],
        leverage: int | None,
        hedge_mode: bool | None,
        clock: str,
        show_ages: bool,
        dead_man: int | None = None,
    ) -> None:
        """``dead_man``: the kill-switch timeout while a timer is armed, None otherwise."""
        key = (venue, sandbox, tuple(streams), leverage, hedge_mode, clock, show_ages, dead_man)
        if key == self._last:
            return
        self._last = key
        self._set("#status-venue", venue)
        mode = self.query_one("#status-mode", Label)
        self._set("#status-mode", "" if sandbox is None else (" SANDBOX " if sandbox else " LIVE "))
        mode.set_class(sandbox is True, "-sandbox")
        mode.set_class(sandbox is False, "-live")
        for view in streams:
            text, cls = stream_text(view, show_age=show_ages)
            selector = f"#status-stream-{view.name}"
            self._set(selector, text)
            label = self.query_one(selector, Label)
            for c in ("-ok", "-warn", "-bad"):
                label.set_class(c == cls, c)
        lev = f"{leverage}x" if leverage is not None else "-"
        hedge = "-" if hedge_mode is None else ("on" if hedge_mode else "off")
        self._set("#status-account", f"lev {lev}  hedge {hedge}")
        self._set("#status-dead-man", f"dead-man {dead_man}s" if dead_man is not None else "")
        self.query_one("#status-dead-man", Label).display = dead_man is not None
        self._set("#status-clock", clock)

    def _set(self, selector: str, text: str) -> None:
        """Update a label only if its text changed, and without a layout pass when the width
        is the same (the clock ticks every second, and a layout pass reflows the whole screen:
        the desk's idle CPU)."""
        before = self._texts.get(selector)
        if before == text:
            return
        self._texts[selector] = text
        same_width = before is not None and cell_len(before) == cell_len(text)
        self.query_one(selector, Label).update(text, layout=not same_width)
