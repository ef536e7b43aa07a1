"""Property tests for tui.domain.risk, checked against exact ``fractions.Fraction`` references.

Every input is a Decimal drawn with ``hypothesis.strategies.decimals`` (never floats). Decimal results
of divisions are rounded to the 28-digit default context, so comparisons with the exact rational
reference allow a relative error of 1e-26; everything that can be exact (PnL, steps) is compared
exactly.
"""

from __future__ import annotations

import ast
from decimal import Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import assume, example, given, settings
from hypothesis import strategies as st

from tui.domain import risk
from tui.domain.markets import (
    ACCOUNT_LEVERAGES,
    MAINTENANCE_MARGIN_RATE,
    MARGIN_LEVERAGES,
    effective_leverage,
    product_of,
)
from tui.domain.models import Direction, Product

D = Decimal
F = Fraction
PROPS = settings(max_examples=200, deadline=None)
# Relative tolerance for a single rounded Decimal division in the default 28-digit context.
REL = F(1, 10**26)


def decimals(lo: str, hi: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=D(lo), max_value=D(hi), places=places, allow_nan=False, allow_infinity=False
    )


prices = decimals("0.00000001", "10000000", 8)
sizes = decimals("0.00000001", "1000000", 8)
directions = st.sampled_from(list(Direction))
leverages = st.sampled_from(ACCOUNT_LEVERAGES)
mmrs = st.sampled_from(sorted(set(MAINTENANCE_MARGIN_RATE.values())) + [D("0.01"), D("0.1")])
steps = st.integers(min_value=0, max_value=8).map(lambda p: D(1).scaleb(-p))


def close(value: Decimal, exact: Fraction, rel: Fraction = REL) -> bool:
    return abs(F(value) - exact) <= abs(exact) * rel + F(1, 10**40)


def ref_pnl(direction: Direction, size: Fraction, entry: Fraction, mark: Fraction) -> Fraction:
    """Reference unrealized PnL: what a long gains when the price rises, a short when it falls."""
    move = mark - entry
    return move * size if direction is Direction.LONG else -move * size


def ref_liquidation(
    direction: Direction, size: Fraction, entry: Fraction, margin: Fraction, mmr: Fraction
) -> Fraction:
    """Solve equity(p) == maintenance(p) directly from the definitions (both are linear in p):
    g(p) = margin + pnl(p) - mmr * size * p;  g(p) = a*p + b  ->  p = -b / a."""

    def g(p: Fraction) -> Fraction:
        return margin + ref_pnl(direction, size, entry, p) - mmr * size * p

    b = g(F(0))
    a = g(F(1)) - b
    return -b / a


# --- unrealized PnL -------------------------------------------------------------------------------


@PROPS
@given(directions, sizes, prices, prices)
def test_unrealized_pnl_is_exact(direction, size, entry, mark):
    pnl = risk.unrealized_pnl(direction, size, entry, mark)
    assert isinstance(pnl, Decimal)
    assert F(pnl) == ref_pnl(direction, F(size), F(entry), F(mark))


@PROPS
@given(sizes, prices, prices)
@example(D("248690.87698033"), D("4021056.22909158"), D("1E-8"))  # 29 digits
def test_unrealized_pnl_long_and_short_mirror_and_sign(size, entry, mark):
    long = risk.unrealized_pnl(Direction.LONG, size, entry, mark)
    short = risk.unrealized_pnl(Direction.SHORT, size, entry, mark)
    # copy_negate, not unary minus: minus rounds to the 28-digit context, and an exact PnL
    # (risk computes it in a wide context) can have more digits (size 248690.87698033, entry
    # 4021056.22909158, mark 1E-8: 29)
    assert long == short.copy_negate()
    assert (long > 0) == (mark > entry)
    assert (short > 0) == (mark < entry)
    # The stream reports shorts with a negative amount: the sign of size never matters.
    assert risk.unrealized_pnl(Direction.SHORT, -size, entry, mark) == short


# --- required margin / notional -------------------------------------------------------------------


@PROPS
@given(sizes, prices, leverages)
@example(D("999999.99999997"), D("1000000.00000004"), 1)  # a 29-digit product
def test_required_margin_is_notional_over_leverage(size, price, leverage):
    margin = risk.required_margin(size, price, leverage)
    exact = F(size) * F(price) / leverage
    assert close(margin, exact)
    with localcontext() as exact_product:  # a product of two 15-digit decimals: up to 30 digits
        exact_product.prec = 40
        assert risk.notional(size, price) == size * price
    assert risk.notional(-size, price) == risk.notional(size, price)


