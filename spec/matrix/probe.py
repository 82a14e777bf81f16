"""Running a few claims on one torch release, for --boundaries and --bisect: the release's venv
(cached or built, like the matrix's), pytest with `-k` over the claim ids, the claims' statuses."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from spec.matrix.envs import Installer, read_marker, venv_path
from spec.matrix.markdown import table_text
from spec.matrix.reports import Column, claim_status
from spec.matrix.run import run_versions
from spec.matrix.stream import Echo


@dataclass
class Prober:
    out: Path
    python: str
    cache: Path
    root: Path
    installer: Optional[Installer] = None
    extra: Sequence[str] = ()
    echo: Echo = print
    tag: str = "-probe"
    runs: List[Tuple[str, Column]] = field(default_factory=list)
    was_cached: Dict[str, bool] = field(default_factory=dict)
    results: Dict[str, Dict[str, str]] = field(default_factory=dict)   # version -> claim -> status

    def cached(self, version: str) -> bool:
        return bool(read_marker(venv_path(self.cache, version, self.python)))

    def __call__(self, version: str, claim_ids: Sequence[str]) -> Dict[str, str]:
        known = self.results.setdefault(version, {})
        todo = [c for c in claim_ids if c not in known]
        if todo:
            self.was_cached.setdefault(version, self.cached(version))
            (col,) = run_versions([version], self.out, self.python, self.cache, self.root,
                                  extra=["-k", " or ".join(todo), *self.extra], echo=self.echo,
                                  installer=self.installer, tag=self.tag)
            self.runs.append((version, col))
            for claim in todo:
                known[claim] = claim_status(col.report, claim) if col.report else f"not run: {col.problem}"
        return {c: known[c] for c in claim_ids}

    def installs(self) -> List[dict]:
        out = []
        for version, col in self.runs:
            out.append({"version": version, "torch": col.torch if col.report else None,
                        "venv": "cached" if self.was_cached.get(version) else "built",
                        "venv_s": round(col.build_s, 1), "suite_s": round(col.run_s, 1),
                        "problem": col.problem})
        return out

    def installs_table(self) -> List[str]:
        rows = [[i["version"], i["torch"] or "—", i["venv"], f"{i['venv_s']:.0f} s", f"{i['suite_s']:.0f} s",
                 i["problem"]] for i in self.installs()]
        return table_text(["release", "torch", "venv", "venv time", "suite time", "problem"], rows)
