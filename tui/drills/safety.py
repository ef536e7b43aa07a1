"""Safety drills: secrets never leak (12), safe defaults (14)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import subprocess
import sys
import traceback
from decimal import Decimal
from pathlib import Path
from typing import Any

from tui.api.signing import Credentials, sign_request
from tui.domain.models import OrderRequest, OrderType, Side
from tui.service import CommandError

from .base import DrillContext, check, wait_until

D = Decimal
KEY = "leakcheck-key-5f0d1e2c3b4a69788796"
SECRET = "leakcheck-secret-a1b2c3d4e5f60718293a4b5c"


def _forced_failure(api_key: str, api_secret: str) -> None:
    """A frame that holds the key, the secret, a payload and its signature as locals, then fails."""
    credentials = Credentials(api_key, api_secret)
    signed = sign_request("/api/v4/order/collateral/limit", {"market": "BTC_PERP"}, credentials, 1)
    payload = signed.headers["X-TXC-PAYLOAD"]
    signature = signed.headers["X-TXC-SIGNATURE"]
    raise RuntimeError(f"forced failure after signing ({len(payload)}+{len(signature)} chars)")


def _render_app_crash(app: Any, textual_default: bool) -> str:
    """The crash report the desk (or stock Textual, for the control) would print."""
    from tui.app._compat import crash_report

    try:
        _forced_failure(KEY, SECRET)
    except RuntimeError:
        return crash_report(app, stock=textual_default)
    raise AssertionError("_forced_failure did not fail")


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [s[:6] + "…" for s in secrets if s and s in text]


async def drill_secrets(ctx: DrillContext) -> None:
    """12. With DEBUG logging everywhere and a forced exception in a frame holding the secret,
    neither the key, the secret, a signature nor a WS token appears in logs, errors, reprs or the
    desk's crash report; a 0644 config file holding a secret is refused."""
    from tui.app.main_app import CollateralApp

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    outputs: dict[str, str] = {}
    try:
        sb = await ctx.sandbox(api_key=KEY, api_secret=SECRET)
        svc = ctx.service(sb, timeout=0.5)
        await ctx.started(svc)
        await wait_until(lambda: sb.recorder.ws and sb.recorder.ws[0].tokens, 5, "WS authorize")
        req = OrderRequest("BTC_PERP", Side.BUY, OrderType.LIMIT, D("0.01"), price=D("50000"))
        await svc.place_order(req)
        await sb.faults.inject("http_500", path="/api/v4/order/collateral/limit", commit=True)
        await svc.place_order(req)
        await sb.faults.inject("ws_abort")
        await wait_until(
            lambda: len(sb.recorder.ws) >= 2 and sb.recorder.ws[-1].tokens, 5, "reconnect"
        )
        errors: list[str] = []
        try:  # an exchange refusal
            await svc.place_order(
                OrderRequest("BTC_PERP", Side.BUY, OrderType.LIMIT, D("0.01"), price=D("-1"))
            )
        except CommandError as exc:
            errors.append(str(exc) + repr(exc))
        wrong = ctx.service(sb)  # the right key with a wrong secret: 401 on every call
        wrong._venue._rest._credentials = Credentials(KEY, SECRET[::-1])  # type: ignore[attr-defined]
        try:
            await wrong.start()
        except CommandError as exc:
            errors.append(str(exc) + repr(exc))
        check(len(errors) == 2, f"expected two refusals, got {errors}")
        try:
            _forced_failure(KEY, SECRET)
        except RuntimeError:
            logging.getLogger("tui.drills").exception("forced failure")
            outputs["python traceback"] = traceback.format_exc()
        outputs["errors"] = "\n".join(errors)
        outputs["reprs"] = " ".join(
            repr(x)
            for x in (svc, svc._venue, svc._venue._rest, Credentials(KEY, SECRET))  # type: ignore[attr-defined]
        )

        app = CollateralApp(svc)
        async with app.run_test(headless=True, size=(100, 30)):
            outputs["desk crash report"] = _render_app_crash(app, textual_default=False)
            control = _render_app_crash(app, textual_default=True)
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    outputs["DEBUG log"] = buffer.getvalue()

    rec = sb.recorder
    secrets = [KEY, SECRET]
    secrets += sorted({r.signature for r in rec.requests if r.signature})
    secrets += sorted({t for c in rec.ws for t in c.tokens})
    check(len(secrets) > 10, "too few signatures/tokens seen to make the check meaningful")
    check("DEBUG" in outputs["DEBUG log"] and len(outputs["DEBUG log"]) > 1000, "no DEBUG log")
    for name in ("desk crash report", "python traceback", "DEBUG log"):
        check("forced failure" in outputs[name], f"the forced exception is missing from the {name}")
    # Control: Textual's stock crash report shows locals, and would have shown the secret.
    check(SECRET in control, "control failed: the leak check cannot see locals")
    found = {name: _leaks(text, secrets) for name, text in outputs.items()}
    leaks = {name: hits for name, hits in found.items() if hits}
    ctx.counters.secrets_leaked += sum(len(h) for h in leaks.values())

    config_leak = _check_config_refused(ctx.tmp)
    ctx.counters.secrets_leaked += int(bool(config_leak))
    check(not leaks, f"secrets leaked: {leaks}")
    check(not config_leak, config_leak)


