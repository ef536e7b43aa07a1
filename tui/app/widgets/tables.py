"""Live tables diffed by key: add new rows, remove vanished ones, update only changed cells.

Never ``clear()`` on a tick: it is slow and loses the cursor. Numeric columns have fixed widths
(no ``update_width`` on the hot path). The cursor is restored by row key after removals.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from rich.text import Text
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist, RowKey


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    numeric: bool = False


@dataclass(frozen=True, slots=True)
class Cell:
    """A cell's text and a style name (a theme variable such as ``success``, or "")."""

    text: str
    tone: str = ""


class KeyedTable(DataTable[Text]):
    """A DataTable whose rows are kept in sync with a mapping of key -> cells."""

    COLUMNS: tuple[Column, ...] = ()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._cells: dict[str, tuple[Cell, ...]] = {}
        self._tones: dict[str, str] = {}

    def on_mount(self) -> None:
        for col in self.COLUMNS:
            self.add_column(
                Text(col.label, justify="right" if col.numeric else "left"),
                key=col.key,
                width=col.width,
            )
        self._refresh_tones()
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._retheme())

    # ------------------------------------------------------------------ public

    @property
    def selected_key(self) -> str | None:
        """The row key under the cursor, resolved now (never a cached index)."""
        if self.row_count == 0:
            return None
        try:
            row_key, _ = self.coordinate_to_cell_key(self.cursor_coordinate)
        except Exception:  # cursor outside the table (no rows)
            return None
        return row_key.value

    def sync(self, rows: Mapping[str, Iterable[Cell]]) -> bool:
        """Bring the table in line with ``rows`` (ordered). Returns True if anything changed."""
        selected = self.selected_key
        changed = False
        with self.app.batch_update():
            for key in [k for k in self._cells if k not in rows]:
                self.remove_row(key)
                del self._cells[key]
                changed = True
            for key, cells in rows.items():
                new = tuple(cells)
                old = self._cells.get(key)
                if old is None:
                    self.add_row(
                        *(self._render(c, col) for c, col in zip(new, self.COLUMNS)), key=key
                    )
                    changed = True
                else:
                    for col, before, after in zip(self.COLUMNS, old, new):
                        if before != after:
                            self.update_cell(key, col.key, self._render(after, col))
                            changed = True
                self._cells[key] = new
            if changed and selected is not None and selected in self._cells:
                self._restore(selected)
        return changed

    def cells(self, key: str) -> tuple[Cell, ...] | None:
        return self._cells.get(key)

    def select_key(self, key: str) -> None:
        self._restore(key)

    # ------------------------------------------------------------------ internals

    def _restore(self, key: str) -> None:
        try:
            index = self.get_row_index(key)
        except RowDoesNotExist:
            return
        if index != self.cursor_row:
            self.move_cursor(row=index, animate=False, scroll=True)

    def _refresh_tones(self) -> None:
        variables = self.app.theme_variables
        # Only plain colours: some variables ("auto 60%") are not Rich styles.
        self._tones = {
            name: value
            for name in ("text-success", "text-error", "text-warning", "error", "warning")
            if (value := variables.get(name, "")).startswith("#")
        }

    def _render(self, cell: Cell, col: Column) -> Text:
        style = ""
        if cell.tone:
            bold = cell.tone.endswith("!")
            tone = cell.tone.rstrip("!")
            style = self._tones.get(tone, "")
            if bold:
                style = f"bold {style}".strip()
        return Text(
            cell.text,
            style=style,
            justify="right" if col.numeric else "left",
            no_wrap=True,
            overflow="ellipsis",
        )

    def _retheme(self) -> None:
        self._refresh_tones()
        with self.app.batch_update():
            for key, cells in self._cells.items():
                for col, cell in zip(self.COLUMNS, cells):
                    if cell.tone:
                        self.update_cell(key, col.key, self._render(cell, col))

    @staticmethod
    def key_of(row_key: RowKey) -> str:
        return str(row_key.value)
