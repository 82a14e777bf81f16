"""`python -m spec learn --init DIR --notebook [--solved]`: one Jupyter notebook per tutorial.

A notebook: a title cell; one import cell (the checker and the tutorial's own imports); then per
exercise, in the tutorial's order, a Markdown cell (the section, the tutorial's sentence checked, where
to read it), a code cell with the exercise's stub (spec.learn.stubs, the workspace's stub) and a check
cell `check("name")`; at the end `check()`, the path. `--solved` fills in the tutorial's code (the
reference in spec/tutorials) instead of the stubs: the teacher's copy, every check ✓.
"""
from __future__ import annotations

import ast
from pathlib import Path
from typing import List, Optional, Tuple

from spec.learn.stubs import CODE_NOTE, _is_main_guard, new_workspace, reference_modules, stub_source

CODE_NOTE_HERE = "(the tutorial shows its code here: read it there, or see check(\"name\", hint=True) twice)"
NEEDS = "--notebook needs nbformat: pip install -e \".[notebook]\" (from your clone)"


def chunks(source: str) -> List[Tuple[Optional[str], str]]:
    """A module cut at its top-level statements: (exercise name or None, text with the comments and
    blank lines before it); the module docstring and an `if __name__ == "__main__":` block are left out."""
    tree = ast.parse(source)
    lines = source.splitlines()
    out: List[Tuple[Optional[str], str]] = []
    pos = 0
    for i, node in enumerate(tree.body):
        text = "\n".join(lines[pos:node.end_lineno]).strip("\n")
        pos = node.end_lineno
        if (i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
                and isinstance(node.value.value, str)) or _is_main_guard(node):
            continue
        name = getattr(node, "name", None)
        public = isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) \
            and not name.startswith("_")
        out.append((name if public else None, text))
    return out


def _cells_of(tutorial: str, solved: bool) -> Tuple[str, List[Tuple[str, str]]]:
    """(the setup code before the first exercise, [(exercise, its cell's code)])."""
    ref = reference_modules()[tutorial].read_text(encoding="utf-8")
    code = chunks(ref if solved else stub_source(ref, tutorial)[0].replace(CODE_NOTE, CODE_NOTE_HERE))
    setup: List[str] = []
    cells: List[Tuple[str, str]] = []
    pending: List[str] = []
    for name, text in code:
        if name is None:
            (pending if cells else setup).append(text)
            continue
        cells.append((name, "\n\n".join(pending + [text]).strip("\n")))
        pending = []
    if pending and cells:  # code after the last exercise stays with it
        last = cells[-1]
        cells[-1] = (last[0], "\n\n".join([last[1]] + pending))
    return "\n".join(setup).strip("\n"), cells


def _quote(text: str) -> str:
    return " ".join(text.split())


def _markdown(catalog, tutorial, number: int, name: str, claims: List[str]) -> str:
    t = catalog.tutorial(tutorial)
    cs = [catalog.claims[c] for c in claims]
    sections = list(dict.fromkeys(c.section for c in cs))
    lines = [f"## {number}. `{name}` — {' · '.join(sections) or t.title}", ""]
    for c in cs[:2]:
        lines.append(f"> “{_quote(c.quote)}”")
        lines.append("")
    more = f" (and {len(cs) - 2} more)" if len(cs) > 2 else ""
    lines.append(f"Checked: {', '.join(f'`{c.id}`' for c in cs[:2])}{more} — {len(cs)} "
                 f"claim{'s' if len(cs) != 1 else ''} of the tutorial about your `{name}`.")
    lines.append("")
    where = " and ".join(f"“{s}”" for s in sections) or "its text"
    lines.append(f"*Read in the tutorial:* {t.title}, section {where} (seed "
                 f"{', '.join(t.seeds) or 'not listed'}). Write the body below (the docstring says what "
                 f"to take and return), run the cell, then run the check under it.")
    return "\n".join(lines)


def _checked_later(ids: List[str], after: List[str]) -> List[str]:
    """The exercises of `after` (further down) that every one of these claims' tests also run; empty
    when some claim can be checked where it is."""
    from spec.learn.testmap import claim_tests
    tests = claim_tests()
    later = [set(tests[c].direct or tests[c].names) & set(after) if c in tests else set() for c in ids]
    if not ids or not all(later):
        return []
    return [n for n in after if any(n in s for s in later)]


