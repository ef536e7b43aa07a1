"""The fuzz drill's own checks can fail: its inputs and its verdicts on a deliberately broken
server (real sockets on loopback), and its error-shape rule."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import httpx
import pytest
from aiohttp import web

from tui.drills.fuzz import Fuzzer, error_shape
from tui.drills.fuzz_inputs import PING, Probe, drawn_probes, fixed_probes


def test_error_shape() -> None:
    assert error_shape(422, {"code": 32, "message": "Validation failed", "errors": {}})
    assert error_shape(400, {"market": ["Market is not available."]})
    assert not error_shape(400, {"error": "Bad Request"})
    assert not error_shape(400, {"code": "32", "message": "x"})
    assert not error_shape(400, {})
    assert not error_shape(400, ["x"])


def test_inputs_cover_the_issue_and_are_deterministic() -> None:
    labels = [p.label for p in fixed_probes()]
    for field in ("leverage", "limit", "offset", "orderId", "positionId", "startDate", "endDate"):
        assert any(f" {field}=1e1000000" in label for label in labels), field
    for raw in ("1e999", "1e308", "123456789012...(30 chars)"):
        assert any(f"amount={raw}" in label for label in labels), raw
    assert any("?limit=\u0663" in label for label in labels)
    assert any(p.refuse for p in fixed_probes())
    assert [p.label for p in drawn_probes(10)] == [p.label for p in drawn_probes(10)]


class _Broken:
    """A server that gets everything wrong the drill looks for."""

    rest_url = ""
    ws_url = ""


@pytest.fixture
async def broken() -> AsyncIterator[_Broken]:
    async def ping(request: web.Request) -> web.Response:
        return web.json_response({})

    async def crash(request: web.Request) -> web.Response:
        return web.Response(status=500, text="Server got itself in trouble")

    async def plain(request: web.Request) -> web.Response:
        return web.Response(status=400, text="Bad Request")

    async def ws(request: web.Request) -> web.WebSocketResponse:
        conn = web.WebSocketResponse()
        await conn.prepare(request)
        await conn.receive()
        await conn.close(code=1011)  # drops the connection instead of answering
        return conn

    app = web.Application()
    app.router.add_get(PING, ping)
    app.router.add_post("/crash", crash)
    app.router.add_get("/plain", plain)
    app.router.add_get("/ws", ws)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    server = _Broken()
    server.rest_url = f"http://127.0.0.1:{port}"
    server.ws_url = f"ws://127.0.0.1:{port}/ws"
    try:
        yield server
    finally:
        await runner.cleanup()


async def test_verdicts_on_a_broken_server(broken: _Broken, tmp_path: Path) -> None:
    async with httpx.AsyncClient(trust_env=False) as http, aiohttp.ClientSession() as session:
        fuzzer = Fuzzer(broken, http)  # type: ignore[arg-type]
        await fuzzer.rest(Probe("crash", path="/crash", body=b"{}"), None)
        await fuzzer.rest(Probe("plain", method="GET", path="/plain"), None)
        await fuzzer.rest(Probe("accepts \u0663", method="GET", path=PING, refuse=True), None)
        async with session.ws_connect(broken.ws_url) as conn:
            alive = await fuzzer.ws(Probe("ws", frame='{"id":1,"method":"ping"}'), conn)
        assert await fuzzer.healthy()
    problems = dict(fuzzer.report.failures)
    assert "HTTP 500" in problems["crash"] or "not JSON" in problems["crash"]
    assert "not JSON" in problems["plain"]
    assert "non-ASCII" in problems["accepts \u0663"]
    assert not alive and "dropped" in problems["ws"]
