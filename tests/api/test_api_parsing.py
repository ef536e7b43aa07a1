"""WhiteBIT JSON -> domain models, from the documentation's own examples (no server needed).

The files in tests/api/data are copied verbatim from the seed docs (/work/shared/seeds).
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tui.api import parsing
from tui.domain.models import (
    LiquidationState,
    OrderType,
    PositionSide,
    Product,
    Side,
)

DATA = Path(__file__).parent / "data"


def load(name: str):
    return parsing.loads((DATA / name).read_bytes())


def test_loads_never_produces_floats() -> None:
    data = parsing.loads(b'{"USDT": 1000.50, "BTC": 0.0, "n": 3, "t": 1651568067.789679}')
    assert data["USDT"] == Decimal("1000.50") and isinstance(data["USDT"], Decimal)
    assert str(data["t"]) == "1651568067.789679"
    assert not any(isinstance(v, float) for v in data.values())


def test_quickstart_collateral_balance_numbers() -> None:
    balances = parsing.parse_collateral_balance(parsing.loads(b'{"USDT": 1000.50, "BTC": 0.0}'))
    assert balances == {"USDT": Decimal("1000.50"), "BTC": Decimal(0)}
    assert all(isinstance(v, Decimal) for v in balances.values())


def test_float_input_is_refused() -> None:
    with pytest.raises(parsing.ParseError):
        parsing.parse_collateral_balance({"USDT": 1000.5})


def test_seed_open_positions() -> None:
    positions = parsing.parse_positions(load("seed_open_positions.json"))
    assert [p.id for p in positions] == [527, 528]
    p = positions[0]
    assert p.market == "BTC_USDT" and p.product is Product.MARGIN
    assert p.amount == Decimal("0.1")
    assert p.base_price == Decimal("45658.349")
    assert p.liquidation_price is None
    assert p.liquidation_state is LiquidationState.MARGIN_CALL
    assert p.pnl == Decimal("-168.42")
    assert p.margin == Decimal("8316.74") and p.free_margin == Decimal("619385.67")
    assert p.unrealized_funding == Decimal("0.0019142920201966")
    assert p.position_side is PositionSide.LONG
    assert p.open_time == Decimal("1651568067.789679")
    assert positions[1].base_price == Decimal("5658.349")


def test_open_position_with_unrealized_pnl_and_short_sign() -> None:
    row = {
        "positionId": 9,
        "market": "BTC_PERP",
        "openDate": Decimal("1.5"),
        "modifyDate": Decimal("2.5"),
        "amount": "0.5",
        "basePrice": "60000",
        "liquidationPrice": "66000",
        "liquidationState": None,
        "pnl": "12.5",
        "unrealizedPnl": "-30",
        "margin": "300",
        "freeMargin": "1000",
        "funding": "0",
        "unrealizedFunding": "0",
        "tpsl": None,
        "positionSide": "SHORT",
    }
    p = parsing.parse_position(row)
    assert p.amount == Decimal("-0.5")  # signed like the stream: negative = short
    assert p.pnl == Decimal(-30) and p.realized_pnl == Decimal("12.5")
    assert p.product is Product.FUTURES
    assert p.liquidation_price == Decimal(66000)


def test_seed_positions_history_old_and_new_fields() -> None:
    events = parsing.parse_position_events(load("seed_positions_history.json"))
    (e,) = events
    assert e.position_id == 111 and e.market == "BTC_USDT"
    assert e.order_id == 97067934
    assert e.trade_amount == Decimal("0.1") and e.trade_price == Decimal("41507.59")
    assert e.trade_fee == Decimal("415.07")
    assert e.funding_fee is None and e.realized_pnl is None
    assert e.side == "LONG"
    new = dict(load("seed_positions_history.json")[0])
    del new["positionSide"]
    new.update(side="SHORT", isHedge=True)
    (e2,) = parsing.parse_position_events([new])
    assert e2.side == "SHORT" and e2.is_hedge is True


def test_seed_ws_positions_update() -> None:
    frame = load("seed_ws_positions_update.json")
    (p,) = parsing.parse_ws_positions(frame["params"])
    assert p.id == 2 and p.market == "BTC_USDT"
    assert p.amount == Decimal("-0.01")
    assert p.base_price == Decimal(60000) and p.liquidation_price == Decimal(65000)
    assert p.pnl == Decimal("-0.47") and p.margin == Decimal("23.8")
    assert p.free_margin == Decimal("999932.92")
    # The doc example pairs a negative amount with "LONG": the sign wins.
    assert p.direction.value == "short"
    assert p.liquidation_state is None


def test_ws_nan_liquidation_price_is_none() -> None:
    rec = {
        "id": 1,
        "market": "BTC_PERP",
        "amount": "1",
        "base_price": "1",
        "liq_price": "NaN",
        "liq_stage": "margin_call",
        "pnl": "0",
        "margin": "1",
        "free_margin": "1",
        "funding": "0",
        "unrealized_funding": "0",
        "realized_pnl": "0",
        "position_side": "BOTH",
    }
    p = parsing.parse_ws_position(rec)
    assert p.liquidation_price is None
    assert p.liquidation_state is LiquidationState.MARGIN_CALL


MARKETS = [
    {
        "name": "BTC_USDT",
        "stock": "BTC",
        "money": "USDT",
        "stockPrec": "6",
        "moneyPrec": "2",
        "feePrec": "4",
        "makerFee": "0.1",
        "takerFee": "0.1",
        "minAmount": "0.0001",
        "minTotal": "5.05",
        "maxTotal": "0",
        "tradesEnabled": True,
        "isCollateral": True,
        "type": "spot",
    },
    {
        "name": "DOGE_USDT",
        "stock": "DOGE",
        "money": "USDT",
        "stockPrec": "0",
        "moneyPrec": "6",
        "feePrec": "4",
        "makerFee": "0.1",
        "takerFee": "0.1",
        "minAmount": "10",
        "minTotal": "5",
        "maxTotal": "0",
        "tradesEnabled": True,
        "isCollateral": False,
        "type": "spot",
    },
    {
        "name": "BTC_PERP",
        "stock": "BTC",
        "money": "PERP",
        "stockPrec": "4",
        "moneyPrec": "1",
        "feePrec": "4",
        "makerFee": "0.01",
        "takerFee": "0.055",
        "minAmount": "0.001",
        "minTotal": "5",
        "maxTotal": "10000000",
        "tradesEnabled": True,
        "isCollateral": True,
        "type": "futures",
    },
    {
        "name": "GOLD_PERP",
        "stock": "GOLD",
        "money": "USDT",
        "stockPrec": "2",
        "moneyPrec": "2",
        "feePrec": "4",
        "makerFee": "0.01",
        "takerFee": "0.05",
        "minAmount": "0.01",
        "minTotal": "5",
        "maxTotal": "0",
        "tradesEnabled": True,
        "isCollateral": True,
        "type": "tradfiFutures",
        "isTradFiFutures": True,
    },
]


def test_markets_keep_margin_pairs_and_perpetuals() -> None:
    markets = {m.name: m for m in parsing.parse_markets(MARKETS)}
    assert set(markets) == {"BTC_USDT", "BTC_PERP"}
    btc = markets["BTC_USDT"]
    assert btc.product is Product.MARGIN and btc.amount_precision == 6 and btc.price_precision == 2
    assert btc.min_amount == Decimal("0.0001") and btc.min_total == Decimal("5.05")
    assert btc.max_leverage == 10 and 20 not in btc.leverages
    perp = markets["BTC_PERP"]
    assert perp.product is Product.FUTURES and perp.quote == "USDT"  # old "PERP" quote mapped
    assert perp.max_leverage == 100 and perp.price_step == Decimal("0.1")
    assert perp.taker_fee == Decimal("0.055")


def test_futures_and_tickers() -> None:
    data = parsing.loads(
        b'{"success":true,"message":null,"result":[{"ticker_id":"BTC_PERP","stock_currency":"BTC",'
        b'"money_currency":"USDT","last_price":"60000.5","index_price":"60001","funding_rate":"0.0001",'
        b'"next_funding_rate_timestamp":"1700000000000","brackets":{"1":0,"50":20,"100":50},'
        b'"max_leverage":100,"funding_interval_minutes":480}]}'
    )
    (f,) = parsing.parse_futures(data)
    assert f.market == "BTC_PERP" and f.last_price == Decimal("60000.5")
    assert f.next_funding_ms == 1700000000000 and f.max_leverage == 100
    assert f.funding_interval_minutes == 480 and f.brackets["100"] == Decimal(50)
    tick = parsing.parse_tickers({"BTC_USDT": {"last_price": "60000.1", "change": "1.2"}})
    assert tick == {"BTC_USDT": Decimal("60000.1")}


def test_limit_order_create_response() -> None:
    data = parsing.loads(
        b'{"orderId":4180284841,"clientOrderId":"ct-1","market":"BTC_USDT","side":"buy","type":"limit",'
        b'"timestamp":1595792396.165973,"dealMoney":"0","dealStock":"0","amount":"0.001","left":"0.001",'
        b'"dealFee":"0","price":"30000","postOnly":false,"ioc":false,"status":"OPEN","stp":"no",'
        b'"oto":null,"positionSide":"BOTH","rpi":false,"reduceOnly":false}'
    )
    o = parsing.parse_order(data)
    assert o.id == 4180284841 and o.client_order_id == "ct-1"
    assert o.side is Side.BUY and o.type is OrderType.LIMIT
    assert o.amount == Decimal("0.001") and o.left == Decimal("0.001") and o.filled == 0
    assert o.price == Decimal(30000) and o.position_side is PositionSide.BOTH
    assert o.timestamp == Decimal("1595792396.165973")


def test_order_history_has_no_left_field() -> None:
    data = {
        "BTC_PERP": [
            {
                "id": 7,
                "clientOrderId": "ct-9",
                "amount": "0.01",
                "price": "0",
                "type": "margin market",
                "side": "sell",
                "ctime": Decimal("1.0"),
                "ftime": Decimal("1.1"),
                "dealFee": "0.3",
                "dealStock": "0.01",
                "dealMoney": "600",
                "status": "FILLED",
            }
        ]
    }
    (o,) = parsing.parse_order_history(data)
    assert o.market == "BTC_PERP" and o.type is OrderType.MARKET and o.side is Side.SELL
    assert o.left == 0 and o.filled == Decimal("0.01") and o.price is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("stop limit", OrderType.STOP_LIMIT),
        ("margin stop limit", OrderType.STOP_LIMIT),
        ("stop market", OrderType.TRIGGER_MARKET),
        ("trigger margin market", OrderType.TRIGGER_MARKET),
        ("margin limit", OrderType.LIMIT),
        ("market", OrderType.MARKET),
    ],
)
def test_rest_order_type_strings(text, expected) -> None:
    assert parsing.order_type_from_rest(text) is expected


def test_ws_order() -> None:
    o = parsing.parse_ws_order(
        {
            "id": 11,
            "market": "BTC_PERP",
            "type": 9,
            "side": 1,
            "post_only": False,
            "ioc": False,
            "ctime": Decimal("1700000000.1"),
            "mtime": Decimal("1700000000.1"),
            "price": "59000",
            "amount": "0.002",
            "left": "0.002",
            "deal_stock": "0",
            "deal_money": "0",
            "deal_fee": "0",
            "client_order_id": "ct-x",
            "stp": "no",
            "status": "OPEN",
            "position_side": "SHORT",
            "activation_price": "59500",
            "reduce_only": True,
        }
    )
    assert o.side is Side.SELL and o.type is OrderType.STOP_LIMIT
    assert o.activation_price == Decimal(59500) and o.reduce_only is True
    assert o.position_side is PositionSide.SHORT and o.client_order_id == "ct-x"
    for ws_type, expected in (
        (7, OrderType.LIMIT),
        (8, OrderType.MARKET),
        (10, OrderType.TRIGGER_MARKET),
    ):
        assert parsing.order_type_from_ws(ws_type) is expected
    assert (
        parsing.parse_ws_order({"id": 1, "market": "M", "type": 7, "side": 2, "amount": "1"}).side
        is Side.BUY
    )


def test_oco_create_response_and_conditional_records() -> None:
    leg_tp = {
        "id": 21,
        "market": "BTC_USDT",
        "type": "limit",
        "side": "sell",
        "amount": "0.001",
        "left": "0.001",
        "price": "70000",
        "post_only": False,
        "client_order_id": "ct-o",
        "status": "OPEN",
    }
    leg_sl = {
        "id": 22,
        "market": "BTC_USDT",
        "type": "stop limit",
        "side": "sell",
        "amount": "0.001",
        "left": "0.001",
        "price": "49000",
        "activation_price": "50000",
        "activation_condition": "lte",
        "client_order_id": "ct-o",
        "status": "OPEN",
    }
    legs = parsing.parse_oco(
        {"id": 20, "reduceOnly": False, "stop_loss": leg_sl, "take_profit": leg_tp}
    )
    assert [(o.id, o.type, o.oco_id) for o in legs] == [
        (21, OrderType.LIMIT, 20),
        (22, OrderType.STOP_LIMIT, 20),
    ]
    assert legs[1].activation_price == Decimal(50000)
    camel_sl = {
        "id": 32,
        "market": "BTC_USDT",
        "type": "stop limit",
        "side": "sell",
        "amount": "1",
        "left": "1",
        "price": "1",
        "activationPrice": "2",
        "clientOrderId": "c2",
    }
    records = {
        "records": [
            {"id": 30, "type": "oco", "stopLoss": camel_sl, "takeProfit": dict(leg_tp, id=31)},
            {"id": 40, "type": "oto", "stopLossPrice": "1", "conditionalOrder": {}},
        ]
    }
    legs2 = parsing.parse_conditional_oco_legs(records)
    assert sorted(o.id for o in legs2) == [31, 32]
    assert {o.oco_id for o in legs2} == {30}
    assert next(o for o in legs2 if o.id == 32).activation_price == Decimal(2)


def test_account_summary_and_balance_summary() -> None:
    s = parsing.parse_account_summary(
        {
            "equity": "1000",
            "margin": "100",
            "freeMargin": "900",
            "unrealizedFunding": "0",
            "pnl": "-5",
            "leverage": 5,
            "marginFraction": "1000000000000000000000",
            "maintenanceMarginFraction": "0.03",
        }
    )
    assert s.leverage == 5 and s.free_margin == Decimal(900) and s.pnl == Decimal(-5)
    (b,) = parsing.parse_balance_summary(
        [
            {
                "asset": "USDT",
                "balance": "100",
                "borrow": "0",
                "availableWithoutBorrow": "100",
                "availableWithBorrow": "500",
            }
        ]
    )
    assert b.asset == "USDT" and b.available_with_borrow == Decimal(500)


@pytest.mark.parametrize("bad", [None, [], {"records": "x"}, {"records": [{"market": "X"}]}])
def test_bad_ws_positions_raise_parse_error(bad) -> None:
    with pytest.raises(parsing.ParseError):
        parsing.parse_ws_positions(bad)
