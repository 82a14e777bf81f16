"""Timing and memory helpers for the speed/memory claims (tests/benchmarks/).

How a cost claim is decided (the same rules for every benchmark):
- A speed claim is a *ratio* of two costs measured side by side in the same run, never an absolute
  time. The sides are timed in interleaved rounds (A B C, A B C, ...) after an explicit warm-up; each
  round calls the side `number` times (calibrated so a round lasts >= ROUND_S); CUDA is synchronized
  before and after every round, so the timed region holds the callable and nothing else.
- The ratio's noise band is [q1(num)/q3(den), q3(num)/q1(den)] (quartiles over the rounds). A claim
  "ratio >= T" holds when the whole band is >= T, does not hold when the whole band is < T, and is
  *inconclusive* otherwise (reported unchecked, never as a pass).
- Memory is measured, not timed (tests/helpers/memory.py): on CPU each measurement runs in a fresh
  child process (VmRSS / VmHWM), so it reads the same alone or after the whole suite; on CUDA with the
  caching allocator's counters; garbage is collected first. Memory checks are decided in every mode
  (they need no timer). The garbage collector is paused while timing.
- Timing is on only when asked for (`python -m spec bench`, or pytest's --benchmark-enable) and
  pytest-benchmark can time (no xdist). Otherwise every side runs once as a smoke test, at smoke sizes,
  and a speed claim is reported "unchecked: timing disabled (run `python -m spec bench`)".
"""
from __future__ import annotations

import gc
import math
import statistics
import time
from typing import Callable, Dict, List, Optional

import pytest
import torch

from spec.bench import describe_check

HOLDS, FAILS, INCONCLUSIVE, UNTIMED = "holds", "does not hold", "inconclusive", "unchecked"
TIMING_DISABLED = "unchecked: timing disabled (run `python -m spec bench`)"
ROUNDS = 15           # timed rounds per side (interleaved)
WARMUP = 3            # untimed calls per side before calibration
ROUND_S = 0.01        # a round lasts at least this long (seconds): longer than a scheduler slice
MiB = 2 ** 20


def sync(device) -> None:
    """Wait for queued CUDA work (a no-op on CPU)."""
    if torch.device(device).type == "cuda":
        torch.cuda.synchronize()


