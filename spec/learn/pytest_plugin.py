"""The pytest side of learner mode (registered by spec.plugin under `pytest --learner DIR`).

A stub's NotImplementedError reads "not written yet: TODO in DIR/file.py:LINE (name)" instead of a
traceback; every other failure gets a short "learner" section with the explanation.
"""
from __future__ import annotations

import pytest

from spec.learn.explanations import explain, render
from spec.learn.loader import RECORDER_KEY, learner_dir, learner_module  # noqa: F401  (re-exported)
from spec.learn.recorder import Recorder, _forward_hook


def learners_own_failure(excinfo, expl) -> bool:
    """Did this exception come from the learner's side: it came out of their code (a frame of theirs
    is on its traceback), their file did not load (pytest.fail from the fixture), a stub, or a time limit?"""
    if expl.get("todo") or type(excinfo.value).__name__ in ("Failed", "LearnerTimeout"):
        return True
    return bool(expl.get("your_lines"))  # it came out of the learner's code


class LearnerPlugin:
    def __init__(self, config):
        self.config = config

    def _recorder(self) -> Recorder:
        return self.config.stash.setdefault(RECORDER_KEY, Recorder())

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        import torch
        self._recorder().reset()
        register = getattr(torch.nn.modules.module, "register_module_forward_hook", None)
        handle = register(_forward_hook(self._recorder())) if register else None
        try:
            yield
        finally:
            if handle is not None:
                handle.remove()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if call.when == "call":
            report.learner_calls = sorted(self._recorder().called)  # "tutorial:name"
        if call.excinfo is None:
            return
        if report.skipped and hasattr(report, "wasxfail"):
            # a "changed" claim (strict xfail) fails expectedly only by the test's own check: a stub,
            # a crash inside the learner's code, a file that does not load, a time limit is the
            # learner's failure, not the tutorial's change
            expl = explain(item, call, learner_dir(self.config), self._recorder())
            if learners_own_failure(call.excinfo, expl):
                report.outcome = "failed"
                del report.wasxfail
                report.longrepr = expl.get("todo") or expl.get("error") or "failed"
                report.learner = expl
                report.learner_own = True
            return
        if not report.failed:
            return
        expl = explain(item, call, learner_dir(self.config), self._recorder())
        report.learner = expl
        if expl.get("todo"):
            report.longrepr = expl["todo"]
        else:
            report.sections.append(("learner", "\n".join(render(expl))))
