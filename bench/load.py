"""``load``: N signed REST clients against the standalone sandbox in its own process.

The sandbox is ``python -m tui sandbox`` (the standalone CLI) on a loopback port with a temp
state file, so the load generator never shares its event loop or its GIL. Each client has its
own HTTP connection and runs a desk-like mix until the deadline: place a resting limit order,
cancel one of its own, a market order that fills, read balance / open positions / open orders.
Latency is per call, from sending to the parsed answer (the client's own time included).
Clients pace their calls (Poisson, ``rate`` a second; ``python -m bench`` uses 2, a busy desk's
pace) or, with ``rate`` 0, run a closed loop (the next call as soon as the answer is in: the
sandbox saturated, which measures throughput; its "stall" is then queueing, not one long step).

The sandbox accepts one API key. Concurrent clients on one key cannot use strictly increasing
nonces (requests overtake each other on the wire), so every load call uses WhiteBIT's
``nonceWindow`` (a Unix-ms nonce within +-5 s, never reused): one counter in this process hands
out distinct values. Strict nonces (``strict=True``) sit above every windowed one (Unix
microseconds), for the kill bench's replay probe.

The event-loop stall is measured inside the sandbox (``GET /sandbox/stats``, see
``tui.sandbox.loopstats``): ``max_lag_ms`` is the worst lateness of a 1 ms timer there.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import math
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from tui.sandbox import DEMO_API_KEY, DEMO_API_SECRET
from tui.sandbox.loopstats import LoopStats

ROOT = Path(__file__).resolve().parent.parent
D = Decimal
#: market -> (static price, amounts to pick from); the sandbox runs with --static-prices
MARKETS = {
    "BTC_PERP": (D("65010.00"), (D("0.0001"), D("0.0002"), D("0.0003"))),
    "ETH_PERP": (D("3201.00"), (D("0.002"), D("0.003"), D("0.005"))),
}
#: the mix: operation -> weight (reads 40 %, order entry 60 %)
MIX = {"limit": 25, "cancel": 20, "market": 15, "balance": 10, "positions": 15, "orders": 15}
MAX_OPEN = 6  # a client cancels instead of placing once it has this many resting orders
BALANCE = "USDT=1000000"
AHEAD_MS = 3000  # how far windowed nonces may run ahead of the clock (the window is +-5 s)
PATHS = {
    "limit": "/api/v4/order/collateral/limit",
    "market": "/api/v4/order/collateral/market",
    "cancel": "/api/v4/order/cancel",
    "balance": "/api/v4/collateral-account/balance",
    "positions": "/api/v4/collateral-account/positions/open",
    "orders": "/api/v4/orders",
    "history": "/api/v4/trade-account/order/history",
}


def quantiles(samples: list[float]) -> dict[str, float]:
    """n, p50, p99 (nearest rank: values really observed) and max, in ms."""
    if not samples:
        return {"n": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(samples)

    def rank(q: float) -> float:
        return round(ordered[max(1, math.ceil(q * len(ordered))) - 1], 3)

    return {"n": len(ordered), "p50_ms": rank(0.5), "p99_ms": rank(0.99), "max_ms": rank(1.0)}


# ---------------------------------------------------------------------------- the sandbox


class Child:
    """``python -m tui sandbox`` on a free loopback port with ``state`` as its state file."""

    def __init__(self, state: Path, *, fresh: bool) -> None:
        self.state = state
        self.args = [sys.executable, "-m", "tui", "sandbox", "--port", "0", "--static-prices"]
        self.args += ["--state", str(state), "--balance", BALANCE] + (["--fresh"] if fresh else [])
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""

    def start(self) -> Child:
        err = self.state.with_suffix(".stderr")
        with err.open("a") as stderr:
            self.proc = subprocess.Popen(
                self.args, cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True
            )
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if "REST base URL:" in line:
                self.url = line.split("REST base URL:", 1)[1].strip()
                return self
        self.proc.wait(10)
        raise RuntimeError(f"sandbox did not start: {err.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, whatever was not on disk is gone."""
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()


# ---------------------------------------------------------------------------- signed calls


