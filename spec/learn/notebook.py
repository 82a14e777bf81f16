"""Learning in a notebook: `check("make_train_step")` in a cell runs that exercise's claims against the
functions and classes defined in the notebook, and shows the terminal's verdict block.

    from spec.learn.notebook import checker
    check = checker("regression")     # once, at the top (imports torch and the tests: a few seconds)
    ...
    check("data_gen")                 # ✓ lines, or the first ✗ explained; hint=True, show=True
    check.facts()                     # the tutorial's claims about torch itself (no code of yours)
    check()                           # the tutorial's path with ✓ ✗ · marks

How the learner's code is run: the namespace is handed to the learner loader (spec.learn.loader.
PROVIDED, as spec.learn.api does) and the worker (spec.learn.worker) forks the kernel, so the child
holds a copy of the notebook's namespace as it is — nothing is shipped or re-run, the kernel's own
objects are checked — and the child's per-test timer (past it, the kernel killing the child) stops an
endless loop; the kernel itself never runs the checks. Where fork is missing (Windows) the worker runs
in the kernel, without a time limit.
A check never raises: a stub reads "not written yet", the learner's exception is the failure shown.
Progress is the workspace's progress file, shared with `python -m spec learn DIR --list`.
"""
from __future__ import annotations

import html
import os
import re
import sys
import time
import warnings
from pathlib import Path
from types import SimpleNamespace
from typing import Callable, List, Optional

from spec.learn.show import FAIL_MARK, PASS_MARK, TODO_MARK

__all__ = ["checker", "Checker", "Verdict"]

NOT_IN_WORKSPACE = re.compile(r"not in your workspace yet: (\w+)\.(\w+) \(.*")


class Verdict:
    """What a check cell shows: plain text (print, a terminal), HTML in Jupyter/VS Code/Colab."""

    def __init__(self, lines: List[str], status: str):
        self.lines, self.status = list(lines), status  # passed|failed|todo|unchecked|interrupted|list|error

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __str__(self) -> str:
        return "\n".join(self.lines)

    __repr__ = __str__

    def _repr_html_(self) -> str:
        rows = []
        for ln in self.lines:
            text = html.escape(ln)
            s = ln.lstrip()
            style = ""
            if s.startswith(PASS_MARK):
                style = "color:#1b7f3b"
            elif s.startswith(FAIL_MARK):
                style = "color:#c62828;font-weight:bold"
            elif s.startswith(TODO_MARK) or (s.startswith("(") and len(ln) - len(s) <= 4):
                style = "color:#777"
            elif s.startswith(("The tutorial says:", "What is true:")):
                style = "font-weight:bold"
            elif s.startswith(("Hint:", "Stuck?", "Still stuck?")):
                style = "color:#1565c0"
            elif s.startswith("not written yet"):
                style = "color:#b26a00;font-weight:bold"
            rows.append(f'<span style="{style}">{text}</span>' if style else text)
        border = {"passed": "#1b7f3b", "failed": "#c62828", "todo": "#b26a00"}.get(self.status, "#999")
        return (f'<pre style="white-space:pre-wrap;border-left:4px solid {border};padding:6px 10px;'
                f'margin:0;font-family:var(--jp-code-font-family,monospace),monospace;font-size:92%;'
                f'line-height:1.35">' + "\n".join(rows) + "</pre>")


def path_lines(catalog, tutorial: Optional[str], state: dict) -> List[str]:
    """The path (one tutorial's, or all) with ✓ ✗ · marks and the progress line, from the progress
    file: what check() shows, and `python -m spec learn DIR --list` for a notebook workspace."""
    from spec.learn import show as shw
    from spec.learn.lesson import _statuses
    from spec.learn.state import path_of, progress
    from spec.learn.walk import ClaimResult
    path_ids = path_of(catalog, tutorial, None)
    statuses = _statuses(path_ids, {}, state)
    failing = [c for c in state.get("failing", []) + [state.get("current")] if c in path_ids]
    for cid in failing:
        statuses[cid] = ClaimResult([("failed", "")])
    lines: List[str] = []
    shw.show_list(catalog, path_ids, statuses, lines.append)
    lines.append("")
    lines.append(shw.progress_line(catalog, progress(catalog, state, None), statuses, path_ids,
                                   failing[-1] if failing else None))
    return lines


def _code_file(obj) -> Optional[str]:
    """The file (a kernel's cell file) a function or class was defined in."""
    import inspect
    if inspect.isclass(obj):
        return next((v.__code__.co_filename for v in vars(obj).values() if inspect.isfunction(v)), None)
    code = getattr(obj, "__code__", None)
    return code.co_filename if code is not None else None


