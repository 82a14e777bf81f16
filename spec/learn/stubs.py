"""Learner exercise stubs, generated from the reference tutorial code (spec/tutorials/<id>.py).

Every public top-level function and class the tutorial builds becomes an exercise: its signature,
decorators and docstring are kept verbatim, and its body becomes ``raise NotImplementedError("TODO ...")``
(for a class: each method's body; class-level attributes are kept). Imports, constants and private
helpers (names starting with ``_``) are copied as they are; an ``if __name__ == "__main__":`` block is
dropped. New functions in the reference modules become exercises automatically.
"""
from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

TUTORIALS_DIR = Path(__file__).resolve().parent.parent / "tutorials"
TODO_RE = re.compile(r"raise NotImplementedError\(\s*['\"]TODO")


@dataclass(frozen=True)
class Exercise:
    tutorial: str       # tutorial id (module name)
    name: str           # qualified name in the module: 'data_gen', 'ManualLinearRegression.forward'
    kind: str           # 'function', 'class' or 'method'
    lineno: int         # line of the def/class in the reference module


def reference_modules(directory: Path = TUTORIALS_DIR) -> Dict[str, Path]:
    """tutorial id -> reference module path (every spec/tutorials/<id>.py but __init__)."""
    return {p.stem: p for p in sorted(Path(directory).glob("*.py")) if not p.name.startswith("_")}


def _todo(name: str) -> str:
    return f'raise NotImplementedError("TODO: write {name}")'


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If):
        return False
    t = node.test
    return (isinstance(t, ast.Compare) and isinstance(t.left, ast.Name) and t.left.id == "__name__"
            and len(t.comparators) == 1 and isinstance(t.comparators[0], ast.Constant)
            and t.comparators[0].value == "__main__")


def _docstring_node(body: List[ast.stmt]) -> Optional[ast.stmt]:
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
            and isinstance(body[0].value.value, str):
        return body[0]
    return None


def _start(node) -> int:
    """First line (1-based) of a def/class including its decorators."""
    return min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])


class _Writer:
    def __init__(self, source: str, tutorial: str):
        self.lines = source.splitlines()
        self.tutorial = tutorial
        self.out: List[str] = []
        self.exercises: List[Exercise] = []

    def copy(self, first: int, last: int) -> None:  # 1-based, inclusive
        self.out.extend(self.lines[first - 1:last])

    def stub_function(self, node, qualname: str, kind: str) -> None:
        self.exercises.append(Exercise(self.tutorial, qualname, kind, node.lineno))
        doc = _docstring_node(node.body)
        first_body = node.body[0]
        indent = " " * first_body.col_offset
        if first_body.lineno == node.lineno or (doc is not None and doc.end_lineno == node.lineno):
            # one-line def (`def f(x): return x`): rebuild the header from the AST
            pad = " " * node.col_offset
            self.copy(_start(node), node.lineno - 1)
            self.out.append(pad + _header_only(node))
            indent = pad + "    "
            if doc is not None:
                self.out.append(indent + repr(doc.value.value))
        elif doc is not None:
            self.copy(_start(node), doc.lineno - 1)
            self.out.extend(without_code_blocks(self.lines[doc.lineno - 1:doc.end_lineno]))
        else:
            self.copy(_start(node), first_body.lineno - 1)
        self.out.append(f"{indent}{_todo(qualname)}")

    def stub_class(self, node: ast.ClassDef) -> None:
        self.exercises.append(Exercise(self.tutorial, node.name, "class", node.lineno))
        doc = _docstring_node(node.body)
        end_head = doc.end_lineno if doc is not None else node.body[0].lineno - 1
        self.copy(_start(node), end_head)
        pos = end_head
        methods = 0
        for child in node.body:
            if child is doc:
                continue
            self.copy(pos + 1, _start(child) - 1)  # blank lines and comments between members
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.stub_function(child, f"{node.name}.{child.name}", "method")
                methods += 1
            else:
                self.copy(_start(child), child.end_lineno)
            pos = child.end_lineno
        if methods == 0 and all(c is doc for c in node.body):
            self.out.append(" " * (node.col_offset + 4) + "pass")


CODE_NOTE = "(the tutorial shows its code here: read it there, or see `--hint` twice / `--show`)"


