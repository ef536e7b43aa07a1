"""User configuration: ``config.toml`` with named profiles, thresholds and key bindings.

Where the file is, first match wins:

1. the ``path`` argument (the launcher's ``--config``),
2. the ``COLLATERAL_TUI_CONFIG`` environment variable,
3. ``platformdirs.user_config_dir("collateral-tui") / "config.toml"``.

A missing default file is normal (no credentials: the desk runs on the embedded sandbox). A file
named explicitly (1 or 2) that does not exist is an error: that is a typo, not a choice.

```toml
default_profile = "main"
dead_man_seconds = 60   # kill-switch timeout on markets with open orders (5-600, "off" or 0)
confirm_limit_orders = true   # false: orders resting at your price are sent without asking
confirm_market_above = "0"    # orders filling at market above this notional ask first (0: all)

[profiles.main]
api_url = "https://whitebit.com"
ws_url = "wss://api.whitebit.com/ws"
api_key = "..."
api_secret = "..."
live = false            # true is the same as passing --live

[thresholds]            # distance to liquidation in percent of the mark price
green = "15"            # strings, integers or TOML floats (read as Decimal, never float)
red = "5"

[keymap]                # binding id -> key(s), as Textual's App.set_keymap takes them
"desk.close" = "k"
```

Rules:

- ``WHITEBIT_API_KEY`` / ``WHITEBIT_API_SECRET`` override the profile's ``api_key`` /
  ``api_secret`` (each on its own; an empty variable counts as unset).
- A file that holds an ``api_secret`` (in any profile) must be readable by its owner alone: any
  group/other permission bit (``mode & 0o077``) is refused, as ssh refuses a private key. The mode
  is read from the open file descriptor, so the file checked is the file read. (Not checked on
  Windows, which has no such mode bits.)
- Malformed TOML -> ConfigError naming the file and line. Unknown keys and wrong types are errors
  too (a misspelt ``api_secret`` should not silently mean "no credentials").
- Secrets never appear in ``repr()``/``str()`` of the config or in any ConfigError message.

This module depends only on the standard library and platformdirs (not on ``tui.api``).
"""

from __future__ import annotations

import dataclasses
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from platformdirs import user_config_dir

APP_NAME = "collateral-tui"
ENV_CONFIG = "COLLATERAL_TUI_CONFIG"
ENV_API_KEY = "WHITEBIT_API_KEY"
ENV_API_SECRET = "WHITEBIT_API_SECRET"

DEFAULT_GREEN = Decimal(15)
DEFAULT_RED = Decimal(5)

DEFAULT_DEAD_MAN_SECONDS = 60
DEAD_MAN_RANGE = (5, 600)  # the exchange's kill-switch timeout bounds

_TOP_KEYS = {
    "default_profile",
    "dead_man_seconds",
    "profiles",
    "thresholds",
    "keymap",
    "confirm_limit_orders",
    "confirm_market_above",
}
_PROFILE_KEYS = {"api_url", "ws_url", "api_key", "api_secret", "live"}
_THRESHOLD_KEYS = {"green", "red"}


class ConfigError(Exception):
    """The config file cannot be used; the message says why and how to fix it (no secrets)."""


def _redact_key(key: str | None) -> str:
    if not key:
        return "None"
    return repr(key[:4] + "…") if len(key) > 8 else "'…'"


@dataclass(frozen=True, slots=True)
class ThresholdConfig:
    """Distance-to-liquidation bands in percent: above green is safe, below red is danger."""

    green: Decimal = DEFAULT_GREEN
    red: Decimal = DEFAULT_RED


@dataclass(frozen=True, slots=True)
class AppConfig:
    profile: str | None = None  # the profile used, None when there is none
    api_url: str | None = None  # None: no endpoint configured (the launcher starts the sandbox)
    ws_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    api_secret: str | None = field(default=None, repr=False)
    live: bool = False
    thresholds: ThresholdConfig = field(default_factory=ThresholdConfig)
    keymap: dict[str, str] = field(default_factory=dict)
    #: Ask before sending a limit, stop-limit or OCO order (orders resting at their price).
    confirm_limit_orders: bool = True
    #: Orders that fill at the market are confirmed above this notional (quote currency); the
    #: setting can raise the limit, never turn their confirmation off.
    confirm_market_above: Decimal = Decimal(0)
    path: Path | None = None  # the file read, None when there was none
    #: the dead-man switch's timeout in seconds, None = off
    dead_man_seconds: int | None = DEFAULT_DEAD_MAN_SECONDS

    @property
    def has_credentials(self) -> bool:
        return bool(self.api_key and self.api_secret)

    def __repr__(self) -> str:
        return (
            f"AppConfig(profile={self.profile!r}, api_url={self.api_url!r}, ws_url={self.ws_url!r},"
            f" api_key={_redact_key(self.api_key)},"
            f" api_secret={'<redacted>' if self.api_secret else 'None'}, live={self.live!r},"
            f" thresholds={self.thresholds!r}, keymap={self.keymap!r},"
            f" confirm_limit_orders={self.confirm_limit_orders!r},"
            f" confirm_market_above={self.confirm_market_above!r}, path={self.path!r},"
            f" dead_man_seconds={self.dead_man_seconds!r})"
        )

    __str__ = __repr__


