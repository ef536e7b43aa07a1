"""Property and example tests for tui.domain.validation (order-form validation).

Inputs are generated as text from Decimal strategies (never floats): good forms must be accepted
with request fields numerically equal to the typed text; each kind of bad input must put a message
on the right field and produce no request.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tui.domain import risk
from tui.domain.markets import (
    ACCOUNT_LEVERAGES,
    MAINTENANCE_MARGIN_RATE,
    effective_leverage,
    leverages_for,
)
from tui.domain.models import (
    Direction,
    Market,
    OrderRequest,
    OrderType,
    PositionSide,
    Product,
    Side,
)
from tui.domain.validation import OrderForm, RiskPreview, ValidationResult, validate_order_form

D = Decimal
PROPS = settings(max_examples=200, deadline=None)
RICH = D("1000000000000")
FREE = D("10000")
MARK = D("60000")


def make_market(
    product: Product = Product.FUTURES,
    *,
    amount_precision: int = 4,
    price_precision: int = 2,
    min_amount: str = "0.0001",
    min_total: str = "5",
    max_total: str = "0",
    taker_fee: str = "0.05",
    max_leverage: int | None = None,
) -> Market:
    futures = product is Product.FUTURES
    return Market(
        name="BTC_PERP" if futures else "BTC_USDT",
        product=product,
        base="BTC",
        quote="USDT",
        amount_precision=amount_precision,
        price_precision=price_precision,
        min_amount=D(min_amount),
        min_total=D(min_total),
        max_total=D(max_total),
        maker_fee=D("0.02"),
        taker_fee=D(taker_fee),
        leverages=leverages_for(product),
        max_leverage=max_leverage if max_leverage is not None else (100 if futures else 10),
    )


BTC_PERP = make_market()
BTC_USDT = make_market(Product.MARGIN)


def validate(
    market: Market = BTC_PERP,
    *,
    hedge_mode: bool = False,
    free: Decimal = FREE,
    leverage: int = 10,
    mark: Decimal | None = MARK,
    form_market: str | None = None,
    **fields: object,
) -> ValidationResult:
    form_fields: dict[str, object] = {
        "market": market.name if form_market is None else form_market,
        "side": "buy",
        "type": OrderType.LIMIT,
        "amount": "0.01",
        "price": "59000",
    }
    form_fields.update(fields)
    form = OrderForm(**form_fields)  # type: ignore[arg-type]
    return validate_order_form(
        form,
        market=market,
        hedge_mode=hedge_mode,
        free_collateral=free,
        leverage=leverage,
        mark_price=mark,
    )


def assert_refused(result: ValidationResult, field: str, contains: str = "") -> str:
    assert result.request is None
    assert field in result.errors, result.errors
    assert contains in result.errors[field], result.errors[field]
    return result.errors[field]


def assert_no_float(obj: object) -> None:
    for f in dataclasses.fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        assert not isinstance(value, float), f"{f.name} is a float"


# --- strategies -----------------------------------------------------------------------------------


def decimals(lo: Decimal | str, hi: Decimal | str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=D(lo), max_value=D(hi), places=places, allow_nan=False, allow_infinity=False
    )


@st.composite
def market_specs(draw: st.DrawFn) -> Market:
    product = draw(st.sampled_from(list(Product)))
    amount_precision = draw(st.integers(0, 8))
    step = D(1).scaleb(-amount_precision)
    return make_market(
        product,
        amount_precision=amount_precision,
        price_precision=draw(st.integers(0, 8)),
        min_amount=str(step * draw(st.integers(1, 50))),
        min_total="0",
        taker_fee=str(draw(st.sampled_from([D(0), D("0.02"), D("0.05"), D("0.1")]))),
    )


@st.composite
def typed(draw: st.DrawFn, value: Decimal, places: int) -> str:
    """A way a trader might type ``value`` (which has at most ``places`` decimals)."""
    text = format(value, "f")
    variant = draw(st.sampled_from(["plain", "padded", "trailing_zeros", "spaces", "leading_dot"]))
    if variant == "padded" and places > 0:
        text = format(value.quantize(D(1).scaleb(-places)), "f")
    elif variant == "trailing_zeros":
        text = format(value.quantize(D(1).scaleb(-(places + draw(st.integers(1, 3))))), "f")
    elif variant == "spaces":
        text = f"  {text} "
    elif variant == "leading_dot" and text.startswith("0."):
        text = text[1:]
    return text


def on_grid(precision: int, lo_units: int, hi_units: int) -> st.SearchStrategy[Decimal]:
    step = D(1).scaleb(-precision)
    return st.integers(lo_units, hi_units).map(lambda n: n * step)


@st.composite
def good_orders(draw: st.DrawFn):
    """A market, a valid form for it and the account it is valid on."""
    market = draw(market_specs())
    order_type = draw(st.sampled_from(list(OrderType)))
    side = draw(st.sampled_from(list(Side)))
    hedge = draw(st.booleans())
    tick = market.price_step
    pp = market.price_precision
    mark = draw(on_grid(pp, 10**pp * 10, 10**pp * 100000))  # 10 .. 100000, on tick
    amount = draw(on_grid(market.amount_precision, 0, 10**6)) + market.min_amount
    below = draw(st.integers(1, 10**pp * 5)) * tick  # < mark by construction
    above = draw(st.integers(1, 10**pp * 5)) * tick
    fields: dict[str, Decimal] = {}
    if order_type is OrderType.LIMIT:
        fields["price"] = mark + (above if draw(st.booleans()) else -below)
    elif order_type is OrderType.STOP_LIMIT:
        fields["activation_price"] = mark + above if side is Side.BUY else mark - below
        fields["price"] = draw(on_grid(pp, 10**pp, 10**pp * 200000))
    elif order_type is OrderType.TRIGGER_MARKET:
        fields["activation_price"] = mark + above if side is Side.BUY else mark - below
    elif order_type is OrderType.OCO:
        if side is Side.BUY:
            fields["price"], fields["activation_price"] = mark - below, mark + above
        else:
            fields["price"], fields["activation_price"] = mark + above, mark - below
        fields["stop_limit_price"] = draw(on_grid(pp, 10**pp, 10**pp * 200000))
    leverage = draw(st.sampled_from(ACCOUNT_LEVERAGES))
    if hedge and market.product is Product.FUTURES:  # hedge mode is a futures feature
        position_side = draw(st.sampled_from(["LONG", "SHORT", "long", PositionSide.SHORT]))
    else:
        position_side = draw(st.sampled_from([None, "", "BOTH"]))
    texts = {name: draw(typed(value, pp)) for name, value in fields.items()}
    form = OrderForm(
        market=market.name,
        side=draw(st.sampled_from([side, side.value, side.value.upper()])),
        type=draw(st.sampled_from([order_type, order_type.value])),
        amount=draw(typed(amount, market.amount_precision)),
        position_side=position_side,
        **texts,
    )
    return market, form, hedge, leverage, mark


# --- good input -----------------------------------------------------------------------------------


@PROPS
@given(good_orders())
def test_good_input_is_accepted_exactly_as_typed(case):
    market, form, hedge, leverage, mark = case
    result = validate_order_form(
        form,
        market=market,
        hedge_mode=hedge,
        free_collateral=RICH,
        leverage=leverage,
        mark_price=mark,
    )
    assert result.errors == {}
    req = result.request
    assert isinstance(req, OrderRequest)
    assert_no_float(req)
    assert req.market == market.name
    assert req.amount == D(form.amount.strip())
    assert isinstance(req.amount, Decimal)
    assert -req.amount.as_tuple().exponent <= market.amount_precision  # type: ignore[operator]
    for name in ("price", "activation_price", "stop_limit_price"):
        value = getattr(req, name)
        text = getattr(form, name).strip()
        if text:
            assert isinstance(value, Decimal)
            assert value == D(text)
            assert -value.as_tuple().exponent <= market.price_precision
            assert risk.on_step(value, market.price_step)
        else:
            assert value is None
    assert risk.on_step(req.amount, market.amount_step)
    if hedge and market.product is Product.FUTURES:
        assert req.position_side in (PositionSide.LONG, PositionSide.SHORT)
    else:
        assert req.position_side is None
    preview = result.preview
    assert isinstance(preview, RiskPreview)
    assert_no_float(preview)
    assert preview.leverage == effective_leverage(leverage, market.product)


@PROPS
@given(good_orders())
def test_preview_matches_the_risk_math(case):
    market, form, hedge, leverage, mark = case
    if hedge and market.product is Product.FUTURES and form.side in ("buy", "BUY", Side.BUY):
        form = dataclasses.replace(form, position_side="LONG")  # opening, so the preview has a liq
    result = validate_order_form(
        form,
        market=market,
        hedge_mode=hedge,
        free_collateral=RICH,
        leverage=leverage,
        mark_price=mark,
    )
    preview = result.preview
    assert preview is not None and result.request is not None
    req = result.request
    lev = effective_leverage(leverage, market.product)
    if not preview.opens:
        assert preview.required_margin == 0 and preview.est_liquidation_price is None
        return
    legs = {
        OrderType.LIMIT: [req.price],
        OrderType.MARKET: [mark],
        OrderType.STOP_LIMIT: [req.price],
        OrderType.TRIGGER_MARKET: [req.activation_price],
        OrderType.OCO: [req.price, req.stop_limit_price],
    }[req.type]
    price = max(legs)  # type: ignore[type-var]
    direction = Direction.LONG if req.side is Side.BUY else Direction.SHORT
    crosses = req.type is OrderType.LIMIT and (
        price >= mark if req.side is Side.BUY else price <= mark
    )
    assert preview.crosses_market is crosses
    if crosses:
        price = mark  # a marketable limit fills now at the market
    assert preview.price == price
    assert preview.direction is direction
    assert preview.notional == req.amount * price
    assert preview.required_margin == risk.required_margin(req.amount, price, lev)
    liq = risk.estimated_liquidation_price(
        direction, price, lev, MAINTENANCE_MARGIN_RATE[market.product]
    )
    assert preview.est_liquidation_price == liq
    dist = risk.liquidation_distance(direction, mark, liq)
    assert preview.liq_distance == (dist.absolute if dist else None)
    assert preview.liq_distance_pct == (dist.percent if dist else None)


# --- bad numbers ----------------------------------------------------------------------------------

EMPTY = st.sampled_from(["", " ", "\t", "   "])
ZEROS = st.sampled_from(["0", "0.0", "-0", "000", ".0", "0.", "0.00000000000", "+0"])
NAN_INF = st.sampled_from(
    [
        "nan",
        "NaN",
        "-nan",
        "sNaN",
        "nan123",
        "inf",
        "Inf",
        "-inf",
        "+Infinity",
        "infinity",
        "-Infinity",
    ]
)
EXPONENTS = st.from_regex(r"[+-]?[0-9]{1,4}(\.[0-9]{1,4})?[eE][+-]?[0-9]{1,3}", fullmatch=True)
NON_NUMERIC = st.one_of(
    st.from_regex(r"[0-9]{0,3}[a-dA-Df-zF-Z_,;:!?#$%/*()\[\]'\"]+[0-9]{0,3}", fullmatch=True),
    st.sampled_from(
        [
            "1_000",
            "1.2.3",
            "--1",
            "+-1",
            "1 000",
            "0x10",
            "١٢٣",
            "１２",
            "٣.٥",
            "1.5.",
            "..5",
            "1/2",
            "½",
        ]
    ),
)


def negative_numbers(places: int) -> st.SearchStrategy[str]:
    return decimals(D(1).scaleb(-places), "100000", places).map(lambda v: format(-v, "f"))


def too_precise(places: int) -> st.SearchStrategy[str]:
    """Positive numbers with 1..4 more significant decimals than allowed."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        extra = draw(st.integers(1, 4))
        units = draw(st.integers(1, 10**8)).__mul__(10) + draw(st.integers(1, 9))  # last digit != 0
        return format(D(units).scaleb(-(places + extra)), "f")

    return build()


