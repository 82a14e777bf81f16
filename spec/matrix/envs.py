"""One virtual environment per torch version, built by uv (or pip), cached and locked.

A venv is `CACHE/torch-VERSION-pyX.Y`: that torch, numpy<2 below torch 2.3, this project editable
with [dev,viz]. uv fills it from its global cache by hard links (UV_CACHE_DIR; same file system as
CACHE), so a second venv with a torch already downloaded costs seconds. A venv counts as cached only
once its marker (written last, after torch imported in it) exists; anything else in its place is the
remains of an interrupted build and is removed. One lock file per cache: a run holds it exclusively
while it builds or checks a venv and shared while it runs a suite, so two matrix runs on one cache
never build the same venv twice or delete one the other is using."""
from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

from packaging.version import Version

from spec.matrix import pipconf
from spec.matrix.releases import torch_releases
from spec.matrix.reports import MatrixError
from spec.matrix.stream import Echo, log_lines, stream

MARKER = ".torch-spec-ready.json"
LOCK = ".torch-spec.lock"
CACHE_ENV = "TORCH_SPEC_VENVS"
DEFAULT_CACHE = Path("~/.cache/torch-spec/venvs")
_SHOWN = re.compile(r"^(Collecting|Downloading|Installing collected|Successfully installed|ERROR:|error:|"
                    r"Resolved \d|Prepared \d|Installed \d|Uninstalled \d| \+ torch=)")


class InstallError(Exception):
    """One torch version's venv could not be built (that column says why; the others run)."""


def numpy_requirement(torch_version: str) -> str:
    """torch built against NumPy 1 (below 2.3) cannot use NumPy 2 ('Numpy is not available')."""
    return "numpy<2" if Version(torch_version) < Version("2.3") else "numpy"


def cache_dir(option: Optional[str] = None) -> Path:
    return Path(option or os.environ.get(CACHE_ENV) or DEFAULT_CACHE).expanduser()


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def python_version(python: str) -> str:
    try:
        out = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise MatrixError(f"--python {python}: cannot run it ({exc})") from None
    return out.stdout.strip()


def requirements_fingerprint(root: Path) -> str:
    """What the venv installs of this project: its dependencies and extras (pyproject.toml)."""
    try:
        import tomllib
    except ImportError:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8")).get("project", {})
    except (OSError, ValueError):
        return ""
    wanted = {"dependencies": project.get("dependencies", []),
              "optional": project.get("optional-dependencies", {})}
    return hashlib.sha256(json.dumps(wanted, sort_keys=True).encode()).hexdigest()[:16]


def _shown(line: str) -> Optional[str]:
    line = line.rstrip()
    if not _SHOWN.match(line):
        return None
    line = line.strip()
    return line if len(line) < 160 else line[:157] + "..."


def find_uv() -> str:
    """The uv executable: the `uv` package's (pip install -e '.[matrix]'), else uv on PATH."""
    try:
        from uv import find_uv_bin
        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        found = shutil.which("uv")
        if found:
            return found
    raise MatrixError("uv is not installed: pip install -e '.[matrix]' (or pass --installer pip)")


@dataclass
class Installer:
    """How venvs are made and filled: 'uv' (default) or 'pip' (the old way, kept for comparison)."""
    kind: str = "uv"
    sources: pipconf.Sources = field(default_factory=pipconf.Sources)
    uv: str = "uv"
    env: Dict[str, str] = field(default_factory=dict)   # e.g. UV_CACHE_DIR / PIP_CACHE_DIR

    def create(self, python: str, venv: Path) -> List[str]:
        if self.kind == "uv":
            return [self.uv, "venv", "--quiet", "--python", python, str(venv)]
        return [python, "-m", "venv", str(venv)]

    def install(self, venv: Path, version: str, root: Path) -> List[str]:
        wanted = [f"torch=={version}", numpy_requirement(version), "-e", f"{root}[dev,viz]"]
        if self.kind == "uv":
            return [self.uv, "pip", "install", "--python", str(venv_python(venv)), *self.sources.uv_args(), *wanted]
        return [str(venv_python(venv)), "-m", "pip", "install", "--progress-bar", "off",
                "--disable-pip-version-check", *wanted]

    python: str = sys.executable
    releases: Callable[[str], List[str]] = torch_releases   # the registry's list, asked only when capped

    def refused(self, version: str) -> str:
        """Why this version will not install, known before trying ('' when nothing says so): a constraint
        that caps torch, or, when the cap excludes it, that there is no such release at all."""
        cap = pipconf.torch_cap(self.sources.constraints, version)
        if not cap:
            return ""
        try:
            found = self.releases(self.python)
        except MatrixError:
            return cap
        if Version(version).base_version not in found:
            return (f"no such release: torch {version} (torch releases for this Python: "
                    f"{found[0]} … {found[-1]})")
        return cap

    def explain(self, log: Path, version: str) -> str:
        """One line, in the terms of the cause, from the installer's log."""
        lines = log_lines(log)
        text = " ".join(lines)
        if re.search(rf"there is no version of torch==\S*{re.escape(version)}|No matching distribution found for "
                     rf"torch=={re.escape(version)}", text):
            return (f"no such release: torch {version} is not on the package indexes "
                    f"({self.sources.describe() if self.kind == 'uv' else 'of pip'}) for this Python")
        if "ResolutionImpossible" in text or "No solution found" in text:
            causes = [ln for ln in lines if ln.startswith(("cause:", "╰─▶", "ERROR: Cannot install"))]
            return f"{self.kind} cannot resolve torch=={version}: {(causes or lines)[-1][:300]}"
        errors = [ln for ln in lines if ln.lower().startswith("error")]
        return f"{self.kind} could not install torch=={version}: {(errors or lines or ['see ' + str(log)])[-1][:300]}"


