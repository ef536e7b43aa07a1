"""The risk preview nets an order against the position it meets, as the exchange does.

Every number is checked against a hand-computed reference: exact Decimals for margins, released
margin and PnL (products and pro-rata shares of typed numbers), and a ``Fraction`` for the
liquidation prices (a quotient: the Decimal must be that fraction correctly rounded to 28 digits).

The model is the sandbox engine's (tui/sandbox/engine/positions.py): an opposite trade reduces the
position first (margin released pro rata, PnL realized at the fill price) and, one-way, opens the
other direction with the rest; a same-direction trade grows the position (size-weighted entry,
margin + the added part's initial margin); a closing-only order is clipped to the position.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from tui.domain import risk
from tui.domain.markets import leverages_for
from tui.domain.models import (
    Direction,
    Market,
    OrderType,
    Position,
    PositionSide,
    Product,
    Side,
)
from tui.domain.preview import Effect
from tui.domain.validation import (
    OrderForm,
    RiskPreview,
    ValidationResult,
    validate_order_form,
)

D = Decimal
MARK = D("65000")
RICH = D("100000")
PERP_MMR = Fraction(5, 1000)
MARGIN_MMR = Fraction(3, 100)


def make_market(product: Product) -> Market:
    futures = product is Product.FUTURES
    return Market(
        name="BTC_PERP" if futures else "BTC_USDT",
        product=product,
        base="BTC",
        quote="USDT",
        amount_precision=4,
        price_precision=2,
        min_amount=D("0.0001"),
        min_total=D("5"),
        max_total=D("0"),
        maker_fee=D("0.02"),
        taker_fee=D("0.05"),
        leverages=leverages_for(product),
        max_leverage=100 if futures else 10,
    )


PERP = make_market(Product.FUTURES)
PAIR = make_market(Product.MARGIN)


def position(
    amount: str,
    entry: str,
    margin: str,
    *,
    market: str = "BTC_PERP",
    side: PositionSide = PositionSide.BOTH,
    pid: int = 1,
) -> Position:
    return Position(
        id=pid,
        market=market,
        amount=D(amount),
        base_price=D(entry),
        liquidation_price=None,
        liquidation_state=None,
        margin=D(margin),
        free_margin=D(0),
        pnl=D(0),
        realized_pnl=D(0),
        funding=D(0),
        unrealized_funding=D(0),
        position_side=side,
    )


#: One-way BTC_PERP long 0.01 at 60000 with 12 USDT margin (50x) and a short 0.02 at 70000 (28).
LONG = position("0.01", "60000", "12")
SHORT = position("-0.02", "70000", "28")


def validate(
    positions: tuple[Position, ...],
    *,
    market: Market = PERP,
    hedge_mode: bool = False,
    leverage: int = 50,
    free: Decimal = RICH,
    mark: Decimal | None = MARK,
    **fields: object,
) -> ValidationResult:
    form_fields: dict[str, object] = {
        "market": market.name,
        "side": "sell",
        "type": OrderType.MARKET,
        "amount": "0.01",
    }
    form_fields.update(fields)
    return validate_order_form(
        OrderForm(**form_fields),  # type: ignore[arg-type]
        market=market,
        hedge_mode=hedge_mode,
        free_collateral=free,
        leverage=leverage,
        mark_price=mark,
        positions=positions,
    )


def preview_of(result: ValidationResult) -> RiskPreview:
    assert result.errors == {}, result.errors
    assert result.preview is not None
    return result.preview


def assert_quotient(value: Decimal | None, reference: Fraction, digits: int = 27) -> None:
    """``value`` is ``reference`` rounded to the default 28 significant digits (``digits``: the
    relative error allowed, 10**-digits; a chain of quotients rounds once per step)."""
    assert value is not None
    assert abs(Fraction(value) - reference) <= abs(reference) / 10**digits, (value, reference)


def long_liq(price: Fraction, lev: int, mmr: Fraction) -> Fraction:
    return price * (1 - Fraction(1, lev)) / (1 - mmr)


def short_liq(price: Fraction, lev: int, mmr: Fraction) -> Fraction:
    return price * (1 + Fraction(1, lev)) / (1 + mmr)


def assert_releases(p: RiskPreview, *, reduced: str, released: str, pnl: str | None) -> None:
    assert p.reduced == D(reduced)
    assert p.released_margin == D(released)
    assert p.realized_pnl == (None if pnl is None else D(pnl))


def assert_nothing_opens(p: RiskPreview) -> None:
    assert not p.opens and p.opened == 0
    assert p.required_margin == 0
    assert p.est_liquidation_price is None and p.liq_distance_pct is None


# --- one-way: long ---------------------------------------------------------------------------------


def test_a_smaller_sell_reduces_the_long():
    p = preview_of(validate((LONG,), amount="0.004"))
    assert p.effect is Effect.REDUCE and p.direction is Direction.LONG
    assert p.held_size == D("0.01") and p.remaining == D("0.006")
    # 12 * 0.004 / 0.01 released; (65000 - 60000) * 0.004 realized
    assert_releases(p, reduced="0.004", released="4.8", pnl="20")
    assert_nothing_opens(p)


def test_a_sell_of_the_whole_long_closes_it_and_opens_nothing():
    """The issue's case: not 'Margin 13.06 at 50x / Est. liq ...' of a new short."""
    p = preview_of(validate((LONG,), amount="0.01"))
    assert p.effect is Effect.CLOSE and p.remaining == 0
    assert_releases(p, reduced="0.01", released="12", pnl="50")
    assert_nothing_opens(p)
    assert p.fee == D("0.01") * MARK * D("0.05") / 100


