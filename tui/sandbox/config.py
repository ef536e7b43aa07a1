"""Sandbox configuration (see /work/notes/sandbox-contract.md)."""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

#: Fixed demo credentials: the sandbox is a paper exchange on loopback, the CLI prints them.
DEMO_API_KEY = "demo-key"
DEMO_API_SECRET = "demo-secret"

Clock = Callable[[], "Decimal | float | int"]


def _default_balances() -> dict[str, Decimal]:
    return {"USDT": Decimal(10000)}


def wall_clock() -> Decimal:
    """Unix seconds as a Decimal with nanosecond resolution (no float on the way)."""
    return Decimal(time.time_ns()) / Decimal(1_000_000_000)


def is_loopback_bind(host: str) -> bool:
    """True when binding ``host`` listens on this machine's loopback interface only ("" and
    "0.0.0.0" / "::" mean every interface)."""
    if host.strip().lower() in ("localhost", "localhost."):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name or an interface address: reachable beyond loopback


@dataclass
class SandboxConfig:
    host: str = "127.0.0.1"
    port: int = 0  # 0 = pick a free port
    api_key: str = DEMO_API_KEY
    api_secret: str = DEMO_API_SECRET
    balances: dict[str, Decimal] = field(default_factory=_default_balances)
    static_prices: bool = False  # True freezes the random walk
    seed: int = 1
    state_path: Path | None = None  # None = in memory; a Path = SQLite state file
    fresh: bool = False  # True = ignore/overwrite existing state
    tick_interval: float = 1.0  # price walk / engine tick, seconds
    push_interval: float = 1.0  # positionsMargin_update cadence per subscriber
    funding_interval: float = 8 * 3600.0  # PERP funding period, seconds (WhiteBIT: 8 h)
    interest_interval: float = 3600.0  # margin borrow interest accrual period, seconds (1 h)
    ws_idle_timeout: float = 60.0  # close a WS connection after this long without a message
    # Seconds a request head may take to arrive (from the connection or its first byte), and
    # its body (from the head); then the connection is closed (guard.py).
    header_timeout: float = 5.0
    body_timeout: float = 10.0
    max_connections: int = 256  # open at once (then idle ones are dropped, busy ones refused)
    clock: Clock | None = None  # injectable time source -> unix seconds
    # Injectable clock for the WS idle timeout (monotonic seconds; faults.WarpClock runs fast so
    # tests simulate minutes), polled every ws_idle_poll wall seconds. None = the loop's clock.
    ws_clock: Callable[[], float] | None = None
    ws_idle_poll: float = 0.05
    # True: GET /sandbox/info answers 404 like a real exchange, so the sandbox poses as a LIVE
    # endpoint (for tests of the --live guard).
    pose_as_live: bool = False

    def exposure_problem(self) -> str | None:
        """Why this config must not be served, or None: beyond loopback anyone on the network
        can reach the private API, so the public demo credentials are refused there."""
        if is_loopback_bind(self.host):
            return None
        if self.api_key == DEMO_API_KEY or self.api_secret == DEMO_API_SECRET:
            return (
                f"--host {self.host or repr(self.host)} makes the sandbox reachable from other "
                "machines: set your own --api-key and --api-secret (the demo ones are public)"
            )
        return None

    def now(self) -> Decimal:
        if self.clock is None:
            return wall_clock()
        value = self.clock()
        if isinstance(value, Decimal):
            return value
        if isinstance(value, int):
            return Decimal(value)
        return Decimal(str(value))  # a float clock: go through its shortest repr, not binary
