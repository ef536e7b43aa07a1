"""Drill 15: hostile input against the sandbox's REST API and WebSocket, fixed cases from the
hardening issue plus hypothesis-drawn ones (derandomized: the same inputs every run).

The sandbox runs in a child process (``python -I``), so an input that wedges its event loop
costs the drill one bounded wait and a restart, not the drill itself. For every input:

- an answer within :data:`ANSWER_WITHIN`, never a 5xx;
- REST: a JSON body, and on an error status WhiteBIT's error shape (private
  ``{"code": int, "message": str, ...}``, public ``{field: [message, ...]}``);
- WebSocket: a reply ``{"id", "result": null, "error": {"code": int, "message": str}}`` on a
  connection that stays open, except for a frame that is not a JSON object (NaN and Infinity
  are not JSON), which WhiteBIT answers by closing with 1003 (unsupported data); a frame too
  deep to read may get either that close or an error reply on a live connection;
- the sandbox still answers ``GET /api/v4/public/ping`` afterwards;
- a refused request changed nothing (balances, orders, positions, leverage, hedge mode).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from .base import DrillContext, DrillFailure
from .fuzz_inputs import PING, Probe, drawn_probes, fixed_probes, members

ANSWER_WITHIN = 2.0  # seconds; a wedged sandbox is restarted after this
KEY = "fuzz-key-3a9c71e5d2b8"
SECRET = "fuzz-secret-64b1f0c2e7d95a38"


# -- the sandbox in a child process ------------------------------------------------------------------


class ChildSandbox:
    """The sandbox in its own process (``tui.sandbox.process``'s protocol)."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.proc: asyncio.subprocess.Process | None = None
        self.rest_url = ""
        self.ws_url = ""
        self.starts = 0

    async def start(self) -> None:
        import tui

        root = str(Path(tui.__file__).resolve().parent.parent)
        code = (
            f"import sys; sys.path.insert(0, {root!r}); "
            "from tui.sandbox.process import run_child; sys.exit(run_child())"
        )
        self.starts += 1
        spec = {
            "port": 0,
            "api_key": KEY,
            "api_secret": SECRET,
            "static_prices": True,
            "state_path": str(self.tmp / f"fuzz-{self.starts}.sqlite3"),
            "fresh": True,
        }
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-I",
            "-c",
            code,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(spec).encode() + b"\n")
        await self.proc.stdin.drain()
        line = await asyncio.wait_for(self.proc.stdout.readline(), 30)
        info = json.loads(line or b"{}")
        if "rest_url" not in info:
            raise DrillFailure(f"the sandbox child did not start: {info}")
        self.rest_url, self.ws_url = info["rest_url"], info["ws_url"]

    async def stop(self) -> None:
        proc, self.proc = self.proc, None
        if proc is None or proc.returncode is not None:
            return
        proc.kill()
        await proc.wait()

    async def restart(self) -> None:
        await self.stop()
        await self.start()


# -- running the probes ---------------------------------------------------------------------------


@dataclass
class FuzzReport:
    tried: int = 0
    failures: list[tuple[str, str]] = field(default_factory=list)  # (input, what went wrong)
    restarts: int = 0


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def strict_json(text: str) -> Any:
    """``json.loads`` as the JSON grammar has it: NaN and Infinity (which Python writes and
    reads) are not JSON, so a frame holding them is a non-JSON frame."""
    return json.loads(text, parse_constant=_no_constants)


def error_shape(status: int, body: Any) -> bool:
    """WhiteBIT's error bodies: private ``{"code": int, "message": str, ...}``, public
    ``{field: [message, ...]}``."""
    if not isinstance(body, dict) or not body:
        return False
    if "code" in body or "message" in body:
        return isinstance(body.get("code"), int) and isinstance(body.get("message"), str)
    return all(isinstance(v, list) and all(isinstance(m, str) for m in v) for v in body.values())


