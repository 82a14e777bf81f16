"""Running a walk where it can be stopped: in a forked child process, never in the watcher itself.

The parent (the command line, the watcher) only imports; the child runs pytest (spec.learn.walk) and
streams one JSON line per event through a pipe: a test starting, a claim's result so far, the end.
The parent stops the child when

- a test runs past its time limit: the child's own timer raises LearnerTimeout inside the learner's
  code first ("your code ran longer than S s in train_model (ws/regression.py:240): an endless loop?");
  if the child does not answer (stuck inside one torch call) the parent kills it a few seconds later;
- Ctrl-C reaches the parent: the walk is "interrupted at <claim>", nothing after it counts;
- `poll()` says so (--watch: a file was saved again while the walk ran).

Where fork is not available (Windows), the walk runs in-process without these guards.
"""
from __future__ import annotations

import json
import os
import select
import signal
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Dict, Optional, Sequence

import pytest

from spec.learn.walk import ClaimResult

GRACE_S = 5.0  # the child's own timer (twice the limit at most) has this long to report before the
# parent kills it
FLOOR_S = 5.0  # no claim's limit is below this
FACTOR = 10.0  # times the reference's own time for that claim


class LearnerTimeout(BaseException):
    """Raised inside the learner's code when a test runs past its limit (a BaseException, so that a
    learner's `except Exception:` does not swallow it)."""


@dataclass
class Outcome:
    results: "OrderedDict[str, ClaimResult]" = field(default_factory=OrderedDict)
    code: int = 0
    output: str = ""
    interrupted_at: Optional[str] = None  # Ctrl-C during this claim
    cancelled: bool = False               # poll() asked to stop (a new save)
    timed_out: Optional[str] = None       # the claim whose test ran past its limit
    running: Optional[str] = None         # the claim running when the walk ended early

    @property
    def failed(self) -> bool:
        return any(r.status == "failed" for r in self.results.values())


def limit_for(claim_id: str, reference_times: Dict[str, float], override: Optional[float]) -> float:
    """The time limit of one claim's tests: --timeout S, else 10x the reference's time, at least 5 s."""
    if override is not None:
        return float(override)
    return max(FLOOR_S, FACTOR * reference_times.get(claim_id, 0.0))


def reference_times() -> Dict[str, float]:
    """claim id -> seconds the reference code takes for that claim's tests on CPU (a table written by
    scripts/learn_reference_times.py; a claim not in it gets the floor)."""
    from pathlib import Path

    from spec.catalog import tomllib
    path = Path(__file__).with_name("reference_times.toml")
    try:
        return {k: float(v) for k, v in tomllib.loads(path.read_text(encoding="utf-8")).items()}
    except (OSError, ValueError):
        return {}


def where_stuck(frame, learner: Optional[str]) -> str:
    """'train_model (ws/regression.py:240)' for the innermost frame of the learner's code, else the
    innermost frame of a test."""
    base = os.path.realpath(learner) if learner else None
    fallback = None
    f = frame
    while f is not None:
        fname = os.path.realpath(f.f_code.co_filename)
        if base and fname.startswith(base + os.sep):
            shown = os.path.join(learner, os.path.basename(fname))
            return f"{f.f_code.co_name} ({shown}:{f.f_lineno})"
        if fallback is None and os.sep + "tests" + os.sep in fname:
            fallback = f"{f.f_code.co_name} ({os.path.relpath(fname)}:{f.f_lineno})"
        f = f.f_back
    return fallback or "a torch call"


def _learner_frame_names(frame, learner: str) -> tuple:
    """The names of the learner's functions on the stack (as where_stuck starts its answer)."""
    base = os.path.realpath(learner)
    names = []
    while frame is not None:
        if os.path.realpath(frame.f_code.co_filename).startswith(base + os.sep):
            names.append(frame.f_code.co_name + " (")
        frame = frame.f_back
    return tuple(names) or ("\0",)


class _TimeLimit:
    """In the child: a per-test alarm that raises LearnerTimeout where the test is."""

    def __init__(self, send, limits: Dict[str, float], learner: Optional[str]):
        self.send, self.limits, self.learner = send, limits, learner
        self.limit = 0.0

    def _alarm(self, signum, frame):
        where = where_stuck(frame, self.learner)
        if not self.extended and self.learner and not where.startswith(_learner_frame_names(frame, self.learner)):
            # not inside the learner's code (the test's own checks, a first import): once more
            self.extended = True
            signal.setitimer(signal.ITIMER_REAL, self.limit)
            return
        raise LearnerTimeout(f"your code ran longer than {self.limit:g} s in {where}: an endless loop?")

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        marker = item.get_closest_marker("claim")
        cid = marker.args[0] if marker is not None and marker.args else ""
        self.limit = self.limits.get(cid, FLOOR_S)
        self.extended = False
        self.send({"t": "start", "claim": cid, "nodeid": item.nodeid, "limit": self.limit})
        signal.signal(signal.SIGALRM, self._alarm)
        signal.setitimer(signal.ITIMER_REAL, self.limit)

    @pytest.hookimpl(trylast=True)
    def pytest_runtest_teardown(self, item, nextitem):
        signal.setitimer(signal.ITIMER_REAL, 0)


