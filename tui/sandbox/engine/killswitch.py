"""Kill-switch (dead-man) timers: one per market, cancelling that market's orders at expiry.

- ``sync_kill_switch(market, timeout, types)`` starts or resets the market's timer:
  ``cancellationTime = startTime + timeout``; ``timeout=None`` deletes it. ``types`` (a subset of
  ``spot``, ``margin``, ``futures``; None = all) selects which orders it cancels. The sandbox has
  no spot trade account, so ``spot`` matches nothing; ``margin`` matches orders on margin pairs,
  ``futures`` orders on ``_PERP`` markets (WhiteBIT's order types, not balances).
- ``expire_kill_switches()`` (run by the server's timer loop) cancels, for every timer whose
  deadline passed, the market's open orders of those types, then forgets the timer (WhiteBIT
  fires a timer once; a new sync arms it again).
- Timers are saved with the state like any acknowledged operation: after a restart a timer
  whose deadline passed meanwhile fires on the first timer step.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from .book import Book

KILL_SWITCH_TYPES = ("spot", "margin", "futures")


@dataclass(frozen=True, slots=True)
class KillSwitchTimer:
    market: str
    start: Decimal  # engine clock (unix s), when the timer was last synced
    timeout: int  # seconds
    types: tuple[str, ...] | None  # None = every type

    @property
    def deadline(self) -> Decimal:
        return self.start + self.timeout

    def as_dict(self) -> dict[str, Any]:
        """The wire shape: whole unix seconds, as WhiteBIT reports them."""
        start = int(self.start)
        return {
            "market": self.market,
            "startTime": start,
            "cancellationTime": start + self.timeout,
            "types": list(self.types) if self.types is not None else None,
        }


class KillSwitch(Book):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kill_switches: dict[str, KillSwitchTimer] = {}

    def sync_kill_switch(
        self, market: str, timeout: int | None, types: tuple[str, ...] | None = None
    ) -> KillSwitchTimer | None:
        """Arm, reset (same call again) or delete (``timeout=None``) the market's timer."""
        self.spec(market)
        if timeout is None:
            self.kill_switches.pop(market, None)
            return None
        timer = KillSwitchTimer(market=market, start=self.now(), timeout=timeout, types=types)
        self.kill_switches[market] = timer
        return timer

    def kill_switch_status(self, market: str | None = None) -> list[KillSwitchTimer]:
        return [
            t for name, t in sorted(self.kill_switches.items()) if market is None or name == market
        ]

    def expire_kill_switches(self) -> list[str]:
        """Fire every timer past its deadline; the markets whose timer fired."""
        now = self.now()
        fired = [t for t in self.kill_switches.values() if now >= t.deadline]
        for timer in fired:
            del self.kill_switches[timer.market]
            wanted = set(timer.types) if timer.types is not None else set(KILL_SWITCH_TYPES)
            product = "futures" if self.catalog[timer.market].is_futures else "margin"
            if product not in wanted:
                continue
            self.cancel_all(timer.market, [product])
        return [t.market for t in fired]


__all__ = ["KILL_SWITCH_TYPES", "KillSwitch", "KillSwitchTimer"]
