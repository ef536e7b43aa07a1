"""The benchmark's own sandbox: the real ``SandboxServer`` on loopback, with benchmark-only
additions made from the outside (a subclass), so nothing in ``tui.sandbox`` pays for them:

- a request log: an aiohttp middleware records ``time.perf_counter_ns()`` once each signed
  request has been received (headers and body read), for ``key_to_wire``;
- a stall switch: while set, stream pushes (``*_update``) are dropped and the connection stays
  open but silent, for ``stale_detect``;
- a price driver: the sandbox itself moves one market's price by a fixed step at a fixed
  interval (static prices otherwise), so the positions stream carries a new uPnL every frame;
- extra API keys for the same account (every client signs with its own nonces) and synthetic
  positions put straight into the engine (a real account holds at most one position per market
  and side; the load figures need tens).

Two ways to run it:

- ``SandboxThread``: in this process, on its own thread and loop, as the desk's launcher embeds
  the sandbox (the GIL is shared with whatever else runs here);
- ``SandboxProcess``: ``python -m bench.sandbox`` in a child process, like a remote exchange;
  the control endpoints ``/bench/requests`` and ``/bench/stall`` (loopback only) replace direct
  calls. ``perf_counter_ns`` reads CLOCK_MONOTONIC, one clock for every process on the machine,
  so the child's timestamps compare with ours.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Self, TypeVar

from aiohttp import web

from tui.sandbox import SandboxConfig, SandboxServer
from tui.sandbox.engine import SimPosition

T = TypeVar("T")
ROOT = Path(__file__).resolve().parent.parent
PUSH_SUFFIX = "_update"


@dataclass
class Drive:
    """Move ``market``'s price by ``step`` every ``interval`` seconds (never back)."""

    market: str = "BTC_PERP"
    step: Decimal = Decimal(10)
    interval: float = 1.0


class BenchSandbox(SandboxServer):
    def __init__(self, config: SandboxConfig, drive: Drive | None = None) -> None:
        self.requests: list[tuple[int, str]] = []  # (perf_counter_ns at receipt, path)
        self.stalled = False
        self.drive = drive
        super().__init__(config)

    def _build_app(self) -> web.Application:
        app = super()._build_app()

        @web.middleware
        async def request_log(request: web.Request, handler: Any) -> web.StreamResponse:
            if request.method == "POST" and request.path.startswith("/api/"):
                await request.read()  # aiohttp caches the body for the handler
                self.requests.append((time.perf_counter_ns(), request.path))
            return await handler(request)

        app.middlewares.append(request_log)
        app.router.add_get("/bench/requests", self._bench_requests)
        app.router.add_post("/bench/stall", self._bench_stall)
        return app

    async def start(self) -> None:
        await super().start()
        if self.drive is not None:
            self._tasks.append(asyncio.create_task(self._drive_loop(self.drive)))

    async def _drive_loop(self, drive: Drive) -> None:
        price = self.engine.prices[drive.market]
        while True:
            await asyncio.sleep(drive.interval)
            price += drive.step
            await self.set_price(drive.market, price)

    async def _bench_requests(self, request: web.Request) -> web.Response:
        self._require_loopback(request)
        since = int(request.query.get("since", "0"))
        return web.json_response(self.requests[since:])

    async def _bench_stall(self, request: web.Request) -> web.Response:
        self._require_loopback(request)
        return web.json_response({"at": self.set_stalled(bool((await request.json())["stalled"]))})

    def set_stalled(self, stalled: bool) -> int:
        """Stop (or resume) the stream pushes; returns when, in perf_counter_ns."""
        self.stalled = stalled
        return time.perf_counter_ns()

    async def _send(self, ws: web.WebSocketResponse, message: dict[str, Any]) -> None:
        method = message.get("method")
        if self.stalled and isinstance(method, str) and method.endswith(PUSH_SUFFIX):
            return
        await super()._send(ws, message)

    def add_positions(self, count: int) -> list[int]:
        """``count`` small, safe positions spread over the catalog's markets (long and short)."""
        engine = self.engine
        markets = sorted(engine.catalog)
        now = engine.now()
        ids = []
        for i in range(count):
            market = markets[i % len(markets)]
            spec = engine.catalog[market]
            price = engine.prices[market]
            size = spec.market.min_amount * 10 * (1 + i % 7)
            short = i % 2 == 1
            # 2x-ish leverage: far from liquidation whatever the bench does to the price
            margin = (size * price / 2).quantize(Decimal("0.00000001"))
            entry = price * (Decimal("1.01") if short else Decimal("0.99"))
            pos = SimPosition(
                id=engine._id("position"),
                market=market,
                position_side="BOTH",
                direction="short" if short else "long",
                size=size,
                entry=entry.quantize(spec.market.price_step),
                margin=margin,
                open_time=now,
                modify_time=now,
            )
            engine.positions[pos.id] = pos
            ids.append(pos.id)
        return ids


def sandbox_config(**overrides: Any) -> SandboxConfig:
    """Static prices (the bench moves them itself), in memory, loopback, fixed seed."""
    values: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 0,
        "static_prices": True,
        "seed": 1,
        "balances": {"USDT": Decimal(1_000_000)},
        "ws_idle_timeout": 120.0,
    }
    values.update(overrides)
    return SandboxConfig(**values)


