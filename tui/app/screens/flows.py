"""The desk's keyboard flows: confirm and place an order, close, close all, cancel, leverage,
hedge mode.

Each flow is a coroutine the desk runs as a worker (``push_screen_wait`` needs one): it asks
with a dialog that shows exactly what will happen, resolving the position or order from its id
when it runs, then sends the command and says how it went. The trade gate is the service's
(:meth:`TradingService.trade_gate`); a flow only shows it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tui.domain.markets import leverages_for
from tui.domain.models import OrderType, Product, Side
from tui.service import CommandError

from ..formatting import amount, money, percent
from .modals import (
    CloseAllModal,
    CloseModal,
    CloseTarget,
    ConfirmModal,
    LeverageModal,
    OrderConfirmModal,
    OrderRiskModal,
    close_amount,
)

if TYPE_CHECKING:
    from tui.domain.models import Market, OrderRequest
    from tui.domain.validation import RiskPreview

    from ..widgets.order_form import OrderForm
    from .desk import DeskScreen

#: Positions listed by name in the close-all dialog; the rest are counted.
CLOSE_ALL_LISTED = 8


#: Types that fill at the market when they execute: confirmed above the notional limit, whatever
#: the limit-order setting says.
FILLS_AT_MARKET = (OrderType.MARKET, OrderType.TRIGGER_MARKET)


def crosses_the_market(desk: DeskScreen, request: OrderRequest) -> bool:
    """A limit order priced through the mark (a buy above, a sell below) fills now, at the
    market: it is confirmed as a market order is."""
    mark = desk.service.mark_price(request.market)
    if request.type is not OrderType.LIMIT or request.price is None or mark is None:
        return False
    return request.price >= mark if request.side is Side.BUY else request.price <= mark


def near_liquidation(desk: DeskScreen, preview: RiskPreview | None) -> bool:
    """The order opens a position whose estimated liquidation lies within the red threshold of
    the mark (or past it)."""
    if preview is None or not preview.opens or preview.liq_distance_pct is None:
        return False
    return preview.liq_distance_pct < desk.service.thresholds.red


def order_confirmation(
    desk: DeskScreen, request: OrderRequest, preview: RiskPreview | None
) -> list[OrderConfirmModal]:
    """The questions to ask before ``request`` is sent, in order (none: send at once).

    Every order is confirmed, except, with the limit-order setting off, one that rests at the
    trader's price; an order that fills at the market is confirmed once its notional is above
    the desk's limit (0: always), and one whose liquidation would lie within the red threshold
    of the mark is asked about a second time, naming the distance.
    """
    if request.type in FILLS_AT_MARKET or crosses_the_market(desk, request):
        notional = preview.notional if preview is not None else None
        ask = notional is None or notional > desk.confirm_market_above
    else:
        ask = desk.confirm_limit_orders
    questions: list[OrderConfirmModal] = []
    if ask:
        questions.append(
            OrderConfirmModal("Send this order?", order_summary(desk, request, preview))
        )
    if near_liquidation(desk, preview):
        assert preview is not None and preview.liq_distance_pct is not None
        distance = percent(preview.liq_distance_pct, 1).replace("%", " %")
        questions.append(
            OrderRiskModal(
                "Liquidation near the mark",
                [
                    *order_summary(desk, request, preview)[:1],
                    f"Liquidation {distance} from the mark: place anyway? y/n",
                ],
            )
        )
    return questions


def order_summary(
    desk: DeskScreen, request: OrderRequest, preview: RiskPreview | None
) -> list[str]:
    """What the order confirmation says: what, at what price, and the risk it adds."""
    market = desk.service.markets.get(request.market)
    places = market.price_precision if market else 2
    quote = market.quote if market else ""
    side = request.side.value + (f" {request.position_side.value}" if request.position_side else "")
    head = f"{request.market}  {side}  {_amount(request.amount, market)}  {request.type.value}"
    t = request.type
    if t is OrderType.MARKET or crosses_the_market(desk, request):
        mark = money(desk.service.mark_price(request.market), places)
        price = f"Price    at the market (mark {mark})"
        if t is OrderType.LIMIT:
            price += f", limit {money(request.price, places)}"
    elif t is OrderType.LIMIT:
        price = f"Price    {money(request.price, places)}"
    elif t is OrderType.STOP_LIMIT:
        price = (
            f"Price    {money(request.price, places)} "
            f"once the trigger {money(request.activation_price, places)} is hit"
        )
    elif t is OrderType.TRIGGER_MARKET:
        price = f"Price    market once the trigger {money(request.activation_price, places)} is hit"
    else:  # OCO
        price = (
            f"Price    TP {money(request.price, places)}, stop "
            f"{money(request.activation_price, places)} limit "
            f"{money(request.stop_limit_price, places)}"
        )
    if preview is None:
        risk = "Margin   -"
    elif not preview.opens:
        risk = "Reduces a position: no new margin"
    else:
        risk = f"Margin   {money(preview.required_margin)} {quote} at {preview.leverage}x"
        if preview.est_liquidation_price is None:
            risk += ", no liquidation (fully funded)"
        elif preview.liq_distance_pct is not None:
            risk += f", liq {percent(preview.liq_distance_pct, 1)} from the mark"
    return [head, price, risk]


async def confirm_then_send(
    desk: DeskScreen,
    form: OrderForm,
    request: OrderRequest,
    questions: list[OrderConfirmModal],
) -> None:
    """Ask ``questions`` (:func:`order_confirmation`); send only if every answer is yes. The
    form is in flight meanwhile (a second Enter is refused)."""
    for question in questions:
        if not await desk.app.push_screen_wait(question):
            form.order_done("Not sent: cancelled", error=True)
            return
    gate = desk.service.trade_gate()  # it may have changed while the dialog was up
    if not gate.allowed:
        form.order_done(f"Not sent: {gate.reason}", error=True)
        return
    desk.send_order(form, request)


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
    positions, orders = len(service.positions), len(service.orders)
    busy = (
        f"Open now: {positions} position(s), {orders} order(s): the exchange will refuse."
        if positions or orders
        else None
    )
    choice = await desk.app.push_screen_wait(
        LeverageModal(product.value, leverages_for(product), service.leverage, busy=busy)
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
