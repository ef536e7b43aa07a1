"""Every binding of the desk in one list, with the user's keymap applied (help and palette)."""

from __future__ import annotations

from textual.app import App
from textual.binding import Binding

APP_BINDINGS: list[Binding] = [
    Binding("q", "app.quit", "Quit", id="app.quit"),
]


#: Longer descriptions for the help screen and the palette (the footer keeps the short ones).
HELP_TEXT: dict[str, str] = {
    "desk.next_pane": "Next pane (positions, order entry, open orders)",
    "desk.prev_pane": "Previous pane",
    "desk.positions": "Focus the positions table",
    "desk.order_entry": "Focus the order entry form",
    "desk.orders": "Focus the open orders table",
    "desk.margin": "Order form: Margin tab",
    "desk.futures": "Order form: Futures tab",
    "desk.close": "Close the selected position (25/50/100 %)",
    "desk.close_all": "Close ALL positions (type CLOSE to confirm)",
    "desk.cancel_order": "Cancel the selected open order",
    "desk.leverage": "Set the account leverage",
    "desk.hedge": "Toggle hedge mode",
    "desk.history": "Positions and funding history",
    "desk.help": "This help",
    "desk.escape": "Leave a text field / back to positions",
    "app.quit": "Quit",
}


def _display(app: App[object], binding: Binding, keymap: dict[str, str]) -> str:
    keys = keymap.get(binding.id or "", binding.key)
    shown = []
    for key in keys.split(","):
        key = key.strip()
        shown.append(app.get_key_display(Binding(key, binding.action)))
    return " / ".join(shown)


def help_rows(app: App[object], *, with_actions: bool = False) -> list:  # type: ignore[type-arg]
    """(keys, description, id[, action]) for every desk and app binding, plus the palette."""
    from .screens.desk import DESK_BINDINGS

    keymap: dict[str, str] = getattr(app, "_keymap", {}) or {}
    rows: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for binding in [*DESK_BINDINGS, *APP_BINDINGS]:
        if binding.id in seen:
            continue
        seen.add(binding.id or binding.action)
        description = HELP_TEXT.get(binding.id or "", binding.description)
        row: tuple[str, ...] = (
            _display(app, binding, keymap),
            description,
            binding.id or binding.action,
        )
        if with_actions:
            row = (*row, binding.action)
        rows.append(row)
    palette = (
        app.get_key_display(Binding(app.COMMAND_PALETTE_BINDING, "command_palette")),
        "Command palette",
        "app.command_palette",
    )
    rows.append((*palette, "app.command_palette") if with_actions else palette)
    return rows