class Fuzzer:
    def __init__(self, sandbox: ChildSandbox, http: httpx.AsyncClient) -> None:
        self.sb = sandbox
        self.http = http
        self.nonce = int(time.time() * 1000)
        self.report = FuzzReport()
        self.wedged = False  # the last probe got no answer: the sandbox is stuck

    def _sign(self, path: str, members: str) -> tuple[bytes, dict[str, str]]:
        self.nonce += 1
        if members.startswith("!"):  # the whole body, not an object
            body = members[1:].encode()
        else:
            head = f'{{"request":{json.dumps(path)},"nonce":{self.nonce}'
            body = (head + ("," + members if members else "") + "}").encode()
        payload = base64.b64encode(body).decode()
        signature = hmac.new(SECRET.encode(), payload.encode(), hashlib.sha512).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "X-TXC-APIKEY": KEY,
            "X-TXC-PAYLOAD": payload,
            "X-TXC-SIGNATURE": signature,
        }
        return body, headers

    async def signed(self, path: str, fields: dict[str, Any]) -> Any:
        body, headers = self._sign(path, members(fields))
        reply = await self.http.post(self.sb.rest_url + path, content=body, headers=headers)
        return reply.json()

    async def state(self) -> Any:
        """What a refused request must not change."""
        return [
            await self.signed("/api/v4/collateral-account/balance", {}),
            await self.signed("/api/v4/orders", {"market": "BTC_PERP", "limit": 100}),
            await self.signed("/api/v4/collateral-account/positions/open", {}),
            await self.signed("/api/v4/collateral-account/summary", {}),
            await self.signed("/api/v4/collateral-account/hedge-mode", {}),
        ]

    async def healthy(self) -> bool:
        try:
            reply = await self.http.get(self.sb.rest_url + PING, timeout=ANSWER_WITHIN)
        except httpx.HTTPError:
            return False
        return reply.status_code == 200

    def fail(self, probe: Probe, problem: str) -> None:
        self.report.failures.append((probe.label, problem))

    async def rest(self, probe: Probe, before: Any) -> Any:
        """Send one HTTP probe; returns the account state to compare the next probe with."""
        headers: dict[str, Any] = dict(probe.headers)
        body = probe.body
        if probe.signed is not None:
            body, signed_headers = self._sign(probe.path, probe.signed)
            headers.update(signed_headers)
        url = self.sb.rest_url + probe.path + (f"?{probe.query}" if probe.query else "")
        try:
            reply = await self.http.request(
                probe.method, url, content=body, headers=headers, timeout=ANSWER_WITHIN
            )
        except httpx.TimeoutException:
            self.fail(probe, f"no answer within {ANSWER_WITHIN:g} s (sandbox restarted)")
            self.wedged = True
            return None
        except httpx.HTTPError as exc:
            self.fail(probe, f"connection failed: {type(exc).__name__}")
            return before
        status = reply.status_code
        try:
            data = reply.json()
        except ValueError:
            data = None
            self.fail(probe, f"HTTP {status} with a body that is not JSON: {reply.text[:60]!r}")
        if status >= 500:
            self.fail(probe, f"HTTP {status}")
        elif probe.refuse and status == 200:
            self.fail(probe, "accepted non-ASCII digits as a number")
        elif status >= 400 and data is not None and not error_shape(status, data):
            self.fail(probe, f"HTTP {status} not in WhiteBIT's error shape: {str(data)[:80]}")
        if probe.method != "POST" or before is None:
            return before
        after = await self.state()
        if status != 200 and after != before:
            self.fail(probe, f"refused with HTTP {status} but the account changed")
        return after

    async def ws(self, probe: Probe, conn: aiohttp.ClientWebSocketResponse) -> bool:
        """Send one frame; returns whether the connection is still usable."""
        frame = probe.frame
        try:
            if isinstance(frame, bytes):
                await conn.send_bytes(frame)
            else:
                assert frame is not None
                await conn.send_str(frame)
            msg = await conn.receive(timeout=ANSWER_WITHIN)
        except TimeoutError:
            self.fail(probe, f"no reply within {ANSWER_WITHIN:g} s")
            self.wedged = not await self.healthy()
            return False
        except (aiohttp.ClientError, ConnectionError) as exc:
            self.fail(probe, f"connection failed: {type(exc).__name__}")
            return False
        too_deep = False
        try:
            parsed = strict_json(frame) if isinstance(frame, str) else None
        except RecursionError:
            parsed, too_deep = None, True
        except ValueError:
            parsed = None
        if too_deep and msg.type is aiohttp.WSMsgType.TEXT:
            # Valid JSON too deep to read: an error reply on a live connection is as good as
            # the close (the issue: "its documented error and the connection survives").
            return self._check_reply(probe, msg.data, want_error=True)
        if not isinstance(parsed, dict):  # WhiteBIT closes at once on a non-object frame
            if (
                msg.type
                not in (
                    aiohttp.WSMsgType.CLOSE,
                    aiohttp.WSMsgType.CLOSING,
                    aiohttp.WSMsgType.CLOSED,
                )
                or conn.close_code != 1003
            ):
                self.fail(probe, f"not closed with 1003: {msg.type.name} {str(msg.data)[:60]}")
            return False
        if msg.type is not aiohttp.WSMsgType.TEXT:
            self.fail(probe, f"connection dropped ({msg.type.name}, close code {conn.close_code})")
            return False
        return self._check_reply(probe, msg.data)

    def _check_reply(self, probe: Probe, data: str, *, want_error: bool = False) -> bool:
        """A reply to a frame: JSON, with any error in WhiteBIT's shape (and an error at all
        when ``want_error``)."""
        try:
            reply = json.loads(data)
        except ValueError:
            self.fail(probe, f"reply not JSON (or a number too long to read): {data[:40]!r}")
            return True
        error = reply.get("error") if isinstance(reply, dict) else None
        if want_error and error is None:
            self.fail(probe, f"no error for a frame too deep to read: {data[:60]!r}")
        if error is not None and not (
            isinstance(error, dict)
            and isinstance(error.get("code"), int)
            and isinstance(error.get("message"), str)
        ):
            self.fail(probe, f"error reply not in WhiteBIT's shape: {str(reply)[:80]}")
        elif isinstance(error, dict) and error.get("message") == "internal error":
            self.fail(probe, "answered 'internal error' (the handler raised)")
        return True


