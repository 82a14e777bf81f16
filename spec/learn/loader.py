"""Loading the learner's DIR/<tutorial id>.py: fresh once per pytest session (no __pycache__ in the
workspace), its functions and methods wrapped by the recorder. A file that is missing, does not parse
or fails on import is a LearnerError, shown as a problem of the file."""
from __future__ import annotations

import ast
import linecache
import os
import sys
import types
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from spec.learn.recorder import MODULE_PREFIX, Recorder, _instrument, _returns_value, _zeroing
from spec.learn.stubs import TODO_RE, TUTORIALS_DIR

MODULES_KEY = pytest.StashKey()
RECORDER_KEY = pytest.StashKey()


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


def adopt(config, tutorial_id: str, module: types.ModuleType, sources, instrument: bool = True) -> None:
    """Use `module` as the learner's code for one tutorial in this pytest session (`sources`: the
    learner's source texts, read for what their functions do): its functions and methods wrapped by
    the recorder (`instrument`), the reference's own facts read beside it."""
    recorder = config.stash.setdefault(RECORDER_KEY, Recorder())
    ref = TUTORIALS_DIR / f"{tutorial_id}.py"
    if ref.is_file():
        ref_source = ref.read_text(encoding="utf-8")
        recorder.returns_value.update(_returns_value(ref_source))
        recorder.ref_zeroes.update(_zeroing(ref_source))
    for source in sources:
        recorder.zeroes.update(_zeroing(source))
    if instrument:
        _instrument(module, recorder)
    config.stash.setdefault(MODULES_KEY, {})[tutorial_id] = module


def learner_module(config, tutorial_id: str) -> types.ModuleType:
    """The learner's module for one tutorial (the `tutorial` fixture under --learner DIR)."""
    cache = config.stash.setdefault(MODULES_KEY, {})
    if tutorial_id not in cache:
        shown = os.path.join(learner_dir(config), f"{tutorial_id}.py")
        path = Path(shown).resolve()
        try:
            adopt(config, tutorial_id, _load(path, shown, tutorial_id), [path.read_text(encoding="utf-8")])
        except LearnerError as exc:
            cache[tutorial_id] = exc
    found = cache[tutorial_id]
    if isinstance(found, LearnerError):
        pytest.fail(str(found), pytrace=False)
    return found