def _check_config_refused(tmp: Path) -> str:
    """'' when a 0644 config file holding a secret is refused (and 0600 accepted)."""
    from tui.launcher.config import ConfigError, load_config

    path = tmp / "config.toml"
    path.write_text(
        'default_profile = "x"\n[profiles.x]\napi_url = "https://whitebit.com"\n'
        f'ws_url = "wss://api.whitebit.com/ws"\napi_key = "{KEY}"\napi_secret = "{SECRET}"\n'
    )
    os.chmod(path, 0o644)
    try:
        load_config(path, env={})
    except ConfigError as exc:
        if SECRET in str(exc) or KEY in str(exc):
            return "the config error shows the secret"
    else:
        return "a 0644 config file holding a secret was accepted"
    os.chmod(path, 0o600)
    config = load_config(path, env={})
    if config.api_secret != SECRET or SECRET in repr(config):
        return "the 0600 config was not read, or its repr shows the secret"
    return ""


_LOOPBACK_PROBE = r"""
import asyncio, ipaddress, json, sys
seen = []
def hook(event, args):
    if event == "socket.connect":
        addr = args[1]
        seen.append(addr[0] if isinstance(addr, tuple) else str(addr))
    elif event == "socket.getaddrinfo":
        seen.append("dns:" + str(args[0]))
sys.addaudithook(hook)
from decimal import Decimal
from tui.cli import parse_args
from tui.launcher import build_service, resolve_target
from tui.domain.models import OrderRequest, OrderType, Side
target, config, handle = resolve_target(parse_args([]))
async def main():
    service = build_service(target, config)
    await service.start()
    for _ in range(100):
        if service.stream_state("positions").value == "live":
            break
        await asyncio.sleep(0.05)
    await service.place_order(OrderRequest("BTC_PERP", Side.BUY, OrderType.MARKET, Decimal("0.001")))
    await service.stop()
try:
    asyncio.run(main())
finally:
    handle.stop()
print(json.dumps({"embedded": target.embedded, "live": target.live, "rest": target.rest_url,
                  "seen": seen}))
"""


