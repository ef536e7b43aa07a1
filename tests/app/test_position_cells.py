"""position_cells builds its cells in PositionsTable.COLUMNS order (a tuple, no lookups)."""

from __future__ import annotations

from decimal import Decimal

from tui.app.widgets.positions import POSITION_COLUMN_ORDER, PositionsTable, position_cells
from tui.domain.models import Market, Position, PositionSide, Product
from tui.domain.risk import liquidation_distance


def test_cells_follow_the_column_order() -> None:
    assert POSITION_COLUMN_ORDER == tuple(c.key for c in PositionsTable.COLUMNS)
    pos = Position(
        id=1,
        market="BTC_PERP",
        amount=Decimal("-0.5"),
        base_price=Decimal(65000),
        liquidation_price=Decimal(70000),
        liquidation_state=None,
        margin=Decimal(3250),
        free_margin=Decimal(0),
        pnl=Decimal("-12.5"),
        realized_pnl=Decimal(0),
        funding=Decimal("1.25"),
        unrealized_funding=Decimal(0),
        position_side=PositionSide.BOTH,
        product=Product.FUTURES,
    )
    market = Market(
        name="BTC_PERP",
        product=Product.FUTURES,
        base="BTC",
        quote="USDT",
        amount_precision=4,
        price_precision=1,
        min_amount=Decimal("0.0001"),
        min_total=Decimal(5),
        max_total=Decimal(0),
        maker_fee=Decimal("0.01"),
        taker_fee=Decimal("0.055"),
        leverages=(1, 2, 3, 5, 10, 20, 50, 100),
        max_leverage=100,
    )
    mark = Decimal(66000)
    dist = liquidation_distance(pos.direction, mark, pos.liquidation_price)
    cells = position_cells(pos, market, mark, dist, band="amber")
    by_key = {key: cell for key, cell in zip(POSITION_COLUMN_ORDER, cells)}
    assert len(cells) == len(PositionsTable.COLUMNS)
    assert by_key["market"].text == "BTC_PERP"
    assert by_key["side"] == ("short", "text-error")
    assert by_key["amount"].text == "0.5000"
    assert by_key["mark"].text == "66000.0"
    assert by_key["liq"].text == "70000.0"
    assert by_key["dist_pct"] == ("6.06%", "text-warning")
    assert by_key["dist_abs"].text == "4000.0"
    assert by_key["upnl"] == ("-12.50", "text-error")
    assert by_key["entry"].text == "65000.0"
    assert by_key["margin"].text == "3250.00"
    assert by_key["funding"].text == "+1.25"
    assert by_key["state"] == ("watch", "text-warning")  # 6.06 % is between 5 and 15
    assert by_key["product"].text == "FUT"
