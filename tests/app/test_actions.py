"""The action registry (tui.app.actions): bindings, keymap validation, help and palette."""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from rich.text import Text
from textual.command import Command, CommandList, CommandPalette
from textual.widgets import DataTable, Label

from tui.app.actions import (
    ACTIONS,
    ALT_SCOPES,
    DESK_SCOPES,
    KeymapError,
    alt_form,
    split_keys,
    validate_keymap,
)
from tui.app.main_app import CollateralApp
from tui.app.screens.desk import DESK_BINDINGS, DeskScreen
from tui.app.screens.error import StartErrorScreen
from tui.app.screens.events import EventsScreen
from tui.app.screens.help import OTHER_KEYS_HEADING, HelpScreen
from tui.app.screens.history import HistoryScreen
from tui.app.screens.modals import (
    CloseAllModal,
    CloseModal,
    ConfirmModal,
    LeverageModal,
    OrderConfirmModal,
    OrderRiskModal,
    QuitModal,
)
from tui.app.widgets.order_form import OrderForm
from tui.app.widgets.tables import KeyedTable
from tui.domain.models import Side

from .conftest import (
    close_dialog_on_a_new_long,
    make_app,
    make_service,
    open_position,
    ready,
    sandbox_config,
    settle,
    wait_for,
)

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
#: Every class in tui.app with BINDINGS, and the registry scopes they are built from.
BOUND: dict[type[Any], tuple[str, ...]] = {
    CollateralApp: ("app",),
    DeskScreen: ("desk",),
    ConfirmModal: ("modal",),
    OrderConfirmModal: ("order",),
    OrderRiskModal: ("order_risk",),
    QuitModal: ("quit",),
    CloseModal: ("modal", "close"),
    CloseAllModal: ("close_all",),
    LeverageModal: ("leverage",),
    HistoryScreen: ("history",),
    EventsScreen: ("events",),
    HelpScreen: ("help",),
    StartErrorScreen: ("error",),
    KeyedTable: ("table",),
    OrderForm: ("entry",),
}
#: The help rows of the actions that run from the desk, in registry order.
DESK_IDS = [action.id for action in ACTIONS if action.scope in DESK_SCOPES]
REMAP = {"desk.close": "k", "desk.hedge": "j,ctrl+y"}


def _binding_ids(bindings: list[Any]) -> list[str]:
    return [binding.id for binding in bindings]


def test_bindings_come_from_the_registry_once_each() -> None:
    ids = [action.id for action in ACTIONS]
    assert len(ids) == len(set(ids))
    assert DeskScreen.BINDINGS is DESK_BINDINGS
    for cls, scopes in BOUND.items():
        assert _binding_ids(cls.BINDINGS) == [a.id for a in ACTIONS if a.scope in scopes], cls
    by_id = {binding.id: binding for cls in BOUND for binding in cls.BINDINGS}
    for action in ACTIONS:  # every action is bound somewhere, as the registry says
        binding = by_id[action.id]
        alt = (
            [alt_form(key) for key in split_keys(action.key)] if action.scope in ALT_SCOPES else []
        )
        assert (binding.key, binding.action, binding.description, binding.show) == (
            ",".join([action.key, *(key for key in alt if key)]),
            action.action,
            action.short,
            action.show,
        )
    validate_keymap({})  # the defaults give no key to two actions


def test_no_binding_is_made_outside_the_registry() -> None:
    """Every ``Binding(...)`` in tui/app is made in tui/app/actions.py: one home for keys."""
    made_elsewhere = []
    for path in sorted((ROOT / "tui" / "app").rglob("*.py")):
        if path.name == "actions.py" and path.parent.name == "app":
            continue
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name == "Binding":
                    made_elsewhere.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert made_elsewhere == []
    # the scan does find a Binding(...) where there is one
    calls = ast.walk(ast.parse((ROOT / "tui" / "app" / "actions.py").read_text()))
    assert any(getattr(getattr(n, "func", None), "id", None) == "Binding" for n in calls)


