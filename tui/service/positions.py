"""Merging a positions snapshot into the positions the service holds."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace

from tui.domain.markets import product_of
from tui.domain.models import Position


def merge_snapshot(
    old: Mapping[int, Position], positions: Iterable[Position]
) -> tuple[dict[int, Position], frozenset[int], frozenset[int], frozenset[int]]:
    """The new positions by id (a snapshot is a full replacement), and the ids added, removed
    and changed. An unchanged position keeps the object already held: a snapshot re-sends
    every position and most are unchanged, so readers can tell "unchanged" by identity (cheap)
    instead of comparing every field again."""
    new: dict[int, Position] = {}
    changed: list[int] = []
    for p in positions:
        if p.product is None:
            p = replace(p, product=product_of(p.market))
        before = old.get(p.id)
        if before is not None:
            if before == p:
                p = before
            else:
                changed.append(p.id)
        new[p.id] = p
    added = frozenset(new.keys() - old.keys())
    removed = frozenset(old.keys() - new.keys())
    return new, added, removed, frozenset(changed)