def without_code_blocks(lines: List[str]) -> List[str]:
    """A docstring's lines without its indented code blocks (the answer): the tutorial's words and the
    contract stay; each block becomes one line saying where the code is."""
    body = [ln for ln in lines[1:] if ln.strip()]
    base = min((len(ln) - len(ln.lstrip()) for ln in body), default=0)
    out: List[str] = []
    in_block = False
    for i, ln in enumerate(lines):
        deeper = i > 0 and ln.strip() and len(ln) - len(ln.lstrip()) > base \
            and (in_block or (out and not out[-1].strip()))
        if deeper:
            if not in_block:
                out.append(" " * base + CODE_NOTE)
            in_block = True
            continue
        if in_block and not ln.strip():
            continue
        if in_block:
            out.append("")
        in_block = False
        out.append(ln)
    return out


def _header_only(node) -> str:
    """`def name(args) -> ret:` of a function node, from the AST (for one-line defs)."""
    copy = ast.FunctionDef(name=node.name, args=node.args, body=[ast.Pass()], decorator_list=[],
                           returns=node.returns, type_comment=None)
    if hasattr(node, "type_params"):
        copy.type_params = node.type_params
    text = ast.unparse(ast.fix_missing_locations(copy))
    prefix = "async " if isinstance(node, ast.AsyncFunctionDef) else ""
    return prefix + text.splitlines()[0]


def stub_source(source: str, tutorial: str) -> Tuple[str, List[Exercise]]:
    """The learner's version of one reference module, and the exercises in it (in file order)."""
    tree = ast.parse(source)
    w = _Writer(source, tutorial)
    pos = 0
    for node in tree.body:
        start = _start(node)
        if _is_main_guard(node):
            w.copy(pos + 1, start - 1)
            pos = node.end_lineno
            continue
        w.copy(pos + 1, start - 1)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            w.stub_function(node, node.name, "function")
        elif isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            w.stub_class(node)
        else:
            w.copy(start, node.end_lineno)
        pos = node.end_lineno
    w.copy(pos + 1, len(w.lines))
    text = "\n".join(w.out).rstrip() + "\n"
    ast.parse(text)  # the stub must stay valid Python
    return text, w.exercises


def exercises(directory: Path = TUTORIALS_DIR) -> List[Exercise]:
    """Every exercise of every reference module, tutorial by tutorial, in file order."""
    found: List[Exercise] = []
    for tutorial, path in reference_modules(directory).items():
        found.extend(stub_source(path.read_text(encoding="utf-8"), tutorial)[1])
    return found


def stub_of(tutorial: str, name: str, directory: Path = TUTORIALS_DIR) -> str:
    """The stub text of one top-level exercise (for a learner whose workspace predates it)."""
    path = reference_modules(directory)[tutorial]
    source = path.read_text(encoding="utf-8")
    text, _ = stub_source(source, tutorial)
    tree = ast.parse(text)
    for node in tree.body:
        if getattr(node, "name", None) == name:
            return "\n".join(text.splitlines()[_start(node) - 1:node.end_lineno]) + "\n"
    raise KeyError(f"{tutorial}.{name}: no such function or class in {path}")


HEADER = '''\
# Your exercises for the tutorial "{title}" ({seeds}).
# Write the body of every function and class below: replace each
#     raise NotImplementedError("TODO ...")
# with the code the tutorial's text shows, then run:   python -m spec learn {workspace}
# Each docstring quotes the tutorial and says what to take and return. Written by
# `python -m spec learn --init`; nothing rewrites this file after that: it is yours.
'''


def new_workspace(target: Path) -> Path:
    """`target` as a new empty directory: --init never writes into a directory that holds anything."""
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise FileExistsError(f"{target} is not an empty directory: --init never overwrites a "
                              f"workspace (choose a new directory, or keep working in this one)")
    target.mkdir(parents=True, exist_ok=True)
    return target


def write_workspace(target: Path, titles: Dict[str, Tuple[str, Tuple[str, ...]]],
                    directory: Path = TUTORIALS_DIR) -> List[Path]:
    """Write one stub module per reference module into `target` (which must be empty or absent)."""
    target = new_workspace(Path(target))
    written = []
    for tutorial, path in reference_modules(directory).items():
        text, _ = stub_source(path.read_text(encoding="utf-8"), tutorial)
        title, seeds = titles.get(tutorial, (tutorial, ()))
        head = HEADER.format(title=title, seeds=", ".join(seeds) or "no seed listed",
                             workspace=target, tutorial=tutorial)
        out = target / f"{tutorial}.py"
        out.write_text(head + "\n" + text, encoding="utf-8")
        written.append(out)
    return written
