"""``TradingService.trade_gate``: the one answer to "may I trade now?", against a real sandbox."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest
from service_support import Recorder, make_service, sandbox_config

from tui.domain.models import OrderRequest, OrderType, Side, StreamState
from tui.sandbox import SandboxServer
from tui.service import CommandError, TradeGate, TradingService


def both_live(svc: TradingService) -> bool:
    return all(svc.stream_state(s) is StreamState.LIVE for s in ("positions", "prices"))


def market_buy() -> OrderRequest:
    return OrderRequest("BTC_PERP", Side.BUY, OrderType.MARKET, Decimal("0.001"))


def test_the_gate_is_a_frozen_value() -> None:
    gate = TradeGate(False, "Data not live: prices stale", ("prices",))
    assert gate.overridable
    assert not TradeGate(False, "Connecting...").overridable
    assert not TradeGate(True).overridable
    with pytest.raises(dataclasses.FrozenInstanceError):
        gate.allowed = True  # type: ignore[misc]


async def test_refused_outright_until_started(sandbox: SandboxServer) -> None:
    svc = make_service(sandbox)
    try:
        gate = svc.trade_gate()
        assert gate == TradeGate(False, "Connecting...")
        with pytest.raises(CommandError, match="Connecting"):
            await svc.place_order(market_buy())
        assert sandbox.recorder.order_requests() == []
    finally:
        await svc.stop()


async def test_allowed_once_both_streams_are_live(
    service: tuple[TradingService, Recorder],
) -> None:
    svc, rec = service
    await rec.wait_for(lambda: both_live(svc))
    assert svc.trade_gate() == TradeGate(True, None, ())


async def test_a_stalled_stream_closes_the_gate_until_it_is_live_again(
    sandbox: SandboxServer, service: tuple[TradingService, Recorder]
) -> None:
    """Stale data refuses trading but leaves it overridable: the service still carries out a
    command (the desk asks the trader first); once reconnected, the gate opens again."""
    svc, rec = service
    await rec.wait_for(lambda: both_live(svc))
    await sandbox.faults.inject("ws_stall")
    await rec.wait_for(lambda: not svc.trade_gate().allowed, timeout=5)
    gate = svc.trade_gate()
    assert gate.overridable and "positions" in gate.stale_streams
    assert gate.reason is not None and gate.reason.startswith("Data not live: ")
    assert all(f"{name} " in gate.reason for name in gate.stale_streams)
    orders = await svc.place_order(market_buy())  # not refused by the service
    assert orders and len(sandbox.recorder.order_requests()) == 1
    await rec.wait_for(lambda: svc.trade_gate().allowed, timeout=10)  # forced reconnect
    assert svc.trade_gate().stale_streams == ()


async def test_a_live_endpoint_is_refused_outright_without_allow_live() -> None:
    async with SandboxServer(sandbox_config(pose_as_live=True)) as sb:
        for allow_live, allowed in ((False, False), (True, True)):
            svc = make_service(sb, allow_live=allow_live)
            rec = Recorder()
            svc.subscribe(rec)
            await svc.start()
            try:
                await rec.wait_for(lambda svc=svc: both_live(svc))
                gate = svc.trade_gate()
                assert gate.allowed is allowed
                if not allowed:
                    assert not gate.overridable and "--live" in (gate.reason or "")
                    with pytest.raises(CommandError, match="--live"):
                        await svc.set_leverage(5)
            finally:
                await svc.stop()
