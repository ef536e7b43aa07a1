"""The help screen: every action of the registry (tui.app.actions) with its key after the user's
keymap; what runs from the desk first, then, under a heading, the keys of the dialogs, the other
screens and the widgets. One table: it scrolls within the dialog on a small terminal."""

from __future__ import annotations

from typing import ClassVar

from rich.markup import escape as escape_markup
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Label

from ..actions import BY_ID, DESK_SCOPES, bindings, key_hint

#: The row key of the heading above the keys of the dialogs, other screens and widgets.
OTHER_KEYS_HEADING = "help.other_keys"


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = bindings("help")

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
            table: DataTable[str | Text] = DataTable(
                id="help-table", cursor_type="row", zebra_stripes=True
            )
            yield table
            yield Label(
                "Single-letter keys work from every pane except inside a text field; "
                f"{escape} leaves the field. {palette} lists every action.",
                classes="dialog-line",
            )
            yield Label(
                f"{key_hint(self.app, 'help.close', first_only=True)} close", classes="dialog-keys"
            )

    def on_mount(self) -> None:
        table = self.query_one("#help-table", DataTable)
        table.add_column("Key", key="key", width=14)
        table.add_column("Action", key="action", width=52)
        heading = False
        for keys, description, binding_id in self._rows:
            if not heading and BY_ID[binding_id].scope not in DESK_SCOPES:
                heading = True
                table.add_row(
                    "",
                    Text("In dialogs, other screens and widgets", style="bold"),
                    key=OTHER_KEYS_HEADING,
                )
            table.add_row(keys, description, key=binding_id)
        table.focus()

    def action_close(self) -> None:
        self.dismiss(None)
