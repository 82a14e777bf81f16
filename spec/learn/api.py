"""Running one exercise's claims against code held elsewhere (a notebook front-end, issue 14):

    from spec.learn.api import check
    print(check("train_model", globals()))          # in a Jupyter kernel, after defining train_model

`check(exercise, code)` runs, in the worker (a child process with the time limit; the caller's
process never runs the checks), the claims credited to `exercise` (those whose tests check it, as
progress counts them), in catalog order, stopping at
the first failure, against `code`: a namespace dict (a notebook's globals) or a module. Exercises it
does not define stay TODO stubs. It returns a Verdict whose `text` is the block `python -m spec learn`
prints (✓ lines, or the failing claim explained). Nothing is written to disk but a temporary empty
directory (pytest's --learner needs one).
"""
from __future__ import annotations

import tempfile
import types
from dataclasses import dataclass, field
from typing import List, Optional, Union


@dataclass
class Verdict:
    exercise: str
    claims: List[str]
    passed: List[str] = field(default_factory=list)
    failed: Optional[str] = None
    text: str = ""

    @property
    def ok(self) -> bool:
        return self.failed is None and bool(self.claims) and len(self.passed) == len(self.claims)

    def __str__(self) -> str:
        return self.text


def claims_of(catalog, exercise: str, tutorial: str) -> List[str]:
    """The claims (catalog order) credited to `exercise` (see spec.learn.state.credited)."""
    from spec.learn.state import credited
    return credited(catalog).get(f"{tutorial}:{exercise}", [])


def check(exercise: str, code: Union[dict, types.ModuleType], tutorial: Optional[str] = None,
          devices: str = "cpu", timeout: Optional[float] = None) -> Verdict:
    from spec.catalog import load_catalog
    from spec.learn import loader, show, worker
    from spec.learn.stubs import exercises
    from spec.learn.testmap import files_for
    catalog = load_catalog()
    owners = {e.tutorial for e in exercises() if e.name == exercise and (tutorial in (None, e.tutorial))}
    if len(owners) != 1:
        where = "no tutorial has" if not owners else f"several tutorials have ({', '.join(sorted(owners))}): give tutorial=;"
        return Verdict(exercise, [], text=f"{exercise}: {where} an exercise of that name")
    tid = owners.pop()
    ids = claims_of(catalog, exercise, tid)
    namespace = vars(code) if isinstance(code, types.ModuleType) else dict(code)
    lines: List[str] = []
    with tempfile.TemporaryDirectory(prefix="torch-spec-notebook-") as empty:
        loader.PROVIDED[tid] = namespace
        try:
            outcome = worker.run(ids, empty, devices, paths=files_for(ids, ["tests/claims"]), timeout=timeout)
        finally:
            loader.PROVIDED.pop(tid, None)
    results = outcome.results
    passed = [c for c in ids if c in results and results[c].status in ("passed", "changed")]
    failed = next((c for c in ids if c in results and results[c].status == "failed"), None)
    show.show_passed(catalog, passed, results, lines.append)
    if failed:
        show.show_failure(catalog, failed, results[failed], False, None, lines.append, hint_level=0)
        lines[-1:] = []  # no "Stuck? python -m spec learn" line in a notebook
    elif outcome.interrupted_at:
        lines.append(f"interrupted at {outcome.interrupted_at}")
    lines.insert(0, f"{exercise}: {len(passed)}/{len(ids)} claims")
    return Verdict(exercise, ids, passed, failed, "\n".join(lines))
