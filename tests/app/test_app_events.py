"""The event log screen (e) with Pilot against a real sandbox: orders placed, filled and
rejected, and a stream reconnect, listed newest first with their times; escape closes it."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from tui.app.main_app import CollateralApp
from tui.app.screens.desk import DeskScreen
from tui.app.screens.events import EventsScreen
from tui.domain.models import OrderRequest, OrderType, Side
from tui.sandbox import SandboxServer
from tui.service import CommandError

from .conftest import inject_fault, open_position, ready, wait_for

TIME = re.compile(r"^\d\d:\d\d:\d\d$")


async def test_the_event_log_lists_the_session_newest_first(
    app: CollateralApp, sandbox: SandboxServer
) -> None:
    async with app.run_test(size=(140, 40)) as pilot:
        await ready(pilot)
        # Orders through the service (the order form's own flow is tested elsewhere)
        await open_position(app, "BTC_PERP", Side.BUY, "0.002")
        log = app.bridge.log
        await wait_for(pilot, lambda: any(e.kind == "fill" for e in log.newest_first()), "fill")
        with pytest.raises(CommandError):  # below the market's minimum amount
            await app.service.place_order(
                OrderRequest(
                    market="BTC_PERP",
                    side=Side.SELL,
                    type=OrderType.MARKET,
                    amount=Decimal("0.0000001"),
                )
            )
        await inject_fault(sandbox.rest_url, "ws_abort")
        await wait_for(
            pilot,
            lambda: any(e.text.endswith("reconnected") for e in log.newest_first()),
            "reconnect",
        )

        await pilot.press("escape", "e")
        await wait_for(pilot, lambda: isinstance(app.screen, EventsScreen), "event log")
        screen = app.screen
        assert isinstance(screen, EventsScreen)
        await pilot.pause(0.6)  # its poll shows what came since it opened
        table = screen.table
        rows = [[c.text for c in table.cells(key) or ()] for key in table.row_keys]
        kinds = [row[1] for row in rows]
        assert "fill" in kinds and "rejected" in kinds and "stream" in kinds
        # newest first: the reconnect, then the rejection, then the fill
        assert kinds.index("stream") < kinds.index("rejected") < kinds.index("fill")
        assert all(TIME.match(row[0]) for row in rows)
        fill = rows[kinds.index("fill")][2]
        assert fill.startswith("buy 0.002 BTC_PERP market @ ")
        rejected = rows[kinds.index("rejected")][2]
        assert rejected.startswith("sell 0.0000001 BTC_PERP market: ")

        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, DeskScreen), "back on the desk")
