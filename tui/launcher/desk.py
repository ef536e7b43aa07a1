"""Run the desk: resolve the endpoint, start the embedded sandbox if needed, run the app."""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Awaitable, Callable, Iterator
from typing import TYPE_CHECKING

from .build import build_service, endpoint_target, load_launch_config, probe
from .config import AppConfig
from .sandbox import SandboxProcess, start_embedded_sandbox
from .target import LaunchError, LaunchOptions, Target

if TYPE_CHECKING:
    from tui.app.main_app import CollateralApp


def run_desk(options: LaunchOptions) -> int:
    """The desk's exit code. Raises LaunchError for anything the user can fix."""
    config = load_launch_config(options)
    target = endpoint_target(options, config)
    if target is not None:
        probe(target, config)  # before the collector's pause: it waits on the network
    with contextlib.ExitStack() as cleanup:
        with _collector_paused():
            app = _build_app(options, config, target, cleanup)
        app.run()
        return int(app.return_code or 0)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while the desk is built, then everything built so far
    frozen out of its sight. Start-up makes ~150k objects (Textual, Rich, our modules, the app)
    that live as long as the process: scanning them, over and over while they are made, only
    delays the first frame, and scanning them later finds nothing to free."""
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _build_app(
    options: LaunchOptions,
    config: AppConfig,
    target: Target | None,
    cleanup: contextlib.ExitStack,
) -> CollateralApp:
    """The desk, on ``target`` or (None) on an embedded sandbox, which ``cleanup`` stops."""
    endpoint_ready = None
    if target is None:
        # The sandbox starts in a child process while this one builds the desk: the desk paints
        # first and waits for the sandbox before its first request.
        handle = start_embedded_sandbox(options)
        cleanup.callback(handle.stop)
        target = handle.target
        endpoint_ready = _ready_for_the_desk(handle)
    from tui.app.main_app import CollateralApp

    service = build_service(target, config)
    try:
        return CollateralApp(
            service,
            keymap=dict(config.keymap),
            endpoint_ready=endpoint_ready,
            confirm_limit_orders=config.confirm_limit_orders,
            confirm_market_above=config.confirm_market_above,
        )
    except ValueError as exc:  # the config's keymap names an unknown binding id
        raise LaunchError(" ".join(str(exc).split())) from None


def _ready_for_the_desk(handle: SandboxProcess) -> Callable[[], Awaitable[None]]:
    """What the desk awaits before it starts its service: the sandbox listening (a failure is a
    CommandError, shown like any other start failure)."""
    from tui.service import CommandError

    async def ready() -> None:
        try:
            await handle.ready()
        except LaunchError as exc:
            raise CommandError(None, str(exc)) from None

    return ready