def _result_json(r: ClaimResult) -> dict:
    return {"outcomes": r.outcomes, "explanation": r.explanation, "uses": r.uses,
            "learner_code": r.learner_code}


def _child(fd: int, walk_kwargs: dict, limits: Dict[str, float]) -> None:
    """The child: runs the walk, streams its events, exits (Ctrl-C is ignored: the parent's)."""
    out = os.fdopen(fd, "w", buffering=1, encoding="utf-8")

    def send(msg):
        out.write(json.dumps(msg, default=str) + "\n")

    code, output = 3, ""
    try:
        from spec.learn.walk import run_walk
        timer = _TimeLimit(send, limits, walk_kwargs.get("learner"))

        def on_result(cid, result):
            send({"t": "result", "claim": cid, "result": _result_json(result)})

        walk, code, output = run_walk(**walk_kwargs, plugins=[timer], on_result=on_result)
    except BaseException as exc:  # noqa: BLE001  the parent must always hear the end
        output = f"{type(exc).__name__}: {exc}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        send({"t": "end", "code": code, "output": output[-6000:]})
        out.close()
        os._exit(0)


def run(path_ids: Sequence[str], learner: Optional[str], devices: str = "auto",
        paths: Sequence[str] = ("tests/claims",), extra: Sequence[str] = (),
        timeout: Optional[float] = None, poll: Optional[Callable[[], bool]] = None,
        stop: bool = True) -> Outcome:
    """Walk `path_ids` against `learner` (None: the reference) in a child process."""
    times = reference_times()
    limits = {cid: limit_for(cid, times, timeout) for cid in path_ids}
    kwargs = dict(path_ids=list(path_ids), learner=learner, devices=devices, paths=list(paths),
                  extra=list(extra), stop=stop)
    if not hasattr(os, "fork"):  # pragma: no cover  (no guards without fork)
        from spec.learn.walk import run_walk
        walk, code, output = run_walk(**kwargs)
        return Outcome(walk.results, code, output)
    sys.stdout.flush()
    sys.stderr.flush()
    rfd, wfd = os.pipe()
    # Ctrl-C stays blocked across the fork: the child must never see it, the parent sees it inside
    # _parent (where it stops the child), not between the fork and there
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    pid = os.fork()
    if pid == 0:  # pragma: no cover  (the child; coverage does not follow os._exit)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        os.close(rfd)
        _child(wfd, kwargs, limits)
    os.close(wfd)
    return _parent(pid, rfd, limits, poll, mask)


def _parent(pid: int, rfd: int, limits: Dict[str, float], poll, mask) -> Outcome:
    outcome = Outcome()
    buf = b""
    started, running, limit = time.monotonic(), None, None
    ended = False
    try:
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)  # a Ctrl-C pending since the fork lands here
        while not ended:
            ready, _, _ = select.select([rfd], [], [], 0.1)
            if ready:
                chunk = os.read(rfd, 65536)
                if not chunk:
                    break
                buf += chunk
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    msg = json.loads(line.decode("utf-8"))
                    if msg["t"] == "start":
                        running, limit, started = msg["claim"], msg["limit"], time.monotonic()
                    elif msg["t"] == "result":
                        r = msg["result"]
                        outcome.results[msg["claim"]] = ClaimResult(
                            [tuple(o) for o in r["outcomes"]], r["explanation"], r["uses"],
                            r["learner_code"])
                    elif msg["t"] == "end":
                        outcome.code, outcome.output, ended = msg["code"], msg["output"], True
            if not ended and running is not None and limit is not None \
                    and time.monotonic() - started > 2 * limit + GRACE_S:
                _kill(pid)
                outcome.timed_out = outcome.running = running
                outcome.results[running] = ClaimResult([("failed", "time limit")], {
                    "when": "call", "nodeid": "", "error":
                    f"your code ran longer than {limit:g} s (stopped inside one call that could not "
                    f"be interrupted, e.g. a huge tensor operation): an endless loop?"})
                outcome.code = 1
                break
            if not ended and poll is not None and poll():
                _kill(pid)
                outcome.cancelled, outcome.running = True, running
                break
    except KeyboardInterrupt:
        _kill(pid)
        outcome.interrupted_at = running or "the start"
        outcome.running = running
    finally:
        os.close(rfd)
        _reap(pid)
    if outcome.timed_out is None:
        for cid, r in outcome.results.items():
            if r.explanation and "ran longer than" in (r.explanation.get("error") or ""):
                outcome.timed_out = cid
    return outcome


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _reap(pid: int) -> None:
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass
