"""python -m spec learn: teaching by failing tests.

  python -m spec learn --init DIR        write a workspace: the tutorials' code as TODO stubs
  python -m spec learn DIR               walk the claims in catalog order against your code in DIR;
                                         stop at the first claim that fails and explain it
  python -m spec learn DIR --watch       the same, again every time a file in DIR is saved
  python -m spec learn                   walk the claims against the reference code (spec/tutorials)
  options: --hint (show the hint)  --list (the path with ✓ ✗ · marks)  --tutorial ID  --from CLAIM
           --devices cpu,cuda  --stub TUTORIAL[.NAME] (print stubs to paste into an older workspace)

Claims whose tests use tutorial code run against DIR/<tutorial id>.py; claims about torch itself run
as usual. A claim unchecked on this machine (no CUDA, missing optional package) is shown and skipped
over, never counted as passed. Progress is kept in DIR's sibling file DIR.torch-spec-progress.json,
never in your files.
"""
from __future__ import annotations

import argparse
import contextlib
import datetime as _dt
import io
import json
import os
import sys
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

PASS_MARK, FAIL_MARK, TODO_MARK = "✓", "✗", "·"
DONE = ("passed", "changed")  # an erratum's test passes: it is "passed" here, flagged by claim.erratum


# --- running the walk ------------------------------------------------------------------------------

@dataclass
class ClaimResult:
    outcomes: List[Tuple[str, str]] = field(default_factory=list)  # (passed|failed|unchecked|changed, detail)
    explanation: Optional[dict] = None

    @property
    def status(self) -> str:
        kinds = [k for k, _ in self.outcomes]
        if "failed" in kinds:
            return "failed"
        if "passed" in kinds:
            return "passed"
        if "changed" in kinds:
            return "changed"
        return "unchecked"

    def unchecked_reasons(self) -> List[str]:
        return sorted({d for k, d in self.outcomes if k == "unchecked"})


class WalkPlugin:
    """Runs the claims of the path in catalog order and stops at the first failing test."""

    def __init__(self, path_ids: Sequence[str], learner: Optional[str], stop: bool = True):
        self.order = {cid: i for i, cid in enumerate(path_ids)}
        self.learner = learner
        self.stop = stop
        self.results: "OrderedDict[str, ClaimResult]" = OrderedDict()
        self.collected: Dict[str, int] = {}
        self.calls: Dict[str, List[str]] = {}  # nodeid -> learner functions it called

    @staticmethod
    def claim_id(item) -> Optional[str]:
        marker = item.get_closest_marker("claim")
        return marker.args[0] if marker is not None and marker.args else None

    def pytest_collection_modifyitems(self, session, config, items):
        keep = [it for it in items if self.claim_id(it) in self.order]
        keep.sort(key=lambda it: self.order[self.claim_id(it)])  # stable: file order within a claim
        dropped = [it for it in items if self.claim_id(it) not in self.order]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
        items[:] = keep
        for it in keep:
            cid = self.claim_id(it)
            self.collected[cid] = self.collected.get(cid, 0) + 1

    def pytest_runtest_logreport(self, report):
        cid = dict(report.user_properties).get("claim")
        if cid is None:
            return
        result = self.results.setdefault(cid, ClaimResult())
        if getattr(report, "learner_calls", None) is not None:
            self.calls[report.nodeid] = report.learner_calls
        if report.skipped and hasattr(report, "wasxfail"):
            result.outcomes.append(("changed", report.wasxfail))
        elif report.failed:
            result.outcomes.append(("failed", report.nodeid))
            if result.explanation is None:
                result.explanation = getattr(report, "learner", None) or {
                    "error": report.longreprtext.strip()[-1500:], "nodeid": report.nodeid}
        elif report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            for prefix in ("Skipped: ", "unchecked: "):
                reason = reason[len(prefix):] if reason.startswith(prefix) else reason
            result.outcomes.append(("unchecked", reason))
        elif report.passed and report.when == "call":
            result.outcomes.append(("passed", ""))

    @property
    def failed(self) -> bool:
        return any(r.status == "failed" for r in self.results.values())


def _make_explain_hook():
    """In walks without --learner: explanations of failures of the reference code."""
    import pytest

    class _Explain:
        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_makereport(self, item, call):
            outcome = yield
            report = outcome.get_result()
            if report.failed and call.excinfo is not None and not hasattr(report, "learner"):
                from spec.learner import explain
                try:
                    report.learner = explain(item, call, None)
                except Exception:  # never let the explanation hide the failure itself
                    pass
    return _Explain()


