"""Where the desk connects: the launch options, the resolved endpoint and the per-endpoint files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
    """Where orders in flight are kept between runs: one file per endpoint (the embedded
    sandbox's port changes every run, so it has a fixed name)."""
    import hashlib

    if target.embedded:
        name = "pending-orders-sandbox.json"
    else:
        digest = hashlib.sha256(target.rest_url.encode("utf-8")).hexdigest()[:12]
        name = f"pending-orders-{digest}.json"
    return data_dir() / name


def nonce_path(target: Target) -> Path | None:
    """Where the nonce high-water mark of an API key is kept between runs (the nonce must grow
    across restarts, even if the clock went back), or None for the embedded sandbox (its demo
    key is new every run). Named by a digest of the endpoint and the key, never the key."""
    import hashlib

    if target.embedded or not target.api_key:
        return None
    seed = f"{target.rest_url}\n{target.api_key}".encode()
    return data_dir() / f"nonce-{hashlib.sha256(seed).hexdigest()[:12]}"
