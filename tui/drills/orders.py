"""Order and nonce drills: lost responses (4), lost requests (5), no double fill (6), 429s (7),
concurrent nonces (8), a server nonce ahead of the clock (9), quitting mid-order (13)."""

from __future__ import annotations

import asyncio
import base64
import json
import signal
import sys
import time
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

from textual.widgets import Select

from tui.api.errors import RateLimitError
from tui.api.rest import WhiteBitRest
from tui.api.signing import Credentials
from tui.domain.models import OrderRequest, OrderType, Product, Side
from tui.sandbox.config import wall_clock
from tui.service import CommandError, events

from .base import DrillContext, EventLog, check, max_in_window, wait_until
from .screen import desk, desk_app, form_status, order_form, order_rows, ready, wait_screen

LIMIT = "/api/v4/order/collateral/limit"
MARKET = "/api/v4/order/collateral/market"
BALANCE = "/api/v4/collateral-account/balance-summary"
D = Decimal


def limit(cid: str, amount: str = "0.01", price: str = "50000") -> OrderRequest:
    return OrderRequest(
        "BTC_PERP", Side.BUY, OrderType.LIMIT, D(amount), price=D(price), client_order_id=cid
    )


def market(cid: str, amount: str = "0.01") -> OrderRequest:
    return OrderRequest("BTC_PERP", Side.BUY, OrderType.MARKET, D(amount), client_order_id=cid)


def pending_then(log: EventLog, cid: str) -> list[str]:
    """The order's life as the UI saw it: pending / accepted / rejected / filled."""
    names = []
    for _, e in log.items:
        if isinstance(e, events.OrderPending) and e.client_order_id == cid:
            names.append("pending")
        elif isinstance(e, events.OrderAccepted) and e.client_order_id == cid:
            names.append("filled" if e.order.amount > 0 and e.order.left == 0 else "open")
        elif isinstance(e, events.OrderRejected) and e.client_order_id == cid:
            names.append("rejected")
    return names


async def drill_response_lost(ctx: DrillContext) -> None:
    """4. The order is committed but its response is lost (held past the client's timeout): no
    blind resend, reconciled by clientOrderId, exactly one order. Sent through the desk's real
    order form: it shows the order pending ("Sending...") while the answer is out, then placed,
    with the limit order's row in the open-orders pane and the market order's position listed."""
    sb = await ctx.sandbox()
    svc = ctx.service(sb, timeout=0.5)
    log = EventLog()
    svc.subscribe(log)
    rec = sb.recorder
    async with desk_app(svc, confirm_limit_orders=False, confirm_market_above=D(10**9)) as (
        app,
        pilot,
    ):
        await ready(app, pilot)
        form = await order_form(app, pilot, Product.FUTURES)

        async def one(kind: OrderType, path: str, final: str) -> None:
            await sb.faults.inject("http_delay", path=path, seconds=1.5)
            form.query_one("#market", Select).value = "BTC_PERP"
            form.query_one("#type", Select).value = kind
            await pilot.pause()
            prices = {"price": "50000"} if kind is OrderType.LIMIT else {}
            form.set_values(amount="0.01", **prices)
            since = len(log.items)
            check(form.submit(), f"{kind.value}: the form refused a good order: {form.errors}")

            def pending() -> list[str]:
                return [
                    e.client_order_id
                    for _, e in log.items[since:]
                    if isinstance(e, events.OrderPending)
                ]

            await wait_until(pending, 2, "the order to be pending")
            cid = pending()[0]
            await wait_until(lambda: cid in rec.orders, 2, f"{cid} to reach the exchange")
            await wait_screen(pilot, lambda: form_status(form) == "Sending...", 0.4, "Sending...")
            check(
                cid not in {e.client_order_id for e in log.of(events.OrderAccepted)},
                f"{cid}: accepted before its answer or reconciliation",
            )
            order_id = str(rec.orders[cid][0])
            await wait_screen(
                pilot, lambda: form_status(form).startswith("Placed"), 5, f"{cid} placed"
            )
            check(f"#{order_id}" in form_status(form), f"{cid}: form says {form_status(form)!r}")
            if final == "open":
                await wait_screen(
                    pilot,
                    lambda: order_id in order_rows(app),
                    2,
                    f"order #{order_id} in the open-orders pane",
                )
                row = order_rows(app)[order_id]
                check("BTC_PERP" in row and "buy" in row, f"orders pane row: {row!r}")
            else:
                await wait_screen(
                    pilot,
                    lambda: desk(app).positions_table.row_count == 1,
                    2,
                    "the filled order's position",
                )
            check(rec.count(path) == 1, f"{cid}: {rec.count(path)} requests sent (no resend)")
            check(len(rec.orders.get(cid, [])) == 1, f"{cid}: {rec.orders.get(cid)} orders created")
            life = pending_then(log, cid)
            check(life == ["pending", final], f"{cid}: the service said {life}")
            check(not svc.pending.entries(), "the order is still marked in flight")

        await one(OrderType.LIMIT, LIMIT, "open")
        await one(OrderType.MARKET, MARKET, "filled")


