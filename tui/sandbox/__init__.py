"""Embedded WhiteBIT-compatible sandbox exchange: a real REST + WebSocket server on loopback.

Depends on ``tui.domain`` only. See /work/notes/sandbox-contract.md for the contract::

    async with SandboxServer(SandboxConfig(port=0, static_prices=True)) as sb:
        sb.rest_url, sb.ws_url, sb.engine
        await sb.set_price("BTC_PERP", Decimal("60000"))

    handle = start_sandbox_thread(cfg); handle.rest_url; handle.stop()
"""

from .config import DEMO_API_KEY, DEMO_API_SECRET, SandboxConfig
from .server import SandboxServer
from .thread import SandboxHandle, start_sandbox_thread

__all__ = [
    "DEMO_API_KEY",
    "DEMO_API_SECRET",
    "SandboxConfig",
    "SandboxHandle",
    "SandboxServer",
    "start_sandbox_thread",
]
