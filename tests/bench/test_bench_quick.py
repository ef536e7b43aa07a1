"""The benchmark harness must not rot: ``python -m bench --quick`` runs every figure's code
path (few repetitions, short soak) and writes the JSON schema of the issue. Its numbers are not
checked: benchmarks report, they do not gate (no timing assertions here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = {
    "snapshot_apply_200",
    "snapshot_apply_1000",
    "stream_to_paint",
    "key_to_wire",
    "cold_start",
    "first_useful_frame",
    "rest_call_vs_httpx",
    "rest_call_vs_ccxt",
    "first_call_vs_ccxt",
    "stale_detect",
    "idle",
}
WITH_BASELINE = {
    "snapshot_apply_200",
    "snapshot_apply_1000",
    "cold_start",
    "rest_call_vs_httpx",
    "rest_call_vs_ccxt",
    "first_call_vs_ccxt",
}


def test_quick_mode_runs_and_writes_the_schema(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    results = ROOT / "bench" / "RESULTS.md"
    before = results.read_text() if results.exists() else None
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads(out.read_text())
    assert set(data) == {"machine", "figures"}
    assert data["machine"]["cpu_count"] >= 1
    figures = data["figures"]
    assert set(figures) == FIGURES
    for key in FIGURES - {"idle"}:
        expected = {"median_ms", "p95_ms"}
        if key in WITH_BASELINE:
            expected |= {"baseline_median_ms", "speedup"}
        assert set(figures[key]) == expected, key
        assert figures[key]["median_ms"] > 0 and figures[key]["p95_ms"] >= figures[key]["median_ms"]
    assert set(figures["idle"]) == {"cpu_percent", "rss_mib"}
    assert figures["idle"]["rss_mib"] > 0
    for key in ("snapshot_apply_200", "snapshot_apply_1000", "cold_start", "rest_call_vs_httpx"):
        assert figures[key]["speedup"] > 0, key  # these baselines need nothing extra
    # the quick run never rewrites the committed results
    assert (results.read_text() if results.exists() else None) == before
