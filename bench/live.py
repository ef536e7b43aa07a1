"""Figures on the live desk: ``stream_to_paint``, ``key_to_wire`` and ``stale_detect``.

All three run the real ``CollateralApp`` headless, with the probes of ``bench.probe``, against
the benchmark sandbox in a child process (like a remote exchange: its work does not compete
with the desk for this process's GIL). ``key_to_wire`` is also measured against a sandbox
embedded in this process, as ``python -m tui`` runs it, and reported as an extra line.

stream_to_paint
    The sandbox moves BTC_PERP's price by 10 (so the uPnL of the BTC_PERP positions changes) at
    the stream's cadence; each ``positionsMargin_update`` frame that carries a new uPnL for the
    tracked position is stamped when the client receives it. The latency is the time until a
    painted frame shows that uPnL in the positions table (or a newer one: a value superseded
    before it was painted counts as painted with its successor). Two modes: the WhiteBIT cadence
    (snapshot every 1 s) and a burst (snapshots and price ticks every 50 ms).
key_to_wire
    Pilot presses Enter in the order form's amount field (a valid limit order far from the
    market, so it rests) -> the sandbox has received the signed ``order/collateral/limit``
    request (its request log, stamped after the body is read).
stale_detect
    The sandbox stops pushing (the connection stays open and silent) -> the first painted frame
    whose status line reads "positions stale"/"reconnecting", measured from the moment the
    sandbox stopped (its own timestamp), at a random phase against the 1 s pushes. Also
    reported from the last frame the client received (which adds the time between that frame
    and the stop).
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

from textual.widgets import Input, Label

from tui.app.formatting import signed
from tui.app.widgets.order_form import OrderForm
from tui.app.widgets.positions import PositionsTable
from tui.domain.models import Product

from .desk import running_desk, stream_of, wait_until
from .probe import FrameProbe, ReceiveProbe
from .sandbox import Drive, SandboxProcess, SandboxThread, sandbox_config

PNL_COLUMN = [c.key for c in PositionsTable.COLUMNS].index("upnl")
TRACKED_MARKET = "BTC_PERP"
POSITIONS = 10


class StreamTracker:
    """Pairs received uPnL values with the frame that first paints them (or a newer one)."""

    def __init__(self, app: Any, desk: Any, position_id: int) -> None:
        self.app = app
        self.desk = desk
        self.key = str(position_id)
        self.position_id = position_id
        self.pending: list[tuple[int, str]] = []  # (received ns, uPnL text)
        self.latencies_ms: list[float] = []
        self.last_value: str | None = None
        self.active = False

    def received(self, raw: Any, t: int) -> None:
        if not self.active or "positionsMargin_update" not in str(raw)[:64]:
            return
        position = self.app.service.positions.get(self.position_id)
        if position is None:
            return
        text = signed(position.pnl)
        if text != self.last_value:
            self.last_value = text
            self.pending.append((t, text))

    def painted(self, t: int) -> None:
        if not self.pending:
            return
        cells = self.desk.positions_table.cells(self.key)
        if cells is None:
            return
        shown = cells[PNL_COLUMN].text
        hit = None
        for i, (_, text) in enumerate(self.pending):
            if text == shown:
                hit = i
        if hit is None:
            return
        for received, _ in self.pending[: hit + 1]:
            self.latencies_ms.append((t - received) / 1e6)
        del self.pending[: hit + 1]


async def _stream_phase(app: Any, desk: Any, pid: int, seconds: float) -> list[float]:
    tracker = StreamTracker(app, desk, pid)
    probe = FrameProbe(app, on_frame=tracker.painted)
    ReceiveProbe(stream_of(app), tracker.received)
    tracker.active = True
    await asyncio.sleep(seconds)
    tracker.active = False
    assert probe.count > 0
    return tracker.latencies_ms


def _status_text(desk: Any) -> str:
    label = desk.query_one("#status-stream-positions", Label)
    return str(label.content)


async def _key_phase(
    app: Any, pilot: Any, desk: Any, sandbox: Any, reps: int, warmup: int
) -> list[float]:
    samples: list[float] = []
    desk.action_show_product("margin")
    await pilot.pause(0.1)
    form = desk.entry.active_form
    assert isinstance(form, OrderForm) and form.product is Product.MARGIN
    seen = len(await sandbox.requests_since(0))
    for i in range(warmup + reps):
        form.set_values(market="BTC_USDT", amount="0.001", price=str(30000 + i))
        form.query_one("#amount", Input).focus()
        await pilot.pause(0.1)
        if form.errors:
            raise RuntimeError(f"bench: order form refused the order: {form.errors}")
        t0 = time.perf_counter_ns()
        await pilot.press("enter")
        # the sandbox's log is read once the order is done, not polled while it is in flight
        await wait_until(pilot, lambda: not form.in_flight, "the order to finish", timeout=10)
        log = await sandbox.requests_since(seen)
        seen += len(log)
        t1 = next((t for t, p in log if p.endswith("/order/collateral/limit")), None)
        if t1 is None:
            raise RuntimeError(f"bench: the order never reached the sandbox ({form.errors})")
        if i >= warmup:
            samples.append((t1 - t0) / 1e6)
        await pilot.pause(0.2)  # let the post-command resync finish
    return samples


async def _stale_phase(
    app: Any, pilot: Any, desk: Any, sandbox: Any, trials: int
) -> tuple[list[float], list[float]]:
    """(from the moment the sandbox stopped pushing, from the last frame received) -> STALE
    painted, in ms."""
    last_frame = [0]

    def received(raw: Any, t: int) -> None:
        if '"method":"' in str(raw)[:40] and "_update" in str(raw)[:60]:
            last_frame[0] = t

    ReceiveProbe(stream_of(app), received)
    shown_at: list[int] = []
    watching = [False]

    def painted(t: int) -> None:
        if watching[0] and not shown_at:
            text = _status_text(desk)
            if "stale" in text or "reconnecting" in text:
                shown_at.append(t)

    FrameProbe(app, on_frame=painted)
    from_stop: list[float] = []
    from_last_frame: list[float] = []
    rng = random.Random(5)
    for _ in range(trials):
        await wait_until(pilot, lambda: desk.service.trade_gate().allowed, "fresh data", timeout=30)
        await asyncio.sleep(0.5 + rng.random())  # a random phase against the 1 s pushes
        shown_at.clear()
        watching[0] = True
        stopped = await sandbox.set_stalled(True)
        await wait_until(pilot, lambda: bool(shown_at), "STALE on screen", timeout=30)
        watching[0] = False
        from_stop.append((shown_at[0] - stopped) / 1e6)
        from_last_frame.append((shown_at[0] - last_frame[0]) / 1e6)
        await sandbox.set_stalled(False)
    return from_stop, from_last_frame


async def measure(
    *,
    one_hz_seconds: float,
    burst_seconds: float,
    key_reps: int,
    key_warmup: int,
    key_embedded: tuple[int, int],
    stale_trials: int,
) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    # The WhiteBIT cadence: a snapshot every second; then the keypress and stale figures on
    # the same desk.
    one_hz = SandboxProcess(push=1.0, positions=POSITIONS, drive=Drive(TRACKED_MARKET))
    with one_hz as sandbox:
        try:
            async with running_desk(sandbox) as (app, pilot, desk):
                await wait_until(pilot, lambda: len(app.service.positions) == POSITIONS, "rows")
                pid = sandbox.position_ids[0]
                out["stream_1hz"] = await _stream_phase(app, desk, pid, one_hz_seconds)
                out["key_to_wire"] = await _key_phase(
                    app, pilot, desk, sandbox, key_reps, key_warmup
                )
                out["stale_detect"], out["stale_from_last_frame"] = await _stale_phase(
                    app, pilot, desk, sandbox, stale_trials
                )
        finally:
            await sandbox.aclose()
    # Burst: snapshots and price moves every 50 ms.
    burst = SandboxProcess(
        push=0.05, positions=POSITIONS, drive=Drive(TRACKED_MARKET, interval=0.05)
    )
    with burst as sandbox:
        async with running_desk(sandbox) as (app, pilot, desk):
            await wait_until(pilot, lambda: len(app.service.positions) == POSITIONS, "rows")
            out["stream_burst"] = await _stream_phase(
                app, desk, sandbox.position_ids[0], burst_seconds
            )
    # key_to_wire with the sandbox embedded in this process, as ``python -m tui`` runs it.
    with SandboxThread(sandbox_config(push_interval=1.0, tick_interval=1.0)) as sandbox:
        sandbox.add_positions(POSITIONS)
        async with running_desk(sandbox) as (app, pilot, desk):
            await wait_until(pilot, lambda: len(app.service.positions) == POSITIONS, "rows")
            out["key_to_wire_embedded"] = await _key_phase(app, pilot, desk, sandbox, *key_embedded)
    return out
