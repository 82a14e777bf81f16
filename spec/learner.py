"""Learner mode inside pytest: `pytest --learner DIR` (and `python -m spec learn DIR`).

- `learner_module(config, tutorial_id)`: the learner's DIR/<tutorial id>.py, loaded fresh once per
  pytest session (no __pycache__ is written into the learner's workspace), with its functions and
  methods wrapped to record what they were called with and what they returned.
- `explain(item, call, learner_dir)`: a failure in plain words: the learner's own lines, the test's
  line, the error, expected vs got (shape, dtype, device, values) and what the learner's functions
  returned ("returned None", "returned its argument `x` unchanged").
- `LearnerPlugin`: under --learner, a stub's NotImplementedError reads
  "not written yet: TODO in DIR/file.py:LINE (name)" instead of a traceback, and every other failure
  gets a short "learner" section with the explanation.
"""
from __future__ import annotations

import ast
import functools
import inspect
import linecache
import os
import sys
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from spec.stubs import TODO_RE, TUTORIALS_DIR

MODULES_KEY = pytest.StashKey()
RECORDER_KEY = pytest.StashKey()
MODULE_PREFIX = "torch_spec_learner_"


class LearnerError(Exception):
    """The learner's workspace cannot be used (file missing, does not parse, fails on import)."""


def learner_dir(config) -> Optional[str]:
    """DIR as the learner wrote it (for messages), or None outside learner mode."""
    value = config.getoption("learner", None)
    return str(value) if value else None


# --- recording calls -------------------------------------------------------------------------------

@dataclass
class Call:
    name: str
    args: tuple
    kwargs: dict
    result: Any = None
    raised: Optional[BaseException] = None
    bound: Optional[Dict[str, Any]] = None  # every parameter's value, defaults included (not self)


@dataclass
class Recorder:
    """What the learner's functions did during the current test (reset before each test)."""
    last: Dict[str, Call] = field(default_factory=dict)
    counts: Dict[str, int] = field(default_factory=dict)
    returns_value: Dict[str, bool] = field(default_factory=dict)  # per name: does the tutorial's return?
    params: Dict[str, List[str]] = field(default_factory=dict)     # per name: parameter names (no self)
    ref_zeroes: Dict[str, bool] = field(default_factory=dict)      # the tutorial's zeroes .grad?
    zeroes: Dict[str, bool] = field(default_factory=dict)          # the learner's zeroes .grad?
    called: set = field(default_factory=set)                       # "tutorial:name" called this test

    def reset(self) -> None:
        self.last.clear()
        self.counts.clear()
        self.called.clear()

    def record(self, call: Call) -> None:
        self.last[call.name] = call
        self.counts[call.name] = self.counts.get(call.name, 0) + 1


def _recorded(fn, name: str, recorder: Recorder, method: bool, tutorial: str = ""):
    try:
        sig = inspect.signature(fn)
        names = list(sig.parameters)
        recorder.params[name] = names[1:] if method else names
    except (TypeError, ValueError):
        sig = None

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        call = Call(name, args[1:] if method else args, kwargs)
        if sig is not None:
            try:
                b = sig.bind(*args, **kwargs)
                b.apply_defaults()
                call.bound = dict(list(b.arguments.items())[1 if method else 0:])
            except TypeError:
                pass
        try:
            call.result = fn(*args, **kwargs)
            return call.result
        except BaseException as exc:
            call.raised = exc
            raise
        finally:
            recorder.record(call)
            recorder.called.add(f"{tutorial}:{name}")
    return wrapper


def _returns_value(source: str) -> Dict[str, bool]:
    """qualname -> whether the reference function has a `return <value>` of its own."""
    out: Dict[str, bool] = {}

    def own_returns(fn) -> bool:
        stack = list(fn.body)
        while stack:
            node = stack.pop()
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
                continue
            if isinstance(node, ast.Return) and node.value is not None:
                return True
            stack.extend(ast.iter_child_nodes(node))
        return False

    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[node.name] = own_returns(node)
        elif isinstance(node, ast.ClassDef):
            for child in node.body:
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out[f"{node.name}.{child.name}"] = own_returns(child)
    return out


