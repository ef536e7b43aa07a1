"""Fault hooks and the request recorder (tui/sandbox/faults.py), over real sockets."""

from __future__ import annotations

import asyncio
from decimal import Decimal

import aiohttp
import pytest

from tui.sandbox import SandboxServer
from tui.sandbox.faults import FaultError, WarpClock

from .conftest import KEY, Client, Ws, fast_config, loads

LIMIT = "/api/v4/order/collateral/limit"
BALANCE = "/api/v4/collateral-account/balance-summary"


async def post_text(client: Client, path: str, data: dict | None = None) -> tuple[int, str]:
    """A signed POST whose answer may not be JSON."""
    body, headers = client.signed(path, data)
    async with client.session.post(client.base + path, data=body.encode(), headers=headers) as r:
        return r.status, await r.text()


def order(cid: str) -> dict[str, str]:
    return {
        "market": "BTC_PERP",
        "side": "buy",
        "amount": "0.01",
        "price": "50000",
        "clientOrderId": cid,
    }


async def test_recorder_sees_requests_nonces_and_orders(sandbox: SandboxServer, client: Client):
    await client.ok(LIMIT, order("rec-1"))
    await client.ok(BALANCE)
    stale = client.nonce  # reuse a nonce: rejected with the nonce body
    reply = await client.post(BALANCE, nonce=stale)
    assert reply.status == 429
    rec = sandbox.recorder
    assert [r.path for r in rec.requests] == [LIMIT, BALANCE, BALANCE]
    assert rec.nonces[KEY] == [stale - 1, stale]
    assert rec.rejected_nonces[KEY] == [stale]
    assert list(rec.orders) == ["rec-1"] and len(rec.orders["rec-1"]) == 1
    assert rec.calls(LIMIT)[0].client_order_id == "rec-1"
    assert not rec.duplicates()


async def test_http_fault_bodies(sandbox: SandboxServer, client: Client):
    faults = sandbox.faults
    await faults.inject("http_429_rate", path=BALANCE)
    status, text = await post_text(client, BALANCE)
    assert status == 429 and text.startswith("<html>")  # gateway: not JSON
    await faults.inject("http_429_nonce", path=BALANCE)
    reply = await client.post(BALANCE)
    assert reply.status == 429 and reply.json == {
        "code": 0,
        "errors": {},
        "message": "Too many requests.",
    }
    await faults.inject("http_500", path=BALANCE)
    reply = await client.post(BALANCE)
    assert reply.status == 500 and reply.json == {"error": ["Internal server error."]}
    await faults.inject("http_503", path=BALANCE)
    status, text = await post_text(client, BALANCE)
    assert status == 503 and "Unavailable" in text
    assert (await client.post(BALANCE)).status == 200  # each fired once
    assert faults.fired == 4 and not faults.armed


async def test_commit_faults_run_the_order_then_lose_the_answer(
    sandbox: SandboxServer, client: Client
):
    await sandbox.faults.inject("http_503", path=LIMIT, commit=True)
    status, _ = await post_text(client, LIMIT, order("c-503"))
    assert status == 503
    assert len(sandbox.recorder.orders["c-503"]) == 1
    assert sandbox.engine.active_orders(None, None, "c-503")

    await sandbox.faults.inject("http_reset", path=LIMIT, commit=True)
    with pytest.raises(aiohttp.ClientError):
        await client.post(LIMIT, order("c-reset"))
    assert len(sandbox.recorder.orders["c-reset"]) == 1


async def test_reset_before_the_body_runs_nothing(sandbox: SandboxServer, client: Client):
    await sandbox.faults.inject("http_reset", path=LIMIT)
    with pytest.raises(aiohttp.ClientError):
        await client.post(LIMIT, order("lost"))
    record = sandbox.recorder.calls(LIMIT)[0]
    assert record.status is None and record.client_order_id == "lost"
    assert "lost" not in sandbox.recorder.orders
    assert not sandbox.engine.active_orders(None, None, "lost")


async def test_delay_commits_first(sandbox: SandboxServer, client: Client):
    await sandbox.faults.inject("http_delay", path=LIMIT, seconds=1.0)
    task = asyncio.create_task(client.post(LIMIT, order("slow")))
    for _ in range(100):
        if "slow" in sandbox.recorder.orders:
            break
        await asyncio.sleep(0.01)
    assert "slow" in sandbox.recorder.orders and not task.done()
    assert (await task).status == 200


