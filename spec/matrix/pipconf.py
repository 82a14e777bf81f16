"""What pip knows about where packages come from, told to uv (which reads no pip config).

pip's configuration (its files and PIP_* variables, as `pip config list` shows them) may add indexes,
find-links and constraint files. uv is given the same: `--index-url`, `--extra-index-url`,
`--find-links`, `--no-index`, `--constraint`, and `--index-strategy unsafe-best-match`, which is pip's
rule (the best version over all indexes; uv's own default stops at the first index that has the
package, which would take torch from a local mirror holding one release). A constraint that caps
torch is checked here first, so that the version it excludes says why in one line."""
from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version

LIST_KEYS = ("extra-index-url", "find-links", "constraint")
KEYS = ("index-url", "no-index") + LIST_KEYS
NO_CONSTRAINTS = "none"


@dataclass
class Sources:
    """Where packages come from and what constrains them (for uv), with where each setting came from."""
    index_url: Optional[str] = None
    extra_index_urls: List[str] = field(default_factory=list)
    find_links: List[str] = field(default_factory=list)
    no_index: bool = False
    constraints: List[str] = field(default_factory=list)
    lifted: List[str] = field(default_factory=list)   # pip constraint files not applied (--constraint)

    def uv_args(self) -> List[str]:
        args = ["--index-strategy", "unsafe-best-match"]
        if self.index_url:
            args += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            args += ["--extra-index-url", url]
        for link in self.find_links:
            args += ["--find-links", link]
        if self.no_index:
            args.append("--no-index")
        for path in self.constraints:
            args += ["--constraint", path]
        return args

    def describe(self) -> str:
        parts = [f"index {self.index_url or 'PyPI'}"] + [f"+ {u}" for u in self.extra_index_urls]
        parts += [f"find-links {p}" for p in self.find_links]
        parts += [f"constraint {p}" for p in self.constraints]
        parts += [f"pip's constraint {p} not applied (--constraint)" for p in self.lifted]
        return ", ".join(parts)


def parse_config_list(text: str) -> Dict[str, str]:
    """`pip config list` lines (`global.find-links='/opt/wheels'`, `:env:.constraint='...'`) -> the value
    pip uses per key: a PIP_* variable over the `install` section over the `global` one."""
    found: Dict[Tuple[str, str], str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition("=")
        if not sep or "." not in name:
            continue
        section, _, key = name.strip().rpartition(".")
        try:
            value = " ".join(shlex.split(value.strip()))
        except ValueError:
            value = value.strip().strip("'\"")
        found[(section, key)] = value
    out: Dict[str, str] = {}
    for key in KEYS:
        for section in (":env:", "install", "global"):
            if (section, key) in found:
                out[key] = found[(section, key)]
                break
    return out


def pip_command(python: str) -> List[str]:
    """How to run pip for this interpreter: its own pip, else this interpreter's, else the `pip` on PATH
    (a venv made by uv has no pip; pip's config is the machine's and the user's anyway)."""
    for pip in ([python, "-m", "pip"], [sys.executable, "-m", "pip"]):
        try:
            if subprocess.run([*pip, "--version"], capture_output=True, timeout=60).returncode == 0:
                return pip
        except (OSError, subprocess.TimeoutExpired):
            continue
    return [shutil.which("pip") or "pip"]


def pip_config(python: str) -> Dict[str, str]:
    """pip's configuration as pip reads it ({} when no pip runs)."""
    try:
        done = subprocess.run([*pip_command(python), "config", "list"], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return {}
    return parse_config_list(done.stdout) if done.returncode == 0 else {}


def sources(config: Dict[str, str], constraints: Sequence[str] = ()) -> Sources:
    """uv's sources from pip's config; `constraints` (the matrix's --constraint) replaces pip's constraint
    files, and 'none' applies none."""
    src = Sources(index_url=config.get("index-url") or None,
                  extra_index_urls=config.get("extra-index-url", "").split(),
                  find_links=config.get("find-links", "").split(),
                  no_index=config.get("no-index", "").lower() in ("1", "true", "yes", "on"),
                  constraints=config.get("constraint", "").split())
    if constraints:
        src.lifted = [p for p in src.constraints if p not in constraints]
        src.constraints = [p for p in constraints if p != NO_CONSTRAINTS]
    return src


def torch_cap(constraint_files: Sequence[str], version: str) -> str:
    """'' when no constraint excludes torch==version; else the one-line reason."""
    for path in constraint_files:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except OSError:
            continue
        for line in lines:
            text = line.split("#", 1)[0].strip()
            try:
                req = Requirement(text)
            except InvalidRequirement:
                continue
            if req.name.lower() == "torch" and req.specifier and \
                    not req.specifier.contains(Version(version).base_version, prereleases=True):
                return (f"a pip constraint caps torch ({text} in {path}); `--constraint none` (or "
                        f"--constraint FILE) gives uv other constraints for this run")
    return ""
