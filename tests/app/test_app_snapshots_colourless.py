"""Snapshots of the desk without colour: ``NO_COLOR=1`` (Textual's monochrome filter) and a
16-colour theme (Textual's ``ansi-dark``: the terminal's own ANSI palette, as under
``TERM=xterm``). Every risk signal must still read in the text: a position near liquidation
says ``NEAR``, its loss keeps its minus sign, sides are words.

Each app is built in the test, after the environment is set: Textual reads ``NO_COLOR`` when
the app is constructed.
"""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot

from tui.app.main_app import CollateralApp
from tui.domain.models import Direction, OrderRequest, OrderType, Side

from .conftest import FIXED_CLOCK, make_service, no_blink, ready, sandbox_config, wait_for

#: Just inside the red threshold (5 %): NEAR, yet short of the exchange's margin-call zone.
NEAR_FACTOR = Decimal("1.03")


async def _near_liquidation(pilot: Pilot[Any], rest_url: str) -> None:
    """A BTC_PERP long at 3 % from liquidation (deep in loss) and an ETH_USDT short."""
    app = pilot.app
    assert isinstance(app, CollateralApp)
    screen = await ready(pilot)
    for market, side, amount in (("BTC_PERP", Side.BUY, "0.002"), ("ETH_USDT", Side.SELL, "0.1")):
        await app.service.place_order(
            OrderRequest(market=market, side=side, type=OrderType.MARKET, amount=Decimal(amount))
        )
    await wait_for(pilot, lambda: screen.positions_table.row_count == 2, "positions")
    (long,) = [p for p in app.service.positions.values() if p.direction is Direction.LONG]
    assert long.liquidation_price is not None
    price = (long.liquidation_price * NEAR_FACTOR).quantize(Decimal("0.01"))
    async with httpx.AsyncClient(trust_env=False) as client:
        reply = await client.post(
            f"{rest_url}/sandbox/price", json={"market": "BTC_PERP", "price": str(price)}
        )
    assert reply.status_code == 200, reply.text
    key = str(long.id)
    table = screen.positions_table

    def text(column: str) -> str:
        cell = table.cell(key, column)
        return cell.text if cell is not None else ""

    await wait_for(pilot, lambda: text("state") == "NEAR", "the long NEAR liquidation")
    await wait_for(pilot, lambda: text("upnl").startswith("-"), "its loss")
    await pilot.pause(1.2)  # chart replot (2 Hz) and the 4 Hz refresh
    no_blink(app)
    app.clear_notifications()
    await pilot.pause(0.3)


def _app(threaded_sandbox: Any, tmp_path: Path, theme: str) -> CollateralApp:
    service = make_service(
        threaded_sandbox.rest_url, threaded_sandbox.ws_url, sandbox_config(), tmp_path
    )
    return CollateralApp(service, clock=lambda: FIXED_CLOCK, show_ages=False, theme=theme)


def _snap(snap_compare: Any, app: CollateralApp, rest_url: str) -> bool:
    async def run_before(pilot: Pilot[Any]) -> None:
        await asyncio.wait_for(_near_liquidation(pilot, rest_url), timeout=30)

    return bool(snap_compare(app, terminal_size=(120, 40), run_before=run_before))


def test_desk_near_liquidation_no_color(
    snap_compare: Any, threaded_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = _app(threaded_sandbox, tmp_path, "textual-dark")
    assert app.no_color
    assert _snap(snap_compare, app, threaded_sandbox.rest_url)


def test_desk_near_liquidation_16_colours(
    snap_compare: Any, threaded_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = _app(threaded_sandbox, tmp_path, "ansi-dark")
    assert _snap(snap_compare, app, threaded_sandbox.rest_url)
