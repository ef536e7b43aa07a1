"""``collateral-tui sandbox``: run the sandbox exchange on its own until Ctrl-C."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path

from . import loopstats
from .config import DEMO_API_KEY, DEMO_API_SECRET, SandboxConfig, is_loopback_bind
from .engine.store import StateCorrupt, StateLocked
from .server import SandboxServer


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2, no usage dump or traceback
        self.exit(2, f"collateral-tui sandbox: error: {message}\n")


def _balance(text: str) -> tuple[str, Decimal]:
    asset, sep, amount = text.partition("=")
    if not sep or not asset.strip():
        raise argparse.ArgumentTypeError(f"expected ASSET=AMOUNT, got {text!r}")
    try:
        value = Decimal(amount.strip())
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"invalid amount in {text!r}") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"invalid amount in {text!r}")
    return asset.strip().upper(), value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port out of range: {value}")
    return value


def default_state_path() -> Path:
    """The standalone sandbox's own paper account. Never the desk's (``sandbox.sqlite3`` in the
    same dir, see ``tui.launcher.target.embedded_state_path``): ``--fresh`` here must not wipe
    the desk's positions."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("collateral-tui")) / "sandbox-standalone.sqlite3"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="collateral-tui sandbox",
        description="Run the embedded WhiteBIT-compatible sandbox exchange (REST + WebSocket).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port (default 0 = any free port)")
    parser.add_argument("--api-key", default=DEMO_API_KEY, help="API key the sandbox accepts")
    parser.add_argument("--api-secret", default=DEMO_API_SECRET, help="its secret")
    parser.add_argument(
        "--balance",
        type=_balance,
        action="append",
        default=[],
        metavar="ASSET=AMOUNT",
        help="starting collateral balance (repeatable; default USDT=10000; used on a fresh state)",
    )
    parser.add_argument("--static-prices", action="store_true", help="freeze the price feed")
    parser.add_argument("--seed", type=int, default=1, help="random-walk seed")
    parser.add_argument(
        "--state",
        type=Path,
        metavar="FILE",
        help="SQLite state file (default: sandbox-standalone.sqlite3 in the platform data dir)",
    )
    parser.add_argument(
        "--fresh", action="store_true", help="start from a clean state (resets only that file)"
    )
    return parser


def config_from_args(args: argparse.Namespace) -> SandboxConfig:
    cfg = SandboxConfig(
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        api_secret=args.api_secret,
        static_prices=args.static_prices,
        seed=args.seed,
        state_path=args.state if args.state else default_state_path(),
        fresh=bool(args.fresh),
    )
    if args.balance:
        cfg.balances = dict(args.balance)
    return cfg


async def serve(
    cfg: SandboxConfig, stop: asyncio.Event | None = None, out=None, *, own_process: bool = False
) -> None:
    """Run the sandbox until ``stop``; ``own_process``: this process is only the sandbox."""
    out = out or sys.stdout
    stop = stop or asyncio.Event()
    async with SandboxServer(cfg) as sb:
        if own_process:
            loopstats.freeze_startup_heap()
        print("WhiteBIT sandbox exchange (collateral-tui)", file=out)
        print(f"  REST base URL: {sb.rest_url}", file=out)
        print(f"  WebSocket URL: {sb.ws_url}", file=out)
        print(f"  API key:       {cfg.api_key}", file=out)
        print(f"  API secret:    {cfg.api_secret}", file=out)
        print(f"  state:         {cfg.state_path or 'in memory'}", file=out)
        print(f"  listening on:  {', '.join(sb.bound)}", file=out)
        if not is_loopback_bind(cfg.host):
            print(
                "WARNING: bound beyond loopback: the sandbox (its private API and control "
                "endpoints' data) is reachable from other machines on this network.",
                file=out,
            )
        print("Press Ctrl-C to stop.", file=out, flush=True)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        try:
            await stop.wait()
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                    loop.remove_signal_handler(sig)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    cfg = config_from_args(args)
    problem = cfg.exposure_problem()
    if problem is not None:
        print(f"collateral-tui sandbox: error: {problem}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(cfg, own_process=True))
    except KeyboardInterrupt:
        pass
    except (StateLocked, StateCorrupt) as exc:
        print(f"collateral-tui sandbox: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"collateral-tui sandbox: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
