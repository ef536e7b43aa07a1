"""KeyedTable by behaviour: what it paints, where its cursor goes, what it tells its parent.

The painted text is read through ``render_lines``, which serves lines from the widget's line
cache except those refreshed since: a row that changed but was not refreshed shows its old
text there, as on screen.
"""

from __future__ import annotations

from textual import on
from textual.app import App, ComposeResult
from textual.color import Color
from textual.geometry import Region

from tui.app.widgets.tables import Cell, Column, KeyedTable


class Table(KeyedTable):
    COLUMNS = (
        Column("name", "Name", 8),
        Column("qty", "Qty", 6, True),
        Column("pnl", "PnL", 8, True),
    )


class Wide(KeyedTable):
    COLUMNS = tuple(Column(f"c{i}", f"Col{i}", 8) for i in range(12))


class Host(App[None]):
    def __init__(self, table: KeyedTable | None = None) -> None:
        super().__init__()
        self.table = table or Table(id="t")
        self.highlighted: list[str] = []
        self.selected: list[str] = []

    def compose(self) -> ComposeResult:
        yield self.table

    @on(KeyedTable.RowHighlighted)
    def highlighted_row(self, event: KeyedTable.RowHighlighted) -> None:
        assert event.table is self.table
        self.highlighted.append(event.key)

    @on(KeyedTable.RowSelected)
    def selected_row(self, event: KeyedTable.RowSelected) -> None:
        self.selected.append(event.key)


def row(i: int, pnl: str = "", tone: str = "") -> tuple[Cell, ...]:
    return (Cell(f"row{i}"), Cell(str(i * 3)), Cell(pnl or f"+{i}.0", tone))


def rows(keys: range | list[int]) -> dict[str, tuple[Cell, ...]]:
    return {str(i): row(i) for i in keys}


def painted(table: KeyedTable) -> list[str]:
    strips = table.render_lines(Region(0, 0, table.size.width, table.size.height))
    return [strip.text.rstrip() for strip in strips]


def names(table: KeyedTable) -> list[str]:
    """The first cell of each painted body line."""
    return [line.split()[0] for line in painted(table)[1:] if line.strip()]


async def test_rows_appear_in_order_under_the_header() -> None:
    app = Host()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.table
        assert table.sync(rows([3, 1, 2])) is True
        await pilot.pause()
        lines = painted(table)
        assert lines[0].split() == ["Name", "Qty", "PnL"]
        assert names(table) == ["row3", "row1", "row2"]
        assert lines[1] == " row3           9      +3.0"  # numbers right-aligned
        assert table.row_count == 3 and table.row_keys == ["3", "1", "2"]
        # the same rows again: nothing to do
        assert table.sync(rows([3, 1, 2])) is False
        # the order given is the order shown
        assert table.sync(rows([1, 2, 3])) is True
        await pilot.pause()
        assert names(table) == ["row1", "row2", "row3"]


async def test_a_changed_row_repaints_with_its_new_text() -> None:
    app = Host()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.table
        table.sync(rows(range(5)))
        await pilot.pause()
        before = painted(table)
        changed = rows(range(5)) | {"2": row(2, pnl="-7.5", tone="text-error")}
        assert table.sync(changed) is True
        await pilot.pause()
        after = painted(table)
        assert after[3].endswith("-7.5") and before[3].endswith("+2.0")
        assert [a for a, b in zip(after, before) if a != b] == [after[3]]
        assert table.cell("2", "pnl") == Cell("-7.5", "text-error")
        assert table.cells("2") == row(2, pnl="-7.5", tone="text-error")
        assert table.cell("9", "pnl") is None
        # update_rows: only the rows named change; rows given as functions are built
        assert table.update_rows({"4": lambda: row(4, pnl="+44.0")}, removed=["0"]) is True
        await pilot.pause()
        assert names(table) == ["row1", "row2", "row3", "row4"]
        assert painted(table)[4].endswith("+44.0")


