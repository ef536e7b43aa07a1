"""Benchmark instrumentation, installed on *instances* from the outside.

Nothing here is imported by ``tui``: when the desk is not being benchmarked, its hot path has no
hooks, flags or timestamps. The probes wrap two methods of live objects:

- ``App._display(screen, update)``: Textual calls it once per frame with the compositor's update.
  In a headless app the driver skips the terminal write, so the probe does the part of painting a
  real terminal would still cost (turning the update into the escape-sequence string) and then
  stamps the frame. "Painted" in the figures means: this call has returned.
- ``WhiteBitStream._handle_frame(raw)``: the client's entry point for every WebSocket frame,
  stamped before parsing.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual._compositor import CompositorUpdate
from textual.app import App


class FrameProbe:
    """Stamps every frame an app paints: ``frames`` holds (perf_counter_ns, process_time_ns)."""

    def __init__(self, app: App[Any], on_frame: Callable[[int], None] | None = None) -> None:
        self.app = app
        self.frames: list[tuple[int, int]] = []
        self.on_frame = on_frame
        self._event: asyncio.Event | None = None
        original = app._display

        def display(screen: Any, renderable: Any) -> None:
            original(screen, renderable)
            if renderable is None or app._batch_count:
                return
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)  # what a real terminal write would cost
            now = time.perf_counter_ns()
            self.frames.append((now, time.process_time_ns()))
            if self.on_frame is not None:
                self.on_frame(now)
            if self._event is not None:
                self._event.set()

        app._display = display  # type: ignore[method-assign]

    @property
    def count(self) -> int:
        return len(self.frames)

    async def settle(self, quiet: float = 0.1, timeout: float = 5.0) -> int:
        """Wait until no frame has been painted for ``quiet`` seconds (Textual paints at most
        every 1/60 s). Returns the index of the last frame painted so far."""
        self._event = asyncio.Event()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while True:
                self._event.clear()
                try:
                    await asyncio.wait_for(self._event.wait(), quiet)
                except TimeoutError:
                    return self.count - 1
                if loop.time() > deadline:
                    return self.count - 1
        finally:
            self._event = None


class ReceiveProbe:
    """Stamps every WebSocket frame the client receives, then lets it through unchanged.
    ``after(raw, t_ns)`` runs once the frame has been handled (service state updated)."""

    def __init__(self, stream: Any, after: Callable[[Any, int], None]) -> None:
        original = stream._handle_frame

        def handle(raw: Any) -> None:
            t = time.perf_counter_ns()
            original(raw)
            after(raw, t)

        stream._handle_frame = handle


def pause_timers(node: Any, *names: str) -> list[Any]:
    """Pause a widget's named interval timers (the bench drives those steps itself)."""
    paused = []
    for timer in list(node._timers):
        if timer.name in names:
            timer.pause()
            paused.append(timer)
    return paused
