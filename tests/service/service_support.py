"""Helpers shared by the service tests."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from decimal import Decimal

from tui.sandbox import SandboxConfig, SandboxServer
from tui.service import TradingService, events


class Recorder:
    """Collects the service's events so tests can wait for and assert on them."""

    def __init__(self) -> None:
        self.events: list[events.Event] = []
        self._changed = asyncio.Event()

    def __call__(self, event: events.Event) -> None:
        self.events.append(event)
        self._changed.set()

    def of(self, kind: type[events.Event]) -> list[events.Event]:
        return [e for e in self.events if isinstance(e, kind)]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        async def loop() -> None:
            while not predicate():
                self._changed.clear()
                try:
                    await asyncio.wait_for(self._changed.wait(), 0.2)
                except TimeoutError:
                    pass

        await asyncio.wait_for(loop(), timeout)


def sandbox_config(**overrides: object) -> SandboxConfig:
    options: dict[str, object] = {
        "host": "127.0.0.1",
        "port": 0,
        "static_prices": True,
        "balances": {"USDT": Decimal(10000)},
        "push_interval": 0.2,
        "tick_interval": 0.2,
    }
    options.update(overrides)
    return SandboxConfig(**options)  # type: ignore[arg-type]


def make_service(sb: SandboxServer, **kwargs: object) -> TradingService:
    cfg = sb.config
    return TradingService.for_whitebit(
        sb.rest_url,
        sb.ws_url,
        api_key=cfg.api_key,
        api_secret=cfg.api_secret,
        poll_interval=0.3,
        stream_options={
            "stale_after": 1.0,
            "stale_reconnect_after": 3.0,
            "backoff_base": 0.1,
            "backoff_cap": 0.5,
        },
        **kwargs,  # type: ignore[arg-type]
    )