@PROPS
@given(sizes, prices, st.lists(leverages, min_size=2, max_size=2, unique=True))
def test_required_margin_shrinks_as_leverage_grows(size, price, pair):
    low, high = sorted(pair)
    assert risk.required_margin(size, price, high) < risk.required_margin(size, price, low)


@pytest.mark.parametrize("leverage", [0, -1, D(0)])
def test_required_margin_refuses_non_positive_leverage(leverage):
    with pytest.raises(ValueError):
        risk.required_margin(D(1), D(100), leverage)


# --- liquidation price ----------------------------------------------------------------------------


@PROPS
@given(directions, sizes, prices, decimals("0", "100000000", 8), mmrs)
def test_liquidation_price_is_where_equity_equals_maintenance(direction, size, entry, margin, mmr):
    liq = risk.liquidation_price(direction, size, entry, margin, mmr)
    exact = ref_liquidation(direction, F(size), F(entry), F(margin), F(mmr))
    # The reference really is the root: equity == maintenance, exactly.
    equity = F(margin) + ref_pnl(direction, F(size), F(entry), exact)
    assert equity == F(mmr) * F(size) * exact
    if exact <= 0:
        # No positive price liquidates (a long funded beyond its notional).
        assert direction is Direction.LONG
        assert liq is None
        return
    assert liq is not None
    assert close(liq, exact)


@PROPS
@given(directions, prices, sizes, leverages, st.sampled_from(list(Product)))
def test_fresh_position_liquidates_on_the_losing_side(direction, entry, size, leverage, product):
    mmr = MAINTENANCE_MARGIN_RATE[product]
    lev = effective_leverage(leverage, product)
    margin = risk.required_margin(size, entry, lev)
    liq = risk.liquidation_price(direction, size, entry, margin, mmr)
    est = risk.estimated_liquidation_price(direction, entry, lev, mmr)
    if direction is Direction.LONG and lev == 1:
        assert liq is None and est is None  # a fully funded long cannot be liquidated by price
        return
    assert liq is not None and est is not None
    # The estimate for a fresh position does not depend on its size.
    assert close(est, F(liq), REL * 10)
    if direction is Direction.LONG:
        assert liq < entry
    else:
        assert liq > entry
    # The margin call comes before liquidation as the price moves against the position.
    call = risk.margin_call_price(direction, size, entry, margin, mmr)
    assert call is not None
    assert call > liq if direction is Direction.LONG else call < liq


@PROPS
@given(directions, sizes, prices, decimals("0.01", "100000", 2), mmrs)
def test_equity_at_decimal_liquidation_price_is_maintenance(direction, size, entry, margin, mmr):
    liq = risk.liquidation_price(direction, size, entry, margin, mmr)
    assume(liq is not None)
    with localcontext() as ctx:
        ctx.prec = 100  # evaluate the definitions exactly at the rounded price
        equity = margin + risk.unrealized_pnl(direction, size, entry, liq)
        maintenance = mmr * size * liq
    # Off only by the 28-digit rounding of the price itself.
    tolerance = size * abs(liq) * D("1e-26") * 2
    assert abs(equity - maintenance) <= tolerance


# --- liquidation distance -------------------------------------------------------------------------


@PROPS
@given(directions, prices, prices, prices)
def test_liquidation_distance_is_signed(direction, mark_a, mark_b, liq):
    da = risk.liquidation_distance(direction, mark_a, liq)
    db = risk.liquidation_distance(direction, mark_b, liq)
    assert da is not None and db is not None
    for mark, dist in ((mark_a, da), (mark_b, db)):
        past = mark < liq if direction is Direction.LONG else mark > liq
        assert (dist.absolute < 0) == past
        assert (dist.absolute == 0) == (mark == liq)
        assert abs(dist.absolute) == abs(mark - liq)
        assert (dist.percent < 0) == (dist.absolute < 0)
        assert close(dist.percent, F(dist.absolute) / F(mark) * 100)
    # Closer to liquidation is smaller: a long gets closer as the mark falls, a short as it rises.
    if mark_a != mark_b:
        lower, higher = (da, db) if mark_a < mark_b else (db, da)
        if direction is Direction.LONG:
            assert lower.absolute < higher.absolute
        else:
            assert lower.absolute > higher.absolute


@given(directions, prices)
def test_liquidation_distance_unknown(direction, mark):
    assert risk.liquidation_distance(direction, mark, None) is None
    assert risk.liquidation_distance(direction, D(0), mark) is None


# --- margin level ---------------------------------------------------------------------------------


