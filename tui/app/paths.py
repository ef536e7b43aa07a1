"""Locate the stylesheets the same way installed and in a checkout.

pyproject's hatch ``force-include`` ships the top-level ``styles/`` folder inside the wheel as
``tui/styles``; in a source checkout it sits next to the ``tui`` package as ``styles/``.

Textual parses every stylesheet it is given when the app starts (~10 us a token, nothing is
cached across runs), so the app's ``CSS_PATH`` holds only what the desk's first frame needs
(bench: cold_start). The rest is read when first needed: the order entry's rules when the entry
builds its forms (:func:`add_stylesheets`), the dialogs' and other screens' rules by Textual when
such a screen is first shown (their classes name them in ``CSS_PATH``). The app also adds both
just after the desk's first frame, so no key ever waits for them. Each rule lives in the file of
the widgets it matches, so a file read later restyles nothing already on screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

#: The app's CSS_PATH: the desk's first frame.
STYLESHEETS: tuple[str, ...] = ("desk.tcss",)
#: The order entry's tabs and forms (built just after the first frame).
ENTRY_STYLESHEETS: tuple[str, ...] = ("entry.tcss",)
#: Modal dialogs (confirmations, close, close-all, leverage, help): their CSS_PATH.
MODAL_STYLESHEETS: tuple[str, ...] = ("modals.tcss",)
#: Full screens other than the desk (history, start error): their CSS_PATH.
SCREEN_STYLESHEETS: tuple[str, ...] = ("screens.tcss",)

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


def css_paths(names: tuple[str, ...] = STYLESHEETS) -> list[Path]:
    folder = styles_dir()
    return [folder / name for name in names]


def later_css_paths() -> list[Path]:
    """Every stylesheet the app's CSS_PATH leaves out."""
    return css_paths(ENTRY_STYLESHEETS + MODAL_STYLESHEETS + SCREEN_STYLESHEETS)


def add_stylesheets(app: App[object], paths: Iterable[Path]) -> None:
    """Add stylesheets to a running app's, once each (as Textual reads a screen's CSS_PATH,
    under the same name), without restyling what is mounted: only for rules that match nothing
    on screen yet. Widgets mounted afterwards are styled with them."""
    stylesheet = app.stylesheet
    for path in paths:
        if not stylesheet.has_source(str(path), ""):
            stylesheet.add_source(
                path.read_text(encoding="utf-8"), read_from=(str(path), ""), is_default_css=False
            )
