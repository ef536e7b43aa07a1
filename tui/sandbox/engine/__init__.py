"""The sandbox exchange engine: synchronous, deterministic (injectable clock, seeded RNG).

The HTTP/WebSocket server (``tui.sandbox.server``) is a thin layer over this package. The engine
does no I/O; the server commits it with ``store.StateStore`` and broadcasts
:meth:`Engine.drain_events`. Its parts, one model each (every module documents its own rules):

- ``records``: the mutable records (orders, positions, OCO groups) and shared constants;
- ``ledger``: the state, balances, isolated margin, leverage, hedge mode (the margin model);
- ``book``: validation, placement, matching on arrival, cancel and modify;
- ``triggers``: price changes, resting fills, stop triggers and OCO groups (the market model);
- ``positions``: fills applied to positions (open, increase, reduce, flip, close);
- ``liquidation``: margin calls, partial and full liquidation;
- ``funding``: futures funding rounds and borrow interest;
- ``killswitch``: per-market kill-switch (dead-man) timers;
- ``schema``, ``store``: the state as SQLite rows, one transaction per command (the one place
  that touches disk).

Not modelled: partial fills and order-book depth (liquidity is unlimited), mark price, ADL, OTO
(``stopLoss``/``takeProfit`` on an order are refused with code 30), leverage code 17 and the
futures brackets (reported by /public/futures, not enforced).
"""

from __future__ import annotations

from .funding import Funding
from .killswitch import KILL_SWITCH_TYPES, KillSwitch, KillSwitchTimer
from .ledger import EngineOptions
from .liquidation import Liquidation
from .records import (
    AUTO_CANCELED_LIQUIDATION,
    AUTO_CANCELED_REDUCE_ONLY,
    CANCELED,
    COLLATERAL_ASSET,
    FILLED,
    OPEN,
    OcoGroup,
    SimOrder,
    SimPosition,
)


class Engine(Liquidation, Funding, KillSwitch):
    """One simulated collateral account on a small set of markets."""


__all__ = [
    "AUTO_CANCELED_LIQUIDATION",
    "AUTO_CANCELED_REDUCE_ONLY",
    "CANCELED",
    "COLLATERAL_ASSET",
    "FILLED",
    "KILL_SWITCH_TYPES",
    "OPEN",
    "Engine",
    "EngineOptions",
    "KillSwitch",
    "KillSwitchTimer",
    "OcoGroup",
    "SimOrder",
    "SimPosition",
]
