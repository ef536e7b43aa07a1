"""Nothing in tui/ but ``tui/app/_compat.py`` uses private Textual or plotext names.

How it is checked (an AST walk over ``tui/**/*.py``; no source is executed except importing our
modules that import Textual, to know their classes' bases):

1. Imports: ``textual._x``, ``textual_plotext._x``, ``plotext._x`` (any dotted segment starting
   with ``_`` under those packages, also ``from textual import _x``).
2. Private names: every ``_``-prefixed, non-dunder name that a class of those packages defines
   (found in ``vars()`` of every class in Textual's public modules, walked with pkgutil, and of
   plotext's figure/monitor classes and textual-plotext's classes), plus the ``self._x``
   attributes their methods assign (read from their source: ``dir()`` does not show instance
   attributes such as ``Screen._compositor``).
   - ``obj._x`` and ``getattr/setattr/hasattr(obj, "_x")`` with ``_x`` such a name: flagged,
     unless ``obj`` is ``self``/``cls``/``super()`` (below), or one of our classes that has no
     Textual/plotext base defines ``_x`` itself (without types, ``svc._tasks`` on our service
     cannot be told from a Textual object's ``_tasks``).
   - ``self._x`` (or ``cls._x``) and ``def _x`` / ``_x = ...`` in the body of one of our classes:
     flagged when ``_x`` is a private name of a Textual/plotext class in that class's MRO (an
     override or a use of an inherited private). Our own private attributes with names that
     our class's Textual bases do not use are fine.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import sys
import textwrap
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "tui"
ALLOWED = {PACKAGE / "app" / "_compat.py"}
PACKAGES = ("textual", "textual_plotext", "plotext")
SELF_NAMES = ("self", "cls")


def is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def is_theirs(module: str) -> bool:
    return module.split(".")[0] in PACKAGES


# --- their private names --------------------------------------------------------------------------


@cache
def _instance_attributes(path: str, class_name: str) -> frozenset[str]:
    """The ``self._x`` names assigned in the methods of ``class_name`` in the file ``path``."""
    tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and node.name == class_name:
            for sub in ast.walk(node):
                if (
                    isinstance(sub, ast.Attribute)
                    and isinstance(sub.ctx, ast.Store)
                    and isinstance(sub.value, ast.Name)
                    and sub.value.id == "self"
                    and is_private(sub.attr)
                ):
                    names.add(sub.attr)
    return frozenset(names)


@cache
def own_private_names(cls: type) -> frozenset[str]:
    """The private names ``cls`` itself defines: in its ``vars()`` or set on ``self``."""
    names = {name for name in vars(cls) if is_private(name)}
    try:
        path = inspect.getsourcefile(cls)
    except TypeError:
        path = None
    if path:
        names |= _instance_attributes(path, cls.__name__)
    return frozenset(names)


def private_names_in_mro(cls: type) -> frozenset[str]:
    """The private names of the Textual/plotext classes ``cls`` inherits from."""
    names: set[str] = set()
    for base in cls.__mro__:
        if is_theirs(base.__module__):
            names |= own_private_names(base)
    return frozenset(names)


def their_classes() -> Iterator[type]:
    import plotext._figure
    import plotext._monitor
    import textual
    import textual_plotext

    modules = [textual, textual_plotext]
    for info in pkgutil.walk_packages(textual.__path__, "textual."):
        if any(is_private(part) for part in info.name.split(".")):
            continue
        if info.name.startswith("textual.drivers.win"):
            continue  # Windows only (msvcrt): no private names our code could reach
        modules.append(importlib.import_module(info.name))
    for module in modules:
        # ``__all__`` too: textual.widgets loads its widgets on first access (PEP 562)
        names = {*vars(module), *getattr(module, "__all__", ())}
        for name in names:
            value = getattr(module, name, None)
            if isinstance(value, type) and is_theirs(value.__module__):
                yield value
    yield plotext._figure._figure_class
    yield plotext._monitor.monitor_class


@cache
def their_private_names() -> frozenset[str]:
    names: set[str] = set()
    for cls in their_classes():
        names |= private_names_in_mro(cls)
    return frozenset(names)


# --- the check ------------------------------------------------------------------------------------


def private_import(node: ast.AST) -> str | None:
    if isinstance(node, ast.Import):
        for alias in node.names:
            parts = alias.name.split(".")
            if is_theirs(alias.name) and any(is_private(p) for p in parts[1:]):
                return alias.name
    elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
        parts = node.module.split(".")
        if is_theirs(node.module):
            if any(is_private(p) for p in parts[1:]):
                return node.module
            for alias in node.names:
                if is_private(alias.name):
                    return f"{node.module}.{alias.name}"
    return None


def is_self(node: ast.expr) -> bool:
    if isinstance(node, ast.Name):
        return node.id in SELF_NAMES
    return (
        isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super"
    )


class Checker(ast.NodeVisitor):
    """Collects "line: what" for every private use in one module. ``classes`` maps a class's
    qualified name in the module to the class (for its MRO)."""

    def __init__(self, classes: dict[str, type], ours: frozenset[str] = frozenset()) -> None:
        self.classes = classes
        self.theirs = their_private_names() - ours
        self.stack: list[str] = []  # qualified names of the enclosing classes
        self.found: list[str] = []

    def inherited(self) -> frozenset[str]:
        """The Textual/plotext private names of the innermost enclosing class."""
        if not self.stack:
            return frozenset()
        cls = self.classes.get(self.stack[-1])
        return private_names_in_mro(cls) if cls is not None else frozenset()

    def flag(self, node: ast.AST, what: str) -> None:
        self.found.append(f"{getattr(node, 'lineno', 0)}: {what}")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        qualname = ".".join([*self.stack, node.name])
        self.stack.append(qualname)
        inherited = self.inherited()
        for item in node.body:
            defined: list[str] = []
            if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defined = [item.name]
            elif isinstance(item, ast.Assign):
                defined = [t.id for t in item.targets if isinstance(t, ast.Name)]
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                defined = [item.target.id]
            for name in defined:
                if name in inherited:
                    self.flag(item, f"{node.name} overrides private {name}")
        self.generic_visit(node)
        self.stack.pop()

    def visit_Import(self, node: ast.Import) -> None:
        if name := private_import(node):
            self.flag(node, f"imports {name}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if name := private_import(node):
            self.flag(node, f"imports {name}")

    def check_access(self, node: ast.AST, target: ast.expr, name: str) -> None:
        if not is_private(name):
            return
        if is_self(target):
            if name in self.inherited():
                self.flag(node, f"uses inherited private {name}")
        elif name in self.theirs:
            self.flag(node, f"uses private {ast.unparse(target)}.{name}")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.check_access(node, node.value, node.attr)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if (
            isinstance(func, ast.Name)
            and func.id in ("getattr", "setattr", "hasattr", "delattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            self.check_access(node, node.args[0], node.args[1].value)
        self.generic_visit(node)


def module_classes(module_name: str) -> dict[str, type]:
    """Our module's classes by qualified name (nested ones too), if it imports Textual or
    plotext (only those can inherit their privates)."""
    module = importlib.import_module(module_name)
    found: dict[str, type] = {}

    def walk(owner: object, prefix: str) -> None:
        for name, value in vars(owner).items():
            if isinstance(value, type) and value.__module__ == module_name:
                qualname = f"{prefix}{name}"
                if value.__qualname__ == qualname and qualname not in found:
                    found[qualname] = value
                    walk(value, qualname + ".")

    walk(module, "")
    return found


def check_source(
    source: str, classes: dict[str, type] | None = None, ours: frozenset[str] = frozenset()
) -> list[str]:
    checker = Checker(classes or {}, ours)
    checker.visit(ast.parse(source))
    return checker.found


def names_defined_by_our_plain_classes(tree: ast.Module, classes: dict[str, type]) -> set[str]:
    """The private names that the classes of one module without a Textual/plotext base define
    (``def _x``, ``_x = ...`` in the body, ``self._x = ...`` in a method)."""
    names: set[str] = set()

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if not isinstance(child, ast.ClassDef):
                walk(child, prefix)
                continue
            qualname = prefix + child.name
            cls = classes.get(qualname)
            if cls is None or not private_names_in_mro(cls):
                for item in child.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        names.add(item.name)
                    elif isinstance(item, ast.Assign):
                        names.update(t.id for t in item.targets if isinstance(t, ast.Name))
                    elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                        names.add(item.target.id)
                for sub in ast.walk(child):
                    if (
                        isinstance(sub, ast.Attribute)
                        and isinstance(sub.ctx, ast.Store)
                        and isinstance(sub.value, ast.Name)
                        and sub.value.id == "self"
                    ):
                        names.add(sub.attr)
            walk(child, qualname + ".")

    walk(tree, "")
    return {name for name in names if is_private(name)}


def imports_theirs(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(is_theirs(a.name) for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and not node.level and is_theirs(node.module or ""):
            return True
    return False


def violations() -> list[str]:
    modules = []  # (path, source, classes)
    ours: set[str] = set()
    for path in sorted(PACKAGE.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        tree = ast.parse(source)
        classes: dict[str, type] = {}
        if path.name != "__main__.py" and imports_theirs(tree):
            rel = path.relative_to(ROOT).with_suffix("")
            classes = module_classes(".".join(p for p in rel.parts if p != "__init__"))
        ours |= names_defined_by_our_plain_classes(tree, classes)
        if path not in ALLOWED:
            modules.append((path, source, classes))
    found = []
    for path, source, classes in modules:
        hits = check_source(source, classes, frozenset(ours))
        found += [f"{path.relative_to(ROOT)}:{hit}" for hit in hits]
    return found


# --- the tests ------------------------------------------------------------------------------------


def test_no_private_textual_or_plotext_use_outside_compat() -> None:
    bad = violations()
    assert not bad, "private Textual/plotext use outside tui/app/_compat.py:\n" + "\n".join(bad)


def test_their_private_names_are_found() -> None:
    # Guards against the introspection silently finding nothing (a renamed package, a walk
    # that imports no module): names from class dicts, from self-assignments, from plotext.
    names = their_private_names()
    assert {"_compositor", "_message_queue", "_exit_renderables", "_fatal_error"} <= names
    assert {"_render_line", "_set_size", "_build_matrix"} <= names
    assert "__init__" not in names and not any(n.startswith("__") for n in names)


def test_the_checker_flags_a_planted_example() -> None:
    from textual.widgets import DataTable

    source = textwrap.dedent(
        """
        from textual._x import y
        import plotext._utility
        from textual import _segment_tools
        from textual.widgets import DataTable

        def peek(self):
            return self.app._compositor, getattr(self.screen, "_message_queue")

        class Table(DataTable):
            def _render_line(self, y):
                return self._row_render_cache

            def _mine(self):
                return self._not_textuals

        def plot(chart):
            chart.plt._set_size(1, 2)
        """
    )
    table = type("Table", (DataTable,), {})
    found = check_source(source, {"Table": table})
    expected = [
        "imports textual._x",
        "imports plotext._utility",
        "imports textual._segment_tools",
        "uses private self.app._compositor",
        "uses private self.screen._message_queue",
        "Table overrides private _render_line",
        "uses inherited private _row_render_cache",
        "uses private chart.plt._set_size",
    ]
    for what in expected:
        assert any(hit.endswith(what) for hit in found), (what, found)
    assert len(found) == len(expected), found  # _mine and _not_textuals are ours


def test_our_own_private_names_are_fine() -> None:
    source = textwrap.dedent(
        """
        class Service:
            def __init__(self):
                self._venue = None
                self._tasks = []

            def venue(self, other):
                return self._venue, other._venue, other._tasks
        """
    )
    assert "_tasks" in their_private_names()  # (MessagePump's too)
    ours = frozenset(names_defined_by_our_plain_classes(ast.parse(source), {}))
    assert ours == {"_venue", "_tasks"}
    assert check_source(source, {}, ours) == []
    assert check_source(source, {}) == ["8: uses private other._tasks"]


if __name__ == "__main__":  # pragma: no cover - a listing for humans
    print("\n".join(violations()))
    sys.exit(0)