def test_keymap_validation_names_each_problem() -> None:
    with pytest.raises(KeymapError) as refused:
        validate_keymap({"close_position": "x", "desk.closee": "k", "desk.help": "?"})
    message = str(refused.value)
    assert "'close_position'" in message and "'desk.closee'" in message
    assert "'desk.help'" not in message  # a known id is not called unknown
    assert all(action.id in message for action in ACTIONS)  # the valid ids are listed
    with pytest.raises(KeymapError, match="desk.close and desk.cancel_order .* 'x'"):
        validate_keymap({"desk.close": "x"})
    with pytest.raises(KeymapError, match="'desk.close': ' , k' is not a key"):
        validate_keymap({"desk.close": " , k"})
    # two actions trading keys share none
    validate_keymap({"desk.close": "x", "desk.cancel_order": "c"})
    with pytest.raises(KeymapError, match="desk.close and app.quit .* 'q'"):
        validate_keymap({"desk.close": "q"})  # the desk must reach every app action
    with pytest.raises(KeymapError, match="desk.close and table.up .* 'up'"):
        validate_keymap({"desk.close": "up"})  # a focused table would take it


def test_dialog_and_screen_ids_are_known_and_checked_where_active() -> None:
    validate_keymap({"modal.confirm": "k", "leverage.cancel": "escape", "history.reload": "f5"})
    with pytest.raises(KeymapError, match="unknown action id.*'modal.confirmm'"):
        validate_keymap({"modal.confirmm": "k"})
    # a dialog key may be a desk key: they are never active at the same time
    validate_keymap({"modal.confirm": "c", "close.25": "x", "history.reload": "l"})
    # within one dialog, two keys clash (the close dialog has the confirm and the amount keys)
    with pytest.raises(KeymapError, match="modal.confirm and close.25 .* '1'"):
        validate_keymap({"modal.confirm": "1"})
    with pytest.raises(KeymapError, match="modal.confirm and modal.cancel .* 'n'"):
        validate_keymap({"modal.confirm": "n"})
    # the app's priority key (the palette) wins over any dialog's: a clash
    with pytest.raises(KeymapError, match="app.command_palette and history.reload .* 'ctrl\\+p'"):
        validate_keymap({"history.reload": "ctrl+p"})
    # a screen may take over a non-priority app key while it is up (q closes the history)
    validate_keymap({"history.reload": "q", "history.close": "escape"})


def test_the_readme_keymap_example_is_valid() -> None:
    block = re.search(r"^\[keymap\].*?(?=^```)", README.read_text(), re.MULTILINE | re.DOTALL)
    assert block is not None, "README.md has no [keymap] example"
    keymap = tomllib.loads(block.group(0))["keymap"]
    assert keymap
    validate_keymap(keymap)


async def test_an_unknown_keymap_id_stops_the_app_from_starting(
    sandbox: Any, tmp_path: Path
) -> None:
    service = make_service(sandbox.rest_url, sandbox.ws_url, sandbox_config(), tmp_path)
    with pytest.raises(KeymapError, match="unknown action id.*'close_position'"):
        make_app(service, keymap={"close_position": "x"})


def _help_table(app: CollateralApp) -> dict[str, list[str]]:
    """Action id -> [key, description] of every row of the help screen, in order."""
    table = app.screen.query_one("#help-table", DataTable)
    return {str(key.value): [str(cell) for cell in table.get_row(key)] for key in table.rows}


def _palette_entries(app: CollateralApp) -> dict[str, str]:
    """Title -> help text of every command the palette offers (before anything is typed)."""
    options = app.screen.query_one(CommandList).options
    return {str(o.hit.text): str(o.hit.help) for o in options if isinstance(o, Command)}


async def test_help_lists_every_action_with_its_key(app: CollateralApp, sandbox: Any) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help screen")
        rows = _help_table(app)
        others = [action.id for action in ACTIONS if action.scope not in DESK_SCOPES]
        # the desk's actions first, then the dialogs', screens' and widgets' under a heading
        assert list(rows) == [*DESK_IDS, OTHER_KEYS_HEADING, *others]
        for action in ACTIONS:
            assert rows[action.id][1] == action.long
        assert rows["desk.close"][0] == "c"
        assert rows["desk.help"][0] == "?"
        assert rows["app.command_palette"][0] == "^p"
        assert rows["modal.confirm"][0] == "y / ⏎"
        assert rows["leverage.confirm"][0] == "y"
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, HelpScreen)


