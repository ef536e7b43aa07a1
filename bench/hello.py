"""The baseline for ``cold_start``: a bare Textual "hello" app, started the same way as the desk
(``python -m bench.hello`` in a terminal) and reporting its first frame through the same hook
(``COLLATERAL_TUI_BENCH_FD``, see ``tui.app.main_app``)."""

from __future__ import annotations

import contextlib
import os

from textual.app import App, ComposeResult
from textual.widgets import Static


class Hello(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("hello")

    def on_mount(self) -> None:
        fd = os.environ.get("COLLATERAL_TUI_BENCH_FD", "")
        if fd.isdigit():
            self.call_after_refresh(self._mark, int(fd))

    def _mark(self, fd: int) -> None:
        with contextlib.suppress(OSError):
            os.write(fd, b"frame\n")
        self.exit()


if __name__ == "__main__":
    Hello().run()
