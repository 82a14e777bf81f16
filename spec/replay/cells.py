"""The catalog's cells files: spec/claims/cells/<tutorial>.toml (CONTRIBUTING.md, "Cells files").

They relate a tutorial's code cells (as extracted from its seeds) to the catalog: which claims explain a
cell that does not run or print as printed, and what the cell needs. Cells without an entry are run and
compared as they are. The claims catalog itself (spec/claims/*.toml, prose) does not read this folder.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from spec.catalog import CLAIMS_DIR, Catalog
from spec.replay.compare import CELL_RULES

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

CELLS_DIR = CLAIMS_DIR / "cells"
NEEDS = ("cuda", "torchvision", "data", "network")
KEYS = {"cell", "first", "fragment", "setup", "needs", "explains", "got", "rules", "claims", "note"}
MAGIC_INLINE = "%matplotlib inline"


class CellsError(ValueError):
    """A malformed cells file; the message names the file and the entry."""


Pattern = Union[str, float]  # a regex, or a numeric tolerance


@dataclass(frozen=True)
class CellEntry:
    cell: int
    first: str
    fragment: bool = False
    setup: str = ""
    needs: Optional[str] = None
    explains: Tuple[str, ...] = ()
    got: Dict[str, Pattern] = field(default_factory=dict)
    rules: Tuple[str, ...] = ()
    claims: Tuple[str, ...] = ()
    note: str = ""


def _entry(path: Path, raw: dict, n: int) -> CellEntry:
    where = f"{path.name}: [[cell]] #{n + 1}"
    unknown = sorted(set(raw) - KEYS)
    if unknown:
        raise CellsError(f"{where}: unknown field(s) {', '.join(unknown)} (allowed: {', '.join(sorted(KEYS))})")
    if not isinstance(raw.get("cell"), int) or not isinstance(raw.get("first"), str):
        raise CellsError(f"{where}: needs 'cell' (an index) and 'first' (its first line)")
    where += f" (cell {raw['cell']})"
    if raw.get("needs") is not None and raw["needs"] not in NEEDS:
        raise CellsError(f"{where}: needs = {raw['needs']!r}; one of {', '.join(NEEDS)}")
    rules = tuple(raw.get("rules", ()))
    if any(r not in CELL_RULES for r in rules):
        raise CellsError(f"{where}: rules {list(rules)}; known: {', '.join(CELL_RULES)}")
    got: Dict[str, Pattern] = {}
    for cid, pattern in dict(raw.get("got", {})).items():
        if isinstance(pattern, dict) and set(pattern) == {"within"}:
            got[cid] = float(pattern["within"])
        elif isinstance(pattern, str):
            try:
                re.compile(pattern)
            except re.error as exc:
                raise CellsError(f"{where}: got[{cid!r}] is not a regular expression: {exc}") from None
            got[cid] = pattern
        else:
            raise CellsError(f"{where}: got[{cid!r}] must be a regex or {{ within = <tolerance> }}")
    explains = tuple(raw.get("explains", ()))
    if set(got) != set(explains):
        raise CellsError(f"{where}: 'got' must give one pattern for each claim in 'explains' "
                         f"(explains {list(explains)}, got {sorted(got)})")
    return CellEntry(cell=raw["cell"], first=raw["first"], fragment=bool(raw.get("fragment", False)),
                     setup=raw.get("setup", ""), needs=raw.get("needs"), explains=explains, got=got,
                     rules=rules, claims=tuple(raw.get("claims", ())), note=raw.get("note", ""))


def load_cells(tutorial_id: str, directory: Path = CELLS_DIR) -> Dict[int, CellEntry]:
    path = Path(directory) / f"{tutorial_id}.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise CellsError(f"{path.name}: not valid TOML: {exc}") from None
    if data.get("tutorial") != tutorial_id or set(data) - {"tutorial", "cell"}:
        raise CellsError(f"{path.name}: expected tutorial = {tutorial_id!r} and [[cell]] tables only")
    entries: Dict[int, CellEntry] = {}
    for n, raw in enumerate(data.get("cell", [])):
        entry = _entry(path, raw, n)
        if entry.cell in entries:
            raise CellsError(f"{path.name}: cell {entry.cell} has two entries")
        entries[entry.cell] = entry
    return entries


def transform(source: str, entry: Optional[CellEntry]) -> str:
    """The code the replay runs for a printed cell: `%matplotlib inline` (an IPython magic; the
    replay's matplotlib backend is Agg) removed, and for a fragment -- an excerpt of a larger script --
    the lines `...` (elided code) dropped and up to k leading spaces removed from every line, k being the
    indentation of its first indented line (the indentation of the script it came from)."""
    lines = [ln for ln in source.splitlines() if ln.strip() != MAGIC_INLINE]
    if entry is not None and entry.fragment:
        lines = [ln for ln in lines if ln.strip() != "..."]
        k = next((len(ln) - len(ln.lstrip(" ")) for ln in lines if ln.strip() and ln.startswith(" ")), 0)
        lines = [ln[min(k, len(ln) - len(ln.lstrip(" "))):] for ln in lines]
    return "\n".join(lines) + "\n"


def lint(catalog: Catalog, seeds_dir: Path, directory: Path = CELLS_DIR) -> List[str]:
    """Every entry names a cell of the seed (index and first line), known claims (an explaining claim
    must be an erratum or version-ranged), and every cell has a verdict path: it compiles as the replay
    runs it, or an entry explains why not."""
    from spec.replay.extract import tutorial_cells
    problems: List[str] = []
    known = {p.stem for p in Path(directory).glob("*.toml")}
    for stray in sorted(known - {t.id for t in catalog.tutorials}):
        problems.append(f"cells/{stray}.toml: no tutorial '{stray}' in the catalog")
    for t in catalog.tutorials:
        try:
            entries = load_cells(t.id, directory)
        except CellsError as exc:
            problems.append(str(exc))
            continue
        cells = tutorial_cells(seeds_dir, t.seeds)
        for entry in entries.values():
            where = f"cells/{t.id}.toml: cell {entry.cell}"
            if entry.cell >= len(cells):
                problems.append(f"{where}: the seeds have {len(cells)} cells")
                continue
            if cells[entry.cell].first_line != entry.first.strip():
                problems.append(f"{where}: first line is {cells[entry.cell].first_line!r}, not {entry.first!r}")
            for cid in entry.explains + entry.claims:
                claim = catalog.claims.get(cid)
                if claim is None:
                    problems.append(f"{where}: unknown claim {cid}")
                elif cid in entry.explains and not (claim.erratum or claim.holds is not None):
                    problems.append(f"{where}: {cid} explains nothing (neither erratum nor version-ranged)")
        for cell in cells:
            entry = entries.get(cell.index)
            try:
                compile(transform(cell.source, entry), f"<{t.id} cell {cell.index}>", "exec")
            except SyntaxError as exc:
                if entry is None or not entry.explains:
                    problems.append(f"{t.id} cell {cell.index} ({cell.first_line!r}): does not compile "
                                    f"({type(exc).__name__}: {exc.msg}) and no claim explains it")
    return problems
