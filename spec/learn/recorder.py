"""Recording what the learner's functions do during one test: the calls, their arguments (with a
snapshot to tell "unchanged" from "updated in place"), their results; and what the tutorial's version
does (returns a value? zeroes gradients?), read from the source by AST."""
from __future__ import annotations

import ast
import functools
import inspect
import types
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

MODULE_PREFIX = "torch_spec_learner_"


@dataclass
class Call:
    name: str
    args: tuple
    kwargs: dict
    result: Any = None
    raised: Optional[BaseException] = None
    bound: Optional[Dict[str, Any]] = None  # every parameter's value, defaults included (not self)
    before: Dict[str, Any] = field(default_factory=dict)  # small tensor/array/module arguments, copied
    seq: int = 0  # when it started (1, 2, ...: a call that started after another one that had not
    # returned yet ran inside it); forward() calls, recorded by a hook, count from their end


def snapshot(value) -> Any:
    """A copy of a small tensor, array or module's parameters, to tell "unchanged" from "updated in
    place" after the call (None when too big or not such a value)."""
    import numpy as np
    import torch
    try:
        if isinstance(value, torch.Tensor) and value.numel() <= 100_000 and value.device.type != "meta":
            return value.detach().clone()
        if isinstance(value, np.ndarray) and value.size <= 100_000:
            return value.copy()
        if isinstance(value, torch.nn.Module):
            params = list(value.state_dict().values())
            if sum(p.numel() for p in params) <= 100_000 and all(p.device.type != "meta" for p in params):
                return [p.detach().clone() for p in params]
    except Exception:  # noqa: BLE001  a value we cannot copy is simply not compared
        pass
    return None


def unchanged(value, before) -> Optional[bool]:
    """Is `value` still equal to its snapshot? None when there is no snapshot to compare with."""
    import numpy as np
    import torch
    if before is None:
        return None
    try:
        if isinstance(value, torch.Tensor):
            return bool(torch.equal(value.detach(), before))
        if isinstance(value, np.ndarray):
            return bool(np.array_equal(value, before, equal_nan=True))
        if isinstance(value, torch.nn.Module):
            now = list(value.state_dict().values())
            return len(now) == len(before) and all(torch.equal(a.detach(), b) for a, b in zip(now, before))
    except Exception:  # noqa: BLE001
        return None
    return None


@dataclass
class Recorder:
    """What the learner's functions did during the current test (reset before each test)."""
    last: Dict[str, Call] = field(default_factory=dict)
    counts: Dict[str, int] = field(default_factory=dict)
    returns_value: Dict[str, bool] = field(default_factory=dict)  # per name: does the tutorial's return?
    params: Dict[str, List[str]] = field(default_factory=dict)     # per name: parameter names (no self)
    ref_zeroes: Dict[str, bool] = field(default_factory=dict)      # the tutorial's zeroes .grad?
    zeroes: Dict[str, bool] = field(default_factory=dict)          # the learner's zeroes .grad?
    order: Dict[str, List[str]] = field(default_factory=dict)      # the learner's backward/step/zero_grad
    ref_order: Dict[str, List[str]] = field(default_factory=dict)  # the same in the tutorial's version
    sources: Dict[str, str] = field(default_factory=dict)          # the learner's source of each name
    called: set = field(default_factory=set)                       # "tutorial:name" called this test
    started: int = 0                                               # calls started this test

    def reset(self) -> None:
        self.last.clear()
        self.counts.clear()
        self.called.clear()
        self.started = 0

    def record(self, call: Call) -> None:
        self.last.pop(call.name, None)  # the most recent call last: the one a failure follows
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
        recorder.started += 1
        call = Call(name, args[1:] if method else args, kwargs, seq=recorder.started)
        if sig is not None:
            try:
                b = sig.bind(*args, **kwargs)
                b.apply_defaults()
                call.bound = dict(list(b.arguments.items())[1 if method else 0:])
                call.before = {k: snapshot(v) for k, v in call.bound.items()}
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


def training_calls(source: str) -> Dict[str, List[str]]:
    """qualname -> the order of backward()/step()/zero_grad() (and .grad.zero_()) calls in its source,
    nested functions included, e.g. ['backward', 'zero_grad', 'step']; and the source text."""
    out: Dict[str, List[str]] = {}
    for node in ast.parse(source).body:
        nodes = [(node.name, node)] if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) else \
            [(f"{node.name}.{c.name}", c) for c in node.body
             if isinstance(c, (ast.FunctionDef, ast.AsyncFunctionDef))] if isinstance(node, ast.ClassDef) else []
        for name, fn in nodes:
            calls = []
            for n in ast.walk(fn):
                if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute):
                    attr = n.func.attr
                    if attr == "zero_" and isinstance(n.func.value, ast.Attribute) and n.func.value.attr == "grad":
                        attr = "zero_grad"
                    if attr in ("backward", "step", "zero_grad"):
                        calls.append((n.lineno, n.col_offset, attr))
            out[name] = [a for _, _, a in sorted(calls)]
    return out


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
            recorder.started += 1  # recorded at its end: inside any call still running
            recorder.record(Call(f"{cls.__name__}.forward", tuple(inputs), {}, output,
                                 seq=recorder.started))
            recorder.called.add(f"{cls.__module__[len(MODULE_PREFIX):]}:{cls.__name__}.forward")
    return hook