def _zeroes_grads(fn) -> bool:
    """Does this function (nested code included) zero gradients: zero_grad(), .grad.zero_(),
    or .grad = None?"""
    for n in ast.walk(fn):
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and (
                n.func.attr == "zero_grad" or (n.func.attr == "zero_" and isinstance(
                    n.func.value, ast.Attribute) and n.func.value.attr == "grad")):
            return True
        if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) and n.value.value is None \
                and any(isinstance(t, ast.Attribute) and t.attr == "grad" for t in n.targets):
            return True
    return False


def _calls_backward(fn) -> bool:
    return any(isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "backward"
               for n in ast.walk(fn))


def _zeroing(source: str) -> Dict[str, bool]:
    """qualname -> whether that function or method zeroes gradients (True for those that never
    call backward(): there is nothing to zero)."""
    out: Dict[str, bool] = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[node.name] = _zeroes_grads(node) or not _calls_backward(node)
        elif isinstance(node, ast.ClassDef):
            for child in node.body:
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    out[f"{node.name}.{child.name}"] = _zeroes_grads(child) or not _calls_backward(child)
    return out


def _instrument(module: types.ModuleType, recorder: Recorder, only=None) -> None:
    """Wrap the module's own functions and methods (not `forward`: see _forward_hook); `only`: the
    names to wrap (default: all)."""
    tutorial = module.__name__[len(MODULE_PREFIX):]
    for name, obj in list(vars(module).items()):
        if only is not None and name not in only:
            continue
        if inspect.isfunction(obj) and obj.__module__ == module.__name__:
            setattr(module, name, _recorded(obj, name, recorder, False, tutorial))
        elif inspect.isclass(obj) and obj.__module__ == module.__name__:
            for attr, val in list(vars(obj).items()):
                if inspect.isfunction(val) and attr != "forward":
                    setattr(obj, attr, _recorded(val, f"{obj.__name__}.{attr}", recorder, True, tutorial))


def _forward_hook(recorder: Recorder):
    """A global nn.Module forward hook recording the learner's models' forward calls (a wrapper
    around `forward` would break torch.jit.script of the learner's model)."""
    def hook(module, inputs, output):
        cls = type(module)
        if cls.__module__.startswith(MODULE_PREFIX):
            recorder.record(Call(f"{cls.__name__}.forward", tuple(inputs), {}, output))
            recorder.called.add(f"{cls.__module__[len(MODULE_PREFIX):]}:{cls.__name__}.forward")
    return hook


def _load(path: Path, shown: str, tutorial_id: str) -> types.ModuleType:
    if not path.is_file():
        raise LearnerError(
            f"{shown} does not exist: this workspace has no exercises for the tutorial "
            f"'{tutorial_id}' (it was written before they existed?). Start a new workspace with "
            f"`python -m spec learn --init NEWDIR`, or print the stubs to paste with "
            f"`python -m spec learn --stub {tutorial_id}`.")
    source = path.read_text(encoding="utf-8")
    name = MODULE_PREFIX + tutorial_id
    module = types.ModuleType(name)
    module.__file__ = str(path)
    linecache.checkcache(str(path))
    try:
        code = compile(source, str(path), "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise LearnerError(f"{shown}:{exc.lineno}: your file is not valid Python: {exc.msg}\n"
                           f"    {(exc.text or '').rstrip()}") from None
    sys.modules[name] = module  # so that pickle / dataclasses find the learner's classes
    try:
        exec(code, module.__dict__)
    except Exception as exc:
        line = _deepest_line_in(exc.__traceback__, path)
        where = f"{shown}:{line}" if line else shown
        if isinstance(exc, NotImplementedError) and line and TODO_RE.search(
                linecache.getline(str(path), line)):
            raise LearnerError(f"not written yet: TODO in {where} (run while your file is imported)") \
                from None
        raise LearnerError(f"{where}: importing your file failed: {type(exc).__name__}: {exc}") from None
    return module


