"""Client numbers, parsed with bounded work: JSON loading with number hooks, ASCII-only number
text, and the bounds every integer and decimal parameter is checked against *before* any
conversion that could cost time (``int(Decimal('1e1000000'))`` runs for seconds to hours).

- A JSON number literal longer than :data:`MAX_LITERAL` characters, or whose exponent puts it
  beyond :data:`MAX_ADJUSTED` orders of magnitude, is kept as a :class:`BadNumber` (never
  converted); ``Params`` then refuses it as that field's validation error (HTTP 422).
- ``NaN``/``Infinity`` are not JSON: the whole body is refused, like any invalid JSON.
- Nesting deeper than :data:`MAX_DEPTH` is refused (:class:`TooDeep`); nothing the exchange
  accepts nests deeper than 3 (``bulk``'s orders, ``deals_subscribe [[markets]]``).
- Number text is ASCII only: ``Decimal()`` and ``int()`` accept any Unicode digit (``"٣"``),
  the exchange does not.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_LITERAL = 40  # characters of one JSON number literal
MAX_ADJUSTED = 40  # |exponent of the leading digit| of a JSON float literal
MAX_DEPTH = 16  # arrays/objects inside one another

#: Integer parameters (ids, limits, timestamps in ms, leverage) fit a signed 64-bit integer.
INT_MAX = 2**63 - 1
INT_DIGITS = 19

#: Amounts and prices: below 10**9 in magnitude, at most 18 decimal places. The engine computes
#: notionals, fees and margins in the default 28-digit context and quantizes money to 1e-8:
#: amount x price below 10**18 keeps that quantize within 28 digits (no InvalidOperation).
DECIMAL_MAX_ADJUSTED = 8
DECIMAL_MAX_PLACES = 18

ASCII_SPACE = " \t\r\n"
INT_TEXT_RE = re.compile(r"-?[0-9]{1,19}", re.ASCII)
DECIMAL_TEXT_RE = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


class BadNumber:
    """A JSON number literal refused unconverted (too long or too large). Not a str, int or
    Decimal, so every typed parameter check refuses it."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text[:MAX_LITERAL]

    def __repr__(self) -> str:
        return f"BadNumber({self.text!r}...)"


class TooDeep(ValueError):
    """JSON nested deeper than :data:`MAX_DEPTH` (or deep enough to exhaust the C parser)."""


def _parse_int(text: str) -> int | BadNumber:
    return int(text) if len(text) <= MAX_LITERAL else BadNumber(text)


def _parse_float(text: str) -> Decimal | BadNumber:
    if len(text) > MAX_LITERAL:
        return BadNumber(text)
    value = Decimal(text)  # cheap for any exponent: the digits are at most MAX_LITERAL
    if value and abs(value.adjusted()) > MAX_ADJUSTED:
        return BadNumber(text)
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"invalid JSON constant {name}")


def _check_depth(data: Any) -> None:
    """Iterative (no recursion of our own): each container with the depth it sits at."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > MAX_DEPTH:
            raise TooDeep("JSON nested too deep")
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def loads(text: str | bytes) -> Any:
    """``json.loads`` with bounded numbers (Decimal, int or :class:`BadNumber`) and depth.

    Raises ``ValueError`` for invalid JSON (``UnicodeDecodeError`` included) and its subclass
    :class:`TooDeep` for JSON nested too deep."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    try:
        data = json.loads(
            text,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_reject_constant,
        )
    except RecursionError:
        raise TooDeep("JSON nested too deep") from None
    _check_depth(data)
    return data


def bounded_int(value: Any) -> int | None:
    """``value`` as an int when it is an in-range integer (JSON int, integral Decimal, or ASCII
    integer text), else None. Nothing is converted before its size is known."""
    if isinstance(value, bool | BadNumber):
        return None
    result: int | None = None
    if isinstance(value, int):
        result = value
    elif isinstance(value, Decimal):
        small = value.is_finite() and (not value or value.adjusted() < INT_DIGITS)
        if small and value == value.to_integral_value():  # size first: int() is then cheap
            result = int(value)
    elif isinstance(value, str):
        text = value.strip(ASCII_SPACE)
        if INT_TEXT_RE.fullmatch(text):
            result = int(text)
    if result is None or abs(result) > INT_MAX:
        return None
    return result


def bounded_decimal(value: Any) -> Decimal | None:
    """``value`` as a Decimal when it is a finite number within the amount/price bounds (JSON
    number or ASCII decimal text), else None."""
    if isinstance(value, bool | BadNumber):
        return None
    result: Decimal | None = None
    if isinstance(value, int):
        if abs(value) < 10 ** (DECIMAL_MAX_ADJUSTED + 1):
            result = Decimal(value)
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        text = value.strip(ASCII_SPACE)
        if len(text) <= MAX_LITERAL and DECIMAL_TEXT_RE.fullmatch(text):
            try:
                result = Decimal(text)
            except InvalidOperation:
                result = None
    if result is None or not result.is_finite():
        return None
    exponent = result.as_tuple().exponent
    assert isinstance(exponent, int)  # finite
    if result and result.adjusted() > DECIMAL_MAX_ADJUSTED:
        return None
    if exponent < -DECIMAL_MAX_PLACES:
        return None
    return result
