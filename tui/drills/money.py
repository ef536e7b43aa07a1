"""Drill 11: money math (property-based, against a ``Fraction`` reference) and bad order-form
input (each refused at its field, nothing sent: checked on the sandbox's request log).

Needs ``hypothesis`` (a test dependency: ``pip install '.[test]'``).
"""

from __future__ import annotations

import dataclasses
import json
from decimal import Decimal
from fractions import Fraction
from typing import Any

from tui.api.rest import WhiteBitRest
from tui.api.signing import Credentials, encode_body, sign_request
from tui.domain import risk
from tui.domain.markets import ACCOUNT_LEVERAGES
from tui.domain.models import Direction, Market, OrderRequest, OrderType, Product, Side
from tui.domain.validation import OrderForm, ValidationResult, validate_order_form
from tui.sandbox.faults import ORDER_PATHS
from tui.service import TradingService

from .base import DrillContext, DrillFailure, check

D = Decimal
EXAMPLES = 150


def _strategies() -> Any:
    from hypothesis import strategies as st

    def dec(lo: str, hi: str, places: int) -> Any:
        return st.decimals(D(lo), D(hi), places=places, allow_nan=False, allow_infinity=False)

    return st, dec


def money_properties(examples: int = EXAMPLES) -> None:
    """Raises (hypothesis' falsifying example) when a money rule is broken."""
    from hypothesis import example, given, settings

    st, dec = _strategies()
    props = settings(max_examples=examples, deadline=None, database=None, derandomize=True)
    steps = st.integers(0, 8).map(lambda p: D(1).scaleb(-p))
    levs = st.sampled_from(ACCOUNT_LEVERAGES)

    @props
    @given(
        dec("0.01", "10000000", 2),
        dec("0.00000001", "1000000", 8),
        levs,
        steps,
        dec("0", "0.01", 5),
    )
    def max_amount_never_exceeds_balance(free: D, price: D, lev: int, step: D, fee: D) -> None:
        amount = risk.max_amount_for_balance(free, price, lev, step, fee)
        cost = Fraction(amount) * Fraction(price) * (1 / Fraction(lev) + Fraction(fee))
        assert cost <= Fraction(free), (amount, cost, free)
        assert risk.on_step(amount, step)
        more = Fraction(amount + step) * Fraction(price) * (1 / Fraction(lev) + Fraction(fee))
        assert more > Fraction(free), "not the largest amount that fits"

    @props
    @given(dec("0.00000001", "10000000", 12), st.integers(0, 8))
    def prices_always_on_tick(value: D, places: int) -> None:
        step = D(1).scaleb(-places)
        tick = risk.quantize_price(value, step)
        assert risk.on_step(tick, step)
        assert abs(Fraction(tick) - Fraction(value)) <= Fraction(step) / 2

    @props
    @given(
        st.sampled_from(list(Direction)),
        dec("0.00000001", "10000000", 8),
        dec("0.00000001", "10000000", 8),
        dec("0.00000001", "10000000", 8),
        levs,
    )
    # 14-digit size x 15-digit price difference: more than Decimal's default 28 digits
    @example(Direction.LONG, D("999999.99999997"), D("1000000.00000005"), D("1E-8"), 3)
    def pnl_and_margin_exact(direction: Direction, size: D, entry: D, mark: D, lev: int) -> None:
        pnl = risk.unrealized_pnl(direction, size, entry, mark)
        sign = 1 if direction is Direction.LONG else -1
        assert Fraction(pnl) == sign * (Fraction(mark) - Fraction(entry)) * Fraction(size)
        margin = risk.required_margin(size, entry, lev)
        exact = Fraction(size) * Fraction(entry) / lev
        if 10**6 % lev == 0:  # 1, 2, 5, 10, 20, 50, 100: exact
            assert Fraction(margin) == exact, (margin, exact)
        else:  # a quotient by 3 cannot be exact in decimal: within the 90th digit
            assert abs(Fraction(margin) - exact) <= exact * Fraction(1, 10**90), (margin, exact)

    @props
    @given(
        st.sampled_from(
            [
                OrderType.LIMIT,
                OrderType.MARKET,
                OrderType.STOP_LIMIT,
                OrderType.TRIGGER_MARKET,
                OrderType.OCO,
            ]
        ),
        dec("0.00000001", "1000", 8),
        dec("0.01", "1000000", 2),
    )
    def no_float_in_payloads(kind: OrderType, amount: D, price: D) -> None:
        req = OrderRequest(
            "BTC_PERP",
            Side.BUY,
            kind,
            amount,
            price=price,
            activation_price=price,
            stop_limit_price=price,
            client_order_id="x",
        )
        path, params = WhiteBitRest._order_params(req)
        body = sign_request(path, params, Credentials("k", "s"), 1).body
        floats: list[str] = []
        json.loads(body, parse_float=lambda text: floats.append(text) or D(text))
        assert not floats, f"float literal in {body!r}"
        for value in params.values():
            assert not isinstance(value, float)
        try:
            encode_body({"amount": float(amount)})
        except TypeError:
            pass
        else:
            raise AssertionError("encode_body accepted a float")

    for prop in (
        max_amount_never_exceeds_balance,
        prices_always_on_tick,
        pnl_and_margin_exact,
        no_float_in_payloads,
    ):
        try:
            prop()
        except Exception as exc:  # noqa: BLE001 - hypothesis' falsifying example, reported
            first = next((line for line in str(exc).splitlines() if line.strip()), repr(exc))
            raise DrillFailure(f"{prop.__name__}: {first[:300]}") from None


# -- bad input ------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BadInput:
    field: str  # where the message must appear
    form: OrderForm
    leverage: int | None = None  # None: the account's
    hedge: bool | None = None