def bad_numbers(places: int) -> st.SearchStrategy[tuple[str, str]]:
    """(typed text, a word the message must contain)."""
    return st.one_of(
        EMPTY.map(lambda t: (t, "required")),
        ZEROS.map(lambda t: (t, "greater than 0")),
        negative_numbers(places).map(lambda t: (t, "positive")),
        NAN_INF.map(lambda t: (t, "finite")),
        EXPONENTS.map(lambda t: (t, "exponent")),
        NON_NUMERIC.map(lambda t: (t, "")),
        too_precise(places).map(lambda t: (t, f"multiple of {format(D(1).scaleb(-places), 'f')}")),
    )


@PROPS
@given(st.data(), market_specs())
def test_bad_amount_is_refused(data, market):
    text, expected = data.draw(bad_numbers(market.amount_precision))
    result = validate(market, amount=text, price="60000", free=RICH)
    message = assert_refused(result, "amount", expected)
    assert message[0].isupper()  # a sentence for a human, not a traceback


@PROPS
@given(
    st.data(),
    market_specs(),
    st.sampled_from(
        [
            (OrderType.LIMIT, "price"),
            (OrderType.STOP_LIMIT, "price"),
            (OrderType.STOP_LIMIT, "activation_price"),
            (OrderType.TRIGGER_MARKET, "activation_price"),
            (OrderType.OCO, "price"),
            (OrderType.OCO, "activation_price"),
            (OrderType.OCO, "stop_limit_price"),
        ]
    ),
)
def test_bad_price_is_refused_on_its_field(data, market, type_and_field):
    order_type, field = type_and_field
    text, expected = data.draw(bad_numbers(market.price_precision))
    good = {"price": "59000", "activation_price": "61000", "stop_limit_price": "61500"}
    good[field] = text
    result = validate(market, type=order_type, amount="1", free=RICH, mark=D("60000"), **good)
    assert_refused(result, field, expected)


