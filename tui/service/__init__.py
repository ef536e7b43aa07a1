"""The async service layer: owns the venue clients, holds state, publishes changes. No Textual."""

from . import events
from .gate import Thresholds, TradeGate
from .trading import TradingService
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
