"""KeyedTable.sync writes changed cells without DataTable's table-wide invalidation: what it
paints must be exactly what a table built from scratch with the same rows paints."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.geometry import Region

from tui.app.widgets.tables import Cell, Column, KeyedTable


class Table(KeyedTable):
    COLUMNS = (
        Column("name", "Name", 8),
        Column("qty", "Qty", 6, True),
        Column("pnl", "PnL", 8, True),
    )


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Table(id="t")


def rows(n: int, bump: set[int] = frozenset(), tone: str = "") -> dict[str, tuple[Cell, ...]]:  # type: ignore[assignment]
    return {
        str(i): (
            Cell(f"row{i}"),
            Cell(str(i * 3 + (100 if i in bump else 0))),
            Cell(f"+{i}.{'9' if i in bump else '0'}", tone if i in bump else "text-success"),
        )
        for i in range(n)
    }


def painted(table: KeyedTable) -> list[tuple[str, list[object]]]:
    strips = table.render_lines(Region(0, 0, table.size.width, table.size.height))
    return [(strip.text, [seg.style for seg in strip]) for strip in strips]


async def test_changed_cells_paint_like_a_fresh_table() -> None:
    final = rows(30, bump={1, 4, 5, 17}, tone="text-error!")
    fresh_app = Host()
    async with fresh_app.run_test(size=(40, 12)) as pilot:
        table = fresh_app.query_one(Table)
        table.sync(final)
        await pilot.pause()
        table.move_cursor(row=25)  # scrolled: row 17 in view
        await pilot.pause()
        expected_scrolled = painted(table)
        table.move_cursor(row=4)
        await pilot.pause()
        expected = painted(table)

    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(Table)
        table.sync(rows(30))
        await pilot.pause()
        table.move_cursor(row=25)
        await pilot.pause()
        painted(table)  # row 17 rendered (and cached) with its old values
        table.move_cursor(row=4)
        await pilot.pause()
        before = painted(table)  # fills every render cache with the old values
        assert table.sync(final) is True
        await pilot.pause()
        after = painted(table)
        assert table.selected_key == "4"
        assert after != before
        assert after == expected
        table.move_cursor(row=25)  # row 17 changed while off screen
        await pilot.pause()
        assert painted(table) == expected_scrolled
        # the data the DataTable holds changed too (what sorting and copying read)
        assert str(table.get_cell("5", "qty")) == "115"
        assert table.sync(final) is False  # nothing changed: nothing written


def test_line_cell_renders_like_a_one_line_text() -> None:
    from rich.console import Console
    from rich.padding import Padding
    from rich.style import Style
    from rich.text import Text

    from tui.app.widgets.tables import LineCell

    console = Console(width=40, color_system="truecolor")
    for text in ("12.34", "-", "", "BTC_USDT_LONG", "+1,234.50", "日本語テキスト"):
        for style in ("", "bold #ff0000", "#00ff00"):
            for right in (False, True):
                for width in (1, 3, 5, 8, 12):
                    options = console.options.update_dimensions(width + 2, 1).update(no_wrap=True)
                    rich_text = Text(
                        text,
                        style=style,
                        justify="right" if right else "left",
                        no_wrap=True,
                        overflow="ellipsis",
                    )
                    ours = LineCell(text, Style.parse(style), right)
                    expected = console.render_lines(Padding(rich_text, (0, 1)), options)
                    got = console.render_lines(Padding(ours, (0, 1)), options)
                    assert got == expected, (text, style, right, width)


async def test_fast_cell_render_matches_datatable() -> None:
    """KeyedTable._render_cell builds LineCell cells without Rich: every visible cell, in every
    cursor/hover state and for cut, padded, styled and unstyled text, must equal what
    DataTable._render_cell renders."""
    from textual.widgets import DataTable

    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(Table)
        data = rows(8, bump={2, 3}, tone="text-error!")
        data["7"] = (Cell("a_very_long_market_name"), Cell(""), Cell("-1.5", "error"))
        table.sync(data)
        await pilot.pause()
        base = table.rich_style
        checked = 0
        for row_index in range(table.row_count):
            for column_index, column in enumerate(table.ordered_columns):
                width = column.get_render_width(table)
                for cursor in (False, True):
                    for hover in (False, True):
                        args = (row_index, column_index, base, width, cursor, hover)
                        table._cell_render_cache.clear()
                        ours = table._render_cell(*args)
                        table._cell_render_cache.clear()
                        theirs = DataTable._render_cell(table, *args)
                        assert ours == theirs, (row_index, column_index, cursor, hover)
                        checked += 1
        assert checked == table.row_count * 3 * 4


async def test_fast_row_render_matches_datatable() -> None:
    """KeyedTable._render_line_in_row takes DataTable's per-cell overhead out for its plain
    rows: every row, with the cursor and the hover on it or elsewhere, must give exactly the
    cells and the fill DataTable gives."""
    from textual.coordinate import Coordinate
    from textual.widgets import DataTable

    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(Table)
        table.sync(rows(8, bump={2, 3}, tone="text-error!"))
        await pilot.pause()
        base = table.rich_style
        checked = 0
        for row_index in range(table.row_count):
            row_key = table._row_locations.get_key(row_index)
            for cursor_row in (row_index, (row_index + 1) % table.row_count):
                for hover_row in (row_index, -1):
                    args = (row_key, 0, base, Coordinate(cursor_row, 0), Coordinate(hover_row, 0))
                    table._row_render_cache.clear()
                    table._cell_render_cache.clear()
                    ours = table._render_line_in_row(*args)
                    table._row_render_cache.clear()
                    table._cell_render_cache.clear()
                    theirs = DataTable._render_line_in_row(table, *args)
                    assert ours == theirs, (row_index, cursor_row, hover_row)
                    checked += 1
        assert checked == table.row_count * 4


async def test_rows_given_as_functions_are_built_when_on_screen_and_paint_the_same() -> None:
    """A row given as a function is built at once if its line is in the window, else when it
    is scrolled into view or its data is read; what is painted is what building every row at
    once paints."""
    final = rows(30, bump={2, 20, 27}, tone="text-error!")
    fresh_app = Host()
    async with fresh_app.run_test(size=(40, 12)) as pilot:
        table = fresh_app.query_one(Table)
        table.sync(final)
        await pilot.pause()
        expected_top = painted(table)
        table.move_cursor(row=27)
        await pilot.pause()
        expected_scrolled = painted(table)

    built: list[str] = []

    def source(key: str) -> object:
        def build() -> tuple[Cell, ...]:
            built.append(key)
            return final[key]

        return build

    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(Table)
        table.sync(rows(30))
        await pilot.pause()
        painted(table)
        lazy = {key: source(key) for key in ("2", "20", "27")}
        assert table.update_rows(lazy) is True  # row 2 is on screen: built and shown now
        assert built == ["2"]
        await pilot.pause()
        assert painted(table) == expected_top
        assert table.update_rows(lazy) is False  # the same sources again: nothing to do
        assert built == ["2"]
        table.move_cursor(row=27)  # scrolled: rows 20 and 27 come into view and are built
        await pilot.pause()
        assert sorted(built) == ["2", "20", "27"]
        assert painted(table) == expected_scrolled

    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(Table)
        table.sync(rows(30))
        await pilot.pause()
        built.clear()
        table.update_rows({key: source(key) for key in ("20", "27")})
        assert built == []  # both off screen
        assert table.cells("20") == final["20"]  # asked for: built
        assert str(table.get_cell("27", "qty")) == "181"  # DataTable's reader: built
        assert built == ["20", "27"]
        table.update_rows({"27": source("27")}, removed=["20"])
        assert table.row_count == 29 and table.cells("20") is None


def _line_rows() -> dict[str, tuple[Cell, ...]]:
    data = rows(12, bump={2, 3, 9}, tone="text-error!")
    data["4"] = (Cell("a_very_long_market_name"), Cell(""), Cell("-1.5", "error"))
    data["5"] = (Cell("日本語テキスト"), Cell("全角", "warning"), Cell("x日本"))
    return data


def _forget_lines(table: KeyedTable) -> None:
    table._line_cache.clear()
    table._row_render_cache.clear()
    table._cell_render_cache.clear()


async def test_fast_line_render_matches_datatable() -> None:
    """KeyedTable._render_line builds a body line's Strip from each cell's joined segments:
    every line (header included), scrolled to every x, in every cursor/hover/focus state, wide
    and narrow (the table cropped or filled), with 0-2 cells of padding, must be exactly the
    Strip DataTable._render_line gives, segment for segment (text, style and boundaries)."""
    from textual.coordinate import Coordinate
    from textual.widgets import DataTable

    for size in ((20, 10), (50, 10)):
        app = Host()
        async with app.run_test(size=size) as pilot:
            table = app.query_one(Table)
            table.sync(_line_rows())
            await pilot.pause()
            checked = 0
            warm: dict[object, object] = {}
            for padding in (1, 0, 2):
                table.cell_padding = padding
                await pilot.pause()
                width = table.size.width
                table_width = sum(c.get_render_width(table) for c in table.columns.values())
                for focused in (True, False):
                    if focused:
                        table.focus()
                    else:
                        app.set_focus(None)
                    await pilot.pause()
                    table._pseudo_class_state = table.get_pseudo_class_state()
                    base = table.rich_style
                    for show_cursor, hover_row, show_hover in (
                        (True, -1, False),
                        (True, 3, True),
                        (True, 5, False),
                        (False, 3, True),
                    ):
                        table.show_cursor = show_cursor
                        table.hover_coordinate = Coordinate(hover_row, 0)
                        table._show_hover_cursor = show_hover
                        table.move_cursor(row=5 if hover_row == 3 else 3, animate=False)
                        await pilot.pause()
                        for x1 in range(max(table_width - width, 0) + 3):
                            for y in range(table.row_count + 2):  # header, rows, past the end
                                args = (y, x1, x1 + width, base)
                                _forget_lines(table)
                                table._cell_segments = warm  # kept over every state
                                ours = table._render_line(*args)
                                _forget_lines(table)
                                table._cell_segments = {}
                                cold = table._render_line(*args)
                                _forget_lines(table)
                                theirs = DataTable._render_line(table, *args)
                                where = (size, padding, focused, show_cursor, hover_row, x1, y)
                                assert list(ours) == list(theirs), where
                                assert list(cold) == list(theirs), where
                                assert ours.cell_length == theirs.cell_length == width
                                checked += 1
            assert checked >= 3 * 2 * 4 * 3 * (table.row_count + 2)
            assert warm  # the fast path rendered (DataTable's fills no cell segments)


async def test_fast_render_lines_match_datatable_scrolled() -> None:
    """What the table paints (render_lines, with rich_style and the scroll read once per
    frame) is what DataTable's render_line and _render_line paint, scrolled in x and y, and
    after a changed row is repainted from the caches."""
    from textual.widgets import DataTable

    def datatable_lines(table: KeyedTable) -> list[object]:
        ours = (KeyedTable.render_line, KeyedTable._render_line)
        KeyedTable.render_line = DataTable.render_line  # type: ignore[method-assign]
        KeyedTable._render_line = DataTable._render_line  # type: ignore[method-assign]
        try:
            _forget_lines(table)
            table._styles_cache.clear()
            strips = table.render_lines(Region(0, 0, table.size.width, table.size.height))
        finally:
            KeyedTable.render_line, KeyedTable._render_line = ours  # type: ignore[method-assign]
        _forget_lines(table)
        table._styles_cache.clear()
        return [list(s) for s in strips]

    def our_lines(table: KeyedTable) -> list[object]:
        strips = table.render_lines(Region(0, 0, table.size.width, table.size.height))
        return [list(s) for s in strips]

    app = Host()
    async with app.run_test(size=(20, 8)) as pilot:
        table = app.query_one(Table)
        table.sync(_line_rows())
        await pilot.pause()
        checked = 0
        for cursor_row in (0, 11):  # top, then scrolled down
            table.move_cursor(row=cursor_row, animate=False)
            await pilot.pause()
            for scroll_x in (0, 1, 4, 7):
                table.scroll_to(x=scroll_x, animate=False)
                await pilot.pause()
                assert table.scroll_offset.x == scroll_x
                expected = datatable_lines(table)
                assert our_lines(table) == expected, (cursor_row, scroll_x)
                assert our_lines(table) == expected  # from the line caches
                checked += 1
        assert table.scroll_offset.y > 0
        # a changed row repainted: its unchanged cells come from the cell cache
        table.sync({**_line_rows(), "9": (Cell("row9"), Cell("999"), Cell("+0.1", "error"))})
        await pilot.pause()
        expected = datatable_lines(table)
        assert our_lines(table) == expected
        assert any("999" in "".join(seg.text for seg in line) for line in expected)  # type: ignore[attr-defined]
        # a row removed above: the rows below move up (their cells' meta says which row)
        table.update_rows({}, removed=["1"])
        await pilot.pause()
        table.move_cursor(row=4, animate=False)
        await pilot.pause()
        assert our_lines(table) == datatable_lines(table)
        assert table._cell_segments  # the fast path rendered
        assert checked == 8


async def test_cached_rich_style_follows_every_style_change() -> None:
    """KeyedTable keeps rich_style and background_colors until a style of the table or of an
    ancestor changes: after each change (the screen's background, the table's colour, focus,
    the theme) they must be what DOMNode computes from scratch."""
    from textual.dom import DOMNode

    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(Table)
        table.sync(rows(3))
        await pilot.pause()

        def check() -> tuple[object, object]:
            fresh = (DOMNode.rich_style.fget(table), DOMNode.background_colors.fget(table))  # type: ignore[attr-defined]
            assert (table.rich_style, table.background_colors) == fresh
            return fresh

        seen = [check()]
        app.screen.styles.background = "#102030"
        await pilot.pause()
        seen.append(check())
        table.styles.color = "#ff8000"
        await pilot.pause()
        seen.append(check())
        app.set_focus(None)
        await pilot.pause()
        check()
        table.focus()
        await pilot.pause()
        check()
        app.theme = "textual-light"
        await pilot.pause()
        seen.append(check())
        assert len({repr(s) for s in seen}) == len(seen)  # each change changed something
