"""Small text helpers shared by the widgets. Decimal in, str out; never float."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from tui.domain.risk import fmt

DASH = "-"


def money(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return DASH
    return fmt(value, places)


def signed(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return DASH
    text = fmt(value, places)
    if value > 0:
        return "+" + text
    return text


def amount(value: Decimal | None, places: int | None = None) -> str:
    if value is None:
        return DASH
    if places is None:
        return fmt(value.normalize()) if value == value.to_integral_value() else fmt(value)
    return fmt(value, places)


def percent(value: Decimal | None, places: int = 2) -> str:
    if value is None:
        return DASH
    return fmt(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)) + "%"


def age(seconds: float | None) -> str:
    if seconds is None:
        return "never"
    secs = int(seconds)
    if secs < 120:
        return f"{secs}s"
    if secs < 7200:
        return f"{secs // 60}m"
    return f"{secs // 3600}h"
