"""The pending-order journal under hostile or damaged files, torn lines, other accounts and a
second desk on the same file (issue 15). Real files; the service against a real sandbox."""

from __future__ import annotations

import json
import threading
from decimal import Decimal
from pathlib import Path

from service_support import Recorder, make_service, sandbox_config

from tui.domain.models import OrderRequest, OrderType, Side
from tui.sandbox import SandboxServer
from tui.service import events
from tui.service import pending as pending_module
from tui.service.pending import PendingOrders, _encode

D = Decimal


def request(cid: str) -> OrderRequest:
    return OrderRequest(
        market="BTC_PERP",
        side=Side.BUY,
        type=OrderType.LIMIT,
        amount=D("0.01"),
        price=D("50000.5"),
        client_order_id=cid,
    )


def add_line(cid: str, **extra: object) -> bytes:
    entry = _encode(_entry(cid))
    entry.update(extra)
    return json.dumps({"add": entry}).encode() + b"\n"


def _entry(cid: str) -> pending_module.PendingOrder:
    return pending_module.PendingOrder(cid, request(cid), 1_700_000_000.0)


def ids(path: Path) -> set[str]:
    return {e.client_order_id for e in PendingOrders(path).entries()}


BAD_LINES = (
    b'{"add": {"client_order_id": "\xff\xfe"}}',  # not UTF-8
    b"[" * 100_000,  # nested past the recursion limit
)


def test_unreadable_lines_are_reported_and_kept_never_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "pending.json"
    huge_created = add_line("b", created=10**400)  # a 400-digit time: the order itself is fine
    path.write_bytes(add_line("a") + BAD_LINES[0] + b"\n" + huge_created + BAD_LINES[1] + b"\n")
    store = PendingOrders(path)
    assert {e.client_order_id for e in store.entries()} == {"a", "b"}
    assert len(store.problems) == 1 and "2 unreadable line" in store.problems[0]
    (copy,) = tmp_path.glob("pending.json.bad-*")
    assert copy.read_bytes().split(b"\n")[:2] == list(BAD_LINES)  # the bad bytes, kept
    assert str(copy) in store.problems[0]
    # the journal itself is clean now: a second start has nothing to report
    again = PendingOrders(path)
    assert again.problems == [] and ids(path) == {"a", "b"}


def test_a_version_1_file_nested_too_deep_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "pending.json"
    path.write_bytes(b'{"orders": ' + b"[" * 100_000 + b"}")
    store = PendingOrders(path)
    assert store.entries() == [] and store.problems


def test_a_torn_last_line_does_not_swallow_the_next_entry(tmp_path: Path) -> None:
    path = tmp_path / "pending.json"
    path.write_bytes(add_line("a") + b'{"add": {"client_order_id": "c", "requ')  # crash mid-write
    store = PendingOrders(path)
    store.add(request("b"))
    assert ids(path) == {"a", "b"}


async def test_the_service_tells_the_trader_at_start(tmp_path: Path) -> None:
    path = tmp_path / "pending.json"
    path.write_bytes(BAD_LINES[0] + b"\n")
    async with SandboxServer(sandbox_config()) as sb:
        svc = make_service(sb, pending_path=path)
        rec = Recorder()
        svc.subscribe(rec)
        await svc.start()
        try:
            messages = [e.message for e in rec.of(events.ServiceError)]
            assert any("unreadable" in m and "pending.json.bad-" in m for m in messages)
        finally:
            await svc.stop()


def test_one_desks_compaction_keeps_the_other_desks_entries(tmp_path: Path) -> None:
    path = tmp_path / "pending.json"
    desk_a, desk_b = PendingOrders(path), PendingOrders(path)
    desk_b.add(request("b-in-flight"))
    desk_a.add(request("a-in-flight"))
    for i in range(pending_module.COMPACT_AFTER + 2):  # desk A compacts at least once
        desk_a.add(request(f"a{i}"))
        desk_a.discard(f"a{i}")
    assert len(path.read_bytes().splitlines()) < pending_module.COMPACT_AFTER  # it did compact
    assert ids(path) == {"a-in-flight", "b-in-flight"}
    desk_b.discard("b-in-flight")
    assert ids(path) == {"a-in-flight"}


def test_two_desks_appending_and_compacting_at_once_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "pending.json"
    errors: list[BaseException] = []

    def desk(name: str) -> None:
        try:
            store = PendingOrders(path)
            store.add(request(f"{name}-kept"))
            for i in range(300):
                store.add(request(f"{name}{i}"))
                store.discard(f"{name}{i}")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=desk, args=(n,)) for n in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert ids(path) == {"x-kept", "y-kept"}
