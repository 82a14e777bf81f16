"""The replay as pytest items: one test per tutorial (tests/claims/test_<tutorial>_printed.py) carrying
the claim replay.<tutorial>-as-printed, so the cells are run by `python -m spec`, `pytest -n auto`, the
claims report and the matrix, and `-k replay` / `-k <tutorial>` selects them. A tutorial's cells run in
one subprocess, in order, whatever order or worker the item gets."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from spec.replay.cells import load_cells
from spec.replay.cli import seeds_problem
from spec.replay.extract import tutorial_cells
from spec.replay.verdict import VERDICTS, replay_tutorial


def assert_as_printed(request, tutorial_id: str) -> None:
    """Replay the tutorial; fail listing every BROKEN cell; skip 'unchecked: seeds not given' without
    seeds. The per-cell verdicts go into the item's user_properties ('replay_cells', JSON)."""
    from spec.plugin import catalog_of, seeds_dir
    catalog = catalog_of(request.config)
    seeds = seeds_dir(request.config)
    why = seeds_problem(str(seeds) if seeds else None, catalog, [tutorial_id])
    if why:
        pytest.skip(f"unchecked: {why}")
    tutorial = catalog.tutorial(tutorial_id)
    verdicts = replay_tutorial(tutorial, tutorial_cells(seeds, tutorial.seeds), load_cells(tutorial_id), catalog)
    request.node.user_properties.append(("replay_cells", json.dumps([v.as_dict() for v in verdicts])))
    count = Counter(v.verdict for v in verdicts)
    broken = [v for v in verdicts if v.verdict == "BROKEN"]
    assert not broken, (f"{tutorial_id}: {len(broken)} cell(s) BROKEN (python -m spec replay {tutorial_id}):\n"
                        + "\n".join(f"  cell {v.cell} ({v.first_line[:40]!r}): {v.detail}" for v in broken))
    assert count["as printed"] + count["explained"], f"{tutorial_id}: no cell could be checked here"
    print(f"{tutorial_id}: " + " · ".join(f"{count[v]} {v}" for v in VERDICTS))


def assert_quoted_verbatim(request, tutorial_id: str, blocks: dict) -> None:
    """The printed code a test quotes as a constant is the seed's own, line for line (trailing spaces
    aside): a test of "the code as printed" must not run a retyped variant. Skips 'unchecked: ...'
    without seeds."""
    from spec.plugin import catalog_of, seeds_dir
    catalog = catalog_of(request.config)
    seeds = seeds_dir(request.config)
    why = seeds_problem(str(seeds) if seeds else None, catalog, [tutorial_id])
    if why:
        pytest.skip(f"unchecked: {why}")

    def lines(text: str) -> str:
        return "\n".join(line.rstrip() for line in text.splitlines())

    texts = [lines((seeds / name).read_text(encoding="utf-8")) for name in catalog.tutorial(tutorial_id).seeds]
    missing = [name for name, block in blocks.items() if not any(lines(block).strip() in t for t in texts)]
    assert not missing, f"not verbatim in the {tutorial_id} seeds: {', '.join(missing)}"