def _deepest_line_in(tb, path: Path) -> Optional[int]:
    line = None
    target = os.path.realpath(str(path))
    while tb is not None:
        if os.path.realpath(tb.tb_frame.f_code.co_filename) == target:
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def redefine(config, module: types.ModuleType, source: str, filename: str) -> Dict[str, Any]:
    """Execute `source` (one or more defs, read from `filename`) in the learner's module, recorded like
    the rest of it; returns the previous values of the names it defined, to restore them."""
    code = compile(source, filename, "exec", dont_inherit=True)
    names = [n.name for n in ast.parse(source).body if hasattr(n, "name")]
    previous = {n: module.__dict__.get(n) for n in names}
    exec(code, module.__dict__)
    recorder = config.stash.setdefault(RECORDER_KEY, Recorder())
    recorder.zeroes.update(_zeroing(source))
    _instrument(module, recorder, only=set(names))
    return previous


def learner_module(config, tutorial_id: str) -> types.ModuleType:
    """The learner's module for one tutorial (the `tutorial` fixture under --learner DIR)."""
    cache = config.stash.setdefault(MODULES_KEY, {})
    if tutorial_id not in cache:
        shown = os.path.join(learner_dir(config), f"{tutorial_id}.py")
        path = Path(shown).resolve()
        try:
            module = _load(path, shown, tutorial_id)
            recorder = config.stash.setdefault(RECORDER_KEY, Recorder())
            ref = TUTORIALS_DIR / f"{tutorial_id}.py"
            if ref.is_file():
                ref_source = ref.read_text(encoding="utf-8")
                recorder.returns_value.update(_returns_value(ref_source))
                recorder.ref_zeroes.update(_zeroing(ref_source))
            recorder.zeroes.update(_zeroing(path.read_text(encoding="utf-8")))
            _instrument(module, recorder)
            cache[tutorial_id] = module
        except LearnerError as exc:
            cache[tutorial_id] = exc
    found = cache[tutorial_id]
    if isinstance(found, LearnerError):
        pytest.fail(str(found), pytrace=False)
    return found


# --- describing values -----------------------------------------------------------------------------

def _fmt_number(x) -> str:
    if isinstance(x, bool) or x is None:
        return repr(x)
    if isinstance(x, float):
        return f"{x:.4f}"
    if isinstance(x, complex):
        return f"{x:.4f}"
    return repr(x)


def _values(flat: list, numel: int) -> str:
    shown = ", ".join(_fmt_number(v) for v in flat[:6])
    return f"[{shown}{', …' if numel > 6 else ''}]"


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
            vals = _values(flat, value.numel())
        except Exception:  # e.g. meta tensors
            vals = "(values not readable)"
        return f"{kind} of shape {tuple(value.shape)}, {value.dtype}, on {value.device}{grad}: {vals}"
    if isinstance(value, np.ndarray):
        flat = value.reshape(-1)[:7].tolist()
        return f"numpy array of shape {value.shape}, dtype {value.dtype}: {_values(flat, value.size)}"
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


def _frames(tb):
    while tb is not None:
        yield tb.tb_frame, tb.tb_lineno
        tb = tb.tb_next


def _under(filename: str, directory: Optional[Path]) -> bool:
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


