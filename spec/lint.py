"""Catalog lint: every claim has a test, every test names a known claim, every quote is in its seed.

Test files are read statically (AST), so the lint needs no collection and no device.
"""
from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Set

from spec.catalog import Catalog, missing_quotes

__all__ = ["claim_ids_in_tests", "untested_claims", "unknown_claims", "missing_quotes", "hint_problems"]


def _claim_call_id(node: ast.AST):
    """'x.y' for a call `claim("x.y")` or `pytest.mark.claim("x.y")`, else None."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    arg = node.args[0]
    if name == "claim" and isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        return arg.value
    return None


def claim_ids_in_tests(paths: Iterable[Path]) -> Dict[str, List[str]]:
    """claim id -> ['file:line', ...] for every claim marker in the test files under `paths`."""
    found: Dict[str, List[str]] = defaultdict(list)
    for root in paths:
        root = Path(root)
        files = sorted(root.rglob("test_*.py")) if root.is_dir() else [root]
        for file in files:
            for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"), filename=str(file))):
                claim_id = _claim_call_id(node)
                if claim_id is not None:
                    found[claim_id].append(f"{file}:{node.lineno}")
    return dict(found)


def untested_claims(catalog: Catalog, found: Dict[str, List[str]]) -> List[str]:
    return [c for c in catalog.claims if c not in found]


def unknown_claims(catalog: Catalog, found: Dict[str, List[str]]) -> List[str]:
    return [f"{cid} ({', '.join(where)})" for cid, where in found.items() if cid not in catalog.claims]


# --- hints: written for learners ------------------------------------------------------------------
# A hint is what `python -m spec learn --hint` shows a learner stuck on the claim. Written for a test
# author it talks about the test; as bare code it gives the answer away (that is --show's step). A claim
# whose tests run the learner's code says what to do in which exercise, so it names one of them.
TEST_TALK = re.compile(r"\b(?:the|this|a) (?:test|check)s?\b|\bassert|\bpytest\b|\bfixture|\bxfail\b"
                       r"|\bmonkeypatch", re.IGNORECASE)


def _bare_code(text: str) -> bool:
    """The whole hint parses as Python: code, not words."""
    try:
        ast.parse(text.rstrip(". "))
    except SyntaxError:
        return False
    return True


def hint_problems(catalog: Catalog, tests: Dict[str, object], exercises: Set[str]) -> List[str]:
    """Hints written for test authors, not learners. `tests`: claim id -> an object with
    `learner_code` and `names` (spec.learn.testmap.ClaimTests); `exercises`: the exercise names."""
    out = []
    for cid, claim in catalog.claims.items():
        hint = " ".join(claim.hint.split())
        talk = TEST_TALK.search(hint)
        if talk:
            out.append(f"{cid}: hint talks to a test author ({talk.group(0)!r}): say what the learner "
                       f"looks at or writes")
        if _bare_code(hint):
            out.append(f"{cid}: hint is bare code (the answer is --show's step): say in words what to "
                       f"look at, or what to do in which exercise")
        t = tests.get(cid)
        mine = sorted(set(getattr(t, "names", ())) & exercises) if t is not None and t.learner_code else []
        if mine and not any(re.search(rf"(?<![\w.]){re.escape(n)}\b", hint) for n in mine):
            out.append(f"{cid}: its tests run your code ({', '.join(mine)}) but the hint names none of "
                       f"these exercises")
    return out


def _hint_problems_here(catalog: Catalog) -> List[str]:
    from spec.learn.testmap import claim_tests, exercise_names
    return hint_problems(catalog, claim_tests(("tests/claims", "tests/benchmarks")), exercise_names())


def main(argv=None) -> int:
    """python -m spec lint [--seeds DIR] [--catalog DIR]: the catalog lint without running any test."""
    import argparse
    import os
    import sys

    from spec.__main__ import project_root
    from spec.catalog import CLAIMS_DIR, CatalogError, load_catalog
    from spec.plugin import SEEDS_ENV

    parser = argparse.ArgumentParser(prog="python -m spec lint", description=main.__doc__)
    parser.add_argument("--seeds", default=None, metavar="DIR",
                        help=f"directory of the tutorial seeds (default ${SEEDS_ENV})")
    parser.add_argument("--catalog", default=None, metavar="DIR",
                        help=f"directory of catalog *.toml files (default: {CLAIMS_DIR})")
    args = parser.parse_args(argv)
    seeds, given = (args.seeds, "--seeds") if args.seeds else (os.environ.get(SEEDS_ENV), f"${SEEDS_ENV}")
    if seeds and not Path(seeds).is_dir():
        print(f"python -m spec lint: {given} {seeds}: no such directory", file=sys.stderr)
        return 2
    try:
        catalog = load_catalog(Path(args.catalog) if args.catalog else CLAIMS_DIR)
    except CatalogError as exc:
        print(f"catalog: {exc}")
        return 1
    root = project_root()
    found = claim_ids_in_tests([root / "tests" / "claims", root / "tests" / "benchmarks"])
    problems = [f"no test names claim {c}" for c in untested_claims(catalog, found)]
    problems += [f"test names unknown claim {c}" for c in unknown_claims(catalog, found)]
    problems += _hint_problems_here(catalog)
    if seeds:
        problems += missing_quotes(catalog, Path(seeds))
    for p in problems:
        print(p)
    quotes = f"quotes checked against {seeds}" if seeds else "quotes not checked (give --seeds DIR)"
    print(f"{len(catalog.claims)} claims, {len(problems)} problem(s); {quotes}")
    return 1 if problems else 0
