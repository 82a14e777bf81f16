"""Reading claims reports and merging them into the matrix: columns (one report = one torch version),
rows (claims, grouped by tutorial and section) and what changed between consecutive columns."""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from packaging.version import InvalidVersion, Version

from spec.report import SCHEMA, SCHEMA_VERSION, STATUSES

DEVICE_ORDER = ("cpu", "cuda", "any")
NO_RESULT = "—"       # the column has no result for this claim (not run, not in its catalog)
NOT_APPLICABLE = ""    # the claim is limited to other devices


class MatrixError(Exception):
    """A problem that stops the whole matrix (unreadable report, wrong schema, bad arguments)."""


def load_report(path) -> dict:
    """Read and validate one claims report (spec/report.py, schema_version 1)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MatrixError(f"{path}: cannot read the report ({exc.strerror or exc})") from None
    except ValueError as exc:
        raise MatrixError(f"{path}: not JSON ({exc})") from None
    if not isinstance(data, dict) or data.get("schema") != SCHEMA:
        found = data.get("schema") if isinstance(data, dict) else type(data).__name__
        raise MatrixError(f"{path}: not a torch-spec claims report (schema {found!r}, expected {SCHEMA!r})")
    if data.get("schema_version") != SCHEMA_VERSION:
        raise MatrixError(
            f"{path}: report schema_version {data.get('schema_version')!r}, but this torch-spec reads "
            f"schema_version {SCHEMA_VERSION}; make the report again with this checkout "
            f"(python -m spec --claims-report FILE) or merge it with the torch-spec that wrote it")
    env = data.get("environment")
    if not isinstance(env, dict) or not env.get("torch") or not isinstance(data.get("claims"), list) \
            or not isinstance(data.get("summary"), dict):
        raise MatrixError(f"{path}: malformed report (needs environment.torch, summary and a claims list)")
    _check_claims(path, data)
    return data


def _check_claims(path: Path, data: dict) -> None:
    """Every claim has an id and a status per device drawn from STATUSES, and the summary counts them:
    a hollow report (claims without a status) is not a green column."""
    counts = Counter()
    for n, claim in enumerate(data["claims"]):
        name = claim.get("id") if isinstance(claim, dict) else None
        status = claim.get("status") if isinstance(claim, dict) else None
        if not name or not isinstance(status, dict) or not status:
            raise MatrixError(f"{path}: hollow report: claim #{n + 1} ({name or 'no id'}) has no status; "
                              f"make the report again (python -m spec --claims-report FILE)")
        bad = [s for s in status.values() if s not in STATUSES]
        if bad:
            raise MatrixError(f"{path}: claim {name}: unknown status {bad[0]!r} (expected one of "
                              f"{', '.join(STATUSES)})")
        counts.update(status.values())
    summary = {s: data["summary"].get(s, 0) for s in STATUSES}
    if summary != {s: counts[s] for s in STATUSES}:
        raise MatrixError(f"{path}: the summary {summary} does not count the claims' statuses "
                          f"{dict(counts)}: the report was edited or truncated")


def version_key(text: str):
    try:
        v = Version(text)
        return (0, v.release, v.local or "", text)
    except InvalidVersion:
        return (1, (), "", text)


@dataclass
class Column:
    """One run of the suite: one torch version (one report), with its devices as sub-columns."""
    label: str
    report: Optional[dict] = None
    problem: str = ""          # why this column has no or incomplete results
    source: str = ""           # the report file
    log: str = ""              # the pytest log, when the matrix ran it
    build_s: float = 0.0       # seconds to build (or find) its venv, and to run the suite
    run_s: float = 0.0

    @property
    def torch(self) -> str:
        return self.report["environment"]["torch"] if self.report else self.label

    @property
    def ok(self) -> bool:
        return not self.problem and self.report is not None and not self.report["summary"].get("broken")

    @property
    def selection(self) -> str:
        """'' for a run of the whole catalog; otherwise what selected the claims ('-k zero-grad')."""
        run = (self.report or {}).get("run") or {}
        if run.get("keyword") or run.get("markexpr"):
            return " ".join(f"{flag} {run[key]}" for flag, key in (("-k", "keyword"), ("-m", "markexpr"))
                            if run.get(key))
        total = run.get("catalog_claims")
        if total and self.report and len(self.report["claims"]) < total:
            return f"{len(self.report['claims'])} of {total} claims"
        return ""

    def device_skipped(self, device: str) -> str:
        """Why the whole device was not run in this column ('' when it ran)."""
        if not self.report:
            return ""
        return (self.report.get("devices_unchecked") or {}).get(device, "")


def column_from_report(data: dict, source: str = "") -> Column:
    col = Column(label=data["environment"]["torch"], report=data, source=source)
    rc = data.get("exitstatus")
    if rc not in (0, None) and not data["summary"].get("broken"):
        col.problem = (f"pytest exit status {rc} with no BROKEN claim: the run was incomplete "
                       f"(collection error, usage error or failure outside the claims)")
    elif rc == 0 and not data["claims"]:
        col.problem = "the run reported no claims"
    return col


@dataclass
class Row:
    id: str
    tutorial: str
    section: str
    says: str = ""
    holds: Optional[str] = None
    otherwise: Optional[str] = None
    erratum: Optional[str] = None
    devices: Optional[List[str]] = None
    cells: Dict[Tuple[int, str], Tuple[str, str]] = field(default_factory=dict)  # (col, dev) -> (status, detail)
    present: set = field(default_factory=set)  # columns whose report has this claim


@dataclass
class Change:
    before: str        # column labels
    after: str
    row: Row
    devices: List[str]
    old: str
    new: str

    @property
    def kind(self) -> str:
        """'catalog' (the claim is in only one of the two reports), 'coverage' (unchecked on one side)
        or 'status' (a real change: holds / changed / erratum / BROKEN)."""
        if NO_RESULT in (self.old, self.new):
            return "catalog"
        if "unchecked" in (self.old, self.new):
            return "coverage"
        return "status"


@dataclass
class Matrix:
    columns: List[Column]
    devices: List[str]
    tutorials: List[Tuple[str, str]]
    rows: List[Row]

    def cell(self, row: Row, col: int, device: str) -> Tuple[str, str]:
        if (col, device) in row.cells:
            return row.cells[(col, device)]
        if col not in row.present:
            return NO_RESULT, ""
        return NOT_APPLICABLE, ""

    def summary(self, col: int, device: str) -> Counter:
        counts = Counter()
        for row in self.rows:
            status, _ = self.cell(row, col, device)
            if status in STATUSES:
                counts[status] += 1
        return counts

    def varies(self, row: Row) -> bool:
        """Does the claim's status differ between columns (ignoring unchecked / no result)?"""
        seen = set()
        for i in range(len(self.columns)):
            for d in self.devices:
                s, _ = self.cell(row, i, d)
                if s in ("holds", "changed", "erratum", "broken"):
                    seen.add(s)
        return len(seen) > 1

    def idle_devices(self) -> List[str]:
        """Devices that ran in no column with results (e.g. cuda on CPU-only machines)."""
        with_results = [c for c in self.columns if c.report]
        return [d for d in self.devices if d != "any" and with_results
                and all(c.device_skipped(d) for c in with_results)]

    def pairs(self) -> List[Tuple[int, int]]:
        """Consecutive columns that both have results."""
        usable = [i for i, c in enumerate(self.columns) if c.report is not None]
        return list(zip(usable, usable[1:]))

    def changes(self, a: int, b: int) -> List[Change]:
        out: List[Change] = []
        ca, cb = self.columns[a], self.columns[b]
        for row in self.rows:
            grouped: Dict[Tuple[str, str], List[str]] = {}
            for d in self.devices:
                if ca.device_skipped(d) or cb.device_skipped(d):
                    continue  # a device absent from a whole column is said once, in the environment
                old, new = self.cell(row, a, d)[0], self.cell(row, b, d)[0]
                if old != new and NOT_APPLICABLE not in (old, new):
                    grouped.setdefault((old, new), []).append(d)
            for (old, new), devs in grouped.items():
                out.append(Change(ca.label, cb.label, row, devs, old, new))
        return out