async def drill_request_lost(ctx: DrillContext) -> None:
    """5. The request never reached the server (connection reset before the body was read):
    reconcile finds nothing; one resend with the same clientOrderId; exactly one order. A second
    loss in a row is reported as uncertain, never a third attempt."""
    sb = await ctx.sandbox()
    svc = ctx.service(sb, timeout=1.0)
    log = await ctx.started(svc)
    rec = sb.recorder
    await sb.faults.inject("http_reset", path=LIMIT)
    orders = await svc.place_order(limit("drill5-once"))
    calls = rec.calls(LIMIT)
    check(len(calls) == 2, f"{len(calls)} requests (want the lost one plus one resend)")
    check({c.client_order_id for c in calls} == {"drill5-once"}, "the resend changed clientOrderId")
    check(calls[0].status is None and calls[1].status == 200, "unexpected answers")
    check(len(rec.orders["drill5-once"]) == 1 and len(orders) == 1, "not exactly one order")
    check(pending_then(log, "drill5-once") == ["pending", "open"], "UI did not go pending -> open")

    await sb.faults.inject("http_reset", path=LIMIT, times=2)
    try:
        await svc.place_order(limit("drill5-twice"))
    except CommandError as exc:
        check(exc.uncertain, f"expected an uncertain outcome, got {exc}")
    else:
        check(False, "two lost requests in a row were reported as placed")
    twice = [c for c in rec.calls(LIMIT) if c.client_order_id == "drill5-twice"]
    check(len(twice) == 2, f"{len(twice)} attempts (at most one resend)")
    check("drill5-twice" not in rec.orders, "an order appeared although no request arrived")
    check(
        [e.client_order_id for e in svc.pending.entries()] == ["drill5-twice"],
        "the uncertain order must stay marked in flight for the next start",
    )


async def drill_no_second_fill(ctx: DrillContext) -> None:
    """6. A market order fills, then its answer is lost four ways (held past the timeout, 500,
    503 with a non-JSON body, connection reset, each after the fill): never a second fill."""
    sb = await ctx.sandbox()
    svc = ctx.service(sb, timeout=0.5)
    await ctx.started(svc)
    rec = sb.recorder
    variants = [
        ("http_delay", {"seconds": 1.5}),
        ("http_500", {"commit": True}),
        ("http_503", {"commit": True}),
        ("http_reset", {"commit": True}),
    ]
    for i, (kind, extra) in enumerate(variants):
        cid = f"drill6-{i}"
        await sb.faults.inject(kind, path=MARKET, **extra)
        orders = await svc.place_order(market(cid, "0.001"))
        check(len(orders) == 1 and orders[0].left == 0, f"{kind}: not reported filled: {orders}")
        check(len(rec.orders.get(cid, [])) == 1, f"{kind}: {rec.orders.get(cid)} orders created")
        check(
            len([c for c in rec.calls(MARKET) if c.client_order_id == cid]) == 1,
            f"{kind}: the filled order was sent again",
        )
    await svc.resync()
    await asyncio.sleep(0.5)  # give any stray retry time to show up
    positions = sb.engine.open_positions("BTC_PERP")
    total = sum((p.size for p in positions), D(0))
    check(total == D("0.004"), f"position is {total}, want exactly 4 x 0.001")
    check(not rec.duplicates(), f"duplicate orders: {rec.duplicates()}")
    check(len(rec.calls(MARKET)) == 4, f"{len(rec.calls(MARKET))} market orders sent for 4 fills")


