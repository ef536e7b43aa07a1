"""Order entry from the keyboard, on both tabs, for every order type, against the sandbox."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Input, Label, Select, TabbedContent

from tui.app.main_app import CollateralApp
from tui.app.paths import css_paths
from tui.app.screens.modals import OrderConfirmModal
from tui.app.widgets.order_entry import OrderEntry
from tui.app.widgets.order_form import OrderForm
from tui.domain.models import OrderType, Product
from tui.service import events

from .conftest import ready, settle, wait_for


async def confirm(pilot: Pilot[Any]) -> None:
    """Answer the order confirmation with y."""
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, OrderConfirmModal), "confirmation")
    await pilot.press("y")


TYPE_INDEX = {
    OrderType.LIMIT: 0,
    OrderType.MARKET: 1,
    OrderType.STOP_LIMIT: 2,
    OrderType.TRIGGER_MARKET: 3,
    OrderType.OCO: 4,
}
MARKET = {Product.MARGIN: "BTC_USDT", Product.FUTURES: "BTC_PERP"}
# Static sandbox prices: BTC_USDT 65000, BTC_PERP 65010. Buy-side levels that rest.
FIELDS: dict[OrderType, dict[str, str]] = {
    OrderType.LIMIT: {"price": "60000"},
    OrderType.MARKET: {},
    OrderType.STOP_LIMIT: {"price": "66100", "activation_price": "66000"},
    OrderType.TRIGGER_MARKET: {"activation_price": "66000"},
    OrderType.OCO: {"price": "60000", "activation_price": "66000", "stop_limit_price": "66100"},
}
ENGINE_TYPE = {
    OrderType.LIMIT: "limit",
    OrderType.STOP_LIMIT: "stop limit",
    OrderType.TRIGGER_MARKET: "stop market",
}


async def pick(pilot: Pilot[Any], steps: int) -> None:
    """Open the focused Select, move ``steps`` (negative = up) from its current value, choose."""
    await pilot.press("enter")
    await pilot.pause()
    for _ in range(abs(steps)):
        await pilot.press("down" if steps > 0 else "up")
    await pilot.press("enter")
    await pilot.pause()


async def fill_form(
    pilot: Pilot[Any], product: Product, order_type: OrderType, amount: str, fields: dict[str, str]
) -> None:
    """Everything from the keyboard: tab switch, type select, amount and price fields."""
    await pilot.press("escape", "f" if product is Product.FUTURES else "m")
    await pilot.press("o")  # focus lands on the amount field
    await pilot.pause()
    app = pilot.app
    assert isinstance(app.focused, Input) and app.focused.id == "amount"
    await pilot.press("shift+tab")  # -> type
    select = app.focused
    assert isinstance(select, Select) and select.id == "type"
    current = TYPE_INDEX[select.value]  # type: ignore[index]
    await pick(pilot, TYPE_INDEX[order_type] - current)
    assert select.value is order_type
    await pilot.press("tab")  # -> amount (its text is selected on focus: typing replaces it)
    await pilot.press(*amount)
    for name in ("price", "activation_price", "stop_limit_price"):
        if name in fields:
            await pilot.press("tab")
            assert app.focused is not None and app.focused.id == name, app.focused
            await pilot.press(*fields[name])
    await pilot.pause()


@pytest.mark.parametrize("product", [Product.MARGIN, Product.FUTURES])
async def test_place_every_order_type_from_the_form(
    app: CollateralApp, sandbox: Any, product: Product
) -> None:
    """Limit, stop-limit, trigger-market and OCO rest in the book; market opens a position."""
    engine = sandbox.engine
    market = MARKET[product]
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        resting = 0
        for order_type in (
            OrderType.LIMIT,
            OrderType.STOP_LIMIT,
            OrderType.TRIGGER_MARKET,
            OrderType.OCO,
            OrderType.MARKET,
        ):
            before = set(engine.orders)
            await fill_form(pilot, product, order_type, "0.001", FIELDS[order_type])
            form = screen.entry.active_form
            assert form.product is product
            assert form.errors == {}, (order_type, form.errors)
            await pilot.press("enter")
            await confirm(pilot)
            if order_type is OrderType.MARKET:
                await wait_for(pilot, lambda: len(engine.positions) == 1, "sandbox position")
                (pos,) = engine.positions.values()
                assert pos.market == market and pos.direction == "long"
                await wait_for(
                    pilot, lambda: screen.positions_table.row_count == 1, "position row on screen"
                )
            else:
                resting += 2 if order_type is OrderType.OCO else 1
                await wait_for(
                    pilot,
                    lambda n=resting: len(engine.orders) == n,
                    f"{order_type.value} in the sandbox",
                )
                new = [o for oid, o in engine.orders.items() if oid not in before]
                assert all(o.market == market and o.side == "buy" for o in new)
                if order_type is OrderType.OCO:
                    assert len(new) == 2 and all(o.oco_id is not None for o in new)
                else:
                    assert [o.type for o in new] == [ENGINE_TYPE[order_type]]
                await wait_for(
                    pilot,
                    lambda n=resting: screen.orders_table.row_count == n,
                    "order rows on screen",
                )
            await wait_for(pilot, lambda f=form: not f.in_flight, "order done")
            status = str(form.query_one("#form-status", Label).content)
            assert status.startswith("Placed"), status


async def test_bad_input_is_refused_next_to_the_field_and_nothing_is_sent(
    app: CollateralApp, sandbox: Any
) -> None:
    engine = sandbox.engine
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press("o", *"abc")
        form = screen.entry.active_form
        error = form.query_one("#err-amount", Label)
        assert error.display and "must be a number" in str(error.content)
        await pilot.press("enter")
        await settle(pilot)
        assert "Not sent" in str(form.query_one("#form-status", Label).content)
        # too many decimals for the market, then too small: refused as well
        await pilot.press(*["backspace"] * 3, *"0.0000001", "enter")
        await settle(pilot)
        assert "multiple of" in str(form.query_one("#err-amount", Label).content)
        assert engine.orders == {} and engine.positions == {}
        assert engine.finished == []


async def test_hedge_mode_shows_position_side_and_requires_it(
    app: CollateralApp, sandbox: Any
) -> None:
    sandbox.engine.hedge_mode = True  # the account is already in hedge mode
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await wait_for(pilot, lambda: app.service.hedge_mode, "hedge mode loaded")
        await settle(pilot)
        margin = screen.entry.active_form
        assert margin.product is Product.MARGIN
        assert not margin.query("#position_side")  # margin pairs net one way: no such field
        await pilot.press("f")
        form = screen.entry.active_form
        assert form.product is Product.FUTURES
        assert form.query_one("#row-position_side").display
        await pilot.press("o", *"0.001", "tab", *"60000", "enter")
        await settle(pilot)
        assert "LONG or SHORT" in str(form.query_one("#err-position_side", Label).content)
        assert sandbox.engine.orders == {}
        await pilot.press("tab")  # price -> position side
        assert app.focused is not None and app.focused.id == "position_side"
        await pick(pilot, 1)  # blank -> LONG
        await pilot.press("shift+tab", "enter")  # submit from the price field
        await confirm(pilot)
        await wait_for(pilot, lambda: len(sandbox.engine.orders) == 1, "hedged order placed")
        (order,) = sandbox.engine.orders.values()
        assert order.position_side == "LONG" and order.market == "BTC_PERP"


class _EntryHost(App[None]):
    """The order entry alone, not built yet (the desk builds it just after its first frame)."""

    CSS_PATH = css_paths()

    def __init__(self, service: Any) -> None:
        super().__init__()
        self.service = service

    def compose(self) -> ComposeResult:
        yield OrderEntry(self.service, id="order-entry")


@pytest.mark.parametrize("product", [Product.MARGIN, Product.FUTURES])
async def test_a_form_asked_for_before_it_is_built_is_built_shown_and_focused(
    app: CollateralApp, product: Product
) -> None:
    host = _EntryHost(app.service)
    async with host.run_test(size=(60, 30)) as pilot:
        entry = host.query_one(OrderEntry)
        assert entry.forms == [] and not entry.query(OrderForm)  # nothing built yet
        # what `m`/`f` then `o` do on the desk before the form exists
        entry.show_product(product)
        entry.active_form.focus_first()
        form_id = f"form-{product.value}"
        await wait_for(
            pilot,
            lambda: host.focused is not None and host.focused.id == "amount",
            "focus on the amount field",
        )
        assert host.focused.parent is not None
        assert form_id in {node.id for node in host.focused.ancestors}
        assert entry.active_form.id == form_id
        assert host.query_one("#product-tabs", TabbedContent).active == f"tab-{product.value}"
        await pilot.press("1", "2")
        assert host.query_one(f"#{form_id} #amount", Input).value == "12"
        # styled by entry.tcss, which the host's CSS_PATH (the desk's first frame) leaves out:
        # the entry reads it when it builds
        label = host.query_one(f"#{form_id} .field-label", Label)
        assert label.size.width == 10


async def burst_into_amount(pilot: Pilot[Any], text: str) -> None:
    """Open the order form (focus on the amount field) and deliver ``text`` as a terminal does
    fast typing or a paste: every key at once, no waits (tab and enter as their keys)."""
    from textual import events

    app = pilot.app
    await pilot.press("o")
    await pilot.pause()
    assert isinstance(app.focused, Input) and app.focused.id == "amount"
    driver = app._driver
    assert driver is not None
    names = {"\t": "tab", "\r": "enter"}
    for char in text:
        driver.send_message(events.Key(names.get(char, char), char))


async def test_keys_typed_in_one_burst_follow_the_focus(app: CollateralApp) -> None:
    """A terminal delivers fast typing (or a pasted sequence) as one burst of keys: a tab in the
    middle must move the rest to the next field, not leave it in the one being left."""
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await burst_into_amount(pilot, "0.001\t30000")
        await pilot.pause(0.2)
        form = app.screen.query_one("#form-margin", OrderForm)
        assert form.query_one("#amount", Input).value == "0.001"
        assert form.query_one("#price", Input).value == "30000"


async def test_enter_in_a_field_hands_the_order_to_the_host_at_once(app: CollateralApp) -> None:
    """Enter in an amount/price field gives the order to the host's ``place`` from the field's
    own step: no ``Input.Submitted`` bubbling to the form, no ``Submit`` through the screen's
    queue (each hop can wait behind a repaint; bench: key_to_wire)."""
    placed: list[tuple[OrderForm, Any]] = []
    messages: list[object] = []

    class Host(_EntryHost):
        def compose(self) -> ComposeResult:
            yield OrderEntry(
                self.service,
                place=lambda form, request: placed.append((form, request)),
                id="order-entry",
            )

        def on_order_form_submit(self, message: OrderForm.Submit) -> None:
            messages.append(message)

        def on_input_submitted(self, message: Input.Submitted) -> None:
            messages.append(message)

    service = app.service
    await service.start()  # markets and prices, without the desk
    try:
        host = Host(service)
        async with host.run_test(size=(60, 30)) as pilot:
            entry = host.query_one(OrderEntry)
            entry.show_product(Product.MARGIN)
            entry.active_form.focus_first()
            await wait_for(
                pilot,
                lambda: host.focused is not None and host.focused.id == "amount",
                "focus on the amount field",
            )
            form = entry.active_form
            form.set_values(market="BTC_USDT", amount="0.001", price="60000")
            await pilot.press("enter")
            await pilot.pause()
            assert [(f, r.market, r.amount, r.price) for f, r in placed] == [
                (form, "BTC_USDT", Decimal("0.001"), Decimal(60000))
            ]
            assert messages == []  # handed over directly, not as a message
    finally:
        await service.stop()


async def test_enter_at_the_end_of_a_burst_sends_what_was_typed(
    app: CollateralApp, sandbox: Any
) -> None:
    """Enter is handled in the field's own queue, behind the keys typed before it: a burst
    ``0.001<tab>30000<enter>`` places amount 0.001 at price 30000 (a binding checked as the key
    arrives would submit before the field had the digits)."""
    async with app.run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        await burst_into_amount(pilot, "0.001\t30000\r")
        await confirm(pilot)
        await wait_for(pilot, lambda: len(sandbox.engine.orders) == 1, "order placed")
        (order,) = sandbox.engine.orders.values()
        assert (order.market, order.amount, order.price) == (
            "BTC_USDT",
            Decimal("0.001"),
            Decimal(30000),
        )


async def test_the_request_starts_before_sending_is_shown(app: CollateralApp, sandbox: Any) -> None:
    """Enter starts the order's request first (the service records it as pending), and only
    then does the form show "Sending..."; then the answer."""
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await ready(pilot)
        await pilot.press("o")
        await pilot.pause()
        form = screen.entry.active_form
        form.set_values(market="BTC_USDT", amount="0.001", price="60000")
        await pilot.pause()
        pending: list[object] = []
        app.service.subscribe(
            lambda event: pending.append(event) if isinstance(event, events.OrderPending) else None
        )
        status = form.query_one("#form-status", Label)
        assert form.submit()  # what Enter in the amount field does
        assert form.in_flight and "Sending" not in str(status.content)
        assert not pending  # nothing is sent before the confirmation's answer
        await confirm(pilot)
        await wait_for(
            pilot, lambda: "Sending" in str(status.content) or not form.in_flight, "Sending..."
        )
        assert pending, "Sending... shown before the request started"
        await wait_for(pilot, lambda: not form.in_flight, "the order's answer")
        assert len(sandbox.engine.orders) == 1
        assert "Placed" in str(status.content)
