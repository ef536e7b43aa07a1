"""No code from the working directory (issue 15): the desk's embedded sandbox child must not
import a ``tui`` package planted in the directory the desk was started from. Real processes,
private HOME/XDG dirs."""

from __future__ import annotations

import json
import os
import urllib.request
from pathlib import Path

import pytest

from tui.launcher import LaunchOptions, start_embedded_sandbox

PLANTED = """\
import os, pathlib
pathlib.Path({marker!r}).write_text("planted code ran in pid %d" % os.getpid())
raise SystemExit(3)
"""


def test_a_tui_package_in_the_cwd_is_not_run_by_the_sandbox_child(
    private_dirs: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cwd = tmp_path / "downloads"
    marker = tmp_path / "planted-ran"
    for package in ("tui", "aiohttp"):  # the desk's own package and one the sandbox imports
        planted = cwd / package
        planted.mkdir(parents=True)
        for name in ("__init__.py", "__main__.py"):
            (planted / name).write_text(PLANTED.format(marker=str(marker)))
    # A relative PYTHONPATH entry also names the cwd (and comes before site-packages): it must
    # not let a planted package in either.
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join(filter(None, [os.environ.get("PYTHONPATH"), "."]))
    )
    monkeypatch.chdir(cwd)
    handle = start_embedded_sandbox(LaunchOptions(fresh=True, static_prices=True))
    try:
        ready = handle.wait_ready()
        with urllib.request.urlopen(ready["rest_url"] + "/sandbox/info", timeout=10) as response:
            assert json.loads(response.read())["sandbox"] is True  # the real sandbox answered
    finally:
        handle.stop()
    assert not marker.exists(), marker.read_text()
    assert handle.returncode == 0
