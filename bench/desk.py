"""The real desk, headless, on the benchmark's sandbox: ``CollateralApp`` + ``TradingService``
over HTTP and WebSocket, built as the launcher builds them (nonce and pending-orders files
included; only the data dir is temporary)."""

from __future__ import annotations

import asyncio
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tui.app.main_app import CollateralApp
from tui.app.screens.desk import DeskScreen
from tui.domain.models import StreamState
from tui.service import TradingService

from .sandbox import SandboxThread

SIZE = (120, 40)


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], object], what: str, timeout: float = 20.0
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"bench: timed out waiting for {what}")
        await pilot.pause(0.01)


@asynccontextmanager
async def running_desk(
    sandbox: SandboxThread, *, key: str = "demo-key", secret: str = "demo-secret"
) -> AsyncIterator[tuple[CollateralApp, Pilot[Any], DeskScreen]]:
    with tempfile.TemporaryDirectory(prefix="bench-desk-") as tmp:
        service = TradingService.for_whitebit(
            sandbox.rest_url,
            sandbox.ws_url,
            api_key=key,
            api_secret=secret,
            nonce_path=Path(tmp) / "nonce",
            # as the launcher does: every order is written here before it is sent
            pending_path=Path(tmp) / "pending-orders.json",
        )
        # key_to_wire times the send itself: no confirmation dialog in between
        app = CollateralApp(service, confirm_limit_orders=False)
        async with app.run_test(size=SIZE) as pilot:
            desk = app.desk
            assert desk is not None
            await wait_until(pilot, lambda: desk.started, "service start")
            await wait_until(
                pilot,
                lambda: all(
                    service.stream_state(s) is StreamState.LIVE for s in ("positions", "prices")
                ),
                "live streams",
            )
            await wait_until(pilot, lambda: desk.service.trade_gate().allowed, "fresh data")
            await pilot.pause(0.3)
            yield app, pilot, desk
            await asyncio.sleep(0)


def stream_of(app: CollateralApp) -> Any:
    """The service's WebSocket client (to put a probe on it)."""
    return app.service._venue._stream  # type: ignore[attr-defined]
