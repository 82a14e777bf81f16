"""python -m spec show CLAIM: one claim whole (the tutorial's sentence, its section, what is true, the
hint, the torch versions it holds on and what is true otherwise, the erratum, its devices and its
tests) and its status on this machine: its tests are run, as `python -m spec` would run them."""
from __future__ import annotations

import argparse
import contextlib
import difflib
import io
import json
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import List, Optional

PROG = "python -m spec show"
WIDTH = 100


def close_matches(word: str, ids: List[str]) -> List[str]:
    found = [i for i in ids if word in i]
    found += [i for i in difflib.get_close_matches(word, ids, n=5, cutoff=0.6) if i not in found]
    return found[:5]


class _Only:
    """Keeps the tests of one claim."""

    def __init__(self, claim_id: str):
        self.claim_id = claim_id

    def pytest_collection_modifyitems(self, session, config, items):
        keep, drop = [], []
        for item in items:
            marker = item.get_closest_marker("claim")
            (keep if marker is not None and marker.args[:1] == (self.claim_id,) else drop).append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
        items[:] = keep


def run_tests(claim_id: str, files: List[str], devices: str) -> tuple:
    """(the report's entry of the claim or None, pytest's exit code, pytest's output)."""
    import importlib.util

    import pytest

    from spec.__main__ import pytest_args
    untimed = ["--benchmark-disable"] if importlib.util.find_spec("pytest_benchmark") else []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.json"
        args = pytest_args(files, ["-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:xdist", *untimed,
                                   "-qq", "--tb=short", "--devices", devices, "--claims-report", str(out)])
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
            code = int(pytest.main(args, plugins=[_Only(claim_id)]))
        entries = json.loads(out.read_text())["claims"] if out.is_file() else []
    return next((e for e in entries if e["id"] == claim_id), None), code, buf.getvalue()


def _field(name: str, text: str, write) -> None:
    lines = textwrap.wrap(" ".join(str(text).split()), WIDTH - 13) or [""]
    write(f"  {name:<10} {lines[0]}")
    for line in lines[1:]:
        write(f"  {'':<10} {line}")


def show(claim, catalog, where: List[str], devices: str, write=print) -> int:
    import torch
    tutorial = catalog.tutorial(claim.tutorial)
    write(f"{claim.id} — {tutorial.id}: {tutorial.title or tutorial.id} › {claim.section}")
    _field("quote", f"“{claim.quote}”", write)
    _field("says", claim.says, write)
    _field("hint", claim.hint, write)
    if claim.holds is not None:
        inside = "inside" if claim.holds_on(torch.__version__) else "outside"
        _field("holds", f"torch {claim.holds} (this torch, {torch.__version__}, is {inside} the range)", write)
        _field("otherwise", claim.otherwise, write)
    if claim.erratum:
        _field("erratum", claim.erratum, write)
    _field("devices", f"{', '.join(claim.devices)} only" if claim.devices else "every device", write)
    files = sorted({w.rsplit(":", 1)[0] for w in where})
    entry, code, output = run_tests(claim.id, files, devices)
    if entry is None:
        write(f"  {'here':<10} no test ran (pytest exit {code}):")
        for line in output.strip().splitlines()[-15:]:
            write(f"      {line}")
        return 1
    for i, test in enumerate(entry["tests"]):
        write(f"  {'tests' if i == 0 else '':<10} {test}")
    for i, (device, status) in enumerate(entry["status"].items()):
        detail = entry["details"].get(device, "")
        head = f"{device}: {status.upper() if status == 'broken' else status}"
        if status == "broken":
            write(f"  {'here' if i == 0 else '':<10} {head}")
            for line in detail.strip().splitlines():
                write(f"      {line}")
        else:
            short = detail.split(": ", 1)[1] if status == "changed" and ": " in detail else detail
            _field("here" if i == 0 else "", head + (f" — {short}" if short else ""), write)
    return 1 if "broken" in entry["status"].values() else 0


def main(argv: Optional[List[str]] = None) -> int:
    from spec.__main__ import project_root
    from spec.catalog import CatalogError, load_catalog
    from spec.lint import claim_ids_in_tests

    parser = argparse.ArgumentParser(prog=PROG, description=__doc__)
    parser.add_argument("claim", help="a claim id, e.g. optim.zero-grad-zeroes")
    parser.add_argument("--devices", default="auto", help="as for python -m spec (default: auto)")
    args = parser.parse_args(argv)
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        print(f"{PROG}: catalog: {exc}", file=sys.stderr)
        return 2
    claim = catalog.claims.get(args.claim)
    if claim is None:
        close = close_matches(args.claim, list(catalog.claims))
        hint = f"; close matches: {', '.join(close)}" if close else "; `python -m spec -v` lists every claim"
        print(f"{PROG}: unknown claim '{args.claim}'{hint}", file=sys.stderr)
        return 2
    root = project_root()
    where = claim_ids_in_tests([root / "tests" / "claims", root / "tests" / "benchmarks"]).get(claim.id, [])
    return show(claim, catalog, where, args.devices)


if __name__ == "__main__":
    sys.exit(main())
