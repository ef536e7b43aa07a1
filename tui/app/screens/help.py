"""The help screen: every action of the registry (tui.app.actions) with its key after the user's
keymap."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape as escape_markup
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q,question_mark", "close", "Close", id="help.close"),
    ]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        """``rows``: (keys as displayed, description, action id), as ``actions.help_rows`` gives."""
        super().__init__(id="help-screen")
        self._rows = rows

    def compose(self) -> ComposeResult:
        keys = {binding_id: escape_markup(shown) for shown, _description, binding_id in self._rows}
        escape = keys.get("desk.escape", "escape")
        palette = keys.get("app.command_palette", "ctrl+p")
        with Vertical(classes="dialog", id="help-dialog") as dialog:
            dialog.border_title = "Keys"
            table: DataTable[str] = DataTable(
                id="help-table", cursor_type="row", zebra_stripes=True
            )
            yield table
            yield Label(
                "Single-letter keys work from every pane except inside a text field; "
                f"{escape} leaves the field. {palette} lists every action.",
                classes="dialog-line",
            )
            yield Label("[b]escape[/b] close", classes="dialog-keys")

    def on_mount(self) -> None:
        table = self.query_one("#help-table", DataTable)
        table.add_column("Key", key="key", width=14)
        table.add_column("Action", key="action", width=52)
        for keys, description, binding_id in self._rows:
            table.add_row(keys, description, key=binding_id)
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