async def drill_429(ctx: DrillContext) -> None:
    """7. 429 rate limit vs 429 nonce: reads back off (with jitter) and retry a bounded number of
    times; orders are not retried on a rate limit; a nonce rejection is recognised and the order
    goes again with a new, higher nonce (it never reached the engine)."""
    sb = await ctx.sandbox()
    rec = sb.recorder
    base = 0.05
    async with WhiteBitRest(
        sb.rest_url,
        Credentials(sb.config.api_key, sb.config.api_secret),
        timeout=2.0,
        max_read_retries=3,
        backoff_base=base,
        backoff_cap=1.0,
        reconcile_delay=0.05,
    ) as rest:
        await sb.faults.inject("http_429_rate", path=BALANCE, times=2)
        await rest.balance_summary()
        calls = rec.calls(BALANCE)
        check([c.status for c in calls] == [429, 429, 200], f"statuses {[c.status for c in calls]}")
        gaps = [b.at - a.at for a, b in pairwise(calls)]
        for attempt, gap in enumerate(gaps):
            floor = base * 2**attempt / 2  # equal jitter: at least half the ceiling
            check(gap >= floor * 0.9, f"retry {attempt + 1} after {gap:.3f} s: no backoff")

        before = rec.count(BALANCE)
        await sb.faults.inject("http_429_rate", path=BALANCE, times=50)
        try:
            await rest.balance_summary()
        except RateLimitError:
            pass
        else:
            check(False, "a permanent rate limit did not surface as an error")
        tries = rec.count(BALANCE) - before
        check(tries == 4, f"{tries} attempts under a permanent rate limit (want 1 + 3 retries)")
        sb.faults.clear()

        await sb.faults.inject("http_429_rate", path=LIMIT)
        try:
            await rest.place_order(limit("drill7-rate"))
        except RateLimitError:
            pass
        else:
            check(False, "a rate-limited order was reported placed")
        check(rec.count(LIMIT) == 1, f"a rate-limited order was retried ({rec.count(LIMIT)} sends)")
        check("drill7-rate" not in rec.orders, "a rate-limited order was created")

        await sb.faults.inject("http_429_nonce", path=LIMIT)
        await rest.place_order(limit("drill7-nonce"))
        calls = [c for c in rec.calls(LIMIT) if c.client_order_id == "drill7-nonce"]
        check(len(calls) == 2, f"{len(calls)} sends for the nonce case (want 2)")
        check(calls[0].status == 429 and calls[1].status == 200, "unexpected answers")
        check(calls[1].nonce > calls[0].nonce, "the retry did not use a new, higher nonce")
        check(len(rec.orders["drill7-nonce"]) == 1, "not exactly one order")


async def drill_concurrent_nonces(ctx: DrillContext) -> None:
    """8. 50 concurrent signed calls (reads and orders) on one client, each answer held 0.2 s by
    the sandbox: they overlap on the wire (a client that sends one at a time needs 50 x 0.2 s),
    every body carries ``nonceWindow: true`` (concurrent requests do not arrive in nonce order,
    so strictly increasing nonces cannot be asked of them), no nonce rejection, and the sandbox
    accepted 50 distinct nonces."""
    sb = await ctx.sandbox()
    key = sb.config.api_key
    hold = 0.2
    async with WhiteBitRest(
        sb.rest_url, Credentials(key, sb.config.api_secret), timeout=5.0
    ) as rest:
        await rest.balance_summary()  # connect and authenticate once before timing anything
        first = len(sb.recorder.requests)
        await sb.faults.inject("http_delay", seconds=hold, times=50)  # every REST path
        calls = []
        for i in range(50):
            if i % 5 == 0:
                calls.append(rest.place_order(limit(f"drill8-{i}", "0.001", str(40000 + i))))
            elif i % 2:
                calls.append(rest.balance_summary())
            else:
                calls.append(rest.active_orders(market="BTC_PERP"))
        started = time.monotonic()
        results = await asyncio.gather(*calls, return_exceptions=True)
        took = time.monotonic() - started
    errors = [r for r in results if isinstance(r, Exception)]
    check(not errors, f"{len(errors)} calls failed: {errors[:1]}")
    # Each request is held ``hold`` s after it arrives: those that arrived within one ``hold``
    # of each other were in flight together.
    arrivals = [r.at for r in sb.recorder.requests[first:]]
    overlap = max_in_window(arrivals, hold)
    check(
        overlap > 1 and took < 50 * hold / 2,
        f"the 50 calls ran one at a time on the wire: at most {overlap} in flight, "
        f"{took:.1f} s in all (one at a time: {50 * hold:g} s)",
    )
    signed = [r for r in sb.recorder.requests[first:] if r.key is not None]
    check(len(signed) == 50, f"the sandbox received {len(signed)} signed requests (want 50)")
    unwindowed = [r.path for r in signed if _signed_body(r.payload).get("nonceWindow") is not True]
    check(not unwindowed, f"{len(unwindowed)} signed bodies without nonceWindow: {unwindowed[:3]}")
    nonces = sb.recorder.nonces.get(key, [])[1:]
    check(len(nonces) == 50, f"the sandbox accepted {len(nonces)} nonces (want 50)")
    check(len(set(nonces)) == 50, "a nonce was used twice")
    check(sb.recorder.nonce_rejections() == 0, f"{sb.recorder.nonce_rejections()} nonce rejections")
    check(len(sb.recorder.orders) == 10, f"{len(sb.recorder.orders)} orders (want 10)")


