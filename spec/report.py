"""The claims report: one status per claim and device, printed and written as JSON.

Statuses: holds · changed (outside `holds`, expected, strict xfail) · erratum (tutorial wrong, truth
asserted and passing) · broken (unexpected failure or XPASS) · unchecked (device or optional dependency
missing; never counted as a pass). The JSON layout is documented in README.md ("The JSON report").
"""
from __future__ import annotations

import datetime as _dt
import json
import platform
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Tuple

import pytest

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
        self.cells: Dict[str, list] = {}  # claim id -> per-cell verdicts of a replay item

    def pytest_configure(self, config):
        # pytest-benchmark times every benchmark of a serial run and prints a table of those timings;
        # here a benchmark is timed only when asked for (--benchmark-enable: `python -m spec bench`),
        # any other run executes it once (tests/benchmarks/conftest.py). Runs before its trylast hook.
        option = config.option
        if hasattr(option, "benchmark_disable") and not (option.benchmark_enable or option.benchmark_only):
            option.benchmark_disable = True

    def pytest_collection_finish(self, session):
        # each tutorial's number of tests, where the items are (this process or each xdist worker):
        # the reports carry it to whoever prints progress (spec/console.py)
        from spec.plugin import claim_of
        self._tutorial_of = {it.nodeid: c.tutorial for it in session.items for c in [claim_of(it)] if c}
        self._tests_of: Dict[str, int] = defaultdict(int)
        for tutorial in self._tutorial_of.values():
            self._tests_of[tutorial] += 1

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        tutorial = getattr(self, "_tutorial_of", {}).get(item.nodeid)
        if tutorial and call.when == "teardown":
            outcome.get_result().claims_progress = [tutorial, self._tests_of[tutorial]]

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
        if "replay_cells" in props:  # a replay item: its per-cell verdicts (spec/replay/item.py)
            self.cells[props["claim"]] = json.loads(props["replay_cells"])

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
            if claim.id in self.cells:
                entry["cells"] = self.cells[claim.id]
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
        mode = self.config.getoption("claims_table")
        broken = bool(data["summary"]["broken"])
        if mode:
            tr.ensure_newline()
            width = tr._tw.fullwidth if tr.isatty else None
            write_table(data, tr.write_line, mode=mode, width=width)
            tr.write_line(summary_line(data["summary"]), bold=True, red=broken, green=not broken)
        else:  # plain pytest: its own output, and this one line
            tr.write_line(summary_line(data["summary"], absent_devices(data)), bold=True, red=broken,
                          green=not broken)

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


def summary_line(summary: dict, absent: Optional[Dict[str, Tuple[str, int]]] = None) -> str:
    """The counts of claim × device cells; with `absent`, what of them an absent device explains."""
    line = "torch-spec: " + " · ".join(f"{summary[s]} {SUMMARY_WORDS[s]}" for s in STATUSES)
    notes = [f"{n} of them on {device}: {why}" for device, (why, n) in (absent or {}).items() if n]
    return line + (" (" + "; ".join(notes) + ")" if notes else "")


def absent_devices(data: dict) -> Dict[str, Tuple[str, int]]:
    """device -> (why it is absent, how many cells it leaves unchecked)."""
    return {d: (why, sum(1 for c in data["claims"] if c["status"].get(d) == "unchecked"))
            for d, why in data["devices_unchecked"].items()}


def _text(claim: dict, status: str, detail: str) -> str:
    """What a reader needs of a non-holds cell: the truth, what changed, the failure, the reason."""
    if status == "erratum":
        return claim.get("erratum") or ""
    if status == "changed":
        return f"(holds {claim['holds']}) {claim['otherwise']}" if claim.get("otherwise") else detail
    return (detail.strip().splitlines() or [""])[0]


def claim_cells(claim: dict, absent: Iterable[str] = (), hide: bool = True) -> List[Tuple[str, str, str]]:
    """[(devices, status, text)]: a claim's cells, devices with the same status and text joined; the
    cells of `absent` devices left out (hide) or without text (they are summarised once)."""
    groups: Dict[Tuple[str, str], List[str]] = {}
    for device, status in claim["status"].items():
        if device in absent and hide:
            continue
        quiet = status == "holds" or device in absent
        text = "" if quiet else _text(claim, status, claim["details"].get(device, ""))
        groups.setdefault((status, text), []).append(device)
    return [(", ".join(devices), status, text) for (status, text), devices in groups.items()]


