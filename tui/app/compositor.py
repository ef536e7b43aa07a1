"""A compositor that renders only the lines a partial update paints.

Textual's ``Compositor.render_partial_update`` (8.2.8) crops to the bounding box of the dirty
regions, then asks every widget whose *parent's clip* overlaps that box for its whole visible
region (``_get_renders``): the screen's 40 lines, the desk container's 38, the footer and the
status bar (their clip is the whole screen), every pane around the one that changed. Those lines
come from the widgets' render caches, but each of them is still walked, filtered and divided
into chops, and only the lines of the dirty spans are used. On the desk a one-row change in the
positions table rendered about ten widgets and ~140 lines for one line of output: about half of
the compositor's time per frame (bench: ``snapshot_apply_200``; bench/RESULTS.md).

``LineCompositor`` paints the same update from only what it uses: for each widget, the rows of
its visible region (region inside its clip) that hold a dirty span, asked for in contiguous runs.
The chops it builds for those rows are the ones Textual builds (same widgets, same front-to-back
order, same cuts; a widget's render of a sub-range of its lines is the same lines, since the
styles cache renders and caches line by line), so the output is byte for byte the same: tested
against Textual's own method on the live desk (tests/app/test_compositor.py). Full updates
(resize, screen switch) are Textual's unchanged.

Textual is pinned (pyproject.toml); this overrides one private method of that version, and the
test compares the two on every frame, so a Textual bump that changes the compositor fails there
first.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual._compositor import ChopsUpdate, Compositor
from textual.geometry import Region
from textual.strip import Strip

__all__ = ["LineCompositor", "span_runs"]

Run = tuple[int, int, int, int]
_NOTHING = Strip([])


def span_runs(spans: Iterable[tuple[int, int, int]], height: int) -> list[Run]:
    """Spans ``(y, x1, x2)`` -> runs of contiguous rows ``(y1, y2, x1, x2)``: rows ``y1 <= y <
    y2``, and the columns every span on those rows lies within. Rows outside ``0 <= y <
    height`` are dropped."""
    rows: dict[int, tuple[int, int]] = {}
    for y, x1, x2 in spans:
        if 0 <= y < height:
            lo, hi = rows.get(y, (x1, x2))
            rows[y] = (min(lo, x1), max(hi, x2))
    runs: list[Run] = []
    for y in sorted(rows):
        x1, x2 = rows[y]
        if runs and runs[-1][1] == y:
            y1, _, rx1, rx2 = runs[-1]
            runs[-1] = (y1, y + 1, min(rx1, x1), max(rx2, x2))
        else:
            runs.append((y, y + 1, x1, x2))
    return runs


def _covered(
    chops: list[dict[int, Strip | None]],
    cuts: list[list[int]],
    rows: range,
    first_cut: int,
    last_cut: int,
    x1: int,
    x2: int,
) -> bool:
    """Whether, on every row, each chop a widget spanning ``first_cut..last_cut`` would fill
    and whose text ``ChopsUpdate`` could paint (one starting before ``x2`` and ending after
    ``x1``) already has its strip from a widget in front: then the widget adds nothing."""
    for y in rows:
        line = chops[y]
        row_cuts = cuts[y]
        for i in range(len(row_cuts) - 1):
            cut = row_cuts[i]
            if cut < first_cut:
                continue
            if cut >= last_cut or cut >= x2:
                break
            if row_cuts[i + 1] > x1 and line[cut] is None:
                return False
    return True


class LineCompositor(Compositor):
    """``Compositor`` whose partial updates render only the lines they paint."""

    def render_partial_update(self) -> ChopsUpdate | None:
        update_regions = self._dirty_regions.copy()
        self._dirty_regions.clear()
        if not update_regions:
            return None
        spans = list(self._regions_to_spans(update_regions))
        height = self.size.height
        chops = self._render_rows(span_runs(spans, height))
        chop_ends = [cut_set[1:] for cut_set in self.cuts]
        return ChopsUpdate(chops, spans, chop_ends)

    def _render_rows(self, runs: list[Run]) -> list[dict[int, Strip | None]]:
        """Textual's ``_render_chops`` for the rows in ``runs`` only (other rows stay empty,
        as Textual leaves the rows outside the dirty spans).

        A widget is skipped on a run when its visible region is outside the run's columns: on
        those rows it could only fill chops that end at or before the spans' first column or
        start at or after their last, and ``ChopsUpdate`` paints nothing of such a chop (at most
        a cursor move to the end of a span, which the screen, behind everything and covering
        every cut, provides just as well). A widget is skipped, too, when widgets in front of it
        have already filled every chop it could show on the run (a container behind the widget
        that changed, the screen behind everything): painting is front to back and the first
        strip for a chop wins, so it would be dropped."""
        cuts = self.cuts
        chops: list[dict[int, Strip | None]] = [dict.fromkeys(cut_set[:-1]) for cut_set in cuts]
        if not runs:
            return chops
        top, bottom = runs[0][0], runs[-1][1]
        intersection = Region.intersection
        # visible_widgets is in painting order, front to back: the first strip for a cut wins
        for widget, (region, clip) in self.visible_widgets.items():
            visible = intersection(region, clip)
            vx, vy, vwidth, vheight = visible
            if not (vwidth and vheight) or vy >= bottom or vy + vheight <= top:
                continue
            first_cut, last_cut = visible.column_span
            for start, end, x1, x2 in runs:
                y1 = max(start, vy)
                y2 = min(end, vy + vheight)
                if y1 >= y2 or vx >= x2 or vx + vwidth <= x1:
                    continue
                if _covered(chops, cuts, range(y1, y2), first_cut, last_cut, x1, x2):
                    continue  # hidden behind what is already painted there
                strips = widget.render_lines(
                    Region(vx - region.x, y1 - region.y, vwidth, y2 - y1)
                )
                for y, strip in zip(range(y1, y2), strips):
                    chops_line = chops[y]
                    final_cuts = [cut for cut in cuts[y] if last_cut >= cut >= first_cut]
                    cut_strips = strip.divide([cut - vx for cut in final_cuts[1:]])
                    get = chops_line.get
                    for cut, cut_strip in zip(final_cuts, cut_strips):
                        if get(cut) is None:
                            chops_line[cut] = cut_strip
        # A chop that starts where a span ends shows nothing, but ChopsUpdate still moves the
        # cursor there when the chop has a strip, and with Textual's compositor it always has
        # one (the screen's, at least). Its strip may be skipped above: an empty one gives the
        # same output.
        for start, end, _, _ in runs:
            for y in range(start, end):
                line = chops[y]
                for cut, strip in line.items():
                    if strip is None:
                        line[cut] = _NOTHING
        return chops
