"""Drill 14: Safe defaults: loopback only without config; no trading on LIVE without --live."""

from pathlib import Path

import pytest
from drill_support import run

PLANTED = """\
import pathlib
pathlib.Path({marker!r}).write_text("planted code ran")
raise SystemExit(3)
"""


async def test_drill_14_safe_defaults() -> None:
    result = await run(14)
    assert result.ok


async def test_drill_14_runs_no_code_from_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The drill's probe process (``python -c``) must not import a ``tui`` package planted in
    the directory the drills are run from (``-c`` puts the cwd first on the import path)."""
    cwd = tmp_path / "downloads"
    marker = tmp_path / "planted-ran"
    (cwd / "tui").mkdir(parents=True)
    (cwd / "tui" / "__init__.py").write_text(PLANTED.format(marker=str(marker)))
    monkeypatch.chdir(cwd)
    await run(14)
    assert not marker.exists()
