"""The drills' screen readers (tui/drills/screen.py) see both states of what they check, so a
drill asserting on the desk can fail: live vs stale, no toast vs an error toast with its code,
no message vs a refusal next to the field, an empty vs a filled open-orders pane."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tui.app import messages as msg
from tui.domain.models import OrderRequest, OrderType, Product, Side
from tui.drills.base import DrillContext, DrillFailure
from tui.drills.screen import (
    desk,
    desk_app,
    field_message,
    order_form,
    order_rows,
    ready,
    stream_label,
    text_of,
    toasts,
    wait_screen,
)


async def test_screen_readers_see_both_states(tmp_path: Path) -> None:
    async with DrillContext(tmp=tmp_path) as ctx:
        sb = await ctx.sandbox()
        svc = ctx.service(sb, stream={"stale_after": 0.5, "stale_reconnect_after": 60.0})
        async with desk_app(svc) as (app, pilot):
            await ready(app, pilot)
            label = stream_label(app, "positions")
            await wait_screen(pilot, lambda: label.has_class("-ok"), 5, "live")
            assert "live" in text_of(label)
            with pytest.raises(DrillFailure, match="the screen to show nothing"):
                await wait_screen(pilot, lambda: False, 0.1, "nothing")

            assert not any("boom" in t for t in toasts(app))
            desk(app).post_message(msg.ServiceProblem("rest", "boom", 32))
            await wait_screen(pilot, lambda: any("boom" in t for t in toasts(app)), 2, "toast")
            assert any("[code 32] boom" in t for t in toasts(app)), toasts(app)

            form = await order_form(app, pilot, Product.FUTURES)
            assert field_message(form, "amount") == ""
            form.set_values(amount="abc")
            await pilot.pause()
            assert len(field_message(form, "amount")) >= 8

            assert order_rows(app) == {}
            await svc.place_order(
                OrderRequest(
                    "BTC_PERP", Side.BUY, OrderType.LIMIT, Decimal("0.01"), price=Decimal(50000)
                )
            )
            await wait_screen(pilot, lambda: order_rows(app), 3, "the order's row")
            (row,) = order_rows(app).values()
            assert "BTC_PERP" in row

            await sb.faults.inject("ws_stall")
            await wait_screen(pilot, lambda: label.has_class("-bad"), 5, "stale")
            assert "stale" in text_of(label)