async def test_the_cursor_follows_its_row_key() -> None:
    app = Host()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.table
        table.sync(rows(range(6)))
        await pilot.pause()
        assert table.selected_key == "0"  # an empty table's first rows: the cursor on the first
        table.focus()
        await pilot.press("down", "down", "down")
        assert table.selected_key == "3" and table.cursor_row == 3
        # rows above removed
        table.sync(rows([1, 3, 4, 5]))
        assert table.selected_key == "3" and table.cursor_row == 1
        # reordered
        table.sync(rows([5, 4, 3, 1]))
        assert table.selected_key == "3" and table.cursor_row == 2
        # added above
        table.sync(rows([0, 2, 5, 4, 3, 1]))
        assert table.selected_key == "3" and table.cursor_row == 4
        # the cursor's own row goes: the row that takes its place is selected
        table.update_rows({}, removed=["3"])
        assert table.selected_key == "1" and table.cursor_row == 4
        table.select_key("2")
        assert table.selected_key == "2"
        table.sync({})
        assert table.selected_key is None and table.row_count == 0


async def test_highlight_and_selection_messages_carry_the_key() -> None:
    app = Host()
    async with app.run_test(size=(40, 10)) as pilot:
        table = app.table
        table.sync(rows(range(20)))
        table.focus()
        await pilot.pause()
        assert app.highlighted == ["0"]
        await pilot.press("down", "end", "home", "pagedown")
        await pilot.pause()
        assert app.highlighted[1:4] == ["1", "19", "0"]
        assert app.highlighted[4] == table.selected_key and table.cursor_row > 1
        await pilot.press("enter")
        await pilot.pause()
        assert app.selected == [table.selected_key]
        # a click on the third body line (line 0 is the header) selects its row
        await pilot.press("home")
        await pilot.click(Table, offset=(2, 3))
        await pilot.pause()
        assert table.selected_key == "2"
        assert app.selected[-1] == "2" and app.highlighted[-1] == "2"
        # updates that leave the cursor on its row post nothing
        count = len(app.highlighted)
        table.sync(rows(range(1, 20)))
        await pilot.pause()
        assert table.selected_key == "2" and len(app.highlighted) == count


async def test_scrolling_shows_later_rows_under_a_fixed_header() -> None:
    app = Host()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.table
        table.sync(rows(range(30)))
        table.focus()
        await pilot.pause()
        assert names(table) == [f"row{i}" for i in range(7)]
        await pilot.press("end")
        await pilot.pause()
        lines = painted(table)
        assert lines[0].split() == ["Name", "Qty", "PnL"]
        assert names(table) == [f"row{i}" for i in range(23, 30)]
        # a row changed while scrolled out of view shows its new text when scrolled back
        table.sync(rows(range(30)) | {"1": row(1, pnl="+99.9")})
        await pilot.press("home")
        await pilot.pause()
        assert names(table)[0] == "row0" and painted(table)[2].endswith("+99.9")


async def test_wide_tables_scroll_horizontally() -> None:
    app = Host(Wide())
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.table
        table.sync({"a": tuple(Cell(f"v{i}") for i in range(12))})
        await pilot.pause()
        assert "Col11" not in painted(table)[0]
        table.focus()
        await pilot.press("right", "right")  # (left/right scroll: the cursor is a row)
        await pilot.pause()
        assert painted(table)[0].startswith("ol0 ") and painted(table)[1].startswith("0 ")
        table.scroll_to(x=table.max_scroll_x, animate=False)
        await pilot.pause()
        lines = painted(table)
        assert lines[0].split()[-1] == "Col11" and lines[1].split()[-1] == "v11"
        assert "Col0" not in lines[0].split()


async def test_tones_follow_the_theme() -> None:
    app = Host()
    app.theme = "textual-dark"
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.table
        # (row 0 takes the cursor, whose colours win over a tone)
        table.sync({"0": row(0), "1": row(1, tone="text-success"), "2": row(2, tone="error!")})
        await pilot.pause()

        def colour(y: int, text: str) -> tuple[str | None, bool]:
            strip = table.render_lines(Region(0, y, table.size.width, 1))[0]
            style = next(seg.style for seg in strip if text in seg.text)
            assert style is not None and style.color is not None
            return Color.from_rich_color(style.color).hex, bool(style.bold)

        dark = colour(2, "+1.0")
        assert dark == (app.theme_variables["text-success"].upper(), False)
        assert colour(3, "+2.0") == (app.theme_variables["error"].upper(), True)
        app.theme = "textual-light"
        await pilot.pause()
        await pilot.pause()
        light = colour(2, "+1.0")
        assert light == (app.theme_variables["text-success"].upper(), False)
        assert light != dark
