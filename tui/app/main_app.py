"""``CollateralApp``: the Textual application. Talks only to ``tui.service`` and ``tui.domain``."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from textual import work
from textual.app import App

from tui.service import CommandError

from . import messages as msg
from ._compat import NoLocalsCrashReport
from .actions import bindings, help_rows, textual_keymap, validate_keymap
from .commands import DeskCommands
from .paths import css_paths
from .screens.desk import DeskScreen

if TYPE_CHECKING:
    from tui.service import TradingService


def wall_clock() -> str:
    return datetime.now().strftime("%H:%M:%S")


#: Benchmark hook: with ``COLLATERAL_TUI_BENCH_FD=N`` set, the app writes ``frame\n`` to file
#: descriptor N once the desk's first frame is painted and ``data\n`` once the first frame after
#: the service has loaded the account is painted, then exits. ``python -m bench`` uses it to time
#: a cold start (it opens the pipe); nothing else does. Unset, the app does nothing extra.
BENCH_FD_ENV = "COLLATERAL_TUI_BENCH_FD"


def _bench_fd() -> int | None:
    value = os.environ.get(BENCH_FD_ENV, "")
    return int(value) if value.isdigit() else None


class CollateralApp(NoLocalsCrashReport, App[None]):
    """The desk. ``keymap`` maps action ids (e.g. ``"desk.close"``, see ``tui.app.actions``) to
    keys; an unknown id or a shared key raises ``actions.KeymapError`` (the app does not start).

    ``clock`` (a callable returning the text of the status-line clock) and ``show_ages``
    exist so tests and snapshots can be deterministic. ``endpoint_ready``, if given, is awaited
    before the service starts (the launcher's embedded sandbox may still be starting; a
    ``CommandError`` from it is a start failure). ``on_first_frame``, if given, is called once,
    just after the desk's first frame is painted (the launcher turns the garbage collector back
    on there).
    """

    TITLE = "collateral-tui"
    CSS_PATH = css_paths()
    BINDINGS = bindings("app")
    COMMANDS = App.COMMANDS | {DeskCommands}

    def __init__(
        self,
        service: TradingService,
        *,
        keymap: dict[str, str] | None = None,
        clock: Callable[[], str] | None = None,
        show_ages: bool = True,
        theme: str | None = None,
        endpoint_ready: Callable[[], Awaitable[None]] | None = None,
        on_first_frame: Callable[[], None] | None = None,
        confirm_limit_orders: bool = True,
        confirm_market_above: Decimal = Decimal(0),
    ) -> None:
        validate_keymap(keymap or {})
        super().__init__()
        self.service = service
        #: The keymap applied (help and the palette show the keys after it).
        self.keymap_overrides: dict[str, str] = dict(keymap or {})
        self.set_keymap(textual_keymap(self.keymap_overrides))
        self._clock = clock or wall_clock
        self._show_ages = show_ages
        self._initial_theme = theme
        self._endpoint_ready = endpoint_ready
        self._on_first_frame = on_first_frame
        self.confirm_limit_orders = confirm_limit_orders
        self.confirm_market_above = confirm_market_above
        self.bridge = msg.ServiceBridge(service.subscribe)
        self.desk: DeskScreen | None = None
        self.start_error: str | None = None
        self._bench_fd: int | None = None

    def on_mount(self) -> None:
        if self._initial_theme:
            self.theme = self._initial_theme
        self.desk = DeskScreen(
            self.service,
            clock=self._clock,
            show_ages=self._show_ages,
            help_rows=lambda: help_rows(self.keymap_overrides, self.get_key_display),
            confirm_limit_orders=self.confirm_limit_orders,
            confirm_market_above=self.confirm_market_above,
        )
        self.push_screen(self.desk)
        self.bridge.attach(self.desk)
        self._bench_fd = _bench_fd()
        self.desk.call_after_refresh(self._first_frame)
        self.start_service()

    def _first_frame(self) -> None:
        if self._on_first_frame is not None:
            on_first_frame, self._on_first_frame = self._on_first_frame, None
            on_first_frame()
        if self._bench_fd is not None:
            self._bench_mark(b"frame\n")

    @work(group="service-start", exclusive=True, exit_on_error=False)
    async def start_service(self) -> None:
        try:
            if self._endpoint_ready is not None:
                await self._endpoint_ready()
            await self.service.start()
        except CommandError as exc:
            self.post_message(msg.ServiceStartFailed(str(exc)))
            return
        except OSError as exc:  # belt and braces: the service should wrap these
            self.post_message(msg.ServiceStartFailed(f"Cannot reach the endpoint: {exc}"))
            return
        if self.desk is not None:
            self.desk.post_message(msg.ServiceStarted())
            if self._bench_fd is not None:  # after the desk has applied the loaded state
                self.desk.call_after_refresh(self._bench_mark, b"data\n", exit=True)

    def _bench_mark(self, mark: bytes, exit: bool = False) -> None:
        """Benchmark hook (``bench/``, figure ``cold_start``): see :func:`_bench_fd`."""
        assert self._bench_fd is not None
        with contextlib.suppress(OSError):  # the benchmark went away: nothing to report to
            os.write(self._bench_fd, mark)
        if exit:
            self.exit()

    async def action_quit(self) -> None:
        """Quit; with positions or orders open, ask first (``y`` quits, any other key stays).
        Orders still in flight are safe either way: the service's journal reconciles them at
        the next start."""
        service = self.service
        positions, orders = len(service.positions), len(service.orders)
        if not positions and not orders or self.start_error is not None:
            self.exit()
            return
        from .screens.modals import QuitModal

        lines = [
            f"{positions} position(s) and {orders} open order(s) stay on the exchange after",
            "you quit, unwatched. Quit anyway?",
        ]
        self.push_screen(QuitModal(lines), callback=self._after_quit_question)

    def _after_quit_question(self, quit: bool | None) -> None:
        if quit:
            self.exit()

    def on_service_start_failed(self, message: msg.ServiceStartFailed) -> None:
        from .screens.error import StartErrorScreen

        self.start_error = message.message
        self.notify(message.message, title="Cannot start", severity="error", timeout=15)
        self.push_screen(StartErrorScreen(message.message), callback=self._after_start_error)

    def _after_start_error(self, retry: bool | None) -> None:
        if retry:
            self.start_error = None
            self.start_service()
        else:
            self.exit(return_code=1)

    async def on_unmount(self) -> None:
        self.bridge.detach()
        with contextlib.suppress(Exception):  # shutting down: nothing useful to do with it
            await self.service.stop()
