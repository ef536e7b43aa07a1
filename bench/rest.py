"""REST figures: one signed private call (open positions) against the benchmark sandbox.

rest_call_vs_httpx / rest_call_vs_ccxt
    A warm connection, the same request: ``WhiteBitRest.open_positions()`` (signing, nonce,
    the httpx transport, JSON with Decimal, typed ``Position`` objects) against the same request
    written by hand with raw httpx (sign, POST, ``response.json()``): the ratio is our client's
    own overhead over the HTTP library it sits on. And against ccxt's async ``whitebit`` client
    (``fetch_positions()``, markets already loaded) with its ``urls['api']`` pointed at the
    sandbox. The clients take turns, call by call, so machine noise hits them alike.
first_call_vs_ccxt
    From creating the client to the first answer: ``WhiteBitRest`` + ``open_positions()`` on a
    new connection, against a new ccxt client's ``fetch_positions()`` (which loads the markets
    first: ``/public/assets`` and ``/public/markets``).

Every client signs with its own API key on the same sandbox account (nonces are per key).
The sandbox runs in this process on its own thread, so its time is on both sides of every ratio.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import time
from typing import Any

import httpx

from tui.api.rest import WhiteBitRest
from tui.api.signing import Credentials

from .sandbox import SandboxThread, sandbox_config

PATH = "/api/v4/collateral-account/positions/open"
POSITIONS = 4


def ccxt_available() -> bool:
    try:
        import ccxt.async_support  # noqa: F401
    except ImportError:
        return False
    return True


def _ccxt_client(base: str, key: str, secret: str) -> Any:
    import ccxt.async_support as ccxt

    client = ccxt.whitebit({"apiKey": key, "secret": secret, "enableRateLimit": False})
    client.urls["api"] = {
        "v1": {"public": f"{base}/api/v1/public", "private": f"{base}/api/v1"},
        "v2": {"public": f"{base}/api/v2/public"},
        "v4": {"public": f"{base}/api/v4/public", "private": f"{base}/api/v4"},
    }
    return client


class RawHttpx:
    """The request written by hand: what a user would do with httpx and the API docs."""

    def __init__(self, base: str, key: str, secret: str) -> None:
        self.client = httpx.AsyncClient(base_url=base, trust_env=False)
        self.key = key
        self.secret = secret.encode()
        self.nonce = int(time.time() * 1000)

    async def open_positions(self) -> Any:
        self.nonce = max(self.nonce + 1, int(time.time() * 1000))
        body = json.dumps({"request": PATH, "nonce": self.nonce}, separators=(",", ":"))
        payload = base64.b64encode(body.encode()).decode()
        signature = hmac.new(self.secret, payload.encode(), hashlib.sha512).hexdigest()
        response = await self.client.post(
            PATH,
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-TXC-APIKEY": self.key,
                "X-TXC-PAYLOAD": payload,
                "X-TXC-SIGNATURE": signature,
            },
        )
        response.raise_for_status()
        return response.json()

    async def aclose(self) -> None:
        await self.client.aclose()


async def _timed(coro: Any) -> float:
    t0 = time.perf_counter_ns()
    await coro
    return (time.perf_counter_ns() - t0) / 1e6


async def measure(*, reps: int, warmup: int, first_reps: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"ours": [], "httpx": [], "ccxt": [], "first_ours": []}
    out["first_ccxt"] = []
    with SandboxThread(sandbox_config()) as sandbox:
        sandbox.add_positions(POSITIONS)
        base = sandbox.rest_url
        keys = ["bench-ours", "bench-httpx", "bench-ccxt"]
        keys += [f"bench-first-{i}" for i in range(2 * (first_reps + 1))]
        for key in keys:
            sandbox.add_key(key, f"{key}-secret")
        ours = WhiteBitRest(base, Credentials("bench-ours", "bench-ours-secret"))
        raw = RawHttpx(base, "bench-httpx", "bench-httpx-secret")
        have_ccxt = ccxt_available()
        ccxt_client = _ccxt_client(base, "bench-ccxt", "bench-ccxt-secret") if have_ccxt else None
        try:
            if ccxt_client is not None:
                await ccxt_client.load_markets()
            # sanity: all read the same positions
            assert len(await ours.open_positions()) == POSITIONS
            assert len(await raw.open_positions()) == POSITIONS
            if ccxt_client is not None:
                assert len(await ccxt_client.fetch_positions()) == POSITIONS
            for i in range(warmup + reps):
                a = await _timed(ours.open_positions())
                b = await _timed(raw.open_positions())
                c = await _timed(ccxt_client.fetch_positions()) if ccxt_client else None
                if i >= warmup:
                    out["ours"].append(a)
                    out["httpx"].append(b)
                    if c is not None:
                        out["ccxt"].append(c)
        finally:
            await ours.aclose()
            await raw.aclose()
            if ccxt_client is not None:
                await ccxt_client.close()

        # first call after start: new clients, new connections
        names = iter(keys[3:])
        for i in range(first_reps + 1):
            key = next(names)
            t0 = time.perf_counter_ns()
            client = WhiteBitRest(base, Credentials(key, f"{key}-secret"))
            positions = await client.open_positions()
            t1 = time.perf_counter_ns()
            await client.aclose()
            assert len(positions) == POSITIONS
            if i > 0:  # the first one pays for imports and the server's first request
                out["first_ours"].append((t1 - t0) / 1e6)
            key = next(names)
            if have_ccxt:
                t0 = time.perf_counter_ns()
                cc = _ccxt_client(base, key, f"{key}-secret")
                try:
                    got = await cc.fetch_positions()
                    t1 = time.perf_counter_ns()
                finally:
                    await cc.close()
                assert len(got) == POSITIONS
                if i > 0:
                    out["first_ccxt"].append((t1 - t0) / 1e6)
            await asyncio.sleep(0.01)
    return out
