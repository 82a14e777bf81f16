"""Benchmark (and transcript) of `python -m spec learn DIR --watch`: time from a save to its verdict.

A fresh workspace is written with --init, the watcher is started on it, and the exercises of one
tutorial are filled in file order with the tutorial's code (the reference in spec/tutorials, which
follows the tutorial's text). Before each fill, a save that changes nothing the claims can see (a
comment) measures the fast path: the claim you are on still fails. The fill itself measures the walk
to the next failure. Prints both series (median, max) and writes the watcher's whole output to
--transcript.

    python scripts/learn_watch_timing.py [--tutorial regression] [--transcript FILE] [--keep DIR]
"""
from __future__ import annotations

import argparse
import ast
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def units(source: str):
    """(name, first line, last line) of every top-level def/class, in file order."""
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            yield node.name, first, node.end_lineno


def fill(path: Path, name: str, reference: str) -> None:
    """Replace the stub of `name` in the workspace file by the reference code of it."""
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    ref_lines = reference.splitlines()
    _, rf, rl = next(u for u in units(reference) if u[0] == name)
    _, f, last = next(u for u in units(text) if u[0] == name)
    lines[f - 1:last] = ref_lines[rf - 1:rl]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


class Watcher:
    def __init__(self, workspace: Path, tutorial: str):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "spec", "learn", str(workspace), "--watch", "--tutorial", tutorial],
            cwd=str(ROOT), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
        self.lines: "queue.Queue[tuple]" = queue.Queue()
        self.transcript = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put((time.monotonic(), line.rstrip("\n")))

    def verdict(self, timeout: float = 300.0):
        """Lines up to the next 'watching ...' prompt; returns (time of the prompt, lines)."""
        got = []
        end = time.monotonic() + timeout
        while True:
            t, line = self.lines.get(timeout=max(0.1, end - time.monotonic()))
            self.transcript.append(line)
            got.append(line)
            if line.startswith("watching "):
                return t, got

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--tutorial", default="regression")
    p.add_argument("--transcript", type=Path, help="write the watcher's output here")
    p.add_argument("--keep", type=Path, help="use this (new) directory as the workspace and keep it")
    p.add_argument("--only", type=int, help="stop after this many exercises")
    p.add_argument("--settle", type=float, default=5.0,
                   help="seconds between a verdict and the next save (the learner typing; --watch "
                        "checks the facts ahead meanwhile)")
    args = p.parse_args()
    base = Path(tempfile.mkdtemp(prefix="learn-timing-"))
    ws = args.keep or base / "ws"
    subprocess.run([sys.executable, "-m", "spec", "learn", "--init", str(ws)], cwd=str(ROOT), check=True,
                   stdout=subprocess.DEVNULL)
    reference = (ROOT / "spec" / "tutorials" / f"{args.tutorial}.py").read_text(encoding="utf-8")
    target = ws / f"{args.tutorial}.py"
    w = Watcher(ws, args.tutorial)
    fast, walk = [], []
    try:
        w.verdict()
        names = [n for n, _, _ in units(reference) if not n.startswith("_")]
        for name in names[:args.only]:
            for kind in ("comment", "fill"):
                time.sleep(args.settle)
                if kind == "comment":
                    with open(target, "a", encoding="utf-8") as f:
                        f.write(f"# still working on {name}\n")
                else:
                    fill(target, name, reference)
                saved = time.monotonic()
                w.transcript.append(f"### saved ({kind}: {name})")
                t, got = w.verdict()
                rechecked = any(ln.startswith("(rechecked") for ln in got)
                (fast if rechecked else walk).append(t - saved)
                print(f"{kind:7s} {name:28s} {t - saved:5.2f} s  {'current claim' if rechecked else 'walk'}",
                      flush=True)
    finally:
        w.stop()
        if args.transcript:
            args.transcript.write_text("\n".join(w.transcript) + "\n", encoding="utf-8")
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    for label, xs in (("current claim still fails", fast), ("walk to the next failure", walk)):
        if xs:
            print(f"{label}: n={len(xs)} median {statistics.median(xs):.2f} s, max {max(xs):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
