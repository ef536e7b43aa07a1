"""Signed calls run concurrently (issue 15): a slow read never holds up an order, and 50 signed
calls share the wire at once, with no nonce refused. Real sockets against the sandbox; the
sandbox's ``http_delay`` fault holds an answer back on the server side."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest

from tui.api.rest import WhiteBitRest
from tui.api.signing import RESERVE_MS, Credentials, NonceSource
from tui.domain.models import OrderRequest, OrderType, Side
from tui.sandbox import DEMO_API_KEY, DEMO_API_SECRET, SandboxConfig, SandboxServer

CREDS = Credentials(DEMO_API_KEY, DEMO_API_SECRET)
BALANCE = "/api/v4/collateral-account/balance"


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    cfg = SandboxConfig(port=0, static_prices=True, tick_interval=0.1, push_interval=0.1)
    async with SandboxServer(cfg) as sb:
        yield sb


async def test_a_slow_read_does_not_hold_up_an_order(sandbox: SandboxServer) -> None:
    fault = await sandbox.faults.inject("http_delay", path=BALANCE, seconds=4)
    async with WhiteBitRest(sandbox.rest_url, CREDS, timeout=20.0) as rest:
        slow = asyncio.create_task(rest.collateral_balance())
        deadline = time.monotonic() + 10
        while fault.fired == 0:  # the balance call reached the server and is being held
            assert time.monotonic() < deadline, "the balance call never reached the sandbox"
            await asyncio.sleep(0.01)
        order = OrderRequest(
            market="BTC_PERP", side=Side.BUY, type=OrderType.MARKET, amount=Decimal("0.01")
        )
        placed = await rest.place_order(order)
        # The order was answered while the slow read is still waiting for its answer.
        assert not slow.done()
        assert placed and placed[0].market == "BTC_PERP"
        balance = await slow
        assert balance  # the slow call still completes normally


async def test_50_signed_calls_run_concurrently(sandbox: SandboxServer, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="tui.api.rest")
    await sandbox.faults.inject("http_delay", path=BALANCE, seconds=0.5, times=50)
    async with WhiteBitRest(sandbox.rest_url, CREDS, timeout=30.0) as rest:
        started = time.monotonic()
        results = await asyncio.gather(*(rest.collateral_balance() for _ in range(50)))
        elapsed = time.monotonic() - started
    assert len(results) == 50 and all(results)
    # One after the other they take 25 s; concurrently (a pool of 16) about 2 s.
    assert elapsed < 12.5, f"50 calls of 0.5 s took {elapsed:.1f} s: not concurrent"
    assert "nonce rejected" not in caplog.text
    assert sandbox.recorder.nonce_rejections(DEMO_API_KEY) == 0


async def test_after_a_restart_above_the_clock_calls_are_concurrent_at_once(
    sandbox: SandboxServer, tmp_path: Path, caplog
) -> None:
    """The persisted nonce mark puts a restarted client's counter up to seconds ahead of the
    clock, and another process may have left the exchange's last nonce ahead too: the
    nonceWindow nonces still follow the clock, so nothing is refused or serialised."""
    caplog.set_level(logging.WARNING, logger="tui.api.rest")
    await sandbox.faults.inject("nonce_ahead", ms=30_000)
    path = tmp_path / "nonce"
    now_ms = time.time_ns() // 1_000_000
    path.write_text(str(now_ms + RESERVE_MS))  # as a previous run leaves it
    await sandbox.faults.inject("http_delay", path=BALANCE, seconds=0.5, times=20)
    async with WhiteBitRest(sandbox.rest_url, CREDS, timeout=30.0, nonce_path=path) as rest:
        started = time.monotonic()
        await asyncio.gather(*(rest.collateral_balance() for _ in range(20)))
        elapsed = time.monotonic() - started
        assert rest.nonces.last >= now_ms + RESERVE_MS  # the mark still bounds every nonce
    assert elapsed < 7.5, f"20 calls of 0.5 s took {elapsed:.1f} s: not concurrent"
    assert "nonce rejected" not in caplog.text
    assert int(path.read_text()) >= now_ms + RESERVE_MS  # never lowered


def test_windowed_nonces_follow_the_clock_and_plain_ones_stay_above_them() -> None:
    clock = [1_000]
    nonces = NonceSource(clock=lambda: clock[0])
    nonces.bump(50_000)  # a jump ahead (or a restart above the mark)
    assert [nonces.next(window=True) for _ in range(3)] == [1_000, 1_001, 1_002]  # unique
    assert nonces.next() == 50_001  # plain nonces keep growing above every one handed out
    clock[0] = 60_000
    assert nonces.next(window=True) == 60_000
    assert nonces.next() == 60_001