async def test_control_endpoint(
    sandbox: SandboxServer, http: aiohttp.ClientSession, client: Client
):
    url = sandbox.rest_url + "/sandbox/faults"
    async with http.post(url, json={"kind": "http_500", "path": BALANCE, "times": 2}) as r:
        assert r.status == 200
        body = loads(await r.text())
        assert body["armed"][0]["kind"] == "http_500" and body["armed"][0]["times"] == 2
    async with http.post(url, json={"kind": "nope"}) as r:
        assert r.status == 422 and "unknown fault kind" in (await r.text())
    async with http.post(url, json={"kind": "http_500", "bogus": 1}) as r:
        assert r.status == 422
    assert (await client.post(BALANCE)).status == 500
    async with http.post(url, json={"kind": "clear"}) as r:
        assert loads(await r.text())["armed"] == []
    assert (await client.post(BALANCE)).status == 200
    async with http.get(url) as r:
        report = loads(await r.text())
        assert report["fired"] == 1 and report["recorder"]["requests"] == 2


async def test_bad_fault_parameters_are_refused(sandbox: SandboxServer):
    for kwargs in (
        {"kind": "boom"},
        {"kind": "http_500", "times": 0},
        {"kind": "http_delay", "seconds": -1},
        {"kind": "http_500", "path": "api"},
    ):
        with pytest.raises(FaultError):
            await sandbox.faults.inject(**kwargs)


async def test_ws_faults(sandbox: SandboxServer, ws: Ws, client: Client):
    await ws.authorize(client)
    await ws.call("positionsMargin_subscribe", [])
    await sandbox.faults.inject("ws_invalid_json")
    msg = await ws.ws.receive(timeout=5)
    while msg.data.startswith('{"id":null,"method":"positionsMargin_update","params":{"total":0'):
        msg = await ws.ws.receive(timeout=5)
    assert msg.data.endswith('"total":1,')  # cut short: not JSON
    await sandbox.faults.inject("ws_missing_fields")
    params = await ws.wait_push("positionsMargin_update", lambda p: p["total"] == 1)
    assert params["records"] == [{"id": 1}]
    await sandbox.faults.inject("ws_oversized", size=300_000)
    await ws.wait_push("sandbox_padding")
    conn = sandbox.recorder.ws[-1]
    await sandbox.faults.inject("ws_stall")
    assert conn.stalled
    await ws.send("ping")
    with pytest.raises(asyncio.TimeoutError):
        await ws.ws.receive(timeout=0.5)  # nothing, not even the pong
    await sandbox.faults.inject("ws_abort")
    msg = await ws.ws.receive(timeout=5)
    assert msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    assert conn.received["authorize"] == 1 and conn.received["ping"] == 1


async def test_idle_close_on_an_injected_clock(http: aiohttp.ClientSession):
    clock = WarpClock(200)  # 60 s pass in 0.3 s
    async with SandboxServer(
        fast_config(ws_idle_timeout=60.0, ws_clock=clock, ws_idle_poll=0.02)
    ) as sb:
        async with http.ws_connect(sb.ws_url) as conn:
            msg = await conn.receive(timeout=5)
            assert msg.type == aiohttp.WSMsgType.CLOSE and msg.extra == "idle timeout"
        assert sb.recorder.ws[0].close_reason == "idle timeout"


async def test_nonce_ahead_and_pose_as_live(http: aiohttp.ClientSession):
    async with SandboxServer(fast_config(pose_as_live=True)) as sb:
        client = Client(http, sb.rest_url)
        await sb.faults.inject("nonce_ahead", ms=60_000)
        assert (await client.post(BALANCE)).status == 429
        assert sb.nonces.last[KEY] > client.nonce
        reply = await client.get("/sandbox/info")
        assert reply.status == 404 and reply.text == ""


def test_warp_clock_runs_fast():
    clock = WarpClock(1000)
    assert clock.wall(60) == pytest.approx(0.06)
    with pytest.raises(ValueError):
        WarpClock(0)
    assert clock() >= Decimal(0)
