"""Every key binding of the app, in one registry.

Each :class:`Action` is one binding id with its default key(s), the Textual action it runs, the
short description the footer shows, the long one the help screen and the command palette show,
and its scope: the app, the desk screen, a dialog, another screen or a widget. Every ``BINDINGS``
in ``tui.app`` is built from it (:func:`bindings`), so the footer (which shows the screen's active
bindings) follows it too; the help screen and the palette list it with the keys after the user's
keymap (:func:`listing`; the palette only what runs from the desk).

The keymap (``[keymap]`` in config.toml) maps an action id to a key, or to comma-separated keys
as Textual takes them (``"k"``, ``"k,ctrl+k"``). :func:`validate_keymap` refuses an id that is
not in the registry (it would otherwise be silently ignored) and a key that two actions active
at the same time would share (Textual would silently drop one of them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from rich.markup import escape as escape_markup
from textual.binding import Binding

if TYPE_CHECKING:
    from textual.app import App

#: Where a binding lives: the app, the desk screen, a dialog or another screen, or a widget.
Scope = Literal[
    "app", "desk", "modal", "order", "order_risk", "quit", "close", "close_all", "leverage",
    "history", "help", "error", "table", "entry", "events",
]  # fmt: skip

#: The scopes the command palette and the first part of the help screen list: what can run
#: from the desk.
DESK_SCOPES: tuple[Scope, ...] = ("app", "desk")

#: The scopes whose single-letter keys also answer as ``alt+`` the letter: many terminals send
#: escape followed quickly by a letter as one alt+letter key, so "escape, then a letter" works
#: on the desk only if the alt form is bound too. Added to the registry's keys and to the
#: user's keymap alike (:func:`keys_of`); help lists the keys without them.
ALT_SCOPES: tuple[Scope, ...] = ("app", "desk")

#: The bindings active together, apart from the app's: the desk (with its tables focused), and
#: each dialog, screen or widget that takes the keys while it is up or focused.
CONTEXTS: dict[str, tuple[Scope, ...]] = {
    "desk": ("desk", "table"),
    "confirm dialog": ("modal",),
    "order dialog": ("order",),
    "order risk dialog": ("order_risk",),
    "quit dialog": ("quit",),
    "close dialog": ("modal", "close"),
    "close-all dialog": ("close_all",),
    "leverage dialog": ("leverage",),
    "history": ("history",),
    "event log": ("events", "table"),
    "help": ("help",),
    "start error": ("error",),
    "order form": ("entry",),
}


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
        keys = split_keys(self.key)
        bound = with_alt(self, keys)
        return Binding(
            ",".join(bound),
            self.action,
            self.short,
            show=self.show,
            priority=self.priority,
            id=self.id,
            # The footer shows one key per action, and may pick the alt form: name the plain
            # key (alt forms are added only for single letters, shown as themselves).
            key_display=keys[0] if bound != keys else None,
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
    Action(
        "desk.events", "e", "events", "Events",
        "Event log: fills, rejections, margin calls, liquidations, reconnects", "desk",
    ),
    Action("desk.help", "question_mark", "help", "Help", "This help", "desk"),
    Action(
        "desk.escape", "escape", "focus_pane('positions')", "Back to positions",
        "Leave a text field / back to positions", "desk", show=False,
    ),
    Action(
        "app.quit", "q", "quit", "Quit",
        "Quit (asks first while positions or orders are open)", "app",
    ),
    # Textual adds its own palette binding unless the app has one: this one can be remapped.
    # Not in the footer's keys: the footer shows the palette key on its own, on the right.
    Action(
        "app.command_palette", "ctrl+p", "command_palette", "palette",
        "Command palette: every action by name", "app", show=False, priority=True,
    ),
    # Dialogs and other screens: their keys are active only while they are up.
    Action("modal.confirm", "y,enter", "confirm", "Confirm", "Dialogs: confirm", "modal"),
    Action("modal.cancel", "n,escape", "cancel", "Cancel", "Dialogs: cancel", "modal"),
    # The order confirmation; the second one, for an order whose liquidation would be near the
    # mark, takes y alone: a repeated enter must not send it.
    Action("order.confirm", "y,enter", "confirm", "Send", "Order dialog: send the order", "order"),
    Action("order.cancel", "n,escape", "cancel", "Cancel", "Order dialog: do not send", "order"),
    Action(
        "order_risk.confirm", "y", "confirm", "Place anyway",
        "Liquidation-near-the-mark dialog: place anyway", "order_risk",
    ),
    Action(
        "order_risk.cancel", "n,escape", "cancel", "Cancel",
        "Liquidation-near-the-mark dialog: do not send", "order_risk",
    ),
    # Any other key answers "stay" (the dialog's own key handler).
    Action("quit.confirm", "y", "confirm", "Quit", "Quit dialog: quit", "quit"),
    Action("close.25", "1", "choose(0)", "25%", "Close dialog: 25 %", "close"),
    Action("close.50", "2", "choose(1)", "50%", "Close dialog: 50 %", "close"),
    Action("close.100", "3,0", "choose(2)", "100%", "Close dialog: 100 %", "close"),
    Action(
        "close.less", "left,h", "step(-1)", "Less", "Close dialog: less", "close", show=False,
    ),
    Action(
        "close.more", "right,l", "step(1)", "More", "Close dialog: more", "close", show=False,
    ),
    Action(
        "close_all.cancel", "escape", "cancel", "Cancel", "Close-all dialog: cancel",
        "close_all",
    ),
    # enter picks the highlighted leverage through the option list itself.
    Action("leverage.confirm", "y", "confirm", "Confirm", "Leverage dialog: set", "leverage"),
    Action(
        "leverage.cancel", "n,escape", "cancel", "Cancel", "Leverage dialog: cancel",
        "leverage",
    ),
    Action("history.close", "escape,q", "close", "Back", "History: back to the desk", "history"),
    Action("history.reload", "r", "reload", "Reload", "History: reload", "history"),
    Action("help.close", "escape,q,question_mark", "close", "Close", "Help: close", "help"),
    Action("events.close", "escape,q,e", "close", "Back", "Event log: back to the desk", "events"),
    Action("error.retry", "r", "retry", "Retry", "Start error: retry", "error"),
    # Not in the footer: the app's own "q Quit" is (the screen's binding answers first).
    Action("error.quit", "q,escape", "quit_app", "Quit", "Start error: quit", "error", show=False),
    # Widgets: their keys come first while they have the focus.
    Action("table.up", "up", "move_cursor(-1)", "Up", "Tables: row up", "table", show=False),
    Action(
        "table.down", "down", "move_cursor(1)", "Down", "Tables: row down", "table", show=False,
    ),
    Action(
        "table.page_up", "pageup", "move_page(-1)", "Page up", "Tables: page up", "table",
        show=False,
    ),
    Action(
        "table.page_down", "pagedown", "move_page(1)", "Page down", "Tables: page down",
        "table", show=False,
    ),
    Action(
        "table.first", "home", "cursor_to_row(0)", "First row", "Tables: first row", "table",
        show=False,
    ),
    Action(
        "table.last", "end", "cursor_to_row(-1)", "Last row", "Tables: last row", "table",
        show=False,
    ),
    Action(
        "table.select", "enter", "select_row", "Select", "Tables: select the row", "table",
        show=False,
    ),
    # Priority: checked as the key arrives, before the keys behind it are routed to the focused
    # field, so fast typing after a tab goes to the next field; it wins over desk.next_pane.
    Action(
        "entry.next_field", "tab", "move(1)", "Next field", "Order form: next field", "entry",
        show=False, priority=True,
    ),
    Action(
        "entry.prev_field", "shift+tab", "move(-1)", "Previous field",
        "Order form: previous field", "entry", show=False, priority=True,
    ),
)  # fmt: skip

BY_ID: dict[str, Action] = {action.id: action for action in ACTIONS}


def bindings(*scopes: Scope) -> list[Binding]:
    """``BINDINGS`` of the app (``"app"``), the desk screen (``"desk"``), a dialog, ..."""
    return [action.binding() for action in ACTIONS if action.scope in scopes]


def split_keys(keys: str) -> list[str]:
    return [key.strip() for key in keys.split(",")]


def alt_form(key: str) -> str | None:
    """The key a terminal sends for escape then ``key`` when ``key`` is a letter (Textual's
    names: ``alt+c``, and ``alt+shift+c`` for ``C``), else None."""
    if len(key) != 1 or not key.isalpha():
        return None
    return f"alt+shift+{key.lower()}" if key.isupper() else f"alt+{key}"


def with_alt(action: Action, keys: list[str]) -> list[str]:
    """``keys`` and, for an action of :data:`ALT_SCOPES`, the alt form of each letter key."""
    if action.scope not in ALT_SCOPES:
        return keys
    extra = [alt for key in keys if (alt := alt_form(key)) is not None and alt not in keys]
    return keys + extra


def keys_of(action: Action, keymap: Mapping[str, str], *, alt: bool = True) -> list[str]:
    """The keys ``action`` is on once ``keymap`` is applied (with their alt forms, see
    :data:`ALT_SCOPES`, unless ``alt`` is False)."""
    keys = split_keys(keymap.get(action.id, action.key))
    return with_alt(action, keys) if alt else keys


def textual_keymap(keymap: Mapping[str, str]) -> dict[str, str]:
    """``keymap`` as ``App.set_keymap`` takes it: a remapped letter key keeps its alt form."""
    return {
        binding_id: ",".join(keys_of(BY_ID[binding_id], keymap)) if binding_id in BY_ID else keys
        for binding_id, keys in keymap.items()
    }


def _shared_keys(actions: list[Action], keymap: Mapping[str, str]) -> dict[str, list[str]]:
    """Key -> the ids of two or more of ``actions`` on it."""
    owners: dict[str, list[str]] = {}
    for action in actions:
        for key in keys_of(action, keymap):
            owners.setdefault(key, []).append(action.id)
    return {key: ids for key, ids in owners.items() if len(ids) > 1}


def validate_keymap(keymap: Mapping[str, str]) -> None:
    """Raise :class:`KeymapError` naming every unknown id, empty key and shared key.

    A key is shared when two actions active at the same time are on it (Textual would run one
    and silently drop the other). On the desk that is any two of the app's, the desk's and its
    tables' actions: every one of them must be reachable there. A dialog, another screen or a
    focused widget takes the keys first while it is up, so there its own keys must differ from
    each other and from the app's priority keys (the palette's, which would win), but may take
    over another app key (``q`` closes the history instead of quitting). Bindings never active
    together (a dialog's ``y`` and a desk key) may share a key.
    """
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
        shared: dict[tuple[str, ...], str] = {}  # ids -> key, each clash reported once
        for context, scopes in CONTEXTS.items():
            together = [
                action
                for action in ACTIONS
                if action.scope in scopes
                or (action.scope == "app" and (context == "desk" or action.priority))
            ]
            for key, ids in _shared_keys(together, keymap).items():
                shared.setdefault(tuple(ids), key)
        for pair, key in shared.items():
            problems.append(f"{' and '.join(pair)} would share the key {key!r}")
    if problems:
        raise KeymapError("keymap: " + "; ".join(problems))


def listing(
    keymap: Mapping[str, str],
    key_display: Callable[[Binding], str],
    scopes: tuple[Scope, ...] = DESK_SCOPES,
) -> list[tuple[Action, str]]:
    """The actions of ``scopes`` with their keys as displayed (``App.get_key_display``), without
    the alt forms (see :data:`ALT_SCOPES`)."""
    return [
        (
            action,
            " / ".join(
                key_display(Binding(key, action.action))
                for key in keys_of(action, keymap, alt=False)
            ),
        )
        for action in ACTIONS
        if action.scope in scopes
    ]


def help_rows(
    keymap: Mapping[str, str], key_display: Callable[[Binding], str]
) -> list[tuple[str, str, str]]:
    """(keys as displayed, long description, action id) for the help screen: every action, those
    that run from the desk first, then the keys of the dialogs, other screens and widgets."""
    others = tuple(scope for scope in get_args(Scope) if scope not in DESK_SCOPES)
    return [
        (keys, action.long, action.id)
        for scopes in (DESK_SCOPES, others)
        for action, keys in listing(keymap, key_display, scopes)
    ]


def key_hint(app: App[object], action_id: str, *, first_only: bool = False) -> str:
    """Markup for a dialog's hint line: the keys of ``action_id`` by name, the first in bold
    (``[b]y[/b]/enter``), after the keymap of the app (:class:`~tui.app.main_app.CollateralApp`
    keeps it in ``keymap_overrides``)."""
    keymap: Mapping[str, str] = getattr(app, "keymap_overrides", {})
    first, *more = [escape_markup(key) for key in keys_of(BY_ID[action_id], keymap, alt=False)]
    return "/".join([f"[b]{first}[/b]", *([] if first_only else more)])
