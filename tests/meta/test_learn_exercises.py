"""Every exercise of `python -m spec learn --init`, both directions (as rustlings checks its own):

- the reference code, loaded as a learner's workspace, passes every claim that uses tutorial code;
- the workspace as written by --init (all stubs) fails every such claim, "not written yet";
- each exercise alone left as its stub fails a claim, naming that exercise's TODO line;
- trivially wrong answers (returning the input, returning a constant, skipping zero_grad) fail a
  claim, with a message that names the mistake.

Built against whatever spec/tutorials and tests/claims hold, so new exercises are covered on arrival.
Three in-process pytest sessions over tests/claims (spec.learn.walk.run_walk) do all of it: the reference,
the stubs, then every (exercise, variant) on the tests that call it, in the order the learner's path
meets them (catalog order), stopping at the first failure of each variant: the failure a learner with
that mistake would see first, whatever this machine's timings.
"""
from __future__ import annotations

import ast
import shutil
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from spec.catalog import load_catalog
from spec.learn import walk as learn
from spec.learn.explanations import render
from spec.learn.loader import learner_module, redefine
from spec.learn.stubs import exercises, reference_modules, stub_of, write_workspace

REFS = reference_modules()
UNITS = [e for e in exercises() if e.kind != "method"]  # top-level functions and classes
KINDS = ("stub", "identity", "constant", "no-zero-grad")
MISTAKE = {  # what the failure message must say for each trivially wrong answer
    "identity": "returned its argument",
    "constant": "returned float 0.0",
    "no-zero-grad": "zero_grad",
}


# --- variants of one exercise ------------------------------------------------------------------

def _node(tutorial: str, name: str):
    tree = ast.parse(REFS[tutorial].read_text(encoding="utf-8"))
    return next(n for n in tree.body if getattr(n, "name", None) == name)


def _main_function(node):
    """The function a wrong answer changes: the function itself, or a class's forward/__getitem__."""
    if isinstance(node, ast.ClassDef):
        methods = {m.name: m for m in node.body if isinstance(m, ast.FunctionDef)}
        return methods.get("forward") or methods.get("__getitem__"), True
    return node, False


class _DropZeroGrad(ast.NodeTransformer):
    removed = 0

    def visit_Expr(self, node):
        call = node.value
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) and (
                call.func.attr == "zero_grad" or (call.func.attr == "zero_" and isinstance(
                    call.func.value, ast.Attribute) and call.func.value.attr == "grad")):
            self.removed += 1
            return ast.Pass()
        return node


