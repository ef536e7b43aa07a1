"""tui.service.events loads its classes on first use (PEP 562, bench: cold_start): the same
classes however they are reached, and nothing but them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tui.service import _events, events


def test_every_event_class_is_reachable_and_the_same() -> None:
    defined = {
        name
        for name, value in vars(_events).items()
        if isinstance(value, type) and value.__module__ == _events.__name__
    }
    assert {"Event", "PositionsChanged", "ServiceError"} <= defined
    for name in defined:
        assert getattr(events, name) is getattr(_events, name)
    assert defined <= set(dir(events))
    from tui.service.events import OrderFilled, PositionsChanged

    assert PositionsChanged is _events.PositionsChanged and OrderFilled is _events.OrderFilled


def test_names_that_are_not_event_classes_are_not_there() -> None:
    for name in ("dataclass", "Decimal", "Position", "field", "_nothing", "Nothing"):
        with pytest.raises(AttributeError):
            getattr(events, name)


def test_the_service_is_built_without_loading_them(
    tmp_path: Path, fresh_python: Callable[[str, float], str]
) -> None:
    code = """
import sys
from tui.service import Thresholds, TradingService, events
service = TradingService.for_whitebit(
    "http://127.0.0.1:9", "ws://127.0.0.1:9/ws", api_key="k", api_secret="s"
)
assert "tui.service._events" not in sys.modules
seen = []
service.subscribe(seen.append)
service._publish(events.ServiceError("test", "hello"))
assert "tui.service._events" in sys.modules
assert isinstance(seen[0], events.Event) and seen[0].message == "hello"
print("ok")
"""
    assert fresh_python(code, 60) == "ok"
