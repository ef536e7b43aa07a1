"""Account figures (tui.domain.account) against exact references worked out by hand.

equity = balance + uPnL - unrealized funding; used = position margin + reserved by open orders;
free = equity - used. An order reserves q_open*p/L + q*p*taker_fee (rounded to 1e-8).
"""

from __future__ import annotations

from decimal import Decimal

from tui.domain.account import AccountFigures, account_figures, reserved_margin
from tui.domain.markets import FUTURES_LEVERAGES, MARGIN_LEVERAGES, MARGIN_MAX_LEVERAGE
from tui.domain.models import (
    Market,
    Order,
    OrderType,
    Position,
    PositionSide,
    Product,
    Side,
)

D = Decimal


def market(name: str, taker_fee: str) -> Market:
    futures = name.endswith("_PERP")
    return Market(
        name=name,
        product=Product.FUTURES if futures else Product.MARGIN,
        base="BTC",
        quote="USDT",
        amount_precision=4,
        price_precision=2,
        min_amount=D("0.0001"),
        min_total=D("5"),
        max_total=D(0),
        maker_fee=D("0.02"),
        taker_fee=D(taker_fee),  # percent
        leverages=FUTURES_LEVERAGES if futures else MARGIN_LEVERAGES,
        max_leverage=100 if futures else MARGIN_MAX_LEVERAGE,
    )


MARKETS = {"BTC_PERP": market("BTC_PERP", "0.05"), "BTC_USDT": market("BTC_USDT", "0.1")}


def position(
    market: str,
    amount: str,
    margin: str,
    pnl: str,
    *,
    side: PositionSide = PositionSide.BOTH,
    funding: str = "0",
    pid: int = 1,
) -> Position:
    return Position(
        id=pid,
        market=market,
        amount=D(amount),
        base_price=D("50000"),
        liquidation_price=None,
        liquidation_state=None,
        margin=D(margin),
        free_margin=D(0),
        pnl=D(pnl),
        realized_pnl=D(0),
        funding=D(0),
        unrealized_funding=D(funding),
        position_side=side,
    )


def order(
    market: str,
    side: Side,
    amount: str,
    price: str | None,
    *,
    oid: int = 1,
    kind: OrderType = OrderType.LIMIT,
    activation: str | None = None,
    position_side: PositionSide | None = None,
    reduce_only: bool = False,
    oco_id: int | None = None,
) -> Order:
    return Order(
        id=oid,
        market=market,
        side=side,
        type=kind,
        amount=D(amount),
        left=D(amount),
        price=D(price) if price is not None else None,
        activation_price=D(activation) if activation is not None else None,
        position_side=position_side,
        reduce_only=reduce_only,
        oco_id=oco_id,
    )


def check_adds_up(f: AccountFigures) -> None:
    assert f.equity == f.balance + f.upnl - f.funding
    assert f.used == f.position_margin + f.reserved
    assert f.free == f.equity - f.used


def test_perpetual_long_with_a_loss_and_no_orders() -> None:
    # long 0.01 BTC_PERP from 60000 at 5x (margin 120), mark 58500: uPnL -15
    pos = position("BTC_PERP", "0.01", "120", "-15")
    f = account_figures(D("1000"), [pos], [], MARKETS, 5)
    assert (f.equity, f.upnl, f.position_margin, f.reserved) == (D(985), D(-15), D(120), D(0))
    assert f.used == D(120)
    assert f.free == D(865)  # the loss is not free: 1000 - 120 would be 880
    check_adds_up(f)


def test_perpetual_without_positions_and_one_limit_order() -> None:
    # buy 0.002 @ 60000 at 50x: 120/50 = 2.4 margin + 120 * 0.05 % = 0.06 fee
    buy = order("BTC_PERP", Side.BUY, "0.002", "60000")
    f = account_figures(D("10000"), [], [buy], MARKETS, 50)
    assert f.reserved == D("2.46") and f.position_margin == 0
    assert f.used == D("2.46") and f.free == D("9997.54") and f.equity == D(10000)
    check_adds_up(f)


