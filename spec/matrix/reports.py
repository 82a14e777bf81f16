"""python -m spec matrix VERSION... [--out DIR] [--python PY] [--cache DIR] [--rebuild] [-- PYTEST ARGS]
python -m spec matrix --from-reports A.json B.json ... [--out DIR]

Run the claims on several torch versions and merge the results.

For each VERSION (e.g. 1.13.1 2.0.1 2.6.0 2.13.0 2.15.0) a virtual environment is built with that
torch (numpy<2 below torch 2.3) and this project installed editable, cached in --cache (default
$TORCH_SPEC_VENVS or ~/.cache/torch-spec/venvs) and reused while present. The suite runs in each with
the JSON claims report (DIR/reports/torch-VERSION.json, logs in DIR/logs/); the reports are merged into
DIR/matrix.md and a self-contained DIR/matrix.html: claims x torch versions x devices, what changed
between consecutive versions, and the environment of each column.

--from-reports merges existing reports (e.g. one made on a GPU machine) without installing anything.

Exit status: 0 when every column is green (no BROKEN claim, every version installed and ran),
1 otherwise, 2 on a usage error (bad argument, unreadable report, report of another schema version).
A venv counts as cached only once it is complete (a marker file written last), so an interrupted
install is removed and rebuilt on the next run.
"""
from __future__ import annotations

import argparse
import datetime as _dt
import html
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from packaging.version import InvalidVersion, Version

from spec.report import SCHEMA, SCHEMA_VERSION, STATUSES

MARKER = ".torch-spec-ready.json"
CACHE_ENV = "TORCH_SPEC_VENVS"
DEFAULT_CACHE = Path("~/.cache/torch-spec/venvs")
DEVICE_ORDER = ("cpu", "cuda", "any")
NO_RESULT = "—"       # the column has no result for this claim (not run, not in its catalog)
NOT_APPLICABLE = ""    # the claim is limited to other devices
WORDS = {"holds": "holds", "changed": "changed", "erratum": "erratum", "broken": "BROKEN",
         "unchecked": "unchecked", NO_RESULT: NO_RESULT, NOT_APPLICABLE: ""}
HEARTBEAT_S = 20.0

Echo = Callable[[str], None]


class MatrixError(Exception):
    """A problem that stops the whole matrix (unreadable report, wrong schema, bad arguments)."""


class InstallError(Exception):
    """pip could not build the venv of one torch version (that column says so; the others run)."""


# --- reports ---------------------------------------------------------------------------------------

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
    return data


def _version_key(text: str):
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

    @property
    def torch(self) -> str:
        return self.report["environment"]["torch"] if self.report else self.label

    @property
    def ok(self) -> bool:
        return not self.problem and self.report is not None and not self.report["summary"].get("broken")

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
    """Columns sorted by torch version; rows = every claim of every report, in catalog order."""
    columns = sorted(columns, key=lambda c: _version_key(c.torch))
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
    ordered = sorted(rows.values(), key=lambda r: order.get(r.tutorial, len(order)))  # stable
    return Matrix(columns=list(columns), devices=devices, tutorials=list(tutorials.items()), rows=ordered)


# --- rendering -------------------------------------------------------------------------------------

def verdict(col: Column) -> str:
    if col.report is None:
        return f"no results: {col.problem}"
    broken = col.report["summary"].get("broken", 0)
    if broken:
        return f"{broken} BROKEN"
    if col.problem:
        return col.problem
    return "green"


def _first_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[0][:300] if lines else ""


def _claim_note(row: Row) -> str:
    if row.erratum:
        return f"erratum: {row.erratum}"
    if row.holds:
        return f"holds {row.holds}; otherwise: {row.otherwise}"
    return ""


def _change_text(ch: Change) -> str:
    text = f"`{ch.row.id}` ({', '.join(ch.devices)}): {WORDS[ch.old]} → {WORDS[ch.new]}"
    if ch.new == "changed" and ch.row.otherwise:
        text += f" — documented (holds {ch.row.holds}): {ch.row.otherwise}"
    elif ch.new == "broken":
        text += " — undocumented: the tutorial's statement fails and the catalog does not say so"
    elif ch.old == "changed" and ch.new == "holds":
        text += f" — inside holds {ch.row.holds} from here"
    return text


