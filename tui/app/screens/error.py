"""Shown when the service cannot start (unreachable endpoint, bad keys, ...)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Footer, Label, Static

from ..actions import bindings, key_hint


class StartErrorScreen(Screen[bool]):
    """Returns True to retry, False to quit."""

    BINDINGS = bindings("error")

    def __init__(self, message: str) -> None:
        super().__init__(id="start-error")
        self.message = message

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog -danger", id="start-error-dialog") as dialog:
            dialog.border_title = "Cannot connect"
            yield Static(self.message, id="start-error-message", markup=False)
            yield Label(
                f"{key_hint(self.app, 'error.retry', first_only=True)} retry   "
                f"{key_hint(self.app, 'error.quit', first_only=True)} quit",
                classes="dialog-keys",
            )
        yield Footer()

    def action_retry(self) -> None:
        self.dismiss(True)

    def action_quit_app(self) -> None:
        self.dismiss(False)
