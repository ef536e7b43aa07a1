"""Drill plumbing: one context per drill (its own sandboxes, services, counters), checks, waits.

A drill is ``async def drill(ctx: DrillContext) -> None`` that raises :class:`DrillFailure` (via
:func:`check`) when a rule does not hold. Everything runs on loopback against sandboxes the
drill starts itself; :meth:`DrillContext.close` stops them and adds their figures (faults fired,
duplicate orders) to the drill's counters.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

from tui.sandbox import SandboxConfig, SandboxServer
from tui.service import TradingService, events
from tui.service.whitebit import WhiteBitVenue

#: Fast, deterministic sandbox settings for drills.
SANDBOX_DEFAULTS: dict[str, Any] = {
    "host": "127.0.0.1",
    "port": 0,
    "api_key": "drill-key-7c1e5a93b2d4",
    "api_secret": "drill-secret-0f9e8d7c6b5a4938",
    "balances": {"USDT": Decimal(10000)},
    "static_prices": True,
    "seed": 4,
    "tick_interval": 0.2,
    "push_interval": 0.2,
}

#: Stream settings scaled down for drills (production: ping 30 s, backoff 0.5..30 s).
STREAM_DEFAULTS: dict[str, float] = {
    "ping_interval": 1.0,
    "pong_timeout": 1.0,
    "stale_after": 1.0,
    "stale_reconnect_after": 2.5,
    "backoff_base": 0.1,
    "backoff_cap": 0.5,
}

#: REST settings scaled down for drills (production: timeout 10 s, reconcile after 1 s).
REST_DEFAULTS: dict[str, float] = {
    "backoff_base": 0.02,
    "backoff_cap": 0.2,
    "reconcile_delay": 0.1,
}


class DrillFailure(AssertionError):
    """A rule of the drill does not hold."""


def check(condition: object, message: str) -> None:
    if not condition:
        raise DrillFailure(message)


async def wait_until(
    predicate: Callable[[], object], timeout: float, what: str, poll: float = 0.02
) -> float:
    """Wait until ``predicate()`` is true; returns the seconds it took. Fails after ``timeout``."""
    start = time.monotonic()
    while not predicate():
        if time.monotonic() - start > timeout:
            raise DrillFailure(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(poll)
    return time.monotonic() - start


def max_in_window(times: list[float], window: float) -> int:
    """The most of ``times`` (sorted) that fall within one ``window`` of each other."""
    best = 0
    for i, start in enumerate(times):
        best = max(best, sum(1 for t in times[i:] if t - start < window))
    return best


class EventLog:
    """Collects a service's events with their monotonic time."""

    def __init__(self) -> None:
        self.items: list[tuple[float, events.Event]] = []

    def __call__(self, event: events.Event) -> None:
        self.items.append((time.monotonic(), event))

    def of(self, kind: type, since: float = 0.0) -> list[Any]:
        return [e for t, e in self.items if isinstance(e, kind) and t >= since]

    def timed(self, kind: type, since: float = 0.0) -> list[tuple[float, Any]]:
        return [(t, e) for t, e in self.items if isinstance(e, kind) and t >= since]

    def states(self, stream: str, since: float = 0.0) -> list[tuple[float, Any]]:
        return [
            (t, e) for t, e in self.timed(events.StreamStateChanged, since) if e.stream == stream
        ]


@dataclass
class Counters:
    faults: int = 0
    bad_inputs: int = 0
    duplicates: int = 0
    secrets_leaked: int = 0

    def add(self, other: Counters) -> None:
        self.faults += other.faults
        self.bad_inputs += other.bad_inputs
        self.duplicates += other.duplicates
        self.secrets_leaked += other.secrets_leaked


@dataclass
class DrillContext:
    """Owns a drill's sandboxes and services; ``tmp`` is a private scratch directory."""

    tmp: Path
    counters: Counters = field(default_factory=Counters)
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)
    _sandboxes: list[SandboxServer] = field(default_factory=list)

    async def __aenter__(self) -> Self:
        await self._stack.__aenter__()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        try:
            await self._stack.aclose()
        finally:
            for sb in self._sandboxes:
                self.counters.faults += sb.faults.fired
                self.counters.duplicates += len(sb.recorder.duplicates())
            self._sandboxes.clear()

    async def sandbox(self, **overrides: Any) -> SandboxServer:
        options = dict(SANDBOX_DEFAULTS)
        options.update(overrides)
        sb = SandboxServer(SandboxConfig(**options))
        await self._stack.enter_async_context(sb)
        self._sandboxes.append(sb)
        return sb

    def service(
        self,
        sb: SandboxServer,
        *,
        stream: dict[str, object] | None = None,
        rest: dict[str, float] | None = None,
        timeout: float = 2.0,
        **kwargs: Any,
    ) -> TradingService:
        """A service on ``sb`` (not started). Stopped when the drill ends."""
        stream_options: dict[str, object] = dict(STREAM_DEFAULTS)
        stream_options.update(stream or {})
        rest_options = dict(REST_DEFAULTS)
        rest_options.update(rest or {})
        venue = WhiteBitVenue(
            sb.rest_url,
            sb.ws_url,
            api_key=sb.config.api_key,
            api_secret=sb.config.api_secret,
            nonce_path=kwargs.pop("nonce_path", None),
            timeout=timeout,
            stream_options=stream_options,
            rest_options=rest_options,
        )
        kwargs.setdefault("poll_interval", 0.5)
        svc = TradingService(venue, **kwargs)
        self._stack.push_async_callback(svc.stop)
        return svc

    async def started(self, svc: TradingService, log: EventLog | None = None) -> EventLog:
        log = log or EventLog()
        svc.subscribe(log)
        await svc.start()
        return log