def _signed_body(payload: str | None) -> dict[str, object]:
    """The JSON body a signed request carried (its ``X-TXC-PAYLOAD``, base64 of the body)."""
    try:
        data = json.loads(base64.b64decode(payload or "", validate=True))
    except ValueError:  # binascii.Error and JSONDecodeError are ValueErrors
        return {}
    return data if isinstance(data, dict) else {}


async def drill_nonce_ahead(ctx: DrillContext) -> None:
    """9. The server's last nonce is 30 s ahead of our clock (another process used the key, or
    the nonce file was lost). (a) The default client (``nonceWindow``: nonces unique and within
    5 s of the exchange's clock, the mark does not apply) pays nothing: no rejection, no error.
    (b) On the strict path (``nonce_window=False``) the same mark costs 1..3 rejections, then
    the jump ladder has overtaken it: no error loop, nonces increasing, a restart with the
    nonce file goes through without a rejection. (c) An exchange clock 30 s off refuses
    windowed nonces: after two refusals the client goes strict and every call succeeds."""
    sb = await ctx.sandbox()
    rec = sb.recorder
    key = sb.config.api_key
    await sb.faults.inject("nonce_ahead", ms=30_000)

    # (a) nonceWindow: the mark ahead costs nothing
    svc = ctx.service(sb, nonce_path=ctx.tmp / "nonce-window")
    log = await ctx.started(svc)
    for i in range(5):
        await svc.place_order(limit(f"drill9-window-{i}", "0.001", str(41000 + i)))
    await svc.resync()
    check(rec.nonce_rejections() == 0, f"{rec.nonce_rejections()} rejections with nonceWindow")
    check(not log.of(events.ServiceError), f"errors shown: {log.of(events.ServiceError)[:1]}")
    check(len(rec.orders) == 5, f"{len(rec.orders)} orders placed (want 5)")
    await svc.stop()

    # (b) strict nonces: the same mark (still ahead: the windowed nonces followed the clock)
    strict = {"nonce_window": False}
    nonce_file = ctx.tmp / "nonce-strict"
    accepted_before = len(rec.nonces[key])
    svc = ctx.service(sb, nonce_path=nonce_file, rest=strict)
    log = await ctx.started(svc)
    first = rec.nonce_rejections()
    check(1 <= first <= 3, f"{first} strict nonce rejections while recovering (want 1..3)")
    for i in range(5):
        await svc.place_order(limit(f"drill9-strict-{i}", "0.001", str(41100 + i)))
    await svc.resync()
    check(rec.nonce_rejections() == first, "nonce rejections went on after recovery (error loop)")
    check(not log.of(events.ServiceError), f"errors shown: {log.of(events.ServiceError)[:1]}")
    await svc.stop()
    again = ctx.service(sb, nonce_path=nonce_file, rest=strict)  # the restart
    await ctx.started(again)
    await again.place_order(limit("drill9-after-restart", "0.001", "42000"))
    check(rec.nonce_rejections() == first, "the restart with the nonce file was rejected")
    nonces = rec.nonces[key][accepted_before:]
    check(all(a < b for a, b in pairwise(nonces)), "accepted strict nonces went backwards")

    # (c) the exchange's clock 30 s ahead of ours: windowed nonces refused, strict ones taken
    skewed = await ctx.sandbox(clock=lambda: wall_clock() + 30)
    async with WhiteBitRest(
        skewed.rest_url, Credentials(key, skewed.config.api_secret), timeout=5.0
    ) as rest:
        await rest.balance_summary()
        await rest.place_order(limit("drill9-skewed", "0.001", "42100"))
        await rest.active_orders(market="BTC_PERP")
    refused = skewed.recorder.nonce_rejections()
    check(refused == 2, f"{refused} rejections with the exchange's clock 30 s off (want 2)")
    taken = [r for r in skewed.recorder.requests if r.key is not None and r.status == 200]
    check(len(taken) == 3, f"{len(taken)} calls answered 200 (want 3)")
    windowed = [r.path for r in taken if _signed_body(r.payload).get("nonceWindow") is True]
    check(not windowed, f"nonceWindow still sent after two refusals: {windowed}")