def _claim_lines(cid: str, cells: List[Tuple[str, str, str]], pad: int) -> List[str]:
    """The statuses on one line, the one with a text last; any other text on a line of its own."""
    cells = sorted(cells, key=lambda cell: bool(cell[2]))
    words = "  ".join(f"{devices}: {status.upper() if status == 'broken' else status}"
                      for devices, status, _ in cells)
    texts = [(devices, text) for devices, _, text in cells if text]
    lines = [f"    {cid:<{pad}}  {words}" + (f" — {texts[0][1]}" if texts else "")]
    lines += [f"    {'':<{pad}}    {devices}: {text}" for devices, text in texts[1:]]
    return lines


def _sections(claims: List[dict]) -> List[Tuple[str, List[dict]]]:
    """Claims by section, sections in the order they first appear (a tutorial's speed/memory claims
    come after its other claims in the catalog, and join the section they are about)."""
    out: Dict[str, List[dict]] = {}
    for c in claims:
        out.setdefault(c["section"], []).append(c)
    return list(out.items())


def _grouped(shown: List[Tuple[str, list]]) -> List[Tuple[str, list]]:
    """Claims of one section whose cells are all unchecked for the same reason on the same devices
    (e.g. speed claims: "timing disabled") share one line, their ids joined."""
    out: List[Tuple[List[str], list]] = []
    for cid, cells in shown:
        same = [entry for entry in out if entry[1] == cells]
        if same and all(status == "unchecked" for _, status, _ in cells):
            same[0][0].append(cid)
        else:
            out.append(([cid], cells))
    return [(", ".join(ids), cells) for ids, cells in out]


def _section_lines(section: str, shown: List[Tuple[str, list]], pad: int, compact: bool) -> List[str]:
    """A section's heading and its claims; compact: a section of one line is that line, headed."""
    if compact:
        shown = _grouped(shown)
    lines = [line for cid, cells in shown for line in _claim_lines(cid, cells, pad)]
    if compact and len(shown) == 1:
        cid, cells = shown[0]
        head = f"  {section} · {cid}"
        first = _claim_lines("", cells, 0)[0].lstrip()
        return [f"{head:<{pad + 4}}  {first}", *lines[1:]]
    return [f"  {section}", *lines]


def write_table(data: dict, write=print, mode: str = "changes", width: Optional[int] = None) -> None:
    """The claims by tutorial and section, in catalog order: with mode 'changes' only those that are
    not a plain "holds" (devices absent here summarised once, at the end; a section with one claim on
    one line, claims unchecked for one reason on one line); with 'all' every claim, one a line.
    Lines longer than `width` are cut (`python -m spec show CLAIM` prints one claim whole)."""
    def out(line: str) -> None:
        write(line if width is None or len(line) < width else line[:width - 2] + "…")

    absent = absent_devices(data)
    titles = {t["id"]: t["title"] for t in data["tutorials"]}
    only_absent: List[str] = []  # claims checked only on absent devices: nothing checked here
    for tutorial in data["tutorials"]:
        rows = []
        for section, claims in _sections([c for c in data["claims"] if c["tutorial"] == tutorial["id"]]):
            shown = []
            for c in claims:
                cells = claim_cells(c, absent, hide=mode != "all")
                if not cells:
                    only_absent.append(c["id"])
                elif mode == "all" or any(status != "holds" for _, status, _ in cells):
                    shown.append((c["id"], cells))
            if shown:
                rows.append((section, shown))
        if not rows:
            continue
        out(f"{tutorial['id']} — {titles.get(tutorial['id'], '')}".rstrip(" —"))
        pad = min(44, max(len(cid) for _, shown in rows for cid, _ in shown))
        for section, shown in rows:
            for line in _section_lines(section, shown, pad, compact=mode != "all"):
                out(line)
        write("")
    for device, (why, n) in absent.items():
        listed = "" if mode == "all" else ", not listed above"
        out(f"{device}: {why} — {n} check{'' if n == 1 else 's'} unchecked{listed}")
    if only_absent:
        out(f"  claims checked only there: {', '.join(only_absent)}")
