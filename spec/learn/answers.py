"""The answer, one step past the hint: the tutorial's code (the reference in spec/tutorials) of the
exercises a claim's tests use, shown by `--hint` asked twice on the same claim, or `--show`."""
from __future__ import annotations

import ast
from typing import List

from spec.learn.stubs import reference_modules


def tutorial_code(catalog, claim_id: str, paths=("tests/claims",)) -> List[str]:
    from spec.learn.testmap import claim_tests
    claim = catalog.claims[claim_id]
    tests = claim_tests(tuple(paths))
    names = tests[claim_id].names if claim_id in tests else set()
    path = reference_modules().get(claim.tutorial)
    if not names or path is None:
        return ["(this claim is about torch itself: no exercise of yours is checked here; the "
                "tutorial's section shows the code)"]
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    out: List[str] = []
    for node in ast.parse(source).body:
        if getattr(node, "name", None) in names:
            first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
            out.extend(lines[first - 1:node.end_lineno] + [""])
    return out[:-1] or ["(no code found)"]


def exercise_summary(tutorial: str, name: str) -> str:
    """The first sentence of the docstring of exercise `name` ('data_gen', 'CustomDataset.__len__')
    in the tutorial's reference module: what the learner's stub says it is; '' when there is none."""
    path = reference_modules().get(tutorial)
    if path is None:
        return ""
    body = ast.parse(path.read_text(encoding="utf-8")).body
    node = None
    for part in name.split("."):
        node = next((n for n in body if getattr(n, "name", None) == part), None)
        if node is None:
            return ""
        body = getattr(node, "body", [])
    doc = ast.get_docstring(node) or "" if node is not None else ""
    first = " ".join(doc.split("\n\n")[0].split())
    return first if first.endswith((".", "?", "!")) or not first else first + "."


def exercise_hint(catalog, claim_id: str, name: str, paths=("tests/claims",)) -> str:
    """The hint for a claim whose test stopped at exercise `name` still being a TODO: about writing
    that exercise (what its docstring says it is, the section of the tutorial that shows its code),
    and the claim's own hint only where it is about that exercise."""
    import re

    from spec.learn.testmap import claim_tests
    claim = catalog.claims[claim_id]
    top = name.split(".")[0]
    tests = claim_tests(tuple(paths))
    first = next((c for c in catalog.claims.values() if c.tutorial == claim.tutorial and c.id in tests
                  and top in tests[c.id].direct), claim)
    summary = exercise_summary(claim.tutorial, name) or exercise_summary(claim.tutorial, top)
    text = (f"{name} is not written yet, and this claim runs it: write it first. "
            + (f"Its docstring says: {summary} " if summary else "")
            + f"The tutorial's “{first.section}” section shows how.")
    if re.search(rf"(?<![\w.]){re.escape(top)}\b", claim.hint):
        text += f" For this claim: {' '.join(claim.hint.split())}"
    return text
