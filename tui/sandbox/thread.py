"""A sandbox in its own thread and event loop, for callers that are not async themselves (the
app launcher, screenshot tooling, tests that drive a Textual app)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from decimal import Decimal

from .config import SandboxConfig
from .engine import Engine
from .server import SandboxServer


class SandboxHandle:
    """A sandbox running in its own thread and event loop (used by the app launcher)."""

    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self.server: SandboxServer | None = None
        self._thread = threading.Thread(target=self._run, name="sandbox-exchange", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with SandboxServer(self.config) as server:
            self.server = server
            self._ready.set()
            await self._stop.wait()

    def start(self, timeout: float = 30.0) -> SandboxHandle:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the sandbox did not start in time")
        if self._error is not None:
            raise self._error
        return self

    @property
    def rest_url(self) -> str:
        assert self.server is not None
        return self.server.rest_url

    @property
    def ws_url(self) -> str:
        assert self.server is not None
        return self.server.ws_url

    @property
    def engine(self) -> Engine:
        assert self.server is not None
        return self.server.engine

    def set_price(self, market: str, price: Decimal, timeout: float = 10.0) -> None:
        assert self._loop is not None and self.server is not None
        future = asyncio.run_coroutine_threadsafe(self.server.set_price(market, price), self._loop)
        future.result(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        if self._loop is not None and self._stop is not None and self._thread.is_alive():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout)


def start_sandbox_thread(config: SandboxConfig | None = None) -> SandboxHandle:
    """Start a sandbox in a background thread; returns once it is listening."""
    return SandboxHandle(config or SandboxConfig()).start()
