"""A learner's transcript of `python -m spec learn`, reproducible: what a beginner sees, step by step.

In a temporary directory: `python -m spec learn --init ws`, then the exercises of one tutorial are
filled one at a time with the tutorial's code (the reference in spec/tutorials), in the order the path
asks for them (the exercise named by the run's `not written yet: TODO ...` line; otherwise the next one
of spec.learn.stubs.exercises()), each followed by `python -m spec learn ws --tutorial ID`. Then classic
mistakes are planted one at a time in the solved workspace (no zero_grad, float64 data, an endless
loop run with `--timeout 3`) and their messages recorded. Every command and its output (the first
--lines lines of it) go to --out.

    python scripts/learner_transcript.py --out FILE [--tutorial regression] [--lines 30] [--hint]
"""
from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from learn_watch_timing import fill, units  # noqa: E402  (one way to fill an exercise, shared)

TODO_LINE = re.compile(r"not written yet: TODO in \S+ \(([\w.]+)\)")


def learn(cwd: Path, *args: str) -> tuple:
    """Run `python -m spec learn ARGS` in `cwd` (paths in its output read ws/...); (command, rc, output)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
           "COLUMNS": "120"}
    proc = subprocess.run([sys.executable, "-m", "spec", "learn", *args], cwd=str(cwd), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    return "python -m spec learn " + " ".join(args), proc.returncode, proc.stdout


def function_source(source: str, name: str) -> tuple:
    """(first line, last line) of the top-level def/class `name` (1-based), or None."""
    return next(((f, last) for n, f, last in units(source) if n == name), None)


def plant(path: Path, name: str, old: str, new: str) -> bool:
    """Replace the last `old` inside top-level `name` of the workspace file by `new`."""
    text = path.read_text(encoding="utf-8")
    span = function_source(text, name)
    if span is None:
        return False
    lines = text.splitlines()
    body = "\n".join(lines[span[0] - 1:span[1]])
    if old not in body:
        return False
    head, _, tail = body.rpartition(old)  # the last one: the code, after any docstring quoting it
    lines[span[0] - 1:span[1]] = (head + new + tail).splitlines()
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return True


def code_of(source: str, first: int, last: int) -> str:
    """The lines first..last of `source` without the docstring of the def/class that starts there."""
    lines = source.splitlines()[first - 1:last]
    node = ast.parse(textwrap.dedent("\n".join(lines))).body[0]
    doc = ast.get_docstring(node) is not None
    start = node.body[1].lineno if doc and len(node.body) > 1 else 1
    return "\n".join(lines[:1] + lines[start - 1:]) + "\n"


def mistakes(reference: str):
    """(title, exercise, old, new, extra learn args): the classic mistakes, each planted in the first
    exercise (file order) whose tutorial code has the line it breaks (docstrings left alone)."""
    found = {}
    for name, f, last in units(reference):
        body = code_of(reference, f, last)
        m = re.search(r"^( *)optimizer\.zero_grad\(\)\n", body, re.M)
        if m and "zero_grad" not in found:
            found["zero_grad"] = ("no optimizer.zero_grad()", name, m.group(0), "", ())
        if ".float()" in body and "float64" not in found:
            found["float64"] = ("float64 data (no .float())", name, ".float()", "", ())
        m = re.search(r"^( *)for (\w+) in range\(([^():]*(?:\([^()]*\))?[^():]*)\):\n", body, re.M)
        if m and "loop" not in found:
            pad, var, bounds = m.group(1), m.group(2), [b.strip() for b in m.group(3).split(",")]
            start, stop = (bounds[0], bounds[1]) if len(bounds) > 1 else ("0", bounds[0])
            found["loop"] = ("an endless loop (the counter never grows)", name, m.group(0),
                             f"{pad}{var} = {start}\n{pad}while {var} < {stop}:  # forgot {var} += 1\n",
                             ("--timeout", "3"))
    return [found[k] for k in ("zero_grad", "float64", "loop") if k in found]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, required=True, help="write the transcript here")
    p.add_argument("--tutorial", default="regression", help="the tutorial whose exercises are filled")
    p.add_argument("--lines", type=int, default=30, help="keep the first N lines of each output")
    p.add_argument("--hint", action="store_true", help="ask --hint at every step (the hint, not the code)")
    p.add_argument("--keep", type=Path, help="use this (new) directory for the workspace and keep it")
    args = p.parse_args()
    from spec.learn.stubs import exercises, reference_modules
    refs = reference_modules()
    if args.tutorial not in refs:
        p.error(f"--tutorial {args.tutorial}: no such tutorial module (choose from {', '.join(refs)})")
    base = args.keep or Path(tempfile.mkdtemp(prefix="learner-transcript-"))
    base.mkdir(parents=True, exist_ok=True)
    reference = refs[args.tutorial].read_text(encoding="utf-8")
    names = [e.name for e in exercises() if e.tutorial == args.tutorial and e.kind != "method"]
    target = base / "ws" / f"{args.tutorial}.py"
    out: list = [f"# learner transcript: tutorial {args.tutorial}, {len(names)} exercises, "
                 f"first {args.lines} lines of each output", ""]

    def record(title, cmd, rc, text):
        lines = text.rstrip("\n").splitlines()
        cut = lines[:args.lines] + ([f"[... {len(lines) - args.lines} more lines]"]
                                    if len(lines) > args.lines else [])
        out.extend([f"## {title}", f"$ {cmd}   # exit {rc}", *cut, ""])
        print(f"{title:60.60s} exit {rc}", flush=True)

    try:
        record("init", *learn(base, "--init", "ws"))
        run = ("ws", "--tutorial", args.tutorial) + (("--hint",) if args.hint else ())
        done, step = set(), 0
        cmd, rc, text = learn(base, *run)
        record("start: every exercise a TODO", cmd, rc, text)
        while rc != 0 and len(done) < len(names):
            m = TODO_LINE.search(text)
            asked = m.group(1).split(".")[0] if m else None
            name = asked if asked in names and asked not in done else next(n for n in names if n not in done)
            fill(target, name, reference)
            done.add(name)
            step += 1
            started = time.monotonic()
            cmd, rc, text = learn(base, *run)
            record(f"step {step}: {name} filled with the tutorial's code "
                   f"({time.monotonic() - started:.1f} s)", cmd, rc, text)
        if rc != 0:
            out.append(f"(stopped: every exercise filled and the path still fails, exit {rc})")
        solved = target.read_text(encoding="utf-8")
        progress = base / "ws.torch-spec-progress.json"
        kept = progress.read_bytes() if progress.is_file() else None
        for title, name, old, new, extra in mistakes(reference):
            if not plant(target, name, old, new):
                continue
            record(f"mistake: {title} in {name}", *learn(base, "ws", "--tutorial", args.tutorial, *extra))
            target.write_text(solved, encoding="utf-8")
            if kept is not None:
                progress.write_bytes(kept)
    finally:
        args.out.write_text("\n".join(out) + "\n", encoding="utf-8")
        if not args.keep:
            shutil.rmtree(base, ignore_errors=True)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
