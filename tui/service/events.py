"""Typed change events the service publishes to its subscribers (the app turns them into
Textual messages). Small, immutable, and carrying domain models only: no exchange JSON.

The classes are defined in :mod:`tui.service._events` and loaded on the first use of any of them
through this module (``events.PositionsChanged``, ``from tui.service.events import ...``; PEP
562): building 14 frozen dataclasses takes ~20 ms, which the desk's path to its first frame
(importing the service to construct it) does not need (bench: cold_start). The first event is
published when the service starts, after that frame; the app loads them just after it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._events import *


def __getattr__(name: str) -> Any:
    if not name.startswith("_"):
        from . import _events

        value = getattr(_events, name, None)
        if isinstance(value, type) and value.__module__ == _events.__name__:
            globals()[name] = value
            return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    from . import _events

    defined = {
        n for n, v in vars(_events).items() if isinstance(v, type) and v.__module__ == _events.__name__
    }
    return sorted(set(globals()) | defined)
