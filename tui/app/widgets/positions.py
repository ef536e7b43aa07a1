"""The positions table and the orders table: column layouts and row builders."""

from __future__ import annotations

from decimal import Decimal

from tui.domain.models import LiquidationState, Market, Order, OrderType, Position, Product
from tui.domain.risk import Distance

from ..formatting import DASH, amount, money, percent, signed
from .tables import Cell, Column, KeyedTable

PRODUCT_SHORT = {Product.MARGIN: "MRG", Product.FUTURES: "FUT"}


BAND_TONES = {"green": "text-success", "amber": "text-warning", "red": "text-error!"}

#: The State column's words: every risk signal is in the text, not only in its colour (a
#: 16-colour terminal or NO_COLOR shows no tones). By the service's band for the distance to
#: liquidation; the exchange's own state comes first.
BAND_STATES = {
    "green": Cell("ok"),
    "amber": Cell("watch", "text-warning"),
    "red": Cell("NEAR", "text-error!"),
    "unknown": Cell(DASH),
}
EXCHANGE_STATES = {
    LiquidationState.MARGIN_CALL: Cell("MARGIN CALL", "error!"),
    LiquidationState.LIQUIDATION: Cell("LIQ", "error!"),
}


def state_cell(state: LiquidationState | None, band: str) -> Cell:
    """The State column: ``LIQ`` / ``MARGIN CALL`` when the exchange says so, else ``NEAR``
    (under the red threshold), ``watch`` (between red and green), ``ok``, or a dash when the
    distance is unknown (no mark or no liquidation price)."""
    if state is not None:
        return EXCHANGE_STATES[state]
    return BAND_STATES.get(band, BAND_STATES["unknown"])


def position_cells(
    pos: Position,
    market: Market | None,
    mark: Decimal | None,
    dist: Distance | None,
    *,
    band: str,
) -> tuple[Cell, ...]:
    """``band``: the service's threshold band for the distance (green/amber/red/unknown)."""
    pp = market.price_precision if market else 2
    ap = market.amount_precision if market else None
    product = pos.product or (market.product if market else None)
    state = pos.liquidation_state
    tone = BAND_TONES.get(band, "")
    pnl_tone = "" if pos.pnl == 0 else ("text-success" if pos.pnl > 0 else "text-error")
    market_tone = "error!" if state is not None else ""
    direction = pos.direction.value
    # In PositionsTable.COLUMNS order (tests/app check the two agree).
    return (
        Cell(pos.market, market_tone),
        Cell(direction, "text-success" if direction == "long" else "text-error"),
        Cell(amount(pos.size, ap)),
        Cell(money(mark, pp)),
        Cell(money(pos.liquidation_price, pp)),
        Cell(percent(dist.percent) if dist else DASH, tone),
        Cell(signed(pos.pnl), pnl_tone),
        state_cell(state, band),
        Cell(money(pos.base_price, pp)),
        Cell(money(dist.absolute, pp) if dist else DASH, tone),
        Cell(money(pos.margin)),
        Cell(signed(pos.funding)),
        Cell(PRODUCT_SHORT.get(product, "?") if product else DASH),
    )


POSITION_COLUMN_ORDER = (
    "market",
    "side",
    "amount",
    "mark",
    "liq",
    "dist_pct",
    "upnl",
    "state",
    "entry",
    "dist_abs",
    "margin",
    "funding",
    "product",
)


class PositionsTable(KeyedTable):
    """Open positions keyed by position id (as str)."""

    # What matters most comes first, so that 80 columns still show it without scrolling.
    COLUMNS = (
        Column("market", "Market", 8),
        Column("side", "Side", 5),
        Column("amount", "Amount", 8, True),
        Column("mark", "Mark", 8, True),
        Column("liq", "Liq", 8, True),
        Column("dist_pct", "Dist%", 7, True),
        Column("upnl", "uPnL", 8, True),
        Column("state", "State", 11),  # "MARGIN CALL" whole (and still on screen at 80x24)
        Column("entry", "Entry", 8, True),
        Column("dist_abs", "Dist", 8, True),
        Column("margin", "Margin", 8, True),
        Column("funding", "Fund", 7, True),
        Column("product", "Prd", 3),
    )


ORDER_TYPE_SHORT = {
    OrderType.LIMIT: "limit",
    OrderType.MARKET: "market",
    OrderType.STOP_LIMIT: "stop_limit",
    OrderType.TRIGGER_MARKET: "trig_mkt",
    OrderType.OCO: "oco",
}


def order_cells(order: Order, market: Market | None) -> tuple[Cell, ...]:
    pp = market.price_precision if market else 2
    ap = market.amount_precision if market else None
    return (
        Cell(order.market),
        Cell(order.side.value, "text-success" if order.side.value == "buy" else "text-error"),
        Cell(ORDER_TYPE_SHORT.get(order.type, str(order.type.value))),
        Cell(money(order.price, pp) if order.price is not None else DASH),
        Cell(money(order.activation_price, pp) if order.activation_price is not None else DASH),
        Cell(amount(order.amount, ap)),
        Cell(amount(order.filled, ap)),
    )


class OrdersTable(KeyedTable):
    """Open orders keyed by order id (as str)."""

    COLUMNS = (
        Column("market", "Market", 9),
        Column("side", "Side", 4),
        Column("type", "Type", 10),
        Column("price", "Price", 9, True),
        Column("trigger", "Trigger", 9, True),
        Column("amount", "Amount", 8, True),
        Column("filled", "Filled", 8, True),
    )
