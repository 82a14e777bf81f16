"""python -m spec [PYTEST OPTIONS]      check every claim on every available device; print what is
                                      not a plain "holds" (-v: every claim)
python -m spec show CLAIM             one claim whole, and its status here (runs its tests)
python -m spec learn  ...             walk the claims in tutorial order, first failure only
python -m spec bench  ...             run the speed/memory benchmarks serially and print the ratios
python -m spec matrix ...             run the suite on several torch versions and merge the reports
python -m spec lint [--seeds DIR] [--catalog DIR]   catalog lint: every claim tested, every test a known
                                      claim, every quote in its seed
python -m spec replay [TUTORIAL...]   run the seeds' code cells as printed, one verdict per cell

Any pytest option passes through: -k, -m, -x, -n auto, --devices cpu,cuda, --tb=short,
--claims-report out.json, --claims-table=all, --seeds DIR ...  (`pytest --help`, group "torch-spec").
"""
from __future__ import annotations

import difflib
import importlib
import os
import re
import sys
from pathlib import Path
from typing import List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
SUBCOMMANDS = {"show": "spec.show", "learn": "spec.learn", "bench": "spec.bench", "matrix": "spec.matrix",
               "lint": "spec.lint", "replay": "spec.replay.cli"}
PROG = "python -m spec"
USAGE_ERROR = 4  # pytest's exit code for a usage error


def project_root() -> Path:
    if not (ROOT / "tests" / "claims").is_dir() or not (ROOT / "pytest.ini").is_file():
        sys.exit(f"torch-spec: the tests are not next to the package ({ROOT}); "
                 f"install from a clone with `pip install -e .`")
    return ROOT


def pytest_args(paths: List[str], extra: List[str]) -> List[str]:
    """Arguments that run the given test paths of this project from any working directory."""
    root = project_root()
    quiet = [] if any(a.startswith("-v") or a.startswith("-q") for a in extra) else ["-q"]
    return ["-c", str(root / "pytest.ini"), "--rootdir", str(root),
            *[str(root / p) for p in paths], *quiet, *extra]


class _Prog:
    """pytest's usage errors name the command the user typed."""

    def pytest_addoption(self, parser):
        parser.prog = PROG


def _has(extra: List[str], *options: str) -> bool:
    return any(a == o or a.startswith(o + "=") or (len(o) == 2 and a.startswith(o)) for a in extra for o in options)


def output_options(extra: List[str]) -> Tuple[List[str], bool]:
    """(pytest arguments, whether spec.console prints the progress): -v means every claim (-vv adds
    pytest's verbose lines); by default only what is not a plain "holds", and no pytest progress,
    tracebacks or short summary (BROKEN claims show their failure; `show CLAIM` shows it whole)."""
    verbose = sum(len(a) - 1 for a in extra if re.fullmatch(r"-v+", a)) + extra.count("--verbose")
    args = [a for a in extra if not re.fullmatch(r"-v+", a) and a != "--verbose"]
    if not _has(args, "--claims-table"):
        args.append("--claims-table=all" if verbose else "--claims-table=changes")
    if verbose > 1:
        return ["-" + "v" * (verbose - 1), *args], False
    defaults = ["-qq", "-o", "console_output_style=classic"]
    defaults += [] if _has(args, "--tb") else ["--tb=no"]
    defaults += [] if _has(args, "-r") else ["-rN"]
    return [*defaults, *args], True


def run_claims(extra: List[str]) -> int:
    """Every claim: tests/claims, and tests/benchmarks run once untimed (memory claims are decided,
    speed claims read 'unchecked: timing disabled'; `python -m spec bench` times them)."""
    import importlib.util

    import pytest
    untimed = ["--benchmark-disable"] if importlib.util.find_spec("pytest_benchmark") else []
    args, console = output_options(extra)
    plugins: list = [_Prog()]
    if console:
        from spec.console import Console
        plugins.append(Console())
    return int(pytest.main(pytest_args(["tests/claims", "tests/benchmarks"], [*untimed, *args]), plugins=plugins))


def unknown_command(word: str) -> Optional[str]:
    """The one-line error for a first argument that is neither a command, an option nor a path."""
    if word.startswith("-") or word in SUBCOMMANDS or Path(word.split("::")[0]).exists():
        return None
    close = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.5)
    guess = f" (did you mean {close[0]}?)" if close else ""
    return (f"{PROG}: unknown command '{word}'{guess}; commands: {', '.join(SUBCOMMANDS)}; "
            f"anything else is a pytest option or test path (`{PROG} --help`)")


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    if argv and argv[0] in SUBCOMMANDS:
        module = importlib.import_module(SUBCOMMANDS[argv[0]])
        return int(module.main(argv[1:]) or 0)
    problem = unknown_command(argv[0]) if argv else None
    if problem:
        print(problem, file=sys.stderr)
        return USAGE_ERROR
    return run_claims(argv)


def cli() -> None:
    """The command line (`python -m spec`, the `torch-spec` script): main(), then a quick exit. The
    interpreter's own teardown would free torch's, pytest's and every test's objects one by one (about
    1 s after a full run) only to end the process: as at a normal exit, other threads are waited for,
    the atexit handlers run and the streams are flushed, then the process ends. (main() itself returns normally: the tests call it in-process.)"""
    try:
        code = main()
    except BrokenPipeError:  # output piped into `head` and closed early
        code = 1
    import atexit
    import threading
    for thread in threading.enumerate():  # as at a normal exit: non-daemon threads are waited for
        if thread is not threading.main_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass
    os._exit(code)


if __name__ == "__main__":
    cli()
