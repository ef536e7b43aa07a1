"""Startup, keys, history, styles location (help, palette, keymap: test_actions.py)."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

from textual.widgets import DataTable, Static

from tui.app import paths
from tui.app.main_app import CollateralApp
from tui.app.screens.error import StartErrorScreen
from tui.app.screens.history import HistoryScreen
from tui.domain.models import Side

from .conftest import make_app, make_service, open_position, ready, sandbox_config, settle, wait_for


def test_stylesheets_are_found_in_the_checkout() -> None:
    folder = paths.styles_dir()
    assert folder == Path(paths.__file__).resolve().parents[2] / "styles"
    # the app reads every .tcss file at start
    assert CollateralApp.CSS_PATH == sorted(folder.glob("*.tcss"))
    assert {p.name for p in paths.css_paths()} >= {"desk.tcss", "entry.tcss", "modals.tcss"}


def test_stylesheets_are_found_in_the_installed_layout(tmp_path: Path) -> None:
    """Installed, hatch force-include puts styles/ at tui/styles: the app must find it there."""
    import shutil
    import subprocess
    import sys

    repo = Path(paths.__file__).resolve().parents[2]
    site = tmp_path / "site"
    shutil.copytree(repo / "tui", site / "tui", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(repo / "styles", site / "tui" / "styles")
    code = "from tui.app.main_app import CollateralApp; print(CollateralApp.CSS_PATH[0].parent)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={"PYTHONPATH": str(site)},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.strip()
    assert Path(out) == site / "tui" / "styles"


async def test_unreachable_endpoint_shows_the_error_screen(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    service = make_service(
        f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}/ws", sandbox_config(), tmp_path
    )
    app = make_app(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot, lambda: isinstance(app.screen, StartErrorScreen), "error screen", timeout=20
        )
        message = str(app.screen.query_one("#start-error-message", Static).content)
        assert message and app.start_error == message
        assert "demo-secret" not in message
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == 1


async def test_focus_starts_on_positions_and_keys_move_between_panes(
    app: CollateralApp, sandbox: Any
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        assert app.focused is screen.positions_table
        await pilot.press("tab")
        assert screen.current_pane() == "entry"
        await pilot.press("r")  # inside a text field a letter is just a letter
        assert screen.current_pane() == "entry"
        await pilot.press("escape", "r")
        assert app.focused is screen.orders_table
        await pilot.press("tab")
        assert app.focused is screen.positions_table
        await pilot.press("shift+tab")
        assert app.focused is screen.orders_table
        await pilot.press("o")
        assert app.focused is not None and app.focused.id == "amount"
        await pilot.press("c", "x")  # letters go into the text field, not to actions
        assert app.focused.value == "cx"  # type: ignore[attr-defined]  # (select on focus)
        assert app.screen is screen
        await pilot.press("escape")
        assert app.focused is screen.positions_table
        await pilot.press("f")
        assert screen.entry.active_form.id == "form-futures"
        await pilot.press("m")
        assert screen.entry.active_form.id == "form-margin"


async def test_history_screen_shows_closed_positions(app: CollateralApp, sandbox: Any) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await open_position(app, "BTC_PERP", Side.BUY, "0.002")
        await wait_for(pilot, lambda: screen.positions_table.row_count == 1, "position row")
        await app.service.close_position(next(iter(app.service.positions)))
        await pilot.press("H")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen), "history screen")
        history = app.screen
        assert isinstance(history, HistoryScreen)
        await wait_for(pilot, lambda: history.loaded >= 1, "history loaded")
        table = history.query_one("#history-positions", DataTable)
        assert table.row_count >= 2  # the open and the close
        markets = {str(table.get_row_at(i)[1]) for i in range(table.row_count)}
        assert markets == {"BTC_PERP"}
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_on_first_frame_is_called_once_after_the_desk_is_painted(
    sandbox: Any, tmp_path: Path
) -> None:
    """The launcher turns the garbage collector back on in this hook (cold start): it must run,
    once, with the desk already on screen."""
    calls: list[tuple[object, int]] = []
    service = make_service(sandbox.rest_url, sandbox.ws_url, sandbox_config(), tmp_path)

    def first_frame() -> None:
        assert app.desk is not None
        calls.append((app.screen, app.desk.positions_table.size.height))

    app = make_app(service, on_first_frame=first_frame)
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await settle(pilot)
    assert len(calls) == 1
    screen, table_height = calls[0]
    assert screen is app.desk
    assert table_height > 0  # laid out: the frame was painted
