"""Orders in flight kept on disk (tui/service/pending.py) and the service's use of them."""

from __future__ import annotations

import json
import os
import stat
from decimal import Decimal
from pathlib import Path

import pytest
from service_support import Recorder, make_service, sandbox_config

from tui.domain.models import OrderRequest, OrderType, PositionSide, Side
from tui.sandbox import SandboxServer
from tui.service import CommandError, events
from tui.service.pending import PendingOrders

D = Decimal


def request(cid: str = "p-1", **kw: object) -> OrderRequest:
    fields: dict[str, object] = {
        "market": "BTC_PERP",
        "side": Side.BUY,
        "type": OrderType.LIMIT,
        "amount": D("0.01"),
        "price": D("50000.5"),
        "client_order_id": cid,
    }
    fields.update(kw)
    return OrderRequest(**fields)  # type: ignore[arg-type]


def test_round_trip_keeps_decimals_exact(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "pending.json"
    store = PendingOrders(path)
    req = request(
        position_side=PositionSide.LONG,
        reduce_only=True,
        activation_price=D("1E-8"),
        type=OrderType.STOP_LIMIT,
    )
    store.add(req)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert '"0.00000001"' in text and "E-8" not in text  # plain decimal strings
    again = PendingOrders(path).entries()
    assert [e.request for e in again] == [req]
    PendingOrders(path).discard("p-1")
    assert PendingOrders(path).entries() == []


def test_corrupt_or_foreign_files_are_ignored(tmp_path: Path) -> None:
    path = tmp_path / "pending.json"
    for text in (
        "not json",
        "[]",
        json.dumps({"orders": [{"client_order_id": ""}]}),
        json.dumps({"orders": [{"client_order_id": "x", "request": {"amount": 1}}]}),
    ):
        path.write_text(text)
        assert PendingOrders(path).entries() == []


def test_an_order_needs_a_client_order_id() -> None:
    with pytest.raises(ValueError):
        PendingOrders(None).add(request(cid=""))


async def test_refused_orders_leave_the_file_and_ids_are_assigned(tmp_path: Path) -> None:
    path = tmp_path / "pending.json"
    async with SandboxServer(sandbox_config()) as sb:
        svc = make_service(sb, pending_path=path)
        rec = Recorder()
        svc.subscribe(rec)
        await svc.start()
        try:
            orders = await svc.place_order(request(cid=""))
            assert orders[0].client_order_id.startswith("ct-")
            pending = rec.of(events.OrderPending)[0]
            assert pending.client_order_id == orders[0].client_order_id  # known before sending
            with pytest.raises(CommandError):
                await svc.place_order(request(cid="refused", amount=D("1000000")))
            assert PendingOrders(path).entries() == []
        finally:
            await svc.stop()


async def test_start_reconciles_what_a_previous_run_left(tmp_path: Path) -> None:
    path = tmp_path / "pending.json"
    async with SandboxServer(sandbox_config()) as sb:
        first = make_service(sb)
        await first.start()
        placed = await first.place_order(request(cid="left-open"))
        await first.stop()
        store = PendingOrders(path)
        store.add(request(cid="left-open"))
        store.add(request(cid="never-sent", price=D("49000")))

        svc = make_service(sb, pending_path=path)
        rec = Recorder()
        svc.subscribe(rec)
        await svc.start()
        try:
            found = {e.client_order_id: e.orders for e in rec.of(events.PendingOrderReconciled)}
            assert [o.id for o in found["left-open"]] == [placed[0].id]
            assert found["never-sent"] == ()
            assert any("never-sent" in e.message for e in rec.of(events.ServiceError))
            assert PendingOrders(path).entries() == []
            assert not sb.engine.active_orders(None, None, "never-sent")  # nothing resent
        finally:
            await svc.stop()


async def test_probe_checks_the_endpoint_without_starting() -> None:
    async with SandboxServer(sandbox_config()) as sb:
        svc = make_service(sb)
        info = await svc.probe()
        assert info.sandbox and not svc.markets  # nothing loaded into the state
        await svc.stop()
    svc = make_service(sb)  # the sandbox is gone now
    with pytest.raises(CommandError) as err:
        await svc.probe()
    assert "Cannot reach" in str(err.value)
    await svc.stop()


def test_the_file_is_a_journal_appended_in_place(tmp_path: Path) -> None:
    from tui.service import pending as pending_module

    path = tmp_path / "pending.json"
    store = PendingOrders(path)
    store.add(request(cid="a"))
    inode = os.stat(path).st_ino
    store.add(request(cid="b"))
    store.discard("a")
    assert os.stat(path).st_ino == inode  # appended, not rewritten
    assert [json.loads(line) for line in path.read_text().splitlines()][-1] == {"done": "a"}
    assert [e.client_order_id for e in PendingOrders(path).entries()] == ["b"]
    # a crash mid-write leaves a torn last line: it is skipped, the rest is read
    with path.open("a") as fh:
        fh.write('{"add": {"client_order_id": "c", "requ')
    assert [e.client_order_id for e in PendingOrders(path).entries()] == ["b"]
    # grown past the limit: compacted to the live entries, still 0600
    store = PendingOrders(path)
    for i in range(pending_module.COMPACT_AFTER):
        store.add(request(cid=f"x{i}"))
        store.discard(f"x{i}")
    lines = path.read_text().splitlines()
    assert len(lines) < pending_module.COMPACT_AFTER
    assert [e.client_order_id for e in PendingOrders(path).entries()] == ["b"]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_version_1_file_is_read_and_becomes_a_journal(tmp_path: Path) -> None:
    from tui.service.pending import _encode

    path = tmp_path / "pending.json"
    old = PendingOrders(None)
    old.add(request(cid="old-1"))
    path.write_text(json.dumps({"version": 1, "orders": [_encode(old.entries()[0])]}))
    store = PendingOrders(path)
    assert [e.client_order_id for e in store.entries()] == ["old-1"]
    store.add(request(cid="new-1"))
    assert {e.client_order_id for e in PendingOrders(path).entries()} == {"old-1", "new-1"}
    assert all("add" in json.loads(line) for line in path.read_text().splitlines())
