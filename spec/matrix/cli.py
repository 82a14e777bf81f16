"""python -m spec matrix VERSION... [--out DIR] [--python PY] [--cache DIR] [--rebuild]
  [--installer uv|pip] [--constraint FILE|none] [-- PYTEST ARGS]
python -m spec matrix --from-reports A.json B.json ... [--out DIR]
python -m spec matrix --boundaries [--out DIR] [...]
python -m spec matrix --bisect CLAIM [FROM..TO] [--out DIR] [...]
python -m spec matrix --time-builds VERSION [--out DIR] [...]

Run the claims on several torch versions and merge the results.

For each VERSION (e.g. 1.13.1 2.0.1 2.6.0 2.13.0 2.15.0) uv builds a virtual environment with that
torch (numpy<2 below torch 2.3) and this project editable with [dev,viz], cached in --cache (default
$TORCH_SPEC_VENVS or ~/.cache/torch-spec/venvs; the packages in uv's cache, hard-linked). uv is given
pip's indexes, find-links and constraint files (pip config); --constraint replaces the constraint files
(`none`: no constraint). The suite runs in each with the JSON claims report (DIR/reports/, logs in
DIR/logs/); the reports are merged into DIR/matrix.md and a self-contained DIR/matrix.html.

--from-reports merges existing reports (e.g. one made on a GPU machine, or by CI jobs).
--boundaries checks every `holds` boundary of the catalog on the last release before it and the first
release at it (from `pip index versions torch`); a boundary that does not hold is bisected.
--bisect CLAIM [FROM..TO] finds the first release in the range whose status of CLAIM differs.
Both print what they installed and a table, and write DIR/boundaries.json or DIR/bisect-CLAIM.json.
--time-builds VERSION times building one venv with pip and with uv, cold and cached.

Exit status: 0 when every column is green (every boundary confirmed; the bisection found a change),
1 otherwise, 2 on a usage error (bad argument, unreadable report, report of another schema version).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import List, Optional

from packaging.version import InvalidVersion, Version

from spec.matrix import boundaries as bounds
from spec.matrix import envs
from spec.matrix.bisect import bisect
from spec.matrix.markdown import now, render_markdown, summary_text, table_text
from spec.matrix.page import render_html
from spec.matrix.probe import Prober
from spec.matrix.releases import parse_range, torch_releases, within
from spec.matrix.reports import Matrix, MatrixError, column_from_report, load_report, merge
from spec.matrix.run import run_versions
from spec.matrix.timing import time_builds, times_table


def _parser() -> argparse.ArgumentParser:
    usage, _, description = __doc__.partition("\n\n")
    ap = argparse.ArgumentParser(prog="python -m spec matrix", usage="\n       ".join(usage.splitlines()),
                                 description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("versions", nargs="*", metavar="VERSION", help="torch versions, e.g. 1.13.1 2.0.1 2.6.0")
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--from-reports", nargs="+", metavar="REPORT", default=None,
                      help="merge these JSON claims reports instead of installing anything")
    mode.add_argument("--boundaries", action="store_true", help="check every holds boundary of the catalog")
    mode.add_argument("--bisect", nargs="+", metavar="CLAIM", default=None,
                      help="CLAIM [FROM..TO]: the first release where the claim's status changes")
    mode.add_argument("--time-builds", metavar="VERSION", default=None,
                      help="time building one venv: pip vs uv, cold and cached package cache")
    ap.add_argument("--out", default=".matrix", metavar="DIR",
                    help="where matrix.md, matrix.html, reports/ and logs/ go (default: .matrix)")
    ap.add_argument("--python", default=sys.executable, metavar="PY",
                    help="interpreter the venvs are made from (default: this one)")
    ap.add_argument("--cache", default=None, metavar="DIR",
                    help=f"venv cache (default: ${envs.CACHE_ENV} or {envs.DEFAULT_CACHE})")
    ap.add_argument("--rebuild", action="store_true", help="rebuild the venvs even when cached")
    ap.add_argument("--installer", choices=("uv", "pip"), default="uv", help="what builds the venvs (default uv)")
    ap.add_argument("--constraint", action="append", default=[], metavar="FILE|none",
                    help="constraint files for uv instead of pip's configured ones; `none` for none")
    return ap


def write_outputs(matrix: Matrix, out: Path):
    out.mkdir(parents=True, exist_ok=True)
    md, page = out / "matrix.md", out / "matrix.html"
    md.write_text(render_markdown(matrix), encoding="utf-8")
    page.write_text(render_html(matrix), encoding="utf-8")
    return md, page


def _write_json(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _prober(args, out: Path, root: Path, extra: List[str]) -> Prober:
    installer = envs.make_installer(args.installer, args.python, args.constraint)
    return Prober(out, args.python, envs.cache_dir(args.cache), root, installer=installer, extra=extra)


def run_boundaries(args, out: Path, root: Path, extra: List[str]) -> int:
    from spec.catalog import load_catalog
    claims = [c for c in load_catalog().claims.values() if c.holds]
    releases = torch_releases(args.python)
    print(f"torch releases for this Python: {len(releases)} ({releases[0]} … {releases[-1]})")
    for b in bounds.find_boundaries(claims, releases):
        print(f"  boundary {b.label}: {b.below or '—'} → {b.above or '—'} ({len(b.claims)} claims)"
              + (f"; {b.missing()}" if b.missing() else ""))
    prober = _prober(args, out, root, extra)
    checks = bounds.check(claims, releases, prober, cached=prober.cached)
    rows = [[c.boundary.label, c.boundary.below or "—", c.boundary.above or "—", c.claim,
             " → ".join(f"{c.seen[v]}" for v in c.seen), c.verdict] for c in checks]
    print("\nInstalled:\n" + "\n".join(prober.installs_table()))
    print("\n" + "\n".join(table_text(["boundary", "last before", "first at", "claim", "seen", "verdict"], rows)))
    path = _write_json(out / "boundaries.json", {"created": now(), "releases": releases,
                                                 "installs": prober.installs(),
                                                 "checks": [c.as_dict() for c in checks]})
    bad = [c for c in checks if c.expected != c.seen]
    print(f"\n{len(checks) - len(bad)} of {len(checks)} claim boundaries as the catalog says "
          f"({sum(c.confirmed for c in checks)} confirmed on both sides); wrote {path}")
    return 1 if bad else 0


def run_bisect(args, out: Path, root: Path, extra: List[str]) -> int:
    from spec.catalog import load_catalog
    claim, *rest = args.bisect
    if len(rest) > 1:
        raise MatrixError("--bisect takes CLAIM and at most one range FROM..TO")
    catalog = load_catalog()
    if claim not in catalog.claims:
        raise MatrixError(f"--bisect {claim}: no such claim in the catalog")
    lo, hi = parse_range(rest[0] if rest else None)
    releases = within(torch_releases(args.python), lo, hi)
    if len(releases) < 2:
        raise MatrixError(f"--bisect: fewer than two torch releases in {rest[0] if rest else 'the index'}")
    print(f"bisecting {claim} over {len(releases)} releases ({releases[0]} … {releases[-1]})")
    prober = _prober(args, out, root, extra)
    result = bisect(claim, releases, lambda v: prober(v, [claim])[claim], cached=prober.cached)
    print("\nInstalled:\n" + "\n".join(prober.installs_table()))
    print("\n" + "\n".join(table_text(["release", claim], [[v, s] for v, s in result.probes.items()])))
    holds = catalog.claims[claim].holds
    print(f"\n{claim}: " + (f"first release where the status changes: {result.first} ({result.note})"
                            if result.first else result.note)
          + (f"; the catalog says holds {holds}" if holds else ""))
    path = _write_json(out / f"bisect-{claim}.json", {"created": now(), "installs": prober.installs(),
                                                      **result.as_dict()})
    print(f"wrote {path}")
    return 0 if result.first else 1


def main(argv: Optional[List[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: List[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1:]
    ap = _parser()
    args = ap.parse_args(argv)
    out = Path(args.out)
    installing = args.from_reports is None
    if args.versions and (args.from_reports is not None or args.boundaries or args.bisect or args.time_builds):
        ap.error("torch versions go alone, not with --from-reports, --boundaries, --bisect or --time-builds")
    for v in args.versions + ([args.time_builds] if args.time_builds else []):
        try:
            Version(v)
        except InvalidVersion:
            ap.error(f"{v!r} is not a version number")
    try:
        if installing:
            from spec.__main__ import project_root
            root, out = project_root(), out.resolve()
        if args.boundaries:
            return run_boundaries(args, out, root, extra)
        if args.bisect:
            return run_bisect(args, out, root, extra)
        if args.time_builds:
            results = time_builds(args.time_builds, args.python, envs.cache_dir(args.cache), root, out)
            print("\n" + "\n".join(times_table(results)) + f"\n\nwrote {out / 'build-times.json'}")
            return 1 if any(r["problem"] for r in results) else 0
        if args.from_reports is not None:
            columns = [column_from_report(load_report(p), source=str(p)) for p in args.from_reports]
        else:
            if not args.versions:
                ap.error("name at least one torch version (e.g. 1.13.1 2.0.1 2.6.0 2.13.0), --from-reports, "
                         "--boundaries or --bisect CLAIM")
            installer = envs.make_installer(args.installer, args.python, args.constraint)
            print(f"installer: {installer.kind} ({installer.sources.describe()})")
            columns = run_versions(args.versions, out, args.python, envs.cache_dir(args.cache), root,
                                   extra=extra, rebuild=args.rebuild, installer=installer)
        matrix = merge(columns)
        md, page = write_outputs(matrix, out)
    except MatrixError as exc:
        print(f"torch-spec matrix: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("torch-spec matrix: interrupted (a venv being built was removed; cached ones are kept)",
              file=sys.stderr)
        return 130
    print(summary_text(matrix))
    print(f"\nwrote {md} and {page}")
    return 0 if all(c.ok for c in matrix.columns) else 1