def default_config_path() -> Path:
    return Path(user_config_dir(APP_NAME)) / "config.toml"


def config_path(
    path: str | os.PathLike[str] | None = None, env: Mapping[str, str] | None = None
) -> tuple[Path, bool]:
    """The config file to read and whether it was named explicitly."""
    env = os.environ if env is None else env
    if path is not None and str(path):
        return Path(path).expanduser(), True
    named = env.get(ENV_CONFIG, "")
    if named:
        return Path(named).expanduser(), True
    return default_config_path(), False


def load_config(
    path: str | os.PathLike[str] | None = None,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
) -> AppConfig:
    """Read the config file (see the module docstring) and pick ``profile`` (or the default one)."""
    env = os.environ if env is None else env
    file, explicit = config_path(path, env)
    data, mode = _read(file, explicit)

    if data is None:  # no file
        if profile:
            raise ConfigError(f"no config file at {file}, so there is no profile {profile!r}")
        return _with_env_credentials(AppConfig(), env)

    _check_keys(data, _TOP_KEYS, file, "the top level")
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{file}: 'profiles' must be a table ([profiles.NAME])")
    for name, table in profiles.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{file}: profiles.{name} must be a table ([profiles.{name}])")
        _check_keys(table, _PROFILE_KEYS, file, f"[profiles.{name}]")
        # Every profile is checked, not only the one in use: a typo surfaces at once.
        where = f"[profiles.{name}]"
        for key in ("api_url", "ws_url", "api_key", "api_secret"):
            _opt_str(table, key, file, where)
        _bool(table, "live", file, where)

    if any(table.get("api_secret") for table in profiles.values()):
        _check_private(file, mode)

    default = data.get("default_profile")
    if default is not None and not isinstance(default, str):
        raise ConfigError(f"{file}: default_profile must be a string")
    # No --profile and no default_profile: no profile, even if the file defines exactly one. Picking
    # it silently could point a trader who expects the paper sandbox at a real endpoint.
    chosen = profile or default
    body: dict[str, Any] = {}
    if chosen is not None:
        if chosen not in profiles:
            available = ", ".join(sorted(profiles)) or "none"
            source = "default_profile" if not profile else "profile"
            raise ConfigError(f"{file}: {source} {chosen!r} is not defined (profiles: {available})")
        body = profiles[chosen]

    where = f"[profiles.{chosen}]"
    config = AppConfig(
        profile=chosen,
        api_url=_opt_str(body, "api_url", file, where),
        ws_url=_opt_str(body, "ws_url", file, where),
        api_key=_opt_str(body, "api_key", file, where),
        api_secret=_opt_str(body, "api_secret", file, where),
        live=_bool(body, "live", file, where),
        thresholds=_thresholds(data.get("thresholds", {}), file),
        keymap=_keymap(data.get("keymap", {}), file),
        confirm_limit_orders=_bool(data, "confirm_limit_orders", file, "the top level", True),
        confirm_market_above=_notional(data.get("confirm_market_above", 0), file),
        path=file,
        dead_man_seconds=_dead_man(data, file),
    )
    return _with_env_credentials(config, env)


# --- helpers ----------------------------------------------------------------------------------------


def _read(file: Path, explicit: bool) -> tuple[dict[str, Any] | None, int]:
    """The parsed file and its mode (from the same open descriptor), or (None, 0) if absent."""
    try:
        handle = open(file, "rb")  # noqa: SIM115 - fstat needs the descriptor
    except FileNotFoundError:
        if explicit:
            raise ConfigError(f"config file not found: {file}") from None
        return None, 0
    except IsADirectoryError:
        raise ConfigError(f"{file} is a directory, not a config file") from None
    except PermissionError:
        raise ConfigError(f"cannot read {file}: permission denied") from None
    with handle:
        mode = os.fstat(handle.fileno()).st_mode
        raw = handle.read()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{file} is not UTF-8 text") from None
    import tomllib  # here: without a config file (the default) the desk never needs it

    try:
        data = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's messages carry position, never the text itself: "Invalid value (at line 3, column 7)"
        found = re.search(r"line (\d+)", str(exc))
        line = f", line {found.group(1)}" if found else ""
        reason = re.sub(r"\s*\(at line \d+, column \d+\)$|\s*\(at end of document\)$", "", str(exc))
        raise ConfigError(f"{file}{line}: invalid TOML: {reason}") from None
    return data, mode


