"""Every action a key can fire on the desk, in one registry.

Each :class:`Action` is one binding id with its default key(s), the Textual action it runs, the
short description the footer shows and the long one the help screen and the command palette
show. ``BINDINGS`` of the app and of the desk screen are built from it (:func:`bindings`), so the
footer (which shows the screen's active bindings) follows it too; the help screen and the palette
list it with the keys after the user's keymap (:func:`listing`).

The keymap (``[keymap]`` in config.toml) maps an action id to a key, or to comma-separated keys
as Textual takes them (``"k"``, ``"k,ctrl+k"``). :func:`validate_keymap` refuses an id that is
not in the registry (it would otherwise be silently ignored) and a key that two actions would
share (Textual would silently drop one of them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from textual.binding import Binding

Scope = Literal["app", "desk"]


class KeymapError(ValueError):
    """The user's keymap names an unknown action or gives two actions the same key."""


@dataclass(frozen=True)
class Action:
    id: str
    key: str
    #: The Textual action, in the namespace of its scope (the app or the desk screen).
    action: str
    short: str
    long: str
    scope: Scope
    #: Shown in the footer.
    show: bool = True
    priority: bool = False

    def binding(self) -> Binding:
        return Binding(
            self.key,
            self.action,
            self.short,
            show=self.show,
            priority=self.priority,
            id=self.id,
        )


ACTIONS: tuple[Action, ...] = (
    Action(
        "desk.next_pane", "tab", "cycle_pane(1)", "Next pane",
        "Next pane (positions, order entry, open orders)", "desk", show=False,
    ),
    Action(
        "desk.prev_pane", "shift+tab", "cycle_pane(-1)", "Previous pane",
        "Previous pane", "desk", show=False,
    ),
    Action(
        "desk.positions", "p", "focus_pane('positions')", "Positions",
        "Focus the positions table", "desk", show=False,
    ),
    Action(
        "desk.order_entry", "o", "focus_pane('entry')", "Order",
        "Focus the order entry form", "desk",
    ),
    Action(
        "desk.orders", "r", "focus_pane('orders')", "Orders",
        "Focus the open orders table", "desk", show=False,
    ),
    Action(
        "desk.margin", "m", "show_product('margin')", "Margin form",
        "Order form: Margin tab", "desk", show=False,
    ),
    Action(
        "desk.futures", "f", "show_product('futures')", "Futures form",
        "Order form: Futures tab", "desk", show=False,
    ),
    Action(
        "desk.close", "c", "close_position", "Close",
        "Close the selected position (25/50/100 %)", "desk",
    ),
    Action(
        "desk.close_all", "C", "close_all", "Close all",
        "Close ALL positions (type CLOSE to confirm)", "desk",
    ),
    Action(
        "desk.cancel_order", "x", "cancel_order", "Cancel order",
        "Cancel the selected open order", "desk",
    ),
    Action("desk.leverage", "l", "leverage", "Leverage", "Set the account leverage", "desk"),
    Action("desk.hedge", "h", "toggle_hedge", "Hedge", "Toggle hedge mode", "desk"),
    Action("desk.history", "H", "history", "History", "Positions and funding history", "desk"),
    Action("desk.help", "question_mark", "help", "Help", "This help", "desk"),
    Action(
        "desk.escape", "escape", "focus_pane('positions')", "Back to positions",
        "Leave a text field / back to positions", "desk", show=False,
    ),
    Action("app.quit", "q", "quit", "Quit", "Quit", "app"),
    # Textual adds its own palette binding unless the app has one: this one can be remapped.
    # Not in the footer's keys: the footer shows the palette key on its own, on the right.
    Action(
        "app.command_palette", "ctrl+p", "command_palette", "palette",
        "Command palette: every action by name", "app", show=False, priority=True,
    ),
)  # fmt: skip

BY_ID: dict[str, Action] = {action.id: action for action in ACTIONS}


def bindings(scope: Scope) -> list[Binding]:
    """``BINDINGS`` for the app (``"app"``) or the desk screen (``"desk"``)."""
    return [action.binding() for action in ACTIONS if action.scope == scope]


def split_keys(keys: str) -> list[str]:
    return [key.strip() for key in keys.split(",")]


def keys_of(action: Action, keymap: Mapping[str, str]) -> list[str]:
    """The keys ``action`` is on once ``keymap`` is applied."""
    return split_keys(keymap.get(action.id, action.key))


def validate_keymap(keymap: Mapping[str, str]) -> None:
    """Raise :class:`KeymapError` naming every unknown id, empty key and shared key."""
    problems: list[str] = []
    unknown = [binding_id for binding_id in keymap if binding_id not in BY_ID]
    if unknown:
        problems.append(
            "unknown action id(s) "
            + ", ".join(repr(binding_id) for binding_id in unknown)
            + "; valid ids: "
            + ", ".join(BY_ID)
        )
    for binding_id, keys in keymap.items():
        if not isinstance(keys, str) or not all(split_keys(keys)):
            problems.append(f"{binding_id!r}: {keys!r} is not a key or comma-separated keys")
    if not problems:
        # All of the registry is active on the desk at once (app and desk bindings): a key
        # written the same way for two actions would leave one of them without it.
        owners: dict[str, list[str]] = {}
        for action in ACTIONS:
            for key in keys_of(action, keymap):
                owners.setdefault(key, []).append(action.id)
        for key, ids in owners.items():
            if len(ids) > 1:
                problems.append(f"{' and '.join(ids)} would share the key {key!r}")
    if problems:
        raise KeymapError("keymap: " + "; ".join(problems))


def listing(
    keymap: Mapping[str, str], key_display: Callable[[Binding], str]
) -> list[tuple[Action, str]]:
    """Every action with its keys as displayed (``key_display``: ``App.get_key_display``)."""
    return [
        (
            action,
            " / ".join(key_display(Binding(key, action.action)) for key in keys_of(action, keymap)),
        )
        for action in ACTIONS
    ]


def help_rows(
    keymap: Mapping[str, str], key_display: Callable[[Binding], str]
) -> list[tuple[str, str, str]]:
    """(keys as displayed, long description, action id) for the help screen."""
    return [(keys, action.long, action.id) for action, keys in listing(keymap, key_display)]
