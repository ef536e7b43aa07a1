"""``python -m tui.drills [N ...]``: run the reliability drills (all, or the numbers given).

One line per drill, then ``drills: P passed, F failed; faults injected: ...``. Exit status 0
only when every drill passed.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence

from . import Counters, drills, run_drill


def summary_line(passed: int, failed: int, totals: Counters) -> str:
    return (
        f"drills: {passed} passed, {failed} failed; faults injected: {totals.faults}; "
        f"bad inputs tried: {totals.bad_inputs}; duplicate orders: {totals.duplicates}; "
        f"secrets leaked: {totals.secrets_leaked}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tui.drills", description=__doc__.splitlines()[0]
    )
    parser.add_argument("numbers", nargs="*", type=int, help="drill numbers (default: all)")
    args = parser.parse_args(argv)
    root = logging.getLogger()  # drills report through their lines only
    root.addHandler(logging.NullHandler())
    root.setLevel(logging.CRITICAL)
    selected = [d for d in drills() if not args.numbers or d.number in args.numbers]
    if not selected:
        print("no such drill", file=sys.stderr)
        return 2
    totals = Counters()
    passed = failed = 0
    for drill in selected:
        result = asyncio.run(run_drill(drill))
        totals.add(result.counters)
        status = "PASS" if result.ok else "FAIL"
        line = f"{status}  {drill.number:2d}  {drill.name:<40} {result.seconds:5.1f} s"
        if not result.ok:
            line += f"  {result.detail}"
        print(line, flush=True)
        passed += result.ok
        failed += not result.ok
    print(summary_line(passed, failed, totals))
    return 0 if failed == 0 and totals.duplicates == 0 and totals.secrets_leaked == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