def _stopper(walk: WalkPlugin):
    import pytest

    class _Stop:
        @pytest.hookimpl(trylast=True)
        def pytest_runtest_logreport(self, report):
            if walk.stop and report.failed:
                walk.session.shouldstop = "torch-spec learn: first failing claim"

        def pytest_sessionstart(self, session):
            walk.session = session
    return _Stop()


def _clear_test_caches() -> None:
    """Helpers cache fits keyed on the tutorial module (functools.lru_cache); in watch mode every run
    loads a new learner module, so drop the old entries instead of keeping old modules alive."""
    for name, module in list(sys.modules.items()):
        if name.startswith(("tests.helpers", "tests.claims")) and module is not None:
            for obj in list(vars(module).values()):
                if callable(getattr(obj, "cache_clear", None)):
                    obj.cache_clear()


def run_walk(path_ids: Sequence[str], learner: Optional[str], devices: str = "auto",
             stop: bool = True, extra: Sequence[str] = (),
             paths: Sequence[str] = ("tests/claims",)) -> Tuple[WalkPlugin, int, str]:
    """Run the claims `path_ids` (catalog order) in-process; returns (walk, exit code, pytest output).
    `paths`: test paths (relative to the project root, or absolute); `extra`: more pytest options."""
    import pytest

    from spec.__main__ import pytest_args
    walk = WalkPlugin(path_ids, learner, stop)
    args = pytest_args(list(paths), [
        "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:benchmark",
        "-p", "no:hypothesispytest",
        "-p", "no:unraisableexception",  # its gc.collect() x5 at exit costs seconds with torch loaded
        "--tb=short", "-qq", "--no-header", "-o", "addopts=--strict-markers", "--devices", devices,
        *(["--learner", learner] if learner else []), *extra])
    _clear_test_caches()
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        code = pytest.main(args, plugins=[walk, _make_explain_hook(), _stopper(walk)])
    return walk, int(code), buf.getvalue()


# --- the path, the state file ----------------------------------------------------------------------

def bench_claims(directory: Optional[Path] = None) -> set:
    """Speed/memory claims (spec/claims/*.bench.toml): `python -m spec bench` checks them, not learn."""
    from spec.catalog import CLAIMS_DIR, load_tutorial
    return {c.id for p in sorted(Path(directory or CLAIMS_DIR).glob("*.bench.toml"))
            for c in load_tutorial(p).claims}


def path_of(catalog, tutorial: Optional[str], start: Optional[str]) -> List[str]:
    bench = bench_claims(Path(catalog.tutorials[0].path).parent) if catalog.tutorials else set()
    ids = [c.id for c in catalog.claims.values()
           if (tutorial is None or c.tutorial == tutorial) and c.id not in bench]
    if start is not None:
        if start not in ids:
            where = f" of tutorial '{tutorial}'" if tutorial else ""
            raise SystemExit(f"torch-spec learn: --from {start}: no such claim{where} "
                             f"(see `python -m spec learn --list`)")
        ids = ids[ids.index(start):]
    return ids


def state_path(workspace: Path) -> Path:
    """The progress file: beside the workspace, never inside it."""
    workspace = Path(os.path.abspath(workspace))
    return workspace.parent / f"{workspace.name}.torch-spec-progress.json"


def load_state(path: Optional[Path]) -> dict:
    if path is None or not path.is_file():
        return {"passed": {}, "current": None, "runs": 0, "errata_met": []}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"passed": {}, "current": None, "runs": 0, "errata_met": []}


