"""How long the suite takes, as ratios measured side by side (a benchmark script, not a timed test).

    python scripts/suite_timing.py [--runs N] [--only NAME ...] [--before DIR]

Runs each command N times (default 3), alternating command by command so that a change of machine
load hits every command alike, and prints each one's median and minimum wall time and the ratios the
project tracks: `python -m spec` / a bare `import torch`, `pytest -n auto` / serial `pytest`, in wall
time and in CPU time (user + system of the command and its children). With
--before DIR (another checkout of this project, e.g. `git worktree add /tmp/before main`) every
command also runs there, interleaved, with the same interpreter, and the table shows both.
The load average is printed before and after: on a shared machine compare ratios, not seconds.
Each tree's tests are collected once, untimed, before the first run (pytest caches its rewritten test
modules, as on any second run), and the commands run with bytecode caching on (a default Python's).
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = {
    "import-torch": ["-c", "import torch"],
    "spec": ["-m", "spec"],
    "pytest-serial": ["-m", "pytest", "-q", "-p", "no:randomly"],
    "pytest-n-auto": ["-m", "pytest", "-q", "-p", "no:randomly", "-n", "auto"],
    "meta": ["-m", "pytest", "-q", "-p", "no:randomly", "tests/meta"],
}
RATIOS = [("spec", "import-torch", "python -m spec / import torch"),
          ("pytest-n-auto", "pytest-serial", "pytest -n auto / serial pytest")]


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _env(tree: Path) -> dict:
    """This tree's spec package (not the installed one); bytecode written as a default Python writes it
    (PYTHONDONTWRITEBYTECODE dropped), so that pytest keeps its rewritten test modules between runs."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return dict(env, PYTHONPATH=str(tree))


def warm_up(tree: Path) -> None:
    """Collect every test once, untimed: what any second run finds cached (rewritten test modules,
    .pyc files) is then there for the first timed run too."""
    subprocess.run([sys.executable, "-m", "pytest", "-q", "--collect-only", "-p", "no:randomly"], cwd=tree,
                   env=_env(tree), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_once(tree: Path, args: List[str]) -> tuple:
    """(wall seconds, CPU seconds of the command and its children, e.g. xdist workers)."""
    env = _env(tree)
    cpu, start = _cpu(), time.perf_counter()
    done = subprocess.run([sys.executable, *args], cwd=tree, env=env, stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):  # 1: a BROKEN claim is still a timing
        sys.exit(f"{' '.join(args)} in {tree}: exit {done.returncode}\n{done.stderr[-2000:]}")
    return elapsed, _cpu() - cpu


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--only", nargs="+", choices=list(COMMANDS), default=list(COMMANDS))
    ap.add_argument("--before", type=Path, help="another checkout to time alongside this one")
    args = ap.parse_args(argv)
    if args.before is not None and not (args.before / "spec" / "__main__.py").is_file():
        ap.error(f"--before {args.before}: not a checkout of this project")
    trees = {"now": ROOT, **({"before": args.before.resolve()} if args.before else {})}
    times: Dict[tuple, List[float]] = {(t, c): [] for t in trees for c in args.only}
    cpus: Dict[tuple, List[float]] = {(t, c): [] for t in trees for c in args.only}
    print(f"load average before: {' '.join(f'{x:.1f}' for x in os.getloadavg())} "
          f"({os.cpu_count()} cores)", flush=True)
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("PYTHONDONTWRITEBYTECODE is set here: dropped for the timed commands (a default Python "
              "caches bytecode)")
    seeds = os.environ.get("TORCH_SPEC_SEEDS")
    print(f"TORCH_SPEC_SEEDS={seeds}: the printed tutorials' replays run (README's numbers are without)" if seeds
          else "TORCH_SPEC_SEEDS not set: the replays of the printed tutorials read unchecked, as in the README")
    for tree in trees.values():
        warm_up(tree)
    for r in range(args.runs):
        for name in args.only:
            for label, tree in trees.items():
                t, c = run_once(tree, COMMANDS[name])
                times[(label, name)].append(t)
                cpus[(label, name)].append(c)
                print(f"  run {r + 1}: {label:<6} {name:<14} {t:6.1f} s wall {c:6.1f} s CPU", flush=True)
    print(f"load average after: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(f"\n{'command':<16}" + "".join(f"{label + ' median':>14}{label + ' min':>11}" for label in trees))
    med = {k: statistics.median(v) for k, v in times.items()}
    for name in args.only:
        print(f"{name:<16}" + "".join(f"{med[(label, name)]:>12.1f} s{min(times[(label, name)]):>9.1f} s"
                                      for label in trees))
    cpu = {k: statistics.median(v) for k, v in cpus.items()}
    print("CPU seconds (user + system, the command and its children; less sensitive to load):")
    for name in args.only:
        print(f"{name:<16}" + "".join(f"{cpu[(label, name)]:>12.1f} s{'':>11}" for label in trees))
    for a, b, words in RATIOS:
        for label in trees:
            if (label, a) in med and (label, b) in med:
                print(f"{label}: {words} = {med[(label, a)] / med[(label, b)]:.2f}x wall, "
                      f"{cpu[(label, a)] / cpu[(label, b)]:.2f}x CPU (medians)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
