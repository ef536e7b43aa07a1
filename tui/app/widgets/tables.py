"""Live tables diffed by key: add new rows, remove vanished ones, update only changed cells.

Never ``clear()`` on a tick: it is slow and loses the cursor. Numeric columns have fixed widths
(no ``update_width`` on the hot path). The cursor is restored by row key after removals.

Changed cells are written without ``DataTable.update_cell``: that bumps the table-wide update
counter, which every render cache keys on, so one changed cell re-renders every visible cell
(measured: most of the cost of applying a snapshot, see bench/RESULTS.md). ``_set_cells`` writes
the cells, forgets the cached renders of those rows only and refreshes only their lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, Self

from rich.cells import cell_len, set_cell_size
from rich.console import Console, ConsoleOptions, RenderResult
from rich.control import strip_control_codes
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual._segment_tools import line_crop
from textual.cache import LRUCache
from textual.color import Color
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import DataTable
from textual.coordinate import Coordinate
from textual.widgets.data_table import ColumnKey, RowDoesNotExist, RowKey


_NULL_STYLE = Style.null()  # what Padding's default style "none" resolves to
_CELL_SEGMENTS_MAX = 8192  # cached body cells (KeyedTable._body_line), all states together


class _LineFrame(NamedTuple):
    """What KeyedTable reads of itself to render a line, once per frame."""

    width: int
    scroll_x: int
    scroll_y: int
    fixed_height: int  # the lines that do not scroll (header, fixed rows)
    base_style: Style  # rich_style
    header: int  # the header's lines (0 if hidden)
    body: bool  # body lines can take the fast path (row cursor, no fixed columns/labels/zebra)
    columns: tuple[tuple[ColumnKey, int], ...]  # (key, render width) in order
    remaining: int  # the fill after the last column
    line_length: int  # a body line's cells before cropping: the columns and the fill
    fixed_rows: int
    cursor: Coordinate
    hover: Coordinate
    show_cursor: bool
    show_hover: bool
    css_fg: bool
    css_bg: bool
    padding: int


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    label: str
    width: int
    numeric: bool = False


class LineCell:
    """What the table holds for a cell: one line of text aligned in its column, one style.

    Renders exactly what ``Text(text, style=style, justify=..., no_wrap=True,
    overflow="ellipsis")`` renders on one line, without Rich's wrapping and justification
    machinery: the DataTable renders every cell it repaints through Rich, and for plain
    one-line cells most of that work is Text's (tests/app/test_keyed_table.py compares the two).
    """

    __slots__ = ("right", "style", "text")

    def __init__(self, text: str, style: Style | None, right: bool) -> None:
        # (control codes are never printable: most text skips the strip)
        self.text = text if text.isprintable() else strip_control_codes(text)
        self.style = style or None  # (a null style renders as None, as Text does)
        self.right = right

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"LineCell({self.text!r})"

    def line(self, width: int) -> str:
        """The text fitted to ``width`` cells: padded on the side away from its alignment, or
        cut with an ellipsis."""
        text = self.text
        length = cell_len(text)
        if length > width:
            return set_cell_size(text, width - 1) + "…"
        if length < width:
            pad = " " * (width - length)
            return pad + text if self.right else text + pad
        return text

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Segment(self.line(options.max_width), self.style)
        yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        length = cell_len(self.text)
        return Measurement(length, length)


class Cell(NamedTuple):
    """A cell's text and a style name (a theme variable such as ``success``, or "").

    A NamedTuple rather than a frozen dataclass: the desk builds a dozen per changed row on
    every snapshot, and a frozen dataclass's ``__init__`` costs several times more.
    """

    text: str
    tone: str = ""


#: A row's cells, or a function that builds them: a row given as a function is built only when
#: it is on screen (or asked for), so a snapshot that changes rows scrolled out of view costs
#: nothing for them until they are scrolled to.
CellsSource = Iterable[Cell] | Callable[[], Iterable[Cell]]


class KeyedTable(DataTable[LineCell]):
    """A DataTable whose rows are kept in sync with a mapping of key -> cells.

    Rows may be given as functions (``CellsSource``): an existing row whose line is outside the
    window keeps showing its old cells and its function is kept *pending*; it is called when
    the row's line is rendered (it scrolled into view: a scroll repaints the table) or when
    its cells are asked for (``cells``), whichever comes first. What is shown is always what
    building every row at once would show (tests/app/test_keyed_table.py).
    """

    COLUMNS: tuple[Column, ...] = ()

    def __init__(self, **kwargs: object) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)  # type: ignore[arg-type]
        self._cells: dict[str, tuple[Cell, ...]] = {}
        # the source last given for each row (the same object again: nothing to do) and the
        # rows whose source is still to be built (off screen when it came)
        self._sources: dict[str, object] = {}
        self._pending: dict[str, Callable[[], Iterable[Cell]]] = {}
        self._tones: dict[str, str] = {}
        self._tone_styles: dict[str, Style] = {}
        self._cell_styles: dict[tuple[object, ...], tuple[Style, Style]] = {}
        self._frame_params: tuple[int, int, int, bool, bool, bool] | None = None
        # what render_line and _render_line read of the widget, once per frame (_line_frame)
        self._line_frame: _LineFrame | None = None
        # the segments of a body cell, by (base, component, post style, padding), then by
        # (cell, row index, column index, width): see _body_line
        self._cell_segments: dict[tuple[object, ...], dict[tuple[object, ...], Any]] = {}
        self._cell_segment_count = 0
        # rich_style and background_colors, with the styles they were computed from
        self._styles_cached: dict[str, tuple[list[tuple[object, int]], Any]] = {}

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

    def sync(self, rows: Mapping[str, CellsSource]) -> bool:
        """Bring the table in line with ``rows`` (ordered). Returns True if anything changed
        on screen now (a pending off-screen row is not a change until it is built)."""
        return self._update(rows, [k for k in self._cells if k not in rows])

    def update_rows(self, rows: Mapping[str, CellsSource], removed: Iterable[str] = ()) -> bool:
        """Like ``sync`` for the rows named only: ``rows`` are added (at the end, in order) or
        updated, ``removed`` taken out; every other row stays as it is. Returns True if
        anything changed."""
        return self._update(rows, [k for k in removed if k in self._cells])

    def _update(self, rows: Mapping[str, CellsSource], removed: list[str]) -> bool:
        selected = self.selected_key
        changed = False
        edits: dict[str, list[tuple[str, LineCell]]] = {}
        sources = self._sources
        pending = self._pending
        with self.app.batch_update():
            for key in removed:
                self.remove_row(key)
                del self._cells[key]
                sources.pop(key, None)
                pending.pop(key, None)
                changed = True
            window = self._window_lines() if pending or rows else None
            for key, source in rows.items():
                if sources.get(key) is source:  # (the desk reuses unchanged rows' sources)
                    continue
                sources[key] = source
                old = self._cells.get(key)
                if old is None:
                    new = _build(source)
                    self.add_row(
                        *(self._render(c, col) for c, col in zip(new, self.COLUMNS)), key=key
                    )
                    self._cells[key] = new
                    changed = True
                    continue
                if callable(source) and not self._on_screen(key, window):
                    pending[key] = source
                    continue
                pending.pop(key, None)
                self._edit(key, old, _build(source), edits)
            if edits:
                self._set_cells(edits)
                changed = True
            if changed and selected is not None and selected in self._cells:
                self._restore(selected)
        return changed

    def _edit(
        self,
        key: str,
        old: tuple[Cell, ...],
        new: tuple[Cell, ...],
        edits: dict[str, list[tuple[str, LineCell]]],
    ) -> None:
        if old != new:
            edits[key] = [
                (col.key, self._render(after, col))
                for col, before, after in zip(self.COLUMNS, old, new)
                if before != after
            ]
        self._cells[key] = new

    def _window_lines(self) -> tuple[int, int]:
        """The table's lines (header included, before scrolling) in its window: [top, bottom)."""
        window = self.window_region
        return window.y, window.bottom

    def _on_screen(self, key: str, window: tuple[int, int] | None) -> bool:
        index = self._row_locations.get(key)  # (a row key is found by its string)
        if index is None or window is None:
            return True
        line = index + (self.header_height if self.show_header else 0)
        return window[0] <= line < window[1]

    def _build_pending(self, keys: Iterable[str]) -> None:
        """Build the pending rows among ``keys`` now and show what changed."""
        edits: dict[str, list[tuple[str, LineCell]]] = {}
        for key in keys:
            source = self._pending.pop(key, None)
            if source is not None:
                self._edit(key, self._cells[key], _build(source), edits)
        if edits:
            self._set_cells(edits)

    def _build_rendered(self, crop: Region) -> None:
        """Build the pending rows whose lines ``crop`` (widget lines) is about to render."""
        header = self.header_height if self.show_header else 0
        first = max(crop.y, header) + self.scroll_offset.y - header
        last = crop.bottom + self.scroll_offset.y - header
        get_key = self._row_locations.get_key
        keys = []
        for index in range(max(first, 0), last):
            row_key = get_key(index)
            if row_key is not None and row_key.value in self._pending:
                keys.append(row_key.value)
        if keys:
            self._build_pending(keys)

    def cells(self, key: str) -> tuple[Cell, ...] | None:
        if key in self._pending:
            self._build_pending([key])
        return self._cells.get(key)

    # DataTable's own readers of the row data (what sorting and copying read) see every
    # row built
    def get_cell(self, row_key: RowKey | str, column_key: ColumnKey | str) -> LineCell:
        self._build_pending([row_key.value if isinstance(row_key, RowKey) else row_key])
        return super().get_cell(row_key, column_key)

    def get_row(self, row_key: RowKey | str) -> list[LineCell]:
        self._build_pending([row_key.value if isinstance(row_key, RowKey) else row_key])
        return super().get_row(row_key)

    def get_column(self, column_key: ColumnKey | str) -> Iterable[LineCell]:
        self._build_pending(list(self._pending))
        return super().get_column(column_key)

    def sort(self, *columns: ColumnKey | str, key: Any = None, reverse: bool = False) -> Self:
        self._build_pending(list(self._pending))
        return super().sort(*columns, key=key, reverse=reverse)

    def cell(self, key: str, column: str) -> Cell | None:
        """The cell shown in row ``key``, column ``column`` (None if no such row)."""
        cells = self._cells.get(key)
        if cells is None:
            return None
        index = [c.key for c in self.COLUMNS].index(column)
        return cells[index]

    def select_key(self, key: str) -> None:
        self._restore(key)

    # ------------------------------------------------------------------ internals

    def render_lines(self, crop: Region) -> list[Strip]:
        if self._pending:
            # (rows scrolled into view: built now; their lines are refreshed, which marks
            # them for this render and repaints them once more in the next frame)
            self._build_rendered(crop)
        self._frame_params = None  # settings may have changed since the last frame
        self._line_frame = None
        self._frame_params = self._read_frame_params()
        try:
            return super().render_lines(crop)
        finally:
            self._frame_params = None
            self._line_frame = None

    def _render_line_in_row(
        self,
        row_key: RowKey,
        line_no: int,
        base_style: Style,
        cursor_location: Coordinate,
        hover_location: Coordinate,
    ) -> tuple[list[list[Segment]], list[list[Segment]]]:
        """``DataTable._render_line_in_row`` for our body rows, with the per-cell overhead taken
        out: no row labels, no fixed columns, a row cursor, no zebra stripes (all KeyedTable
        ever uses). The same cells and the same trailing fill, cached under the same key;
        anything else goes to DataTable. tests/app/test_keyed_table.py compares the two."""
        if (
            self.cursor_type != "row"
            or self.fixed_columns
            or self.zebra_stripes
            or (self._labelled_row_exists and self.show_row_labels)
            or row_key not in self._row_locations
        ):
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        cache_key = (
            row_key,
            line_no,
            base_style,
            cursor_location,
            hover_location,
            "row",
            self.show_cursor,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cached = self._row_render_cache.get(cache_key)
        if cached is not None:
            return cached
        row_index = self._row_locations.get(row_key)
        if row_index < self.fixed_rows:
            return super()._render_line_in_row(
                row_key, line_no, base_style, cursor_location, hover_location
            )
        cursor = row_index == cursor_location.row
        hover = row_index == hover_location.row
        padding = 2 * self.cell_padding
        render_cell = self._render_cell
        scrollable_row: list[list[Segment]] = []
        table_width = self._row_label_column_width
        for column_index, column in enumerate(self.ordered_columns):
            width = padding + (column.content_width if column.auto_width else column.width)
            table_width += width
            lines = render_cell(row_index, column_index, base_style, width, cursor, hover)
            scrollable_row.append(lines[line_no])
        remaining_space = max(0, self.size.width - table_width)
        extend_style, _ = self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            self.show_cursor,
            self._show_hover_cursor,
            False,
            False,
        )
        extend_style = base_style + extend_style
        extend_style += Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
        scrollable_row.append([Segment(" " * remaining_space, extend_style)])
        row_pair: tuple[list[list[Segment]], list[list[Segment]]] = ([], scrollable_row)
        self._row_render_cache[cache_key] = row_pair
        return row_pair

    def render_line(self, y: int) -> Strip:
        """``DataTable.render_line`` with what it reads of the widget (size, scroll offset,
        the fixed rows' height and ``rich_style``, which walks every ancestor's styles) read
        once per frame (``_line_frame``) rather than once per line."""
        frame = self._get_line_frame()
        if y >= frame.fixed_height:
            y += frame.scroll_y
        return self._render_line(y, frame.scroll_x, frame.scroll_x + frame.width, frame.base_style)

    def _render_line(self, y: int, x1: int, x2: int, base_style: Style) -> Strip:
        """``DataTable._render_line`` for our body lines: the same Strip, cached in the same
        ``_line_cache`` under the same key, built without the intermediate lists and strips.

        DataTable joins the row's cell segments, crops them (``line_crop``), makes a Strip,
        fits it to the width (``adjust_cell_length``) and joins neighbours of equal style
        (``simplify``), three Strips per line. Here the line is built from each cell's segments
        already joined (cached per cell, see ``_body_line``): every segment of a cell carries
        the cell's ``{"row", "column"}`` meta and the fill its ``out_of_bounds`` meta, so
        segments of different cells never have equal styles and ``simplify`` can only ever join
        segments within a cell. Cropping and fitting are done only when needed. Anything else
        (header, fixed rows, labels, taller rows, other cursors, non-LineCell cells) goes to
        DataTable. tests/app/test_keyed_table.py compares the two strip for strip.
        """
        frame = self._get_line_frame()
        header = frame.header
        if not frame.body or y < header:
            return super()._render_line(y, x1, x2, base_style)
        offsets = self._y_offsets
        index = y - header
        if index >= len(offsets):
            return super()._render_line(y, x1, x2, base_style)
        row_key, line_no = offsets[index]
        width = frame.width
        cache_key = (
            y,
            x1,
            x2,
            width,
            frame.cursor,
            frame.hover,
            base_style,
            "row",
            frame.show_hover,
            self._update_count,
            self._pseudo_class_state,
        )
        line_cache = self._line_cache
        strip = line_cache.get(cache_key)
        if strip is not None:
            return strip
        row_index = self._row_locations.get(row_key)
        segments = (
            self._body_line(row_key, row_index, base_style, frame)
            if line_no == 0 and row_index is not None and row_index >= frame.fixed_rows
            else None
        )
        if segments is None:
            return super()._render_line(y, x1, x2, base_style)
        # line_crop(segments, x1, x2, width) as DataTable calls it: x2 >= width, so it only
        # ever cuts the start, and at x1 = 0 it returns the segments as they are (the first
        # is never empty)
        length = frame.line_length
        if x1:
            segments = line_crop(segments, x1, x2, width)
            length = max(0, length - x1)
        # Strip.adjust_cell_length(width, base_style)
        if length < width:
            segments.append(Segment(" " * (width - length), base_style))
        elif length > width:
            fitted: list[Segment] = []
            used = 0
            for segment in segments:
                cells = segment.cell_length
                if used + cells < width:
                    fitted.append(segment)
                    used += cells
                else:
                    fitted.append(Segment(set_cell_size(segment.text, width - used), segment.style))
                    break
            segments = fitted
        strip = Strip(segments, width)
        line_cache[cache_key] = strip
        return strip

    @property
    def rich_style(self) -> Style:
        """``DOMNode.rich_style``, recomputed only when a style of the table or of one of its
        ancestors changed (it walks them all: ~50 us, once per rendered line in DataTable)."""
        return self._styles_dependent("rich_style")  # type: ignore[no-any-return]

    @property
    def background_colors(self) -> tuple[Color, Color]:
        """``DOMNode.background_colors`` (read once per render), cached as ``rich_style``."""
        return self._styles_dependent("background_colors")  # type: ignore[no-any-return]

    def _styles_dependent(self, name: str) -> Any:
        """A DOMNode property computed from the styles of this node and its ancestors, cached
        under each of those nodes and its styles' update counter: every change to a style
        rule (CSS applied, pseudo-class or theme change, inline styles, animation) goes
        through ``set_rule``/``clear_rule``/``merge``/``reset``, which bump it."""
        key = [(node, node.styles._cache_key) for node in self.ancestors_with_self]
        cached = self._styles_cached.get(name)
        if cached is not None and cached[0] == key:
            return cached[1]
        value = getattr(DataTable, name).fget(self)  # (DOMNode's, as DataTable resolves it)
        self._styles_cached[name] = (key, value)
        return value

    def _get_line_frame(self) -> _LineFrame:
        frame = self._line_frame
        if frame is None:
            frame = self._read_line_frame()
            if self._frame_params is not None:  # inside render_lines: kept for this frame
                self._line_frame = frame
        return frame

    def _read_line_frame(self) -> _LineFrame:
        """What rendering a line reads of the widget: nothing of it can change in the middle
        of one ``render_lines`` call."""
        width = self.size.width
        scroll_x, scroll_y = self.scroll_offset
        get_key = self._row_locations.get_key
        fixed_rows = self.fixed_rows
        fixed_height = sum(self.get_row_height(get_key(index)) for index in range(fixed_rows))
        show_header = self.show_header
        if show_header:
            fixed_height += self.get_row_height(self._header_row_key)
        padding = self.cell_padding
        # (Column.get_render_width, without reading cell_padding once per column)
        columns = tuple(
            (c.key, 2 * padding + (c.content_width if c.auto_width else c.width))
            for c in self.ordered_columns
        )
        columns_width = sum(w for _, w in columns)
        remaining = max(0, width - (columns_width + self._row_label_column_width))
        return _LineFrame(
            width=width,
            scroll_x=scroll_x,
            scroll_y=scroll_y,
            fixed_height=fixed_height,
            base_style=self.rich_style,
            header=self.header_height if show_header else 0,
            body=(
                self.cursor_type == "row"
                and not self.fixed_columns
                and not self.zebra_stripes
                and not (self._labelled_row_exists and self.show_row_labels)
            ),
            columns=columns,
            remaining=remaining,
            line_length=columns_width + remaining,
            fixed_rows=fixed_rows,
            cursor=self.cursor_coordinate,
            hover=self.hover_coordinate,
            show_cursor=self.show_cursor,
            show_hover=self._show_hover_cursor,
            css_fg=self.cursor_foreground_priority == "css",
            css_bg=self.cursor_background_priority == "css",
            padding=padding,
        )

    def _body_line(
        self, row_key: RowKey, row_index: int, base_style: Style, frame: _LineFrame
    ) -> list[Segment] | None:
        """The segments of a one-line body row, each cell's neighbours of equal style joined
        (what ``Strip.simplify`` does), and the fill to the widget's width; None if a cell is
        not a LineCell (DataTable renders the line).

        A cell's segments depend on the cell, its place (the meta), its width and the styles
        (base, and the cursor/hover component and post styles, which cover the pseudo-class
        state and the theme): they are cached under exactly that, the LineCell by identity
        (a changed cell is a new LineCell), so a changed row re-renders only its changed cells.
        """
        if self.rows[row_key].height != 1:
            return None
        cursor = row_index == frame.cursor.row
        hover = row_index == frame.hover.row
        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            frame.show_cursor,
            frame.show_hover,
            frame.css_fg,
            frame.css_bg,
        )
        padding = frame.padding
        state = (base_style, component_style, post_style, padding)
        cache = self._cell_segments.get(state)
        if cache is None:
            cache = self._cell_segments[state] = {}
        data = self._data.get(row_key)
        if data is None:
            return None
        line: list[Segment] = []
        add = line.extend
        for column_index, (column_key, width) in enumerate(frame.columns):
            cell = data.get(column_key)
            if not isinstance(cell, LineCell):  # (hashed by identity: LineCells only)
                return None
            key = (cell, row_index, column_index, width)
            segments = cache.get(key)
            if segments is None:
                if width <= 2 * padding:
                    return None
                segments = cache[key] = self._body_cell(
                    cell, row_index, column_index, width, state, cache
                )
                self._count_cell_segments()
            add(segments)
        fill_key = ("fill", row_index, frame.remaining)
        fill = cache.get(fill_key)
        if fill is None:
            # DataTable's extend style: the row's style and the cursor/hover component style
            # (the cell's, without the css-priority post style), and the out-of-bounds meta
            meta = Style.from_meta({"row": row_index, "column": 0, "out_of_bounds": True})
            fill = cache[fill_key] = (
                Segment(" " * frame.remaining, base_style + component_style + meta),
            )
            self._count_cell_segments()
        add(fill)
        return line

    def _body_cell(
        self,
        cell: LineCell,
        row_index: int,
        column_index: int,
        width: int,
        state: tuple[Style, Style, Style, int],
        cache: dict[tuple[object, ...], Any],
    ) -> tuple[Segment, ...]:
        """What ``_render_cell`` renders for a LineCell body cell (the same styles, from the
        same ``_cell_styles``), its segments of equal style joined as ``Strip.simplify`` joins
        them: an unstyled cell's padding and text are one segment. The final styles of a
        cell's text and padding (its tone in its place, in ``state``) are kept in ``cache``."""
        pad = state[3]
        text = cell.line(width - 2 * pad)
        styles_key = ("styles", cell.style, row_index, column_index)
        final = cache.get(styles_key)
        if final is None:
            final = cache[styles_key] = self._body_cell_styles(
                cell.style, row_index, column_index, state
            )
            self._count_cell_segments()
        text_style, blank_style, joined = final
        if not pad:
            return (Segment(text, text_style),)
        blank = " " * pad
        if joined:
            return (Segment(blank + text + blank, blank_style),)
        return (
            Segment(blank, blank_style),
            Segment(text, text_style),
            Segment(blank, blank_style),
        )

    def _body_cell_styles(
        self,
        own: Style | None,
        row_index: int,
        column_index: int,
        state: tuple[Style, Style, Style, int],
    ) -> tuple[Style, Style, bool]:
        """A body cell's text and padding styles (what ``_render_cell`` gives them), and
        whether they are equal (then ``Strip.simplify`` joins the padding and the text)."""
        base_style, component_style, post_style, _ = state
        styles = self._cell_styles.get((base_style, component_style, post_style, own))
        if styles is None:
            pre = base_style + component_style

            def styled(own: Style | None) -> Style:
                style = (pre + own) if pre else own
                if post_style:
                    style = style + post_style if style else post_style
                return style or _NULL_STYLE

            styles = (styled(own), styled(_NULL_STYLE))
            if len(self._cell_styles) > 256:
                self._cell_styles.clear()
            self._cell_styles[(base_style, component_style, post_style, own)] = styles
        meta = Style.from_meta({"row": row_index, "column": column_index})
        text_style = styles[0] + meta
        blank_style = styles[1] + meta
        return text_style, blank_style, text_style == blank_style

    def _count_cell_segments(self) -> None:
        # bounded: the cached cells keep replaced LineCells alive until dropped
        self._cell_segment_count += 1
        if self._cell_segment_count > _CELL_SEGMENTS_MAX:
            self._cell_segments.clear()
            self._cell_segment_count = 0

    def _read_frame_params(self) -> tuple[int, int, int, bool, bool, bool]:
        return (
            self.fixed_rows,
            self.fixed_columns,
            self.cell_padding,
            self.show_cursor,
            self.cursor_foreground_priority == "css",
            self.cursor_background_priority == "css",
        )

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """``DataTable._render_cell`` for our one-line ``LineCell`` body cells, without Rich.

        DataTable renders every cell through ``Styled(Padding(cell))`` and the console: the
        padding, the style arithmetic and the line splitting cost more than the cell itself.
        For a one-line LineCell the result is three segments (left pad, text, right pad) with
        the same styles Rich would give them, built here directly and cached under the same
        key. Anything else (header, labels, fixed cells, taller rows) goes to DataTable.
        tests/app/test_keyed_table.py compares the two, cell by cell, in every cursor state.
        """
        # The table's settings, read once per frame (reactive reads cost more than the cell)
        params = self._frame_params or self._read_frame_params()
        fixed_rows, fixed_columns, pad, show_cursor, fg_css, bg_css = params
        if row_index < fixed_rows or column_index < fixed_columns:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        cache_key = (
            row_key,
            column_key,
            base_style,
            cursor,
            hover,
            self._show_hover_cursor,
            self._update_count,
            self._pseudo_class_state,
        )
        cache = self._cell_render_cache
        lines = cache.get(cache_key)
        if lines is not None:
            return lines
        row = self.rows.get(row_key) if row_key is not None else None
        cell = self._data.get(row_key, {}).get(column_key) if row is not None else None
        if not isinstance(cell, LineCell) or row is None or row.height != 1 or width <= 2 * pad:
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        component_style, post_style = self._get_styles_to_render_cell(
            False,
            False,
            False,
            hover,
            cursor,
            show_cursor,
            self._show_hover_cursor,
            fg_css,
            bg_css,
        )
        # What Styled(Padding(cell, (0, pad)), pre_style=..., post_style=...) yields: each
        # segment's style becomes (base + meta + component) + own + post (Segment.apply_style).
        # The meta (row and column, for mouse clicks) carries no colour or attribute, so it
        # can go last: the styles without it repeat across cells and are computed once.
        styles = self._cell_styles.get((base_style, component_style, post_style, cell.style))
        if styles is None:
            pre = base_style + component_style

            def styled(own: Style | None) -> Style:
                style = (pre + own) if pre else own
                if post_style:
                    style = style + post_style if style else post_style
                return style or _NULL_STYLE

            styles = (styled(cell.style), styled(_NULL_STYLE))
            if len(self._cell_styles) > 256:
                self._cell_styles.clear()
            self._cell_styles[(base_style, component_style, post_style, cell.style)] = styles
        meta = Style.from_meta({"row": row_index, "column": column_index})
        text = Segment(cell.line(width - 2 * pad), styles[0] + meta)
        if pad:
            blank = Segment(" " * pad, styles[1] + meta)
            lines = [[blank, text, blank]]
        else:
            lines = [[text]]
        cache[cache_key] = lines
        return lines

    def _set_cells(self, edits: Mapping[str, list[tuple[str, LineCell]]]) -> None:
        """Write changed cells and repaint only their rows.

        What ``update_cell`` does minus the table-wide invalidation: the rows, their order and
        their heights do not change, so the cached offsets and row order stay valid; the cached
        renders of the changed cells and of their rows' lines are dropped (the row's other cells
        keep theirs) and only the lines of those rows are refreshed. Relies on DataTable internals (Textual
        8.2.8, pinned): re-check on a Textual bump; the test in tests/app/test_keyed_table.py
        compares the result with a table built from scratch.
        """
        data = self._data
        row_keys: list[RowKey] = []
        # (row, column) key *values*: plain strings hash in C, the key objects in Python
        cells_changed: set[tuple[str, str]] = set()
        for key, cells in edits.items():
            row_key = RowKey(key)
            row = data[row_key]
            for column_key, value in cells:
                row[ColumnKey(column_key)] = value
                cells_changed.add((key, column_key))
            row_keys.append(row_key)
        locations = self._row_locations
        indices = {locations.get(k) for k in row_keys}
        header = self.header_height if self.show_header else 0
        # KeyedTable rows are one line high (add_row's default): line = header + row index.
        lines = {header + index for index in indices if index is not None}
        # keys start (row_key, column_key, ...): the row's unchanged cells keep their renders
        cell_cache = self._cell_render_cache
        edited = set(edits)
        for key in [
            k
            for k in cell_cache.keys()
            if k[0].value in edited and (k[0].value, k[1].value) in cells_changed
        ]:
            cell_cache.discard(key)
        row_cache = self._row_render_cache  # (row_key, line_no, ...)
        for key in [k for k in row_cache.keys() if k[0].value in edited]:
            row_cache.discard(key)
        # (update_count, row_index): only DataTable's own cell render reads it, for the header
        # row (ours renders body cells without it), and it fills one entry per row added: cheaper
        # to drop than to search
        self._row_renderable_cache.clear()
        _forget(self._line_cache, 0, lines)  # (y, x1, x2, ...)
        width = max(self.size.width, self.virtual_size.width)
        window = self.window_region
        offset = self.scroll_offset
        regions = [Region(0, y, width, 1) for y in sorted(lines)]
        # cropped to the rows' part of the window: the scrollbar beside them has not changed
        rows_view = Region(offset.x, offset.y, self.scrollable_content_region.width, window.height)
        visible = [
            r.intersection(rows_view).translate(-offset) for r in regions if window.overlaps(r)
        ]
        if visible:
            self.refresh(*visible)

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
        self._tone_styles = {}

    def _render(self, cell: Cell, col: Column) -> LineCell:
        return LineCell(cell.text, self._tone_style(cell.tone), col.numeric)

    def _tone_style(self, tone: str) -> Style:
        """The Rich style for a tone name ("" / "text-success" / "error!" = bold), cached."""
        style = self._tone_styles.get(tone)
        if style is None:
            spec = ""
            if tone:
                bold = tone.endswith("!")
                spec = self._tones.get(tone.rstrip("!"), "")
                if bold:
                    spec = f"bold {spec}".strip()
            style = self._tone_styles[tone] = Style.parse(spec)
        return style

    def _retheme(self) -> None:
        self._build_pending(list(self._pending))
        self._refresh_tones()
        with self.app.batch_update():
            for key, cells in self._cells.items():
                for col, cell in zip(self.COLUMNS, cells):
                    if cell.tone:
                        self.update_cell(key, col.key, self._render(cell, col))

    @staticmethod
    def key_of(row_key: RowKey) -> str:
        return str(row_key.value)


def _build(source: CellsSource) -> tuple[Cell, ...]:
    return tuple(source() if callable(source) else source)


def _forget(cache: LRUCache[Any, Any], part: int, values: set[Any]) -> None:
    """Drop the entries of a DataTable render cache whose key[part] is in ``values``."""
    keys = cache.keys()  # LRUCache has no __iter__
    for key in [k for k in keys if k[part] in values]:
        cache.discard(key)