def variant_source(ex, kind: str) -> Optional[str]:
    """The source of a wrong (or unwritten) version of exercise `ex`, or None where it has none."""
    if kind == "stub":
        return stub_of(ex.tutorial, ex.name)
    node = _node(ex.tutorial, ex.name)
    if kind == "no-zero-grad":
        dropper = _DropZeroGrad()
        node = dropper.visit(node)
        return ast.unparse(ast.fix_missing_locations(node)) if dropper.removed else None
    fn, method = _main_function(node)
    if fn is None:
        return None
    params = [a.arg for a in fn.args.posonlyargs + fn.args.args][1 if method else 0:]
    if kind == "identity":
        body = [s for s in fn.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
        if not params or (len(body) == 1 and isinstance(body[0], ast.Return) and isinstance(
                body[0].value, ast.Name) and body[0].value.id == params[0]):
            return None  # no input, or returning it is the right answer (dmodel_dw)
        fn.body = [ast.Return(ast.Name(params[0], ast.Load()))]
    else:  # constant
        fn.body = [ast.Return(ast.Constant(0.0))]
    return ast.unparse(ast.fix_missing_locations(node))


# --- the harness -------------------------------------------------------------------------------

class Harness:
    """A pytest plugin: runs `plan` [(nodeid, variant or None)] in order (an item may run several
    times), redefining the variant's exercise in the learner's module around each run."""

    def __init__(self, plan: Optional[list], variants_dir: Path, stop_each: bool):
        self.plan, self.dir, self.stop_each = plan, variants_dir, stop_each
        self.i = 0
        self.current = None
        self.done: set = set()
        self.results: List[dict] = []  # one per run: nodeid, variant, outcome, exc, text, duration, calls

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, session, config, items):
        if self.plan is None:  # every test that uses tutorial code
            self.plan = [(it.nodeid, None) for it in items if "tutorial" in it.fixturenames]
        by_id = {it.nodeid: it for it in items}
        items[:] = [by_id[n] for n, _ in self.plan if n in by_id]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item, nextitem):
        from _pytest.runner import runtestprotocol
        self.current = self.plan[self.i]  # before setup: skip marks raise in setup hooks
        self.i += 1
        marker = item.get_closest_marker("claim")
        self.results.append({"nodeid": item.nodeid, "variant": key(self.current[1]), "outcome": None,
                             "exc": None, "text": "", "duration": 0.0, "calls": [],
                             "claim": marker.args[0] if marker and marker.args else None})
        # the same item may run twice in a row: tear it down fully in between
        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        runtestprotocol(item, nextitem=None if nextitem is item else nextitem)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item):
        if self.stop_each and self.current[1] in self.done:
            pytest.skip("variant already caught")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item):
        variant = self.current[1]
        previous = None
        learn._clear_test_caches()  # helpers cache fits per module: same module, new code
        if variant is not None:
            ex, kind = variant
            module = learner_module(item.config, ex.tutorial)
            path = self.dir / f"{ex.tutorial}__{ex.name}__{kind}.py"
            previous = redefine(item.config, module, path.read_text(), str(path))
        try:
            yield
        finally:
            if previous is not None:
                module.__dict__.update(previous)

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        yield
        res = self.results[-1]
        if call.excinfo is not None and res["exc"] is None and call.excinfo.typename != "Skipped":
            res["exc"] = f"{call.excinfo.typename}: {call.excinfo.value}"

    def pytest_runtest_logreport(self, report):
        # after every plugin's makereport: report.learner / learner_calls are there (spec.learner)
        res = self.results[-1]
        if report.when == "call":
            res["duration"] = report.duration
            res["calls"] = getattr(report, "learner_calls", [])
        if report.failed and res["outcome"] != "failed":
            res["outcome"] = "failed"
            res["text"] = "\n".join(render(report.learner)) if hasattr(report, "learner") else \
                report.longreprtext
            if self.current[1] is not None:
                self.done.add(self.current[1])
        elif res["outcome"] is None and report.when == "call":
            res["outcome"] = "xfailed" if hasattr(report, "wasxfail") else report.outcome
        elif res["outcome"] is None and report.skipped:
            res["outcome"] = "skipped"


def run(workspace: Path, plan, variants_dir: Path, stop_each: bool = False) -> Harness:
    import contextlib
    import io

    from spec.__main__ import pytest_args
    harness = Harness(plan, variants_dir, stop_each)
    args = pytest_args(["tests/claims"], [
        "-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:xdist", "-p", "no:benchmark",
        "-p", "no:hypothesispytest", "-p", "no:unraisableexception", "--tb=line", "-qq",
        "-o", "addopts=--strict-markers", "--devices", "cpu", "--learner", str(workspace)])
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
        code = pytest.main(args, plugins=[harness])
    assert code in (0, 1), buf.getvalue()[-3000:]
    return harness


def key(variant) -> Optional[str]:
    return None if variant is None else f"{variant[0].tutorial}.{variant[0].name}:{variant[1]}"


