"""tui.launcher.config: real files in tmp_path, real permission bits, env passed explicitly."""

from __future__ import annotations

import os
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from tui.launcher.config import (
    AppConfig,
    ConfigError,
    config_path,
    default_config_path,
    load_config,
)

SECRET = "s3cr3t-VALUE-that-must-never-show"
KEY = "KEYabcdefghijklmnop"

posix_only = pytest.mark.skipif(os.name == "nt", reason="POSIX permission bits")

FULL = f"""
default_profile = "main"

[profiles.main]
api_url = "https://whitebit.com"
ws_url = "wss://api.whitebit.com/ws"
api_key = "{KEY}"
api_secret = "{SECRET}"

[profiles.paper]
api_url = "http://127.0.0.1:8080"
ws_url = "ws://127.0.0.1:8080/ws"
live = false

[profiles.real]
api_url = "https://whitebit.com"
ws_url = "wss://api.whitebit.com/ws"
live = true

[thresholds]
green = "20"
red = "7.5"

[keymap]
close_position = "x"
cancel_order = "ctrl+d"
"""


def write(tmp_path: Path, text: str, name: str = "config.toml", *, mode: int = 0o600) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    os.chmod(path, mode)
    return path


# --- reading profiles -----------------------------------------------------------------------------


def test_default_profile(tmp_path):
    path = write(tmp_path, FULL)
    config = load_config(path, env={})
    assert config.profile == "main"
    assert config.api_url == "https://whitebit.com"
    assert config.ws_url == "wss://api.whitebit.com/ws"
    assert config.api_key == KEY
    assert config.api_secret == SECRET
    assert config.has_credentials
    assert config.live is False
    assert config.thresholds.green == Decimal(20) and config.thresholds.red == Decimal("7.5")
    assert isinstance(config.thresholds.red, Decimal)
    assert config.keymap == {"close_position": "x", "cancel_order": "ctrl+d"}
    assert config.path == path


def test_named_profile(tmp_path):
    path = write(tmp_path, FULL)
    paper = load_config(path, profile="paper", env={})
    assert paper.profile == "paper"
    assert paper.api_url == "http://127.0.0.1:8080"
    assert paper.api_key is None and paper.api_secret is None and not paper.has_credentials
    assert load_config(path, profile="real", env={}).live is True


def test_unknown_profile_lists_the_known_ones(tmp_path):
    path = write(tmp_path, FULL)
    with pytest.raises(
        ConfigError, match=r"profile 'nope' is not defined \(profiles: main, paper, real\)"
    ):
        load_config(path, profile="nope", env={})


def test_default_profile_must_exist(tmp_path):
    path = write(tmp_path, 'default_profile = "gone"\n[profiles.a]\napi_url = "http://x"\n')
    with pytest.raises(ConfigError, match="default_profile 'gone' is not defined"):
        load_config(path, env={})


def test_no_default_profile_means_no_profile(tmp_path):
    # Even a single profile is used only when named: never connect somewhere real by surprise.
    path = write(tmp_path, '[profiles.only]\napi_url = "http://x"\nws_url = "ws://x/ws"\n')
    config = load_config(path, env={})
    assert config.profile is None and config.api_url is None
    assert load_config(path, profile="only", env={}).api_url == "http://x"


def test_several_profiles_and_no_default_means_none(tmp_path):
    path = write(
        tmp_path, '[profiles.a]\napi_url = "http://a"\n[profiles.b]\napi_url = "http://b"\n'
    )
    config = load_config(path, env={})
    assert config.profile is None and config.api_url is None


def test_thresholds_default_and_numbers(tmp_path):
    assert load_config(write(tmp_path, ""), env={}).thresholds.green == Decimal(15)
    config = load_config(write(tmp_path, "[thresholds]\ngreen = 12\nred = 2.5\n"), env={})
    assert config.thresholds.green == Decimal(12)
    assert config.thresholds.red == Decimal("2.5")  # a TOML float read as Decimal, exactly
    assert type(config.thresholds.red) is Decimal


@pytest.mark.parametrize(
    "body",
    [
        'green = "lots"',
        'red = "-1"',
        'green = "NaN"',
        "green = true",
        'green = "101"',
        'green = "3"\nred = "5"',
    ],
)
def test_bad_thresholds(tmp_path, body):
    with pytest.raises(ConfigError, match="thresholds"):
        load_config(write(tmp_path, f"[thresholds]\n{body}\n"), env={})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[profiles.a]\napi_secrt = "x"\n', "unknown key 'api_secrt' in \\[profiles.a\\]"),
        ('colour = "red"\n', "unknown key 'colour' in the top level"),
        ('[profiles.a]\nlive = "false"\n', "live in \\[profiles.a\\] must be true or false"),
        ("[profiles.a]\napi_url = 5\n", "api_url in \\[profiles.a\\] must be a string"),
        ('profiles = "x"\n', "'profiles' must be a table"),
        ("[keymap]\nquit = 1\n", "keymap.quit must be a key"),
    ],
)
def test_wrong_keys_and_types(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text), env={})


# --- missing and malformed files ------------------------------------------------------------------


