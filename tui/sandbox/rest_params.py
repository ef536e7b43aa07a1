"""What every REST handler shares: the request's typed parameters and the handler context.

A private handler is ``handler(ctx, params) -> JSON-ready object`` (``rest_private``), a public
one ``handler(ctx, query, path) -> JSON-ready object`` (``rest_public``); both raise for any
documented failure and the server turns the error into WhiteBIT's answer.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from . import errors, numbers
from .engine import Engine

D = Decimal


@dataclass
class Context:
    engine: Engine
    new_ws_token: Callable[[], str] = field(default=lambda: "")


def _label(name: str) -> str:
    return name[:1].upper() + name[1:]


class Params:
    """Typed access to a request body (private) or query (public)."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def raw(self, name: str) -> Any:
        return self.data.get(name)

    def present(self, name: str) -> bool:
        return self.data.get(name) not in (None, "")

    def str(self, name: str, *, required: bool = False, default: str | None = None) -> str | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise errors.required(name)
            return default
        if not isinstance(value, str):
            raise errors.validation(30, name, f"{_label(name)} must be a string.")
        return value

    def decimal(self, name: str, *, required: bool = False, code: int = 30) -> Decimal | None:
        """A finite amount/price within ``numbers``' bounds (JSON number or ASCII text)."""
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise errors.required(name)
            return None
        result = numbers.bounded_decimal(value)
        if result is None:
            raise errors.validation(code, name, f"{_label(name)} must be a number.")
        return result

    def int(
        self,
        name: str,
        *,
        required: bool = False,
        default: int | None = None,
        minimum: int | None = None,
        maximum: int | None = None,
    ) -> int | None:
        value = self.data.get(name)
        if value is None or value == "":
            if required:
                raise errors.required(name)
            return default
        result = numbers.bounded_int(value)
        if result is None:
            raise errors.validation(30, name, f"{_label(name)} must be an integer.")
        if minimum is not None and result < minimum:
            raise errors.validation(30, name, f"{_label(name)} must be at least {minimum}.")
        if maximum is not None and result > maximum:
            raise errors.validation(30, name, f"{_label(name)} may not be greater than {maximum}.")
        return result

    def bool(self, name: str, *, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise errors.validation(30, name, f"{_label(name)} must be a boolean.")
        return value

    def page(self, default_limit: int, max_limit: int) -> tuple[int, int]:
        limit = self.int("limit", default=default_limit, minimum=1, maximum=max_limit)
        offset = self.int("offset", default=0, minimum=0)
        assert limit is not None and offset is not None
        return limit, offset

    def dates(self) -> tuple[Decimal | None, Decimal | None]:
        start = self.int("startDate", minimum=0)
        end = self.int("endDate", minimum=0)
        if start is not None and end is not None and start > end:
            raise errors.validation(30, "startDate", "StartDate must be less than endDate.")
        return (D(start) if start is not None else None, D(end) if end is not None else None)


def in_dates(when: Decimal, start: Decimal | None, end: Decimal | None) -> bool:
    return (start is None or when >= start) and (end is None or when <= end + 1)


def market_param(ctx: Context, p: Params, *, required: bool) -> str | None:
    """The ``market`` parameter, checked against the catalog."""
    name = p.str("market", required=required)
    if name is not None:
        ctx.engine.spec(name)
    return name