def _child_command(spec: dict[str, object]) -> list[str]:
    """``python -I`` (nothing from the working directory) running :mod:`tui.drills.desk_child`
    from the same ``tui`` package as this drill."""
    import tui

    root = str(Path(tui.__file__).resolve().parent.parent)
    code = (
        f"import sys; sys.path.insert(0, {root!r}); from tui.drills.desk_child import main; main()"
    )
    return [sys.executable, "-I", "-c", code, json.dumps(spec)]


async def drill_quit_in_flight(ctx: DrillContext) -> None:
    """13. A desk process is killed (SIGKILL) with one order committed at the exchange whose
    answer is still out, and one written down whose request never arrived (two lost requests:
    uncertain). At the next start both are reconciled from the journal: the first found and
    shown accepted, the second reported as never placed; neither is sent again."""
    sb = await ctx.sandbox()
    rec = sb.recorder
    pending = ctx.tmp / "pending-orders.json"
    spec: dict[str, object] = {
        "rest_url": sb.rest_url,
        "ws_url": sb.ws_url,
        "api_key": sb.config.api_key,
        "api_secret": sb.config.api_secret,
        "nonce_path": str(ctx.tmp / "nonce"),
        "pending_path": str(pending),
        "orders": [["drill13-unsent", "49000"], ["drill13-sent", "50000"]],
    }
    # The first order's request is lost twice (never reaches the engine); the second is
    # committed and its answer held far past the kill.
    await sb.faults.inject("http_reset", path=LIMIT, times=2)
    await sb.faults.inject("http_delay", path=LIMIT, seconds=60.0)
    child = await asyncio.create_subprocess_exec(
        *_child_command(spec),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        await wait_until(lambda: "drill13-sent" in rec.orders, 20, "the order at the exchange")
        check(child.returncode is None, "the desk process exited before the kill")
        journal = pending.read_text(encoding="utf-8", errors="replace")
        check(
            "drill13-sent" in journal and "drill13-unsent" in journal,
            "the in-flight orders are not in the journal on disk",
        )
        child.send_signal(signal.SIGKILL)
    finally:
        if child.returncode is None:
            child.kill()
        out, err = await child.communicate()
    check(child.returncode == -signal.SIGKILL, f"the desk ended with {child.returncode}: {err!r}")
    check(b"uncertain drill13-unsent" in out, f"the lost order was not uncertain: {out!r}")
    check(b"placed drill13-sent" not in out, "the held order was answered before the kill")
    sb.faults.clear()

    svc = ctx.service(sb, pending_path=pending, nonce_path=ctx.tmp / "nonce")  # the restart
    log = await ctx.started(svc)
    done = {e.client_order_id: e for e in log.of(events.PendingOrderReconciled)}
    check(set(done) == {"drill13-sent", "drill13-unsent"}, f"reconciled: {sorted(done)}")
    check(len(done["drill13-sent"].orders) == 1, "the sent order was not found")
    check(not done["drill13-unsent"].orders, "an order that was never placed was found")
    check(
        any("drill13-unsent" in e.message for e in log.of(events.ServiceError)),
        "the unsent order was not reported to the trader",
    )
    check(
        any(e.client_order_id == "drill13-sent" for e in log.of(events.OrderAccepted)),
        "the found order was not shown as accepted",
    )
    check(len(rec.orders.get("drill13-sent", [])) == 1, "the in-flight order was sent again")
    check("drill13-unsent" not in rec.orders, "the unsent order was placed")
    sent = [c for c in rec.calls(LIMIT) if c.client_order_id == "drill13-sent"]
    check(len(sent) == 1, f"the in-flight order was sent {len(sent)} times")
    check(not svc.pending.entries(), "entries left after reconciliation")
    check(any(o.client_order_id == "drill13-sent" for o in svc.orders.values()), "not listed")


__all__ = [
    "drill_429",
    "drill_concurrent_nonces",
    "drill_no_second_fill",
    "drill_nonce_ahead",
    "drill_quit_in_flight",
    "drill_request_lost",
    "drill_response_lost",
]