async def test_the_palette_lists_every_action_and_runs_it(app: CollateralApp, sandbox: Any) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "palette")
        await wait_for(pilot, lambda: _palette_entries(app), "palette entries")
        entries = _palette_entries(app)
        for action in ACTIONS:
            if action.id == "app.command_palette":  # the palette is already open
                continue
            # only what runs from the desk: a dialog's confirm has nothing to confirm here
            assert (action.long in entries) == (action.scope in DESK_SCOPES), action.id
        assert entries["Close the selected position (25/50/100 %)"] == "key: c"
        await pilot.press(*"hedge")
        await pilot.pause(0.5)
        await pilot.press("enter")
        # the palette ran the desk's toggle-hedge action: its confirmation is up
        await wait_for(pilot, lambda: app.screen.id == "hedge-modal", "hedge confirmation")
        await pilot.press("n")


async def test_a_remapped_key_works_and_shows_in_help_and_palette(
    sandbox: Any, tmp_path: Path
) -> None:
    service = make_service(sandbox.rest_url, sandbox.ws_url, sandbox_config(), tmp_path)
    app = make_app(service, keymap=REMAP)
    assert app.keymap_overrides == REMAP
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await open_position(app, "BTC_PERP", Side.BUY, "0.002")
        await wait_for(pilot, lambda: screen.positions_table.row_count == 1, "position row")
        await pilot.press("c")
        await settle(pilot)
        assert app.screen is screen  # c no longer closes
        await pilot.press("k")
        await wait_for(pilot, lambda: isinstance(app.screen, CloseModal), "close dialog")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back to the desk")

        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), "help screen")
        rows = _help_table(app)
        assert rows["desk.close"][0] == "k"
        assert rows["desk.hedge"][0] == "j / ^y"
        assert rows["desk.cancel_order"][0] == "x"  # the others keep their keys
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back to the desk")

        await pilot.press("ctrl+p")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette), "palette")
        await wait_for(pilot, lambda: _palette_entries(app), "palette entries")
        entries = _palette_entries(app)
        assert entries["Close the selected position (25/50/100 %)"] == "key: k"
        assert entries["Toggle hedge mode"] == "key: j / ^y"
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back to the desk")

        await pilot.press("ctrl+y")
        await wait_for(pilot, lambda: app.screen.id == "hedge-modal", "hedge confirmation")
        await pilot.press("n")


async def test_a_remapped_dialog_key_works_in_the_dialog(sandbox: Any, tmp_path: Path) -> None:
    service = make_service(sandbox.rest_url, sandbox.ws_url, sandbox_config(), tmp_path)
    # the same key as a desk action: accepted, the two are never active together
    app = make_app(service, keymap={"modal.confirm": "k", "modal.cancel": "x"})
    engine = sandbox.engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await close_dialog_on_a_new_long(pilot, screen)
        keys_hint = Text.from_markup(str(app.screen.query_one(".dialog-keys", Label).content)).plain
        assert "k close" in keys_hint and "x cancel" in keys_hint
        await pilot.press("y", "enter", "n")  # the default keys no longer confirm or cancel
        await settle(pilot)
        assert isinstance(app.screen, CloseModal) and len(engine.positions) == 1
        await pilot.press("k")
        await wait_for(pilot, lambda: not engine.positions, "position closed in the sandbox")
        await wait_for(pilot, lambda: screen.positions_table.row_count == 0, "row removed")
        assert app.screen is screen


def test_the_footer_names_the_plain_key_not_its_alt_form() -> None:
    """A letter bound with its alt form too shows as the letter (Textual's footer shows one
    key per action and may pick the alt one)."""
    from tui.app.actions import ACTIONS

    with_alt = [a.binding() for a in ACTIONS if "alt+" in a.binding().key]
    assert with_alt, "no action has an alt form: the check below would pass vacuously"
    for binding in with_alt:
        assert binding.key_display is not None and "alt" not in binding.key_display
        assert binding.key_display == binding.key.split(",")[0]