@PROPS
@given(market_specs(), st.data())
def test_amount_below_minimum_is_refused(market, data):
    assume(market.min_amount > market.amount_step)
    units = data.draw(st.integers(1, int(market.min_amount / market.amount_step) - 1))
    amount = units * market.amount_step
    result = validate(market, amount=format(amount, "f"), price="60000", free=RICH)
    assert_refused(result, "amount", f"Minimum amount is {format(market.min_amount, 'f')} BTC")


@PROPS
@given(
    market_specs(),
    decimals("0", "100000", 2),
    on_grid(2, 100, 10**7),
    st.sampled_from(ACCOUNT_LEVERAGES),
)
def test_max_affordable_amount_is_accepted_and_one_step_more_is_not(market, free, price, leverage):
    price = price.quantize(market.price_step) if market.price_precision < 2 else price
    assume(price > 0)
    lev = effective_leverage(leverage, market.product)
    fee_rate = market.taker_fee / 100
    most = risk.max_amount_for_balance(free, price, lev, market.amount_step, fee_rate)
    over = most + market.amount_step
    assume(over >= market.min_amount)
    refused = validate(
        market,
        amount=format(over, "f"),
        price=format(price, "f"),
        free=free,
        leverage=leverage,
        mark=price,
    )
    assert_refused(refused, "amount", "Needs ")
    assert "free" in refused.errors["amount"]
    assert refused.preview is not None  # the trader still sees what it would cost
    if most >= market.min_amount:
        ok = validate(
            market,
            amount=format(most, "f"),
            price=format(price, "f"),
            free=free,
            leverage=leverage,
            mark=price,
        )
        assert ok.errors == {} and ok.request is not None
        assert ok.request.amount == most


