"""A failure in plain words: the learner's own lines, the test's line, the error, expected vs got
(shape, dtype, device, values), and what the learner's functions returned ("returned None",
"returned its argument `x` unchanged")."""
from __future__ import annotations

import linecache
import os
import re
import types
from pathlib import Path
from typing import Any, Dict, List, Optional

import torch

from spec.learn.recorder import MODULE_PREFIX, Recorder, unchanged
from spec.learn.relevance import brief, claim_exercises, fed, relevant
from spec.learn.stubs import TODO_RE, TUTORIALS_DIR


# --- describing values -----------------------------------------------------------------------------

def _fmt_number(x) -> str:
    """4 decimals, as the tutorials print; very large or very small numbers in compact form
    (-5.13e+64, not 65 digits of a diverged run)."""
    if isinstance(x, bool) or x is None:
        return repr(x)
    if isinstance(x, float):
        return f"{x:.2e}" if x == x and x not in (float("inf"), float("-inf")) and (
            abs(x) >= 1e6 or 0 < abs(x) < 1e-4) else f"{x:.4f}"
    if isinstance(x, complex):
        return f"{x:.4f}"
    if isinstance(x, int) and abs(x) >= 10 ** 12:
        return f"{x:.2e}"
    return repr(x)


def _values(flat: list, numel: int, k: int = 6) -> str:
    shown = ", ".join(_fmt_number(v) for v in flat[:k])
    return f"[{shown}{', …' if numel > k else ''}]"


def describe(value: Any, depth: int = 0) -> str:
    """A value in words: kind, shape, dtype, device and (the first) values."""
    try:
        import numpy as np
        import torch
    except ImportError:  # pragma: no cover
        return repr(value)[:120]
    if isinstance(value, torch.Tensor):
        grad = ", requires_grad" if value.requires_grad else ""
        kind = "nn.Parameter" if isinstance(value, torch.nn.Parameter) else "tensor"
        try:
            flat = value.detach().cpu().reshape(-1)[:7].tolist()
            vals = _values(flat, value.numel(), 6 if depth == 0 else 3)
        except Exception:  # e.g. meta tensors
            vals = "(values not readable)"
        return f"{kind} of shape {tuple(value.shape)}, {value.dtype}, on {value.device}{grad}: {vals}"
    if isinstance(value, np.ndarray):
        flat = value.reshape(-1)[:7].tolist()
        return f"numpy array of shape {value.shape}, dtype {value.dtype}: " \
            f"{_values(flat, value.size, 6 if depth == 0 else 3)}"
    if isinstance(value, torch.nn.Module):
        n = sum(p.numel() for p in value.parameters())
        return f"{type(value).__name__} module ({n} parameter value{'s' if n != 1 else ''})"
    if isinstance(value, (list, tuple)) and depth < 1:
        inner = "; ".join(describe(v, depth + 1) for v in value[:4])
        more = f"; … ({len(value) - 4} more)" if len(value) > 4 else ""
        return f"{type(value).__name__} of {len(value)}: {inner}{more}"
    if isinstance(value, (int, float, bool, complex)) or value is None:
        return f"{type(value).__name__} {_fmt_number(value)}" if value is not None else "None"
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


# --- explaining a failure --------------------------------------------------------------------------

def _shown(filename: str) -> str:
    """A path for messages: relative to the working directory when below it, else absolute."""
    rel = os.path.relpath(filename)
    return filename if rel.startswith("..") else rel


def _project_path(filename: str) -> str:
    """A test file by its path in the project (tests/claims/...), wherever learn is run from."""
    from spec.__main__ import ROOT
    try:
        return Path(os.path.realpath(filename)).relative_to(os.path.realpath(ROOT)).as_posix()
    except ValueError:
        return _shown(filename)


def _frames(tb):
    while tb is not None:
        yield tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next


def _under(filename: str, directory: Optional[Path]) -> bool:
    from spec.learn.loader import PROVIDED_FILES
    if filename in PROVIDED_FILES:  # code handed in from a notebook (spec.learn.api)
        return True
    if directory is None:
        return False
    try:
        Path(os.path.realpath(filename)).relative_to(directory)
        return True
    except ValueError:
        return False