def make_installer(kind: str, python: str, constraints: Sequence[str] = ()) -> Installer:
    if kind == "pip":
        if constraints:
            raise MatrixError("--constraint is for --installer uv (pip reads its own config)")
        config = pipconf.pip_config(python)
        return Installer("pip", sources=pipconf.Sources(constraints=config.get("constraint", "").split()),
                         python=python)
    return Installer("uv", sources=pipconf.sources(pipconf.pip_config(python), constraints), uv=find_uv(),
                     python=python)


@contextlib.contextmanager
def cache_lock(cache: Path, exclusive: bool, echo: Echo):
    """The cache's one lock: exclusive to build or check a venv, shared to run a suite in one."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / LOCK, "a+") as fh:
        mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fh, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            echo(f"  waiting for another matrix run using {cache} ...")
            fcntl.flock(fh, mode)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def mark_complete(venv: Path, version: str, root: Path, installer: Installer) -> dict:
    """Import torch in the venv and write the marker (atomically): from then on the venv is cached."""
    probe = ("import json, platform, numpy, torch, pytest; print(json.dumps({'torch': torch.__version__, "
             "'numpy': numpy.__version__, 'python': platform.python_version()}))")
    done = subprocess.run([str(venv_python(venv)), "-c", probe], capture_output=True, text=True)
    if done.returncode != 0:
        tail = [ln for ln in done.stderr.strip().splitlines() if ln.strip()]
        raise InstallError(f"torch {version} installed but does not import: {(tail or ['?'])[-1][:300]}")
    info = json.loads(done.stdout.strip().splitlines()[-1])
    info.update(project=str(root), requirements=requirements_fingerprint(root), installer=installer.kind,
                sources=installer.sources.describe(),
                created=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"))
    tmp = venv / (MARKER + ".tmp")
    tmp.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, venv / MARKER)
    return info


def read_marker(venv: Path) -> dict:
    try:
        return json.loads((venv / MARKER).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def venv_path(cache: Path, version: str, python: str) -> Path:
    return cache / f"torch-{version}-py{python_version(python)}"


def ensure_venv(version: str, python: str, cache: Path, root: Path, log: Path, echo: Echo,
                rebuild: bool = False, runner: Callable = stream, installer: Optional[Installer] = None) -> Path:
    """The cached venv for this torch version, building it when absent or incomplete (call it under
    cache_lock(cache, exclusive=True)). A cached venv whose project dependencies (pyproject.toml)
    changed since is updated in place."""
    installer = installer or Installer()
    venv = venv_path(cache, version, python)
    info = read_marker(venv)
    env = {**os.environ, **installer.env}
    run = lambda cmd, what: runner(cmd, log, echo, _shown, env=env, what=what)  # noqa: E731
    if info and not rebuild:
        if Version(info.get("torch", "0")).base_version == Version(version).base_version \
                and venv_python(venv).exists():
            echo(f"  torch {version}: cached venv {venv} (torch {info['torch']}, numpy {info.get('numpy')})")
            if info.get("requirements") == requirements_fingerprint(root) and info.get("project") == str(root):
                return venv
            echo(f"  torch {version}: the project (its path or its dependencies) changed since it was built: "
                 f"updating it")
            if info.get("installer", "pip") == installer.kind:
                if installer.refused(version):
                    raise InstallError(installer.refused(version))
                if run(installer.install(venv, version, root), f"{installer.kind} install") != 0:
                    raise InstallError(installer.explain(log, version))
                mark_complete(venv, version, root, installer)
                return venv
        echo(f"  torch {version}: rebuilding {venv}")
    if venv.exists():
        if not info:
            echo(f"  torch {version}: removing incomplete venv {venv} (an interrupted or failed build)")
        shutil.rmtree(venv)
    refused = installer.refused(version)
    if refused:
        raise InstallError(refused)
    cache.mkdir(parents=True, exist_ok=True)
    echo(f"  torch {version}: building venv {venv} with {installer.kind} ({numpy_requirement(version)})")
    try:
        rc = run(installer.create(python, venv), "venv")
        if rc != 0:
            raise InstallError(f"{installer.kind} could not create a venv with {python} (exit {rc}); see {log}")
        if run(installer.install(venv, version, root), f"{installer.kind} install") != 0:
            raise InstallError(installer.explain(log, version))
        info = mark_complete(venv, version, root, installer)  # the venv counts as cached from here on
    except BaseException:
        shutil.rmtree(venv, ignore_errors=True)
        raise
    echo(f"  torch {version}: venv ready (torch {info['torch']}, numpy {info['numpy']})")
    return venv
