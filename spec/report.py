"""The claims report: one status per claim and device, printed and written as JSON.

Statuses: holds · changed (outside `holds`, expected, strict xfail) · erratum (tutorial wrong, truth
asserted and passing) · broken (unexpected failure or XPASS) · unchecked (device or optional dependency
missing; never counted as a pass). The JSON layout is documented in README.md ("The JSON report").
"""
from __future__ import annotations

import datetime as _dt
import json
import platform
import sys
from collections import defaultdict
from pathlib import Path
from typing import Dict, List, Tuple

SCHEMA = "torch-spec/claims-report"
SCHEMA_VERSION = 1
STATUSES = ("holds", "changed", "erratum", "broken", "unchecked")
# the order in which one outcome outweighs another when a claim has several tests on a device
_PRECEDENCE = ("broken", "unchecked", "changed", "passed")
SUMMARY_WORDS = {"holds": "hold", "changed": "changed", "erratum": "errata", "broken": "broken",
                 "unchecked": "unchecked"}


def _outcome(report) -> Tuple[str, str]:
    """(outcome, detail) of one phase report, or ('', '') when the phase says nothing new."""
    if report.skipped and hasattr(report, "wasxfail"):
        return "changed", report.wasxfail
    if report.failed:
        crash = getattr(getattr(report.longrepr, "reprcrash", None), "message", None)
        text = report.longreprtext
        head = crash or (text.strip().splitlines() or [""])[-1]
        return "broken", f"{head}\n\n{text[-4000:]}" if crash else text[-4000:]
    if report.skipped:
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        reason = reason[len("Skipped: "):] if reason.startswith("Skipped: ") else reason
        return "unchecked", reason[len("unchecked: "):] if reason.startswith("unchecked: ") else reason
    if report.passed and report.when == "call":
        if hasattr(report, "wasxfail"):  # non-strict XPASS: xfail_strict is on, so this is a surprise
            return "broken", f"XPASS: {report.wasxfail}"
        return "passed", ""
    return "", ""


def cell_status(outcomes: List[Tuple[str, str]], erratum: bool) -> Tuple[str, str]:
    """Fold the outcomes of a claim's tests on one device into (status, detail)."""
    for kind in _PRECEDENCE:
        details = [d for o, d in outcomes if o == kind]
        if details:
            if kind == "passed":
                return ("erratum" if erratum else "holds"), ""
            return kind, details[0]
    return "unchecked", "no test ran"


def environment() -> dict:
    import numpy
    import torch

    from spec import devices
    return {
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cuda_build": torch.version.cuda,
        "devices": devices.describe(),
    }


class ClaimsReport:
    def __init__(self, config):
        self.config = config
        self.outcomes: Dict[Tuple[str, str], List[Tuple[str, str]]] = defaultdict(list)
        self.nodeids: Dict[str, List[str]] = defaultdict(list)

    # --- collecting -----------------------------------------------------------------------------
    def pytest_runtest_logreport(self, report):
        if hasattr(self.config, "workerinput"):  # xdist worker: the controller builds the report
            return
        props = dict(report.user_properties)
        if "claim" not in props:
            return
        outcome, detail = _outcome(report)
        if not outcome:
            return
        key = (props["claim"], props["device"])
        self.outcomes[key].append((outcome, detail))
        if report.nodeid not in self.nodeids[props["claim"]]:
            self.nodeids[props["claim"]].append(report.nodeid)

    # --- building ------------------------------------------------------------------------------
    def build(self, exitstatus=None) -> dict:
        from spec.plugin import catalog_of
        catalog = catalog_of(self.config)
        by_claim: Dict[str, Dict[str, Tuple[str, str]]] = defaultdict(dict)
        for (claim_id, device), outcomes in self.outcomes.items():
            by_claim[claim_id][device] = cell_status(outcomes, bool(catalog.claims[claim_id].erratum))
        claims, summary = [], dict.fromkeys(STATUSES, 0)
        for claim in catalog.claims.values():
            cells = by_claim.get(claim.id)
            if not cells:
                continue  # deselected or not collected in this run
            entry = claim.as_dict()
            entry["status"] = {d: s for d, (s, _) in sorted(cells.items())}
            entry["details"] = {d: t for d, (_, t) in sorted(cells.items()) if t}
            entry["tests"] = self.nodeids[claim.id]
            claims.append(entry)
            for status, _ in cells.values():
                summary[status] += 1
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "environment": environment(),
            "devices_run": list(self.config.stash[_devices_key()].run),
            "devices_unchecked": dict(self.config.stash[_devices_key()].unavailable),
            "tutorials": [{"id": t.id, "title": t.title, "seeds": list(t.seeds)} for t in catalog.tutorials],
            "summary": summary,
            "exitstatus": int(exitstatus) if exitstatus is not None else None,
            "run": {"keyword": self.config.option.keyword or None,  # a filtered run says so (matrix)
                    "markexpr": self.config.option.markexpr or None, "catalog_claims": len(catalog.claims)},
            "claims": claims,
        }

    # --- output ---------------------------------------------------------------------------------
    def pytest_terminal_summary(self, terminalreporter, exitstatus):
        if hasattr(self.config, "workerinput") or not self.outcomes:
            return
        data = self.build(exitstatus)
        tr = terminalreporter
        if self.config.getoption("claims_table"):
            write_table(data, tr.write_line)
        tr.write_line(summary_line(data["summary"]), bold=True,
                      red=bool(data["summary"]["broken"]), green=not data["summary"]["broken"])
        for device, why in data["devices_unchecked"].items():
            tr.write_line(f"torch-spec: {device} unchecked: {why}", yellow=True)

    def pytest_sessionfinish(self, session, exitstatus):
        path = self.config.getoption("claims_report")
        if not path or hasattr(self.config, "workerinput"):
            return
        data = self.build(exitstatus)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _devices_key():
    from spec.plugin import DEVICES_KEY
    return DEVICES_KEY


def summary_line(summary: dict) -> str:
    return "torch-spec: " + " · ".join(f"{summary[s]} {SUMMARY_WORDS[s]}" for s in STATUSES)


def write_table(data: dict, write=print) -> None:
    """One line per claim, grouped by tutorial, in catalog order."""
    titles = {t["id"]: t["title"] for t in data["tutorials"]}
    current = None
    for c in data["claims"]:
        if c["tutorial"] != current:
            current = c["tutorial"]
            write("")
            write(f"{current} — {titles.get(current, '')}")
        cells = "  ".join(f"{d}: {s.upper() if s == 'broken' else s}" for d, s in c["status"].items())
        write(f"  {c['id']:<48} {cells}")
        for d, detail in c["details"].items():
            if c["status"][d] == "broken":
                write(f"      {d}: {detail.strip().splitlines()[0][:160]}")
    write("")
