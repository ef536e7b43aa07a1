"""Bad order-form input: each gets a clear message at its field and nothing reaches the exchange
(asserted on the sandbox's request log), property-based over every typed field."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from tui.domain.models import OrderType
from tui.domain.validation import OrderForm
from tui.drills.base import DrillContext
from tui.drills.money import bad_inputs, submit

D = Decimal
FIELDS_BY_TYPE = {
    OrderType.LIMIT: ("amount", "price"),
    OrderType.STOP_LIMIT: ("amount", "price", "activation_price"),
    OrderType.TRIGGER_MARKET: ("amount", "activation_price"),
    OrderType.OCO: ("amount", "price", "activation_price", "stop_limit_price"),
}
JUNK = st.one_of(
    st.sampled_from(
        [
            "",
            " ",
            "-5",
            "0",
            "0.0",
            "1e2",
            "1E+2",
            "nan",
            "inf",
            "1.2.3",
            "+-1",
            "0x10",
            "１",
            "1 000",
            "1,000",
        ]
    ),
    st.text(alphabet=st.characters(blacklist_categories=("Nd",)), max_size=8),
    st.decimals(D("-1000"), D("0"), places=4).map(lambda d: format(d, "f")),
    st.integers(1, 9).map(lambda n: "1." + "1" * (n + 10)),  # more decimals than any market
)


@settings(max_examples=120, deadline=None, database=None, derandomize=True)
@given(st.sampled_from(sorted(FIELDS_BY_TYPE, key=lambda t: t.value)), st.data())
def _cases(kind: OrderType, data: st.DataObject) -> None:
    field = data.draw(st.sampled_from(FIELDS_BY_TYPE[kind]))
    GENERATED.append((kind, field, data.draw(JUNK)))


GENERATED: list[tuple[OrderType, str, str]] = []


async def test_bad_input_is_refused_at_the_field_and_nothing_is_sent(tmp_path) -> None:
    GENERATED.clear()
    _cases()
    async with DrillContext(tmp=tmp_path) as ctx:
        sb = await ctx.sandbox()
        svc = ctx.service(sb)
        await ctx.started(svc)
        mark = svc.mark_price("BTC_PERP")
        assert mark is not None
        good = {
            OrderType.LIMIT: OrderForm(
                "BTC_PERP", "buy", OrderType.LIMIT, "0.01", price=str(mark - 500)
            ),
            OrderType.STOP_LIMIT: OrderForm(
                "BTC_PERP",
                "buy",
                OrderType.STOP_LIMIT,
                "0.01",
                price=str(mark + 600),
                activation_price=str(mark + 500),
            ),
            OrderType.TRIGGER_MARKET: OrderForm(
                "BTC_PERP",
                "buy",
                OrderType.TRIGGER_MARKET,
                "0.01",
                activation_price=str(mark + 500),
            ),
            OrderType.OCO: OrderForm(
                "BTC_PERP",
                "sell",
                OrderType.OCO,
                "0.01",
                price=str(mark + 500),
                activation_price=str(mark - 500),
                stop_limit_price=str(mark - 600),
            ),
        }
        tried = 0
        for kind, field, text in GENERATED:
            stripped = text.strip()
            try:
                if (
                    stripped
                    and D(stripped) > 0
                    and stripped.replace(".", "", 1).isdigit()
                    and len(stripped.partition(".")[2]) <= 2
                ):
                    continue  # a plain, positive, 2-decimal number can be valid: not junk
            except ArithmeticError:
                pass
            form = dataclasses.replace(good[kind], **{field: text})
            result = await submit(svc, form)
            tried += 1
            assert result.request is None, (kind, field, text)
            assert len(result.errors.get(field, "")) >= 8, (kind, field, text, result.errors)
        for case in bad_inputs(
            svc.markets["BTC_PERP"], mark, svc.free_collateral(), svc.leverage, 30
        ):
            result = await submit(svc, case.form, leverage=case.leverage, hedge=case.hedge)
            tried += 1
            assert result.request is None and result.errors.get(case.field), case
        assert tried > 100
        assert sb.recorder.order_requests() == []
        for form in good.values():  # control: the same forms without the junk are sent
            result = await submit(svc, form)
            assert result.request is not None, result.errors
        assert len(sb.recorder.order_requests()) == len(good)
