"""WebSocket drills: dropped connection (1), silent stall (2), idle timeout (3), bad frames (10)."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import aiohttp

from tui.api.ws_policy import STALE_AFTER, STALE_RECONNECT_AFTER
from tui.app.widgets.tables import KeyedTable
from tui.domain.models import OrderRequest, OrderType, Side, StreamState
from tui.sandbox.faults import WarpClock
from tui.service import events

from .base import DrillContext, EventLog, check, max_in_window, wait_until
from .screen import desk, desk_app, stream_label, text_of, toasts, wait_screen

TOKEN_PATH = "/api/v4/profile/websocket_token"
STREAMS = ("positions", "prices")
SUBSCRIBES = ("positionsMargin_subscribe", "lastprice_subscribe", "ordersPending_subscribe")


async def drill_ws_drop(ctx: DrillContext) -> None:
    """1. WS dropped without a close frame: jittered reconnect, one fresh token, one authorize and
    one subscribe of each channel per connection, not LIVE until the first new snapshot, and token
    fetches within 10 per (scaled) minute even when every connection is dropped."""
    window = 3.0  # the drill's "minute" (WhiteBIT: 10 websocket_token calls per 60 s)
    sb = await ctx.sandbox()
    svc = ctx.service(
        sb,
        stream={"backoff_base": 0.3, "backoff_cap": 1.0, "token_window": window},
    )
    log = await ctx.started(svc)
    await wait_until(lambda: svc.stream_state("positions") is StreamState.LIVE, 5, "positions LIVE")
    rec = sb.recorder
    first = rec.ws[-1]

    # --- one drop ---------------------------------------------------------------------------
    live_marks: list[int] = []  # snapshots the server had sent on the newest connection at LIVE

    def on_event(event: events.Event) -> None:
        if (
            isinstance(event, events.StreamStateChanged)
            and event.stream == "positions"
            and event.state is StreamState.LIVE
        ):
            live_marks.append(
                rec.ws[-1].sent["positionsMargin_update"] if rec.ws[-1] is not first else 0
            )

    svc.subscribe(on_event)
    dropped_at = time.monotonic()
    await sb.faults.inject("ws_abort")
    await wait_until(lambda: len(rec.ws) >= 2, 5, "a new connection")
    await wait_until(
        lambda: svc.stream_state("positions") is StreamState.LIVE and live_marks, 5, "LIVE again"
    )
    states = [e.state for _, e in log.states("positions", dropped_at)]
    check(states and states[0] is not StreamState.LIVE, f"first state after the drop: {states[:1]}")
    check(
        states.index(StreamState.LIVE) > 0
        and all(
            s in (StreamState.STALE, StreamState.RECONNECTING)
            for s in states[: states.index(StreamState.LIVE)]
        ),
        f"positions must show STALE/RECONNECTING before LIVE, got {[s.value for s in states]}",
    )
    check(live_marks[0] >= 1, "LIVE was shown before the first snapshot of the new connection")
    second = rec.ws[1]
    await wait_until(lambda: all(second.received[m] for m in SUBSCRIBES), 5, "the resubscriptions")
    await asyncio.sleep(0.3)  # anything sent twice would arrive by now
    check(
        rec.count(TOKEN_PATH) == 2,
        f"token fetches after one drop: {rec.count(TOKEN_PATH)} (want 2)",
    )
    check(second.received["authorize"] == 1, "authorize must be sent once on the new connection")
    for method in SUBSCRIBES:
        check(second.received[method] == 1, f"{method} sent {second.received[method]}x (want 1)")
    check(
        second.tokens and first.tokens and second.tokens[0] != first.tokens[0],
        "the new connection must authorize with a fresh token",
    )
    check(not first.open, "the dropped connection is still open on the server")

    # --- a flapping server: every connection is dropped once it delivered data --------------
    gaps: list[float] = []
    for _ in range(14):
        conn = rec.ws[-1]
        await wait_until(lambda c=conn: c.sent["positionsMargin_update"] >= 1, 5, "a snapshot")
        await sb.faults.inject("ws_abort")
        t0 = time.monotonic()
        count = len(rec.ws)
        await wait_until(lambda n=count: len(rec.ws) > n, 10, "a reconnect")
        gaps.append(time.monotonic() - t0)
    await wait_until(lambda: rec.ws[-1].received["authorize"] >= 1, 5, "the last authorize")
    fetches = [r.at for r in rec.calls(TOKEN_PATH)]
    check(
        len(fetches) == len(rec.ws), f"{len(fetches)} token fetches for {len(rec.ws)} connections"
    )
    busiest = max_in_window(fetches, window)
    check(busiest <= 10, f"{busiest} token fetches within one (scaled) minute; WhiteBIT allows 10")
    early = gaps[:6]  # before the token budget is used up: pure backoff
    check(max(early) - min(early) > 0.02, f"reconnect delays show no jitter: {early}")
    check(
        max(early) < 0.3 + 0.5, f"backoff after a working connection too long: {max(early):.2f} s"
    )
    for conn in rec.ws:
        check(conn.received["authorize"] <= 1, "authorize sent twice on one connection")


async def drill_ws_stall(ctx: DrillContext) -> None:
    """2. The stream stalls silently: STALE shown on the desk within 3 s, the stalled connection
    dropped for a reconnect within 10 s, and no number shown as live meanwhile (the production
    thresholds, :data:`STALE_AFTER` and :data:`STALE_RECONNECT_AFTER`, which must leave the desk
    time to paint and the client time to close). Each bound is measured from the stall itself,
    on its own."""
    sb = await ctx.sandbox()
    svc = ctx.service(
        sb,
        stream={
            "stale_after": dict(STALE_AFTER),
            "stale_reconnect_after": STALE_RECONNECT_AFTER,
            "ping_interval": 30.0,
        },
    )
    log = EventLog()
    svc.subscribe(log)
    rec = sb.recorder
    async with desk_app(svc) as (app, pilot):
        await wait_screen(
            pilot,
            lambda: all(stream_label(app, s).has_class("-ok") for s in STREAMS),
            10,
            "both streams live",
        )
        stalled_at = time.monotonic()
        await sb.faults.inject("ws_stall")
        shown: dict[str, float] = {}  # stream -> seconds from the stall to STALE on screen

        def stale_shown() -> bool:
            for s in STREAMS:
                label = stream_label(app, s)
                if s not in shown and "stale" in text_of(label) and label.has_class("-bad"):
                    shown[s] = time.monotonic() - stalled_at
            return len(shown) == len(STREAMS)

        await wait_screen(pilot, stale_shown, 8, "STALE on both streams")
        for stream, after in shown.items():
            check(after <= 3.0, f"{stream} STALE shown {after:.2f} s after the stall (limit 3 s)")
        subtitle = str(desk(app).query_one("#positions-pane").border_subtitle or "")
        check(subtitle.startswith("STALE"), f"the positions pane is not marked STALE: {subtitle!r}")

        # The forced reconnect: the stalled connection is dropped within 10 s of the stall.
        await wait_until(lambda: not rec.ws[0].open, 15, "the stalled connection to be dropped")
        dropped_at = rec.ws[0].closed_at
        assert dropped_at is not None
        check(
            dropped_at - stalled_at <= 10.0,
            f"stalled connection dropped {dropped_at - stalled_at:.1f} s after the stall "
            "(limit 10 s)",
        )
        await wait_until(lambda: len(rec.ws) >= 2, 5, "a new connection")
        await wait_screen(
            pilot,
            lambda: all(stream_label(app, s).has_class("-ok") for s in STREAMS),
            5,
            "both streams live again",
        )
    # Between the stall and the new connection's first snapshot nothing was LIVE.
    for stream in STREAMS:
        seq = log.states(stream, stalled_at)
        live = [t for t, e in seq if e.state is StreamState.LIVE]
        check(live, f"{stream} never LIVE again")
        check(
            live[0] >= rec.ws[1].opened_at,
            f"{stream} shown LIVE before the new connection delivered data",
        )
    quiet = [t for t, e in log.timed(events.PricesChanged, stalled_at) if t < rec.ws[1].opened_at]
    check(not quiet, "price updates arrived while the stream was stalled")


async def drill_idle_timeout(ctx: DrillContext) -> None:
    """3. Server idle timeout (60 s without a client message) on a clock running 100x: the client's
    JSON ping keeps the connection; no reconnect over a simulated 5 minutes. A silent client is
    dropped at 60 s (control)."""
    clock = WarpClock(100)
    sb = await ctx.sandbox(ws_idle_timeout=60.0, ws_clock=clock, ws_idle_poll=0.02)
    # The client's production ping cadence (30 s, pong within 10 s) on the same 100x scale.
    svc = ctx.service(
        sb,
        stream={
            "ping_interval": clock.wall(30),
            "pong_timeout": clock.wall(10),
            "stale_after": 3.0,
            "stale_reconnect_after": 10.0,
        },
    )
    log = await ctx.started(svc)
    await wait_until(lambda: svc.stream_state("positions") is StreamState.LIVE, 5, "LIVE")
    rec = sb.recorder
    conn = rec.ws[0]
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(sb.ws_url, autoping=True) as silent,
    ):
        silent_rec = rec.ws[-1]
        await asyncio.sleep(clock.wall(5 * 60))  # five simulated minutes
        check(
            not silent_rec.open and silent_rec.close_reason == "idle timeout",
            "a silent client was not dropped by the idle timeout (control)",
        )
        closing = (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        check(silent.closed or (await silent.receive(timeout=1)).type in closing, "not closed")
    check(conn.open, f"the desk's connection was closed: {conn.close_reason}")
    check(sum(1 for c in rec.ws if c is not silent_rec) == 1, "the desk reconnected")
    check(rec.count(TOKEN_PATH) == 1, f"{rec.count(TOKEN_PATH)} token fetches (want 1)")
    pings = conn.received["ping"]
    check(pings >= 8, f"only {pings} JSON pings in 5 simulated minutes")
    reconnecting = [e for _, e in log.states("positions") if e.state is StreamState.RECONNECTING]
    check(not reconnecting, "the positions stream went RECONNECTING")


async def drill_bad_frames(ctx: DrillContext) -> None:
    """10. Bad frames (invalid JSON, a snapshot missing fields, an oversized frame): no crash, the
    error is shown on the desk, the stream carries on (or reconnects, for the oversized frame)."""
    sb = await ctx.sandbox()
    svc = ctx.service(sb, stream={"max_frame_bytes": 256 * 1024})
    log = EventLog()
    svc.subscribe(log)
    rec = sb.recorder
    async with desk_app(svc) as (app, pilot):
        await wait_screen(
            pilot, lambda: stream_label(app, "positions").has_class("-ok"), 10, "positions live"
        )
        await svc.place_order(OrderRequest("BTC_PERP", Side.BUY, OrderType.MARKET, Decimal("0.01")))
        await wait_screen(
            pilot, lambda: desk(app).positions_table.row_count == 1, 5, "the position"
        )

        async def bad(kind: str, expect: str) -> None:
            since = time.monotonic()
            snapshots = rec.ws[-1].sent["positionsMargin_update"]
            app.clear_notifications()
            await sb.faults.inject(kind)
            await wait_until(
                lambda: any(expect in e.message for e in log.of(events.ServiceError, since)),
                3,
                f"the error for {kind}",
            )
            error = next(e for e in log.of(events.ServiceError, since) if expect in e.message)
            shown = f"[code {error.code}] {error.message}" if error.code is not None else ""
            await wait_screen(
                pilot,
                lambda: any(expect in t and shown in t for t in toasts(app)),
                2,
                f"the error for {kind} ({error.message!r}; shown: {toasts(app)})",
            )
            await wait_until(
                lambda: (
                    rec.ws[-1].sent["positionsMargin_update"] >= snapshots + 2
                    and svc.stream_age("positions") is not None
                    and svc.stream_age("positions") < 0.5
                ),
                3,
                f"the stream to carry on after {kind}",
            )
            check(len(rec.ws) == 1, f"{kind} caused a reconnect")
            check(stream_label(app, "positions").has_class("-ok"), f"not live after {kind}")
            check(desk(app).positions_table.row_count == 1, f"{kind} changed the positions shown")

        await bad("ws_invalid_json", "invalid JSON")
        await bad("ws_missing_fields", "positionsMargin_update")
        since = time.monotonic()
        await sb.faults.inject("ws_oversized", size=512 * 1024)
        await wait_until(lambda: len(rec.ws) >= 2, 5, "a reconnect after the oversized frame")
        await wait_screen(
            pilot, lambda: stream_label(app, "positions").has_class("-ok"), 5, "live again"
        )
        details = [e.detail for _, e in log.states("positions", since)]
        check(
            any("1009" in d or "too big" in d.lower() for d in details),
            f"the oversized frame was not reported: {details}",
        )
        check(desk(app).positions_table.row_count == 1, "positions lost after the reconnect")
        await pilot.press("e")  # the desk's event log: the reason of the reconnect is there
        await wait_screen(pilot, lambda: app.screen.id != "desk-screen", 2, "the event log")
        table = app.screen.query_one("#events-table", KeyedTable)
        rows = [" ".join(c.text for c in table.cells(k) or ()) for k in table.row_keys]
        check(
            any("1009" in r or "too big" in r.lower() for r in rows),
            f"the event log does not show why the stream reconnected: {rows[-5:]}",
        )
        check(
            svc._tasks and not any(t.done() for t in svc._tasks if t.get_name() == "service-poll"),
            "the service poll loop died",
        )