# ---------------------------------------------------------------------------- in this process


class SandboxThread:
    """``BenchSandbox`` in a daemon thread; ``call`` runs a function on its loop."""

    def __init__(self, config: SandboxConfig, drive: Drive | None = None) -> None:
        self.config = config
        self.drive = drive
        self.server: BenchSandbox | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="bench-sandbox", daemon=True)

    def _main(self) -> None:
        async def run() -> None:
            self._loop = asyncio.get_running_loop()
            self._stop = asyncio.Event()
            async with BenchSandbox(self.config, self.drive) as server:
                self.server = server
                self._ready.set()
                await self._stop.wait()

        try:
            asyncio.run(run())
        except BaseException as exc:  # noqa: BLE001 - reported to the starter
            self._error = exc
            self._ready.set()

    def __enter__(self) -> Self:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("bench sandbox did not start")
        if self._error is not None:
            raise self._error
        return self

    def __exit__(self, *exc: object) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)

    @property
    def sb(self) -> BenchSandbox:
        assert self.server is not None
        return self.server

    @property
    def rest_url(self) -> str:
        return self.sb.rest_url

    @property
    def ws_url(self) -> str:
        return self.sb.ws_url

    def call(self, fn: Callable[[], T]) -> T:
        """Run ``fn()`` on the sandbox's loop and wait for the result (thread-safe)."""
        assert self._loop is not None
        future: Future[T] = Future()

        def run() -> None:
            try:
                future.set_result(fn())
            except BaseException as exc:  # noqa: BLE001
                future.set_exception(exc)

        self._loop.call_soon_threadsafe(run)
        return future.result(10)

    def add_key(self, key: str, secret: str) -> None:
        """Another API key on the same account (each client keeps its own nonces)."""
        self.call(lambda: self.sb.keys.__setitem__(key, secret))

    def add_positions(self, count: int) -> list[int]:
        return self.call(lambda: self.sb.add_positions(count))

    async def requests_since(self, index: int) -> list[tuple[int, str]]:
        return list(self.sb.requests[index:])

    async def set_stalled(self, stalled: bool) -> int:
        """Stop (or resume) the stream pushes; returns when the sandbox did it (ns)."""
        return await asyncio.get_running_loop().run_in_executor(
            None, self.call, lambda: self.sb.set_stalled(stalled)
        )


# ---------------------------------------------------------------------------- in a child process


class SandboxProcess:
    """``python -m bench.sandbox`` in a child process (like a remote exchange)."""

    def __init__(
        self, *, push: float = 1.0, positions: int = 0, drive: Drive | None = None
    ) -> None:
        args = [sys.executable, "-m", "bench.sandbox", "--push", str(push)]
        args += ["--positions", str(positions)]
        if drive is not None:
            args += ["--drive", f"{drive.market}:{drive.step}:{drive.interval}"]
        self._args = args
        self._proc: subprocess.Popen[str] | None = None
        self.rest_url = ""
        self.ws_url = ""
        self.position_ids: list[int] = []
        self._http: Any = None

    def __enter__(self) -> Self:
        self._proc = subprocess.Popen(
            self._args,
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError("bench sandbox process did not start")
        info = json.loads(line)
        self.rest_url, self.ws_url = info["rest_url"], info["ws_url"]
        self.position_ids = info["positions"]
        return self

    def __exit__(self, *exc: object) -> None:
        proc = self._proc
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()  # the child serves until its stdin closes
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)

    async def _client(self) -> Any:
        import httpx

        if self._http is None:
            self._http = httpx.AsyncClient(base_url=self.rest_url, trust_env=False)
        return self._http

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None

    async def requests_since(self, index: int) -> list[tuple[int, str]]:
        client = await self._client()
        reply = await client.get("/bench/requests", params={"since": index})
        return [(int(t), str(p)) for t, p in reply.json()]

    async def set_stalled(self, stalled: bool) -> int:
        """Stop (or resume) the stream pushes; returns when the sandbox did it (ns)."""
        client = await self._client()
        reply = await client.post("/bench/stall", json={"stalled": stalled})
        return int(reply.json()["at"])


async def _serve(push: float, positions: int, drive: Drive | None) -> None:
    config = sandbox_config(push_interval=push, tick_interval=push)
    async with BenchSandbox(config, drive) as server:
        ids = server.add_positions(positions)
        info = {"rest_url": server.rest_url, "ws_url": server.ws_url, "positions": ids}
        print(json.dumps(info), flush=True)
        loop = asyncio.get_running_loop()
        # serve until the parent closes our stdin (or goes away)
        await loop.run_in_executor(None, sys.stdin.read)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.sandbox")
    parser.add_argument("--push", type=float, default=1.0, help="push and tick interval, s")
    parser.add_argument("--positions", type=int, default=0)
    parser.add_argument("--drive", help="MARKET:STEP:INTERVAL")
    args = parser.parse_args(argv)
    drive = None
    if args.drive:
        market, step, interval = args.drive.split(":")
        drive = Drive(market, Decimal(step), float(interval))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent ends us by closing stdin
    asyncio.run(_serve(args.push, args.positions, drive))
    return 0


if __name__ == "__main__":
    sys.exit(main())
