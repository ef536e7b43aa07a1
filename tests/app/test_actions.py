"""The action registry (tui.app.actions): bindings, keymap validation, help and palette."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from textual.command import Command, CommandList, CommandPalette
from textual.widgets import DataTable

from tui.app.actions import ACTIONS, KeymapError, validate_keymap
from tui.app.main_app import CollateralApp
from tui.app.screens.desk import DESK_BINDINGS, DeskScreen
from tui.app.screens.help import HelpScreen
from tui.app.screens.modals import CloseModal
from tui.domain.models import Side

from .conftest import make_app, make_service, open_position, ready, sandbox_config, settle, wait_for

README = Path(__file__).resolve().parents[2] / "README.md"
REMAP = {"desk.close": "k", "desk.hedge": "j,ctrl+y"}


def _binding_ids(bindings: list[Any]) -> list[str]:
    return [binding.id for binding in bindings]


def test_bindings_come_from_the_registry_once_each() -> None:
    ids = [action.id for action in ACTIONS]
    assert len(ids) == len(set(ids))
    assert DeskScreen.BINDINGS is DESK_BINDINGS
    assert _binding_ids(DESK_BINDINGS) == [a.id for a in ACTIONS if a.scope == "desk"]
    assert _binding_ids(CollateralApp.BINDINGS) == [a.id for a in ACTIONS if a.scope == "app"]
    by_id = {binding.id: binding for binding in [*DESK_BINDINGS, *CollateralApp.BINDINGS]}
    for action in ACTIONS:
        binding = by_id[action.id]
        assert (binding.key, binding.action, binding.description, binding.show) == (
            action.key,
            action.action,
            action.short,
            action.show,
        )
    validate_keymap({})  # the defaults give no key to two actions


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
        assert list(rows) == [action.id for action in ACTIONS]
        for action in ACTIONS:
            assert rows[action.id][1] == action.long
        assert rows["desk.close"][0] == "c"
        assert rows["desk.help"][0] == "?"
        assert rows["app.command_palette"][0] == "^p"
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
            if action.id != "app.command_palette":  # the palette is already open
                assert action.long in entries, action.id
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
