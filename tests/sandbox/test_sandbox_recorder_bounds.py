"""The request recorder holds a bounded amount whatever clients send (issue 15: 200 WS
authorize frames with 1 MB tokens kept 192 MB; 10k unauthenticated POSTs kept 96 MB).

Sizes are the recorder's own held bytes (a walk of its containers), not the process RSS."""

from __future__ import annotations

import base64
import sys
from collections import Counter
from dataclasses import fields, is_dataclass
from typing import Any

import aiohttp

from tui.sandbox import SandboxServer
from tui.sandbox.recorder import Recorder

from .conftest import KEY, Client

LIMIT = "/api/v4/order/collateral/limit"


def held_bytes(root: Any) -> int:
    """Bytes held by ``root`` through containers, dataclasses and plain objects' ``__dict__``
    (each object once; transports and other foreign objects are not walked)."""
    seen: set[int] = set()
    stack = [root]
    total = 0
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        if isinstance(obj, (str, bytes, int, float, bool, type(None))):
            total += sys.getsizeof(obj)
        elif isinstance(obj, (list, tuple, set, frozenset)):
            total += sys.getsizeof(obj)
            stack.extend(obj)
        elif isinstance(obj, (dict, Counter)):
            total += sys.getsizeof(obj)
            stack.extend(obj.keys())
            stack.extend(obj.values())
        elif is_dataclass(obj):
            total += sys.getsizeof(obj)
            stack.extend(getattr(obj, f.name) for f in fields(obj) if f.name != "transport")
        elif type(obj).__module__.startswith("tui.sandbox") and hasattr(obj, "__dict__"):
            total += sys.getsizeof(obj)
            stack.append(vars(obj))
        elif hasattr(obj, "__len__"):
            total += sys.getsizeof(obj)
            stack.extend(iter(obj))
    return total


async def test_unauthenticated_posts_leave_a_tiny_fixed_record(
    sandbox: SandboxServer, http: aiohttp.ClientSession
):
    before = held_bytes(sandbox.recorder)
    big = base64.b64encode(b'{"request":"' + b"x" * 5000 + b'"}').decode()
    for i in range(200):
        headers = {
            "X-TXC-APIKEY": "k" * 2000,
            "X-TXC-PAYLOAD": big,
            "X-TXC-SIGNATURE": "f" * 2000,
            "Content-Type": "application/json",
        }
        async with http.post(sandbox.rest_url + LIMIT, data=b"{}", headers=headers) as r:
            assert r.status in (400, 401)
    grown = held_bytes(sandbox.recorder) - before
    # On main every record kept its 9 KB of headers: 200 of them held 1.8 MB.
    assert grown < 200 * 600, grown
    assert sandbox.recorder.count(LIMIT) == 200  # still counted
    record = sandbox.recorder.calls(LIMIT)[-1]
    assert record.payload is None and record.signature is None and record.status == 401


async def test_requests_are_a_ring_of_recent_ones(sandbox: SandboxServer, client: Client):
    sandbox.recorder = Recorder(max_requests=50)
    for _ in range(120):
        assert (await client.get("/api/v4/public/ping")).status == 200
    await client.ok("/api/v4/collateral-account/balance")
    rec = sandbox.recorder
    assert len(rec.requests) == 50 and rec.requests[-1].path.endswith("/balance")
    assert rec.summary()["requests"] == 121  # the total is still counted
    assert len(rec.nonces[KEY]) == 1


async def test_ws_frames_with_huge_tokens_and_methods_are_not_kept(
    sandbox: SandboxServer, http: aiohttp.ClientSession
):
    before = held_bytes(sandbox.recorder)
    async with http.ws_connect(sandbox.ws_url, max_msg_size=0) as ws:
        for i in range(20):
            await ws.send_json({"id": i, "method": "authorize", "params": ["t" * 1_000_000, "x"]})
            await ws.receive(timeout=10)
            await ws.send_json({"id": i, "method": f"{i}" + "m" * 500_000, "params": []})
            await ws.receive(timeout=10)
        await ws.send_json({"id": 99, "method": "ping", "params": []})
        assert (await ws.receive_json(timeout=10))["result"] == "pong"
    grown = held_bytes(sandbox.recorder) - before
    # On main: 20 MB of tokens and 10 MB of method names.
    assert grown < 64 * 1024, grown
    conn = sandbox.recorder.ws[-1]
    assert conn.received["authorize"] == 20 and conn.received["ping"] == 1
    assert sum(conn.received.values()) == 41  # odd methods are counted, under one key


async def test_deep_payload_header_is_recorded_without_a_crash(
    sandbox: SandboxServer, http: aiohttp.ClientSession
):
    """The recorder parses X-TXC-PAYLOAD before authentication: 2,000 ``[`` raised
    RecursionError there (aiohttp's plain-text 500), a 5,000-digit nonce ValueError."""
    for raw in (b"[" * 2000, b'{"nonce":"' + b"9" * 5000 + b'"}'):
        headers = {"X-TXC-APIKEY": KEY, "X-TXC-PAYLOAD": base64.b64encode(raw).decode()}
        headers["X-TXC-SIGNATURE"] = "0" * 128
        async with http.post(sandbox.rest_url + LIMIT, data=raw, headers=headers) as r:
            assert r.status == 401 and r.content_type == "application/json", await r.text()
