"""Fixtures for the machinery's own tests: a throw-away project with its own catalog."""
import json
import os
import sys
import textwrap

import pytest
from _pytest import pytester as _pytester

HEADER = '''
[tutorial]
id = "toy"
title = "A toy tutorial"
seeds = ["toy.txt"]
'''


def _toml_value(v):
    """A JSON literal is a TOML literal for strings and lists; a dict becomes an inline table."""
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    return json.dumps(v)


# --- inner runs keep the libraries they import ------------------------------------------------------
# pytester restores sys.modules after each in-process run (and after each test), dropping every module
# first imported inside. For the throw-away project's own modules that is the point (the next run may
# reuse their names); for libraries it is wrong: torch imports parts of itself lazily (torch._dynamo at
# the first optimizer.step(), torch._inductor at use_deterministic_algorithms) and such a module, once
# dropped, is executed again on the next import: torch then fails with "Only a single TORCH_LIBRARY
# can be used to register the namespace _inductor_test", in whichever test comes next (random order).
# So a snapshot restores only what lies under pytest's temporary directory.
_THROWAWAY = ()  # pytest's basetemp of this session, as given and resolved (each xdist worker has its own)


def _kept(name: str) -> bool:
    """Whether a module first imported inside an inner run stays imported after it (called for every
    module at every restore: a string test, no file system)."""
    module = sys.modules.get(name)
    if module is None:
        return False
    where = getattr(module, "__file__", None) or next(iter(getattr(module, "__path__", None) or []), "")
    return not (isinstance(where, str) and where.startswith(_THROWAWAY))


class _KeepLibraries(_pytester.SysModulesSnapshot):
    def __init__(self, preserve=None):
        super().__init__(preserve=lambda name: _kept(name) or bool(preserve and preserve(name)))


@pytest.fixture(scope="session", autouse=True)
def _inner_runs_keep_libraries(tmp_path_factory):
    global _THROWAWAY
    base = str(tmp_path_factory.getbasetemp())
    _THROWAWAY = tuple({base + os.sep, os.path.realpath(base) + os.sep})
    original, _pytester.SysModulesSnapshot = _pytester.SysModulesSnapshot, _KeepLibraries
    yield
    _pytester.SysModulesSnapshot = original


def claim_toml(cid, quote="tensors are fun", section="Basics", **extra):
    lines = [f'[[claim]]', f'id = "{cid}"', f'section = "{section}"', f'quote = "{quote}"',
             'says = "Something true."', 'hint = "Look closely."']
    lines += [f'{k} = {_toml_value(v)}' for k, v in extra.items()]
    return "\n".join(lines) + "\n"


class MiniProject:
    """A pytester project: catalog/<name>.toml, seeds/, and test files, run with the spec plugin."""

    def __init__(self, pytester):
        self.pytester = pytester
        self.catalog = pytester.mkdir("catalog")
        self.seeds = pytester.mkdir("seeds")
        (self.seeds / "toy.txt").write_text("Here tensors are fun, and grads accumulate.\n")

    def write_catalog(self, *claims, name="toy", header=HEADER):
        (self.catalog / f"{name}.toml").write_text(header + "\n".join(claims))

    def write_tests(self, source, name="test_toy.py"):
        self.pytester.makepyfile(**{name[:-3]: textwrap.dedent(source)})

    def run(self, *args, plugins=()):
        # plugins of the outer session that only cost time here (hypothesis' summary: ~1.8 s a run)
        quiet = ["-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"]
        return self.pytester.runpytest("-p", "spec.plugin", *quiet, "--catalog", str(self.catalog), *args,
                                       plugins=list(plugins))

    def report(self, *args):
        out = self.pytester.path / "report.json"
        result = self.run("--claims-report", str(out), *args)
        return result, json.loads(out.read_text())


@pytest.fixture
def mini(pytester):
    return MiniProject(pytester)


@pytest.fixture
def no_cuda(monkeypatch):
    """Pretend this machine has no CUDA (the default here; needed on GPU machines)."""
    import torch
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