# --- example messages -----------------------------------------------------------------------------


def test_messages_are_short_and_human():
    assert validate(amount="0.00001").errors == {"amount": "Amount must be a multiple of 0.0001"}
    assert validate(make_market(min_amount="0.001"), amount="0.0005").errors == {
        "amount": "Minimum amount is 0.001 BTC"
    }
    needs = validate(
        make_market(taker_fee="0"), amount="0.1", price="52310", free=D("120"), leverage=10
    )
    assert needs.errors == {"amount": "Needs 523.10 USDT (margin + fee), 120.00 free"}
    assert validate(amount="1e3").errors == {
        "amount": "Amount: no exponents, write 1000 instead of 1e3"
    }
    assert validate(amount="1E-2").errors == {
        "amount": "Amount: no exponents, write 0.01 instead of 1E-2"
    }
    assert validate(amount="NaN").errors == {"amount": "Amount must be a finite number"}
    assert validate(amount="").errors == {"amount": "Amount is required"}
    assert validate(amount="-1").errors == {"amount": "Amount must be positive"}
    assert validate(amount="0").errors == {"amount": "Amount must be greater than 0"}
    assert validate(amount="abc").errors == {"amount": "Amount must be a number"}
    assert validate(amount="0,5").errors == {"amount": "Amount: use '.' as the decimal separator"}
    assert validate(price="59000.001").errors == {"price": "Price must be a multiple of 0.01"}
    assert validate(amount="0.0001", price="100").errors == {
        "amount": "Total 0.01 USDT is below the minimum 5 USDT"
    }
    assert validate(make_market(max_total="1000"), amount="1", price="1000.01").errors == {
        "amount": "Total 1000.01 USDT is above the maximum 1000 USDT"
    }


