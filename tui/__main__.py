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


def load_launch_config(args: argparse.Namespace, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    import os

    from tui.service.config import ConfigError, load_config

    env = dict(os.environ if env is None else env)
    try:
        return load_config(args.config, profile=args.profile, env=env)
    except ConfigError as exc:
        raise LaunchError(str(exc)) from None


def endpoint_target(args: argparse.Namespace, config) -> Target | None:  # type: ignore[no-untyped-def]
    """The configured endpoint (flags over config), or None for the embedded sandbox."""
    api_url = args.api_url or config.api_url
    ws_url = args.ws_url or config.ws_url
    live = bool(args.live or config.live)
    if args.api_url and not args.ws_url:
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


def resolve_target(args: argparse.Namespace, env: dict[str, str] | None = None):  # type: ignore[no-untyped-def]
    """Decide where to connect. Returns (Target, config, sandbox_handle or None); an embedded
    sandbox is listening when this returns."""
    config = load_launch_config(args, env)
    target = endpoint_target(args, config)
    if target is not None:
        return target, config, None
    # No endpoint configured: paper trading on the embedded sandbox, loopback only.
    handle = start_embedded_sandbox(args)
    handle.wait_ready()
    return handle.target, config, handle


def start_embedded_sandbox(args: argparse.Namespace) -> SandboxProcess:
    """Start the embedded sandbox in a child process without waiting for it: it imports and
    starts on the other core while the desk starts (see :class:`SandboxProcess`)."""
    import secrets

    spec = {
        "port": 0,  # set by SandboxProcess
        # a fresh key pair each run: only this desk can trade on its paper account
        "api_key": "desk-" + secrets.token_hex(8),
        "api_secret": secrets.token_hex(24),
        "static_prices": bool(args.static_prices),
        "state_path": str(_default_state_path()),
        "fresh": bool(args.fresh),
    }
    try:
        return SandboxProcess(spec, _data_dir() / "sandbox.log")
    except OSError as exc:
        raise LaunchError(f"cannot start the sandbox exchange: {exc}") from None


#: Hidden first argument of ``python -m tui`` that runs the embedded sandbox's child process.
SANDBOX_CHILD_ARG = "--embedded-sandbox-child"


class SandboxProcess:
    """The embedded sandbox exchange in a child process (``python -m tui
    --embedded-sandbox-child``), on a loopback port chosen here, so that its URL is known at
    once and the desk can start before the sandbox listens (the desk waits for
    :meth:`ready` before its first request).

    The child reads its settings as one JSON line on stdin, announces one JSON line on stdout
    once it listens (or why it could not), then runs until its stdin closes: when the desk exits
    or dies in any way (even SIGKILL: the kernel closes the pipe) the child saves its state and
    exits, so it is never left behind. Its stderr goes to ``sandbox.log`` in the data dir (it
    must not write on the desk's terminal).

    The port: a socket bound here with SO_REUSEADDR and never listening holds it until the child
    listens; on Linux the child's listening socket (also SO_REUSEADDR) may bind it meanwhile,
    nobody else's may. Elsewhere the port is released before the child starts (a narrow race:
    if it is taken meanwhile, the desk shows the child's error).
    """

    def __init__(self, spec: dict[str, object], log_path: Path) -> None:
        import json
        import os
        import socket
        import subprocess

        import tui

        self.log_path = log_path
        self._ready: dict[str, str] | None = None
        self._failure: str | None = None
        self._buffer = b""
        hold = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        hold.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        hold.bind(("127.0.0.1", 0))
        port = int(hold.getsockname()[1])
        self._hold: socket.socket | None = hold
        if not sys.platform.startswith("linux"):
            self._release_port()
        spec = {**spec, "port": port}
        self.target = Target(
            f"http://127.0.0.1:{port}",
            f"ws://127.0.0.1:{port}/ws",
            str(spec["api_key"]),
            str(spec["api_secret"]),
            live=False,
            embedded=True,
        )
        env = dict(os.environ)
        # The child imports the same ``tui`` as this process, however this one found it.
        root = str(Path(tui.__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        try:
            with open(log_path, "wb") as log:
                self._proc = subprocess.Popen(
                    [sys.executable, "-m", "tui", SANDBOX_CHILD_ARG],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                    stderr=log,
                    env=env,
                    close_fds=True,
                    start_new_session=True,  # not in the terminal's group: no Ctrl-C, no SIGHUP
                )
            assert self._proc.stdin is not None
            self._proc.stdin.write(json.dumps(spec).encode() + b"\n")
            self._proc.stdin.flush()
        except BaseException:
            self._release_port()
            raise

    @property
    def pid(self) -> int:
        return self._proc.pid

    @property
    def rest_url(self) -> str:
        return self.target.rest_url

    @property
    def ws_url(self) -> str:
        return self.target.ws_url

    def _release_port(self) -> None:
        if self._hold is not None:
            self._hold.close()
            self._hold = None

    def _consume(self, chunk: bytes) -> bool:
        """Take output of the child; True once its announcement is complete (or it is gone)."""
        import json

        if not chunk:
            code = self._proc.wait()
            self._failure = (
                f"the sandbox exchange exited with code {code} before it listened"
                f" (see {self.log_path})"
            )
        else:
            self._buffer += chunk
            if b"\n" not in self._buffer:
                return False
            ready = json.loads(self._buffer.split(b"\n", 1)[0])
            if "error" in ready:
                self._failure = f"cannot start the sandbox exchange: {ready['error']}"
            elif ready.get("rest_url") != self.target.rest_url:
                self._failure = f"the sandbox exchange listens on {ready.get('rest_url')}"
            else:
                self._ready = ready
        self._release_port()
        return True

    def _outcome(self) -> dict[str, str]:
        if self._failure is not None:
            self.stop(timeout=5.0)
            raise LaunchError(self._failure)
        assert self._ready is not None
        return self._ready

    def wait_ready(self, timeout: float = 30.0) -> dict[str, str]:
        """Block until the child listens (its announcement). Raises LaunchError."""
        import os
        import select
        import time

        deadline = time.monotonic() + timeout
        while self._ready is None and self._failure is None:
            assert self._proc.stdout is not None
            fd = self._proc.stdout.fileno()
            left = deadline - time.monotonic()
            if left <= 0:
                self._failure = f"the sandbox exchange did not start within {timeout:g} s"
                break
            if select.select([fd], [], [], left)[0]:
                self._consume(os.read(fd, 4096))
        return self._outcome()

    async def ready(self, timeout: float = 30.0) -> dict[str, str]:
        """:meth:`wait_ready` for an event loop (it keeps running meanwhile)."""
        import asyncio
        import os

        if self._ready is None and self._failure is None:
            assert self._proc.stdout is not None
            fd = self._proc.stdout.fileno()
            loop = asyncio.get_running_loop()
            done: asyncio.Future[None] = loop.create_future()

            def readable() -> None:
                if self._consume(os.read(fd, 4096)) and not done.done():
                    done.set_result(None)

            loop.add_reader(fd, readable)
            try:
                await asyncio.wait_for(done, timeout)
            except TimeoutError:
                self._failure = f"the sandbox exchange did not start within {timeout:g} s"
            finally:
                loop.remove_reader(fd)
        return self._outcome()

    def stop(self, timeout: float = 10.0) -> None:
        """Close the child's stdin (it saves its state and exits); kill it if it hangs."""
        import subprocess

        self._release_port()
        for pipe in (self._proc.stdin, self._proc.stdout):
            if pipe is not None and not pipe.closed:
                try:
                    pipe.close()
                except OSError:
                    pass
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def _sandbox_child() -> int:
    """Body of the embedded sandbox's child process (see :class:`SandboxProcess`)."""
    import asyncio
    import json
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C belongs to the desk
    line = sys.stdin.buffer.readline()
    if not line:
        return 0  # the desk went away before sending anything
    spec = json.loads(line)

    def announce(payload: dict[str, object]) -> None:
        os.write(1, json.dumps(payload).encode() + b"\n")

    async def run() -> int:
        from tui.sandbox import SandboxConfig, SandboxServer

        config = SandboxConfig(
            host="127.0.0.1",
            port=int(spec["port"]),
            api_key=str(spec["api_key"]),
            api_secret=str(spec["api_secret"]),
            static_prices=bool(spec["static_prices"]),
            state_path=Path(spec["state_path"]),
            fresh=bool(spec["fresh"]),
        )
        loop = asyncio.get_running_loop()
        desk_gone = asyncio.Event()

        def stdin_readable() -> None:
            try:
                chunk = os.read(0, 4096)
            except OSError:
                chunk = b""
            if not chunk:  # EOF: the desk closed the pipe, or died
                loop.remove_reader(0)
                desk_gone.set()

        try:
            server = SandboxServer(config)
            await server.start()
        except Exception as exc:  # noqa: BLE001 - reported to the launcher as one line
            announce({"error": str(exc) or type(exc).__name__})
            return 1
        try:
            loop.add_reader(0, stdin_readable)
            loop.add_signal_handler(signal.SIGTERM, desk_gone.set)
            announce({"rest_url": server.rest_url, "ws_url": server.ws_url})
            await desk_gone.wait()
        finally:
            await server.close()
        return 0

    return asyncio.run(run())


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


def nonce_path(target: Target) -> Path | None:
    """Where the nonce high-water mark of an API key is kept between runs (the nonce must grow
    across restarts, even if the clock went back), or None for the embedded sandbox (its demo
    key is new every run). Named by a digest of the endpoint and the key, never the key."""
    import hashlib

    if target.embedded or not target.api_key:
        return None
    seed = f"{target.rest_url}\n{target.api_key}".encode()
    return _data_dir() / f"nonce-{hashlib.sha256(seed).hexdigest()[:12]}"


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
        nonce_path=nonce_path(target) if pending else None,
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
    import gc

    # Start-up imports ~150k objects that live as long as the process (Textual, Rich, our
    # modules), and building the desk's first frame (its stylesheet, widgets and styles) makes
    # more: the cyclic garbage collector's passes over them, a full one among them, cost ~50 ms
    # before the desk's first frame (bench: cold_start), ~10 ms of it while the app builds the
    # frame. So it is off until the first frame is painted, and then all of it is frozen out of
    # its sight (gc.freeze: never scanned again). See _end_startup_gc.
    gc.disable()
    handle: SandboxProcess | None = None
    try:
        args = build_parser().parse_args(list(argv))
        config = load_launch_config(args)
        target = endpoint_target(args, config)
        if target is None:
            # The sandbox starts in a child process while this one starts the desk: the desk
            # paints first and waits for the sandbox before its first request.
            handle = start_embedded_sandbox(args)
            target = handle.target
        from tui.app.main_app import CollateralApp
    except BaseException:
        gc.enable()
        if handle is not None:
            handle.stop()
        raise
    try:
        endpoint_ready = None
        if handle is not None:
            endpoint_ready = _ready_for_the_desk(handle)
        else:
            gc.enable()  # the probe waits on the network: no start-up work to shield
            probe(target, config)
            gc.disable()
        service = build_service(target, config)
        app = CollateralApp(
            service,
            keymap=dict(config.keymap),
            endpoint_ready=endpoint_ready,
            on_first_frame=_end_startup_gc,
        )
        app.run()
        return int(app.return_code or 0)
    finally:
        _end_startup_gc()  # no first frame (a start failure): the collector is on again
        if handle is not None:
            handle.stop()


def _end_startup_gc() -> None:
    """The start-up is over (the desk's first frame is painted): what it built lives as long as
    the desk, so it is frozen out of the garbage collector's scans, which are turned back on
    (see run_desk). Idempotent."""
    import gc

    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _ready_for_the_desk(handle: SandboxProcess):  # type: ignore[no-untyped-def]
    """What the desk awaits before it starts its service: the sandbox listening (a failure is a
    CommandError, shown like any other start failure)."""
    from tui.service import CommandError

    async def ready() -> None:
        try:
            await handle.ready()
        except LaunchError as exc:
            raise CommandError(None, str(exc)) from None

    return ready


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    try:
        if argv[:1] == [SANDBOX_CHILD_ARG]:
            return _sandbox_child()
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
