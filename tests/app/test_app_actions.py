"""Keyboard flows on positions, orders and account settings, asserted on the sandbox."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from textual.widgets import OptionList

from tui.app.main_app import CollateralApp
from tui.app.screens.modals import CloseAllModal, CloseModal, ConfirmModal, LeverageModal
from tui.domain.models import Side

from .conftest import (
    close_dialog_on_a_new_long,
    notifications,
    open_position,
    place_limit,
    ready,
    settle,
    wait_for,
)


async def test_close_selected_position_with_c_and_confirm(app: CollateralApp, sandbox: Any) -> None:
    engine = sandbox.engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await close_dialog_on_a_new_long(pilot, screen)
        modal = app.screen
        assert isinstance(modal, CloseModal)
        assert modal.percent == Decimal(100)  # the default
        assert modal.target.market == "BTC_PERP" and modal.target.size == Decimal("0.002")
        await pilot.press("enter")
        await wait_for(pilot, lambda: not engine.positions, "position closed in the sandbox")
        await wait_for(pilot, lambda: screen.positions_table.row_count == 0, "row removed")


async def test_escape_cancels_the_close_dialog(app: CollateralApp, sandbox: Any) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await close_dialog_on_a_new_long(pilot, screen)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
        (pos,) = sandbox.engine.positions.values()
        assert pos.size == Decimal("0.002")


async def test_partial_close_50_percent(app: CollateralApp, sandbox: Any) -> None:
    engine = sandbox.engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await open_position(app, "ETH_PERP", Side.SELL, "0.200")
        await wait_for(pilot, lambda: screen.positions_table.row_count == 1, "position row")
        await pilot.press("c")
        await wait_for(pilot, lambda: isinstance(app.screen, CloseModal), "close dialog")
        await pilot.press("2", "y")
        await wait_for(
            pilot,
            lambda: [p.size for p in engine.positions.values()] == [Decimal("0.1")],
            "half of the short closed",
        )
        (pos,) = engine.positions.values()
        assert pos.direction == "short"
        await wait_for(
            pilot,
            lambda: (
                app.service.positions
                and next(iter(app.service.positions.values())).size == Decimal("0.1")
            ),
            "service sees the smaller position",
        )


async def test_close_all_requires_typing_close(app: CollateralApp, sandbox: Any) -> None:
    engine = sandbox.engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await open_position(app, "BTC_PERP", Side.BUY, "0.002")
        await open_position(app, "ETH_USDT", Side.SELL, "0.100")
        await wait_for(pilot, lambda: screen.positions_table.row_count == 2, "two rows")
        await pilot.press("C")
        await wait_for(pilot, lambda: isinstance(app.screen, CloseAllModal), "close-all dialog")
        await pilot.press(*"close", "enter")  # wrong word: nothing happens
        await settle(pilot)
        assert isinstance(app.screen, CloseAllModal)
        assert len(engine.positions) == 2
        await pilot.press(*["backspace"] * 5, *"CLOSE", "enter")
        await wait_for(pilot, lambda: not engine.positions, "all closed in the sandbox")
        await wait_for(pilot, lambda: screen.positions_table.row_count == 0, "rows removed")


async def test_cancel_selected_order_with_x(app: CollateralApp, sandbox: Any) -> None:
    engine = sandbox.engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await place_limit(app, "BTC_USDT", Side.BUY, "0.001", "60000")
        await place_limit(app, "ETH_USDT", Side.BUY, "0.01", "3000")
        await wait_for(pilot, lambda: screen.orders_table.row_count == 2, "two order rows")
        await pilot.press("r", "down")  # focus orders, select the ETH order
        eth_id = next(o.id for o in engine.orders.values() if o.market == "ETH_USDT")
        assert screen.orders_table.selected_key == str(eth_id)
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), "cancel dialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: eth_id not in engine.orders, "ETH order cancelled")
        assert [o.market for o in engine.orders.values()] == ["BTC_USDT"]
        await wait_for(pilot, lambda: screen.orders_table.row_count == 1, "row removed")


async def test_change_leverage(app: CollateralApp, sandbox: Any) -> None:
    engine = sandbox.engine
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert engine.leverage == 5
        await pilot.press("f", "l")  # futures product: 1..100x
        await wait_for(pilot, lambda: isinstance(app.screen, LeverageModal), "leverage dialog")
        options = app.screen.query_one(OptionList)
        labels = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert labels[-1].startswith("100x")
        await pilot.press("down", "enter")  # 5x -> 10x
        await wait_for(pilot, lambda: engine.leverage == 10, "leverage set in the sandbox")
        await wait_for(pilot, lambda: app.service.leverage == 10, "service sees 10x")
        await settle(pilot)
        assert "lev 10x" in str(app.screen.query_one("#status-account").content)


async def test_margin_leverage_choices_stop_at_10x(app: CollateralApp, sandbox: Any) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await pilot.press("m", "l")
        await wait_for(pilot, lambda: isinstance(app.screen, LeverageModal), "leverage dialog")
        options = app.screen.query_one(OptionList)
        labels = [
            str(options.get_option_at_index(i).prompt).split()[0]
            for i in range(options.option_count)
        ]
        assert labels == ["1x", "2x", "3x", "5x", "10x"]
        await pilot.press("escape")
        await settle(pilot)
        assert sandbox.engine.leverage == 5


async def test_toggle_hedge_mode(app: CollateralApp, sandbox: Any) -> None:
    engine = sandbox.engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), "hedge dialog")
        await pilot.press("y")
        await wait_for(pilot, lambda: engine.hedge_mode, "hedge mode on in the sandbox")
        await wait_for(pilot, lambda: app.service.hedge_mode, "service sees hedge mode")
        await settle(pilot)
        futures = screen.query_one("#form-futures")
        assert futures.query_one("#row-position_side").display
        assert "hedge on" in str(screen.query_one("#status-account").content)


async def test_hedge_mode_refusal_is_shown(app: CollateralApp, sandbox: Any) -> None:
    engine = sandbox.engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await open_position(app, "BTC_PERP", Side.BUY, "0.002")
        await wait_for(pilot, lambda: screen.positions_table.row_count == 1, "position row")
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmModal), "hedge dialog")
        await pilot.press("y")
        await wait_for(
            pilot,
            lambda: any("Hedge mode unchanged" in n for n in notifications(app)),
            "refusal notification",
        )
        text = next(n for n in notifications(app) if "Hedge mode unchanged" in n)
        assert "refused" in text and "[code" in text
        assert engine.hedge_mode is False


async def test_positions_table_keeps_the_selected_row(app: CollateralApp, sandbox: Any) -> None:
    engine = sandbox.engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        table = screen.positions_table
        await open_position(app, "BTC_PERP", Side.BUY, "0.002")
        await open_position(app, "ETH_PERP", Side.BUY, "0.100")
        await open_position(app, "ETH_USDT", Side.BUY, "0.100")
        await wait_for(pilot, lambda: table.row_count == 3, "three rows")
        await pilot.press("down")
        selected = table.selected_key
        assert selected is not None and table.cursor_row == 1
        eth_perp = int(selected)
        assert engine.positions[eth_perp].market == "ETH_PERP"
        # a few snapshots arrive, prices move: the cursor stays put
        await sandbox.set_price("ETH_PERP", Decimal(3100))
        await wait_for(
            pilot, lambda: "3100.00" in table.cell(selected, "mark").text, "mark updated"
        )
        assert table.selected_key == selected
        # the row above vanishes (closed elsewhere): the selection follows the row, not the index
        first = min(engine.positions)
        await app.service.close_position(first)
        await wait_for(pilot, lambda: table.row_count == 2, "row removed")
        assert table.selected_key == selected and table.cursor_row == 0
        # and a new position appears: still the same row
        await open_position(app, "BTC_USDT", Side.BUY, "0.001")
        await wait_for(pilot, lambda: table.row_count == 3, "row added")
        assert table.selected_key == selected
