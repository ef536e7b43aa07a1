"""Sandbox engine throughput, in process: market orders on BTC_PERP, buy and sell in turn (every
order fills at once: open, close, open...), through ``Engine.place_order`` with its events
drained as the server would. No target yet: reported."""

from __future__ import annotations

import time
from decimal import Decimal

from tui.sandbox.engine import Engine, EngineOptions

BATCH = 200


def measure(seconds: float) -> list[float]:
    """Milliseconds per batch of ``BATCH`` orders."""
    engine = Engine(
        clock=lambda: Decimal(time.time_ns()) / Decimal(1_000_000_000),
        balances={"USDT": Decimal(1_000_000)},
        options=EngineOptions(static_prices=True),
    )
    amount = Decimal("0.001")
    samples: list[float] = []
    side = "buy"
    deadline = time.monotonic() + seconds
    warm = True
    while time.monotonic() < deadline or len(samples) < 5:
        t0 = time.perf_counter_ns()
        for _ in range(BATCH):
            order = engine.place_order("market", "BTC_PERP", side, amount)
            assert order.left == 0
            engine.drain_events()
            side = "sell" if side == "buy" else "buy"
        elapsed = (time.perf_counter_ns() - t0) / 1e6
        if warm:
            warm = False
            continue
        samples.append(elapsed)
    return samples