def _check_private(file: Path, mode: int) -> None:
    if os.name == "nt":
        return
    perms = stat.S_IMODE(mode)
    if perms & 0o077:
        raise ConfigError(
            f"{file.name} is readable by others (mode {perms:04o}); run: chmod 600 {file}"
        )


def _check_keys(table: dict[str, Any], allowed: set[str], file: Path, where: str) -> None:
    unknown = sorted(k for k in table if k not in allowed)
    if unknown:
        known = ", ".join(sorted(allowed))
        raise ConfigError(f"{file}: unknown key {unknown[0]!r} in {where} (known: {known})")


def _opt_str(body: dict[str, Any], key: str, file: Path, where: str) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ConfigError(f"{file}: {key} in {where} must be a string in quotes")
    value = value.strip()
    return value or None


def _bool(body: dict[str, Any], key: str, file: Path, where: str, default: bool = False) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{file}: {key} in {where} must be true or false (no quotes)")
    return value


def _percent(value: object, key: str, file: Path) -> Decimal:
    if isinstance(value, bool):
        raise ConfigError(f'{file}: thresholds.{key} must be a number of percent, e.g. "15"')
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            number = Decimal("NaN")
    else:
        number = Decimal("NaN")
    if not number.is_finite() or number < 0 or number > 100:
        raise ConfigError(
            f'{file}: thresholds.{key} must be a percent between 0 and 100, e.g. "15"'
        )
    return number


def _notional(value: object, file: Path) -> Decimal:
    number = Decimal("NaN")
    if isinstance(value, int) and not isinstance(value, bool):
        number = Decimal(value)
    elif isinstance(value, Decimal):
        number = value
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            pass
    if not number.is_finite() or number < 0:
        raise ConfigError(
            f'{file}: confirm_market_above must be a notional of 0 or more, e.g. "0" or "500"'
        )
    return number


def _thresholds(table: object, file: Path) -> ThresholdConfig:
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: 'thresholds' must be a table ([thresholds])")
    _check_keys(table, _THRESHOLD_KEYS, file, "[thresholds]")
    green = _percent(table["green"], "green", file) if "green" in table else DEFAULT_GREEN
    red = _percent(table["red"], "red", file) if "red" in table else DEFAULT_RED
    if red > green:
        raise ConfigError(
            f"{file}: thresholds.red ({red}) must not be above thresholds.green ({green})"
        )
    return ThresholdConfig(green=green, red=red)


def parse_dead_man(value: object) -> int | None:
    """A dead-man timeout: whole seconds in ``DEAD_MAN_RANGE``, or ``off``/0 (-> None).
    Raises ValueError with a one-line reason."""
    if isinstance(value, str):
        text = value.strip().lower()
        if text == "off":
            return None
        if not text.isdigit():
            raise ValueError(f"expected seconds or 'off', got {value!r}")
        value = int(text)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"expected seconds or 'off', got {value!r}")  # noqa: TRY004 (one error type for callers)
    if value == 0:
        return None
    low, high = DEAD_MAN_RANGE
    if not low <= value <= high:
        raise ValueError(f"must be {low}-{high} seconds or 'off', got {value}")
    return value


def _dead_man(data: dict[str, Any], file: Path) -> int | None:
    if "dead_man_seconds" not in data:
        return DEFAULT_DEAD_MAN_SECONDS
    try:
        return parse_dead_man(data["dead_man_seconds"])
    except ValueError as exc:
        raise ConfigError(f"{file}: dead_man_seconds {exc}") from None


def _keymap(table: object, file: Path) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ConfigError(f"{file}: 'keymap' must be a table ([keymap])")
    keymap: dict[str, str] = {}
    for binding_id, key in table.items():
        if not isinstance(key, str) or not key.strip():
            raise ConfigError(f'{file}: keymap.{binding_id} must be a key in quotes, e.g. "x"')
        keymap[str(binding_id)] = key.strip()
    return keymap


def _with_env_credentials(config: AppConfig, env: Mapping[str, str]) -> AppConfig:
    key = env.get(ENV_API_KEY, "").strip() or config.api_key
    secret = env.get(ENV_API_SECRET, "").strip() or config.api_secret
    return dataclasses.replace(config, api_key=key, api_secret=secret)