@PROPS
@given(decimals("0", "1000000000", 8), decimals("0.00000001", "1000000000", 8))
def test_margin_level_is_assets_over_liabilities(assets, liabilities):
    level = risk.margin_level(assets, liabilities)
    assert level is not None
    assert close(level, F(assets) / F(liabilities))
    assert (level >= 1) == (assets >= liabilities)


@given(decimals("0", "1000000", 8), decimals("-1000", "0", 8))
def test_margin_level_without_borrowing(assets, liabilities):
    assert risk.margin_level(assets, liabilities) is None


# --- steps and ticks ------------------------------------------------------------------------------


@PROPS
@given(decimals("0", "100000000", 12), steps)
def test_round_to_step(value, step):
    down = risk.round_to_step(value, step)
    up = risk.round_to_step(value, step, up=True)
    for r in (down, up):
        assert risk.on_step(r, step)
        assert r.as_tuple().exponent == step.as_tuple().exponent
    assert down <= value < down + step
    assert up - step < value <= up


@PROPS
@given(decimals("0.00000001", "100000000", 12), steps)
def test_prices_land_on_tick(value, tick):
    price = risk.quantize_price(value, tick)
    assert risk.on_step(price, tick)
    assert abs(price - value) * 2 <= tick


@PROPS
@given(
    decimals("0", "1000000000", 12),
    decimals("0.000000000001", "1000000000", 12),
    leverages,
    st.integers(min_value=0, max_value=12).map(lambda p: D(1).scaleb(-p)),
    st.sampled_from([D(0), D("0.0002"), D("0.0005"), D("0.00075"), D("0.001")]),
)
@example(free=D("5E-12"), price=D("5E-12"), leverage=3, step=D(1), fee_rate=D(0))
@example(
    free=D("1999999.999999979835"),
    price=D("2.0161E-8"),
    leverage=100,
    step=D("1e-12"),
    fee_rate=D(0),
)
@example(
    free=D("1999999.999999959835"), price=D("1E-12"), leverage=100, step=D("1e-8"), fee_rate=D(0)
)
def test_max_amount_for_balance_never_exceeds_the_balance(free, price, leverage, step, fee_rate):
    # The explicit examples broke the original 28-digit version (an amount above the balance, a
    # non-maximal amount, and InvalidOperation from quantize).
    amount = risk.max_amount_for_balance(free, price, leverage, step, fee_rate)
    assert amount >= 0
    assert risk.on_step(amount, step)

    def cost(a: Fraction) -> Fraction:  # margin + fee, exactly
        return a * F(price) / leverage + a * F(price) * F(fee_rate)

    assert cost(F(amount)) <= F(free)
    # ... and it is the largest such amount on the step.
    assert cost(F(amount) + F(step)) > F(free)


@PROPS
@given(decimals("0", "1000000", 8), decimals("0", "100", 2), steps)
def test_percent_of_rounds_down_to_step(value, percent, step):
    part = risk.percent_of(value, percent, step)
    assert risk.on_step(part, step)
    assert F(part) <= F(value) * F(percent) / 100
    assert F(part) + F(step) > F(value) * F(percent) / 100


@PROPS
@given(
    st.decimals(allow_nan=False, allow_infinity=False, min_value=D("-1e20"), max_value=D("1e20"))
)
def test_fmt_is_plain_and_round_trips(value):
    text = risk.fmt(value)
    assert "e" not in text.lower()
    assert D(text) == value
    assert risk.fmt(None) == "-"


# --- markets --------------------------------------------------------------------------------------


@given(st.sampled_from(ACCOUNT_LEVERAGES))
def test_effective_leverage(leverage):
    assert effective_leverage(leverage, Product.FUTURES) == leverage
    margin = effective_leverage(leverage, Product.MARGIN)
    assert margin == min(leverage, 10)
    assert margin in MARGIN_LEVERAGES


def test_product_of():
    assert product_of("BTC_PERP") is Product.FUTURES
    assert product_of("btc_perp") is Product.FUTURES
    assert product_of("BTC_USDT") is Product.MARGIN


# --- no float anywhere in the domain --------------------------------------------------------------


def test_domain_code_has_no_float():
    root = Path(__file__).resolve().parents[2] / "tui" / "domain"
    offenders = []
    for path in sorted(root.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Constant) and isinstance(node.value, float):
                offenders.append(f"{path.name}:{node.lineno}: float literal {node.value!r}")
            if isinstance(node, ast.Name) and node.id == "float":
                offenders.append(f"{path.name}:{node.lineno}: uses float")
    assert not offenders, "\n".join(offenders)
