"""Locate the stylesheets the same way installed and in a checkout.

pyproject's hatch ``force-include`` ships the top-level ``styles/`` folder inside the wheel as
``tui/styles``; in a source checkout it sits next to the ``tui`` package as ``styles/``. The
app's ``CSS_PATH`` is every ``.tcss`` file there (:func:`css_paths`); each file holds the rules
of the widgets it is named after (desk, order entry, dialogs, other screens).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # .../tui
_MARKER = "desk.tcss"  # a file every styles folder has


def styles_dir() -> Path:
    """The folder holding the ``.tcss`` files: ``tui/styles`` when installed, else ``styles/``."""
    installed = _PACKAGE_ROOT / "styles"
    if (installed / _MARKER).is_file():
        return installed
    checkout = _PACKAGE_ROOT.parent / "styles"
    if (checkout / _MARKER).is_file():
        return checkout
    raise FileNotFoundError(
        f"collateral-tui stylesheets not found in {installed} or {checkout}; "
        "the package was built without its styles/ folder"
    )


def css_paths() -> list[Path]:
    """Every stylesheet, in name order: the app's ``CSS_PATH``."""
    return sorted(styles_dir().glob("*.tcss"))
