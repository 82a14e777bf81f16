"""The child interpreter of a replay: runs one tutorial's cells in one namespace, notebook-style.

Protocol: the parent writes one JSON object per line to stdin ({"source", "timeout"}); for each, this
process answers one JSON line on its original stdout: {"output", "error", "stubbed", "missing",
"timed_out"}. Notebook semantics: one namespace named __main__ for all cells; the value of a cell's last
expression is displayed as IPython's plain-text formatter shows it (see `display`); warnings are shown as
"Category: message" lines where they occur (the location and source line are dropped: they name files
of the machine that ran the cell).

Optional packages a tutorial imports (torchviz, torchvision, matplotlib, PIL) are replaced by stubs when
they are not installed: the import succeeds, and the first use raises MissingOptional, so the cell reads
unchecked while the names the rest of the cell defines stay defined for later cells.
"""
from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import io
import json
import os
import signal
import sys
import traceback
import types
import warnings

OPTIONAL = ("torchviz", "torchvision", "matplotlib", "PIL")
WIDTH = 79  # IPython's default max_width for plain-text display


class MissingOptional(BaseException):
    """An optional package is not installed and the cell used it."""


class CellTimeout(BaseException):
    pass


_stubbed: set = set()


class _StubObject:
    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def _missing(self, *args, **kwargs):
        top = object.__getattribute__(self, "_name").split(".")[0]
        raise MissingOptional(top)

    __call__ = __iter__ = __dir__ = __repr__ = __len__ = __getitem__ = _missing

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _StubObject(f"{object.__getattribute__(self, '_name')}.{attr}")


class _StubLoader(importlib.abc.Loader):
    def create_module(self, spec):
        module = types.ModuleType(spec.name)
        module.__path__ = []
        module.__torch_spec_stub__ = True

        def __getattr__(attr, _name=spec.name):
            if attr.startswith("__"):
                raise AttributeError(attr)
            return _StubObject(f"{_name}.{attr}")
        module.__getattr__ = __getattr__
        module.__dir__ = _StubObject(spec.name)._missing
        return module

    def exec_module(self, module):
        _stubbed.add(module.__name__.split(".")[0])


class _StubFinder(importlib.abc.MetaPathFinder):
    """Last on sys.meta_path: only reached when the real package is not installed."""

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in OPTIONAL:
            return importlib.machinery.ModuleSpec(name, _StubLoader(), is_package=True)
        return None


def _tracking_import(name, globals=None, locals=None, fromlist=(), level=0, _import=__import__):
    """__import__ for the cells: notes every import of a stub, also of one loaded by an earlier cell."""
    module = _import(name, globals, locals, fromlist, level)
    top = name.split(".")[0]
    if level == 0 and getattr(sys.modules.get(top), "__torch_spec_stub__", False):
        _stubbed.add(top)
    return module


def display(value) -> str:
    """IPython's plain-text display of a value: tuples and lists on one line when they fit in 79
    characters, else one item per line (continuation lines indented by one); objects with the default
    repr as <module.Class at 0x...>; everything else repr()."""
    if type(value) in (tuple, list):
        opening, closing = ("(", ")") if type(value) is tuple else ("[", "]")
        items = [display(v) for v in value]
        if type(value) is tuple and len(items) == 1:
            return f"({items[0]},)"
        flat = opening + ", ".join(items) + closing
        if "\n" not in flat and len(flat) <= WIDTH:
            return flat
        return opening + ",\n ".join(item.replace("\n", "\n ") for item in items) + closing
    if type(value).__repr__ is object.__repr__:
        return f"<{type(value).__module__}.{type(value).__qualname__} at {hex(id(value))}>"
    return repr(value)


def run_cell(source: str, namespace: dict, buffer: io.StringIO) -> dict:
    """Run one cell; its stdout, stderr and warnings go to `buffer`."""
    result = {"error": None, "missing": None, "timed_out": False}
    try:
        tree = ast.parse(source, "<cell>", "exec")
        last = None
        if tree.body and isinstance(tree.body[-1], ast.Expr):
            last = ast.Expression(tree.body.pop().value)
        exec(compile(tree, "<cell>", "exec"), namespace)
        if last is not None:
            value = eval(compile(last, "<cell>", "eval"), namespace)
            if value is not None:
                buffer.write(display(value) + "\n")
    except MissingOptional as exc:
        result["missing"] = str(exc)
    except CellTimeout:
        result["timed_out"] = True
    except BaseException as exc:  # noqa: BLE001 - the cell's own failure is the result
        result["error"] = {"type": type(exc).__name__, "message": str(exc).strip(),
                           "name": getattr(exc, "name", None) if isinstance(exc, NameError) else None,
                           "traceback": "".join(traceback.format_exception(exc))[-3000:]}
    return result


def _on_alarm(signum, frame):
    raise CellTimeout()


def main() -> int:
    protocol = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)  # what C code writes to fd 1 must not reach the protocol
    sys.meta_path.append(_StubFinder())
    signal.signal(signal.SIGPROF, _on_alarm)
    import builtins
    namespace = {"__name__": "__main__", "__builtins__": dict(vars(builtins), __import__=_tracking_import)}
    for line in sys.stdin:
        request = json.loads(line)
        buffer = io.StringIO()
        sys.stdout = sys.stderr = buffer
        _stubbed.clear()
        shown = lambda message, category, *a, **k: buffer.write(f"{category.__name__}: {message}\n")  # noqa: E731
        warnings.showwarning = shown
        # the limit is CPU time, so that a loaded machine does not time a cell out; the parent also
        # gives up on a cell after a multiple of it in wall-clock time (a cell blocked on I/O)
        signal.setitimer(signal.ITIMER_PROF, float(request.get("timeout", 30)))
        try:
            result = run_cell(request["source"], namespace, buffer)
        finally:
            signal.setitimer(signal.ITIMER_PROF, 0)
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
        result["output"] = buffer.getvalue()
        result["stubbed"] = sorted(_stubbed)
        protocol.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
