"""Running the suite in one version's venv (tests/claims + tests/benchmarks, untimed, with the JSON
claims report), and the matrix run: for each version, its venv (built or cached), then its suite."""
from __future__ import annotations

import os
import re
import time
from pathlib import Path
from typing import Callable, List, Optional, Sequence

from spec.matrix.envs import InstallError, Installer, cache_lock, ensure_venv, venv_python
from spec.matrix.markdown import verdict
from spec.matrix.reports import Column, column_from_report, load_report
from spec.matrix.stream import Echo, log_lines, stream

_PYTEST_SHOWN = re.compile(r"(\[\s*\d+%\]\s*$)|(^(FAILED|ERROR|torch-spec:|=+ .* =+$))|(^\d+ (passed|failed))")


def pytest_line(line: str) -> Optional[str]:
    m = _PYTEST_SHOWN.search(line)
    if not m:
        return None
    if m.group(1):
        return m.group(1).strip()  # just the percentage: the dots are in the log
    return line[:200]


def suite_command(python: Path, root: Path, report: Path, extra: Sequence[str]) -> List[str]:
    paths = [str(root / "tests" / "claims")]
    bench = root / "tests" / "benchmarks"
    if any(bench.glob("test_*.py")):
        paths.append(str(bench))
        extra = ["--benchmark-disable", *extra]  # smoke mode: timing claims read unchecked
    return [str(python), "-m", "pytest", "-c", str(root / "pytest.ini"), "--rootdir", str(root), *paths,
            "-q", "-p", "no:randomly", "-p", "no:cacheprovider", "--claims-report", str(report), *extra]


def run_suite(venv: Path, root: Path, report: Path, log: Path, extra: Sequence[str], echo: Echo,
              runner: Callable = stream) -> Column:
    python = venv_python(venv)
    if report.exists():
        report.unlink()
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(root)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    env.pop("PYTEST_ADDOPTS", None)
    rc = runner(suite_command(python, root, report, extra), log, echo, pytest_line, env=env, cwd=root,
                what="pytest")
    label = venv.name.split("-")[1]
    if not report.is_file():
        return Column(label=label, problem=f"the suite did not run (pytest exit {rc}): "
                                           f"{last_error(log)}", log=str(log))
    col = column_from_report(load_report(report), source=str(report))
    col.log = str(log)
    return col


def last_error(log: Path) -> str:
    lines = log_lines(log)
    errors = [ln for ln in lines if re.match(r"^(E |ERROR|\w+Error)", ln)]
    return ((errors or lines or [""])[-1])[:300] + f" (log {log})"


def run_versions(versions: Sequence[str], out: Path, python: str, cache: Path, root: Path,
                 extra: Sequence[str] = (), rebuild: bool = False, echo: Echo = print,
                 installer: Optional[Installer] = None, ensure=ensure_venv, run=run_suite,
                 tag: str = "") -> List[Column]:
    """Each version's venv, then its suite; a version that cannot be installed is a column saying why.
    `tag` names the reports of a partial run (boundaries, bisect) apart from the matrix's."""
    columns: List[Column] = []
    for n, version in enumerate(versions, 1):
        echo(f"[{n}/{len(versions)}] torch {version}")
        name = f"torch-{version}{tag}"
        log_install = out / "logs" / f"{name}-install.log"
        started = time.monotonic()
        try:
            with cache_lock(cache, exclusive=True, echo=echo):
                venv = ensure(version, python, cache, root, log_install, echo, rebuild=rebuild,
                              installer=installer)
        except InstallError as exc:
            echo(f"  torch {version}: NOT INSTALLED: {exc}")
            columns.append(Column(label=version, problem=str(exc), log=str(log_install)))
            continue
        ready = time.monotonic()
        echo(f"  torch {version}: running the suite")
        with cache_lock(cache, exclusive=False, echo=echo):
            col = run(venv, root, out / "reports" / f"{name}.json", out / "logs" / f"{name}-pytest.log",
                      extra, echo)
        col.build_s, col.run_s = ready - started, time.monotonic() - ready
        echo(f"  torch {version}: {verdict(col)} (venv {col.build_s:.0f} s, suite {col.run_s:.0f} s)")
        columns.append(col)
    return columns
