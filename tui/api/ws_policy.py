"""The stream's health rules: which streams are tracked, when each counts as STALE, and how
often a new connection may fetch a WebSocket token."""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from types import MappingProxyType

__all__ = [
    "STALE_AFTER",
    "STALE_POSITIONS_AFTER",
    "STALE_PRICES_AFTER",
    "STALE_RECONNECT_AFTER",
    "STREAMS",
    "TokenBudget",
    "stale_thresholds",
]

log = logging.getLogger("tui.api.ws")

#: The streams whose health is tracked (names used by ``state()``, ``last_update()``, on_state).
STREAMS: tuple[str, ...] = ("positions", "prices")

#: Seconds without an update after which each stream is reported STALE (``stale_after``'s
#: default). The trader must see STALE within 3 s of a stream stopping, whatever the phase of
#: the stop against the pushes, and the desk needs time to paint it (tens of ms, more on a
#: loaded machine), so both thresholds leave half a second:
#: - positions: a full snapshot every second (spec, ``positionsMargin_update``): 2.5 s is two
#:   missed snapshots plus half a second of jitter;
#: - prices: ``lastprice_update`` comes about every second, but it is a price feed, not a
#:   heartbeat: a market quiet for 2.5 s shows STALE (a false alarm the trader can read) rather
#:   than a stalled feed showing live past 3 s.
STALE_POSITIONS_AFTER = 2.5
STALE_PRICES_AFTER = 2.5
STALE_AFTER: Mapping[str, float] = MappingProxyType(
    {"positions": STALE_POSITIONS_AFTER, "prices": STALE_PRICES_AFTER}
)

#: Seconds without an update after which the connection is dropped and re-established
#: (``stale_reconnect_after``'s default). A stalled connection must be gone within 10 s of the
#: stall; the drop comes this long after the last update (which is at or before the stall), and
#: closing takes a few ms more, so half a second is left.
STALE_RECONNECT_AFTER = 9.5


def stale_thresholds(stale_after: float | Mapping[str, float] = STALE_AFTER) -> dict[str, float]:
    """Each stream's STALE threshold from a ``stale_after`` argument: one number for every
    stream, or a mapping by stream name (streams it leaves out keep :data:`STALE_AFTER`)."""
    if isinstance(stale_after, Mapping):
        unknown = set(stale_after) - set(STREAMS)
        if unknown:
            raise ValueError(f"stale_after: unknown streams {sorted(unknown)}")
        values = {s: stale_after.get(s, STALE_AFTER[s]) for s in STREAMS}
    else:
        values = dict.fromkeys(STREAMS, stale_after)
    out = {s: float(v) for s, v in values.items()}  # float-ok: seconds, not money
    if any(not v > 0 for v in out.values()):
        raise ValueError(f"stale_after must be positive: {out}")
    return out


class TokenBudget:
    """At most ``limit`` token fetches per sliding ``window`` seconds.

    WhiteBIT allows 10 websocket_token calls per 60 s. Reconnect backoff alone does not keep
    under that: it restarts after every connection that delivered data, so a server dropping
    each connection soon after it opens would cost a token every second or so."""

    def __init__(self, limit: int = 10, window: float = 60.0) -> None:
        self._limit = max(1, int(limit))
        self._window = float(window)  # float-ok: seconds, not money
        self._times: collections.deque[float] = collections.deque()

    async def wait(self) -> None:
        """Return once a fetch fits in the window. Called before connecting, so the wait
        never idles an open socket."""
        times = self._times
        while True:
            now = time.monotonic()
            while times and now - times[0] >= self._window:
                times.popleft()
            if len(times) < self._limit:
                return
            wait = self._window - (now - times[0])
            log.info("websocket token budget used up; waiting %.1f s", wait)
            await asyncio.sleep(wait)

    async def fetch(self, provider: Callable[[], Awaitable[str]]) -> str:
        try:
            return await provider()
        finally:
            # Counted from when the answer came back: by then the exchange has surely seen the
            # request, so our window can only be wider than the exchange's, never narrower.
            self._times.append(time.monotonic())
