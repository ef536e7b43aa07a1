"""From the launch options to a service: the config, the endpoint, the service, the probe."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from .config import AppConfig, ConfigError, load_config
from .sandbox import SandboxProcess, start_embedded_sandbox
from .target import LaunchError, LaunchOptions, Target, nonce_path, pending_orders_path

if TYPE_CHECKING:
    from tui.service import TradingService


def load_launch_config(options: LaunchOptions, env: Mapping[str, str] | None = None) -> AppConfig:
    try:
        config = load_config(
            options.config, profile=options.profile, env=os.environ if env is None else env
        )
    except ConfigError as exc:
        raise LaunchError(str(exc)) from None
    if options.dead_man is not None:  # the flag wins over the config file
        config = dataclasses.replace(config, dead_man_seconds=options.dead_man or None)
    return config


def endpoint_target(options: LaunchOptions, config: AppConfig) -> Target | None:
    """The configured endpoint (flags over config), or None for the embedded sandbox."""
    api_url = options.api_url or config.api_url
    ws_url = options.ws_url or config.ws_url
    live = options.live or config.live
    if options.api_url and not options.ws_url:
        raise LaunchError("--api-url needs --ws-url as well")
    if not api_url:
        return None
    if not (config.api_key and config.api_secret):
        raise LaunchError(
            "no API credentials: set WHITEBIT_API_KEY and WHITEBIT_API_SECRET or add them to the"
            " config profile"
        )
    if not ws_url:
        raise LaunchError("no WebSocket URL: pass --ws-url or set ws_url in the profile")
    return Target(api_url, ws_url, config.api_key, config.api_secret, live, embedded=False)


def resolve_target(
    options: LaunchOptions, env: Mapping[str, str] | None = None
) -> tuple[Target, AppConfig, SandboxProcess | None]:
    """Decide where to connect: the target, the config, and the embedded sandbox's handle when
    there is no endpoint configured (it is listening when this returns; the caller stops it)."""
    config = load_launch_config(options, env)
    target = endpoint_target(options, config)
    if target is not None:
        return target, config, None
    handle = start_embedded_sandbox(options)
    handle.wait_ready()
    return handle.target, config, handle


def build_service(target: Target, config: AppConfig, *, pending: bool = True) -> TradingService:
    """The TradingService the desk runs on (also used by the probe and the drills). ``pending``
    False: no files kept between runs (pending orders, nonce), as for a one-off probe."""
    from tui.service import Thresholds, TradingService

    return TradingService.for_whitebit(
        target.rest_url,
        target.ws_url,
        api_key=target.api_key,
        api_secret=target.api_secret,
        allow_live=target.live,
        thresholds=Thresholds(green=config.thresholds.green, red=config.thresholds.red),
        pending_path=pending_orders_path(target) if pending else None,
        nonce_path=nonce_path(target) if pending else None,
        dead_man_seconds=config.dead_man_seconds,
    )


def probe(target: Target, config: AppConfig, timeout: float = 15.0) -> None:
    """Check the endpoint answers before the full-screen app starts (its own short event loop and
    service instance: the app's service is bound to the app's loop). Raises LaunchError."""
    import asyncio

    from tui.service import CommandError

    async def check() -> None:
        service = build_service(target, config, pending=False)
        try:
            await asyncio.wait_for(service.probe(), timeout)
        finally:
            await service.stop()

    try:
        asyncio.run(check())
    except CommandError as exc:
        raise LaunchError(f"{target.rest_url}: {exc}") from None
    except TimeoutError:
        raise LaunchError(f"{target.rest_url}: no answer within {timeout:g} s") from None
    except OSError as exc:
        raise LaunchError(f"{target.rest_url}: cannot connect ({exc.strerror or exc})") from None