def bad_inputs(market: Market, mark: D, free: D, leverage: int, examples: int) -> list[BadInput]:
    """Fixed cases for every kind of bad input plus hypothesis-drawn junk text."""
    prec = market.amount_precision
    pprec = market.price_precision
    too_fine = "0." + "0" * prec + "1" if prec else "0.5"
    base = OrderForm(
        market=market.name, side="buy", type=OrderType.LIMIT, amount="0.01", price=str(mark - 1000)
    )
    cases: list[BadInput] = []

    def amount(text: str) -> None:
        cases.append(BadInput("amount", dataclasses.replace(base, amount=text)))

    def price(text: str) -> None:
        cases.append(BadInput("price", dataclasses.replace(base, price=text)))

    for text in (
        "",
        " ",
        "-1",
        "-0.01",
        "0",
        "0.000",
        "abc",
        "1,5",
        "1_000",
        "1e3",
        "1E-2",
        "NaN",
        "Infinity",
        "--1",
        "٣",
        too_fine,
        "1" * 20,
    ):
        amount(text)
        price(text if text != too_fine else str(mark) + "." + "0" * pprec + "1")
    below = market.min_amount - market.amount_step
    if below > 0:
        amount(format(below, "f"))
    per_unit = mark / leverage
    amount(format(risk.round_to_step(free / per_unit * 2 + 1, market.amount_step), "f"))  # > free
    cases.append(BadInput("leverage", base, leverage=7))
    cases.append(BadInput("leverage", base, leverage=1000))
    cases.append(
        BadInput("position_side", dataclasses.replace(base, position_side="LONG"), hedge=False)
    )
    cases.append(BadInput("position_side", base, hedge=True))  # hedge mode needs a side

    from hypothesis import given, settings
    from hypothesis import strategies as st

    junk = st.text(min_size=1, max_size=12).filter(
        lambda t: not _plain_number(t) or D(t.strip() or "0") <= 0
    )

    @settings(max_examples=examples, deadline=None, database=None, derandomize=True)
    @given(junk)
    def draw(text: str) -> None:
        amount(text)

    draw()
    return cases


def _plain_number(text: str) -> bool:
    import re

    return bool(re.fullmatch(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*", text))


async def submit(
    service: TradingService,
    form: OrderForm,
    *,
    leverage: int | None = None,
    hedge: bool | None = None,
) -> ValidationResult:
    """What the desk's order form does on submit: validate with the service's state and send
    only a valid request."""
    market = service.markets[form.market]
    result = validate_order_form(
        form,
        market=market,
        hedge_mode=service.hedge_mode if hedge is None else hedge,
        free_collateral=service.free_collateral(),
        leverage=service.leverage if leverage is None else leverage,
        mark_price=service.mark_price(market.name),
    )
    if result.request is not None:
        await service.place_order(result.request)
    return result


async def drill_money_math(ctx: DrillContext) -> None:
    """11. Money math holds exactly; every bad order-form input gets a clear message at its field
    and nothing reaches the exchange; a good form still goes through (control). Amounts and
    prices are typed into the desk's real order form (the message read off the label next to
    the field); leverage and position-side cases need an account state the sandbox will not
    take, so they go through the form's validation with that state."""
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise DrillFailure("needs hypothesis: pip install '.[test]'") from None
    money_properties()

    from textual.widgets import Select

    from .screen import desk_app, field_message, form_status, order_form, ready, wait_screen

    sb = await ctx.sandbox()
    svc = ctx.service(sb)
    async with desk_app(svc, confirm_limit_orders=False) as (app, pilot):
        await ready(app, pilot)
        form = await order_form(app, pilot, Product.FUTURES)
        market = svc.markets["BTC_PERP"]
        mark = svc.mark_price("BTC_PERP")
        check(mark is not None, "no mark price")
        assert mark is not None
        form.query_one("#market", Select).value = market.name
        form.query_one("#type", Select).value = OrderType.LIMIT
        await pilot.pause()
        cases = bad_inputs(market, mark, svc.free_collateral(), svc.leverage, examples=60)
        for case in cases:
            ctx.counters.bad_inputs += 1
            if case.leverage is not None or case.hedge is not None:
                result = await submit(svc, case.form, leverage=case.leverage, hedge=case.hedge)
                message = result.errors.get(case.field, "")
                check(result.request is None, f"bad input {case.form!r} produced a request")
            else:
                form.set_values(amount=case.form.amount, price=case.form.price)
                await pilot.pause()  # the inputs' own Changed messages
                check(not form.submit(), f"the form sent bad input {case.form!r}")
                message = field_message(form, case.field)
                status = form_status(form)
                check(status.startswith("Not sent"), f"{case.form!r}: form status {status!r}")
            check(
                len(message) >= 8,
                f"no clear message at {case.field} for {case.form!r}: {form.errors}",
            )
        sent = sb.recorder.order_requests()
        check(not sent, f"{len(sent)} order requests reached the exchange from bad input")

        form.set_values(amount="0.01", price=format(mark - 1000, "f"))
        await pilot.pause()
        check(form.submit(), f"a good form was refused: {form.errors}")
        await wait_screen(pilot, lambda: form_status(form).startswith("Placed"), 5, "Placed")
    sent = sb.recorder.order_requests()
    check(len(sent) == 1 and sent[0].path in ORDER_PATHS, "the good form was not sent once")
    floats: list[str] = []
    payload = json.loads(
        __import__("base64").b64decode(sent[0].payload or ""),
        parse_float=lambda t: floats.append(t) or D(t),
    )
    check(not floats and isinstance(payload["amount"], str), f"float in the payload: {payload}")