def test_fee_counts_towards_the_margin():
    # 0.1 BTC at 50000, 10x: margin 500, taker 0.1 % of 5000 = 5 -> needs 505.
    market = make_market(taker_fee="0.1")
    assert validate(market, amount="0.1", price="50000", free=D("505")).errors == {}
    assert validate(market, amount="0.1", price="50000", free=D("504.99")).errors == {
        "amount": "Needs 505.00 USDT (margin + fee), 504.99 free"
    }


def test_trailing_zeros_are_quantized_to_the_market_precision():
    result = validate(amount="0.0100000", price="59000.000")
    assert result.request is not None
    assert str(result.request.amount) == "0.0100"
    assert str(result.request.price) == "59000.00"


def test_huge_numbers_are_refused_not_crashing():
    assert_refused(validate(amount="9" * 40), "amount", "too large")
    assert_refused(validate(price="1" + "0" * 30), "price", "too large")
    assert_refused(validate(amount="1e999999999"), "amount", "exponent")


# --- leverage -------------------------------------------------------------------------------------


@given(st.integers(-1000, 1000).filter(lambda n: n not in ACCOUNT_LEVERAGES))
def test_leverage_outside_the_allowed_list_is_refused(leverage):
    assert_refused(validate(leverage=leverage), "leverage", "not allowed")


def test_leverage_per_product():
    # Margin pairs use at most 10x of the account leverage: 50x applies as 10x.
    result = validate(BTC_USDT, leverage=50, price="59000")
    assert result.errors == {}
    assert result.preview is not None and result.preview.leverage == 10
    # A futures market whose own maximum is lower than the account leverage refuses the order.
    limited = make_market(max_leverage=20)
    assert_refused(validate(limited, leverage=50), "leverage", "at most 20x")
    assert validate(limited, leverage=20).errors == {}


