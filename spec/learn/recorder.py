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

