"""python -m spec bench [--json FILE] [--threads N] [--show FILE] [PYTEST OPTIONS]

Run the speed/memory claims (tests/benchmarks/) serially with timing on, save pytest-benchmark's JSON
(default .benchmarks/torch-spec-bench.json) and print one table per claim and device: what was measured,
each deciding ratio against its catalog threshold with its noise band, and the verdict on this machine:
holds · does not hold · inconclusive (too noisy to decide; never a pass) · unchecked (device absent).

  --json FILE    where to save the pytest-benchmark JSON (tables, checks, timings in extra_info)
  --threads N    torch.set_num_threads(N) in every benchmark (default: torch's default; recorded)
  --show FILE    print the tables of a saved JSON without running anything
Any other option goes to pytest: -k PATTERN, --devices cpu,cuda, -x ... (not -n: timing needs a
serial run). Under `pytest -n auto` the same tests run once as smoke tests and report speed claims
"unchecked: timing disabled".
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Callable, Dict, List, Optional, Tuple

DEFAULT_JSON = Path(".benchmarks") / "torch-spec-bench.json"
THREADS_ENV = "TORCH_SPEC_BENCH_THREADS"
MARKS = {"holds": "ok ", "does not hold": "NO ", "inconclusive": "?? ", "unchecked": "-- "}


class Outcomes:
    """A pytest plugin that remembers each benchmark's outcome per (claim, device)."""

    def __init__(self):
        self.cells: Dict[Tuple[str, str], Tuple[str, str]] = {}

    def pytest_runtest_logreport(self, report):
        props = dict(report.user_properties)
        if "claim" not in props or (report.when != "call" and not report.skipped and not report.failed):
            return
        key = (props["claim"], props["device"])
        if report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            self.cells[key] = ("skipped", reason.replace("Skipped: ", "", 1))
        elif report.failed:
            self.cells[key] = ("failed", getattr(getattr(report.longrepr, "reprcrash", None), "message", "")
                               or report.longreprtext.strip().splitlines()[-1])
        else:
            self.cells[key] = ("passed", "")


def describe_check(c: dict) -> str:
    """One line: what, threshold, measured ratio with its noise band, verdict."""
    if c["ratio"] is None:
        return f"{c['what']} {c['op']} {c['threshold']:g}: not timed -> {c['verdict']}"
    bounds = "" if c["low"] == c["high"] else f" [{c['low']:.3g}-{c['high']:.3g}]"
    return f"{c['what']} {c['op']} {c['threshold']:g}: {c['ratio']:.3g}{bounds} -> {c['verdict']}"


def _verdict(entry: Optional[dict], outcome: Optional[Tuple[str, str]]) -> str:
    if entry is not None and entry.get("verdict"):
        if outcome and outcome[0] == "failed" and entry["verdict"] == "holds":
            return "does not hold"  # an assertion of the test itself failed
        return entry["verdict"]
    return "unchecked"


def machine_lines(data: dict) -> List[str]:
    info = data.get("machine_info", {})
    ts = info.get("torch_spec", {})
    cpu = info.get("cpu", {}).get("brand_raw") or info.get("processor") or info.get("machine", "?")
    gpu = ts.get("gpu") or ("none (CUDA not available)" if not ts.get("cuda_available") else "?")
    return [f"machine: {info.get('node', '?')} · {cpu} · {info.get('system', '')} {info.get('release', '')}".rstrip(),
            f"torch {ts.get('torch', '?')} (CUDA build {ts.get('cuda_build')}) · python {ts.get('python', '?')} · "
            f"torch threads {ts.get('threads', '?')} (benchmarks: {ts.get('bench_threads') or 'default'}) · GPU: {gpu}"]