def environment_rows(matrix: Matrix) -> List[List[str]]:
    rows = []
    for c in matrix.columns:
        env = c.report["environment"] if c.report else {}
        cuda = env.get("devices", {}).get("cuda", {}) if env else {}
        run = ", ".join(c.report.get("devices_run", [])) if c.report else ""
        unchecked = "; ".join(f"{d}: {why}" for d, why in (c.report or {}).get("devices_unchecked", {}).items())
        rows.append([
            c.label, env.get("torch", ""), env.get("numpy", ""), env.get("python", ""),
            f"CUDA {env['cuda_build']}" if env.get("cuda_build") else ("CPU-only build" if env else ""),
            (cuda.get("name") or "") if cuda.get("available") else "none",
            run, unchecked, env.get("platform", ""), (c.report or {}).get("created", ""),
            c.source, verdict(c),
        ])
    return rows


ENV_HEAD = ["column", "torch", "numpy", "python", "torch build", "GPU", "devices run", "unchecked devices",
            "platform", "created", "report", "verdict"]


SUMMARY_HEAD = ["torch", "device"] + [WORDS[s] for s in STATUSES] + ["verdict"]


def summary_rows(matrix: Matrix) -> List[List[str]]:
    """One row per torch version and device: claims per status; the verdict on the version's first row,
    a device not run in that column says so there."""
    rows = []
    for i, c in enumerate(matrix.columns):
        for n, d in enumerate(matrix.devices):
            counts = matrix.summary(i, d)
            cells = [str(counts[s]) if c.report else NO_RESULT for s in STATUSES]
            note = verdict(c) if n == 0 else ""
            if c.device_skipped(d):
                note = f"{d} not run: {c.device_skipped(d)}"
            rows.append([c.label if n == 0 else "", d] + cells + [note])
    return rows


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(matrix: Matrix, title: str = "torch-spec matrix") -> str:
    cols = [(i, d) for i in range(len(matrix.columns)) for d in matrix.devices]
    head = [f"{matrix.columns[i].label} {d}" for i, d in cols]
    out = [f"# {title}: tutorial claims across torch versions", ""]
    out.append(f"{len(matrix.rows)} claims, {len(matrix.columns)} torch versions, devices "
               f"{', '.join(matrix.devices)}. Made "
               f"{_dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds')}.")
    out.append("")
    out.append("Statuses: **holds** (the tutorial's statement is true here) · **changed** (outside the "
               "claim's `holds` range: expected, the note says what is true instead) · **erratum** (the "
               "tutorial is wrong on every version; the truth is asserted) · **BROKEN** (unexpected failure "
               "or XPASS) · **unchecked** (device or optional package absent; not a pass) · "
               f"{NO_RESULT} (no result: not run, or not in that version's catalog) · blank (claim limited to "
               "other devices).")
    out += ["", "## Summary", "", "Claims per status, per torch version and device.", "",
            "| " + " | ".join(SUMMARY_HEAD) + " |", "|---" * len(SUMMARY_HEAD) + "|"]
    out += ["| " + " | ".join(_md(x) for x in r) + " |" for r in summary_rows(matrix)]
    out += ["", "## What changed between consecutive versions", ""]
    out += _changes_markdown(matrix)
    out += ["", "## Environments", "", "| " + " | ".join(ENV_HEAD) + " |", "|---" * len(ENV_HEAD) + "|"]
    for r in environment_rows(matrix):
        out.append("| " + " | ".join(_md(x) for x in r) + " |")
    for c in matrix.columns:
        if c.log:
            out.append(f"\n- {c.label}: pytest log `{c.log}`")
    out += ["", "## Claims", ""]
    notes: List[str] = []
    current = None
    section = None
    titles = dict(matrix.tutorials)
    for row in matrix.rows:
        if row.tutorial != current:
            current, section = row.tutorial, None
            out += ["", f"### {row.tutorial} — {titles.get(row.tutorial, '')}".rstrip(" —")]
        if row.section != section:
            section = row.section
            out += ["", f"#### {section}", "", "| claim | " + " | ".join(head) + " |",
                    "|---" * (len(cols) + 1) + "|"]
        label = f"`{row.id}`"
        note = _claim_note(row)
        if note:
            notes.append(f"[^{len(notes) + 1}]: `{row.id}` — {_md(note)}")
            label += f"[^{len(notes)}]"
        cells = []
        for i, d in cols:
            status, detail = matrix.cell(row, i, d)
            text = WORDS.get(status, status)
            if status == "broken":
                text = f"**{text}**"
            if status in ("broken", "unchecked") and detail:
                notes.append(f"[^{len(notes) + 1}]: `{row.id}` on {matrix.columns[i].label} {d}: "
                             f"{_md(_first_line(detail))}")
                text += f"[^{len(notes)}]"
            cells.append(text)
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    if notes:
        out += ["", "## Notes", ""] + notes
    return "\n".join(out) + "\n"