class Nonces:
    """One key, many clients: distinct windowed nonces; strict ones above all of them."""

    def __init__(self) -> None:
        self.window = 0
        self.strict = 0
        self.waits = 0  # times a client waited for room in the nonce window

    async def room(self) -> None:
        """Windowed nonces are Unix ms, unique per key: 1,000 signed calls a second on average.
        Past that the counter runs ahead of the clock; wait before it leaves the window."""
        while self.window - time.time_ns() // 1_000_000 > AHEAD_MS:
            self.waits += 1
            await asyncio.sleep(0.005)

    def next(self, strict: bool) -> int:
        if strict:
            self.strict = max(self.strict + 1, time.time_ns() // 1000)
            return self.strict
        self.window = max(self.window + 1, time.time_ns() // 1_000_000)
        return self.window


@dataclass
class Signed:
    """One signed request as sent: replaying it sends the very same bytes."""

    path: str
    body: bytes
    headers: dict[str, str]


def sign(nonces: Nonces, path: str, params: dict[str, Any], strict: bool = False) -> Signed:
    data: dict[str, Any] = {"request": path, "nonce": nonces.next(strict), **params}
    if not strict:
        data["nonceWindow"] = True
    body = json.dumps(data, separators=(",", ":")).encode()
    payload = base64.b64encode(body).decode()
    signature = hmac.new(DEMO_API_SECRET.encode(), payload.encode(), hashlib.sha512).hexdigest()
    headers = {"Content-Type": "application/json", "X-TXC-APIKEY": DEMO_API_KEY}
    headers |= {"X-TXC-PAYLOAD": payload, "X-TXC-SIGNATURE": signature}
    return Signed(path, body, headers)


async def send(http: aiohttp.ClientSession, url: str, req: Signed) -> tuple[int, Any]:
    async with http.post(url + req.path, data=req.body, headers=req.headers) as resp:
        raw = await resp.read()
    try:
        return resp.status, json.loads(raw, parse_float=Decimal) if raw else None
    except ValueError:
        return resp.status, None


async def stats(url: str, reset: bool = False) -> dict[str, Any]:
    """The sandbox's loop-lag window (``reset``: start a new one)."""
    async with aiohttp.ClientSession() as http:
        params = {"reset": "1"} if reset else {}
        async with http.get(url + "/sandbox/stats", params=params) as resp:
            resp.raise_for_status()
            return dict(await resp.json())


# ---------------------------------------------------------------------------- the load


@dataclass
class Ack:
    """An acknowledged (HTTP 200) order operation, for the kill bench's check."""

    op: str  # limit | market | cancel
    order_id: int
    market: str


@dataclass
class Load:
    """The shared state of one load run: samples, errors, acknowledged operations."""

    url: str
    nonces: Nonces
    seed: int = 1
    rate: float = 0.0  # calls a second per client; 0 = closed loop (the next call at once)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    acks: list[Ack] = field(default_factory=list)
    last_market: Signed | None = None  # an acknowledged windowed market order, for replay
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def call(
        self, http: aiohttp.ClientSession, op: str, params: dict[str, Any], strict: bool = False
    ) -> tuple[int, Any, Signed]:
        if not strict:
            await self.nonces.room()
        req = sign(self.nonces, PATHS[op], params, strict)
        t0 = time.perf_counter_ns()
        status, data = await send(http, self.url, req)
        self.latencies.setdefault(op, []).append((time.perf_counter_ns() - t0) / 1e6)
        if status != 200:
            self.errors[f"{op} {status}"] += 1
        return status, data, req

    async def client(self, index: int, deadline: float) -> None:
        rng = random.Random(self.seed * 1000 + index)
        resting: list[tuple[int, str]] = []
        ops, weights = list(MIX), list(MIX.values())
        connector = aiohttp.TCPConnector(limit=1)
        async with aiohttp.ClientSession(connector=connector) as http:
            due = time.monotonic()
            while time.monotonic() < deadline and not self.stop.is_set():
                if self.rate > 0:  # paced: the call is due at a fixed rate, late or not
                    due += rng.expovariate(self.rate)
                    await asyncio.sleep(max(0.0, due - time.monotonic()))
                op = rng.choices(ops, weights)[0]
                if op == "limit" and len(resting) >= MAX_OPEN:
                    op = "cancel"
                if op == "cancel" and not resting:
                    op = "limit"
                try:
                    await self.step(http, rng, op, resting)
                except (aiohttp.ClientError, OSError, TimeoutError):
                    self.errors[f"{op} connection"] += 1
                    if not self.stop.is_set():
                        await asyncio.sleep(0.05)

    async def step(
        self,
        http: aiohttp.ClientSession,
        rng: random.Random,
        op: str,
        resting: list[tuple[int, str]],
    ) -> None:
        market = rng.choice(list(MARKETS))
        price, amounts = MARKETS[market]
        side = rng.choice(("buy", "sell"))
        params: dict[str, Any] = {}
        if op == "limit":
            away = D(rng.randint(5, 20)) / 100  # 5-20 % from the price: it rests
            limit = price * (1 - away if side == "buy" else 1 + away)
            params = {"market": market, "side": side, "amount": str(rng.choice(amounts))}
            params["price"] = str(limit.quantize(D("0.01")))
        elif op == "market":
            params = {"market": market, "side": side, "amount": str(rng.choice(amounts))}
        elif op == "cancel":
            order_id, market = resting.pop(rng.randrange(len(resting)))
            params = {"market": market, "orderId": order_id}
        elif op == "orders":
            params = {"limit": 100}
        status, data, req = await self.call(http, op, params)
        if status == 200 and op in ("limit", "market", "cancel"):
            ack = Ack(op, int(data["orderId"]), market)
            self.acks.append(ack)
            if op == "limit":
                resting.append((ack.order_id, market))
            elif op == "market":
                self.last_market = req

    async def run(self, clients: int, duration: float = math.inf) -> None:
        """``clients`` clients until ``duration`` has passed or ``stop`` is set."""
        deadline = time.monotonic() + duration
        await asyncio.gather(*(self.client(i, deadline) for i in range(clients)))

    def report(self, seconds: float) -> dict[str, Any]:
        every = [v for samples in self.latencies.values() for v in samples]
        return {
            "seconds": round(seconds, 3),
            "ops": len(every),
            "ops_per_second": round(len(every) / seconds, 1) if seconds else 0.0,
            "acknowledged_order_ops": len(self.acks),
            "nonce_waits": self.nonces.waits,
            "errors": dict(sorted(self.errors.items())),
            "overall": quantiles(every),
            "per_call": {op: quantiles(v) for op, v in sorted(self.latencies.items())},
        }


async def measure(
    *, clients: int = 50, duration: float = 60.0, rate: float = 0.0
) -> dict[str, Any]:
    """One load run against a fresh standalone sandbox; the report (JSON-ready)."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        child = Child(Path(tmp) / "sandbox.sqlite3", fresh=True).start()
        try:
            load = Load(child.url, Nonces(), rate=rate)
            await stats(child.url, reset=True)
            here = LoopStats()  # the generator's own loop: a busy client inflates latency
            here.arm()
            t0 = time.monotonic()
            await load.run(clients, duration)
            seconds = time.monotonic() - t0
            loop = await stats(child.url)
            await here.stop()
        finally:
            child.stop()
    out = {"clients": clients, "rate": rate, **load.report(seconds), "sandbox_loop": loop}
    out["generator_loop"] = here.snapshot()
    out["p99_ms"] = out["overall"]["p99_ms"]
    out["max_stall_ms"] = loop["max_lag_ms"]
    out["met"] = out["p99_ms"] < 50 and out["max_stall_ms"] <= 20
    return out


def lines(report: dict[str, Any]) -> list[str]:
    """The report as the harness prints it."""
    o, loop = report["overall"], report["sandbox_loop"]
    pace = f"{report['rate']:g}/s each" if report["rate"] else "closed loop"
    head = (
        f"{'load':<20} {report['clients']} clients ({pace})"
        f" x {report['seconds']:.0f} s: {report['ops']}"
        f" calls ({report['ops_per_second']:.0f}/s); p50 {o['p50_ms']:.1f} ms, p99"
        f" {o['p99_ms']:.1f} ms, max {o['max_ms']:.1f} ms; longest loop stall"
        f" {loop['max_lag_ms']:.1f} ms (busy {loop['max_busy_ms']:.1f} ms,"
        f" {loop['stalls_over_20ms']} over 20 ms) | target p99 < 50 ms, stall <= 20 ms:"
        f" {'met' if report['met'] else 'MISSED'}"
    )
    out = [head]
    for op, q in report["per_call"].items():
        out.append(
            f"{'':20} {op:<10} n={q['n']:<6} p50 {q['p50_ms']:7.1f} ms  p99"
            f" {q['p99_ms']:7.1f} ms  max {q['max_ms']:7.1f} ms"
        )
    gen = report["generator_loop"]
    out.append(
        f"{'':20} the load generator's own loop (this process): longest stall"
        f" {gen['max_lag_ms']:.1f} ms, {gen['stalls_over_20ms']} over 20 ms"
    )
    if report["errors"]:
        out.append(f"{'':20} non-200 answers: {report['errors']}")
    return out
