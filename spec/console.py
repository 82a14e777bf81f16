"""What `python -m spec` prints while it runs: a line per tutorial as its last test finishes,
instead of pytest's progress characters, then the claims that are not a plain "holds" (spec/report.py).

Registered by spec/__main__.py only: a plain `pytest` keeps pytest's own output.
"""
from __future__ import annotations

import time
from collections import defaultdict
from typing import Dict, List, Set

import pytest

HINT = "`python -m spec show CLAIM` prints one claim whole; `-v` lists every claim"


class Console:
    def __init__(self) -> None:
        self.start = time.monotonic()
        self.done: Dict[str, int] = defaultdict(int)
        self.claims: Dict[str, Set[str]] = defaultdict(set)
        self.collect_errors: List[object] = []
        self.config = None

    def _write(self, line: str, **markup) -> None:
        tr = self.config.pluginmanager.get_plugin("terminalreporter")
        if tr is not None:
            tr.write_line(line, **markup)

    def pytest_configure(self, config):
        self.config = config

    def pytest_sessionstart(self, session):
        import torch

        from spec.plugin import DEVICES_KEY, catalog_of
        catalog = catalog_of(self.config)
        run = ", ".join(self.config.stash[DEVICES_KEY].run)
        tutorials = ", ".join(t.id for t in catalog.tutorials)
        self._write(f"torch-spec: torch {torch.__version__} · {len(catalog.claims)} claims ({tutorials}) "
                    f"· running on {run}")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_report_teststatus(self, report, config):
        outcome = yield
        result = outcome.get_result()
        if result:  # keep the category (pytest's counts), drop the progress letter
            outcome.force_result((result[0], "", result[2]))

    def pytest_collectreport(self, report):
        if report.failed:
            self.collect_errors.append(report)

    def pytest_runtest_logreport(self, report):
        progress = getattr(report, "claims_progress", None)
        claim = dict(report.user_properties).get("claim")
        if progress is None or claim is None:
            return
        tutorial, total = progress
        self.claims[tutorial].add(claim)
        self.done[tutorial] += 1
        if self.done[tutorial] == total:
            self._write(f"  {tutorial:<12} {len(self.claims[tutorial]):>3} claims checked "
                        f"({total} tests, {time.monotonic() - self.start:.0f} s)")

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter, exitstatus):
        for report in self.collect_errors:
            terminalreporter.write_line(f"ERROR collecting {report.nodeid}:", red=True)
            for line in report.longreprtext.strip().splitlines()[-12:]:
                terminalreporter.write_line(f"    {line}")
        terminalreporter.write_line(f"{time.monotonic() - self.start:.0f} s · {HINT}")
