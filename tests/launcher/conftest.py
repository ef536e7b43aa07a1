"""Fixtures shared by the launcher tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.drills.safety import clean_env


@pytest.fixture
def private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """HOME and the XDG directories of this test alone (also in the returned environment)."""
    env = clean_env(tmp_path)
    for name in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        monkeypatch.setenv(name, env[name])
    return env
