"""Layering rules, checked two ways.

1. Our own AST walk over every ``.py`` file (no imports executed): nothing under tui/api,
   tui/domain, tui/service or tui/sandbox imports Textual, textual-plotext, plotext or tui.app;
   tui/sandbox does not import the client, service or app; tui/app does not import httpx,
   websockets, aiohttp or tui.api directly. Relative imports are resolved, ``from tui import app``
   counts, and so do ``importlib.import_module("...")`` / ``__import__("...")`` with a literal name.
2. import-linter (``lint-imports``) with the contracts in pyproject.toml, when it is installed.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tui"

UI = ("textual", "textual_plotext", "plotext", "tui.app")
NETWORK = ("httpx", "websockets", "aiohttp", "tui.api")

# layer (package under tui/) -> modules it must not import
RULES: dict[str, tuple[str, ...]] = {
    "api": UI,
    "domain": UI,
    "service": UI,
    "sandbox": UI + ("tui.api", "tui.service"),
    "app": NETWORK,
}


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(source: str, module: str, is_package: bool) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in ``source``."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                if node.level > 1:
                    base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                base = ".".join(base_parts)
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            yield node.lineno, target
            for alias in node.names:  # ``from tui import app`` imports the module tui.app
                yield node.lineno, f"{target}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                yield node.lineno, first.value


def is_within(name: str, forbidden: str) -> bool:
    return name == forbidden or name.startswith(forbidden + ".")


def violations(layer: str) -> list[str]:
    found = []
    for path in sorted((PACKAGE / layer).rglob("*.py")):
        module = module_name(path)
        source = path.read_text(encoding="utf-8")
        for line, name in imported_modules(source, module, path.name == "__init__.py"):
            for forbidden in RULES[layer]:
                if is_within(name, forbidden):
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return found


@pytest.mark.parametrize("layer", sorted(RULES))
def test_layer_imports(layer):
    assert (PACKAGE / layer).is_dir()
    bad = violations(layer)
    assert not bad, f"tui/{layer} must not import {', '.join(RULES[layer])}:\n" + "\n".join(bad)


def test_every_layer_has_code_to_check():
    # Guards against the walk silently checking nothing (wrong root, renamed folders).
    for layer in RULES:
        assert list((PACKAGE / layer).rglob("*.py")), layer


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("import textual.app", "tui.service.x", "textual.app"),
        ("from textual.widgets import Static", "tui.service.x", "textual.widgets"),
        ("from tui import app", "tui.service.x", "tui.app"),
        ("from ..app import screens", "tui.service.x", "tui.app"),
        ("from ..app.main_app import CollateralApp", "tui.domain.x", "tui.app.main_app"),
        ("import importlib\nimportlib.import_module('plotext')", "tui.api.x", "plotext"),
        ("def f():\n    import httpx\n", "tui.app.x", "httpx"),
        (
            "if TYPE_CHECKING:\n    from tui.api.rest import WhiteBitRest",
            "tui.app.x",
            "tui.api.rest",
        ),
    ],
)
def test_the_checker_sees_imports(source, module, expected):
    names = [name for _, name in imported_modules(source, module, is_package=False)]
    assert expected in names
    layer = module.split(".")[1]
    assert any(is_within(n, f) for n in names for f in RULES[layer])


def test_the_checker_does_not_confuse_prefixes():
    assert not is_within("textualize", "textual")
    assert not is_within("tui.application", "tui.app")
    assert is_within("tui.app", "tui.app") and is_within("tui.app.widgets", "tui.app")


# --- import-linter --------------------------------------------------------------------------------


def _lint_imports() -> str | None:
    local = Path(sys.executable).parent / "lint-imports"
    return str(local) if local.exists() else shutil.which("lint-imports")


def _importlinter_config() -> dict:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    config = pyproject.get("tool", {}).get("importlinter")
    assert config and config.get("contracts"), "pyproject.toml has no [tool.importlinter] contracts"
    return config


def _has_external_forbidden(config: dict) -> bool:
    root = config["root_package"]
    return any(
        not is_within(m, root) for c in config["contracts"] for m in c.get("forbidden_modules", [])
    )


def _run(args: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args + ["--no-cache", "--no-logo"],
        cwd=ROOT,
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_pyproject_import_linter_config_runs_as_is():
    exe = _lint_imports()
    if exe is None:
        pytest.skip("import-linter is not installed (pip install '.[test]')")
    config = _importlinter_config()
    # lint-imports refuses to run ("The top level configuration must have
    # include_external_packages=True when there are external forbidden modules"): say so plainly.
    assert not _has_external_forbidden(config) or config.get("include_external_packages"), (
        "pyproject.toml [tool.importlinter] needs include_external_packages = true"
    )
    result = _run([exe])
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{len(config['contracts'])} kept, 0 broken" in result.stdout
