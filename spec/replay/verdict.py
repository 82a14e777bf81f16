"""Run one tutorial's cells in a fresh interpreter and give each exactly one verdict.

as printed  it runs and its output matches what the tutorial prints (or the tutorial shows none)
explained   it fails or differs, and every difference is one that an explaining claim (an erratum, or a
            version-ranged claim outside its range on this torch) records in the cells file's `got`
unchecked   it needs what this machine lacks (CUDA, an optional package, a data set, the network), or
            the seeds are not given; with the reason
BROKEN      anything else: a difference nobody explains, an explanation that did not happen, a timeout
"""
from __future__ import annotations

import ast
import importlib.util
import json
import os
import re
import subprocess
import sys
import select
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from spec.catalog import Catalog, Tutorial
from spec.replay import compare
from spec.replay.cells import CellEntry, transform
from spec.replay.extract import Cell

VERDICTS = ("as printed", "explained", "unchecked", "BROKEN")
DATA_ENV = "TORCH_SPEC_DATA"
DEFAULT_TIMEOUT = 30.0   # CPU seconds per cell
WALL_FACTOR = 4          # a cell is given up after WALL_FACTOR * timeout + 10 s of wall-clock time


@dataclass
class Verdict:
    tutorial: str
    cell: int
    section: str
    first_line: str
    verdict: str
    claims: List[str] = field(default_factory=list)
    detail: str = ""   # what differed, or why unchecked
    note: str = ""     # e.g. "unseeded: not reproducible (shape, dtype and format compared)"
    seconds: float = 0.0

    def as_dict(self) -> dict:
        return asdict(self)


