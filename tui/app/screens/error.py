"""Shown when the service cannot start (unreachable endpoint, bad keys, ...)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Static


class StartErrorScreen(Screen[bool]):
    """Returns True to retry, False to quit."""

    BINDINGS = [
        Binding("r", "retry", "Retry", id="error.retry"),
        Binding("q,escape", "quit_app", "Quit", id="error.quit"),
    ]

    def __init__(self, message: str) -> None:
        super().__init__(id="start-error")
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -danger", id="start-error-dialog") as dialog:
            dialog.border_title = "Cannot connect"
            yield Static(self.message, id="start-error-message", markup=False)
            yield Label("[b]r[/b] retry   [b]q[/b] quit", classes="dialog-keys")
        yield Footer()

    def action_retry(self) -> None:
        self.dismiss(True)

    def action_quit_app(self) -> None:
        self.dismiss(False)
