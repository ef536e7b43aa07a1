"""Fixtures for the app tests: a real sandbox exchange on a loopback port, a real
``TradingService`` talking to it over HTTP/WS, and the ``CollateralApp`` on top.

Deterministic: static sandbox prices, a fixed status-line clock, data ages hidden, a fixed
theme, no cursor blink, and the developer's own config is never read (the app gets its keymap
only from its constructor).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tui.app.main_app import CollateralApp
from tui.app.screens.desk import DeskScreen
from tui.app.screens.modals import CloseModal
from tui.domain.models import OrderRequest, OrderType, Side, StreamState
from tui.sandbox import SandboxConfig, SandboxServer, start_sandbox_thread
from tui.service import TradingService

FIXED_CLOCK = "12:00:00"
THEME = "textual-dark"


def sandbox_config(**overrides: Any) -> SandboxConfig:
    options: dict[str, Any] = {
        "port": 0,
        "static_prices": True,
        "seed": 1,
        "tick_interval": 0.1,
        "push_interval": 0.2,
    }
    options.update(overrides)
    return SandboxConfig(**options)


def make_service(
    rest_url: str, ws_url: str, cfg: SandboxConfig, tmp_path: Path, **options: Any
) -> TradingService:
    """The service the app tests use; ``options`` go to ``TradingService.for_whitebit``."""
    return TradingService.for_whitebit(
        rest_url,
        ws_url,
        api_key=cfg.api_key,
        api_secret=cfg.api_secret,
        nonce_path=tmp_path / "nonce",
        poll_interval=0.5,
        **options,
    )


def make_app(service: TradingService, **kwargs: Any) -> CollateralApp:
    return CollateralApp(service, clock=lambda: FIXED_CLOCK, show_ages=False, theme=THEME, **kwargs)


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(sandbox_config()) as sb:
        yield sb


@pytest.fixture
def app(sandbox: SandboxServer, tmp_path: Path) -> CollateralApp:
    service = make_service(sandbox.rest_url, sandbox.ws_url, sandbox_config(), tmp_path)
    return make_app(service)


@pytest.fixture
def threaded_sandbox() -> Iterator[Any]:
    """For snapshot tests: ``snap_compare`` runs the app in its own event loop, so the
    sandbox gets its own thread and loop."""
    handle = start_sandbox_thread(sandbox_config())
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def snapshot_app(threaded_sandbox: Any, tmp_path: Path) -> CollateralApp:
    service = make_service(
        threaded_sandbox.rest_url, threaded_sandbox.ws_url, sandbox_config(), tmp_path
    )
    return make_app(service)


#: A port nothing listens on (tcpmux: privileged, never served on a test machine), fixed so
#: the start-error snapshot shows the same address every run.
CLOSED_PORT = 1


@pytest.fixture
def stalling_snapshot_app(threaded_sandbox: Any, tmp_path: Path) -> CollateralApp:
    """Like ``snapshot_app``, but a stalled stream stays STALE for the snapshot: no reconnect
    after ``stale_reconnect_after`` (nor a lost pong) within the test's few seconds."""
    service = make_service(
        threaded_sandbox.rest_url,
        threaded_sandbox.ws_url,
        sandbox_config(),
        tmp_path,
        stream_options={"stale_reconnect_after": 120.0, "ping_interval": 120.0},
    )
    return make_app(service)


@pytest.fixture
def unreachable_snapshot_app(tmp_path: Path) -> CollateralApp:
    """An app whose exchange is a closed loopback port: it shows the start-error screen."""
    base = f"127.0.0.1:{CLOSED_PORT}"
    return make_app(make_service(f"http://{base}", f"ws://{base}/ws", sandbox_config(), tmp_path))


async def inject_fault(rest_url: str, kind: str) -> None:
    """Arm or fire a sandbox fault through its loopback control endpoint (works for a sandbox
    in another thread or process)."""
    async with httpx.AsyncClient(trust_env=False) as client:
        reply = await client.post(f"{rest_url}/sandbox/faults", json={"kind": kind})
    assert reply.status_code == 200, reply.text


# ---------------------------------------------------------------------------- helpers


async def wait_for(
    pilot: Pilot[Any], condition: Callable[[], object], what: str, timeout: float = 10.0
) -> None:
    """Let the app run until ``condition()`` is true (bounded; fails with ``what``)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


def desk(app: CollateralApp) -> DeskScreen:
    assert app.desk is not None
    return app.desk


async def ready(pilot: Pilot[Any]) -> DeskScreen:
    """Wait until the service is started, both streams are live and the desk has applied it."""
    app = pilot.app
    assert isinstance(app, CollateralApp)
    screen = desk(app)
    service = app.service
    await wait_for(pilot, lambda: screen.started, "service start")
    await wait_for(
        pilot,
        lambda: all(service.stream_state(s) is StreamState.LIVE for s in ("positions", "prices")),
        "live streams",
    )
    await wait_for(pilot, lambda: service.trade_gate().allowed, "fresh data")
    await wait_for(
        pilot,
        lambda: all(f.block_reason is None for f in screen.entry.forms),
        "order entry enabled",
    )
    return screen


def no_blink(app: CollateralApp) -> None:
    for screen in app.screen_stack:
        for widget in screen.query(Input):
            widget.cursor_blink = False


async def open_position(app: CollateralApp, market: str, side: Side, amount: str) -> None:
    """Set up a position through the service (the flows under test are the app's)."""
    await app.service.place_order(
        OrderRequest(market=market, side=side, type=OrderType.MARKET, amount=Decimal(amount))
    )


async def place_limit(app: CollateralApp, market: str, side: Side, amount: str, price: str) -> None:
    await app.service.place_order(
        OrderRequest(
            market=market,
            side=side,
            type=OrderType.LIMIT,
            amount=Decimal(amount),
            price=Decimal(price),
        )
    )


def notifications(app: CollateralApp) -> list[str]:
    return [f"{n.title}: {n.message}" for n in app._notifications]


async def settle(pilot: Pilot[Any]) -> None:
    """Give the 4 Hz refresh a couple of ticks."""
    await pilot.pause(0.6)


__all__ = ["asyncio"]


async def close_dialog_on_a_new_long(pilot: Pilot[Any], screen: DeskScreen) -> None:
    """Open a 0.002 BTC_PERP long, then press ``c``: the close dialog is on top."""
    app = pilot.app
    assert isinstance(app, CollateralApp)
    await open_position(app, "BTC_PERP", Side.BUY, "0.002")
    await wait_for(pilot, lambda: screen.positions_table.row_count == 1, "position row")
    await pilot.press("c")
    await wait_for(pilot, lambda: isinstance(app.screen, CloseModal), "close dialog")
