"""The pytest side of a notebook's check (`-p spec.learn.notebook_plugin`, in the worker's child).

The worker forks the kernel, so the child holds a copy of the notebook's namespace: nothing is
shipped, nothing re-run. Before the fork the kernel sets PENDING; in the child this plugin turns that
namespace into the learner's module of the tutorial (the `tutorial` fixture then returns it), with the
learner's functions and classes recorded like a workspace file's.
"""
from __future__ import annotations

import ast
import inspect
import linecache
import os
import sys
import types
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from spec.learn.recorder import MODULE_PREFIX

# names a kernel puts into the notebook's namespace that are not the learner's code
KERNEL_NAMES = {"In", "Out", "get_ipython", "exit", "quit", "open"}


@dataclass
class Pending:
    tutorial: str
    namespace: dict                                    # the notebook's globals (the child's copy)
    own: List[str] = field(default_factory=list)       # names of functions/classes defined there
    forked: bool = True                                # False: in-process (no fork): change nothing


PENDING: Optional[Pending] = None


def own_names(namespace: dict) -> List[str]:
    """The functions and classes defined in the notebook itself (not imported)."""
    home = namespace.get("__name__", "__main__")
    return [n for n, v in namespace.items()
            if (inspect.isfunction(v) or inspect.isclass(v)) and getattr(v, "__module__", None) == home
            and not n.startswith("__") and n not in KERNEL_NAMES]


def code_file(obj) -> Optional[str]:
    """The file (a kernel's cell file) a function or class was defined in."""
    if inspect.isclass(obj):
        for v in vars(obj).values():
            if inspect.isfunction(v):
                return v.__code__.co_filename
        return None
    code = getattr(obj, "__code__", None)
    return code.co_filename if code is not None else None


def cell_sources(namespace: dict, names: List[str]) -> List[str]:
    """The source texts of the cells that define `names` (from linecache, where kernels keep them)."""
    out: Dict[str, str] = {}
    for n in names:
        fname = code_file(namespace[n])
        if fname and fname not in out:
            text = "".join(linecache.getlines(fname))
            try:
                ast.parse(text)
            except SyntaxError:  # a cell with a magic the kernel transformed: its defs alone
                try:
                    text = inspect.getsource(namespace[n])
                except (OSError, TypeError):
                    continue
            out[fname] = text
    return list(out.values())


def namespace_module(p: Pending) -> types.ModuleType:
    """The notebook's namespace as the tutorial's learner module."""
    module = types.ModuleType(MODULE_PREFIX + p.tutorial)
    for n, v in p.namespace.items():
        if not n.startswith("__") and n not in KERNEL_NAMES:
            setattr(module, n, v)
    if p.forked:  # the child's copies: recorded as the learner's (pickle, the forward hook find them)
        for n in p.own:
            p.namespace[n].__module__ = module.__name__
        sys.modules[module.__name__] = module
    return module


def pytest_configure(config):
    if PENDING is None:
        return
    from spec.learn.loader import adopt
    module = namespace_module(PENDING)
    adopt(config, PENDING.tutorial, module, cell_sources(PENDING.namespace, PENDING.own),
          instrument=PENDING.forked)
    if PENDING.forked:  # calls between the learner's own functions go through the namespace
        for n in PENDING.own:
            PENDING.namespace[n] = getattr(module, n)


def cell_dir(namespace: dict, names: List[str]) -> str:
    """Where the notebook's cells live as files (ipykernel: a temp directory), for the explanations'
    "your code" lines; code with no real file (`<ipython-input-…>`, `<string>`) gets a directory that
    holds nothing, so that no other code is taken for the learner's."""
    for n in names:
        fname = code_file(namespace.get(n))
        if fname and os.path.isabs(fname):
            return os.path.dirname(fname)
    import tempfile
    return os.path.join(tempfile.gettempdir(), "torch-spec-cells-without-files")
