"""Live tables diffed by key, on Textual's Line API (a ``ScrollView`` rendering line by line).

Rows are kept by key: ``sync`` / ``update_rows`` add new rows, drop vanished ones and rebuild
only the rows whose cells changed. Each row's line is a ``Strip`` cached by row key (and by
whether the cursor is on it); a changed row drops its strips and repaints only its own line.
The header is line 0 of the view at any vertical scroll; the table scrolls horizontally when
its columns are wider than the view. The cursor follows its row key across updates, reorders
and removals; it is never kept as an index.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import ClassVar, NamedTuple

from rich.cells import cell_len, set_cell_size
from rich.control import strip_control_codes
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import BindingType
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ..actions import bindings

#: The theme variables a cell's tone may name (a trailing "!" adds bold).
TONES = ("text-success", "text-error", "text-warning", "error", "warning")


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    numeric: bool = False


class Cell(NamedTuple):
    """A cell's text and tone: a theme variable name such as ``text-success`` ("" for none;
    a trailing "!" makes it bold, e.g. ``error!``)."""

    text: str
    tone: str = ""


#: A row's cells, or a function that builds them (called when the row is given).
CellsSource = Iterable[Cell] | Callable[[], Iterable[Cell]]


def fit(text: str, width: int, right: bool) -> str:
    """``text`` in exactly ``width`` cells: padded on the side away from its alignment, or cut
    with an ellipsis."""
    if not text.isprintable():
        text = strip_control_codes(text)
    length = cell_len(text)
    if length > width:
        return set_cell_size(text, width - 1) + "…"
    pad = " " * (width - length)
    return pad + text if right else text + pad


class RowMessage(Message):
    def __init__(self, table: KeyedTable, key: str) -> None:
        super().__init__()
        self.table = table
        self.key = key

    @property
    def control(self) -> KeyedTable:
        return self.table


class KeyedTable(ScrollView, can_focus=True):
    """A table whose rows are kept in sync with an ordered mapping of key -> cells."""

    COLUMNS: ClassVar[tuple[Column, ...]] = ()

    COMPONENT_CLASSES: ClassVar[set[str]] = {"keyed-table--header", "keyed-table--cursor"}

    DEFAULT_CSS = """
    KeyedTable {
        background: $surface;
        color: $foreground;
        height: 1fr;
        scrollbar-size-vertical: 1;
        & > .keyed-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        & > .keyed-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
        &:focus {
            background-tint: $foreground 5%;
            & > .keyed-table--header {
                background-tint: $foreground 5%;
            }
            & > .keyed-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = bindings("table")  # tui.app.actions

    class RowHighlighted(RowMessage):
        """The cursor moved to another row (``key``)."""

    class RowSelected(RowMessage):
        """Row ``key`` was chosen (enter, or a click)."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._keys: list[str] = []
        self._index: dict[str, int] = {}
        self._cells: dict[str, tuple[Cell, ...]] = {}
        # the source last given per row: the same object again means nothing to do
        self._sources: dict[str, object] = {}
        self._cursor_key: str | None = None
        self._cursor_index = 0  # where the cursor was, for when its row goes
        self._width = sum(col.width + 2 for col in self.COLUMNS)
        # Strips by (row key, cursor on it), the header's, and the styles they were built with
        self._strips: dict[tuple[str, bool], Strip] = {}
        self._header: Strip | None = None
        self._palette: tuple[Style, Style, Style, dict[str, Style]] | None = None

    def on_mount(self) -> None:
        self.virtual_size = Size(self._width, len(self._keys) + 1)
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self.notify_style_update())

    # ------------------------------------------------------------------ data

    @property
    def row_count(self) -> int:
        return len(self._keys)

    @property
    def row_keys(self) -> list[str]:
        """The row keys, top to bottom."""
        return list(self._keys)

    @property
    def selected_key(self) -> str | None:
        """The key of the row under the cursor (None if the table is empty)."""
        return self._cursor_key

    @property
    def cursor_row(self) -> int:
        """The cursor's row index now (0 if the table is empty)."""
        return self._index.get(self._cursor_key, 0) if self._cursor_key is not None else 0

    def cells(self, key: str) -> tuple[Cell, ...] | None:
        return self._cells.get(key)

    def cell(self, key: str, column: str) -> Cell | None:
        """The cell shown in row ``key``, column ``column`` (None if no such row)."""
        cells = self._cells.get(key)
        if cells is None:
            return None
        return cells[[c.key for c in self.COLUMNS].index(column)]

    def sync(self, rows: Mapping[str, CellsSource]) -> bool:
        """Show exactly ``rows``, in their order. Returns True if anything changed."""
        removed = [k for k in self._cells if k not in rows]
        return self._apply(rows, removed, list(rows))

    def update_rows(self, rows: Mapping[str, CellsSource], removed: Iterable[str] = ()) -> bool:
        """Add (at the end, in order) or update ``rows`` and drop ``removed``; every other row
        stays as it is. Returns True if anything changed."""
        return self._apply(rows, [k for k in removed if k in self._cells], None)

    def _apply(
        self, rows: Mapping[str, CellsSource], removed: list[str], order: list[str] | None
    ) -> bool:
        for key in removed:
            del self._cells[key]
            self._sources.pop(key, None)
            self._forget(key)
        added: list[str] = []
        changed: list[str] = []
        for key, source in rows.items():
            if self._sources.get(key) is source:
                continue
            self._sources[key] = source
            cells = tuple(source() if callable(source) else source)
            old = self._cells.get(key)
            if old == cells:
                continue
            self._cells[key] = cells
            if old is None:
                added.append(key)
            else:
                self._forget(key)
                changed.append(key)
        if order is None and (removed or added):
            order = [k for k in self._keys if k in self._cells] + added
        if order is not None and order != self._keys:
            self._keys = order
            self._index = {key: i for i, key in enumerate(order)}
            if self.is_mounted:
                self.virtual_size = Size(self._width, len(order) + 1)
            self._place_cursor()
            self.refresh()
            return True
        for key in changed:
            self._refresh_row(self._index[key])
        return bool(changed)

    def _forget(self, key: str) -> None:
        for cursor in (False, True):
            self._strips.pop((key, cursor), None)

    # ------------------------------------------------------------------ cursor

    def select_key(self, key: str) -> None:
        index = self._index.get(key)
        if index is not None:
            self._move_to(index)

    def _place_cursor(self) -> None:
        """After the rows changed: the cursor stays on its key, or (its row gone) on the row
        that took its place, or on the first row of a table that was empty."""
        key = self._cursor_key
        if key is not None and key in self._index:
            self._cursor_index = self._index[key]
            self._scroll_to_row(self._cursor_index)
            return
        self._cursor_key = None
        if self._keys:
            self._move_to(min(self._cursor_index, len(self._keys) - 1))
        else:
            self._cursor_index = 0

    def _move_to(self, index: int) -> None:
        if not self._keys:
            return
        index = max(0, min(index, len(self._keys) - 1))
        key = self._keys[index]
        old = self._cursor_key
        self._cursor_index = index
        self._scroll_to_row(index)
        if key == old:
            return
        self._cursor_key = key
        if old is not None and old in self._index:
            self._refresh_row(self._index[old])
        self._refresh_row(index)
        self.post_message(self.RowHighlighted(self, key))

    def _body_height(self) -> int:
        """How many rows the view shows below the header."""
        return max(self.scrollable_content_region.height - 1, 0)

    def _scroll_to_row(self, index: int) -> None:
        height = self._body_height()
        if not height or not self.is_mounted:
            return
        top = self.scroll_offset.y
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + height:
            self.scroll_to(y=index - height + 1, animate=False)

    def action_move_cursor(self, step: int) -> None:
        self._move_to(self.cursor_row + step)

    def action_move_page(self, step: int) -> None:
        self._move_to(self.cursor_row + step * max(self._body_height(), 1))

    def action_cursor_to_row(self, index: int) -> None:
        self._move_to(index if index >= 0 else len(self._keys) - 1)

    def action_select_row(self) -> None:
        if self._cursor_key is not None:
            self.post_message(self.RowSelected(self, self._cursor_key))

    def on_click(self, event: events.Click) -> None:
        offset = event.get_content_offset(self)
        if offset is None or offset.y == 0:  # (line 0 is the header)
            return
        index = offset.y - 1 + self.scroll_offset.y
        if index < len(self._keys):
            self._move_to(index)
            self.action_select_row()

    # ------------------------------------------------------------------ rendering

    def notify_style_update(self) -> None:
        """The styles (or the theme) changed: every line is rebuilt if they differ."""
        super().notify_style_update()
        self._palette = None
        self.refresh()

    def _refresh_row(self, index: int) -> None:
        y = index + 1 - self.scroll_offset.y  # (the view's line)
        if 1 <= y < self.scrollable_content_region.height:
            self.refresh_line(index + 1)

    def _line_styles(self) -> tuple[Style, Style, Style, dict[str, Style]]:
        """(base, header, cursor, tone styles by tone): what every line is built from. The
        cached lines are dropped when these differ from what they were built with."""
        base = self.rich_style
        palette = self._palette
        if palette is None or palette[0] != base:
            variables = self.app.theme_variables
            tones = {}
            for name in TONES:
                colour = variables.get(name, "")
                if colour.startswith("#"):  # (some variables, e.g. "auto 60%", are no colour)
                    tones[name] = Style(color=colour)
                    tones[f"{name}!"] = Style(color=colour, bold=True)
            new = (
                base,
                base + self.get_component_rich_style("keyed-table--header"),
                self.get_component_rich_style("keyed-table--cursor"),
                tones,
            )
            if new != palette:
                self._strips.clear()
                self._header = None
            palette = self._palette = new
        return palette

    def _row_strip(self, key: str, cursor: bool) -> Strip:
        strip = self._strips.get((key, cursor))
        if strip is None:
            base, _, cursor_style, tones = self._line_styles()
            after = cursor_style if cursor else Style.null()  # (the cursor's colours win)
            segments = [
                Segment(
                    f" {fit(cell.text, col.width, col.numeric)} ",
                    base + tones.get(cell.tone, Style.null()) + after,
                )
                for cell, col in zip(self._cells[key], self.COLUMNS)
            ]
            strip = self._strips[(key, cursor)] = Strip(segments, self._width).simplify()
        return strip

    def render_line(self, y: int) -> Strip:
        base, header, cursor_style, _ = self._line_styles()
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if y == 0:
            if self._header is None:
                labels = [f" {fit(c.label, c.width, c.numeric)} " for c in self.COLUMNS]
                self._header = Strip([Segment("".join(labels), header)], self._width)
            return self._header.crop_extend(scroll_x, scroll_x + width, header)
        index = y - 1 + scroll_y
        if index >= len(self._keys):
            return Strip.blank(width, base)
        key = self._keys[index]
        cursor = key == self._cursor_key
        fill = base + cursor_style if cursor else base
        return self._row_strip(key, cursor).crop_extend(scroll_x, scroll_x + width, fill)