async def fuzz(tmp: Path, probes: list[Probe]) -> FuzzReport:
    """Send every probe to a sandbox child; restart it whenever it stops answering."""
    sb = ChildSandbox(tmp)
    await sb.start()
    try:
        async with (
            httpx.AsyncClient(trust_env=False, timeout=ANSWER_WITHIN) as http,
            aiohttp.ClientSession() as session,
        ):
            fuzzer = Fuzzer(sb, http)
            report = fuzzer.report
            state = await fuzzer.state()
            conn: aiohttp.ClientWebSocketResponse | None = None
            for probe in probes:
                report.tried += 1
                if probe.is_ws:
                    if conn is None or conn.closed:
                        conn = await session.ws_connect(sb.ws_url, autoping=True, max_msg_size=0)
                    if not await fuzzer.ws(probe, conn):
                        await conn.close()
                        conn = None
                else:
                    state = await fuzzer.rest(probe, state)
                if fuzzer.wedged or not await fuzzer.healthy():
                    if not fuzzer.wedged:
                        fuzzer.fail(probe, "the sandbox stopped answering (restarted)")
                    fuzzer.wedged = False
                    report.restarts += 1
                    if conn is not None:
                        with contextlib.suppress(Exception):
                            await conn.close()
                        conn = None
                    await sb.restart()
                    state = await fuzzer.state()
                elif state is None:
                    state = await fuzzer.state()
            if conn is not None:
                await conn.close()
        return report
    finally:
        await sb.stop()


async def drill_fuzz(ctx: DrillContext) -> None:
    """15. Hostile input (the hardening issue's numbers, non-ASCII digits, non-finite numbers,
    wrong types, deep nesting, huge strings and headers, bad WebSocket frames, and hypothesis
    draws): no 5xx, every answer in WhiteBIT's error shape, the server answers after each, and a
    refused request changes nothing."""
    try:
        import hypothesis  # noqa: F401
    except ImportError:
        raise DrillFailure("needs hypothesis: pip install '.[test]'") from None
    probes = fixed_probes() + drawn_probes()
    report = await fuzz(ctx.tmp, probes)
    ctx.counters.bad_inputs += report.tried
    if report.failures:
        shown = "; ".join(f"{label}: {problem}" for label, problem in report.failures[:6])
        raise DrillFailure(
            f"{len(report.failures)} of {report.tried} hostile inputs mishandled "
            f"({report.restarts} sandbox restarts): {shown}"
        )