def test_a_larger_sell_flips_the_long_into_a_short_of_the_rest():
    p = preview_of(validate((LONG,), amount="0.03"))
    assert p.effect is Effect.FLIP and p.direction is Direction.SHORT and p.opens
    assert_releases(p, reduced="0.01", released="12", pnl="50")
    assert p.opened == D("0.02")
    assert p.required_margin == D("26")  # 0.02 * 65000 / 50
    liq = short_liq(Fraction(65000), 50, PERP_MMR)
    assert_quotient(p.est_liquidation_price, liq)
    assert p.est_liquidation_price is not None and p.liq_distance_pct is not None
    assert p.liq_distance == p.est_liquidation_price - MARK
    assert_quotient(p.liq_distance_pct, (liq - 65000) / 65000 * 100, digits=25)


def test_a_buy_adds_to_the_long_and_the_liquidation_is_the_grown_positions():
    p = preview_of(validate((LONG,), side="buy", amount="0.01"))
    assert p.effect is Effect.ADD and p.direction is Direction.LONG and p.liq_combined
    assert p.opened == D("0.01") and p.reduced == 0 and p.realized_pnl is None
    assert p.required_margin == D("13")  # the added part only: 0.01 * 65000 / 50
    # size 0.02, cost 600 + 650, margin 12 + 13: (1250 - 25) / (0.02 * 0.995)
    liq = (Fraction(1250) - 25) / (Fraction(2, 100) * (1 - PERP_MMR))
    assert_quotient(p.est_liquidation_price, liq)
    # ... which is what the engine's own formula gives for the grown position
    grown = risk.liquidation_price(Direction.LONG, D("0.02"), D("62500"), D("25"), D("0.005"))
    assert grown is not None and p.est_liquidation_price is not None
    assert abs(grown - p.est_liquidation_price) < D("1e-20")


# --- one-way: short --------------------------------------------------------------------------------


def test_a_smaller_buy_reduces_the_short():
    p = preview_of(validate((SHORT,), side="buy", amount="0.005"))
    assert p.effect is Effect.REDUCE and p.direction is Direction.SHORT
    assert p.remaining == D("0.015")
    assert_releases(p, reduced="0.005", released="7", pnl="25")  # (70000 - 65000) * 0.005
    assert_nothing_opens(p)


