"""The path (claims in catalog order, speed/memory claims left to `python -m spec bench`) and the
progress file beside the workspace (DIR.torch-spec-progress.json, never inside it)."""
from __future__ import annotations

import ast
import datetime as _dt
import hashlib
import json
import os
from pathlib import Path
from typing import Dict, List, Optional

def bench_claims(directory: Optional[Path] = None) -> set:
    """Speed/memory claims (spec/claims/*.bench.toml): `python -m spec bench` checks them, not learn."""
    from spec.catalog import CLAIMS_DIR, load_tutorial
    return {c.id for p in sorted(Path(directory or CLAIMS_DIR).glob("*.bench.toml"))
            for c in load_tutorial(p).claims}


def path_of(catalog, tutorial: Optional[str], start: Optional[str]) -> List[str]:
    bench = bench_claims(Path(catalog.tutorials[0].path).parent) if catalog.tutorials else set()
    ids = [c.id for c in catalog.claims.values()
           if (tutorial is None or c.tutorial == tutorial) and c.id not in bench]
    if start is not None:
        if start not in ids:
            where = f" of tutorial '{tutorial}'" if tutorial else ""
            raise SystemExit(f"torch-spec learn: --from {start}: no such claim{where} "
                             f"(see `python -m spec learn --list`)")
        ids = ids[ids.index(start):]
    return ids


def state_path(workspace: Path) -> Path:
    """The progress file: beside the workspace, never inside it."""
    workspace = Path(os.path.abspath(workspace))
    return workspace.parent / f"{workspace.name}.torch-spec-progress.json"


def load_state(path: Optional[Path]) -> dict:
    if path is None or not path.is_file():
        return {"passed": {}, "current": None, "runs": 0, "errata_met": []}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"passed": {}, "current": None, "runs": 0, "errata_met": []}


def save_state(path: Optional[Path], state: dict) -> None:
    if path is None:
        return
    state["updated"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)




# --- what changed since the last run, and what counts as done ---------------------------------------

def function_hashes(workspace: Optional[Path]) -> Dict[str, str]:
    """'regression:train_model' -> a hash of that top-level def/class in the workspace file (an
    unparsable file gives no entries: nothing of it can have passed)."""
    out: Dict[str, str] = {}
    if workspace is None:
        return out
    for path in sorted(Path(workspace).glob("*.py")):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except (SyntaxError, ValueError, OSError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                digest = hashlib.sha1(ast.dump(node).encode()).hexdigest()[:12]
                out[f"{path.stem}:{node.name}"] = digest
    return out


def changed_names(old: Dict[str, str], new: Dict[str, str]) -> set:
    return {k for k in set(old) | set(new) if old.get(k) != new.get(k)}


def top_level(use: str) -> str:
    """'regression:ManualLinearRegression.forward' -> 'regression:ManualLinearRegression'."""
    return use.split(".", 1)[0]


def stubs_left(workspace: Optional[Path]) -> set:
    """'tutorial:name' of every top-level exercise whose body still raises the TODO."""
    from spec.learn.stubs import TODO_RE
    out = set()
    if workspace is None:
        return out
    for path in sorted(Path(workspace).glob("*.py")):
        try:
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text)
        except (SyntaxError, ValueError, OSError):
            continue
        lines = text.splitlines()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and any(
                    TODO_RE.search(ln) for ln in lines[node.lineno - 1:node.end_lineno]):
                out.add(f"{path.stem}:{node.name}")
    return out


def credited(catalog, paths=("tests/claims",)) -> Dict[str, List[str]]:
    """'tutorial:exercise' -> the claims (path order) credited to it: each claim that exercises the
    learner's code goes to the most advanced exercise its tests use (the data functions are plumbing
    for later ones); an exercise only ever used by later ones gets every claim that uses it."""
    from spec.learn.stubs import exercises
    from spec.learn.testmap import claim_tests
    tests = claim_tests(tuple(paths))
    mine = [c for c in path_of(catalog, None, None) if c in tests and tests[c].learner_code]
    units = [f"{e.tutorial}:{e.name}" for e in exercises() if e.kind != "method"]
    order = {u: i for i, u in enumerate(units)}
    by_unit: Dict[str, List[str]] = {u: [] for u in units}
    for c in mine:
        tid = catalog.claims[c].tutorial
        named = [f"{tid}:{n}" for n in (tests[c].direct or tests[c].names) if f"{tid}:{n}" in order]
        if named:
            by_unit[max(named, key=order.get)].append(c)
    for u in units:
        if not by_unit[u]:
            tid, name = u.split(":", 1)
            by_unit[u] = [c for c in mine if catalog.claims[c].tutorial == tid and name in tests[c].names]
    return by_unit


def progress(catalog, state: dict, workspace: Optional[Path], paths=("tests/claims",)) -> Dict[str, int]:
    """The one set of counts, over the whole catalog's path (the same under --from and --tutorial):
    exercises done (written, and every claim credited to it passed, or unchecked here: never failed), claims that exercise the
    learner's code passed, facts about torch itself checked along the way (not credited)."""
    from spec.learn.testmap import claim_tests
    tests = claim_tests(tuple(paths))
    path = path_of(catalog, None, None)
    passed = state.get("passed", {})
    mine = [c for c in path if c in tests and tests[c].learner_code]
    by_unit = credited(catalog, paths)
    left = stubs_left(workspace) if workspace else set()
    unchecked = state.get("unchecked", {})  # a claim this machine cannot check does not hold one back
    done = [u for u in by_unit if u not in left and any(c in passed for c in by_unit[u])
            and all(c in passed or c in unchecked for c in by_unit[u])]
    return {"exercises": len(done), "exercises_total": len(by_unit),
            "claims": sum(1 for c in mine if c in passed), "claims_total": len(mine),
            "facts": sum(1 for c in path if c in passed and c not in mine),
            "facts_total": len(path) - len(mine)}