def _is_loopback(host: str) -> bool:
    import ipaddress

    if host.startswith("dns:"):
        host = host[4:]
        if host in ("localhost", "None"):
            return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def clean_env(tmp: Path) -> dict[str, str]:
    """An environment with no config, no credentials and private HOME/XDG dirs."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("WHITEBIT_", "COLLATERAL_TUI_", "XDG_"))
    }
    env.update(
        HOME=str(tmp),
        XDG_CONFIG_HOME=str(tmp / "config"),
        XDG_DATA_HOME=str(tmp / "data"),
        XDG_STATE_HOME=str(tmp / "state"),
        XDG_CACHE_HOME=str(tmp / "cache"),
    )
    env["PYTHONPATH"] = (
        str(Path(__file__).resolve().parents[2]) + os.pathsep + env.get("PYTHONPATH", "")
    )
    return env


async def drill_safe_defaults(ctx: DrillContext) -> None:
    """14. With no config the launcher's desk talks to loopback only (every socket connect and
    DNS lookup is audited); trading against an endpoint that is not a sandbox is refused
    without --live, and allowed with it."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-P",  # not the cwd first on the import path (``-c`` puts it there); PYTHONPATH stays
        "-c",
        _LOOPBACK_PROBE,
        env=clean_env(ctx.tmp),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    check(proc.returncode == 0, f"the no-config launch failed: {err.decode()[-300:]}")
    report = json.loads(out.decode().strip().splitlines()[-1])
    check(
        report["embedded"] and not report["live"], f"no config did not mean the sandbox: {report}"
    )
    check(len(report["seen"]) >= 2, "no connections were audited (the check would be vacuous)")
    outside = [h for h in report["seen"] if not _is_loopback(h)]
    check(not outside, f"connections left loopback: {outside}")

    # A WhiteBIT-compatible endpoint that is not a sandbox (its /sandbox/info is a 404).
    sb = await ctx.sandbox(pose_as_live=True)
    blocked = ctx.service(sb, allow_live=False)
    await ctx.started(blocked)
    check(
        blocked.venue is not None and not blocked.venue.sandbox,
        "the endpoint was taken for a sandbox",
    )
    reason = blocked.trade_gate().reason
    check(reason is not None and "--live" in reason, f"trading not blocked: {reason!r}")
    req = OrderRequest("BTC_PERP", Side.BUY, OrderType.MARKET, D("0.001"))
    refusals = 0
    for command in (
        lambda: blocked.place_order(req),
        lambda: blocked.set_leverage(5),
        lambda: blocked.set_hedge_mode(True),
        lambda: blocked.close_all_positions(),
    ):
        try:
            await command()
        except CommandError as exc:
            refusals += "--live" in str(exc)
    check(refusals == 4, f"{refusals} of 4 trading commands refused without --live")
    trading_paths = [
        r.path
        for r in sb.recorder.requests
        if "/order/" in r.path
        or r.path.endswith(("/leverage", "/hedge-mode/update", "/position/close"))
    ]
    check(not trading_paths, f"trading requests reached a LIVE endpoint: {trading_paths}")

    # The launcher: the same endpoint from the command line is LIVE only with --live.
    from tui.cli import parse_args
    from tui.launcher import resolve_target

    env = {
        "WHITEBIT_API_KEY": sb.config.api_key,
        "WHITEBIT_API_SECRET": sb.config.api_secret,
        "COLLATERAL_TUI_CONFIG": str(ctx.tmp / "none.toml"),
    }
    (ctx.tmp / "none.toml").write_text("")
    flags = ["--api-url", sb.rest_url, "--ws-url", sb.ws_url]
    target, _, handle = resolve_target(parse_args(flags), env=env)
    check(handle is None and not target.live, "a configured endpoint was LIVE without --live")
    target, _, _ = resolve_target(parse_args([*flags, "--live"]), env=env)
    check(target.live, "--live was ignored")

    allowed = ctx.service(sb, allow_live=True)  # control: with --live the order goes through
    await ctx.started(allowed)
    check("--live" not in (allowed.trade_gate().reason or ""), "trading blocked with --live")
    await allowed.place_order(req)
    check(len(sb.recorder.order_requests()) == 1, "the --live order did not reach the endpoint")
