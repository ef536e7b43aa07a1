"""Reliability drills: the faults real exchanges produce, rehearsed against the sandbox.

``python -m tui.drills`` runs every drill against its own sandbox on loopback and prints one line
per drill and a summary; the same drill functions run in CI as tests (tests/drills). See the
README's "Reliability" section for the table.
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from .base import Counters, DrillContext, DrillFailure

DrillFn = Callable[[DrillContext], Awaitable[None]]


@dataclass(frozen=True)
class Drill:
    number: int
    name: str
    fn: DrillFn
    timeout: float = 60.0


@dataclass
class DrillResult:
    drill: Drill
    ok: bool
    seconds: float
    detail: str = ""
    counters: Counters = field(default_factory=Counters)


def _registry() -> list[Drill]:
    from . import fuzz, money, orders, safety, stream

    return [
        Drill(1, "WS dropped without close", stream.drill_ws_drop),
        Drill(2, "stream stalls silently", stream.drill_ws_stall),
        Drill(3, "server idle timeout", stream.drill_idle_timeout),
        Drill(4, "order committed, response lost", orders.drill_response_lost),
        Drill(5, "request never reached the server", orders.drill_request_lost),
        Drill(6, "market order filled, then a retry path", orders.drill_no_second_fill),
        Drill(7, "429 rate limit vs 429 nonce", orders.drill_429),
        Drill(8, "50 concurrent signed calls", orders.drill_concurrent_nonces),
        Drill(9, "server nonce ahead of the clock", orders.drill_nonce_ahead),
        Drill(10, "bad frames", stream.drill_bad_frames),
        Drill(11, "money math and order-form input", money.drill_money_math),
        Drill(12, "secret leakage", safety.drill_secrets),
        Drill(13, "desk killed with an order in flight", orders.drill_quit_in_flight),
        Drill(14, "safe defaults", safety.drill_safe_defaults),
        Drill(15, "hostile input (fuzz)", fuzz.drill_fuzz, timeout=240.0),
    ]


def drills() -> list[Drill]:
    return _registry()


def get(number: int) -> Drill:
    for drill in _registry():
        if drill.number == number:
            return drill
    raise KeyError(number)


async def run_drill(drill: Drill, tmp: Path | None = None) -> DrillResult:
    """Run one drill in a fresh context; never raises (the result says what failed)."""
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"drill{drill.number:02d}-") as scratch:
        ctx = DrillContext(tmp=Path(tmp or scratch))
        ok, detail = True, ""
        try:
            async with ctx:
                await asyncio.wait_for(drill.fn(ctx), drill.timeout)
        except DrillFailure as exc:
            ok, detail = False, str(exc)
        except TimeoutError:
            ok, detail = False, f"did not finish within {drill.timeout:g} s"
        except Exception as exc:  # noqa: BLE001 - a crash is a failure too, with its last frame
            last = traceback.extract_tb(exc.__traceback__)[-1:]
            where = f" at {last[0].filename.rsplit('/', 1)[-1]}:{last[0].lineno}" if last else ""
            ok, detail = False, f"{type(exc).__name__}: {exc}{where}"
    return DrillResult(drill, ok, time.monotonic() - start, detail, ctx.counters)


__all__ = ["Drill", "DrillContext", "DrillFailure", "DrillResult", "drills", "get", "run_drill"]
