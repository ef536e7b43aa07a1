"""Locate the stylesheets the same way installed and in a checkout.

pyproject's hatch ``force-include`` ships the top-level ``styles/`` folder inside the wheel as
``tui/styles``; in a source checkout it sits next to the ``tui`` package as ``styles/``.
"""

from __future__ import annotations

from pathlib import Path

STYLESHEETS: tuple[str, ...] = ("desk.tcss", "modals.tcss", "screens.tcss")

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent  # .../tui


def styles_dir() -> Path:
    """The folder holding the ``.tcss`` files: ``tui/styles`` when installed, else ``styles/``."""
    installed = _PACKAGE_ROOT / "styles"
    if (installed / STYLESHEETS[0]).is_file():
        return installed
    checkout = _PACKAGE_ROOT.parent / "styles"
    if (checkout / STYLESHEETS[0]).is_file():
        return checkout
    raise FileNotFoundError(
        f"collateral-tui stylesheets not found in {installed} or {checkout}; "
        "the package was built without its styles/ folder"
    )


def css_paths() -> list[Path]:
    folder = styles_dir()
    return [folder / name for name in STYLESHEETS]
