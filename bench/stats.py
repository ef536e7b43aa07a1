"""Samples, medians, p95 and the figure records the harness prints and saves."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field


def ms(ns: float) -> float:
    return ns / 1_000_000


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def p95(values: list[float]) -> float:
    """Nearest-rank 95th percentile (no interpolation: a value that was really observed)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(0.95 * len(ordered)))
    return float(ordered[rank - 1])


@dataclass
class Side:
    """One side of a comparison: samples in milliseconds."""

    samples_ms: list[float]

    @property
    def n(self) -> int:
        return len(self.samples_ms)

    @property
    def median_ms(self) -> float:
        return median(self.samples_ms)

    @property
    def p95_ms(self) -> float:
        return p95(self.samples_ms)


@dataclass
class Figure:
    """A measured figure: our side, an optional baseline measured in the same run, the target."""

    key: str
    title: str
    ours: Side
    target: str
    baseline: Side | None = None
    baseline_name: str = ""
    #: how the target was judged: True met, False missed, None no target / not judged
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    #: extra lines for the report (other modes, components), already formatted
    extra: list[str] = field(default_factory=list)

    @property
    def speedup(self) -> float | None:
        """Baseline median / our median: > 1 means we are faster."""
        if self.baseline is None or not self.baseline.samples_ms:
            return None
        ours = self.ours.median_ms
        return self.baseline.median_ms / ours if ours > 0 else math.inf

    def to_json(self) -> dict[str, float | None]:
        out: dict[str, float | None] = {
            "median_ms": round(self.ours.median_ms, 4),
            "p95_ms": round(self.ours.p95_ms, 4),
        }
        if self.baseline_name:
            has = self.baseline is not None and bool(self.baseline.samples_ms)
            out["baseline_median_ms"] = round(self.baseline.median_ms, 4) if has else None
            speedup = self.speedup
            out["speedup"] = round(speedup, 3) if speedup is not None else None
        return out

    def line(self) -> str:
        text = (
            f"{self.key:<20} ours median {self.ours.median_ms:9.3f} ms  p95 {self.ours.p95_ms:9.3f} ms"
            f"  (n={self.ours.n})"
        )
        if self.baseline_name:
            if self.baseline is not None and self.baseline.samples_ms:
                text += (
                    f" | {self.baseline_name} median {self.baseline.median_ms:9.3f} ms"
                    f"  p95 {self.baseline.p95_ms:9.3f} ms (n={self.baseline.n})"
                    f" | ratio {self.speedup:.2f}x"
                )
            else:
                text += f" | {self.baseline_name}: not measured"
        verdict = {True: "met", False: "MISSED", None: "-"}[self.met]
        return f"{text} | target {self.target}: {verdict}"


@dataclass
class IdleFigure:
    seconds: float
    cpu_percent: float
    rss_mib: float  # at the end of the soak
    rss_start_mib: float
    rss_max_mib: float
    target: str = "CPU < 2 % of a core; RSS < 100 MiB and not growing"
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    samples: list[tuple[float, float, float]] = field(default_factory=list)  # (t, cpu%, rss)

    key = "idle"

    def to_json(self) -> dict[str, float]:
        return {"cpu_percent": round(self.cpu_percent, 3), "rss_mib": round(self.rss_mib, 2)}

    def line(self) -> str:
        verdict = {True: "met", False: "MISSED", None: "-"}[self.met]
        return (
            f"{self.key:<20} CPU {self.cpu_percent:.2f} % of a core over {self.seconds:.0f} s;"
            f" RSS {self.rss_start_mib:.1f} -> {self.rss_mib:.1f} MiB (max {self.rss_max_mib:.1f})"
            f" | target {self.target}: {verdict}"
        )