def _changes_markdown(matrix: Matrix) -> List[str]:
    out: List[str] = []
    for c in matrix.columns:
        if c.report is None:
            out.append(f"- **{c.label}**: no results ({c.problem}); compared around it.")
    pairs = matrix.pairs()
    if not pairs:
        out.append("Fewer than two columns with results: nothing to compare.")
    for a, b in pairs:
        changes = matrix.changes(a, b)
        out += ["", f"### {matrix.columns[a].label} → {matrix.columns[b].label}", ""]
        if not [ch for ch in changes if ch.kind == "status"]:
            out.append("No claim changed status.")
        out += [f"- {_change_text(ch)}" for ch in changes if ch.kind == "status"]
        out += _side_notes(changes, lambda ch: f"`{ch.row.id}`")
    return out


def _side_notes(changes: List[Change], name: Callable[[Change], str]) -> List[str]:
    """One line for claims unchecked on one side, one for claims only one report has."""
    out = []
    coverage = [ch for ch in changes if ch.kind == "coverage"]
    if coverage:
        out.append(f"- coverage ({len(coverage)}, not a change of behaviour): " + "; ".join(
            f"{name(ch)} ({', '.join(ch.devices)}) {WORDS[ch.old]} → {WORDS[ch.new]}" for ch in coverage))
    added = sorted({ch.row.id for ch in changes if ch.kind == "catalog" and ch.old == NO_RESULT})
    gone = sorted({ch.row.id for ch in changes if ch.kind == "catalog" and ch.new == NO_RESULT})
    if added:
        out.append(f"- {len(added)} claim(s) only in the newer report (another catalog): {', '.join(added)}")
    if gone:
        out.append(f"- {len(gone)} claim(s) only in the older report (another catalog): {', '.join(gone)}")
    return out


CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:1.2em;color:#1b1f24}
h1{font-size:1.5em;margin:.2em 0}h2{margin-top:1.4em;border-bottom:1px solid #d0d7de}
table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #d0d7de;padding:2px 6px;text-align:left}
th{background:#f6f8fa;position:sticky;top:0}td.c{text-align:center;white-space:nowrap}
.holds{background:#dafbe1;color:#116329}.changed{background:#fff1c2;color:#7d4e00;font-weight:600}
.erratum{background:#ddf4ff;color:#0550ae}.broken{background:#ff818266;color:#82071e;font-weight:700}
.unchecked{background:#eaeef2;color:#57606a}.none{color:#8c959f}
tr.varies td.id{border-left:4px solid #bf8700}tr.sec td{background:#f6f8fa;font-weight:600}
tr.tut td{background:#24292f;color:#fff;font-weight:700}
.chip{display:inline-block;padding:3px 10px;margin:2px;border-radius:12px;font-weight:600}
.green{background:#2da44e;color:#fff}.red{background:#cf222e;color:#fff}.grey{background:#6e7781;color:#fff}
code{font-size:92%}small{color:#57606a}ul.changes li{margin:2px 0}.legend span{padding:1px 6px;margin-right:4px}
td[title]{cursor:help}
#only-varies:checked ~ table.claims tr.claim:not(.varies){display:none}
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


_SHOWN_FIRST = ("broken", "changed", "erratum", "holds", "unchecked")


def _html_cell(matrix: Matrix, row: Row, i: int, d: str, colspan: int = 1) -> str:
    status, detail = matrix.cell(row, i, d)
    if d != "any" and (i, "any") in row.cells:  # tests of both kinds: show the more notable status
        other = row.cells[(i, "any")]
        if status not in _SHOWN_FIRST or _SHOWN_FIRST.index(other[0]) < _SHOWN_FIRST.index(status):
            status, detail = other
    cls = status if status in STATUSES else "none"
    hover = ""
    if status == "changed":
        hover = row.otherwise or detail
    elif status == "erratum":
        hover = row.erratum or ""
    elif status in ("broken", "unchecked"):
        hover = _first_line(detail)
    elif status == NO_RESULT:
        hover = matrix.columns[i].problem or "not in this version's catalog / not run"
    attr = f" title='{_e(hover)}'" if hover else ""
    attr += f" colspan='{colspan}'" if colspan > 1 else ""
    text = _e(WORDS.get(status, status)) + (" <small>any device</small>" if colspan > 1 else "")
    return f"<td class='c {cls}'{attr}>{text}</td>"


def render_html(matrix: Matrix, title: str = "torch-spec matrix") -> str:
    cols = [(i, d) for i in range(len(matrix.columns)) for d in matrix.devices]
    p: List[str] = ["<!DOCTYPE html>", "<html lang='en'><head><meta charset='utf-8'>",
                    f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
                    f"<h1>{_e(title)}: tutorial claims across torch versions</h1>",
                    f"<p><small>{len(matrix.rows)} claims · {len(matrix.columns)} torch versions · devices "
                    f"{_e(', '.join(matrix.devices))} · made "
                    f"{_e(_dt.datetime.now(_dt.timezone.utc).isoformat(timespec='seconds'))}</small></p>"]
    p.append("<p>")
    for c in matrix.columns:
        v = verdict(c)
        kind = "green" if v == "green" else ("grey" if c.report is None else "red")
        p.append(f"<span class='chip {kind}' title='{_e(c.problem)}'>torch {_e(c.label)}: {_e(v)}</span>")
    p.append("</p><p class='legend'>" + " ".join(
        f"<span class='{s}'>{WORDS[s]}</span>" for s in STATUSES) +
        f" <span class='none'>{NO_RESULT} no result</span> <small>hover a cell or claim for the note; a "
        "yellow bar marks claims whose status differs between versions</small></p>")
    # summary
    p.append("<h2>Summary</h2><p><small>claims per status; a device not run in a column is marked "
             "<i>not run</i> (its claims are unchecked)</small></p><table><tr><th rowspan='2'></th>" + "".join(
                 f"<th colspan='{len(matrix.devices)}'>torch {_e(c.label)}</th>" for c in matrix.columns)
             + "</tr><tr>" + "".join(
                 f"<th title='{_e(matrix.columns[i].device_skipped(d))}'><small>{_e(d)}"
                 f"{' (not run)' if matrix.columns[i].device_skipped(d) else ''}</small></th>" for i, d in cols)
             + "</tr>")
    for s in STATUSES:
        cells = []
        for i, d in cols:
            n = matrix.summary(i, d)[s] if matrix.columns[i].report else NO_RESULT
            hot = s in ("changed", "broken") and n not in (0, NO_RESULT)
            cells.append(f"<td class='c{' ' + s if hot else ''}'>{n}</td>")
        p.append(f"<tr><td class='{s}'>{WORDS[s]}</td>" + "".join(cells) + "</tr>")
    p.append("</table>")
    # what changed
    p.append("<h2>What changed between consecutive versions</h2>")
    for c in matrix.columns:
        if c.report is None:
            p.append(f"<p class='broken'>torch {_e(c.label)}: no results — {_e(c.problem)}</p>")
    pairs = matrix.pairs()
    if not pairs:
        p.append("<p>Fewer than two columns with results: nothing to compare.</p>")
    for a, b in pairs:
        changes = matrix.changes(a, b)
        p.append(f"<h3>{_e(matrix.columns[a].label)} → {_e(matrix.columns[b].label)}</h3><ul class='changes'>")
        if not [ch for ch in changes if ch.kind == "status"]:
            p.append("<li>No claim changed status.</li>")
        for ch in changes:
            if ch.kind != "status":
                continue
            note = ""
            if ch.new == "changed" and ch.row.otherwise:
                note = f" — documented (holds {_e(ch.row.holds)}): {_e(ch.row.otherwise)}"
            elif ch.new == "broken":
                note = " — <b>undocumented</b>: the tutorial's statement fails and the catalog does not say so"
            elif ch.old == "changed" and ch.new == "holds":
                note = f" — inside holds {_e(ch.row.holds)} from here"
            p.append(f"<li><code>{_e(ch.row.id)}</code> ({_e(', '.join(ch.devices))}): "
                     f"<span class='{ch.old}'>{WORDS[ch.old]}</span> → "
                     f"<span class='{ch.new}'>{WORDS[ch.new]}</span>{note}</li>")
        for line in _side_notes(changes, lambda ch: ch.row.id):
            p.append(f"<li><small>{_e(line[2:])}</small></li>")
        p.append("</ul>")
    # claims: a device-independent claim ('any') spans the device columns of its version
    devs = [d for d in matrix.devices if d != "any"] or ["any"]
    with_results = [c for c in matrix.columns if c.report]
    idle = [d for d in devs if with_results and all(c.device_skipped(d) for c in with_results)]
    devs = [d for d in devs if d not in idle] or devs
    p.append("<h2>Claims</h2><div><input type='checkbox' id='only-varies'><label for='only-varies'> only the "
             "claims whose status differs between versions</label>")
    for d in idle:
        p.append(f"<p><small>{_e(d)} ran in no column ({_e(with_results[-1].device_skipped(d))}): its claims are "
                 f"all unchecked (see the summary) and its columns are left out here.</small></p>")
    p.append("<table class='claims'><tr><th rowspan='2'>claim</th>" + "".join(
        f"<th colspan='{len(devs)}'>torch {_e(c.label)}</th>" for c in matrix.columns) + "</tr><tr>" + "".join(
        f"<th><small>{_e(d)}</small></th>" for _ in matrix.columns for d in devs) + "</tr>")
    titles = dict(matrix.tutorials)
    current = section = None
    span = len(matrix.columns) * len(devs) + 1
    for row in matrix.rows:
        if row.tutorial != current:
            current, section = row.tutorial, None
            p.append(f"<tr class='tut'><td colspan='{span}'>{_e(row.tutorial)} — "
                     f"{_e(titles.get(row.tutorial, ''))}</td></tr>")
        if row.section != section:
            section = row.section
            p.append(f"<tr class='sec'><td colspan='{span}'>{_e(section)}</td></tr>")
        note = _claim_note(row)
        tip = row.says + (f"\n{note}" if note else "")
        badge = " <small>(erratum)</small>" if row.erratum else (
            f" <small>holds {_e(row.holds)}</small>" if row.holds else "")
        p.append(f"<tr class='claim{' varies' if matrix.varies(row) else ''}'><td class='id' title='{_e(tip)}'>"
                 f"<code>{_e(row.id)}</code>{badge}</td>")
        for i in range(len(matrix.columns)):
            if "any" not in devs and (i, "any") in row.cells and not any((i, d) in row.cells for d in devs):
                p.append(_html_cell(matrix, row, i, "any", colspan=len(devs)))
            else:
                p += [_html_cell(matrix, row, i, d) for d in devs]
        p.append("</tr>")
    p.append("</table></div>")
    # environments
    p.append("<h2>Environments</h2><table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in ENV_HEAD) + "</tr>")
    for r in environment_rows(matrix):
        p.append("<tr>" + "".join(f"<td>{_e(x)}</td>" for x in r) + "</tr>")
    p.append("</table>")
    logs = [c for c in matrix.columns if c.log]
    if logs:
        p.append("<p><small>" + "<br>".join(f"{_e(c.label)}: pytest log {_e(c.log)}" for c in logs)
                 + "</small></p>")
    p.append("</body></html>")
    return "\n".join(p) + "\n"


def summary_text(matrix: Matrix) -> str:
    """The terminal summary: claims per status per column, the verdicts, and what changed."""
    rows = [SUMMARY_HEAD] + summary_rows(matrix)
    widths = [max(len(r[k]) for r in rows) for k in range(len(SUMMARY_HEAD) - 1)]
    lines = [""]
    for r in rows:
        cells = "  ".join(x.ljust(w) if k < 2 else x.rjust(w) for k, (x, w) in enumerate(zip(r, widths)))
        lines.append(f"{cells}  {r[-1]}".rstrip())
    lines += ["", "What changed between consecutive versions:"]
    lines += [ln for ln in _changes_markdown(matrix) if ln.strip()]
    return "\n".join(lines)


def write_outputs(matrix: Matrix, out: Path) -> Tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    md, page = out / "matrix.md", out / "matrix.html"
    md.write_text(render_markdown(matrix), encoding="utf-8")
    page.write_text(render_html(matrix), encoding="utf-8")
    return md, page


# --- venvs -----------------------------------------------------------------------------------------

def numpy_requirement(torch_version: str) -> str:
    """torch built against NumPy 1 (below 2.3) cannot use NumPy 2 ('Numpy is not available')."""
    return "numpy<2" if Version(torch_version) < Version("2.3") else "numpy"


def cache_dir(option: Optional[str] = None) -> Path:
    return Path(option or os.environ.get(CACHE_ENV) or DEFAULT_CACHE).expanduser()


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def python_version(python: str) -> str:
    try:
        out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise MatrixError(f"--python {python}: cannot run it ({exc})") from None
    return out.stdout.strip()


def _stream(cmd: List[str], log: Path, echo: Echo, show: Callable[[str], Optional[str]],
            env: Optional[dict] = None, cwd: Optional[Path] = None, what: str = "") -> int:
    """Run cmd, every line to the log, the lines `show` picks to echo, a heartbeat while it is quiet."""
    log.parent.mkdir(parents=True, exist_ok=True)
    start = last = time.monotonic()
    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"$ {' '.join(map(str, cmd))}\n")
        fh.flush()
        proc = subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True, errors="replace", env=env, cwd=cwd, bufsize=1)
        lines: "queue.Queue[Optional[str]]" = queue.Queue()
        reader = threading.Thread(target=lambda: ([lines.put(x) for x in proc.stdout], lines.put(None)),
                                  daemon=True)
        reader.start()
        try:
            while True:
                try:
                    line = lines.get(timeout=HEARTBEAT_S)
                except queue.Empty:
                    echo(f"    … {what} {time.monotonic() - start:.0f} s")
                    continue
                if line is None:
                    break
                fh.write(line)
                picked = show(line.rstrip("\n"))
                if picked:
                    echo(f"    {picked}")
                    last = time.monotonic()
                elif time.monotonic() - last > HEARTBEAT_S:
                    echo(f"    … {what} {time.monotonic() - start:.0f} s")
                    last = time.monotonic()
            return proc.wait()
        except BaseException:
            proc.kill()
            proc.wait()
            raise


_PIP_SHOWN = re.compile(r"^(Collecting|Downloading|Installing collected|Successfully installed|ERROR:)")


def _pip_line(line: str) -> Optional[str]:
    line = line.strip()
    if not _PIP_SHOWN.match(line):
        return None
    return line if len(line) < 160 else line[:157] + "..."


def requirements_fingerprint(root: Path) -> str:
    """What the venv installs of this project: its dependencies and extras (pyproject.toml)."""
    import hashlib
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    except (OSError, ValueError):
        return ""
    wanted = {"dependencies": project.get("dependencies", []),
              "optional": project.get("optional-dependencies", {})}
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()[:16]


def _pip_install(venv: Path, version: str, root: Path) -> List[str]:
    return [str(venv_python(venv)), "-m", "pip", "install", "--progress-bar", "off",
            "--disable-pip-version-check", f"torch=={version}", numpy_requirement(version), "-e", f"{root}[dev,viz]"]


def _mark_complete(venv: Path, version: str, root: Path) -> dict:
    """Import torch in the venv and write the marker (atomically): from then on the venv is cached."""
    probe = ("import json, platform, numpy, torch, pytest; print(json.dumps({'torch': torch.__version__, "
             "'numpy': numpy.__version__, 'python': platform.python_version()}))")
    done = subprocess.run([str(venv_python(venv)), "-c", probe], capture_output=True, text=True)
    if done.returncode != 0:
        raise InstallError(f"torch {version} installed but does not import: {_first_line(done.stderr[-500:])}")
    info = json.loads(done.stdout.strip().splitlines()[-1])
    info.update(project=str(root), requirements=requirements_fingerprint(root),
                created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    tmp = venv / (MARKER + ".tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, venv / MARKER)
    return info


def ensure_venv(version: str, python: str, cache: Path, root: Path, log: Path, echo: Echo,
                rebuild: bool = False, runner=None) -> Path:
    """The cached venv for this torch version, building it when absent or incomplete.

    Complete means the marker file exists (written last, after torch imported in the venv); a
    directory without it is the remains of an interrupted or failed build and is removed first.
    A cached venv whose project dependencies (pyproject.toml) changed since is updated in place."""
    runner = runner or _stream
    pyver = python_version(python)
    venv = cache / f"torch-{version}-py{pyver}"
    marker = venv / MARKER
    if marker.is_file() and not rebuild:
        try:
            info = json.loads(marker.read_text(encoding="utf-8"))
        except ValueError:
            info = {}
        if Version(info.get("torch", "0")).base_version == Version(version).base_version \
                and venv_python(venv).exists():
            echo(f"  torch {version}: cached venv {venv} (torch {info['torch']}, numpy {info.get('numpy')})")
            if info.get("requirements") != requirements_fingerprint(root):
                echo(f"  torch {version}: the project's dependencies changed since it was built: updating it")
                rc = runner(_pip_install(venv, version, root), log, echo, _pip_line, what="pip install")
                if rc != 0:
                    raise InstallError(f"pip could not update the venv of torch {version}: {_pip_error(log)}")
                _mark_complete(venv, version, root)
            return venv
        echo(f"  torch {version}: cached venv {venv} does not hold torch {version}; rebuilding")
    if venv.exists():
        if not marker.is_file():
            echo(f"  torch {version}: removing incomplete venv {venv} (an interrupted or failed build)")
        shutil.rmtree(venv)
    cache.mkdir(parents=True, exist_ok=True)
    echo(f"  torch {version}: building venv {venv} (python {pyver}, {numpy_requirement(version)})")
    try:
        rc = runner([python, "-m", "venv", str(venv)], log, echo, lambda s: None, what="venv")
        if rc != 0:
            raise InstallError(f"`{python} -m venv` failed (exit {rc}); see {log}")
        rc = runner(_pip_install(venv, version, root), log, echo, _pip_line, what="pip install")
        if rc != 0:
            raise InstallError(f"pip could not install torch=={version}: {_pip_error(log)}")
        info = _mark_complete(venv, version, root)  # the venv counts as cached from here on
    except BaseException:
        shutil.rmtree(venv, ignore_errors=True)
        raise
    echo(f"  torch {version}: venv ready (torch {info['torch']}, numpy {info['numpy']})")
    return venv


def _pip_error(log: Path) -> str:
    try:
        text = log.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return f"see {log}"
    errors = [ln.strip() for ln in text.splitlines() if ln.strip().startswith("ERROR:")]
    if not errors:
        return f"see {log}"

    def versions(m):  # pip lists every version it found: keep the ends
        found = [v.strip() for v in m.group(1).split(",")]
        return "(from versions: " + (", ".join(found) if len(found) <= 4 else
                                     f"{found[0]}, {found[1]}, …, {found[-1]}") + ")"
    return re.sub(r"\(from versions: ([^)]*)\)", versions, " ".join(errors[-2:]))[:400]


# --- running the suite -----------------------------------------------------------------------------

_PYTEST_SHOWN = re.compile(r"(\[\s*\d+%\]\s*$)|(^(FAILED|ERROR|torch-spec:|=+ .* =+$))|(^\d+ (passed|failed))")


def _pytest_line(line: str) -> Optional[str]:
    m = _PYTEST_SHOWN.search(line)
    if not m:
        return None
    if m.group(1):
        return m.group(1).strip()  # just the percentage: the dots are in the log
    return line[:200]


def suite_command(python: Path, root: Path, report: Path, extra: Sequence[str]) -> List[str]:
    paths = [str(root / "tests" / "claims")]
    bench = root / "tests" / "benchmarks"
    if any(bench.glob("test_*.py")):
        paths.append(str(bench))
        extra = ["--benchmark-disable", *extra]  # smoke mode: timing claims read unchecked
    return [str(python), "-m", "pytest", "-c", str(root / "pytest.ini"), "--rootdir", str(root), *paths,
            "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "--claims-report", str(report), *extra]


def run_suite(venv: Path, root: Path, report: Path, log: Path, extra: Sequence[str], echo: Echo,
              runner=None) -> Column:
    runner = runner or _stream
    python = venv_python(venv)
    if report.exists():
        report.unlink()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.pop("PYTEST_ADDOPTS", None)
    rc = runner(suite_command(python, root, report, extra), log, echo, _pytest_line, env=env, cwd=root,
                what="pytest")
    label = venv.name.split("-")[1]
    if not report.is_file():
        return Column(label=label, problem=f"the suite did not run (pytest exit {rc}): "
                                           f"{_last_error(log)}", log=str(log))
    col = column_from_report(load_report(report), source=str(report))
    col.log = str(log)
    return col


def _last_error(log: Path) -> str:
    try:
        lines = [ln.strip() for ln in log.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
    except OSError:
        return f"see {log}"
    errors = [ln for ln in lines if re.match(r"^(E |ERROR|\w+Error)", ln)]
    return ((errors or lines or [""])[-1])[:300] + f" (log {log})"


def run_matrix(versions: Sequence[str], out: Path, python: str, cache: Path, root: Path,
               extra: Sequence[str] = (), rebuild: bool = False, echo: Echo = print,
               ensure=ensure_venv, run=run_suite) -> List[Column]:
    columns: List[Column] = []
    for n, version in enumerate(versions, 1):
        echo(f"[{n}/{len(versions)}] torch {version}")
        log_install = out / "logs" / f"torch-{version}-install.log"
        try:
            venv = ensure(version, python, cache, root, log_install, echo, rebuild=rebuild)
        except InstallError as exc:
            echo(f"  torch {version}: NOT INSTALLED: {exc}")
            columns.append(Column(label=version, problem=str(exc), log=str(log_install)))
            continue
        echo(f"  torch {version}: running the suite")
        started = time.monotonic()
        col = run(venv, root, out / "reports" / f"torch-{version}.json",
                  out / "logs" / f"torch-{version}-pytest.log", extra, echo)
        echo(f"  torch {version}: {verdict(col)} ({time.monotonic() - started:.0f} s)")
        columns.append(col)
    return columns


# --- CLI -------------------------------------------------------------------------------------------

def _parser() -> argparse.ArgumentParser:
    usage, _, description = __doc__.partition("\n\n")
    ap = argparse.ArgumentParser(prog="python -m spec matrix", usage="\n       ".join(usage.splitlines()),
                                 description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("versions", nargs="*", metavar="VERSION", help="torch versions, e.g. 1.13.1 2.0.1 2.6.0")
    ap.add_argument("--from-reports", nargs="+", metavar="REPORT", default=None,
                    help="merge these JSON claims reports instead of installing anything")
    ap.add_argument("--out", default=".matrix", metavar="DIR",
                    help="where matrix.md, matrix.html, reports/ and logs/ go (default: .matrix)")
    ap.add_argument("--python", default=sys.executable, metavar="PY",
                    help="interpreter the venvs are made from (default: this one)")
    ap.add_argument("--cache", default=None, metavar="DIR",
                    help=f"venv cache (default: ${CACHE_ENV} or {DEFAULT_CACHE})")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the venvs even when cached")
    return ap


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: List[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    ap = _parser()
    args = ap.parse_args(argv)
    out = Path(args.out)
    try:
        if args.from_reports is not None:
            if args.versions:
                ap.error("give either torch versions or --from-reports, not both")
            columns = [column_from_report(load_report(p), source=str(p)) for p in args.from_reports]
        else:
            if not args.versions:
                ap.error("name at least one torch version (e.g. 1.13.1 2.0.1 2.6.0 2.13.0) or --from-reports")
            for v in args.versions:
                try:
                    Version(v)
                except InvalidVersion:
                    ap.error(f"{v!r} is not a version number")
            from spec.__main__ import project_root
            out = out.resolve()
            columns = run_matrix(args.versions, out, args.python, cache_dir(args.cache), project_root(),
                                 extra=extra, rebuild=args.rebuild)
    except MatrixError as exc:
        print(f"torch-spec matrix: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("torch-spec matrix: interrupted (a venv being built was removed; cached ones are kept)",
              file=sys.stderr)
        return 130
    matrix = merge(columns)
    md, page = write_outputs(matrix, out)
    print(summary_text(matrix))
    print(f"\nwrote {md} and {page}")
    return 0 if all(c.ok for c in matrix.columns) else 1


if __name__ == "__main__":
    sys.exit(main())