# --- position side --------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [None, "", "BOTH", PositionSide.BOTH, "sideways"])
def test_hedge_mode_needs_long_or_short(value):
    assert_refused(validate(hedge_mode=True, position_side=value), "position_side")


@pytest.mark.parametrize("value", ["LONG", "short", PositionSide.LONG, PositionSide.SHORT])
def test_one_way_mode_forbids_a_position_side(value):
    assert_refused(validate(hedge_mode=False, position_side=value), "position_side", "one-way")


@pytest.mark.parametrize(
    ("value", "expected"), [("long", PositionSide.LONG), (PositionSide.SHORT, PositionSide.SHORT)]
)
def test_hedge_mode_position_side_is_sent(value, expected):
    result = validate(hedge_mode=True, position_side=value)
    assert result.request is not None and result.request.position_side is expected


def test_margin_pairs_net_one_way_even_in_hedge_mode():
    assert_refused(
        validate(BTC_USDT, hedge_mode=True, position_side="LONG"), "position_side", "margin pairs"
    )
    result = validate(BTC_USDT, hedge_mode=True, position_side=None)
    assert result.errors == {} and result.request is not None
    assert result.request.position_side is None


@pytest.mark.parametrize("value", [None, "", "BOTH"])
def test_one_way_mode_omits_the_position_side(value):
    result = validate(hedge_mode=False, position_side=value)
    assert result.request is not None and result.request.position_side is None


def test_closing_orders_need_no_margin():
    # reduce-only
    result = validate(side="sell", amount="1", free=D(0), reduce_only=True, price="61000")
    assert result.errors == {} and result.request is not None and result.request.reduce_only
    assert result.preview is not None and not result.preview.opens
    assert result.preview.required_margin == 0
    # hedge mode: sell + LONG closes the long
    result = validate(
        hedge_mode=True, side="sell", position_side="LONG", amount="1", free=D(0), price="61000"
    )
    assert result.errors == {}
    assert result.preview is not None and result.preview.direction is Direction.LONG
    # ... while sell + SHORT opens a short and needs margin
    result = validate(
        hedge_mode=True, side="sell", position_side="SHORT", amount="1", free=D(0), price="61000"
    )
    assert_refused(result, "amount", "Needs ")


# --- order types ----------------------------------------------------------------------------------


def test_market_order_uses_the_mark_price():
    result = validate(type=OrderType.MARKET, price="not shown, ignored", mark=D("60000"))
    assert result.errors == {}
    assert result.request is not None and result.request.price is None
    assert result.preview is not None and result.preview.price == D("60000")


def test_market_order_without_mark_price_is_refused():
    assert_refused(validate(type="market", mark=None), "market", "No mark price")


def test_market_order_total_uses_the_mark_price():
    assert_refused(
        validate(type="market", amount="0.0001", mark=D("100")), "amount", "Total about 0.01"
    )


@pytest.mark.parametrize(
    ("order_type", "missing"),
    [
        (OrderType.LIMIT, "price"),
        (OrderType.STOP_LIMIT, "price"),
        (OrderType.STOP_LIMIT, "activation_price"),
        (OrderType.TRIGGER_MARKET, "activation_price"),
        (OrderType.OCO, "price"),
        (OrderType.OCO, "activation_price"),
        (OrderType.OCO, "stop_limit_price"),
    ],
)
def test_each_type_requires_its_prices(order_type, missing):
    fields = {"price": "59000", "activation_price": "61000", "stop_limit_price": "61500"}
    fields[missing] = ""
    assert_refused(validate(type=order_type, **fields), missing, "is required")


def test_unused_fields_are_ignored():
    result = validate(
        type=OrderType.TRIGGER_MARKET,
        price="junk",
        stop_limit_price="junk",
        activation_price="61000",
    )
    assert result.errors == {}
    assert result.request is not None
    assert result.request.price is None and result.request.stop_limit_price is None
    assert result.request.activation_price == D("61000")