def cell_dir(namespace: dict, names: List[str]) -> str:
    """Where the notebook's cells live as files (ipykernel: a temp directory; the learner DIR of the
    walk, so that every frame of a cell is "your code"); code without a real file (`<string>`) gets a
    directory that holds nothing, so that no other code is taken for the learner's."""
    import tempfile
    found = os.path.join(tempfile.gettempdir(), "torch-spec-cells-without-files")
    for n in names:
        fname = _code_file(namespace.get(n))
        if fname and os.path.isabs(fname):
            found = os.path.dirname(fname)
            break
    # ipykernel names cell files in a directory it never creates; `--learner DIR` must exist
    os.makedirs(found, exist_ok=True)
    return found


def _notebook_dir() -> Optional[Path]:
    """The directory of the notebook this kernel runs (VS Code and jupyter_server say which)."""
    main = sys.modules.get("__main__")
    for path in (getattr(main, "__vsc_ipynb_file__", None), os.environ.get("JPY_SESSION_NAME")):
        if path and os.path.isfile(path):
            return Path(path).resolve().parent
    return None


def _warm_torch() -> None:
    """The first torch.testing.assert_close() call imports torch.distributed.tensor and sympy (torch
    2.x: seconds): made once here, in the kernel, so that no forked check pays for it again."""
    import torch
    torch.testing.assert_close(torch.zeros(1), torch.zeros(1))


def checker(tutorial: str, workspace=None, timeout: Optional[float] = None,
            devices: str = "auto") -> "Checker":
    """The check function of one tutorial's notebook. `workspace`: the directory whose progress file
    is shared with `python -m spec learn DIR` (default: the notebook's directory, else the working
    directory); `timeout`: seconds per claim (default: the learner's, from the reference's times)."""
    return Checker(tutorial, workspace, timeout, devices)