def test_a_buy_of_the_whole_short_closes_it():
    p = preview_of(validate((SHORT,), side="buy", amount="0.02"))
    assert p.effect is Effect.CLOSE
    assert_releases(p, reduced="0.02", released="28", pnl="100")
    assert_nothing_opens(p)


def test_a_larger_buy_flips_the_short_into_a_long():
    p = preview_of(validate((SHORT,), side="buy", amount="0.05"))
    assert p.effect is Effect.FLIP and p.direction is Direction.LONG
    assert_releases(p, reduced="0.02", released="28", pnl="100")
    assert p.opened == D("0.03") and p.required_margin == D("39")
    assert_quotient(p.est_liquidation_price, long_liq(Fraction(65000), 50, PERP_MMR))
    assert p.liq_distance == MARK - p.est_liquidation_price  # type: ignore[operator]


def test_a_sell_adds_to_the_short():
    p = preview_of(validate((SHORT,), amount="0.02"))
    assert p.effect is Effect.ADD and p.required_margin == D("26")
    # size 0.04, cost 1400 + 1300, margin 28 + 26: (2700 + 54) / (0.04 * 1.005)
    liq = (Fraction(2700) + 54) / (Fraction(4, 100) * (1 + PERP_MMR))
    assert_quotient(p.est_liquidation_price, liq)


def test_a_losing_close_realizes_a_loss():
    p = preview_of(validate((LONG,), amount="0.01", mark=D("59000")))
    assert p.realized_pnl == D("-10")  # (59000 - 60000) * 0.01


# --- closing-only orders ---------------------------------------------------------------------------


def test_reduce_only_is_clipped_to_the_position_and_never_flips():
    p = preview_of(validate((LONG,), amount="0.03", reduce_only=True))
    assert p.effect is Effect.CLOSE
    assert_releases(p, reduced="0.01", released="12", pnl="50")
    assert_nothing_opens(p)


def test_reduce_only_with_nothing_to_reduce_says_so():
    p = preview_of(validate((LONG,), side="buy", reduce_only=True))
    assert p.effect is Effect.NOTHING and p.direction is Direction.SHORT
    assert_nothing_opens(p)
    p = preview_of(validate((), reduce_only=True))
    assert p.effect is Effect.NOTHING and p.direction is Direction.LONG


# --- hedge mode ------------------------------------------------------------------------------------

H_LONG = position("0.01", "60000", "12", side=PositionSide.LONG, pid=1)
H_SHORT = position("-0.02", "70000", "28", side=PositionSide.SHORT, pid=2)


def test_hedge_mode_reduces_the_chosen_side_at_the_limit_price():
    both = (H_LONG, H_SHORT)
    # sell 0.004 LONG at 66000 (rests above the mark: fills at its limit)
    p = preview_of(
        validate(
            both,
            hedge_mode=True,
            type=OrderType.LIMIT,
            price="66000",
            amount="0.004",
            position_side="LONG",
        )
    )
    assert p.effect is Effect.REDUCE and p.direction is Direction.LONG and not p.crosses_market
    assert p.remaining == D("0.006")
    assert_releases(p, reduced="0.004", released="4.8", pnl="24")  # (66000 - 60000) * 0.004
    assert_nothing_opens(p)
    # buy 0.005 SHORT at 64000 reduces the short, not the long
    p = preview_of(
        validate(
            both,
            hedge_mode=True,
            side="buy",
            type=OrderType.LIMIT,
            price="64000",
            amount="0.005",
            position_side="SHORT",
        )
    )
    assert p.effect is Effect.REDUCE and p.direction is Direction.SHORT
    assert p.held_size == D("0.02") and p.remaining == D("0.015")
    assert_releases(p, reduced="0.005", released="7", pnl="30")  # (70000 - 64000) * 0.005


