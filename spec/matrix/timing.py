"""--time-builds VERSION: building one version's venv with pip (today's path) and with uv, each from an
empty package cache (cold) and again with that cache filled (cached), side by side in one run.
The caches are temporary (beside the venv cache, on its file system, so uv can hard-link) and removed."""
from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import List

from spec.matrix.envs import InstallError, Installer, ensure_venv, make_installer
from spec.matrix.markdown import now, table_text
from spec.matrix.stream import Echo

CACHE_VARIABLE = {"pip": "PIP_CACHE_DIR", "uv": "UV_CACHE_DIR"}


def time_builds(version: str, python: str, cache: Path, root: Path, out: Path, echo: Echo = print,
                kinds=("pip", "uv"), ensure=ensure_venv, make=make_installer) -> List[dict]:
    scratch = cache.parent / f".timing-{version}"
    shutil.rmtree(scratch, ignore_errors=True)
    results = []
    try:
        for kind in kinds:
            installer: Installer = make(kind, python)
            installer.env = {CACHE_VARIABLE[kind]: str(scratch / f"{kind}-cache")}
            for phase in ("cold", "cached"):
                venvs = scratch / f"{kind}-venvs"
                shutil.rmtree(venvs, ignore_errors=True)
                echo(f"[{kind} {phase}] torch {version}")
                start = time.monotonic()
                try:
                    ensure(version, python, venvs, root, out / "logs" / f"time-{kind}-{phase}.log", echo,
                           installer=installer)
                    problem = ""
                except InstallError as exc:
                    problem = str(exc)
                results.append({"installer": kind, "cache": phase, "torch": version,
                                "seconds": round(time.monotonic() - start, 1), "problem": problem})
                echo(f"  {kind} {phase}: {results[-1]['seconds']:.1f} s {problem}".rstrip())
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    (out / "build-times.json").write_text(json.dumps({"created": now(), "python": python, "results": results},
                                                     indent=2) + "\n", encoding="utf-8")
    return results


def times_table(results: List[dict]) -> List[str]:
    rows = [[r["installer"], r["cache"], r["torch"], f"{r['seconds']:.1f} s", r["problem"]] for r in results]
    return table_text(["installer", "package cache", "torch", "venv built in", "problem"], rows)