def _compared(tb):
    """(expected, got) of the deepest torch/numpy comparison in the traceback, if any."""
    found = None
    for frame, _ in _frames(tb):
        name, loc = frame.f_code.co_name, frame.f_locals
        if name == "assert_close" and "actual" in loc and "expected" in loc:
            found = (loc["expected"], loc["actual"])
        elif name.startswith("assert_") and "actual" in loc and "desired" in loc:  # numpy.testing
            found = (loc["desired"], loc["actual"])
    return found


def _wrong_count(call) -> Optional[str]:
    """'10 points where n=10000 was asked' when a count argument and the result's length disagree."""
    if call.bound is None:
        return None
    parts = list(call.result) if isinstance(call.result, (tuple, list)) else [call.result]
    for arg in ("n", "N", "n_points", "num_points", "length"):
        want = call.bound.get(arg)
        if isinstance(want, int) and not isinstance(want, bool):
            lengths = {len(p) for p in parts if isinstance(p, torch.Tensor) and p.dim() > 0}
            if lengths and want not in lengths:
                return f"{min(lengths)} points where {arg}={want} was asked"
    return None


def _left_untrained(name, call, recorder) -> Optional[str]:
    """A module argument the call did not change, where the tutorial's version trains (calls
    backward()): the learner trained another model."""
    if "backward" not in recorder.ref_order.get(name, []) or call.bound is None or not any(
            call.bound.get(k) for k in ("n_epochs", "num_epochs")):  # a training loop that ran
        return None
    for arg, value in call.bound.items():
        if isinstance(value, torch.nn.Module) and unchanged(value, call.before.get(arg)):
            return arg
    return None


def _new_model(named, result) -> Optional[str]:
    """The name of a module argument when `result` is a different module (or holds one)."""
    parts = [result] + (list(result) if isinstance(result, (tuple, list)) else [])
    returned = [r for r in parts if isinstance(r, torch.nn.Module)]
    for n, a in named:
        if isinstance(a, torch.nn.Module) and returned and all(r is not a for r in returned):
            return n or "model"
    return None


def _training_order(recorder: Recorder) -> List[str]:
    """zero_grad() between backward() and step(): the step then sees no gradients."""
    lines = []
    for name in recorder.last:
        order = recorder.order.get(name, [])
        for i, call in enumerate(order[:-1]):
            if call == "zero_grad" and "step" in order[i + 1:] and "backward" in order[:i] and \
                    "backward" not in order[i + 1:order.index("step", i + 1)]:
                lines.append(f"{name} zeroes the gradients between backward() and step(): the step "
                             f"then finds them zeroed (or None) and moves nothing; zero them after "
                             f"step(), or before backward()")
                break
    return lines


def _diverged(recorder: Recorder, error: str) -> List[str]:
    """nan/inf in what was compared: the steps were too big, not a missing zero_grad()."""
    if "nan" not in error and "inf" not in error:
        return []
    why = "training diverged to nan/inf: the steps grew too big"
    summed = [n for n in recorder.last if "reduction='sum'" in recorder.sources.get(n.split(".")[0], "")
              .replace('"', "'").replace(" ", "")]
    if summed:
        why += f" ({summed[0]} sums the loss, reduction='sum', where the tutorial averages it: " \
               f"the gradients are n times larger)"
    else:
        why += " (a learning rate too large, or a loss summed instead of averaged)"
    return [why]


