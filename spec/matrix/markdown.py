"""The matrix as text: matrix.md (Markdown) and the terminal summary, and the pieces the HTML page
shares with them (verdicts, notes, summary and environment rows)."""
from __future__ import annotations

import datetime as _dt
from typing import Callable, Dict, List

from spec.matrix.reports import NO_RESULT, NOT_APPLICABLE, Change, Column, Matrix, Row
from spec.report import STATUSES

WORDS = {"holds": "holds", "changed": "changed", "erratum": "erratum", "broken": "BROKEN",
         "unchecked": "unchecked", NO_RESULT: NO_RESULT, NOT_APPLICABLE: ""}
ENV_HEAD = ["column", "torch", "numpy", "python", "torch build", "GPU", "devices run", "unchecked devices",
            "platform", "created", "report", "verdict"]
SUMMARY_HEAD = ["torch", "device"] + [WORDS[s] for s in STATUSES] + ["verdict"]
LEGEND = ("**holds** (the tutorial's statement is true here) · **changed** (outside the claim's `holds` "
          "range: expected, the note says what is true instead) · **erratum** (the tutorial is wrong on "
          "every version; the truth is asserted) · **BROKEN** (unexpected failure or XPASS) · **unchecked** "
          "(device or optional package absent; not a pass) · " + NO_RESULT + " (no result: not run, or not "
          "in that version's catalog) · blank (the claim does not run on that device: a device-independent "
          "claim has its result under `any`, a cuda-only claim is blank under cpu)")


def now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")


def verdict(col: Column) -> str:
    if col.report is None:
        return f"no results: {col.problem}"
    broken = col.report["summary"].get("broken", 0)
    if broken:
        return f"{broken} BROKEN"
    if col.problem:
        return col.problem
    return "green"


def first_line(text: str) -> str:
    lines = [ln.strip() for ln in (text or "").strip().splitlines() if ln.strip()]
    return lines[0][:300] if lines else ""


def claim_note(row: Row) -> str:
    if row.erratum:
        return f"erratum: {row.erratum}"
    if row.holds:
        return f"holds {row.holds}; otherwise: {row.otherwise}"
    return ""


def change_note(ch: Change) -> str:
    if ch.new == "changed" and ch.row.otherwise:
        return f" — documented (holds {ch.row.holds}): {ch.row.otherwise}"
    if ch.new == "broken":
        return " — undocumented: the tutorial's statement fails and the catalog does not say so"
    if ch.old == "changed" and ch.new == "holds":
        return f" — inside holds {ch.row.holds} from here"
    return ""


def change_text(ch: Change) -> str:
    return f"`{ch.row.id}` ({', '.join(ch.devices)}): {WORDS[ch.old]} → {WORDS[ch.new]}{change_note(ch)}"


def claim_columns(matrix: Matrix) -> List[str]:
    """The device sub-columns of the claims table: devices that ran somewhere, then `any`."""
    idle = set(matrix.idle_devices())
    return [d for d in matrix.devices if d not in idle] or list(matrix.devices)


def idle_lines(matrix: Matrix) -> List[str]:
    with_results = [c for c in matrix.columns if c.report]
    return [f"{d} ran in no column ({with_results[-1].device_skipped(d)}): its claims are all unchecked "
            f"(see the summary) and its columns are left out of the claims table."
            for d in matrix.idle_devices()]


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


def summary_rows(matrix: Matrix) -> List[List[str]]:
    """One row per torch version and device: claims per status; the verdict on the version's first row,
    a device not run in that column says so there."""
    rows = []
    for i, c in enumerate(matrix.columns):
        for n, d in enumerate(matrix.devices or [NO_RESULT]):
            counts = matrix.summary(i, d)
            cells = [str(counts[s]) if c.report else NO_RESULT for s in STATUSES]
            note = verdict(c) if n == 0 else ""
            if c.device_skipped(d):
                note = f"{d} not run: {c.device_skipped(d)}"
            rows.append([c.label if n == 0 else "", d] + cells + [note])
    return rows


def side_notes(matrix: Matrix, a: int, b: int, changes: List[Change],
               name: Callable[[Change], str]) -> List[str]:
    """One line for claims unchecked on one side, one for claims only one report has: a filtered run
    (-k) is named as such, another catalog lists its claims (the first ten)."""
    out = []
    coverage = [ch for ch in changes if ch.kind == "coverage"]
    if coverage:
        out.append(f"- coverage ({len(coverage)}, not a change of behaviour): " + "; ".join(
            f"{name(ch)} ({', '.join(ch.devices)}) {WORDS[ch.old]} → {WORDS[ch.new]}" for ch in coverage))
    for side, other, col, empty_is in (("newer", "older", matrix.columns[b], "old"),
                                       ("older", "newer", matrix.columns[a], "new")):
        ids = sorted({ch.row.id for ch in changes if ch.kind == "catalog"
                      and getattr(ch, empty_is) == NO_RESULT})
        if not ids:
            continue
        filtered = matrix.columns[a if side == "newer" else b]
        if filtered.selection:
            out.append(f"- {len(ids)} claim(s) not in {filtered.label}: a filtered run ({filtered.selection})")
            continue
        shown = ", ".join(ids[:10]) + (f", and {len(ids) - 10} more" if len(ids) > 10 else "")
        out.append(f"- {len(ids)} claim(s) only in the {side} report (another catalog): {shown}")
    return out


