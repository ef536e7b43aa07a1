"""``collateral-tui`` / ``python -m tui``: start the desk, or run the sandbox exchange.

    collateral-tui                      paper trading on an embedded sandbox (no keys needed)
    collateral-tui --profile NAME       use a profile from the config file
    collateral-tui --api-url URL --ws-url URL [--live]
                                        any WhiteBIT-compatible endpoint, keys from env/config
    collateral-tui sandbox [...]        run the sandbox exchange standalone

Errors are one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


class LaunchError(Exception):
    """A problem the user can fix (bad flags, config, unreachable endpoint)."""


@dataclass(frozen=True)
class Target:
    rest_url: str
    ws_url: str
    api_key: str
    api_secret: str
    live: bool
    embedded: bool  # True when we started the sandbox ourselves

    def __repr__(self) -> str:  # never show the secret
        return f"Target(rest_url={self.rest_url!r}, ws_url={self.ws_url!r}, live={self.live})"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump
        raise LaunchError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="collateral-tui",
        description="Keyboard-first trading desk for WhiteBIT margin and futures.",
        epilog="Run 'collateral-tui sandbox --help' for the standalone sandbox exchange.",
    )
    parser.add_argument("--config", type=Path, help="config file (default: platform config dir)")
    parser.add_argument("--profile", help="profile name from the config file")
    parser.add_argument("--api-url", help="REST base URL of a WhiteBIT-compatible endpoint")
    parser.add_argument("--ws-url", help="WebSocket URL of the same endpoint")
    parser.add_argument("--live", action="store_true", help="allow trading on a LIVE (non-sandbox) endpoint")
    parser.add_argument("--fresh", action="store_true", help="embedded sandbox: start a clean paper account")
    parser.add_argument(
        "--static-prices", action="store_true", help="embedded sandbox: freeze the price feed"
    )
    return parser


def resolve_target(args: argparse.Namespace, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """Decide where to connect. Returns (Target, config, sandbox_handle or None)."""
    import os

    from tui.service.config import ConfigError, load_config

    env = dict(os.environ if env is None else env)
    try:
        config = load_config(args.config, profile=args.profile, env=env)
    except ConfigError as exc:
        raise LaunchError(str(exc)) from None

    api_url = args.api_url or config.api_url
    ws_url = args.ws_url or config.ws_url
    live = bool(args.live or config.live)
    if args.api_url and not args.ws_url:
        raise LaunchError("--api-url needs --ws-url as well")
    if api_url:
        if not (config.api_key and config.api_secret):
            raise LaunchError(
                "no API credentials: set WHITEBIT_API_KEY and WHITEBIT_API_SECRET or add them to the"
                " config profile"
            )
        if not ws_url:
            raise LaunchError("no WebSocket URL: pass --ws-url or set ws_url in the profile")
        target = Target(api_url, ws_url, config.api_key, config.api_secret, live, embedded=False)
        return target, config, None

    # No endpoint configured: paper trading on the embedded sandbox, loopback only.
    from tui.sandbox import SandboxConfig, start_sandbox_thread

    sandbox_config = SandboxConfig(
        host="127.0.0.1",
        port=0,
        static_prices=args.static_prices,
        state_path=_default_state_path(),
        fresh=args.fresh,
    )
    try:
        handle = start_sandbox_thread(sandbox_config)
    except OSError as exc:
        raise LaunchError(f"cannot start the sandbox exchange: {exc}") from None
    target = Target(
        handle.rest_url,
        handle.ws_url,
        sandbox_config.api_key,
        sandbox_config.api_secret,
        live=False,
        embedded=True,
    )
    return target, config, handle


def _default_state_path() -> Path:
    path = _data_dir() / "sandbox.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def _data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("collateral-tui"))


def pending_orders_path(target: Target) -> Path:
    """Where orders in flight are kept between runs: one file per endpoint (the embedded
    sandbox's port changes every run, so it has a fixed name)."""
    import hashlib

    if target.embedded:
        name = "pending-orders-sandbox.json"
    else:
        digest = hashlib.sha256(target.rest_url.encode("utf-8")).hexdigest()[:12]
        name = f"pending-orders-{digest}.json"
    return _data_dir() / name


def build_service(target: Target, config, *, pending: bool = True):  # type: ignore[no-untyped-def]
    """The TradingService the desk runs on (also used by the probe and the drills)."""
    from tui.service import Thresholds, TradingService

    return TradingService.for_whitebit(
        target.rest_url,
        target.ws_url,
        api_key=target.api_key,
        api_secret=target.api_secret,
        allow_live=target.live,
        thresholds=Thresholds(green=config.thresholds.green, red=config.thresholds.red),
        pending_path=pending_orders_path(target) if pending else None,
    )


def probe(target: Target, config, timeout: float = 15.0) -> None:  # type: ignore[no-untyped-def]
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


def run_desk(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    target, config, handle = resolve_target(args)
    try:
        from tui.app.main_app import CollateralApp

        if not target.embedded:
            probe(target, config)
        service = build_service(target, config)
        app = CollateralApp(service, keymap=dict(config.keymap))
        app.run()
        return int(app.return_code or 0)
    finally:
        if handle is not None:
            handle.stop()


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == ["sandbox"]:
            from tui.sandbox.cli import main as sandbox_main

            return sandbox_main(argv[1:])
        return run_desk(argv)
    except LaunchError as exc:
        print(f"collateral-tui: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
