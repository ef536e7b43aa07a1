"""collateral-tui: a keyboard-first terminal trading desk for WhiteBIT collateral trading."""

__version__ = "0.1.0"