def test_margin_pair_short_with_a_profit_and_open_orders() -> None:
    # short 0.1 BTC_USDT from 50000 at 5x (margin 1000), mark 48000: uPnL +200.
    # Account leverage 20: margin pairs use at most 10x.
    pos = position("BTC_USDT", "-0.1", "1000", "200")
    orders = [
        # buy 0.04 reduces the 0.1 short only: nothing reserved
        order("BTC_USDT", Side.BUY, "0.04", "47000", oid=1),
        # buy 0.15 closes the short and opens 0.05 long: 0.05*47000/10 + 0.15*47000*0.1 %
        order("BTC_USDT", Side.BUY, "0.15", "47000", oid=2),
        # sell 0.02 adds to the short: 0.02*52000/10 + 0.02*52000*0.1 %
        order("BTC_USDT", Side.SELL, "0.02", "52000", oid=3),
        # a stop-limit holds at its limit price: buy 0.01 @ 60000 at 20x + 0.05 % fee (perp)
        order(
            "BTC_PERP", Side.BUY, "0.01", "60000", oid=4, kind=OrderType.STOP_LIMIT,
            activation="59000",
        ),
        # a stop-market holds at its trigger: sell 0.01 @ 40000 at 20x + 0.05 % fee
        order(
            "BTC_PERP", Side.SELL, "0.01", None, oid=5, kind=OrderType.TRIGGER_MARKET,
            activation="40000",
        ),
    ]  # fmt: skip
    f = account_figures(D("2000"), [pos], orders, MARKETS, 20)
    reserved = D("242.05") + D("105.04") + D("30.3") + D("20.2")
    assert f.reserved == reserved == D("397.59")
    assert f.equity == D("2200") and f.upnl == D("200")
    assert f.used == D("1397.59")
    assert f.free == D("802.41")
    check_adds_up(f)


def test_perpetual_short_with_a_profit_and_funding_owed() -> None:
    pos = position("BTC_PERP", "-0.02", "240", "35.5", funding="1.25")
    f = account_figures(D("500"), [pos], [], MARKETS, 5)
    assert f.equity == D("534.25") and f.used == D(240) and f.free == D("294.25")
    check_adds_up(f)


def test_reduce_only_and_hedge_closing_orders_reserve_nothing() -> None:
    long_ = position("BTC_PERP", "0.01", "120", "0", side=PositionSide.LONG)
    orders = [
        order("BTC_PERP", Side.SELL, "0.01", "70000", oid=1, position_side=PositionSide.LONG),
        order("BTC_PERP", Side.SELL, "0.5", "70000", oid=2, reduce_only=True),
    ]
    assert reserved_margin(orders, [long_], MARKETS, 5) == 0
    # hedge mode: buy LONG opens even with a short on the SHORT side
    short = position("BTC_PERP", "-0.01", "120", "0", side=PositionSide.SHORT, pid=2)
    buy = order("BTC_PERP", Side.BUY, "0.01", "50000", position_side=PositionSide.LONG)
    assert reserved_margin([buy], [short], MARKETS, 5) == D("100.25")  # 500/5 + 0.25 fee


def test_an_oco_group_reserves_once_at_its_higher_price() -> None:
    # take profit buy 0.01 @ 48000, stop leg buy 0.01 limit 52000 (trigger 51000), 5x
    tp = order("BTC_PERP", Side.BUY, "0.01", "48000", oid=1, oco_id=9)
    sl = order(
        "BTC_PERP", Side.BUY, "0.01", "52000", oid=2, oco_id=9, kind=OrderType.STOP_LIMIT,
        activation="51000",
    )  # fmt: skip
    assert reserved_margin([tp, sl], [], MARKETS, 5) == D("104.26")  # 520/5 + 520*0.05 %


def test_an_inexact_leverage_rounds_each_order_to_1e_8() -> None:
    # 0.01 * 100 / 3 = 0.333... -> 0.33333333, plus 1 * 0.1 % = 0.001
    buy = order("BTC_USDT", Side.BUY, "0.01", "100")
    f = account_figures(D("100"), [], [buy, buy], MARKETS, 3)
    assert f.reserved == D("0.66866666")
    assert f.free == D("99.33133334")
    check_adds_up(f)
