"""The event log screen (``e``): the session's fills, rejections, margin calls, liquidations
and stream reconnects with their times, newest first. Notifications vanish after a few
seconds; this is where a trader looks back. The log itself is the service-side
:class:`~tui.service.eventlog.EventLog` the app's bridge records into."""

from __future__ import annotations

from datetime import datetime
from functools import partial

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label

from tui.service import eventlog
from tui.service.eventlog import EventLog, LogEntry

from ..actions import bindings
from ..widgets.tables import Cell, Column, KeyedTable

#: How often the open screen looks for new entries (seconds).
POLL_INTERVAL = 0.5

#: Every kind is a word on screen; the tone only adds to it.
KIND_TONES = {
    eventlog.FILL: "text-success",
    eventlog.PLACED: "",
    eventlog.REJECTED: "text-error",
    eventlog.MARGIN_CALL: "error!",
    eventlog.NEAR: "text-warning",
    eventlog.LIQUIDATED: "error!",
    eventlog.STREAM: "text-warning",
    eventlog.ERROR: "text-error",
}


def entry_cells(entry: LogEntry) -> tuple[Cell, ...]:
    return (
        Cell(datetime.fromtimestamp(entry.at).strftime("%H:%M:%S")),
        Cell(entry.kind, KIND_TONES.get(entry.kind, "")),
        Cell(entry.text),
    )


class EventsTable(KeyedTable):
    """The log's entries, newest first, keyed by their number in the session."""

    COLUMNS = (
        Column("time", "Time", 8),
        Column("kind", "Event", 11),
        Column("text", "What", 100),
    )


class EventsScreen(Screen[None]):
    BINDINGS = bindings("events")

    def __init__(self, log: EventLog) -> None:
        super().__init__(id="events-screen")
        self.events = log
        self._shown = -1  # the log's version on screen

    def compose(self) -> ComposeResult:
        with Vertical(id="events-pane", classes="pane") as pane:
            pane.border_title = "Event log (newest first)"
            yield EventsTable(id="events-table")
        yield Label("", id="events-status")
        yield Footer()

    @property
    def table(self) -> EventsTable:
        return self.query_one("#events-table", EventsTable)

    def on_mount(self) -> None:
        self.show_log()
        self.set_interval(POLL_INTERVAL, self.show_log, name="events-poll")
        self.table.focus()

    def show_log(self) -> None:
        log = self.events
        if log.version == self._shown:
            return
        self._shown = log.version
        entries = log.newest_first()
        # entry i (newest first) is the (version - i)th of the session: a stable row key
        self.table.sync(
            {str(log.version - i): partial(entry_cells, e) for i, e in enumerate(entries)}
        )
        self.query_one("#events-status", Label).update(
            f"{len(entries)} events this session (the last {log.limit} are kept)"
            if entries
            else "Nothing yet: fills, rejections, margin calls, liquidations and "
            "reconnects are listed here."
        )

    def action_close(self) -> None:
        self.dismiss(None)
