"""A static map of the claim tests, read by AST (nothing is imported or run):

- which test files hold a claim's tests (so a walk collects only the files it needs),
- whether a claim's tests exercise the learner's code (take the `tutorial` fixture),
- which of the tutorial's names they use (`tutorial.data_gen`, a helper of tests/helpers that does,
  or the name as a string: `trained(tutorial, device, "train_sgd")`).
"""
from __future__ import annotations

import ast
import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Set

from spec.__main__ import ROOT


@dataclass
class ClaimTests:
    files: Set[str] = field(default_factory=set)  # relative to the project root
    learner_code: bool = False
    names: Set[str] = field(default_factory=set)  # the tutorial's names its tests use
    direct: Set[str] = field(default_factory=set)  # of those, named in the test functions themselves


def _claim_of(decorator) -> str:
    """'data.shapes' for @claim("data.shapes") / @pytest.mark.claim("data.shapes"), else ''."""
    if isinstance(decorator, ast.Call) and decorator.args and isinstance(decorator.args[0], ast.Constant):
        f = decorator.func
        if (isinstance(f, ast.Name) and f.id == "claim") or (isinstance(f, ast.Attribute) and f.attr == "claim"):
            return str(decorator.args[0].value)
    return ""


def _direct(fn) -> tuple:
    """(tutorial names used, strings, names of functions called) in one function."""
    names, strings, calls = set(), set(), set()
    for n in ast.walk(fn):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "tutorial":
            names.add(n.attr)
        elif isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.isidentifier():
            strings.add(n.value)
        elif isinstance(n, ast.Call) and isinstance(n.func, ast.Name):
            calls.add(n.func.id)
    return names, strings, calls


def _functions(paths: Iterable[Path]) -> Dict[str, ast.AST]:
    out = {}
    for p in paths:
        for node in ast.parse(p.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef):
                out.setdefault(node.name, node)
    return out


def claim_tests(paths=("tests/claims",)) -> Dict[str, ClaimTests]:
    """claim id -> ClaimTests, for every test file in the test directories `paths` (relative to the
    project root, or absolute) and the helpers of tests/helpers they call."""
    return _claim_tests(tuple(str(ROOT / p) for p in paths))


@functools.lru_cache(maxsize=8)
def _claim_tests(directories) -> Dict[str, ClaimTests]:
    root = ROOT
    helpers = _functions(sorted((root / "tests" / "helpers").glob("*.py")))
    known = exercise_names()
    out: Dict[str, ClaimTests] = {}
    files = [f for d in map(Path, directories) for f in (sorted(d.glob("test_*.py")) if d.is_dir() else [d])]
    for path in files:
        local = {**helpers, **_functions([path])}
        memo: Dict[str, Set[str]] = {}

        def used(fn, seen=()) -> Set[str]:
            names, strings, calls = _direct(fn)
            found = names | (strings & known)
            for c in calls:
                if c in local and c not in seen:
                    if c not in memo:
                        memo[c] = used(local[c], seen + (c,))
                    found |= memo[c]
            return found

        rel = str(path.relative_to(root)) if path.is_relative_to(root) else str(path)
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if not isinstance(node, ast.FunctionDef):
                continue
            for d in node.decorator_list:
                cid = _claim_of(d)
                if cid:
                    ct = out.setdefault(cid, ClaimTests())
                    ct.files.add(rel)
                    args = {a.arg for a in node.args.args}
                    if "tutorial" in args:
                        ct.learner_code = True
                        ct.names |= used(node)
                        names, strings, _ = _direct(node)
                        ct.direct |= names | (strings & known)
    return out


def exercise_names() -> Set[str]:
    from spec.learn.stubs import exercises
    return {e.name for e in exercises() if e.kind != "method"}


def files_for(claim_ids: Iterable[str], paths: List[str]) -> List[str]:
    """The test files that hold these claims' tests, when `paths` is the default tests/claims;
    otherwise `paths` unchanged (a meta test's own directory)."""
    if list(paths) != ["tests/claims"]:
        return list(paths)
    m = claim_tests()
    files = sorted({f for cid in claim_ids for f in (m[cid].files if cid in m else ())})
    return files or list(paths)
