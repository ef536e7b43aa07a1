"""The async service layer: owns the venue clients, holds state, publishes changes. No Textual."""

from . import events
from .trading import Thresholds, TradeGate, TradingService
from .venue import CommandError, StreamCallbacks, Venue

__all__ = [
    "CommandError",
    "StreamCallbacks",
    "Thresholds",
    "TradeGate",
    "TradingService",
    "Venue",
    "events",
]