def _diagnoses(recorder: Optional[Recorder]) -> List[str]:
    if recorder is None:
        return []
    lines = []
    for name in recorder.last:
        if recorder.ref_zeroes.get(name) and not recorder.zeroes.get(name, True):
            lines.append(f"{name} never zeroes the gradients, but the tutorial's version does "
                         f"(optimizer.zero_grad() or .grad.zero_() after each step): without it "
                         f"backward() adds every epoch's gradients into .grad")
    for name, call in recorder.last.items():
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
        if same is not None:
            label = f"`{same[0]}`" if same[0] else "(an argument)"
            inside = "" if same[1] is call.result else " (inside what it returned)"
            lines.append(f"{called} returned its argument {label} unchanged{inside}: "
                         f"{describe(same[1])}; it returned {describe(call.result)}")
        elif call.result is None and recorder.returns_value.get(name) and not name.endswith("__init__"):
            lines.append(f"{called} returned None: the tutorial's version returns a value "
                         f"(a missing `return`?)")
        elif not name.endswith("__init__") and call.result is not None:
            lines.append(f"{called} returned {describe(call.result)}")
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
            shown = os.path.join(learner, os.path.basename(fname)) if learner else _shown(fname)
            src = linecache.getline(fname, lineno).strip()
            yours.append((shown, lineno, frame.f_code.co_name, src))
        elif os.path.realpath(fname) == test_file:
            test_line = (_shown(fname), lineno, linecache.getline(fname, lineno).strip())
    out["your_lines"] = [f"{f}:{n} in {fn}:  {src}" for f, n, fn, src in yours[-4:]]
    out["test_line"] = f"{test_line[0]}:{test_line[1]}:  {test_line[2]}" if test_line else None
    if isinstance(exc, NotImplementedError) and yours and (
            TODO_RE.search(yours[-1][3]) or str(exc).startswith("TODO")):
        f, n, fn, _ = yours[-1]
        out["todo"] = f"not written yet: TODO in {f}:{n} ({fn})"
    missing = getattr(exc, "obj", None)
    if isinstance(exc, AttributeError) and isinstance(missing, types.ModuleType) and \
            missing.__name__.startswith(MODULE_PREFIX) and learner:
        tutorial = missing.__name__[len(MODULE_PREFIX):]
        out["todo"] = (f"not in your workspace yet: {tutorial}.{exc.name} (the tutorial code gained it "
                       f"after your --init); add its stub with: python -m spec learn --stub "
                       f"{tutorial}.{exc.name} >> {os.path.join(learner, tutorial + '.py')}")
    if type(exc).__name__ == "Failed":  # pytest.fail(..., pytrace=False), e.g. from the fixture
        out["error"] = str(exc)
    else:
        text = excinfo.exconly().strip()
        if isinstance(exc, AssertionError) and "\nassert " in text:
            text = text.split("\nassert ", 1)[0]  # the test's own message, without pytest's rewrite
        lines = [ln if len(ln) <= 160 else ln[:157] + "..." for ln in text.splitlines()]
        out["error"] = "\n".join(lines[:10]) + ("\n…" if len(lines) > 10 else "")
    compared = _compared(excinfo.tb)
    if compared is not None:
        out["expected"], out["got"] = describe(compared[0]), describe(compared[1])
    out["calls"] = _diagnoses(recorder)
    return out


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
        lines.extend(f"{indent}  {ln if len(ln) <= 240 else ln[:237] + '...'}" for ln in expl["calls"])
    return lines


# --- the pytest plugin (registered by spec.plugin under --learner) ----------------------------------

class LearnerPlugin:
    def __init__(self, config):
        self.config = config

    def _recorder(self) -> Recorder:
        return self.config.stash.setdefault(RECORDER_KEY, Recorder())

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        import torch
        self._recorder().reset()
        register = getattr(torch.nn.modules.module, "register_module_forward_hook", None)
        handle = register(_forward_hook(self._recorder())) if register else None
        try:
            yield
        finally:
            if handle is not None:
                handle.remove()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        report = outcome.get_result()
        if call.when == "call":
            report.learner_calls = sorted(self._recorder().called)  # "tutorial:name"
        if call.excinfo is None:
            return
        if report.skipped and hasattr(report, "wasxfail") and call.excinfo.errisinstance(NotImplementedError):
            # a "changed" claim (strict xfail) must not pass because the learner's code is unwritten
            expl = explain(item, call, learner_dir(self.config), self._recorder())
            if expl.get("todo"):
                report.outcome = "failed"
                del report.wasxfail
                report.longrepr = expl["todo"]
                report.learner = expl
            return
        if not report.failed:
            return
        expl = explain(item, call, learner_dir(self.config), self._recorder())
        report.learner = expl
        if expl.get("todo"):
            report.longrepr = expl["todo"]
        else:
            report.sections.append(("learner", "\n".join(render(expl))))
