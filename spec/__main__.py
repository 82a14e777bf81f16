"""python -m spec [PYTEST OPTIONS]      run every claim on every available device, print the table
python -m spec learn  ...             walk the claims in tutorial order, first failure only
python -m spec bench  ...             run the speed/memory benchmarks serially and print the ratios
python -m spec matrix ...             run the suite on several torch versions and merge the reports
python -m spec lint [--seeds DIR]     catalog lint: every claim tested, every test a known claim, quotes

Any pytest option passes through: -k, -m, -x, -n auto, --devices cpu,cuda,
--claims-report out.json, --seeds DIR ...  (see `pytest --help`, group "torch-spec").
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import List, Optional

ROOT = Path(__file__).resolve().parent.parent
SUBCOMMANDS = {"learn": "spec.learn", "bench": "spec.bench", "matrix": "spec.matrix", "lint": "spec.lint", "replay": "spec.replay.cli"}


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


def run_claims(extra: List[str]) -> int:
    """Every claim: tests/claims, and tests/benchmarks run once untimed (memory claims are decided,
    speed claims read 'unchecked: timing disabled'; `python -m spec bench` times them)."""
    import importlib.util

    import pytest
    untimed = ["--benchmark-disable"] if importlib.util.find_spec("pytest_benchmark") else []
    return int(pytest.main(pytest_args(["tests/claims", "tests/benchmarks"], ["--claims-table", *untimed, *extra])))


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help", "help"):
        print(__doc__)
        return 0
    if argv and argv[0] in SUBCOMMANDS:
        module = importlib.import_module(SUBCOMMANDS[argv[0]])
        return int(module.main(argv[1:]) or 0)
    return run_claims(argv)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        sys.exit(1)