def _inputs_hash() -> str:
    """What the results depend on: tutorial code, claim tests, helpers, the learner machinery, torch."""
    import hashlib

    import torch
    root = Path(learn.__file__).resolve().parent.parent.parent
    files = sorted([*root.glob("spec/tutorials/*.py"), *root.glob("spec/claims/*.toml"),
                    *root.glob("tests/claims/*.py"), *root.glob("tests/helpers/*.py"),
                    *root.glob("spec/learn/*.py"), root / "spec" / "plugin.py",
                    Path(__file__)])
    h = hashlib.sha256(torch.__version__.encode())
    for f in files:
        h.update(str(f.relative_to(root)).encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


@pytest.fixture(scope="module")
def checked(request, tmp_path_factory):
    """All three sessions, once: under xdist the first worker computes them and the others wait and
    read its JSON; pytest's cache keeps them while no input changed (they cost about as much as the
    tutorial claims themselves, so a rerun with nothing changed takes seconds)."""
    import json
    import os

    from filelock import FileLock  # the dev extra (torch >= 2.0 depends on it, 1.13 does not)
    cache = getattr(request.config, "cache", None)
    cache_key = f"torch-spec/learn-exercises/{_inputs_hash()}"
    shared = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        shared = shared.parent
    with FileLock(str(shared / "learn-exercises.lock")):
        out = shared / "learn-exercises.json"
        if not out.is_file():
            found = cache.get(cache_key, None) if cache is not None else None
            if found is None:
                found = _check_all(shared / "learn-exercises")
                if cache is not None:
                    cache.set(cache_key, found)
            out.write_text(json.dumps(found))
        return json.loads(out.read_text())


def _check_all(base: Path) -> dict:
    if base.exists():
        shutil.rmtree(base)
    base.mkdir(parents=True)
    ref_ws, stub_ws = base / "reference", base / "stubs"
    variants = ref_ws  # the variants' files sit in the workspace: their lines are the learner's
    ref_ws.mkdir()
    for tutorial, path in REFS.items():
        shutil.copy(path, ref_ws / path.name)
    write_workspace(stub_ws, {})
    reference = run(ref_ws, None, variants)
    used = [r for r in reference.results if r["calls"]]  # tests that call tutorial code
    stubs = run(stub_ws, [(r["nodeid"], None) for r in used], variants)
    # which tests call which exercise (the reference run's record), in the learner's path order: by
    # claim in catalog order, then as pytest ran them
    path = {cid: i for i, cid in enumerate(load_catalog().claims)}
    calls: Dict[str, List[tuple]] = {}  # "tutorial:Name" -> [(path position, run position, nodeid)]
    for i, r in enumerate(reference.results):
        for called in r["calls"]:
            calls.setdefault(called.split(".")[0], []).append((path.get(r["claim"], len(path)), i, r["nodeid"]))
    plan = []
    for ex in UNITS:
        for kind in KINDS:
            text = variant_source(ex, kind)
            if text is None:
                continue
            (variants / f"{ex.tutorial}__{ex.name}__{kind}.py").write_text(text + "\n")
            tests = sorted(set(calls.get(f"{ex.tutorial}:{ex.name}", [])))
            plan.extend((nodeid, (ex, kind)) for _, _, nodeid in tests)
    wrong = run(ref_ws, plan, variants, stop_each=True)
    return {"reference": reference.results, "stubs": stubs.results, "wrong": wrong.results,
            "calls": calls, "variants": str(variants)}


def test_the_reference_loaded_as_a_workspace_passes_every_claim_using_tutorial_code(checked):
    bad = [(r["nodeid"], r["exc"]) for r in checked["reference"]
           if r["outcome"] not in ("passed", "xfailed", "skipped")]  # skipped: unchecked here
    assert checked["reference"] and bad == []


def test_the_workspace_from_init_fails_every_claim_using_tutorial_code(checked):
    reached = [r for r in checked["stubs"] if r["outcome"] != "skipped"]
    not_failing = [r["nodeid"] for r in reached
                   if not (r["exc"] or "").startswith("NotImplementedError: TODO")]
    assert reached and not_failing == []
    assert [r["nodeid"] for r in reached if r["outcome"] != "failed"] == []  # xfails ("changed") too
    texts = [r["text"] for r in reached]
    assert all(t.startswith("not written yet: TODO in ") for t in texts), texts[:3]


def _first_failure(checked, ex, kind):
    return next((r for r in checked["wrong"] if r["variant"] == key((ex, kind))
                 and r["outcome"] == "failed"), None)


@pytest.mark.parametrize("ex", UNITS, ids=lambda e: f"{e.tutorial}.{e.name}")
def test_each_exercise_left_as_its_stub_fails_a_claim_naming_its_todo(checked, ex):
    assert f"{ex.tutorial}:{ex.name}" in checked["calls"], f"no claim test calls {ex.tutorial}.{ex.name}"
    failure = _first_failure(checked, ex, "stub")
    assert failure is not None, f"leaving {ex.name} unwritten fails no claim"
    path = Path(checked["variants"]) / f"{ex.tutorial}__{ex.name}__stub.py"
    assert failure["text"].startswith(f"not written yet: TODO in {path}:")
    assert f"({ex.name.split('.')[-1]})" in failure["text"] or f"({ex.name}" in failure["text"] \
        or "__init__" in failure["text"] or "forward" in failure["text"]


WRONG = [(ex, kind) for ex in UNITS for kind in ("identity", "constant", "no-zero-grad")
         if variant_source(ex, kind) is not None]


@pytest.mark.parametrize("ex,kind", WRONG, ids=lambda v: getattr(v, "name", v))
def test_a_trivially_wrong_answer_fails_with_a_message_naming_the_mistake(checked, ex, kind):
    failure = _first_failure(checked, ex, kind)
    assert failure is not None, f"the claims accept {ex.tutorial}.{ex.name} with the mistake '{kind}'"
    assert MISTAKE[kind] in failure["text"], failure["text"]