def assigned_names(source: str) -> set:
    """Names a cell binds at top level (what later cells may need from it)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
    return names


class Kernel:
    """The child interpreter (spec.replay.kernel), one per tutorial."""

    def __init__(self, cwd: Path, wall: Optional[float] = None):
        self.wall = wall
        env = {k: v for k, v in os.environ.items() if k not in ("PYTHONWARNINGS", "PYTHONSTARTUP")}
        env["MPLBACKEND"] = "Agg"
        root = str(Path(__file__).resolve().parents[2])
        env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "") if env.get("PYTHONPATH") else root
        self.proc = subprocess.Popen([sys.executable, "-m", "spec.replay.kernel"], cwd=str(cwd), env=env,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                     text=True, encoding="utf-8")

    def run(self, source: str, timeout: float) -> dict:
        assert self.proc.stdin and self.proc.stdout
        if self.proc.poll() is not None:
            return _died(f"the interpreter was stopped ({self.proc.returncode}) before this cell")
        try:
            self.proc.stdin.write(json.dumps({"source": source, "timeout": timeout}) + "\n")
            self.proc.stdin.flush()
        except BrokenPipeError:
            return _died(f"the interpreter exited ({self.proc.wait()})")
        # the kernel ends a cell after `timeout` s of CPU time; a cell blocked on I/O is given up here
        wall = self.wall if self.wall is not None else WALL_FACTOR * timeout + 10
        ready, _, _ = select.select([self.proc.stdout], [], [], wall)
        if not ready:
            self.proc.kill()
            self.proc.wait()
            return {"error": None, "output": "", "missing": None, "stubbed": [], "timed_out": True}
        line = self.proc.stdout.readline()
        return json.loads(line) if line else _died(f"the interpreter exited ({self.proc.wait()})")

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _died(message: str) -> dict:
    return {"error": {"type": "KernelDied", "message": message, "name": None}, "output": "", "missing": None,
            "stubbed": [], "timed_out": False}


def _active(entry: Optional[CellEntry], catalog: Catalog, torch_version: str) -> List[str]:
    """The explaining claims that say, on this torch, that the cell does not run or print as printed."""
    if entry is None:
        return []
    return [cid for cid in entry.explains
            if catalog.claims[cid].erratum or not catalog.claims[cid].holds_on(torch_version)]


def explain(diff: List[Tuple[str, str]], active: List[str], got: Dict[str, compare.Pattern]) -> Tuple[bool, str]:
    """Is every differing line explained by an active claim's pattern, and does every active claim
    explain at least one? (ok, what is not explained)."""
    used, explained = set(), [False] * len(diff)
    for cid in active:
        pattern = got[cid]
        if isinstance(pattern, float):
            pairs = compare.paired(diff)
            if pairs and all(compare.numbers_within(p, a, pattern) for p, a in pairs):
                explained = [True] * len(diff)
                used.add(cid)
            continue
        for k, (_, line) in enumerate(diff):
            if re.search(pattern, line):
                explained[k] = True
                used.add(cid)
    unexplained = [f"{s} {line}" for (s, line), ok in zip(diff, explained) if not ok]
    if unexplained:
        return False, "differs beyond the explanation: " + " | ".join(unexplained[:4])
    missing = [cid for cid in active if cid not in used]
    if missing:
        return False, f"{', '.join(missing)} records a difference that did not occur"
    return True, ""


def decide(cell: Cell, entry: Optional[CellEntry], result: dict, catalog: Catalog, torch_version: str,
           on_cuda: bool) -> Verdict:
    own = list(entry.explains + entry.claims) if entry else []
    v = Verdict("", cell.index, cell.section, cell.first_line, "", own)
    rules = entry.rules if entry else ()
    if "unseeded" in rules:
        v.note = "unseeded: not reproducible (shape, dtype and format compared)"
    missing = result.get("missing") or (result.get("stubbed") or [None])[0]
    if missing:
        v.verdict, v.detail = "unchecked", f"needs {missing}: not installed"
        return v
    if entry and entry.needs == "cuda" and not on_cuda:
        v.verdict, v.detail = "unchecked", "CUDA not available"
        return v
    if result.get("timed_out"):
        v.verdict, v.detail = "BROKEN", "timed out"
        return v
    error = result.get("error")
    if error:
        diff = [("!", f"{error['type']}: {error['message']}")]
    elif cell.printed is None:
        diff, v.note = [], v.note or "no output shown"
    else:
        kw = dict(fmt=cell.fmt, rules=rules, on_cuda=on_cuda, printed_mentions_cuda="cuda" in cell.printed)
        diff = compare.differences(compare.normalise(cell.printed, printed_side=True, **kw),
                                   compare.normalise(result["output"], **kw), tail="tail" in rules)
    active = _active(entry, catalog, torch_version)
    if not diff:
        if active:
            v.verdict, v.detail = "BROKEN", f"runs as printed, but {', '.join(active)} say(s) it does not"
        else:
            v.verdict = "as printed"
        return v
    if not active:
        v.verdict, v.detail = "BROKEN", "differs, and no claim explains it: " + " | ".join(
            f"{s} {line}" for s, line in diff[:4])
        return v
    ok, why = explain(diff, active, entry.got)
    v.verdict = "explained" if ok else "BROKEN"
    v.detail = " | ".join(f"{s} {line}" for s, line in diff[:4]) if ok else why
    v.claims = active + [c for c in own if c not in active] if ok else own
    return v


def _need_unmet(entry: Optional[CellEntry]) -> Optional[str]:
    if entry is None or entry.needs in (None, "cuda"):
        return None
    if entry.needs == "torchvision":
        return None if importlib.util.find_spec("torchvision") else "needs torchvision: not installed"
    if entry.needs == "data":
        data = os.environ.get(DATA_ENV)
        return None if data and Path(data).is_dir() else f"needs a data set (${DATA_ENV} not set)"
    return "needs the network (the replay downloads nothing)"


def replay_tutorial(tutorial: Tutorial, cells: List[Cell], entries: Dict[int, CellEntry], catalog: Catalog,
                    timeout: float = DEFAULT_TIMEOUT, wall: Optional[float] = None) -> List[Verdict]:
    import torch
    on_cuda = torch.cuda.is_available()
    failed: Dict[str, Verdict] = {}   # name -> the verdict of the cell that should have bound it
    verdicts: List[Verdict] = []
    data = os.environ.get(DATA_ENV)
    with tempfile.TemporaryDirectory(prefix="torch-spec-replay-") as tmp:
        kernel = Kernel(Path(data) if data and Path(data).is_dir() else Path(tmp), wall)
        try:
            for cell in cells:
                entry = entries.get(cell.index)
                source = transform(cell.source, entry)
                unmet = _need_unmet(entry)
                if unmet:
                    v = Verdict(tutorial.id, cell.index, cell.section, cell.first_line, "unchecked",
                                list(entry.explains + entry.claims), unmet)
                else:
                    if entry and entry.setup:
                        setup = kernel.run(entry.setup, timeout)
                        if setup.get("error") or setup.get("timed_out"):
                            v = Verdict(tutorial.id, cell.index, cell.section, cell.first_line, "BROKEN",
                                        [], f"setup failed: {setup.get('error')}")
                            verdicts.append(v)
                            continue
                    started = time.perf_counter()
                    result = kernel.run(source, timeout)
                    elapsed = round(time.perf_counter() - started, 3)
                    v = _inherit(cell, result, failed) or decide(cell, entry, result, catalog,
                                                                 torch.__version__, on_cuda)
                    v.tutorial, v.seconds = tutorial.id, elapsed
                    if result.get("error") or result.get("missing") or result.get("timed_out"):
                        for name in assigned_names(source):
                            failed.setdefault(name, v)
                verdicts.append(v)
                if unmet:
                    for name in assigned_names(source):
                        failed.setdefault(name, v)
        finally:
            kernel.close()
    return verdicts


def _inherit(cell: Cell, result: dict, failed: Dict[str, Verdict]) -> Optional[Verdict]:
    """A NameError for a name that an earlier failed cell should have bound: that cell's verdict."""
    error = result.get("error")
    if not error or error["type"] != "NameError" or error.get("name") not in failed:
        return None
    origin = failed[error["name"]]
    return Verdict("", cell.index, cell.section, cell.first_line, origin.verdict, list(origin.claims),
                   f"depends on cell {origin.cell} ({origin.verdict}): {error['message']}")
