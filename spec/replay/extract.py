"""The code cells of a seed and the output the seed prints for each, in the seed's order.

Three formats occur (seed 001 has no code):
- Markdown fences with output as trailing ``# ...`` comments (seed 000): a fence's trailing comment
  lines, after its last code line, are its printed output when the block calls print();
- a notebook export (seed 002): a ```python fence, then its output as a block indented by 4 spaces
  (stream text and the last expression's value, separated by blank lines; ``![png]`` images skipped).
  A cell with no output block printed nothing (its output must be empty);
- ``In [n]:`` cells (seed 003): each ``In [n]:`` line is followed by a bare ``` fence; ``Out[n]:``
  lines carry no text, so the printed output is unknown (None: not compared).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Tuple

FENCE_RE = re.compile(r"^(?P<indent>[ \t]*)```(?P<lang>[A-Za-z0-9_+-]*)[ \t]*$")
HEADING_RE = re.compile(r"^(#{1,6})\s+(?P<title>\S.*?)\s*$")
IN_RE = re.compile(r"^In \[\d+\]:\s*$")
PYTHON = ("python", "py", "python3", "ipython")


@dataclass(frozen=True)
class Cell:
    index: int              # position among the tutorial's code cells, 0-based
    seed: str               # seed file name
    line: int               # 1-based line of the opening fence in the seed
    section: str            # nearest heading above it ('' when none)
    source: str             # the code as printed (fence indentation removed)
    printed: Optional[str]  # the printed output; None when the seed does not show it
    fmt: str                # 'markdown' | 'notebook' | 'in-out'

    @property
    def first_line(self) -> str:
        return next((ln.strip() for ln in self.source.splitlines() if ln.strip()), "")


def _fences(lines: List[str]) -> List[Tuple[int, int, str, str]]:
    """(open line index, close line index, language, indentation) of every fenced block."""
    out, i = [], 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if m:
            indent = m.group("indent")
            j = i + 1
            while j < len(lines) and lines[j].strip() != "```":
                j += 1
            out.append((i, j, m.group("lang").lower(), indent))
            i = j + 1
        else:
            i += 1
    return out


def _strip_indent(body: List[str], indent: str) -> str:
    return "\n".join(ln[len(indent):] if ln.startswith(indent) else ln.lstrip() for ln in body)


def detect_format(text: str) -> str:
    if any(IN_RE.match(ln) for ln in text.splitlines()):
        return "in-out"
    if re.search(r"^```python\s*\n(?:.*\n)*?```\s*\n\s*\n\s*\n?    \S", text, re.M) and "layout: post" in text:
        return "notebook"
    return "markdown"


def _trailing_comments(source: str) -> Tuple[str, Optional[str]]:
    """Split a Markdown block into code and its `# output` comments (seed 000's convention)."""
    lines = source.rstrip("\n").splitlines()
    k = len(lines)
    while k > 0 and (not lines[k - 1].strip() or lines[k - 1].lstrip().startswith("#")):
        k -= 1
    tail = [ln for ln in lines[k:] if ln.strip()]
    if not tail or "print(" not in "\n".join(lines[:k]):
        return source, None
    printed = "\n".join(ln.strip()[1:].lstrip() if ln.strip() != "#" else "" for ln in tail)
    return "\n".join(lines[:k]).rstrip() + "\n", printed


def _notebook_output(lines: List[str], start: int) -> str:
    """The 4-space-indented output block after a fence closing at start - 1 ('' when none)."""
    out, i = [], start
    while i < len(lines) and (not lines[i].strip() or lines[i].startswith("    ")):
        out.append(lines[i][4:] if lines[i].startswith("    ") else "")
        i += 1
    # a fence right after blank lines is the next cell, not output
    return "\n".join(out).strip("\n")


def extract(seed: Path, first_index: int = 0) -> List[Cell]:
    text = Path(seed).read_text(encoding="utf-8")
    fmt = detect_format(text)
    lines = text.splitlines()
    headings = [(i, m.group("title")) for i, ln in enumerate(lines) if (m := HEADING_RE.match(ln))
                and not _inside_fence(lines, i)]
    cells: List[Cell] = []
    for open_i, close_i, lang, indent in _fences(lines):
        if fmt == "in-out":
            prev = next((lines[k] for k in range(open_i - 1, -1, -1) if lines[k].strip()), "")
            if not IN_RE.match(prev):
                continue
        elif lang not in PYTHON:
            continue
        source = _strip_indent(lines[open_i + 1:close_i], indent).strip("\n") + "\n"
        if not source.strip():
            continue
        printed: Optional[str] = None
        if fmt == "markdown":
            source, printed = _trailing_comments(source)
        elif fmt == "notebook":
            printed = _notebook_output(lines, close_i + 1)
        section = next((t for i, t in reversed(headings) if i < open_i), "")
        if fmt == "in-out":  # no headings: the cell's own label
            section = next(lines[k].strip().rstrip(":") for k in range(open_i - 1, -1, -1) if lines[k].strip())
        cells.append(Cell(index=first_index + len(cells), seed=Path(seed).name, line=open_i + 1,
                          section=section, source=source, printed=printed, fmt=fmt))
    return cells


def _inside_fence(lines: List[str], i: int) -> bool:
    return sum(1 for ln in lines[:i] if ln.strip().startswith("```")) % 2 == 1


def non_python_blocks(seed: Path) -> int:
    """Fenced blocks of a Markdown seed that are not Python (e.g. a formula): not cells."""
    text = Path(seed).read_text(encoding="utf-8")
    if detect_format(text) == "in-out":
        return 0
    return sum(1 for _, _, lang, _ in _fences(text.splitlines()) if lang not in PYTHON)


def tutorial_cells(seeds_dir: Path, seed_names) -> List[Cell]:
    cells: List[Cell] = []
    for name in seed_names:
        cells += extract(Path(seeds_dir) / name, first_index=len(cells))
    return cells
