"""Where the desk connects: the launch options, the resolved endpoint and the per-endpoint files."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


class LaunchError(Exception):
    """A problem the user can fix (bad flags, config, unreachable endpoint): shown as one line."""


@dataclass(frozen=True)
class LaunchOptions:
    """What the command line asks for (see ``tui.cli``); every field has the flag's default."""

    config: Path | None = None
    profile: str | None = None
    api_url: str | None = None
    ws_url: str | None = None
    live: bool = False
    fresh: bool = False
    static_prices: bool = False
    dead_man: int | None = None  # --dead-man: seconds, 0 = off, None = not given (config's)


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


def data_dir() -> Path:
    from platformdirs import user_data_dir

    return Path(user_data_dir("collateral-tui"))


def embedded_state_path() -> Path:
    """The desk's paper account: the embedded sandbox's state file. Only the desk uses it (the
    standalone ``collateral-tui sandbox`` keeps its own, ``sandbox-standalone.sqlite3``); the
    sandbox child locks it while it runs (a second desk is refused)."""
    return data_dir() / "sandbox.sqlite3"


def pending_orders_path(target: Target) -> Path:
    """Where orders in flight are kept between runs: one journal per venue, endpoint and account,
    named by a digest of the three (never the key), so a desk on another key at the same URL
    never reads this desk's orders as its own (and reports them "never placed"). The embedded
    sandbox has a fixed name: its key and port are new every run, one desk per paper account.

    A journal of the older per-URL naming is left alone (its orders may be any key's: only
    that key's desk can look them up) and logged, for the trader to check and delete."""
    import hashlib

    if target.embedded:
        return data_dir() / "pending-orders-sandbox.json"
    seed = f"whitebit\n{target.rest_url}\n{target.api_key}".encode()
    path = data_dir() / f"pending-orders-whitebit-{hashlib.sha256(seed).hexdigest()[:12]}.json"
    url_only = hashlib.sha256(target.rest_url.encode("utf-8")).hexdigest()[:12]
    old = data_dir() / f"pending-orders-{url_only}.json"
    try:
        if old.stat().st_size:
            log.warning(
                "%s is a pending-orders journal of an older version, for %s and whichever key "
                "was used then; it is no longer read: check its orders on the exchange, then "
                "delete it",
                old,
                target.rest_url,
            )
    except OSError:
        pass  # no older journal
    return path


def nonce_path(target: Target) -> Path | None:
    """Where the nonce high-water mark of an API key is kept between runs (the nonce must grow
    across restarts, even if the clock went back), or None for the embedded sandbox (its demo
    key is new every run). Named by a digest of the endpoint and the key, never the key."""
    import hashlib

    if target.embedded or not target.api_key:
        return None
    seed = f"{target.rest_url}\n{target.api_key}".encode()
    return data_dir() / f"nonce-{hashlib.sha256(seed).hexdigest()[:12]}"