def render(data: dict, outcomes: Dict[Tuple[str, str], Tuple[str, str]], catalog=None) -> List[str]:
    """The per-claim tables (catalog order when a catalog is given), as lines."""
    entries = {(b["extra_info"]["claim"], b["extra_info"]["device"]): b["extra_info"]
               for b in data.get("benchmarks", []) if "claim" in b.get("extra_info", {})}
    keys = list(dict.fromkeys(list(entries) + list(outcomes)))
    if catalog is not None:
        order = {cid: i for i, cid in enumerate(catalog.claims)}
        keys.sort(key=lambda k: (order.get(k[0], len(order)), k[1]))
    lines = machine_lines(data) if data else []
    for claim_id, device in keys:
        entry, outcome = entries.get((claim_id, device)), outcomes.get((claim_id, device))
        verdict = _verdict(entry, outcome)
        claim = catalog.claims.get(claim_id) if catalog is not None else None
        where = f"{claim.tutorial} · {claim.section} · " if claim else ""
        lines += ["", f"{claim_id} — {where}{device}: {verdict.upper() if verdict == 'does not hold' else verdict}"
                  + (" on this machine" if verdict in ("holds", "does not hold", "inconclusive") else "")]
        if claim:
            lines.append(f'  "{claim.quote}"')
        if entry is None:
            lines.append(f"  {outcome[1] if outcome else 'not run'}")
            continue
        lines += ["  " + line for line in _table(entry.get("columns", []), entry.get("rows", []))]
        for c in entry.get("checks", []):
            lines.append(f"  {MARKS.get(c['verdict'], '   ')}{describe_check(c)}")
        if not entry.get("timed"):
            lines.append("  (timing disabled: smoke run)")
        if outcome and outcome[0] == "failed" and verdict == "does not hold" and not any(
                c["verdict"] == "does not hold" for c in entry.get("checks", [])):
            lines.append(f"  failed: {outcome[1]}")
    return lines


def _table(columns: List[str], rows: List[List[str]]) -> List[str]:
    if not columns and not rows:
        return []
    width = max([len(columns)] + [len(r) for r in rows])
    cells = [list(columns) + [""] * (width - len(columns))] + [list(r) + [""] * (width - len(r)) for r in rows]
    widths = [max(len(str(row[i])) for row in cells) for i in range(width)]
    out = []
    for n, row in enumerate(cells):
        out.append("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                             for i, (c, w) in enumerate(zip(row, widths))).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return out


def _parse(argv: List[str]):
    parser = argparse.ArgumentParser(prog="python -m spec bench", add_help=False)
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--show", type=Path, default=None)
    parser.add_argument("-h", "--help", action="store_true")
    return parser.parse_known_args(argv)


def main(argv: Optional[List[str]] = None, write: Callable[[str], None] = print) -> int:
    opts, extra = _parse(list(sys.argv[1:] if argv is None else argv))
    if opts.help:
        write(__doc__)
        return 0
    from spec.__main__ import pytest_args
    from spec.catalog import load_catalog
    if opts.show is not None:
        data = json.loads(opts.show.read_text(encoding="utf-8"))
        for line in render(data, {}, load_catalog()):
            write(line)
        return 0
    import pytest
    if opts.threads is not None:
        os.environ[THREADS_ENV] = str(opts.threads)
    opts.json.parent.mkdir(parents=True, exist_ok=True)
    if opts.json.exists():
        opts.json.unlink()
    outcomes = Outcomes()
    args = pytest_args(["tests/benchmarks"], ["-p", "no:randomly", "-p", "no:xdist", "--benchmark-enable",
                                               "--benchmark-quiet", f"--benchmark-json={opts.json}", *extra])
    rc = int(pytest.main(args, plugins=[outcomes]))
    data = json.loads(opts.json.read_text(encoding="utf-8")) if opts.json.exists() else {}
    write("")
    write("=" * 30 + " torch-spec benchmarks " + "=" * 30)
    for line in render(data, outcomes.cells, load_catalog()):
        write(line)
    write("")
    write(f"pytest-benchmark JSON: {opts.json}" if data else "no benchmark JSON was written")
    return rc
