"""The service's answer to "may I trade now?" and the distance bands it judges risk by."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class TradeGate:
    """The service's one answer to "may I trade now?" (see :meth:`TradingService.trade_gate`).

    ``allowed``: orders, closes and settings changes may go out without asking. Otherwise
    ``reason`` says why. ``stale_streams`` is not empty only when stale data is the sole
    reason: a trader may then still close after confirming (:attr:`overridable`); any other
    reason (not connected, a LIVE endpoint without ``--live``) refuses every command.
    """

    allowed: bool
    reason: str | None = None
    stale_streams: tuple[str, ...] = ()

    @property
    def overridable(self) -> bool:
        """Refused only because of stale data: a close may go through once confirmed."""
        return not self.allowed and bool(self.stale_streams)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Distance-to-liquidation bands in percent: > green is safe, < red is danger."""

    green: Decimal = Decimal(15)
    red: Decimal = Decimal(5)

    def band(self, percent: Decimal | None) -> str:
        if percent is None:
            return "unknown"
        if percent > self.green:
            return "green"
        if percent >= self.red:
            return "amber"
        return "red"
