"""The embedded sandbox exchange, seen from the desk: a child process and its handle.

The child's side is :mod:`tui.sandbox.process`. This side imports nothing of ``tui.sandbox``:
the desk's process must not pay for the sandbox's imports (aiohttp among them) while it starts.
"""

from __future__ import annotations

import sys
from pathlib import Path

from .target import LaunchError, LaunchOptions, Target, data_dir, embedded_state_path

#: Hidden first argument of ``python -m tui`` that runs the embedded sandbox's child process.
SANDBOX_CHILD_ARG = "--embedded-sandbox-child"


def start_embedded_sandbox(options: LaunchOptions) -> SandboxProcess:
    """Start the embedded sandbox in a child process without waiting for it: it imports and
    starts on the other core while the desk starts (see :class:`SandboxProcess`)."""
    import secrets

    state_path = embedded_state_path()
    spec: dict[str, object] = {
        # a fresh key pair each run: only this desk can trade on its paper account
        "api_key": "desk-" + secrets.token_hex(8),
        "api_secret": secrets.token_hex(24),
        "static_prices": options.static_prices,
        "state_path": str(state_path),
        "fresh": options.fresh,
    }
    try:
        state_path.parent.mkdir(parents=True, exist_ok=True)
        return SandboxProcess(spec, data_dir() / "sandbox.log")
    except OSError as exc:
        raise LaunchError(f"cannot start the sandbox exchange: {exc}") from None


class SandboxProcess:
    """The embedded sandbox exchange in a child process (``python -P -m tui
    --embedded-sandbox-child``), on a loopback port chosen here, so that its URL is known at
    once and the desk can start before the sandbox listens (the desk waits for
    :meth:`ready` before its first request).

    The child reads its settings (``spec`` plus the port) as one JSON line on stdin, announces
    one JSON line on stdout once it listens (or why it could not), then runs until its stdin
    closes: when the desk exits or dies in any way (even SIGKILL: the kernel closes the pipe)
    the child saves its state and exits, so it is never left behind. Its stderr goes to
    ``log_path`` (it must not write on the desk's terminal).

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
        # The child imports the same ``tui`` as this process, however this one found it, and no
        # code from the working directory: ``-P`` keeps the cwd off sys.path (``python -m``
        # would put it first: a ``tui/`` there would run), and relative PYTHONPATH entries,
        # which name the cwd too, are dropped. Not ``-I``: it also ignores PYTHONPATH and the
        # user site, where a source checkout or a ``pip install --user`` desk finds its code.
        root = str(Path(tui.__file__).resolve().parent.parent)
        inherited = env.get("PYTHONPATH", "").split(os.pathsep)
        env["PYTHONPATH"] = os.pathsep.join([root, *(p for p in inherited if os.path.isabs(p))])
        try:
            with open(log_path, "wb") as log:
                self._proc = subprocess.Popen(
                    [sys.executable, "-P", "-m", "tui", SANDBOX_CHILD_ARG],
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
    def returncode(self) -> int | None:
        return self._proc.returncode

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
