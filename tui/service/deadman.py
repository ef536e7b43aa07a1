"""``DeadManSwitch``: keep an exchange-side kill-switch timer armed on every market with open
orders, so a killed process or a dropped link leaves no order working unattended.

Rules:
- A market with open orders gets a timer of ``timeout`` seconds at once (the service pokes the
  switch when its orders change) and has it renewed every ``renew_every`` seconds (default a
  third of the timeout: two renewals may fail before the exchange cancels anything).
- A market whose orders are all gone has its timer deleted.
- ``disarm_all()`` (a clean stop) deletes every timer this switch may have set, including one
  whose arming request was interrupted.
- A failed sync is retried on the next tick (every second at most) and reported once per
  failure streak through ``on_error``.
- ``timeout=None`` disables the switch: it never calls the exchange.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from .venue import CommandError

log = logging.getLogger(__name__)

MIN_TIMEOUT = 5  # the exchange's bounds for a kill-switch timeout, in seconds
MAX_TIMEOUT = 600
DEFAULT_TIMEOUT = 60
CLOSE_TIMEOUT = 5.0  # seconds a clean stop waits to delete the timers
TICK = 1.0  # seconds between checks at most (arming a new market waits for no tick: poke())

#: ``sync(market, timeout)`` arms/renews (seconds) or deletes (None) a market's timer.
Sync = Callable[[str, int | None], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class DeadManState:
    """What the status line shows: the timeout (None = off) and the armed markets."""

    timeout: int | None
    armed: tuple[str, ...]

    @property
    def enabled(self) -> bool:
        return self.timeout is not None


class DeadManSwitch:
    def __init__(
        self,
        sync: Sync,
        timeout: int | None,
        *,
        renew_every: float | None = None,
        on_error: Callable[[str, CommandError], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout is not None and not MIN_TIMEOUT <= timeout <= MAX_TIMEOUT:
            raise ValueError(f"dead-man timeout must be {MIN_TIMEOUT}-{MAX_TIMEOUT} seconds")
        self._sync = sync
        self.timeout = timeout
        self.renew_every = renew_every if renew_every is not None else (timeout or 0) / 3
        self._on_error = on_error
        self._clock = clock
        self._renewed: dict[str, float] = {}  # armed market -> clock() of its last sync
        self._sent: set[str] = set()  # markets an arm request went out for, not yet deleted
        self._failing: set[str] = set()
        self._wake = asyncio.Event()

    @property
    def enabled(self) -> bool:
        return self.timeout is not None

    @property
    def state(self) -> DeadManState:
        return DeadManState(self.timeout, tuple(sorted(self._renewed)))

    def poke(self) -> None:
        """Check now (the open orders changed) instead of at the next tick."""
        self._wake.set()

    async def step(self, wanted: Iterable[str]) -> None:
        """Arm/renew the timers of ``wanted`` markets that need it; delete the others."""
        if self.timeout is None:
            return
        markets = set(wanted)
        now = self._clock()
        for market in sorted(markets):
            last = self._renewed.get(market)
            if last is None or now - last >= self.renew_every:
                self._sent.add(market)
                if await self._call(market, self.timeout):
                    self._renewed[market] = self._clock()
        for market in sorted(set(self._renewed) - markets):
            await self._delete(market)

    async def run(self, wanted: Callable[[], Iterable[str]]) -> None:
        """Step forever: on every poke, and at least every tick."""
        if self.timeout is None:
            return
        tick = min(TICK, self.renew_every)
        while True:
            self._wake.clear()
            await self.step(wanted())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), tick)

    async def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Delete the timers (a clean stop), waiting at most ``timeout`` seconds."""
        if self.timeout is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.disarm_all(), timeout)

    async def disarm_all(self) -> None:
        for market in sorted(self._sent | set(self._renewed)):
            await self._delete(market)

    async def _delete(self, market: str) -> None:
        if await self._call(market, None):
            self._renewed.pop(market, None)
            self._sent.discard(market)

    async def _call(self, market: str, timeout: int | None) -> bool:
        try:
            await self._sync(market, timeout)
        except CommandError as exc:
            if market not in self._failing:
                self._failing.add(market)
                log.warning("dead-man switch: %s on %s: %s", timeout, market, exc)
                if self._on_error is not None:
                    self._on_error(market, exc)
            return False
        self._failing.discard(market)
        return True


__all__ = ["DEFAULT_TIMEOUT", "MAX_TIMEOUT", "MIN_TIMEOUT", "DeadManState", "DeadManSwitch"]