class Checker:
    def __init__(self, tutorial: str, workspace=None, timeout: Optional[float] = None,
                 devices: str = "auto"):
        from spec.catalog import load_catalog
        self.catalog = load_catalog()
        ids = [t.id for t in self.catalog.tutorials]
        if tutorial not in ids:
            raise ValueError(f"no tutorial '{tutorial}' (choose from {', '.join(ids)})")
        self.tutorial, self.timeout, self.devices = tutorial, timeout, devices
        self._exercises: Optional[List[str]] = None
        self._credited = None
        self.workspace = Path(workspace).resolve() if workspace else (_notebook_dir() or Path.cwd())
        from spec.learn.watcher import warm_up
        warm_up()  # every check forks a warm child: torch, pytest and the tests are imported once here
        _warm_torch()

    # --- the cell ------------------------------------------------------------------------------------

    def __call__(self, name: Optional[str] = None, hint: bool = False, show: bool = False) -> Verdict:
        namespace = sys._getframe(1).f_globals
        try:
            if name is None:
                return self.path()
            return self.check(name, namespace, hint=hint, show=show)
        except KeyboardInterrupt:
            return Verdict([f"interrupted: nothing more was checked or counted"], "interrupted")
        except Exception as exc:  # noqa: BLE001  a check cell never raises
            return Verdict([f"{FAIL_MARK} torch-spec could not run this check: {type(exc).__name__}: {exc}"],
                           "error")

    def exercises(self) -> List[str]:
        if self._exercises is None:
            from spec.learn.stubs import exercises
            self._exercises = [e.name for e in exercises() if e.tutorial == self.tutorial and e.kind != "method"]
        return self._exercises

    def claims_of(self, name: str) -> List[str]:
        """The claims a check of this exercise runs: those credited to it (spec.learn.state.credited)."""
        if self._credited is None:
            from spec.learn.state import credited
            self._credited = credited(self.catalog)
        return self._credited[f"{self.tutorial}:{name}"]

    def uses(self, ids: List[str]) -> List[str]:
        """The tutorial's exercises the tests of these claims call, in the tutorial's order."""
        from spec.learn.testmap import claim_tests
        tests = claim_tests()
        used = {n for c in ids if c in tests for n in (tests[c].direct or tests[c].names)}
        return [n for n in self.exercises() if n in used]

    def _state(self):
        from spec.learn.state import load_state, state_path
        sp = state_path(self.workspace)
        return sp, load_state(sp)

    def check(self, name: str, namespace: dict, hint: bool = False, show: bool = False) -> Verdict:
        from spec.learn import show as shw
        from spec.learn import worker
        from spec.learn.lesson import _hint_level, _statuses, _update
        from spec.learn.state import path_of, progress, save_state
        from spec.learn.testmap import files_for
        if name not in self.exercises():
            return Verdict([f"{FAIL_MARK} no exercise named '{name}' in the tutorial '{self.tutorial}' "
                            f"(choose from {', '.join(self.exercises())})"], "error")
        if name not in namespace:
            return Verdict([f"not written yet: {name} is not defined in this notebook "
                            f"(run the cell with its code, above this check)"], "todo")
        ids = self.claims_of(name)
        missing = [n for n in self.uses(ids) if n not in namespace]
        if missing:
            return Verdict([f"not written yet: the claims about {name} also run "
                            f"{', '.join(missing)}, not defined in this notebook yet (write and run "
                            f"{'its cell' if len(missing) == 1 else 'their cells'}, then check again)"],
                           "todo")
        learner = cell_dir(namespace, [n for n in self.exercises() if n in namespace])
        started = time.monotonic()
        from spec.learn import loader
        loader.PROVIDED[self.tutorial] = namespace  # the worker's child turns it into the module
        try:
            with warnings.catch_warnings():  # Python 3.12+: "multi-threaded, use of fork() may lead
                warnings.simplefilter("ignore", DeprecationWarning)  # to deadlocks": the child runs
                outcome = worker.run(ids, learner, self.devices, paths=files_for(ids, ["tests/claims"]),
                                     timeout=self.timeout)  # only pytest, nothing of the kernel's threads
        finally:
            loader.PROVIDED.pop(self.tutorial, None)
        elapsed = time.monotonic() - started
        results = outcome.results
        lines: List[str] = []
        write = lines.append
        if outcome.code in (3, 4) or (outcome.code == 2 and not results):
            write(f"{FAIL_MARK} pytest could not run the claims:")
            lines.extend(outcome.output.strip()[-3000:].splitlines())
            return Verdict(lines, "error")
        sp, state = self._state()
        failing = next((c for c in ids if c in results and results[c].status == "failed"), None)
        stopped_at = outcome.running if outcome.interrupted_at else None
        was_passed = set(state.get("passed", {}))
        _update(self.catalog, state, results, failing, stopped_at)
        # the claim the learner is on in this notebook (the CLI's "current" is its own walk's)
        state["failing"] = [failing] if failing else [c for c in state.get("failing", []) if c not in results]
        state["runs"] = state.get("runs", 0) + 1
        state["workspace"] = str(self.workspace)
        save_state(sp, state)
        shown = [c for c in ids if c in results and results[c].status in ("passed", "changed")
                 and c != stopped_at]
        shw.show_passed(self.catalog, shown, results, write)
        path_ids = path_of(self.catalog, self.tutorial, None)
        statuses = _statuses(path_ids, results, state)
        counts = progress(self.catalog, state, None)
        if outcome.interrupted_at:
            write(f"interrupted at {outcome.interrupted_at}: nothing after it was checked or counted")
            return Verdict(self._cells(lines, learner), "interrupted")
        shw.show_unchecked(self.catalog, statuses, ids, failing, write)
        write(shw.progress_line(self.catalog, counts, statuses, path_ids, failing) + f"   ({elapsed:.1f} s)")
        if failing is None:
            if not shown:
                return Verdict(self._cells(lines, learner), "unchecked")
            rest = len(ids) - len(shown)
            write(f"{PASS_MARK} {name}: " + ("its claim holds for your code" if len(shown) == 1 else
                                             f"all {len(shown)} of its claims hold for your code")
                  if not rest else
                  f"{PASS_MARK} {name}: {len(shown)} of its {len(ids)} claims hold for your code; "
                  f"{rest} not checked here (above)")
            return Verdict(self._cells(lines, learner), "passed")
        write("")
        if failing in was_passed:
            write(f"This passed before and fails now: your last change broke {failing}.")
        level = _hint_level(SimpleNamespace(hint=hint, show=show), state, failing, sp)
        shw.show_failure(self.catalog, failing, results[failing], hint, learner, write, hint_level=level)
        expl = results[failing].explanation or {}
        status = "todo" if str(expl.get("todo", "")).startswith("not written yet") else "failed"
        return Verdict(self._cells(self._calls(lines, name), learner), status)

    def facts(self) -> Verdict:
        """check.facts(): the tutorial's claims about torch itself (no code of yours runs in them), all
        of them, not stopping at a failure: "facts checked along the way" of the progress line."""
        try:
            return self._facts()
        except KeyboardInterrupt:
            return Verdict(["interrupted: nothing more was checked or counted"], "interrupted")
        except Exception as exc:  # noqa: BLE001  a check cell never raises
            return Verdict([f"{FAIL_MARK} torch-spec could not run this check: {type(exc).__name__}: {exc}"],
                           "error")

    def _facts(self) -> Verdict:
        from spec.learn import facts
        from spec.learn import show as shw
        from spec.learn import worker
        from spec.learn.lesson import _statuses, _update
        from spec.learn.state import path_of, progress, save_state
        from spec.learn.testmap import files_for
        mine = facts.learner_claims(["tests/claims"])
        path_ids = path_of(self.catalog, self.tutorial, None)
        ids = [c for c in path_ids if c not in mine]
        started = time.monotonic()
        outcome = worker.run(ids, None, self.devices, paths=files_for(ids, ["tests/claims"]),
                             timeout=self.timeout, stop=False)
        elapsed = time.monotonic() - started
        sp, state = self._state()
        results = outcome.results
        _update(self.catalog, state, results, None, outcome.running if outcome.interrupted_at else None)
        facts.remember(state, self.devices, results, mine)
        save_state(sp, state)
        lines: List[str] = []
        ok = [c for c in ids if c in results and results[c].status in ("passed", "changed")]
        bad = [c for c in ids if c in results and results[c].status == "failed"]
        shw.show_passed(self.catalog, ok, results, lines.append)
        statuses = _statuses(path_ids, results, state)
        shw.show_unchecked(self.catalog, statuses, ids, None, lines.append)
        if outcome.interrupted_at:
            lines.append(f"interrupted at {outcome.interrupted_at}: nothing after it was checked or counted")
        lines.append(shw.progress_line(self.catalog, progress(self.catalog, state, None), statuses,
                                       path_ids, None) + f"   ({elapsed:.1f} s)")
        unchecked = [c for c in ids if c in results and results[c].status == "unchecked"]
        lines.append(f"{PASS_MARK if not bad else FAIL_MARK} facts about torch in this tutorial: "
                     f"{len(ok)} of {len(ids)} hold on this torch" + (f", {len(bad)} do not" if bad else "")
                     + (f", {len(unchecked)} unchecked here" if unchecked else ""))
        for cid in bad[:1]:  # this torch differs from what the catalog knows: the first one explained
            lines.append("")
            shw.show_failure(self.catalog, cid, results[cid], False, None, lines.append, hint_level=0)
            lines.pop()  # the "Stuck?" line: there is no code of yours to fix
        return Verdict(lines, "failed" if bad else "passed")

    def path(self) -> Verdict:
        """check(): the tutorial's path with ✓ ✗ · marks, from the progress file."""
        return Verdict(path_lines(self.catalog, self.tutorial, self._state()[1]), "list")

    # --- the terminal's words, in a notebook ----------------------------------------------------------

    @staticmethod
    def _calls(lines: List[str], name: str) -> List[str]:
        """The command line's words for a notebook's: `check(..., hint=True)` for `--hint`, a name not
        defined yet for a workspace file that lacks it."""
        out = []
        for ln in lines:
            s = ln.strip()
            ln = NOT_IN_WORKSPACE.sub(r"not written yet: \2 is not defined in this notebook yet (run its "
                                      r"cell, then check again)", ln)
            if s.startswith("Stuck? python -m spec learn"):
                ln = f'  Stuck? check("{name}", hint=True)'
            elif s.startswith("Still stuck? --hint again"):
                ln = f'  Still stuck? check("{name}", hint=True) again (or show=True) shows the tutorial\'s code'
            out.append(ln)
        return out

    @staticmethod
    def _cells(lines: List[str], learner: str) -> List[str]:
        """'/tmp/ipykernel_7/1234.py:5' -> 'Cell In[3], line 5' (the kernel's own traceback words)."""
        label: Callable[[str], Optional[str]] = lambda f: None  # noqa: E731
        ip = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
        if ip is not None and hasattr(ip.compile, "format_code_name"):
            def label(f):
                named = ip.compile.format_code_name(f)
                return f"{named[0]} {named[1]}" if named else None
        pat = re.compile(re.escape(learner.rstrip(os.sep) + os.sep) + r"([^\s:()]+)(?::(\d+))?")
        from spec.__main__ import ROOT
        root = str(ROOT) + os.sep  # the project's tests by their project paths, as in the terminal

        def sub(m):
            name = label(os.path.join(learner, m.group(1)))
            if name is None:
                return m.group(0)
            return name + (f", line {m.group(2)}" if m.group(2) else "")
        return [pat.sub(sub, ln).replace(root, "") for ln in lines]