def notebook(catalog, tutorial: str, solved: bool = False):
    """One tutorial's notebook (an nbformat v4 NotebookNode)."""
    import nbformat
    from nbformat import v4

    from spec.learn.state import credited
    t = catalog.tutorial(tutorial)
    claims = credited(catalog)
    setup, cells = _cells_of(tutorial, solved)
    nb = v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["torch-spec"] = {"tutorial": tutorial, "solved": solved}
    kind = "the solved notebook (the tutorial's code filled in), for teachers" if solved else \
        "your exercises"
    nb.cells.append(v4.new_markdown_cell(
        f"# {t.title} — {kind}\n\n"
        f"The tutorial's functions and classes, one section each, in the tutorial's order. In each "
        f"section: read the sentence quoted, write the body of the stub (replace "
        f"`raise NotImplementedError(\"TODO ...\")` with the code the tutorial's text shows), run its "
        f"cell, then run the check under it: `check(\"name\")` runs the tutorial's claims about it "
        f"against your code and says ✓, or what is wrong (`hint=True` for a hint; asked again, or "
        f"`show=True`: the tutorial's code). `check()` shows your path with ✓ ✗ · marks; the progress "
        f"is shared with `python -m spec learn DIR --list` for this folder.\n\n"
        f"Run the first cell first (it loads torch and the claims: a few seconds)."))
    nb.cells.append(v4.new_code_cell(
        f"from spec.learn.notebook import checker\n"
        f"check = checker(\"{tutorial}\")  # the claims of \"{t.title}\", checked against this notebook\n"
        + (f"\n{setup}\n" if setup else "")))
    order = [n for n, _ in cells]
    for i, (name, code) in enumerate(cells, 1):
        ids = claims.get(f"{tutorial}:{name}", [])
        later = _checked_later(ids, order[i:])
        md = _markdown(catalog, tutorial, i, name, ids)
        if later:  # its claims also run exercises further down: checked there
            md += (f"\n\nIts claims also need {', '.join(f'`{n}`' for n in later)} (below): "
                   f"they are checked by `check(\"{later[-1]}\")`.")
        nb.cells.append(v4.new_markdown_cell(md))
        nb.cells.append(v4.new_code_cell(code))
        if not later:
            nb.cells.append(v4.new_code_cell(f'check("{name}")'))
    nb.cells.append(v4.new_markdown_cell(
        "## Facts about torch itself\n\nThe tutorial's other sentences are about torch, not about code "
        "you write: this cell checks them all on this torch (the progress line's \"facts checked along "
        "the way\"; not credited as your work)."))
    nb.cells.append(v4.new_code_cell("check.facts()"))
    nb.cells.append(v4.new_markdown_cell("## Your path\n\nEvery claim of the tutorial, ✓ passed, "
                                         "✗ failing, · not checked yet."))
    nb.cells.append(v4.new_code_cell("check()"))
    nbformat.validate(nb)
    return nb


def write_notebooks(target: Path, catalog, solved: bool = False) -> List[Path]:
    """One notebook per tutorial into `target` (which must be empty or absent)."""
    import nbformat
    target = new_workspace(Path(target))
    written = []
    for tutorial in reference_modules():
        if tutorial not in {t.id for t in catalog.tutorials}:
            continue
        out = target / f"{tutorial}.ipynb"
        nbformat.write(notebook(catalog, tutorial, solved), str(out))
        written.append(out)
    return written



# --- the command line: --init DIR --notebook [--solved], and a notebook workspace given as DIR --------

def is_notebook_workspace(directory: Path) -> bool:
    return any(directory.glob("*.ipynb")) and not any(directory.glob("*.py"))


def init_notebooks(args, catalog) -> int:
    """python -m spec learn --init DIR --notebook [--solved]."""
    import sys

    from spec.learn.state import state_path
    try:
        import nbformat  # noqa: F401
    except ImportError:
        print(f"torch-spec learn: {NEEDS}", file=sys.stderr)
        return 2
    try:
        written = write_notebooks(Path(args.init), catalog, solved=args.solved)
    except FileExistsError as exc:
        print(f"torch-spec learn: {exc}", file=sys.stderr)
        return 2
    kind = "solved notebooks (the tutorial's code filled in)" if args.solved else "notebooks"
    print(f"wrote {len(written)} {kind} into {args.init}: {', '.join(p.name for p in written)}\n"
          f"progress will be kept in {state_path(Path(args.init))}\n"
          f"next: jupyter lab {args.init}   (or open a notebook in VS Code; run the first cell first)")
    return 0


def notebook_workspace(args, catalog) -> int:
    """`python -m spec learn DIR [--list]` where DIR holds notebooks: the path from the progress file
    (the notebooks' check cells are where the claims run)."""
    import sys

    from spec.learn.notebook import path_lines
    from spec.learn.state import load_state, state_path
    if not args.list:
        print(f"torch-spec learn: {args.workspace} holds notebooks: run their check cells in Jupyter "
              f"(or see your progress with `python -m spec learn {args.workspace} --list`)",
              file=sys.stderr)
        return 2
    for line in path_lines(catalog, args.tutorial, load_state(state_path(Path(args.workspace)))):
        print(line)
    return 0
