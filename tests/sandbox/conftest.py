"""Fixtures for the sandbox tests: a real server on a loopback port, a signing REST client and a
raw WebSocket client (aiohttp; nothing from tui.api, which is written separately)."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator, Callable
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from tui.sandbox import SandboxConfig, SandboxServer

KEY = "test-key"
SECRET = "test-secret"


def fast_config(**overrides: Any) -> SandboxConfig:
    """Short intervals and frozen prices: fast, deterministic tests."""
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "api_key": KEY,
        "api_secret": SECRET,
        "balances": {"USDT": Decimal(10000)},
        "static_prices": True,
        "seed": 7,
        "tick_interval": 0.05,
        "push_interval": 0.05,
        "funding_interval": 3600.0,
        "interest_interval": 3600.0,
        "ws_idle_timeout": 5.0,
    }
    values.update(overrides)
    return SandboxConfig(**values)


def loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def sign_body(body: str, secret: str = SECRET) -> tuple[str, str]:
    payload = base64.b64encode(body.encode()).decode()
    signature = hmac.new(secret.encode(), payload.encode(), hashlib.sha512).hexdigest()
    return payload, signature


class Reply:
    def __init__(self, status: int, text: str) -> None:
        self.status = status
        self.text = text
        self.json = loads(text) if text else None

    def __repr__(self) -> str:
        return f"Reply({self.status}, {self.text[:300]})"


class Client:
    """Signs like WhiteBIT's quickstart (compact JSON), with a monotonic nonce."""

    def __init__(
        self, session: aiohttp.ClientSession, base: str, key: str = KEY, secret: str = SECRET
    ) -> None:
        self.session = session
        self.base = base
        self.key = key
        self.secret = secret
        self.nonce = int(time.time() * 1000)

    def next_nonce(self) -> int:
        self.nonce += 1
        return self.nonce

    async def raw(self, path: str, body: str, headers: dict[str, str]) -> Reply:
        async with self.session.post(self.base + path, data=body.encode(), headers=headers) as r:
            return Reply(r.status, await r.text())

    def signed(
        self, path: str, data: dict[str, Any] | None = None, *, nonce: Any = None
    ) -> tuple[str, dict[str, str]]:
        payload_data = dict(data or {})
        payload_data["request"] = path
        payload_data["nonce"] = self.next_nonce() if nonce is None else nonce
        body = json.dumps(payload_data, separators=(",", ":"), default=str)
        payload, signature = sign_body(body, self.secret)
        headers = {
            "Content-Type": "application/json",
            "X-TXC-APIKEY": self.key,
            "X-TXC-PAYLOAD": payload,
            "X-TXC-SIGNATURE": signature,
        }
        return body, headers

    async def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Reply:
        body, headers = self.signed(path, data, **kw)
        return await self.raw(path, body, headers)

    async def ok(self, path: str, data: dict[str, Any] | None = None) -> Any:
        reply = await self.post(path, data)
        assert reply.status == 200, reply
        return reply.json

    async def get(self, path: str) -> Reply:
        async with self.session.get(self.base + path) as r:
            return Reply(r.status, await r.text())

    async def ws_token(self) -> str:
        return (await self.ok("/api/v4/profile/websocket_token"))["websocket_token"]


class Ws:
    """A raw JSON-RPC WebSocket client."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws
        self.next_id = 100
        self.pushes: list[dict[str, Any]] = []

    async def send(self, method: str, params: Any = None) -> int:
        self.next_id += 1
        await self.ws.send_str(
            json.dumps(
                {"id": self.next_id, "method": method, "params": [] if params is None else params}
            )
        )
        return self.next_id

    async def recv(self, timeout: float = 5.0) -> dict[str, Any]:
        msg = await self.ws.receive(timeout=timeout)
        assert msg.type == aiohttp.WSMsgType.TEXT, msg
        return loads(msg.data)

    async def call(self, method: str, params: Any = None, timeout: float = 5.0) -> dict[str, Any]:
        request_id = await self.send(method, params)
        while True:
            message = await self.recv(timeout)
            if message.get("id") == request_id:
                return message
            self.pushes.append(message)

    async def wait_push(
        self,
        method: str,
        predicate: Callable[[Any], bool] = lambda params: True,
        timeout: float = 5.0,
    ) -> Any:
        """The params of the next ``method`` push that satisfies ``predicate``.

        Pushes of other channels that arrive meanwhile are kept for later waits; earlier pushes
        of the same channel are dropped once a later one matches.
        """
        for i, message in enumerate(self.pushes):
            if message.get("method") == method and predicate(message["params"]):
                self.pushes = [m for m in self.pushes[i + 1 :]] + [
                    m for m in self.pushes[:i] if m.get("method") != method
                ]
                return message["params"]
        self.pushes = [m for m in self.pushes if m.get("method") != method]
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            left = deadline - asyncio.get_running_loop().time()
            if left <= 0:
                raise AssertionError(f"no {method} push matched within {timeout}s")
            message = await self.recv(left)
            if message.get("method") == method:
                if predicate(message["params"]):
                    return message["params"]
            else:
                self.pushes.append(message)

    async def authorize(self, client: Client) -> None:
        reply = await self.call("authorize", [await client.ws_token(), "public"])
        assert reply == {"id": reply["id"], "result": {"status": "success"}, "error": None}


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(fast_config()) as sb:
        yield sb


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def client(sandbox: SandboxServer, http: aiohttp.ClientSession) -> Client:
    return Client(http, sandbox.rest_url)


@pytest.fixture
async def ws(sandbox: SandboxServer, http: aiohttp.ClientSession) -> AsyncIterator[Ws]:
    async with http.ws_connect(sandbox.ws_url, autoping=False) as conn:
        yield Ws(conn)