def changes_markdown(matrix: Matrix) -> List[str]:
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
        out += [f"- {change_text(ch)}" for ch in changes if ch.kind == "status"]
        out += side_notes(matrix, a, b, changes, lambda ch: f"`{ch.row.id}`")
    return out


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _table(head: List[str], rows: List[List[str]]) -> List[str]:
    return (["| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
            + ["| " + " | ".join(_md(x) for x in r) + " |" for r in rows])


def render_markdown(matrix: Matrix, title: str = "torch-spec matrix") -> str:
    devs = claim_columns(matrix)
    cols = [(i, d) for i in range(len(matrix.columns)) for d in devs]
    head = [f"{matrix.columns[i].label} {d}" for i, d in cols]
    out = [f"# {title}: tutorial claims across torch versions", "",
           f"{len(matrix.rows)} claims, {len(matrix.columns)} torch versions, devices "
           f"{', '.join(matrix.devices)}. Made {now()}.", "", "Statuses: " + LEGEND + "."]
    out += ["", "## Summary", "", "Claims per status, per torch version and device.", ""]
    out += _table(SUMMARY_HEAD, summary_rows(matrix))
    out += ["", "## What changed between consecutive versions", ""] + changes_markdown(matrix)
    out += ["", "## Environments", ""] + _table(ENV_HEAD, environment_rows(matrix))
    out += [f"\n- {c.label}: pytest log `{c.log}`" for c in matrix.columns if c.log]
    out += ["", "## Claims", ""] + idle_lines(matrix)
    notes: Dict[str, int] = {}  # note text -> footnote number: one footnote per distinct note

    def footnote(text: str) -> str:
        notes.setdefault(text, len(notes) + 1)
        return f"[^{notes[text]}]"

    current = section = None
    titles = dict(matrix.tutorials)
    for row in matrix.rows:
        if row.tutorial != current:
            current, section = row.tutorial, None
            out += ["", f"### {row.tutorial} — {titles.get(row.tutorial, '')}".rstrip(" —")]
        if row.section != section:
            section = row.section
            out += ["", f"#### {section}", ""] + _table(["claim"] + head, [])
        label = f"`{row.id}`" + (footnote(f"`{row.id}` — {_md(claim_note(row))}") if claim_note(row) else "")
        cells = []
        for i, d in cols:
            status, detail = matrix.cell(row, i, d)
            text = WORDS.get(status, status)
            if status == "broken":
                text = f"**{text}**"
            absent = status == "unchecked" and matrix.columns[i].device_skipped(d)
            if status == "broken" and detail:
                text += footnote(f"`{row.id}` on {matrix.columns[i].label} {d}: {_md(first_line(detail))}")
            elif status == "unchecked" and detail and not absent:
                text += footnote(f"unchecked: {_md(first_line(detail))}")
            cells.append(text)
        out.append(f"| {label} | " + " | ".join(cells) + " |")
    if notes:
        out += ["", "## Notes", ""] + [f"[^{n}]: {text}" for text, n in notes.items()]
    return "\n".join(out) + "\n"


def summary_text(matrix: Matrix) -> str:
    """The terminal summary: claims per status per column, the verdicts, and what changed."""
    rows = [SUMMARY_HEAD] + summary_rows(matrix)
    widths = [max(len(r[k]) for r in rows) for k in range(len(SUMMARY_HEAD) - 1)]
    lines = [""]
    for r in rows:
        cells = "  ".join(x.ljust(w) if k < 2 else x.rjust(w) for k, (x, w) in enumerate(zip(r, widths)))
        lines.append(f"{cells}  {r[-1]}".rstrip())
    lines += ["", "What changed between consecutive versions:"]
    lines += [ln for ln in changes_markdown(matrix) if ln.strip()]
    return "\n".join(lines)


def table_text(head: List[str], rows: List[List[str]]) -> List[str]:
    """A plain aligned text table (boundaries, bisect, build times)."""
    widths = [max(len(str(r[k])) for r in [head] + rows) for k in range(len(head))]
    fmt: Callable[[List[str]], str] = lambda r: "  ".join(str(x).ljust(w) for x, w in zip(r, widths)).rstrip()
    return [fmt(head), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]