def _diagnoses(recorder: Optional[Recorder], error: str = "", exercises=None, said: str = "") -> List[str]:
    """What the learner's functions did, in words; `exercises`: the names the claim's test uses
    itself (None: every call); `said`: the failing check's line and message."""
    if recorder is None:
        return []
    lines = _training_order(recorder) + _diverged(recorder, error)
    for name in recorder.last:
        if recorder.ref_zeroes.get(name) and not recorder.zeroes.get(name, True):
            lines.append(f"{name} never zeroes the gradients, but the tutorial's version does "
                         f"(optimizer.zero_grad() or .grad.zero_() after each step): without it "
                         f"backward() adds every epoch's gradients into .grad")
    shown = relevant(recorder, exercises, said)
    consumers = {n: c for n in shown for c in shown if c != n and fed(recorder.last[n], recorder.last[c])
                 and re.search(rf"\b{re.escape(c.split('.')[0])}\b", said)}
    for name in shown:
        call = recorder.last[name]
        if call.raised is not None:
            continue
        times = recorder.counts.get(name, 1)
        called = f"{name}(…)" + (f" (called {times} times, last call shown)" if times > 1 else "")
        if call.bound is not None:
            named = list(call.bound.items())
        else:
            names = _param_names(name, recorder, len(call.args), list(call.kwargs))
            named = list(zip(names, list(call.args) + list(call.kwargs.values())))
        parts = [call.result] + (list(call.result) if isinstance(call.result, (tuple, list)) else [])
        same = next(((n, a) for n, a in named if any(r is a for r in parts)
                     and not isinstance(a, (bool, type(None)))), None)
        new_model = _new_model(named, call.result)
        if same is not None:
            label = f"`{same[0]}`" if same[0] else "(an argument)"
            inside = "" if same[1] is call.result else " (inside what it returned)"
            kept = unchanged(same[1], call.before.get(same[0]))
            how = "unchanged" if kept is not False else "after updating it in place"
            if kept is None and isinstance(same[1], (torch.Tensor, torch.nn.Module)):
                how = "(updated or not: too big to compare)"
            lines.append(f"{called} returned its argument {label} {how}{inside}: "
                         f"{describe(same[1])}; it returned {describe(call.result)}")
        elif _wrong_count(call):
            lines.append(f"{called} returned {_wrong_count(call)}: use the argument, not a constant "
                         f"of the module (the tutorial's N)")
        elif new_model is not None:
            lines.append(f"{called} returned a new model, not the one passed in (`{new_model}`): train "
                         f"the model it is given, in place, and return that one")
        elif call.result is None and recorder.returns_value.get(name) and not name.endswith("__init__"):
            lines.append(f"{called} returned None: the tutorial's version returns a value "
                         f"(a missing `return`?)")
        elif not name.endswith("__init__") and call.result is not None and name in consumers:
            lines.append(f"{called} returned {brief(call.result)}, passed on to {consumers[name]}")
        elif not name.endswith("__init__") and call.result is not None:
            lines.append(f"{called} returned {describe(call.result)}")
        untrained = _left_untrained(name, call, recorder)
        if untrained:
            lines.append(f"{called} left its argument `{untrained}` unchanged: the tutorial's version "
                         f"trains the model it is given (a new model made inside trains that one instead)")
    return lines


def _param_names(name: str, recorder: Recorder, npos: int, kwnames: List[str]) -> List[str]:
    params = recorder.params.get(name)
    positional = params[:npos] if params is not None else [""] * npos
    return positional + [""] * (npos - len(positional)) + kwnames


