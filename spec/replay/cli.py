"""python -m spec replay [TUTORIAL...] [--seeds DIR] [--json FILE] [--timeout S] [--jobs N] [--lint]

Runs each tutorial's code cells as printed, in order, in one fresh interpreter per tutorial, and gives
every cell one verdict: as printed · explained · unchecked · BROKEN. Exit 1 only when a cell is BROKEN.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from typing import Dict, List, Optional

from spec.catalog import Catalog, CatalogError, load_catalog
from spec.replay.cells import CellsError, lint, load_cells
from spec.replay.extract import tutorial_cells
from spec.replay.verdict import DEFAULT_TIMEOUT, VERDICTS, Verdict, replay_tutorial

SEEDS_ENV = "TORCH_SPEC_SEEDS"


def seeds_problem(seeds: Optional[str], catalog: Catalog, tutorial_ids=()) -> Optional[str]:
    """Why the seeds (of these tutorials; default all) cannot be read ('seeds not given', ...), or None."""
    if not seeds:
        return "seeds not given"
    missing = [n for t in catalog.tutorials if not tutorial_ids or t.id in tutorial_ids
               for n in t.seeds if not (Path(seeds) / n).is_file()]
    if missing:
        return f"seeds not found in {seeds} ({', '.join(missing)})"
    return None


def replay(catalog: Catalog, seeds: Optional[str], tutorial_ids: List[str],
           timeout: float = DEFAULT_TIMEOUT, jobs: int = 3) -> Dict[str, object]:
    """{tutorial id: [Verdict, ...]} or {tutorial id: 'unchecked reason'} when the seeds are missing.
    Up to `jobs` tutorials run at once, each in its own interpreter."""
    from concurrent.futures import ThreadPoolExecutor
    why = seeds_problem(seeds, catalog, tutorial_ids)
    chosen = [t for t in catalog.tutorials if not tutorial_ids or t.id in tutorial_ids]
    if why:
        return {t.id: why for t in chosen}

    def one(t):
        cells = tutorial_cells(Path(seeds), t.seeds)
        return replay_tutorial(t, cells, load_cells(t.id), catalog, timeout) if cells else []
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return dict(zip([t.id for t in chosen], pool.map(one, chosen)))


def counts(verdicts: List[Verdict]) -> Counter:
    return Counter(v.verdict for v in verdicts)


def summary_line(results: Dict[str, object]) -> str:
    total = Counter()
    unchecked_tutorials = 0
    for value in results.values():
        if isinstance(value, str):
            unchecked_tutorials += 1
        else:
            total += counts(value)
    parts = [f"{total[v]} {v}" for v in VERDICTS]
    tail = f" · {unchecked_tutorials} tutorial(s) unchecked" if unchecked_tutorials else ""
    return f"torch-spec replay: {sum(total.values())} cells: " + " · ".join(parts) + tail


def write_table(tutorial_id: str, title: str, value, write=print) -> None:
    write("")
    write(f"{tutorial_id} — {title}")
    if isinstance(value, str):
        write(f"  unchecked: {value}")
        return
    for v in value:
        first = v.first_line if len(v.first_line) <= 44 else v.first_line[:43] + "…"
        claims = ", ".join(v.claims)
        write(f"  {v.cell:>3}  {v.section[:22]:<22} {first:<44} {v.verdict:<10} {claims}")
        why = v.detail or v.note
        if why and (v.verdict != "as printed" or v.note.startswith("unseeded")):
            write(f"       {why.splitlines()[0][:150]}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spec replay", description=__doc__.splitlines()[2])
    parser.add_argument("tutorials", nargs="*", metavar="TUTORIAL", help="tutorial ids (default: all)")
    parser.add_argument("--seeds", default=os.environ.get(SEEDS_ENV), metavar="DIR",
                        help=f"directory of the tutorial seeds (default ${SEEDS_ENV})")
    parser.add_argument("--json", metavar="FILE", help="write the per-cell verdicts as JSON")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="S",
                        help=f"time limit of one cell in seconds (default {DEFAULT_TIMEOUT:g})")
    parser.add_argument("--jobs", type=int, default=3, metavar="N",
                        help="tutorials replayed at once, each in its own interpreter (default 3)")
    parser.add_argument("--lint", action="store_true",
                        help="check the cells files against the seeds and the catalog; run nothing")
    args = parser.parse_args(argv)
    try:
        catalog = load_catalog()
        known = [t.id for t in catalog.tutorials]
        unknown = [t for t in args.tutorials if t not in known]
        if unknown:
            parser.error(f"unknown tutorial {', '.join(unknown)} (known: {', '.join(known)})")
        if args.lint:
            return _lint(catalog, args.seeds)
        results = replay(catalog, args.seeds, args.tutorials, args.timeout, args.jobs)
    except (CatalogError, CellsError) as exc:
        print(f"torch-spec replay: {exc}", file=sys.stderr)
        return 2
    for t in catalog.tutorials:
        if t.id in results:
            write_table(t.id, t.title, results[t.id])
    print("")
    print(summary_line(results))
    if args.json:
        _write_json(args.json, catalog, results)
    broken = any(not isinstance(v, str) and counts(v)["BROKEN"] for v in results.values())
    return 1 if broken else 0


def _lint(catalog: Catalog, seeds: Optional[str]) -> int:
    why = seeds_problem(seeds, catalog)
    if why:
        print(f"torch-spec replay --lint: unchecked: {why}")
        return 0
    problems = lint(catalog, Path(seeds))
    for p in problems:
        print(p)
    cells = sum(len(tutorial_cells(Path(seeds), t.seeds)) for t in catalog.tutorials)
    print(f"{cells} cells, {len(problems)} problem(s)")
    return 1 if problems else 0


def _write_json(path: str, catalog: Catalog, results: Dict[str, object]) -> None:
    import torch
    data = {"schema": "torch-spec/replay", "schema_version": 1, "torch": torch.__version__,
            "summary": summary_line(results), "tutorials": []}
    for t in catalog.tutorials:
        if t.id not in results:
            continue
        value = results[t.id]
        entry = {"id": t.id, "title": t.title, "seeds": list(t.seeds)}
        if isinstance(value, str):
            entry.update(unchecked=value, cells=[])
        else:
            entry.update(counts=dict(counts(value)), cells=[v.as_dict() for v in value])
        data["tutorials"].append(entry)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
