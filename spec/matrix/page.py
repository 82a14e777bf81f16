"""matrix.html: the matrix as one self-contained page (no network), from templates/matrix.html.j2.

Python prepares plain values (rows of cells with a class, a text and a hover note); the template
lays them out, so the page's look is changed in the template, not here. jinja2 (a dependency of
torch >= 2.0, and of the [matrix] extra) escapes every value."""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List

from spec.matrix.markdown import (LEGEND, WORDS, change_note, claim_columns, claim_note, environment_rows,
                                  ENV_HEAD, first_line, idle_lines, now, side_notes, verdict)
from spec.matrix.reports import NO_RESULT, MatrixError, Matrix, Row
from spec.report import STATUSES

TEMPLATE = Path(__file__).parent / "templates" / "matrix.html.j2"


def _cell(matrix: Matrix, row: Row, i: int, d: str) -> Dict[str, str]:
    status, detail = matrix.cell(row, i, d)
    hover = ""
    if status == "changed":
        hover = row.otherwise or detail
    elif status == "erratum":
        hover = row.erratum or ""
    elif status in ("broken", "unchecked"):
        hover = first_line(detail)
    elif status == NO_RESULT:
        hover = matrix.columns[i].problem or "not in this version's catalog / not run"
    elif status == "":
        hover = "does not run on this device" + (" (see any)" if (i, "any") in row.cells else "")
    return {"cls": status if status in STATUSES else "none", "text": WORDS.get(status, status), "hover": hover}


def page_data(matrix: Matrix, title: str) -> dict:
    devs = claim_columns(matrix)
    cols = [(i, d) for i in range(len(matrix.columns)) for d in matrix.devices]
    chips = []
    for c in matrix.columns:
        v = verdict(c)
        chips.append({"kind": "green" if v == "green" else ("grey" if c.report is None else "red"),
                      "label": c.label, "verdict": v, "problem": c.problem})
    summary = []
    for s in STATUSES:
        cells = []
        for i, d in cols:
            n = matrix.summary(i, d)[s] if matrix.columns[i].report else NO_RESULT
            cells.append({"n": n, "hot": s in ("changed", "broken") and n not in (0, NO_RESULT)})
        summary.append({"status": s, "word": WORDS[s], "cells": cells})
    pairs = []
    for a, b in matrix.pairs():
        changes = matrix.changes(a, b)
        pairs.append({"before": matrix.columns[a].label, "after": matrix.columns[b].label,
                      "changes": [{"id": ch.row.id, "devices": ", ".join(ch.devices), "old": ch.old,
                                   "new": ch.new, "old_word": WORDS[ch.old], "new_word": WORDS[ch.new],
                                   "note": change_note(ch)} for ch in changes if ch.kind == "status"],
                      "notes": [line[2:] for line in side_notes(matrix, a, b, changes, lambda ch: ch.row.id)]})
    groups: List[dict] = []
    titles = dict(matrix.tutorials)
    for row in matrix.rows:
        if not groups or groups[-1]["tutorial"] != row.tutorial:
            groups.append({"tutorial": row.tutorial, "title": titles.get(row.tutorial, ""), "sections": []})
        sections = groups[-1]["sections"]
        if not sections or sections[-1]["name"] != row.section:
            sections.append({"name": row.section, "rows": []})
        note = claim_note(row)
        sections[-1]["rows"].append({
            "id": row.id, "varies": matrix.varies(row), "tip": row.says + (f"\n{note}" if note else ""),
            "badge": "(erratum)" if row.erratum else (f"holds {row.holds}" if row.holds else ""),
            "cells": [_cell(matrix, row, i, d) for i in range(len(matrix.columns)) for d in devs]})
    return {
        "title": title, "made": now(), "n_rows": len(matrix.rows), "columns": matrix.columns,
        "devices": matrix.devices, "claim_devices": devs, "chips": chips, "legend_statuses":
        [(s, WORDS[s]) for s in STATUSES], "no_result": NO_RESULT, "legend": LEGEND,
        "summary_heads": [{"device": d, "skipped": matrix.columns[i].device_skipped(d)} for i, d in cols],
        "summary": summary, "missing": [c for c in matrix.columns if c.report is None], "pairs": pairs,
        "idle": idle_lines(matrix), "groups": groups, "span": len(matrix.columns) * len(devs) + 1,
        "env_head": ENV_HEAD, "env_rows": environment_rows(matrix),
        "logs": [(c.label, c.log) for c in matrix.columns if c.log],
    }


def render_html(matrix: Matrix, title: str = "torch-spec matrix") -> str:
    try:
        import jinja2
    except ImportError:
        raise MatrixError("matrix.html needs jinja2 (pip install -e '.[matrix]'); matrix.md needs nothing") \
            from None
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATE.parent)), autoescape=True,
                             trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    return env.get_template(TEMPLATE.name).render(**page_data(matrix, title))