def test_missing_default_file_means_sandbox(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert default_config_path() == tmp_path / "xdg" / "collateral-tui" / "config.toml"
    config = load_config(env={})
    assert config == AppConfig()
    assert config.api_url is None and not config.has_credentials and config.path is None


def test_missing_explicit_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="config file not found: .*nope.toml"):
        load_config(tmp_path / "nope.toml", env={})
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(env={"COLLATERAL_TUI_CONFIG": str(tmp_path / "nope.toml")})


def test_profile_without_a_file_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(ConfigError, match="no config file at .*, so there is no profile 'main'"):
        load_config(profile="main", env={})


def test_malformed_toml_names_file_and_line(tmp_path):
    path = write(tmp_path, f'[profiles.main]\napi_key = "{KEY}"\napi_secret = {SECRET}\n')
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    message = str(info.value)
    assert message.startswith(f"{path}, line 3: invalid TOML")
    assert SECRET not in message and KEY not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


def test_not_utf8(tmp_path):
    path = tmp_path / "config.toml"
    path.write_bytes(b'api_url = "\xff\xfe"\n')
    os.chmod(path, 0o600)
    with pytest.raises(ConfigError, match="not UTF-8"):
        load_config(path, env={})


def test_directory_instead_of_file(tmp_path):
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path, env={})


# --- where the file is ----------------------------------------------------------------------------


def test_path_precedence(tmp_path):
    a = write(
        tmp_path, 'default_profile = "a"\n[profiles.a]\napi_url = "http://from-arg"\n', "a.toml"
    )
    b = write(
        tmp_path, 'default_profile = "b"\n[profiles.b]\napi_url = "http://from-env"\n', "b.toml"
    )
    env = {"COLLATERAL_TUI_CONFIG": str(b)}
    assert load_config(a, env=env).api_url == "http://from-arg"
    assert load_config(env=env).api_url == "http://from-env"
    assert config_path(None, env) == (b, True)
    assert config_path(str(a), env) == (a, True)
    assert config_path(None, {})[1] is False


# --- permissions ----------------------------------------------------------------------------------


@posix_only
def test_private_file_with_secret_is_accepted(tmp_path):
    path = write(tmp_path, FULL, mode=0o600)
    assert load_config(path, env={}).api_secret == SECRET
    path.chmod(0o400)
    assert load_config(path, env={}).api_secret == SECRET


@posix_only
@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o666, 0o620])
def test_shared_file_with_secret_is_refused(tmp_path, mode):
    path = write(tmp_path, FULL, mode=mode)
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    assert str(info.value) == (
        f"config.toml is readable by others (mode {mode:04o}); run: chmod 600 {path}"
    )
    assert SECRET not in str(info.value)
    # ... even when the secret would come from the environment, and whatever profile is chosen:
    with pytest.raises(ConfigError):
        load_config(path, profile="paper", env={"WHITEBIT_API_SECRET": "other"})
    # The fix it suggests works.
    path.chmod(0o600)
    assert load_config(path, env={}).has_credentials
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


@posix_only
def test_shared_file_without_secret_is_fine(tmp_path):
    path = write(tmp_path, '[profiles.a]\napi_url = "http://x"\napi_key = "k"\n', mode=0o644)
    assert load_config(path, profile="a", env={}).api_key == "k"


# --- environment credentials ----------------------------------------------------------------------


def test_env_overrides_file_credentials(tmp_path):
    path = write(tmp_path, FULL)
    env = {"WHITEBIT_API_KEY": "env-key", "WHITEBIT_API_SECRET": "env-secret"}
    config = load_config(path, env=env)
    assert (config.api_key, config.api_secret) == ("env-key", "env-secret")
    assert config.api_url == "https://whitebit.com"  # everything else still from the profile
    # Each variable on its own; an empty one counts as unset.
    config = load_config(path, env={"WHITEBIT_API_KEY": "env-key", "WHITEBIT_API_SECRET": ""})
    assert (config.api_key, config.api_secret) == ("env-key", SECRET)


def test_env_credentials_without_file(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    config = load_config(env={"WHITEBIT_API_KEY": KEY, "WHITEBIT_API_SECRET": SECRET})
    assert config.has_credentials and config.api_url is None and config.profile is None


def test_env_argument_is_used_not_os_environ(tmp_path, monkeypatch):
    monkeypatch.setenv("WHITEBIT_API_SECRET", "from-os-environ")
    path = write(tmp_path, '[profiles.a]\napi_url = "http://x"\n')
    assert load_config(path, env={}).api_secret is None
    assert load_config(path).api_secret == "from-os-environ"  # default env is os.environ


# --- secrets never shown --------------------------------------------------------------------------


def test_repr_and_str_hide_the_secret(tmp_path):
    config = load_config(write(tmp_path, FULL), env={})
    for text in (repr(config), str(config), f"{config}", repr([config])):
        assert SECRET not in text
        assert KEY not in text
        assert "<redacted>" in text
        assert "https://whitebit.com" in text  # still useful for debugging
    assert "None" in repr(AppConfig()).split("api_secret=")[1]