class Timing:
    """Per-call seconds of one side, one value per round (NaN when timing is disabled)."""

    def __init__(self, seconds: List[float]):
        self.seconds = list(seconds)

    @property
    def timed(self) -> bool:
        return not any(math.isnan(s) for s in self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    def quartiles(self):
        if len(self.seconds) < 2:
            return self.seconds[0], self.seconds[0]
        q1, _, q3 = statistics.quantiles(self.seconds, n=4, method="inclusive")
        return q1, q3

    def per(self, count: int) -> "Timing":
        """The same timing divided by count (e.g. seconds per epoch of a run of count epochs)."""
        return Timing([s / count for s in self.seconds])

    def as_dict(self) -> dict:
        if not self.timed:
            return {"median": None}
        q1, q3 = self.quartiles()
        return {"median": self.median, "q1": q1, "q3": q3, "rounds": len(self.seconds)}


def _round(fn: Callable, number: int, device) -> float:
    sync(device)
    start = time.perf_counter()
    for _ in range(number):
        fn()
    sync(device)
    return (time.perf_counter() - start) / number


def _calibrate(fn: Callable, device, round_s: float) -> int:
    """Calls per round so that a round lasts >= round_s (timeit.autorange: 1, 2, 5, 10, 20, ...).
    One slow first call (a preemption, a cold cache) cannot make the rounds too short."""
    number = 1
    while number < 100_000:
        for step in (1, 2, 5):
            if _round(fn, number * step, device) * number * step >= round_s:
                return number * step
        number *= 10
    return number


def time_sides(sides: Dict[str, Callable], device, rounds: int = ROUNDS, warmup: int = WARMUP,
               round_s: float = ROUND_S) -> Dict[str, Timing]:
    """Time each side in interleaved rounds after warm-up; per-call seconds per round."""
    numbers = {}
    for name, fn in sides.items():
        for _ in range(warmup):
            fn()
        numbers[name] = _calibrate(fn, device, round_s)
    out: Dict[str, List[float]] = {name: [] for name in sides}
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(rounds):
            for name, fn in sides.items():
                out[name].append(_round(fn, numbers[name], device))
    finally:
        if was_enabled:
            gc.enable()
    return {name: Timing(ts) for name, ts in out.items()}


def band(num, den):
    """(ratio, low, high) of num/den; Timings give a quartile band, plain numbers an exact ratio."""
    if isinstance(num, Timing) and isinstance(den, Timing):
        (n1, n3), (d1, d3) = num.quartiles(), den.quartiles()
        return num.median / den.median, n1 / d3, n3 / d1
    ratio = float(num) / float(den)
    return ratio, ratio, ratio


def decide(low: float, high: float, op: str, threshold: float) -> str:
    """Verdict of 'ratio op threshold' given the ratio's band [low, high]."""
    if op == ">=":
        return HOLDS if low >= threshold else FAILS if high < threshold else INCONCLUSIVE
    if op == "<=":
        return HOLDS if high <= threshold else FAILS if low > threshold else INCONCLUSIVE
    raise ValueError(f"op must be '>=' or '<=', not {op!r}")


def fmt_time(seconds: float) -> str:
    if seconds is None or math.isnan(seconds):
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def fmt_ratio(ratio: float) -> str:
    return "-" if ratio is None or math.isnan(ratio) else f"{ratio:.3g}x"


def fmt_bytes(n: float) -> str:
    return f"{n / MiB:.1f} MiB" if abs(n) >= 0.1 * MiB else f"{n:.0f} B"


# --- one claim's measurement -----------------------------------------------------------------------

class Bench:
    """Collects one claim's table and checks, stores them in the benchmark's extra_info, and
    turns the verdict into the test outcome (pass = holds; fail = does not hold on this machine;
    skip 'unchecked: ...' = inconclusive or timing disabled)."""

    def __init__(self, benchmark, claim_id: str, device: str, label: str = "", timed: Optional[bool] = None):
        self.benchmark = benchmark
        self.claim_id = claim_id
        self.device = device            # where the work runs
        self.label = label or device    # the report's device column ('any' for device-free claims)
        self.timed = not benchmark.disabled if timed is None else timed and not benchmark.disabled
        self.columns: List[str] = []
        self.rows: List[List[str]] = []
        self.checks: List[dict] = []
        self.timings: Dict[str, dict] = {}

    def size(self, full, smoke):
        """The measured sizes with timing on, the smoke-test sizes without."""
        return full if self.timed else smoke

    def time(self, sides: Dict[str, Callable], label: str = "", **kwargs) -> Dict[str, Timing]:
        """Time the sides side by side (or run each once, untimed, in smoke mode)."""
        if not self.timed:
            for fn in sides.values():
                fn()
            sync(self.device)
            result = {name: Timing([math.nan]) for name in sides}
        else:
            result = time_sides(sides, self.device, **kwargs)
        for name, t in result.items():
            self.timings[f"{label}{' ' if label else ''}{name}"] = t.as_dict()
        return result

    def table(self, *columns: str) -> None:
        self.columns = list(columns)

    def row(self, *cells) -> None:
        out = []
        for c in cells:
            if isinstance(c, Timing):
                out.append(fmt_time(c.median) if c.timed else "-")
            elif isinstance(c, float):
                out.append(fmt_ratio(c))
            else:
                out.append(str(c))
        self.rows.append(out)

    def check(self, what: str, num, den, op: str, threshold: float) -> str:
        """Decide 'num/den op threshold'; Timing sides need timing, byte counts do not."""
        timing = isinstance(num, Timing)
        if timing and not (num.timed and den.timed):
            entry = {"what": what, "op": op, "threshold": threshold, "kind": "time",
                     "ratio": None, "low": None, "high": None, "verdict": UNTIMED}
        else:
            ratio, low, high = band(num, den)
            entry = {"what": what, "op": op, "threshold": threshold, "kind": "time" if timing else "memory",
                     "ratio": ratio, "low": low, "high": high, "verdict": decide(low, high, op, threshold)}
        self.checks.append(entry)
        return entry["verdict"]

    def ratio(self, num: Timing, den: Timing) -> float:
        return band(num, den)[0] if num.timed and den.timed else math.nan

    @property
    def verdict(self) -> str:
        verdicts = [c["verdict"] for c in self.checks]
        for v in (FAILS, INCONCLUSIVE, UNTIMED):
            if v in verdicts:
                return v
        return HOLDS

    def finish(self, headline: Callable, rounds: int = 5, iterations: int = 1) -> None:
        """Record everything, let pytest-benchmark time the headline operation (once in smoke
        mode), and turn the verdict into the test's outcome."""
        assert self.checks, "a benchmark must decide at least one check"
        self.benchmark.extra_info.update({
            "claim": self.claim_id, "device": self.label, "timed": self.timed,
            "threads": torch.get_num_threads(), "columns": self.columns, "rows": self.rows,
            "checks": self.checks, "timings": self.timings, "verdict": self.verdict,
        })
        device = self.device

        def target():
            headline()
            sync(device)

        self.benchmark.pedantic(target, rounds=rounds if self.timed else 1,
                                warmup_rounds=1 if self.timed else 0, iterations=iterations)
        lines = "; ".join(describe_check(c) for c in self.checks)
        if self.verdict == FAILS:
            pytest.fail(f"does not hold on this machine ({device}): {lines}", pytrace=False)
        if self.verdict == INCONCLUSIVE:
            pytest.skip(f"unchecked: inconclusive on this machine ({device}, too noisy): {lines}")
        if self.verdict == UNTIMED:
            pytest.skip(TIMING_DISABLED)
