"""The walk: the claims of the path run in catalog order by pytest, stopping at the first failing
test; one ClaimResult per claim."""
from __future__ import annotations

import contextlib
import io
import sys
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple


DONE = ("passed", "changed")  # an erratum's test passes: it is "passed" here, flagged by claim.erratum


def _device_reason(detail: str) -> Tuple[str, str]:
    """'cuda: CUDA not available' -> ('cuda', 'CUDA not available'); a reason kept without its
    device -> ('', reason)."""
    from spec.catalog import DEVICE_TYPES
    dev, sep, reason = detail.partition(": ")
    return (dev, reason) if sep and dev in DEVICE_TYPES else ("", detail)


# --- running the walk ------------------------------------------------------------------------------

@dataclass
class ClaimResult:
    outcomes: List[Tuple[str, str]] = field(default_factory=list)  # (passed|failed|unchecked|changed, detail)
    explanation: Optional[dict] = None
    uses: List[str] = field(default_factory=list)  # "tutorial:name" of the learner's code its tests called
    learner_code: bool = False  # some test of the claim takes the `tutorial` fixture

    @property
    def status(self) -> str:
        kinds = [k for k, _ in self.outcomes]
        if "failed" in kinds:
            return "failed"
        if "passed" in kinds:
            return "passed"
        if "changed" in kinds:
            return "changed"
        return "unchecked"

    def unchecked_reasons(self) -> List[str]:
        """Why this claim was not checked here: one reason, or each device's own when they differ
        ('cpu: torchviz is not installed ...', 'cuda: CUDA not available ...')."""
        on = sorted({_device_reason(d) for k, d in self.outcomes if k == "unchecked"})
        if len({r for _, r in on}) <= 1:
            return sorted({r for _, r in on})
        return [f"{dev}: {r}" if dev else r for dev, r in on]


class WalkPlugin:
    """Runs the claims of the path in catalog order and stops at the first failing test."""

    def __init__(self, path_ids: Sequence[str], learner: Optional[str], stop: bool = True,
                 on_result=None):
        self.order = {cid: i for i, cid in enumerate(path_ids)}
        self.learner = learner
        self.stop = stop
        self.results: "OrderedDict[str, ClaimResult]" = OrderedDict()
        self.collected: Dict[str, int] = {}
        self.calls: Dict[str, List[str]] = {}  # nodeid -> learner functions it called
        self.on_result = on_result  # called with (claim id, ClaimResult) after every report
        self.uses_tutorial: Dict[str, bool] = {}

    @staticmethod
    def claim_id(item) -> Optional[str]:
        marker = item.get_closest_marker("claim")
        return marker.args[0] if marker is not None and marker.args else None

    def pytest_collection_modifyitems(self, session, config, items):
        keep = [it for it in items if self.claim_id(it) in self.order]
        keep.sort(key=lambda it: self.order[self.claim_id(it)])  # stable: file order within a claim
        dropped = [it for it in items if self.claim_id(it) not in self.order]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep
        for it in keep:
            cid = self.claim_id(it)
            self.collected[cid] = self.collected.get(cid, 0) + 1
            self.uses_tutorial[cid] = self.uses_tutorial.get(cid, False) or "tutorial" in it.fixturenames

    def pytest_runtest_logreport(self, report):
        cid = dict(report.user_properties).get("claim")
        if cid is None:
            return
        result = self.results.setdefault(cid, ClaimResult())
        result.learner_code = self.uses_tutorial.get(cid, False)
        if getattr(report, "learner_calls", None) is not None:
            self.calls[report.nodeid] = report.learner_calls
            result.uses = sorted(set(result.uses) | set(report.learner_calls))
        own = getattr(report, "learner", None) or {}
        if report.skipped and hasattr(report, "wasxfail") and not (own.get("todo") or own.get("your_lines")):
            result.outcomes.append(("changed", report.wasxfail))
        elif report.failed or hasattr(report, "wasxfail"):  # any failure, and a crash of the learner's
            # code inside a "changed" claim's expected failure, is the learner's ✗
            result.outcomes.append(("failed", report.nodeid))
            if result.explanation is None:
                result.explanation = getattr(report, "learner", None) or {
                    "error": report.longreprtext.strip()[-1500:], "nodeid": report.nodeid}
        elif report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            for prefix in ("Skipped: ", "unchecked: "):
                reason = reason[len(prefix):] if reason.startswith(prefix) else reason
            device = dict(report.user_properties).get("device")
            result.outcomes.append(("unchecked", f"{device}: {reason}" if device not in (None, "any")
                                    else reason))
        elif report.passed and report.when == "call":
            result.outcomes.append(("passed", ""))
        if self.on_result is not None:
            self.on_result(cid, result)

    @property
    def failed(self) -> bool:
        return any(r.status == "failed" for r in self.results.values())


def _make_explain_hook():
    """In walks without --learner: explanations of failures of the reference code."""
    import pytest

    class _Explain:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(self, item, call):
            outcome = yield
            report = outcome.get_result()
            if report.failed and call.excinfo is not None and not hasattr(report, "learner"):
                from spec.learn.explanations import explain
                try:
                    report.learner = explain(item, call, None)
                except Exception:  # never let the explanation hide the failure itself
                    pass
    return _Explain()


def _stopper(walk: WalkPlugin):
    import pytest

    class _Stop:
        @pytest.hookimpl(trylast=True)
        def pytest_runtest_logreport(self, report):
            if walk.stop and report.failed:
                walk.session.shouldfail = "torch-spec learn: first failing claim"  # not shouldstop: an "Interrupted" costs ~0.7 s of traceback

        def pytest_sessionstart(self, session):
            walk.session = session
    return _Stop()


def _clear_test_caches() -> None:
    """Helpers cache fits keyed on the tutorial module (functools.lru_cache); in watch mode every run
    loads a new learner module, so drop the old entries instead of keeping old modules alive."""
    for name, module in list(sys.modules.items()):
        if name.startswith(("tests.helpers", "tests.claims")) and module is not None:
            for obj in list(vars(module).values()):
                if callable(getattr(obj, "cache_clear", None)):
                    obj.cache_clear()


def run_walk(path_ids: Sequence[str], learner: Optional[str], devices: str = "auto",
             stop: bool = True, extra: Sequence[str] = (),
             paths: Sequence[str] = ("tests/claims",), plugins: Sequence = (),
             on_result=None) -> Tuple[WalkPlugin, int, str]:
    """Run the claims `path_ids` (catalog order) in-process; returns (walk, exit code, pytest output).
    `paths`: test paths (relative to the project root, or absolute); `extra`: more pytest options;
    `plugins`: more pytest plugins; `on_result(claim id, ClaimResult)` after every report."""
    import pytest

    from spec.__main__ import pytest_args
    walk = WalkPlugin(path_ids, learner, stop, on_result)
    args = pytest_args(list(paths), [
        "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:benchmark",
        "-p", "no:hypothesispytest",
        "-p", "no:unraisableexception",  # its gc.collect() x5 at exit costs seconds with torch loaded
        "--tb=line", "-qq", "--no-header", "-o", "addopts=--strict-markers", "--devices", devices,
        *(["--learner", learner] if learner else []), *extra])
    _clear_test_caches()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        code = pytest.main(args, plugins=[walk, _make_explain_hook(), _stopper(walk), *plugins])
    return walk, int(code), buf.getvalue()


