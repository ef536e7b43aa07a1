from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from service_support import Recorder, make_service, sandbox_config

from tui.sandbox import SandboxServer
from tui.service import TradingService


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with SandboxServer(sandbox_config()) as sb:
        yield sb


@pytest.fixture
async def service(sandbox: SandboxServer) -> AsyncIterator[tuple[TradingService, Recorder]]:
    svc = make_service(sandbox)
    rec = Recorder()
    svc.subscribe(rec)
    await svc.start()
    try:
        yield svc, rec
    finally:
        await svc.stop()
