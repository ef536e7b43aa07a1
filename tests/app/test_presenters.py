"""The desk's presenters without Textual: chart bars, the chart's focus, which rows changed, the
State column's words."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from tui.app.presenters import PositionRows, chart_focus, order_rows, position_bar, position_row
from tui.app.widgets.chart_data import Bar, Focus
from tui.app.widgets.positions import (
    BAND_STATES,
    EXCHANGE_STATES,
    POSITION_COLUMN_ORDER,
    PositionsTable,
)
from tui.domain.models import LiquidationState, Order, OrderType, Position, PositionSide, Side
from tui.domain.risk import liquidation_distance
from tui.service import Thresholds

THRESHOLDS = Thresholds(green=Decimal(15), red=Decimal(5))


def position(
    pid: int, market: str = "BTC_PERP", amount: str = "0.5", liq: str = "60000"
) -> Position:
    return Position(
        id=pid,
        market=market,
        amount=Decimal(amount),
        base_price=Decimal(65000),
        liquidation_price=Decimal(liq),
        liquidation_state=None,
        margin=Decimal(3250),
        free_margin=Decimal(0),
        pnl=Decimal(0),
        realized_pnl=Decimal(0),
        funding=Decimal(0),
        unrealized_funding=Decimal(0),
        position_side=PositionSide.BOTH,
    )


def test_the_bar_is_the_distance_in_its_band_tone() -> None:
    long = position(1, liq="60000")
    dist = liquidation_distance(long.direction, Decimal(66000), long.liquidation_price)
    assert dist is not None
    bar = position_bar(long, dist, THRESHOLDS.band(dist.percent))
    assert bar == Bar("BTC_PERP L", dist.percent, "amber")  # 9.09 % is between 5 and 15
    assert bar.key == 1
    short = position(2, amount="-0.5", liq="67000")
    near = liquidation_distance(short.direction, Decimal(66500), short.liquidation_price)
    assert near is not None
    assert position_bar(short, near, THRESHOLDS.band(near.percent)) == Bar(
        "BTC_PERP S", near.percent, "red"
    )


def test_no_mark_no_bar_and_an_unknown_band_draws_green() -> None:
    pos = position(1)
    _, bar = position_row(pos, None, None, THRESHOLDS)
    assert bar is None
    dist = liquidation_distance(pos.direction, Decimal(66000), pos.liquidation_price)
    assert dist is not None
    bar = position_bar(pos, dist, "unknown")
    assert bar is not None and bar.tone == "green"


def test_the_row_cells_show_the_mark_and_distance() -> None:
    cells, bar = position_row(position(1), None, Decimal(80000), THRESHOLDS)
    texts = [c.text for c in cells()]
    assert texts[0] == "BTC_PERP" and texts[1] == "long"
    assert bar is not None and bar.tone == "green"  # 25 % away


def test_chart_focus_follows_the_selected_position() -> None:
    assert chart_focus(None) is None
    assert chart_focus(position(3)) == Focus("BTC_PERP", Decimal(65000), Decimal(60000))


def test_order_rows_are_keyed_by_id_in_id_order() -> None:
    def order(oid: int) -> Order:
        return Order(
            id=oid,
            market="BTC_USDT",
            side=Side.BUY,
            type=OrderType.LIMIT,
            amount=Decimal("0.01"),
            left=Decimal("0.01"),
            price=Decimal(30000),
        )

    rows = order_rows({7: order(7), 2: order(2)}, {})
    assert list(rows) == ["2", "7"]
    assert [c.text for c in rows["7"]()][:3] == ["BTC_USDT", "buy", "limit"]


def test_rows_are_rebuilt_only_for_what_changed() -> None:
    rows = PositionRows()
    positions = {1: position(1), 2: position(2, "ETH_PERP", liq="2000")}
    prices = {"BTC_PERP": Decimal(66000), "ETH_PERP": Decimal(2500)}
    first = rows.update(positions, {}, prices, THRESHOLDS)
    assert first.full and list(first.rows) == ["1", "2"]
    assert [b.label for b in rows.bars] == ["BTC_PERP L", "ETH_PERP L"]

    # nothing touched: nothing to tell the table
    nothing = rows.update(positions, {}, prices, THRESHOLDS)
    assert not nothing.full and nothing.rows == {} and nothing.removed == []

    # a price move touches the positions in that market only, and rebuilds only what moved
    prices = {**prices, "ETH_PERP": Decimal(2400)}
    rows.touch_markets({"ETH_PERP", "BTC_PERP"})
    moved = rows.update(positions, {}, prices, THRESHOLDS)
    assert not moved.full and list(moved.rows) == ["2"]

    # the same position object again: not rebuilt even when touched
    rows.touch({1})
    assert rows.update(positions, {}, prices, THRESHOLDS).rows == {}

    # a changed, an added and a removed position
    positions = {1: replace(positions[1], amount=Decimal("0.7")), 3: position(3)}
    rows.touch({1, 2, 3})
    changed = rows.update(positions, {}, prices, THRESHOLDS)
    assert not changed.full
    assert sorted(changed.rows) == ["1", "3"] and changed.removed == ["2"]
    assert list(rows.rows) == [1, 3]
    assert [b.key for b in rows.bars] == [1, 3]

    # unknown changes: a full pass
    rows.touch(None)
    assert rows.update(positions, {}, prices, THRESHOLDS).full


def test_a_threshold_change_rebuilds_every_row() -> None:
    rows = PositionRows()
    positions = {1: position(1)}
    prices = {"BTC_PERP": Decimal(66000)}
    rows.update(positions, {}, prices, THRESHOLDS)
    assert rows.bars[0].tone == "amber"
    rows.touch_all()
    wider = Thresholds(green=Decimal(20), red=Decimal(10))
    update = rows.update(positions, {}, prices, wider)
    assert update.full and rows.bars[0].tone == "red"


# ------------------------------------------------------------------ risk in text, not colour
# A long at a mark of 100000: its distance is exactly 15 % with the liquidation at 85000 and
# exactly 5 % at 95000 (the thresholds); a cent either side crosses them.
MARK = Decimal(100000)


def state_of(pos: Position, mark: Decimal | None = MARK) -> tuple[str, str]:
    cells, _ = position_row(pos, None, mark, THRESHOLDS)
    by_key = dict(zip(POSITION_COLUMN_ORDER, cells(), strict=True))
    return by_key["state"].text, by_key["dist_pct"].text


def test_the_state_column_says_ok_watch_near_at_the_exact_thresholds() -> None:
    assert state_of(position(1, liq="75000")) == ("ok", "25.00%")
    assert state_of(position(1, liq="84999.99"))[0] == "ok"  # 15.00001 %: over green
    assert state_of(position(1, liq="85000")) == ("watch", "15.00%")  # not over green
    assert state_of(position(1, liq="94999.99"))[0] == "watch"
    assert state_of(position(1, liq="95000")) == ("watch", "5.00%")  # not below red
    assert state_of(position(1, liq="95000.01"))[0] == "NEAR"  # 4.99999 %: below red
    # the case from the issue: 1.17 % from liquidation said "ok"
    assert state_of(position(1, liq="98830")) == ("NEAR", "1.17%")
    # past the liquidation price: still NEAR, and the distance keeps its minus sign
    assert state_of(position(1, liq="101000")) == ("NEAR", "-1.00%")
    # no mark: the distance is unknown, and the State says so rather than "ok"
    assert state_of(position(1), None) == ("-", "-")


def test_a_short_is_near_when_the_mark_rises_to_within_red() -> None:
    short = position(1, amount="-0.5", liq="105000")
    assert state_of(short, Decimal(90000))[0] == "ok"  # 16.67 %
    assert state_of(short) == ("watch", "5.00%")
    assert state_of(short, Decimal("100000.01"))[0] == "NEAR"


def test_the_exchange_state_wins_over_the_distance() -> None:
    call = replace(position(1), liquidation_state=LiquidationState.MARGIN_CALL)
    liq = replace(position(1), liquidation_state=LiquidationState.LIQUIDATION)
    far = Decimal(80000)  # 25 % away: the band alone would say ok
    assert state_of(call, far)[0] == "MARGIN CALL"
    assert state_of(liq, far)[0] == "LIQ"
    assert state_of(call, None)[0] == "MARGIN CALL"


def test_the_state_column_shows_its_longest_word_whole() -> None:
    width = {c.key: c.width for c in PositionsTable.COLUMNS}["state"]
    assert max(len(cell.text) for cell in (*BAND_STATES.values(), *EXCHANGE_STATES.values())) <= (
        width
    )


def test_losses_keep_their_minus_sign_and_sides_are_words() -> None:
    loss = replace(position(1, amount="-0.5"), pnl=Decimal("-0.004"))
    cells, _ = position_row(loss, None, Decimal(66000), THRESHOLDS)
    by_key = dict(zip(POSITION_COLUMN_ORDER, cells(), strict=True))
    assert by_key["upnl"].text == "-0.00"  # a loss under a cent is still a loss
    assert by_key["side"].text == "short"
    sell = Order(
        id=1,
        market="BTC_USDT",
        side=Side.SELL,
        type=OrderType.LIMIT,
        amount=Decimal("0.01"),
        left=Decimal("0.01"),
        price=Decimal(70000),
    )
    assert [c.text for c in order_rows({1: sell}, {})["1"]()][1] == "sell"
