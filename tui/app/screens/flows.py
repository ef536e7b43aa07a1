"""The desk's keyboard flows: place an order, close, close all, cancel, leverage, hedge mode.

Each flow is a coroutine the desk runs as a worker (``push_screen_wait`` needs one): it asks
with a dialog that shows exactly what will happen, resolving the position or order from its id
when it runs, then sends the command and says how it went. The trade gate is the service's
(:meth:`TradingService.trade_gate`); a flow only shows it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tui.domain.markets import leverages_for
from tui.domain.models import Product
from tui.service import CommandError

from ..formatting import amount, money
from .modals import (
    CloseAllModal,
    CloseModal,
    CloseTarget,
    ConfirmModal,
    LeverageModal,
    close_amount,
)

if TYPE_CHECKING:
    from tui.domain.models import Market, OrderRequest

    from ..widgets.order_form import OrderForm
    from .desk import DeskScreen

#: Positions listed by name in the close-all dialog; the rest are counted.
CLOSE_ALL_LISTED = 8


async def place_order(desk: DeskScreen, form: OrderForm, request: OrderRequest) -> None:
    """Send one validated order (the desk checked the gate); the form shows the answer."""
    try:
        orders = await desk.service.place_order(request)
    except CommandError as exc:
        form.order_done(f"Rejected: {exc}", error=True)
        desk.notify(str(exc), title="Order rejected", severity="error")
        return
    except Exception:
        form.order_done("Order failed (see notification)", error=True)
        raise
    ids = ", ".join(f"#{o.id}" for o in orders) or "-"
    form.order_done(f"Placed {ids}", error=False)
    desk.dirty.update({"orders", "positions", "balances"})


def refused_outright(desk: DeskScreen) -> bool:
    """Tell the trader and return True if the gate refuses every command now (stale data
    alone does not: a close asks first, see :func:`trade_anyway`)."""
    gate = desk.service.trade_gate()
    if gate.allowed or gate.overridable:
        return False
    desk.notify(gate.reason or "Trading is disabled", title="Trading disabled", severity="error")
    return True


async def trade_anyway(desk: DeskScreen) -> bool:
    """When the data is stale, ask before letting a close through."""
    gate = desk.service.trade_gate()
    if not gate.overridable:
        return True
    return bool(
        await desk.app.push_screen_wait(
            ConfirmModal(
                "Data is stale",
                [
                    f"{gate.reason}.",
                    "Prices and positions on screen may be out of date.",
                    "Trade anyway?",
                ],
                confirm="trade anyway",
                danger=True,
                id="trade-anyway-modal",
            )
        )
    )


async def close_position(desk: DeskScreen, position_id: int) -> None:
    if not await trade_anyway(desk):
        return
    service = desk.service
    position = service.positions.get(position_id)
    if position is None:
        desk.notify("That position is already gone", severity="warning")
        return
    market = service.markets.get(position.market)
    target = CloseTarget(
        position_id=position.id,
        market=position.market,
        direction=position.direction,
        size=position.size,
        entry=position.base_price,
        mark=service.mark_price(position.market),
        pnl=position.pnl,
        amount_step=market.amount_step if market else Decimal("0.00000001"),
        amount_places=market.amount_precision if market else 8,
        price_places=market.price_precision if market else 2,
        quote=market.quote if market else "",
    )
    pct = await desk.app.push_screen_wait(CloseModal(target))
    if pct is None:
        return
    amount = None if pct >= 100 else close_amount(target, pct)
    try:
        await service.close_position(position_id, amount)
    except CommandError as exc:
        desk.notify(str(exc), title="Close refused", severity="error")
        return
    what = "closed" if amount is None else f"reduced by {amount}"
    desk.notify(f"{target.market} {target.direction.value} {what}", title="Position")
    desk.dirty.update({"positions", "balances", "orders"})


async def close_all(desk: DeskScreen) -> None:
    if not await trade_anyway(desk):
        return
    positions = list(desk.service.positions.values())
    lines = [f"{len(positions)} position(s) will be closed at market:"]
    markets = desk.service.markets
    lines += [
        f"  {p.market} {p.direction.value} {_amount(p.size, markets.get(p.market))}"
        for p in positions[:CLOSE_ALL_LISTED]
    ]
    if len(positions) > CLOSE_ALL_LISTED:
        lines.append(f"  ... and {len(positions) - CLOSE_ALL_LISTED} more")
    if not await desk.app.push_screen_wait(CloseAllModal(lines)):
        return
    failures = await desk.service.close_all_positions()
    for err in failures:
        desk.notify(str(err), title="Close failed", severity="error")
    if not failures:
        desk.notify("All positions closed", title="Close all")
    desk.dirty.update({"positions", "balances", "orders"})


async def cancel_order(desk: DeskScreen, order_id: int) -> None:
    order = desk.service.orders.get(order_id)
    if order is None:
        return
    market = desk.service.markets.get(order.market)
    places = market.price_precision if market else 2
    lines = [
        f"Market   {order.market}",
        f"Side     {order.side.value}",
        f"Type     {order.type.value}",
        f"Price    {money(order.price, places)}",
        f"Trigger  {money(order.activation_price, places)}",
        f"Amount   {_amount(order.amount, market)}  (filled {_amount(order.filled, market)})",
    ]
    confirm = ConfirmModal(
        f"Cancel order #{order.id}", lines, confirm="cancel the order", id="cancel-modal"
    )
    if not await desk.app.push_screen_wait(confirm):
        return
    try:
        await desk.service.cancel_order(order_id)
    except CommandError as exc:
        desk.notify(str(exc), title="Cancel refused", severity="error")
        return
    desk.notify(f"Order #{order_id} cancelled", title="Cancel")
    desk.dirty.add("orders")


async def leverage(desk: DeskScreen, product: Product) -> None:
    service = desk.service
    choice = await desk.app.push_screen_wait(
        LeverageModal(product.value, leverages_for(product), service.leverage)
    )
    if choice is None:
        return
    try:
        value = await service.set_leverage(choice)
    except CommandError as exc:
        desk.notify(str(exc), title="Leverage refused", severity="error")
        return
    desk.notify(f"Account leverage is now {value}x", title="Leverage")
    desk.dirty.update({"settings", "balances"})


async def toggle_hedge(desk: DeskScreen) -> None:
    enable = not desk.service.hedge_mode
    word = "ON" if enable else "OFF"
    lines = [
        f"Hedge mode is {'off' if enable else 'on'}.",
        "On: separate LONG and SHORT positions per futures market (orders need a position side)."
        if enable
        else "Off: one net position per market.",
        "The exchange refuses the change while positions or orders are open.",
    ]
    confirm = ConfirmModal(
        f"Turn hedge mode {word}", lines, confirm=f"turn it {word.lower()}", id="hedge-modal"
    )
    if not await desk.app.push_screen_wait(confirm):
        return
    try:
        value = await desk.service.set_hedge_mode(enable)
    except CommandError as exc:
        desk.notify(
            f"Exchange refused: {exc}", title="Hedge mode unchanged", severity="error", timeout=10
        )
        return
    desk.notify(f"Hedge mode {'on' if value else 'off'}", title="Hedge mode")
    desk.dirty.add("settings")


def _amount(value: Decimal, market: Market | None) -> str:
    """An amount as the tables show it: to the market's amount precision."""
    return amount(value, market.amount_precision if market else None)
