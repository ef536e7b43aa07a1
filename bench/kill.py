"""``kill``: kill -9 the standalone sandbox under load, restart it on the same state file, and
count the acknowledged operations it lost.

One round: the load of ``bench.load`` runs for a random while; a strict-nonce market order (the
replay probe) is acknowledged; after a random few more milliseconds of load the sandbox gets
SIGKILL. It restarts on the same state file, then every order operation answered 200 in that
round must be there: a placed limit order is open or finished, a market order is finished with
a fill, a cancelled order is finished and not open. The probe replayed byte for byte must be
refused (its nonce mark survived), and the next order id must be above every id acknowledged
before (ids never go backwards). A windowed-nonce market order of the round is replayed too
and reported apart (the desk does not use ``nonceWindow``).
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp

from .load import Ack, Child, Load, Nonces, Signed, send

PAGE = 100


async def _pages(load: Load, http: aiohttp.ClientSession, op: str) -> Any:
    """Yield the pages of a list endpoint (``orders`` or ``history``), newest history first."""
    offset = 0
    while True:
        status, data, _ = await load.call(http, op, {"limit": PAGE, "offset": offset})
        if status != 200:
            raise RuntimeError(f"{op} answered {status}: {data}")
        rows = data if isinstance(data, list) else [r for v in data.values() for r in v]
        yield rows
        if len(rows) < PAGE:
            return
        offset += PAGE


async def lost_operations(load: Load, acks: Load) -> Counter[str]:
    """What the restarted sandbox lost of ``acks.acks`` (by operation); ``load`` asks."""
    limits = {a.order_id for a in acks.acks if a.op == "limit"}
    markets = {a.order_id for a in acks.acks if a.op == "market"}
    cancels = {a.order_id for a in acks.acks if a.op == "cancel"}
    async with aiohttp.ClientSession() as http:
        active: set[int] = set()
        async for rows in _pages(load, http, "orders"):
            active |= {int(r["orderId"]) for r in rows}
        wanted = (limits - active) | markets | cancels
        finished: dict[int, dict[str, Any]] = {}
        async for rows in _pages(load, http, "history"):
            finished |= {int(r["id"]): r for r in rows}
            if wanted <= finished.keys():
                break
    lost: Counter[str] = Counter()
    lost["limit"] = len(limits - active - finished.keys())
    lost["market"] = sum(
        1 for i in markets if i not in finished or Decimal(finished[i]["dealStock"]) <= 0
    )
    lost["cancel"] = sum(1 for i in cancels if i in active or i not in finished)
    return lost


async def _probe(load: Load) -> tuple[Signed | None, int]:
    """A strict-nonce market order, acknowledged: the request to replay after the restart."""
    async with aiohttp.ClientSession() as http:
        params = {"market": "BTC_PERP", "side": "buy", "amount": "0.0001"}
        status, data, req = await load.call(http, "market", params, strict=True)
    if status != 200:
        return None, 0
    load.acks.append(Ack("market", int(data["orderId"]), "BTC_PERP"))
    return req, int(data["orderId"])


async def _replay(url: str, req: Signed | None) -> int | None:
    if req is None:
        return None
    async with aiohttp.ClientSession() as http:
        status, _ = await send(http, url, req)
    return status


async def _next_id(load: Load) -> int:
    """Place (and cancel) one resting order; its id, or 0 if it was refused."""
    async with aiohttp.ClientSession() as http:
        params = {"market": "ETH_PERP", "side": "buy", "amount": "0.01", "price": "1000.00"}
        status, data, _ = await load.call(http, "limit", params)
        if status != 200:
            return 0
        order_id = int(data["orderId"])
        status, _, _ = await load.call(http, "cancel", {"market": "ETH_PERP", "orderId": order_id})
        load.acks.append(Ack("limit", order_id, "ETH_PERP"))
        if status == 200:
            load.acks.append(Ack("cancel", order_id, "ETH_PERP"))
        return order_id


async def measure(
    *, kills: int = 10, clients: int = 50, run: tuple[float, float] = (1.0, 3.0), seed: int = 1
) -> dict[str, Any]:
    rng = random.Random(seed)
    nonces = Nonces()
    rounds: list[dict[str, Any]] = []
    max_id = 0
    with tempfile.TemporaryDirectory(prefix="bench-kill-") as tmp:
        state = Path(tmp) / "sandbox.sqlite3"
        child = Child(state, fresh=True).start()
        try:
            load = Load(child.url, nonces, seed=seed)
            for k in range(kills):
                clients_task = asyncio.ensure_future(load.run(clients))
                await asyncio.sleep(rng.uniform(*run))
                probe, _ = await _probe(load)
                await asyncio.sleep(rng.uniform(0, 0.2))
                child.kill()
                load.stop.set()
                await clients_task
                max_id = max([max_id] + [a.order_id for a in load.acks])
                t0 = time.monotonic()
                child = Child(state, fresh=False).start()
                restart_ms = (time.monotonic() - t0) * 1000
                checker = Load(child.url, nonces)
                lost = await lost_operations(checker, load)
                strict = await _replay(child.url, probe)
                window = await _replay(child.url, load.last_market)
                following = Load(child.url, nonces, seed=seed + k + 1)
                next_id = await _next_id(following)
                rounds.append(
                    {
                        "kill": k + 1,
                        "acknowledged": len(load.acks),
                        "lost": sum(lost.values()),
                        "lost_by_op": {op: n for op, n in sorted(lost.items()) if n},
                        "replay_status": strict,
                        "window_replay_status": window,
                        "next_id": next_id,
                        "max_acknowledged_id": max_id,
                        "restart_ms": round(restart_ms, 1),
                        "calls": sum(len(v) for v in load.latencies.values()),
                    }
                )
                load = following
        finally:
            child.stop()
    return summarize(rounds, clients)


def summarize(rounds: list[dict[str, Any]], clients: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "kills": len(rounds),
        "clients": clients,
        "acknowledged": sum(r["acknowledged"] for r in rounds),
        "lost": sum(r["lost"] for r in rounds),
        "lost_per_kill": [r["lost"] for r in rounds],
        "replays_accepted": sum(1 for r in rounds if r["replay_status"] == 200),
        "window_replays_accepted": sum(1 for r in rounds if r["window_replay_status"] == 200),
        "ids_reused": sum(1 for r in rounds if r["next_id"] <= r["max_acknowledged_id"]),
        "rounds": rounds,
    }
    out["met"] = out["lost"] == 0 and out["replays_accepted"] == 0 and out["ids_reused"] == 0
    return out


def lines(report: dict[str, Any]) -> list[str]:
    verdict = "met" if report["met"] else "MISSED"
    head = (
        f"{'kill':<20} {report['kills']} kill -9 restarts under {report['clients']}-client load:"
        f" {report['lost']} of {report['acknowledged']} acknowledged operations lost"
        f" (per kill {report['lost_per_kill']}); replays accepted {report['replays_accepted']}"
        f" (windowed {report['window_replays_accepted']}); ids reused {report['ids_reused']}"
        f" | target zero lost, no replay, no id reused: {verdict}"
    )
    out = [head]
    for r in report["rounds"]:
        out.append(
            f"{'':20} kill {r['kill']:>2}: {r['lost']:>4} of {r['acknowledged']:>5} lost"
            f" {r['lost_by_op'] or ''}; replay -> {r['replay_status']}, windowed replay ->"
            f" {r['window_replay_status']}; next id {r['next_id']} (max acked"
            f" {r['max_acknowledged_id']}); restart {r['restart_ms']:.0f} ms"
        )
    return out
