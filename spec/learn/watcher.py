"""--watch: run again whenever a *.py file of the workspace is saved.

The walk runs in the worker (a child process), so the watcher stays responsive: a save while a walk
runs stops that walk and starts a new one; an endless loop in the learner's code ends at its time
limit and the next save is answered. Ctrl-C while a walk runs: "interrupted at <claim>", exit 130;
Ctrl-C while waiting: "stopped watching", exit 0.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Optional

from spec.learn.lesson import INTERRUPTED, check_facts_ahead, learn_once


def snapshot(directory: Path) -> dict:
    return {p: p.stat().st_mtime_ns for p in sorted(directory.glob("*.py"))}


def warm_up() -> None:
    """Import what every walk needs once, in the watcher, so that each forked walk starts warm
    (nothing is run here: the watcher itself never runs the learner's code)."""
    import numpy  # noqa: F401
    import pytest  # noqa: F401
    import torch  # noqa: F401

    import spec.plugin  # noqa: F401
    from spec.learn import explanations, pytest_plugin, walk  # noqa: F401
    # first uses that import seconds of torch (an optimizer pulls in torch._dynamo): one-element
    # tensors, so that no thread pool starts before the fork
    p = torch.zeros(1, requires_grad=True)
    for cls in (torch.optim.SGD, torch.optim.Adam):
        cls([p], lr=0.1)
    from torch.testing import assert_close  # noqa: F401
    from spec.learn.testmap import claim_tests
    claim_tests()
    _import_tests()


def _import_tests() -> None:
    """The claim test modules, as pytest will import them (rootdir on sys.path, package names)."""
    import importlib

    from spec.__main__ import ROOT
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    for path in sorted((ROOT / "tests" / "claims").glob("test_*.py")):
        try:
            importlib.import_module(f"tests.claims.{path.stem}")
        except Exception:  # noqa: BLE001  pytest will report it in the walk itself
            pass


def watch(args, catalog, interval: float = 0.1, write=print, max_runs: Optional[int] = None) -> int:
    """Run, then run again whenever a *.py file in the workspace changes (polling every `interval`
    seconds) until Ctrl-C (or `max_runs` runs, for the tests)."""
    directory = Path(args.workspace)
    if getattr(args, "warm", True):
        warm_up()
    state = {"last": snapshot(directory)}

    def saved_again() -> bool:
        return snapshot(directory) != state["last"]

    def one_run() -> int:
        state["last"] = snapshot(directory)
        return learn_once(args, catalog, write, poll=saved_again)

    runs = 1
    code = one_run()
    try:
        while code != INTERRUPTED:
            if max_runs is not None and runs >= max_runs:
                return 0
            write("")
            write(f"watching {directory} for saved changes (Ctrl-C to stop)")
            sys.stdout.flush()
            if getattr(args, "ahead", True):
                check_facts_ahead(args, catalog, poll=saved_again)
            while not saved_again():
                time.sleep(interval)
            now = snapshot(directory)
            changed = sorted(p.name for p in set(now) | set(state["last"])
                             if now.get(p) != state["last"].get(p))
            write("")
            write(f"──── {time.strftime('%H:%M:%S')} · saved: {', '.join(changed)} ────")
            code = one_run()
            runs += 1
        return INTERRUPTED
    except KeyboardInterrupt:
        write("")
        write("stopped watching")
        return 0
