"""No accidental orders (issue 11): a confirmation before sending, a second Enter that cannot
repeat an order, prices cleared when their meaning changes, `q` that asks, escape-then-a-letter
as alt+letter, keys that say why they do nothing, a leverage dialog that states the rule.
All against the real sandbox; what was sent is read from the sandbox's request recorder."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Label, Select, Static

from tui.app.actions import textual_keymap
from tui.app.main_app import CollateralApp
from tui.app.screens.desk import DeskScreen
from tui.app.screens.modals import (
    CloseAllModal,
    CloseModal,
    LeverageModal,
    OrderConfirmModal,
    OrderRiskModal,
    QuitModal,
)
from tui.app.widgets.order_form import OrderForm
from tui.domain.models import OrderType, Side

from .conftest import (
    make_app,
    make_service,
    notifications,
    open_position,
    place_limit,
    ready,
    sandbox_config,
    settle,
    wait_for,
)


def _text(screen: Any) -> str:
    return "\n".join(str(s.content) for s in screen.query(Static))


def _status(form: OrderForm) -> str:
    return str(form.query_one("#form-status", Label).content)


async def _margin_limit(pilot: Pilot[Any], screen: DeskScreen) -> OrderForm:
    """The margin form, focused on its amount, filled with a resting BTC_USDT limit buy."""
    await pilot.press("m", "o")
    await pilot.pause()
    form = screen.entry.active_form
    form.set_values(market="BTC_USDT", amount="0.001", price="60000")
    await pilot.pause()
    assert form.errors == {} and isinstance(pilot.app.focused, Input)
    return form


async def test_two_enters_place_one_order_and_the_amount_is_cleared(
    app: CollateralApp, sandbox: Any
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        form = await _margin_limit(pilot, screen)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, OrderConfirmModal), "confirmation")
        await pilot.press("enter")  # the second Enter confirms: one order
        await wait_for(pilot, lambda: _status(form).startswith("Placed"), "order placed")
        assert len(sandbox.recorder.order_requests()) == 1
        # the amount is gone, the rest stays
        assert form.query_one("#amount", Input).value == ""
        assert form.query_one("#market", Select).value == "BTC_USDT"
        assert form.query_one("#side", Select).value == "buy"
        assert form.order_type is OrderType.LIMIT
        assert form.query_one("#price", Input).value == "60000"
        # a third Enter cannot repeat it
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert "Not sent" in _status(form)
        assert len(sandbox.recorder.order_requests()) == 1
        assert len(sandbox.engine.orders) == 1


async def test_a_cancelled_confirmation_sends_nothing(app: CollateralApp, sandbox: Any) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        form = await _margin_limit(pilot, screen)
        for cancel in ("n", "escape"):
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, OrderConfirmModal), "question")
            await pilot.press(cancel)
            await wait_for(pilot, lambda: app.screen is screen, "back on the desk")
            await settle(pilot)
            assert sandbox.recorder.order_requests() == []
            assert "cancelled" in _status(form) and not form.in_flight
            assert form.query_one("#amount", Input).value == "0.001"  # kept: fix and retry


async def test_the_confirmation_names_the_order_and_its_risk(
    app: CollateralApp, sandbox: Any
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press("f", "o")
        await pilot.pause()
        form = screen.entry.active_form
        form.set_values(market="BTC_PERP", amount="0.002", price="60000")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, OrderConfirmModal), "confirmation")
        text = _text(app.screen)
        assert "BTC_PERP  buy  0.002000  limit" in text  # to the market's amount precision
        assert "Price    60000.00" in text
        preview = form.preview
        assert preview is not None and preview.liq_distance_pct is not None
        assert f"Margin   {preview.required_margin:.2f} USDT at 5x" in text
        assert "% from the mark" in text
        await pilot.press("n")


async def test_limit_confirmation_can_be_turned_off_market_orders_still_ask(
    sandbox: Any, tmp_path: Path
) -> None:
    service = make_service(sandbox.rest_url, sandbox.ws_url, sandbox_config(), tmp_path)
    app = make_app(service, confirm_limit_orders=False, confirm_market_above=Decimal(100))
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        form = await _margin_limit(pilot, screen)
        await pilot.press("enter")  # sent at once
        await wait_for(pilot, lambda: _status(form).startswith("Placed"), "limit placed")
        await pilot.press("enter")  # the amount is cleared: not again
        await settle(pilot)
        assert len(sandbox.recorder.order_requests()) == 1
        # a limit through the mark (65000) fills at the market: 0.01 x 70000 > 100, asks
        form.set_values(amount="0.01", price="70000")
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, OrderConfirmModal), "marketable")
        assert "at the market" in _text(app.screen)
        await pilot.press("n")
        await wait_for(pilot, lambda: app.screen is screen, "back")
        # a market order above the notional limit asks
        form.set_values(type=OrderType.MARKET, amount="0.002")  # ~130 USDT
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, OrderConfirmModal), "market asks")
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back")
        assert len(sandbox.recorder.order_requests()) == 1
        # below it, it is sent at once
        form.set_values(amount="0.001")  # ~65 USDT
        await pilot.pause()
        await pilot.press("enter")
        await wait_for(pilot, lambda: len(sandbox.engine.positions) == 1, "small market order")
        assert len(sandbox.recorder.order_requests()) == 2


async def test_an_order_near_liquidation_asks_a_second_time(
    app: CollateralApp, sandbox: Any
) -> None:
    sandbox.engine.leverage = 50  # the account is at 50x: liquidation ~2 % from the mark
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await wait_for(pilot, lambda: app.service.leverage == 50, "50x loaded")
        await pilot.press("f", "o")
        await pilot.pause()
        form = screen.entry.active_form
        form.set_values(market="BTC_PERP", type=OrderType.MARKET, amount="0.001")
        await pilot.pause()
        preview = form.preview
        assert preview is not None and preview.liq_distance_pct is not None
        assert preview.liq_distance_pct < 5
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, OrderConfirmModal), "confirmation")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, OrderRiskModal), "second question")
        distance = f"{preview.liq_distance_pct:.1f} %"
        assert f"Liquidation {distance} from the mark: place anyway? y/n" in _text(app.screen)
        await pilot.press("enter")  # a repeated Enter does not place it
        await settle(pilot)
        assert isinstance(app.screen, OrderRiskModal)
        assert sandbox.recorder.order_requests() == []
        await pilot.press("y")
        await wait_for(pilot, lambda: len(sandbox.engine.positions) == 1, "placed anyway")
        assert len(sandbox.recorder.order_requests()) == 1


async def test_switching_type_clears_prices_whose_meaning_changed(app: CollateralApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press("o")
        await pilot.pause()
        form = screen.entry.active_form

        def values() -> tuple[str, str, str]:
            return tuple(  # type: ignore[return-value]
                form.query_one(f"#{n}", Input).value
                for n in ("price", "activation_price", "stop_limit_price")
            )

        form.set_values(type=OrderType.STOP_LIMIT)
        await pilot.pause()
        form.set_values(amount="0.001", price="66100", activation_price="66000")
        await pilot.pause()
        form.set_values(type=OrderType.TRIGGER_MARKET)  # the trigger is still the trigger
        await pilot.pause()
        assert values()[1] == "66000"
        form.set_values(type=OrderType.STOP_LIMIT)  # back: the limit price is still the limit
        await pilot.pause()
        assert values() == ("66100", "66000", "")
        form.set_values(type=OrderType.OCO)  # limit -> take-profit, trigger -> stop: cleared
        await pilot.pause()
        assert values() == ("", "", "")
        assert form.request is None
        form.set_values(price="60000", activation_price="66000", stop_limit_price="66100")
        await pilot.pause()
        form.set_values(type=OrderType.LIMIT)  # take-profit -> price: cleared
        await pilot.pause()
        assert values()[0] == ""


async def test_q_asks_first_with_open_positions_or_orders(app: CollateralApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await place_limit(app, "BTC_USDT", Side.BUY, "0.001", "60000")
        await wait_for(pilot, lambda: screen.orders_table.row_count == 1, "order row")
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitModal), "quit question")
        assert "0 position(s) and 1 open order(s)" in _text(app.screen)
        await pilot.press("x")  # anything but y stays
        await wait_for(pilot, lambda: app.screen is screen, "back on the desk")
        assert app.return_code is None
        await pilot.press("q")
        await wait_for(pilot, lambda: isinstance(app.screen, QuitModal), "quit question")
        await pilot.press("y")
        await settle(pilot)
    assert app.return_code == 0


async def test_q_without_positions_or_orders_quits_at_once(app: CollateralApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        # (the order entry is built just after the start: quit once it is)
        await wait_for(pilot, lambda: len(screen.entry.forms) == 2, "order entry built")
        await settle(pilot)
        await pilot.press("q")
        await settle(pilot)
    assert app.return_code == 0


async def _alt(pilot: Pilot[Any], key: str) -> None:
    """What a terminal's parser makes of escape then ``key`` sent fast: one alt+ key, with the
    letter as its character (Textual's xterm parser)."""
    driver = pilot.app._driver
    assert driver is not None
    name = f"alt+shift+{key.lower()}" if key.isupper() else f"alt+{key}"
    driver.send_message(events.Key(name, key))
    await pilot.pause()


async def test_escape_then_a_letter_works_as_two_keys_and_as_alt_letter(
    app: CollateralApp,
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await open_position(app, "BTC_PERP", Side.BUY, "0.002")
        await wait_for(pilot, lambda: screen.positions_table.row_count == 1, "position row")
        for send in ("two keys", "alt", "pilot alt"):
            for key, modal in (("c", CloseModal), ("C", CloseAllModal)):
                await pilot.press("o")  # in the amount field, where a letter is text
                await pilot.pause()
                assert isinstance(app.focused, Input)
                if send == "two keys":
                    await pilot.press("escape", key)
                elif send == "alt":
                    await _alt(pilot, key)
                else:
                    await pilot.press(f"alt+shift+{key.lower()}" if key.isupper() else f"alt+{key}")
                await wait_for(pilot, lambda m=modal: isinstance(app.screen, m), f"{key} {send}")
                await pilot.press("escape")
                await wait_for(pilot, lambda: app.screen is screen, "back on the desk")
                amount = screen.entry.active_form.query_one("#amount", Input)
                assert key not in amount.value  # the letter was not typed
        assert len(app.service.positions) == 1


def test_a_remapped_letter_keeps_its_alt_form() -> None:
    assert textual_keymap({"desk.close": "k", "desk.help": "f1"}) == {
        "desk.close": "k,alt+k",
        "desk.help": "f1",
    }


async def test_c_x_and_capital_c_with_nothing_selected_say_why(app: CollateralApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        active = screen.active_bindings
        assert all(active[key].enabled for key in ("c", "x", "C"))  # shown and enabled
        for key, why in (("c", "no position selected"), ("x", "no order selected")):
            await pilot.press(key)
            await wait_for(
                pilot, lambda w=why: any(w in n.lower() for n in notifications(app)), why
            )
        await pilot.press("C")
        await wait_for(
            pilot, lambda: any("no positions" in n.lower() for n in notifications(app)), "C"
        )
        assert app.screen is screen


async def test_the_leverage_dialog_states_the_exchange_rule_before_the_pick(
    app: CollateralApp, sandbox: Any
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LeverageModal), "leverage dialog")
        rule = str(app.screen.query_one("#leverage-rule", Static).content)
        assert "refuses a change while positions or orders are open" in rule
        assert "Open now" not in rule
        await pilot.press("escape")
        await wait_for(pilot, lambda: app.screen is screen, "back")
        await place_limit(app, "BTC_USDT", Side.BUY, "0.001", "60000")
        await wait_for(pilot, lambda: screen.orders_table.row_count == 1, "order row")
        await pilot.press("l")
        await wait_for(pilot, lambda: isinstance(app.screen, LeverageModal), "leverage dialog")
        rule = str(app.screen.query_one("#leverage-rule", Static).content)
        assert "Open now: 0 position(s), 1 order(s): the exchange will refuse." in rule
        await pilot.press("escape")
        assert sandbox.engine.leverage == 5
