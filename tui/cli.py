"""``collateral-tui`` / ``python -m tui``: start the desk, or run the sandbox exchange.

    collateral-tui                      paper trading on an embedded sandbox (no keys needed)
    collateral-tui --profile NAME       use a profile from the config file
    collateral-tui --api-url URL --ws-url URL [--live]
                                        any WhiteBIT-compatible endpoint, keys from env/config
    collateral-tui --dead-man SECONDS|off
                                        kill-switch timeout on markets with open orders
    collateral-tui sandbox [...]        run the sandbox exchange standalone

Errors are one line on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

from tui.launcher import SANDBOX_CHILD_ARG, LaunchError, LaunchOptions, run_desk
from tui.launcher.config import parse_dead_man


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit 2, no usage dump
        raise LaunchError(message)


def _dead_man(text: str) -> int:
    """``--dead-man``: seconds (5-600), or ``off``/0 -> 0."""
    try:
        seconds = parse_dead_man(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return seconds or 0


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
    parser.add_argument(
        "--live", action="store_true", help="allow trading on a LIVE (non-sandbox) endpoint"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="embedded sandbox: start a clean paper account"
    )
    parser.add_argument(
        "--static-prices", action="store_true", help="embedded sandbox: freeze the price feed"
    )
    parser.add_argument(
        "--dead-man",
        type=_dead_man,
        metavar="SECONDS|off",
        help="cancel a market's orders on the exchange if the desk stops renewing for this long"
        " (default: dead_man_seconds from the config, 60)",
    )
    return parser


def parse_args(argv: Sequence[str]) -> LaunchOptions:
    """The desk's options from its command line. Raises LaunchError."""
    args = build_parser().parse_args(list(argv))
    return LaunchOptions(
        config=args.config,
        profile=args.profile,
        api_url=args.api_url,
        ws_url=args.ws_url,
        live=args.live,
        fresh=args.fresh,
        static_prices=args.static_prices,
        dead_man=args.dead_man,
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == [SANDBOX_CHILD_ARG]:
            from tui.sandbox.process import run_child

            return run_child()
        if argv[:1] == ["sandbox"]:
            from tui.sandbox.cli import main as sandbox_main

            return sandbox_main(argv[1:])
        return run_desk(parse_args(argv))
    except LaunchError as exc:
        print(f"collateral-tui: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
