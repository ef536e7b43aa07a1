"""The order-confirmation settings of config.toml."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from tui.launcher.config import ConfigError, load_config


def _load(tmp_path: Path, text: str) -> object:
    file = tmp_path / "config.toml"
    file.write_text(text)
    return load_config(file, env={})


def test_defaults_confirm_every_order(tmp_path: Path) -> None:
    config = _load(tmp_path, "")
    assert config.confirm_limit_orders is True  # type: ignore[attr-defined]
    assert config.confirm_market_above == Decimal(0)  # type: ignore[attr-defined]


def test_both_keys_are_read(tmp_path: Path) -> None:
    config = _load(tmp_path, 'confirm_limit_orders = false\nconfirm_market_above = "500"\n')
    assert config.confirm_limit_orders is False  # type: ignore[attr-defined]
    assert config.confirm_market_above == Decimal(500)  # type: ignore[attr-defined]


@pytest.mark.parametrize("value", ['"-1"', '"lots"', "true"])
def test_a_bad_notional_is_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError, match="confirm_market_above"):
        _load(tmp_path, f"confirm_market_above = {value}\n")