def test_hedge_mode_closing_more_than_the_side_closes_it_and_never_flips():
    p = preview_of(
        validate((H_LONG, H_SHORT), hedge_mode=True, amount="0.03", position_side="LONG")
    )
    assert p.effect is Effect.CLOSE
    assert_releases(p, reduced="0.01", released="12", pnl="50")
    assert_nothing_opens(p)


def test_hedge_mode_opening_side_adds_to_that_side_only():
    p = preview_of(
        validate((H_LONG, H_SHORT), hedge_mode=True, amount="0.02", position_side="SHORT")
    )
    assert p.effect is Effect.ADD and p.held_size == D("0.02") and p.required_margin == D("26")
    p = preview_of(validate((H_SHORT,), hedge_mode=True, side="buy", position_side="LONG"))
    assert p.effect is Effect.OPEN and p.required_margin == D("13")


def test_hedge_mode_closing_a_side_with_no_position():
    p = preview_of(validate((H_SHORT,), hedge_mode=True, position_side="LONG"))
    assert p.effect is Effect.NOTHING and p.direction is Direction.LONG
    assert_nothing_opens(p)


# --- marketable limits -----------------------------------------------------------------------------


def test_a_buy_limit_above_the_mark_is_previewed_at_the_mark():
    p = preview_of(validate((), side="buy", type=OrderType.LIMIT, price="66000", leverage=10))
    assert p.crosses_market and p.price == MARK
    assert p.notional == D("650") and p.required_margin == D("65")
    assert p.fee == D("650") * D("0.05") / 100
    liq = long_liq(Fraction(65000), 10, PERP_MMR)
    assert_quotient(p.est_liquidation_price, liq)
    assert p.est_liquidation_price is not None and p.est_liquidation_price < MARK


def test_a_buy_limit_at_the_mark_crosses_too():
    p = preview_of(validate((), side="buy", type=OrderType.LIMIT, price="65000"))
    assert p.crosses_market and p.price == MARK


def test_a_sell_limit_below_the_mark_is_previewed_at_the_mark():
    p = preview_of(validate((), type=OrderType.LIMIT, price="64000", leverage=10))
    assert p.crosses_market and p.price == MARK and p.required_margin == D("65")
    assert_quotient(p.est_liquidation_price, short_liq(Fraction(65000), 10, PERP_MMR))
    assert p.est_liquidation_price is not None and p.est_liquidation_price > MARK


def test_a_resting_limit_is_previewed_at_its_own_price():
    p = preview_of(validate((), side="buy", type=OrderType.LIMIT, price="64000", leverage=10))
    assert not p.crosses_market and p.price == D("64000") and p.required_margin == D("64")
    assert_quotient(p.est_liquidation_price, long_liq(Fraction(64000), 10, PERP_MMR))
    p = preview_of(validate((), type=OrderType.LIMIT, price="66000", leverage=10))
    assert not p.crosses_market and p.price == D("66000")


def test_a_marketable_sell_limit_closes_the_long_at_the_mark():
    p = preview_of(validate((LONG,), type=OrderType.LIMIT, price="60000"))
    assert p.crosses_market and p.effect is Effect.CLOSE
    assert p.realized_pnl == D("50")  # at the fill (65000), not the limit (which would say 0)


def test_a_marketable_limit_is_checked_for_margin_at_its_limit_as_the_exchange_reserves():
    # 0.01 at 70000, 10x: margin 70 + fee 0.35 at the limit; at the mark it would be 65.325
    needed = D("70.35")
    ok = validate((), side="buy", type=OrderType.LIMIT, price="70000", leverage=10, free=needed)
    assert ok.errors == {}
    short = validate(
        (), side="buy", type=OrderType.LIMIT, price="70000", leverage=10, free=needed - D("0.01")
    )
    assert "Needs 70.35" in short.errors["amount"]


