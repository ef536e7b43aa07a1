"""The one module in tui/ that may use private Textual or plotext names.

Everything else in tui/ keeps to public APIs (tests/test_private_api.py checks it). Each use
below says why it is needed and which upstream change would remove it; re-check them when the
Textual pin moves.
"""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console
from textual.app import App


class NoLocalsCrashReport:
    """Mixin for an ``App`` (list it before ``App``): the crash report for an unhandled
    exception is the traceback without local variables, so a frame holding a key, a secret or
    a signed payload never prints it (drill 12)."""

    # PRIVATE: App._fatal_error. Textual's App._handle_exception calls it for an exception
    # without __rich__, and it builds Traceback(show_locals=True) with no public switch
    # (checked in textual 8.2.8: no setting, no hook). Removed by an upstream App option or
    # overridable public method for the crash renderable (e.g. ``show_locals_in_crash_report``).
    # The body uses only public API: ``panic`` renders and queues the report and exits.
    def _fatal_error(self) -> None:
        # imported here, when a crash is being reported: rich.traceback (pygments) would add
        # ~30 ms to every start
        import rich
        from rich.traceback import Traceback

        assert isinstance(self, App)
        self.bell()
        self.panic(Traceback(show_locals=False, width=None, suppress=[rich]))


def crash_report(app: App[Any], *, stock: bool = False) -> str:
    """The crash report ``app`` would print for the exception being handled now, as plain
    text (``stock``: what Textual's own ``App._fatal_error`` would print instead). For drill 12,
    which checks that no secret appears in it; the app exits its message loop as after a crash.
    """
    # PRIVATE: App._fatal_error and App._exit_renderables, to render the report without
    # crashing the app for real. Removed by an upstream public way to render the crash report
    # (or to run an app to a crash and capture what it prints).
    if stock:
        App._fatal_error(app)
    else:
        app._fatal_error()
    console = Console(file=io.StringIO(), width=200, color_system=None, force_terminal=False)
    for renderable in app._exit_renderables:
        console.print(renderable)
    app._exit_renderables.clear()
    return console.file.getvalue()  # type: ignore[attr-defined]