def merge(columns: Sequence[Column]) -> Matrix:
    """Columns sorted by torch version; rows = every claim of every report, in catalog order, each
    section's claims together (a tutorial's benchmark claims join their section)."""
    columns = sorted(columns, key=lambda c: version_key(c.torch))
    labels = Counter(c.label for c in columns)
    seen = Counter()
    for c in columns:  # the same torch twice (e.g. a CPU and a GPU machine): tell them apart
        if labels[c.label] > 1:
            seen[c.label] += 1
            c.label = f"{c.label} ({Path(c.source).stem or seen[c.label]})"
    devices_seen = set()
    for c in columns:
        if c.report:
            devices_seen.update(c.report.get("devices_run") or [])
            devices_seen.update((c.report.get("devices_unchecked") or {}).keys())
            for claim in c.report["claims"]:
                devices_seen.update(claim.get("status", {}).keys())
    devices = [d for d in DEVICE_ORDER if d in devices_seen] + sorted(devices_seen - set(DEVICE_ORDER))
    # rows: the newest report's catalog order first, then claims only older reports have
    rows: Dict[str, Row] = {}
    tutorials: Dict[str, str] = {}
    for i in sorted(range(len(columns)), key=lambda i: -i):
        report = columns[i].report
        if not report:
            continue
        for t in report.get("tutorials", []):
            tutorials.setdefault(t["id"], t.get("title", ""))
        for claim in report["claims"]:
            row = rows.get(claim["id"])
            if row is None:
                row = rows[claim["id"]] = Row(
                    id=claim["id"], tutorial=claim.get("tutorial", ""), section=claim.get("section", ""),
                    says=claim.get("says", ""), holds=claim.get("holds"), otherwise=claim.get("otherwise"),
                    erratum=claim.get("erratum"), devices=claim.get("devices"))
                tutorials.setdefault(row.tutorial, "")
            row.present.add(i)
            details = claim.get("details", {})
            for d, status in claim.get("status", {}).items():
                row.cells[(i, d)] = (status, details.get(d, ""))
    order = {t: n for n, t in enumerate(tutorials)}
    sections: Dict[Tuple[str, str], int] = {}
    for row in rows.values():
        sections.setdefault((row.tutorial, row.section), len(sections))
    ordered = sorted(rows.values(), key=lambda r: (order.get(r.tutorial, len(order)),
                                                   sections[(r.tutorial, r.section)]))  # stable
    return Matrix(columns=list(columns), devices=devices, tutorials=list(tutorials.items()), rows=ordered)


def claim_status(report: dict, claim_id: str) -> str:
    """One claim's status in one report, over the devices that checked it: 'holds', 'changed', ...;
    'unchecked' when no device checked it, 'absent' when the report lacks it, 'a/b' when devices differ."""
    for claim in report["claims"]:
        if claim["id"] == claim_id:
            checked = sorted({s for s in claim["status"].values() if s != "unchecked"})
            return "/".join(checked) if checked else "unchecked"
    return "absent"