# --- margin check and netting ----------------------------------------------------------------------


def test_closing_needs_no_free_collateral_and_a_flip_needs_the_new_part_only():
    assert validate((LONG,), amount="0.01", free=D(0)).errors == {}
    assert validate((LONG,), amount="0.004", free=D(0)).errors == {}
    # flip 0.03: margin of the new 0.02 short (26) + the fee on all 0.03 (0.975)
    needed = D("26.975")
    assert validate((LONG,), amount="0.03", free=needed).errors == {}
    refused = validate((LONG,), amount="0.03", free=needed - D("0.001"))
    assert "Needs 26.98" in refused.errors["amount"]
    # without the position the same sell needs margin for all of it
    assert "amount" in validate((), amount="0.03", free=needed).errors


# --- margin pair vs perpetual ----------------------------------------------------------------------

PAIR_LONG = position("0.01", "60000", "60", market="BTC_USDT")  # 10x


@pytest.mark.parametrize("hedge_mode", [False, True])
def test_a_margin_pair_nets_one_way_at_its_own_leverage_and_maintenance(hedge_mode):
    # account 50x -> 10x on margin pairs; the pair nets one way even in hedge mode
    p = preview_of(validate((PAIR_LONG, LONG), market=PAIR, amount="0.03", hedge_mode=hedge_mode))
    assert p.effect is Effect.FLIP and p.leverage == 10
    assert_releases(p, reduced="0.01", released="60", pnl="50")
    assert p.required_margin == D("130")  # 0.02 * 65000 / 10
    assert_quotient(p.est_liquidation_price, short_liq(Fraction(65000), 10, MARGIN_MMR))


def test_a_position_in_another_market_is_not_netted():
    p = preview_of(validate((PAIR_LONG,), amount="0.01"))  # BTC_PERP order, BTC_USDT position
    assert p.effect is Effect.OPEN and p.required_margin == D("13")
    assert_quotient(p.est_liquidation_price, short_liq(Fraction(65000), 50, PERP_MMR))


# --- OCO and risk helper ---------------------------------------------------------------------------


def test_an_oco_closing_the_long_gives_no_single_pnl():
    p = preview_of(
        validate(
            (LONG,),
            type=OrderType.OCO,
            price="70000",
            activation_price="62000",
            stop_limit_price="61900",
        )
    )
    assert p.effect is Effect.CLOSE and p.realized_pnl is None  # two legs, two outcomes
    assert p.released_margin == D("12")


@pytest.mark.parametrize(
    ("direction", "size", "entry", "margin", "add", "price", "lev"),
    [
        (Direction.LONG, "0.5", "100.25", "5.0125", "0.25", "101", 10),
        (Direction.SHORT, "3", "0.123456", "0.037", "7", "0.2", 3),
        (Direction.LONG, "1", "100", "100", "1", "100", 1),  # fully funded: none
    ],
)
def test_liquidation_after_add_is_the_exact_fraction(
    direction, size, entry, margin, add, price, lev
):
    mmr = D("0.005")
    got = risk.liquidation_price_after_add(
        direction, D(size), D(entry), D(margin), D(add), D(price), lev, mmr
    )
    total = Fraction(size) + Fraction(add)
    cost = Fraction(size) * Fraction(entry) + Fraction(add) * Fraction(price)
    funded = Fraction(margin) + Fraction(add) * Fraction(price) / lev
    if direction is Direction.LONG:
        ref = (cost - funded) / (total * (1 - Fraction(mmr)))
    else:
        ref = (cost + funded) / (total * (1 + Fraction(mmr)))
    if ref <= 0:
        assert got is None
    else:
        assert_quotient(got, ref)


def test_no_side_choice_leaks_a_side_into_the_request():
    result = validate((LONG,), amount="0.03")
    assert result.request is not None and result.request.side is Side.SELL
    assert result.request.position_side is None and not result.request.reduce_only