@PROPS
@given(
    st.sampled_from([OrderType.STOP_LIMIT, OrderType.TRIGGER_MARKET]),
    st.sampled_from(list(Side)),
    on_grid(2, 100000, 10**7),
    on_grid(2, 100000, 10**7),
)
def test_stop_trigger_direction(order_type, side, last, activation):
    # buy stops fire when the price rises to the trigger (WhiteBIT: activation condition gte),
    # sell stops when it falls (lte); a trigger at the last price is refused (error 101).
    result = validate(
        type=order_type,
        side=side,
        activation_price=format(activation, "f"),
        price="1000",
        amount="0.01",
        mark=last,
        free=RICH,
    )
    valid = activation > last if side is Side.BUY else activation < last
    if valid:
        assert "activation_price" not in result.errors
        assert result.request is not None
    else:
        assert_refused(result, "activation_price", "last price")


@PROPS
@given(
    st.sampled_from(list(Side)),
    on_grid(2, 100000, 10**7),
    on_grid(2, 100000, 10**7),
    on_grid(2, 100000, 10**7),
    st.booleans(),
)
def test_oco_direction(side, last, take_profit, stop, know_last):
    result = validate(
        type=OrderType.OCO,
        side=side,
        amount="0.01",
        price=format(take_profit, "f"),
        activation_price=format(stop, "f"),
        stop_limit_price=format(stop, "f"),
        mark=last if know_last else None,
        free=RICH,
    )
    if side is Side.BUY:
        valid = take_profit < stop and (not know_last or take_profit < last < stop)
    else:
        valid = take_profit > stop and (not know_last or take_profit > last > stop)
    if valid:
        assert result.errors == {}
        assert result.request is not None and result.request.type is OrderType.OCO
    else:
        assert result.request is None
        assert {"price", "activation_price"} & result.errors.keys()


def test_oco_preview_uses_the_more_expensive_leg():
    result = validate(type="oco", price="59000", activation_price="61000", stop_limit_price="61500")
    assert result.preview is not None and result.preview.price == D("61500")


# --- market, side, type, client order id ----------------------------------------------------------


def test_form_for_another_market_is_refused():
    assert_refused(validate(BTC_PERP, form_market="ETH_PERP"), "market", "ETH_PERP")
    assert_refused(validate(form_market=""), "market", "Pick a market")
    assert validate(form_market="btc_perp").errors == {}


@pytest.mark.parametrize("side", ["", "long", "bye", None])
def test_bad_side(side):
    assert_refused(validate(side=side), "side")


@pytest.mark.parametrize("order_type", ["", "stop", "fok", None])
def test_bad_type(order_type):
    assert_refused(validate(type=order_type), "type")


@pytest.mark.parametrize("text", ["stop limit", "Stop-Limit", "stop_limit", OrderType.STOP_LIMIT])
def test_type_spellings(text):
    result = validate(type=text, activation_price="61000")
    assert result.request is not None and result.request.type is OrderType.STOP_LIMIT


def test_client_order_id():
    assert validate(client_order_id="my-order_1.a").request.client_order_id == "my-order_1.a"  # type: ignore[union-attr]
    assert_refused(validate(client_order_id="no spaces!"), "client_order_id")


def test_every_refusal_sends_nothing_and_names_known_fields():
    bad = validate(
        form_market="",
        side="x",
        type="y",
        amount="-1",
        leverage=4,
        position_side="LONG",
        client_order_id="?",
    )
    assert bad.request is None
    assert set(bad.errors) == {
        "market",
        "side",
        "type",
        "amount",
        "leverage",
        "position_side",
        "client_order_id",
    }


def test_first_problem_with_the_amount_is_the_one_shown():
    # Below the minimum *and* unaffordable: the minimum is what the trader must fix first.
    result = validate(make_market(min_amount="0.001"), amount="0.0005", price="59000", free=D(0))
    assert result.errors == {"amount": "Minimum amount is 0.001 BTC"}