def explain(item, call, learner: Optional[str], recorder: Optional[Recorder] = None) -> Dict[str, Any]:
    """A failing test phase in plain words (a dict of short strings and lists of strings)."""
    excinfo = call.excinfo
    exc = excinfo.value
    directory = Path(os.path.realpath(learner)) if learner else None
    code_dir = directory or Path(os.path.realpath(TUTORIALS_DIR))
    test_file = os.path.realpath(str(item.path))
    out: Dict[str, Any] = {"when": call.when, "nodeid": item.nodeid}
    yours, test_line = [], None
    for frame, lineno in _frames(excinfo.tb):
        fname = frame.f_code.co_filename
        if _under(fname, code_dir):
            shown = os.path.join(learner, os.path.basename(fname)) if learner and os.path.isfile(
                os.path.join(learner, os.path.basename(fname))) else _shown(fname)
            src = linecache.getline(fname, lineno).strip()
            yours.append((shown, lineno, frame.f_code.co_name, src))
        elif os.path.realpath(fname) == test_file:
            test_line = (_project_path(fname), lineno, linecache.getline(fname, lineno).strip())
    out["your_lines"] = [f"{f}:{n} in {fn}:  {src}" for f, n, fn, src in yours[-4:]]
    out["test_line"] = f"{test_line[0]}:{test_line[1]}:  {test_line[2]}" if test_line else None
    if isinstance(exc, NotImplementedError) and yours and (
            TODO_RE.search(yours[-1][3]) or str(exc).startswith("TODO")):
        f, n, fn, _ = yours[-1]
        named = str(exc)[len("TODO: write "):] if str(exc).startswith("TODO: write ") else ""
        if named.endswith("." + fn):  # a method: 'ManualLinearRegression.__init__', not '__init__'
            fn = named
        out["todo"] = f"not written yet: TODO in {f}:{n} ({fn})"
        out["todo_name"] = fn
    missing = getattr(exc, "obj", None)
    if isinstance(exc, AttributeError) and isinstance(missing, types.ModuleType) and \
            missing.__name__.startswith(MODULE_PREFIX) and learner:
        tutorial = missing.__name__[len(MODULE_PREFIX):]
        out["todo"] = (f"not in your workspace yet: {tutorial}.{exc.name} (the tutorial code gained it "
                       f"after your --init); add its stub with: python -m spec learn --stub "
                       f"{tutorial}.{exc.name} >> {os.path.join(learner, tutorial + '.py')}")
    if type(exc).__name__ in ("Failed", "LearnerTimeout"):  # pytest.fail(..., pytrace=False) from the
        # fixture (a file that does not load), a time limit: the message says it all
        out["error"] = str(exc)
    else:
        text = excinfo.exconly().strip()
        if isinstance(exc, AssertionError) and "\nassert " in text:
            text = text.split("\nassert ", 1)[0]  # the test's own message, without pytest's rewrite
        lines = [ln if len(ln) <= 160 else ln[:157] + "..." for ln in without_pytest_advice(text)]
        out["error"] = "\n".join(lines[:10]) + ("\n…" if len(lines) > 10 else "")
    compared = _compared(excinfo.tb)
    if compared is not None:
        out["expected"], out["got"] = describe(compared[0]), describe(compared[1])
    out["calls"] = _diagnoses(recorder, out.get("error", ""), claim_exercises(item),
                              f"{out.get('test_line') or ''}\n{out.get('error', '')}")
    out["error"] = _without_wrong_guess(out.get("error", ""), out["calls"], recorder)
    if out.get("test_line"):  # the check's own source line carries the guess too
        out["test_line"] = _without_wrong_guess(out["test_line"], out["calls"], recorder)
    return out


PYTEST_ADVICE = ("use '-vv' to show", "Use -v to get more diff", "Use -v to get the full diff")


def without_pytest_advice(text: str) -> List[str]:
    """The lines of a failure without pytest's advice to rerun with -v/-vv (learn has no such
    option): a cut diff ends in '…' instead."""
    out = []
    for ln in text.splitlines():
        if any(a in ln for a in PYTEST_ADVICE):
            if out and out[-1] != "…":
                out.append("…")
            continue
        out.append(ln)
    return out


GUESSES = (  # guesses some checks put in their messages, and the diagnosis that rules each out
    (" (did you forget optimizer.zero_grad()?)", ("diverged", "between backward() and step()")),
    ("did you forget optimizer.zero_grad()?", ("diverged", "between backward() and step()")),
    (": call optimizer.step()", ("between backward() and step()",)),
)


def _without_wrong_guess(error: str, calls: List[str], recorder) -> str:
    """Drop a check's guessed cause when what was observed names another one."""
    for guess, ruled_out_by in GUESSES:
        if guess in error and any(r in c for c in calls for r in ruled_out_by):
            error = error.replace(guess, "")
    return error


def render(expl: Dict[str, Any], indent: str = "") -> List[str]:
    """The explanation as terminal lines (without the claim's prose)."""
    if expl.get("todo"):
        return [indent + expl["todo"]]
    lines = []
    if expl.get("test_line"):
        lines.append(f"{indent}The check that failed: {expl['test_line']}")
    lines.extend(indent + ("What happened: " if i == 0 else "    ") + ln
                 for i, ln in enumerate(expl["error"].splitlines()))
    if "expected" in expl:
        lines.append(f"{indent}  expected: {expl['expected']}")
        lines.append(f"{indent}  got:      {expl['got']}")
    if expl.get("your_lines"):
        lines.append(f"{indent}Your code on the way:")
        lines.extend(f"{indent}  {ln}" for ln in expl["your_lines"])
    if expl.get("calls"):
        lines.append(f"{indent}What your functions returned in this check:")
        lines.extend(f"{indent}  {ln if len(ln) <= 240 else ln[:239] + '…'}" for ln in expl["calls"])
    return lines


