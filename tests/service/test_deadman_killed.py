"""A killed desk leaves no order working: a subprocess runs the service with the dead-man switch
armed (5 s), places a resting limit order, and is killed with SIGKILL (no clean stop, no
chance to cancel anything). The sandbox, in this process, cancels the order by itself within
the timeout plus 2 s."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from tui.sandbox import SandboxServer

TIMEOUT = 5

CHILD = """
import asyncio, sys
from decimal import Decimal
from tui.domain.models import OrderRequest, OrderType, Side
from tui.service import TradingService

async def main(rest_url, ws_url, key, secret, timeout):
    svc = TradingService.for_whitebit(
        rest_url, ws_url, api_key=key, api_secret=secret, dead_man_seconds=int(timeout)
    )
    await svc.start()
    (order,) = await svc.place_order(OrderRequest(
        market="BTC_USDT", side=Side.BUY, type=OrderType.LIMIT,
        amount=Decimal("0.001"), price=Decimal("30000"),
    ))
    while "BTC_USDT" not in svc.dead_man.state.armed:
        await asyncio.sleep(0.05)
    print(order.id, flush=True)
    await asyncio.Event().wait()  # run until killed

asyncio.run(main(*sys.argv[1:6]))
"""


@pytest.mark.skipif(os.name == "nt", reason="SIGKILL")
async def test_killed_process_orders_are_cancelled_by_the_exchange(sandbox: SandboxServer):
    cfg = sandbox.config
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), os.environ.get("PYTHONPATH", "")]),
    }
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CHILD,
        sandbox.rest_url,
        sandbox.ws_url,
        cfg.api_key,
        cfg.api_secret,
        str(TIMEOUT),
        stdout=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        assert child.stdout is not None
        order_id = int(await asyncio.wait_for(child.stdout.readline(), 30))
        assert order_id in sandbox.engine.orders
        assert "BTC_USDT" in sandbox.engine.kill_switches
        child.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        await asyncio.wait_for(child.wait(), 10)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert child.returncode == -signal.SIGKILL
    while order_id in sandbox.engine.orders:
        assert time.monotonic() - killed < TIMEOUT + 2, "the order outlived the dead-man timer"
        await asyncio.sleep(0.05)
    (finished,) = [o for o in sandbox.engine.finished if o.id == order_id]
    assert finished.status == "CANCELED"
