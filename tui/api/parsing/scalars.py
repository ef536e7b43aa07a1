"""Scalars of WhiteBIT payloads (decimals, ints, enums) and the shared shape checks."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from tui.domain.models import ZERO, LiquidationState, PositionSide


class ParseError(ValueError):
    """A payload did not have the documented shape."""


def loads(data: bytes | str) -> Any:
    """JSON with every non-integer number as ``Decimal`` (never a float)."""
    return json.loads(data, parse_float=Decimal)


# ---------------------------------------------------------------------------- scalars


def to_decimal(value: Any, name: str = "value") -> Decimal:
    if isinstance(value, bool) or value is None:
        raise ParseError(f"{name}: expected a number, got {value!r}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise ParseError(f"{name}: not a decimal: {value[:40]!r}") from None
    elif isinstance(value, float):
        raise ParseError(f"{name}: float received (JSON must be parsed with parse_float=Decimal)")
    else:
        raise ParseError(f"{name}: expected a number, got {type(value).__name__}")
    if not result.is_finite():
        raise ParseError(f"{name}: not finite")
    return result


def _dec_opt(value: Any, name: str) -> Decimal | None:
    """None for null, "", "NaN" (WhiteBIT sends "NaN" for some liquidation prices)."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in ("", "nan", "null", "none"):
        return None
    return to_decimal(value, name)


def _dec_or_zero(value: Any, name: str) -> Decimal:
    result = _dec_opt(value, name)
    return ZERO if result is None else result


def _positive_or_none(value: Any, name: str) -> Decimal | None:
    """Prices where 0 means "none" (a liquidation price of 0: never liquidated by price)."""
    result = _dec_opt(value, name)
    if result is None or result <= 0:
        return None
    return result


def to_int(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise ParseError(f"{name}: expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            pass
        try:
            d = Decimal(value.strip())
        except InvalidOperation:
            pass
        else:
            if d.is_finite() and d == d.to_integral_value():
                return int(d)
    raise ParseError(f"{name}: expected an integer, got {value!r}")


def _int_opt(value: Any, name: str) -> int | None:
    if value is None or value == "":
        return None
    return to_int(value, name)


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, Decimal)):
        return value != 0
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return False


def _str(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value:
        raise ParseError(f"{name}: expected a non-empty string, got {value!r}")
    return value


def _obj(value: Any, name: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ParseError(f"{name}: expected an object, got {type(value).__name__}")
    return value


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise ParseError(f"{name}: expected an array, got {type(value).__name__}")
    return value


def _first(d: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    for key in keys:
        if key in d and d[key] is not None:
            return d[key]
    return default


E = TypeVar("E", bound=enum.Enum)


def _req(d: Mapping[str, Any], *keys: str) -> Any:
    value = _first(d, *keys)
    if value is None:
        raise ParseError(f"missing field {keys[0]!r}")
    return value


def _enum_or_none(cls: type[E], text: str | None) -> E | None:
    """The enum member named by ``text``, or None for a missing or unknown value."""
    if not text:
        return None
    try:
        return cls(text)
    except ValueError:
        return None


def _liq_state(value: Any) -> LiquidationState | None:
    return _enum_or_none(LiquidationState, None if value is None else str(value).lower())


def _position_side(value: Any) -> PositionSide | None:
    return _enum_or_none(PositionSide, None if value is None else str(value).upper())
