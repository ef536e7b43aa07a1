"""Fixtures shared by every test directory."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def fresh_python(tmp_path: Path) -> Callable[[str, float], str]:
    """Run ``code`` in a fresh interpreter (nothing imported yet: for import-order tests) with
    this checkout on its path; fails with the child's stderr unless it exits 0. Returns its
    stdout, stripped."""

    def run(code: str, timeout: float = 120) -> str:
        done = subprocess.run(
            [sys.executable, "-c", code],
            cwd=tmp_path,
            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        return done.stdout.strip()

    return run