def save_state(path: Optional[Path], state: dict) -> None:
    if path is None:
        return
    state["updated"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --- printing --------------------------------------------------------------------------------------

def _wrap(text: str, indent: str, width: int = 100, subsequent: Optional[str] = None) -> List[str]:
    import textwrap
    return textwrap.wrap(" ".join(text.split()), width=width, initial_indent=indent,
                         subsequent_indent=indent if subsequent is None else subsequent) or [indent]


def progress_line(catalog, path_ids: Sequence[str], walk: WalkPlugin, current: Optional[str]) -> str:
    done = sum(1 for cid in path_ids if cid in walk.results and walk.results[cid].status in DONE)
    unchecked = sum(1 for cid in path_ids if cid in walk.results and walk.results[cid].status == "unchecked")
    where = ""
    if current is not None:
        c = catalog.claims[current]
        where = f" · {catalog.tutorial(c.tutorial).title} › {c.section}"
    extra = f" ({unchecked} unchecked here, not counted)" if unchecked else ""
    return f"{done}/{len(path_ids)} claims{extra}{where}"


def show_failure(catalog, cid: str, result: ClaimResult, hint: bool, learner: Optional[str],
                 write=print) -> None:
    c = catalog.claims[cid]
    t = catalog.tutorial(c.tutorial)
    write(f"{FAIL_MARK} {cid}   ({t.title} › {c.section})")
    write(f"  The tutorial says: “{' '.join(c.quote.split())}”")
    for ln in _wrap(c.says, "  What is true:      ", subsequent=" " * 21):
        write(ln)
    if c.erratum:
        for ln in _wrap(f"Careful, the tutorial is wrong here: {c.erratum}", "  ", subsequent="    "):
            write(ln)
    if c.holds is not None:
        for ln in _wrap(f"(The tutorial's statement holds on torch {c.holds}; otherwise: {c.otherwise})",
                        "  ", subsequent="    "):
            write(ln)
    write("")
    expl = result.explanation or {}
    if "when" in expl:
        from spec.learner import render
        for ln in render(expl, "  "):
            write(ln)
    else:
        for ln in (expl.get("error") or "failed").splitlines()[-20:]:
            write("  " + ln)
    write(f"  ({expl.get('nodeid') or result.outcomes[0][1]})")
    if hint:
        write("")
        write(f"  Hint: {' '.join(c.hint.split())}")
    else:
        there = f" {learner}" if learner else ""
        write(f"  Stuck? python -m spec learn{there} --hint")


def show_unchecked(catalog, walk: WalkPlugin, path_ids, upto: Optional[str], write=print) -> None:
    for cid in path_ids:
        if cid == upto:
            break
        r = walk.results.get(cid)
        if r is not None and r.status == "unchecked":
            write(f"{TODO_MARK} unchecked here, skipped over: {cid} — {'; '.join(r.unchecked_reasons())}")


def show_summary(catalog, path_ids, walk: WalkPlugin, state: dict, write=print) -> None:
    write(f"All {len(path_ids)} claims of the path walked. What you learned:")
    by_tutorial: "OrderedDict[str, List[str]]" = OrderedDict()
    for cid in path_ids:
        by_tutorial.setdefault(catalog.claims[cid].tutorial, []).append(cid)
    for tid, ids in by_tutorial.items():
        t = catalog.tutorial(tid)
        done = [i for i in ids if walk.results.get(i) and walk.results[i].status in DONE]
        sections = list(OrderedDict.fromkeys(catalog.claims[i].section for i in done))
        write(f"  {t.title}: {len(done)}/{len(ids)} claims checked, in {len(sections)} sections:")
        for ln in _wrap(", ".join(sections), "      "):
            write(ln)
    errata = [i for i in path_ids if catalog.claims[i].erratum
              and walk.results.get(i) and walk.results[i].status in DONE]
    changed = [i for i in path_ids if walk.results.get(i) and walk.results[i].status == "changed"]
    if errata or changed:
        write("")
        write("Where the tutorial itself was wrong or outdated (a lesson of its own):")
        for i in errata:
            for ln in _wrap(f"{i}: {catalog.claims[i].erratum}", "  ", subsequent="      "):
                write(ln)
        for i in changed:
            c = catalog.claims[i]
            text = f"{i}: holds only on torch {c.holds}; on this torch: {c.otherwise}"
            for ln in _wrap(text, "  ", subsequent="      "):
                write(ln)
    untested = [i for i in path_ids if i not in walk.results]
    if untested:
        write("")
        write(f"No test ran for {len(untested)} claims of the path (not counted): {', '.join(untested)}")
    unchecked = [i for i in path_ids if walk.results.get(i) and walk.results[i].status == "unchecked"]
    if unchecked:
        write("")
        write(f"Unchecked on this machine (not counted as learned): {len(unchecked)}")
        for i in unchecked:
            write(f"  {TODO_MARK} {i} — {'; '.join(walk.results[i].unchecked_reasons())}")


def show_list(catalog, path_ids, walk: WalkPlugin, write=print) -> None:
    current_tutorial = current_section = None
    for cid in path_ids:
        c = catalog.claims[cid]
        if c.tutorial != current_tutorial:
            current_tutorial, current_section = c.tutorial, None
            write(f"{catalog.tutorial(c.tutorial).title} ({c.tutorial})")
        if c.section != current_section:
            current_section = c.section
            write(f"  {c.section}")
        r = walk.results.get(cid)
        status = r.status if r else None
        mark = {"passed": PASS_MARK, "changed": PASS_MARK, "failed": FAIL_MARK}.get(status, TODO_MARK)
        note = ""
        if status == "unchecked":
            note = f"   (unchecked here: {'; '.join(r.unchecked_reasons())})"
        elif c.erratum and status in DONE:
            note = "   (erratum)"
        elif status == "changed":
            note = "   (changed on this torch)"
        elif status == "failed":
            note = "   ← you are here"
        write(f"    {mark} {cid}{note}")


# --- one learn run ---------------------------------------------------------------------------------

def learn_once(args, catalog, write=print) -> int:
    learner = args.workspace
    path_ids = path_of(catalog, args.tutorial, args.start)
    sp = state_path(Path(learner)) if learner else None
    state = load_state(sp)
    started = time.monotonic()
    # fast feedback: the claim the learner is on first; the whole walk only once it passes
    current = state.get("current")
    if not args.list and current in path_ids:
        walk, code, output = run_walk([current], learner, args.devices, paths=args.paths, extra=args.extra)
        if walk.failed or code in (2, 3, 4):
            return report(args, catalog, path_ids, walk, code, output, state, sp, started, write,
                          partial=True)
    walk, code, output = run_walk(path_ids, learner, args.devices, paths=args.paths, extra=args.extra)
    return report(args, catalog, path_ids, walk, code, output, state, sp, started, write)


def report(args, catalog, path_ids, walk, code, output, state, sp, started, write, partial=False) -> int:
    if code in (3, 4) or (code == 2 and not walk.results):
        write("torch-spec learn: pytest could not run the claims:")
        write(output.strip()[-3000:])
        return 2
    failing = next((cid for cid in path_ids if cid in walk.results
                    and walk.results[cid].status == "failed"), None)
    newly = [cid for cid in path_ids if cid in walk.results and walk.results[cid].status in DONE
             and cid not in state.get("passed", {})]
    now = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    for cid in newly:
        state.setdefault("passed", {})[cid] = now
    if failing is not None:
        # a claim that passed once but fails now is not learned any more
        state.get("passed", {}).pop(failing, None)
    state["current"] = failing
    state["runs"] = state.get("runs", 0) + 1
    state["errata_met"] = sorted(set(state.get("errata_met", [])) | {
        cid for cid in walk.results if catalog.claims[cid].erratum and walk.results[cid].status in DONE})
    if args.workspace:
        state["workspace"] = os.path.abspath(args.workspace)
    save_state(sp, state)
    elapsed = time.monotonic() - started

    if args.list:
        show_list(catalog, path_ids, walk, write)
        write("")
        write(progress_line(catalog, path_ids, walk, failing))
        return 1 if failing else 0
    if newly and not partial:
        shown = newly[-5:]
        if len(newly) > len(shown):
            write(f"{PASS_MARK} {len(newly) - len(shown)} more claims passed")
        for cid in shown:
            write(f"{PASS_MARK} {cid}: {' '.join(catalog.claims[cid].says.split())}")
        write("")
    if failing is not None:
        if not partial:
            show_unchecked(catalog, walk, path_ids, failing, write)
        if partial:
            write(f"(rechecked the claim you are on; {elapsed:.1f} s)")
            write(f"{sum(1 for c in path_ids if c in state.get('passed', {}))}/{len(path_ids)} claims"
                  f" · {catalog.tutorial(catalog.claims[failing].tutorial).title}"
                  f" › {catalog.claims[failing].section}")
        else:
            write(progress_line(catalog, path_ids, walk, failing) + f"   ({elapsed:.1f} s)")
        write("")
        show_failure(catalog, failing, walk.results[failing], args.hint, args.workspace, write)
        return 1
    show_unchecked(catalog, walk, path_ids, None, write)
    write(progress_line(catalog, path_ids, walk, None) + f"   ({elapsed:.1f} s)")
    write("")
    show_summary(catalog, path_ids, walk, state, write)
    return 0


def watch(args, catalog, interval: float = 0.5, write=print, max_runs: Optional[int] = None) -> int:
    """Run, then run again whenever a *.py file in the workspace changes (polling every `interval`
    seconds) until Ctrl-C (or `max_runs` runs, for the tests)."""
    directory = Path(args.workspace)
    runs = 1

    def snapshot():
        return {p: p.stat().st_mtime_ns for p in sorted(directory.glob("*.py"))}

    last = snapshot()
    learn_once(args, catalog, write)
    write("")
    write(f"watching {directory} for saved changes (Ctrl-C to stop)")
    sys.stdout.flush()
    try:
        while True:
            time.sleep(interval)
            now = snapshot()
            if now != last:
                changed = sorted(p.name for p in set(now) | set(last) if now.get(p) != last.get(p))
                last = now
                write("")
                write(f"──── {time.strftime('%H:%M:%S')} · saved: {', '.join(changed)} ────")
                learn_once(args, catalog, write)
                runs += 1
                if max_runs is not None and runs >= max_runs:
                    return 0
                write("")
                write(f"watching {directory} for saved changes (Ctrl-C to stop)")
                sys.stdout.flush()
    except KeyboardInterrupt:
        write("")
        write("stopped watching")
        return 0


# --- command line ----------------------------------------------------------------------------------

def parse(argv: Sequence[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m spec learn", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("workspace", nargs="?", metavar="DIR",
                   help="your workspace (from --init); without it, the reference code is walked")
    p.add_argument("--init", metavar="DIR", help="write a new workspace of TODO stubs into DIR")
    p.add_argument("--hint", action="store_true", help="show the hint of the failing claim")
    p.add_argument("--list", action="store_true", help="show the whole path with ✓ ✗ · marks")
    p.add_argument("--tutorial", metavar="ID", help="walk only this tutorial's claims")
    p.add_argument("--from", dest="start", metavar="CLAIM", help="start the path at this claim")
    p.add_argument("--watch", action="store_true", help="re-run when a file in DIR is saved")
    p.add_argument("--devices", default="auto", help="as for pytest: auto (default), cpu, cpu,cuda")
    p.add_argument("--stub", metavar="TUTORIAL[.NAME]",
                   help="print the stub of one tutorial module (or one function/class of it)")
    args = p.parse_args(list(argv))
    args.paths, args.extra = ["tests/claims"], []  # the test paths walked, more pytest options (meta tests)
    return args


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        return _main(argv)
    except BrokenPipeError:  # `python -m spec learn DIR --list | head`
        sys.stdout = open(os.devnull, "w")
        return 0


def _main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    from spec.catalog import CatalogError, load_catalog
    from spec.stubs import reference_modules, stub_of, stub_source, write_workspace
    try:
        catalog = load_catalog()
    except CatalogError as exc:
        print(f"torch-spec learn: {exc}", file=sys.stderr)
        return 2
    if args.tutorial and args.tutorial not in {t.id for t in catalog.tutorials}:
        print(f"torch-spec learn: --tutorial {args.tutorial}: no such tutorial "
              f"(choose from {', '.join(t.id for t in catalog.tutorials)})", file=sys.stderr)
        return 2
    if args.init:
        titles = {t.id: (t.title, t.seeds) for t in catalog.tutorials}
        try:
            written = write_workspace(Path(args.init), titles)
        except FileExistsError as exc:
            print(f"torch-spec learn: {exc}", file=sys.stderr)
            return 2
        from spec.stubs import exercises
        n = len([e for e in exercises() if e.kind != "method"])
        print(f"wrote {len(written)} files with {n} exercises into {args.init}:")
        for p in written:
            print(f"  {p}")
        print(f"progress will be kept in {state_path(Path(args.init))}")
        print(f"next: python -m spec learn {args.init}   (or add --watch, and edit the files)")
        return 0
    if args.stub:
        tutorial, _, name = args.stub.partition(".")
        refs = reference_modules()
        if tutorial not in refs:
            print(f"torch-spec learn: --stub {args.stub}: no tutorial module '{tutorial}' "
                  f"(choose from {', '.join(refs)})", file=sys.stderr)
            return 2
        try:
            print(stub_of(tutorial, name) if name else
                  stub_source(refs[tutorial].read_text(encoding="utf-8"), tutorial)[0], end="")
        except KeyError as exc:
            print(f"torch-spec learn: {exc.args[0]}", file=sys.stderr)
            return 2
        return 0
    if args.workspace and not Path(args.workspace).is_dir():
        print(f"torch-spec learn: {args.workspace} is not a directory; create a workspace with "
              f"`python -m spec learn --init {args.workspace}`", file=sys.stderr)
        return 2
    if args.watch:
        if not args.workspace:
            print("torch-spec learn: --watch needs your workspace DIR", file=sys.stderr)
            return 2
        return watch(args, catalog)
    if not args.workspace:
        print("(no workspace given: walking the reference code in spec/tutorials; "
              "start your own with `python -m spec learn --init DIR`)")
    return learn_once(args, catalog)


if __name__ == "__main__":
    sys.exit(main())
