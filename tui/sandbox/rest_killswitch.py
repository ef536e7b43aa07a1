"""Kill-switch (dead-man) timer handlers: ``/api/v4/order/kill-switch`` and ``.../status``.

Request checks answer WhiteBIT's 422 ``Validation failed`` with field errors. Where the docs are
silent the sandbox does what a Laravel-style validator most plausibly does: ``timeout`` is
accepted as a string or a JSON integer of whole seconds (the docs show strings), ``types`` must
be a list of 1-3 distinct known values, and deleting a timer that does not exist still answers
``[]`` (the request asks for "no timer", which holds).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from . import errors
from .engine import KILL_SWITCH_TYPES
from .rest_params import Context, Params, market_param

MIN_TIMEOUT = 5
MAX_TIMEOUT = 600


def _types(p: Params) -> tuple[str, ...] | None:
    value = p.raw("types")
    if value is None:
        return None
    if (
        not isinstance(value, list)
        or not 1 <= len(value) <= len(KILL_SWITCH_TYPES)
        or any(t not in KILL_SWITCH_TYPES for t in value)
        or len(set(value)) != len(value)
    ):
        raise errors.validation(30, "types", "Types is invalid.")
    return tuple(value)


def kill_switch(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=True)
    assert market is not None
    if "timeout" not in p.data:  # null deletes the timer, so the key itself is required
        raise errors.required("timeout")
    types = _types(p)
    if p.raw("timeout") is None:
        ctx.engine.sync_kill_switch(market, None)
        return []
    timeout = p.int("timeout", required=True, minimum=MIN_TIMEOUT, maximum=MAX_TIMEOUT)
    timer = ctx.engine.sync_kill_switch(market, timeout, types)
    assert timer is not None
    return timer.as_dict()


def kill_switch_status(ctx: Context, p: Params) -> Any:
    market = market_param(ctx, p, required=False)
    return [t.as_dict() for t in ctx.engine.kill_switch_status(market)]


KILL_SWITCH: dict[str, Callable[[Context, Params], Any]] = {
    "/api/v4/order/kill-switch": kill_switch,
    "/api/v4/order/kill-switch/status": kill_switch_status,
}
