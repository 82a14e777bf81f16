"""Loading the learner's DIR/<tutorial id>.py: fresh once per pytest session (no __pycache__ in the
workspace), its functions and methods wrapped by the recorder. A file that is missing, does not parse
or fails on import is a LearnerError, shown as a problem of the file."""
from __future__ import annotations

import ast
import linecache
import os
import re
import sys
import types
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest

from spec.learn.recorder import (MODULE_PREFIX, Recorder, _instrument, _returns_value, _zeroing,
                                 training_calls)
from spec.learn.stubs import TODO_RE, TUTORIALS_DIR

MODULES_KEY = pytest.StashKey()
RECORDER_KEY = pytest.StashKey()
PROVIDED: Dict[str, dict] = {}  # tutorial id -> a namespace handed in (a notebook's), see spec.learn.api
PROVIDED_FILES: set = set()     # the files its code came from (cells), counted as the learner's


class LearnerError(Exception):
    """The learner's workspace cannot be used (file missing, does not parse, fails on import)."""


def learner_dir(config) -> Optional[str]:
    """DIR as the learner wrote it (for messages), or None outside learner mode."""
    value = config.getoption("learner", None)
    return str(value) if value else None


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


def _from_namespace(tutorial_id: str, namespace: dict) -> types.ModuleType:
    """A learner module from a namespace (a notebook's globals): the workspace's stubs, with every
    exercise the namespace defines taken from it (the others stay TODO)."""
    import inspect

    from spec.learn.stubs import reference_modules, stub_source
    stub, found = stub_source(reference_modules()[tutorial_id].read_text(encoding="utf-8"), tutorial_id)
    name = MODULE_PREFIX + tutorial_id
    module = types.ModuleType(name)
    module.__file__ = f"<stubs of {tutorial_id}>"
    exec(compile(stub, module.__file__, "exec", dont_inherit=True), module.__dict__)
    sys.modules[name] = module
    sources = []
    for ex in found:
        obj = namespace.get(ex.name)
        if ex.kind == "method" or obj is None:
            continue
        try:
            sources.append(inspect.getsource(obj))
            PROVIDED_FILES.add(inspect.getsourcefile(obj) or "")
        except (OSError, TypeError):
            pass
        obj.__module__ = name  # only in the worker process, which is thrown away after the check
        setattr(module, ex.name, obj)
    module.__source__ = "\n\n".join(sources)
    return module


_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")  # lines as ast counts them (not str.splitlines)


def _sources(source: str) -> Dict[str, str]:
    """top-level name -> its source text (for what a diagnosis looks for in the learner's code)."""
    lines = _LINES.findall(source)  # once: ast.get_source_segment splits the whole text again per node
    out = {}
    for node in ast.parse(source).body:
        if hasattr(node, "name"):
            out[node.name] = _segment(lines, node)
    return out


def _segment(lines: List[str], node) -> str:
    """ast.get_source_segment(source, node) for a top-level statement, from the source's lines."""
    if getattr(node, "end_lineno", None) is None:
        return ""
    first, last = node.lineno - 1, node.end_lineno - 1
    if first == last:
        return lines[first].encode()[node.col_offset:node.end_col_offset].decode()
    head = lines[first].encode()[node.col_offset:].decode()
    tail = lines[last].encode()[:node.end_col_offset].decode()
    return head + "".join(lines[first + 1:last]) + tail


def redefine(config, module: types.ModuleType, source: str, filename: str) -> Dict[str, Any]:
    """Execute `source` (one or more defs, read from `filename`) in the learner's module, recorded like
    the rest of it; returns the previous values of the names it defined, to restore them."""
    code = compile(source, filename, "exec", dont_inherit=True)
    names = [n.name for n in ast.parse(source).body if hasattr(n, "name")]
    previous = {n: module.__dict__.get(n) for n in names}
    exec(code, module.__dict__)
    recorder = config.stash.setdefault(RECORDER_KEY, Recorder())
    recorder.zeroes.update(_zeroing(source))
    recorder.order.update(training_calls(source))
    recorder.sources.update(_sources(source))
    _instrument(module, recorder, only=set(names))
    return previous


def learner_module(config, tutorial_id: str) -> types.ModuleType:
    """The learner's module for one tutorial (the `tutorial` fixture under --learner DIR)."""
    cache = config.stash.setdefault(MODULES_KEY, {})
    if tutorial_id not in cache:
        shown = os.path.join(learner_dir(config), f"{tutorial_id}.py")
        path = Path(shown).resolve()
        try:
            if tutorial_id in PROVIDED:
                module, path = _from_namespace(tutorial_id, PROVIDED[tutorial_id]), None
            else:
                module = _load(path, shown, tutorial_id)
            recorder = config.stash.setdefault(RECORDER_KEY, Recorder())
            ref = TUTORIALS_DIR / f"{tutorial_id}.py"
            if ref.is_file():
                ref_source = ref.read_text(encoding="utf-8")
                recorder.returns_value.update(_returns_value(ref_source))
                recorder.ref_zeroes.update(_zeroing(ref_source))
                recorder.ref_order.update(training_calls(ref_source))
            learner_source = path.read_text(encoding="utf-8") if path else module.__source__
            recorder.zeroes.update(_zeroing(learner_source))
            recorder.order.update(training_calls(learner_source))
            recorder.sources.update(_sources(learner_source))
            _instrument(module, recorder)
            cache[tutorial_id] = module
        except LearnerError as exc:
            cache[tutorial_id] = exc
    found = cache[tutorial_id]
    if isinstance(found, LearnerError):
        pytest.fail(str(found), pytrace=False)
    return found


