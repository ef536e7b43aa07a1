"""Shared by the drill tests: run a drill (the same functions ``python -m tui.drills`` runs)."""

from __future__ import annotations

from tui.drills import DrillResult, get, run_drill


async def run(number: int) -> DrillResult:
    result = await run_drill(get(number))
    assert result.ok, f"drill {number} ({result.drill.name}): {result.detail}"
    assert result.counters.duplicates == 0
    assert result.counters.secrets_leaked == 0
    return result
