"""``dead_man_seconds`` in the config file and ``--dead-man`` on the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.cli import parse_args
from tui.launcher import LaunchError, LaunchOptions, load_launch_config
from tui.launcher.config import ConfigError, load_config


def config_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [("", 60), ("dead_man_seconds = 30", 30), ('dead_man_seconds = "off"', None)]
    + [("dead_man_seconds = 0", None), ('dead_man_seconds = "120"', 120)],
)
def test_config_dead_man_seconds(tmp_path, text, expected):
    assert load_config(config_file(tmp_path, text), env={}).dead_man_seconds == expected


@pytest.mark.parametrize("value", ["4", "601", '"soon"', "true", "1.5"])
def test_config_refuses_bad_dead_man_seconds(tmp_path, value):
    with pytest.raises(ConfigError, match="dead_man_seconds"):
        load_config(config_file(tmp_path, f"dead_man_seconds = {value}"), env={})


@pytest.mark.parametrize(("arg", "expected"), [("90", 90), ("off", 0), ("OFF", 0), ("0", 0)])
def test_cli_dead_man(arg, expected):
    assert parse_args(["--dead-man", arg]).dead_man == expected
    assert parse_args([]).dead_man is None  # not given: the config decides


@pytest.mark.parametrize("arg", ["3", "700", "soon", "-5"])
def test_cli_refuses_bad_dead_man(arg):
    with pytest.raises(LaunchError, match="dead-man"):
        parse_args(["--dead-man", arg])


def test_flag_overrides_the_config(tmp_path):
    path = config_file(tmp_path, "dead_man_seconds = 30")
    assert load_launch_config(LaunchOptions(config=path), env={}).dead_man_seconds == 30
    options = LaunchOptions(config=path, dead_man=120)
    assert load_launch_config(options, env={}).dead_man_seconds == 120
    options = LaunchOptions(config=path, dead_man=0)
    assert load_launch_config(options, env={}).dead_man_seconds is None
