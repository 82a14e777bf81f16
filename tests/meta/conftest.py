"""Fixtures for the machinery's own tests: a throw-away project with its own catalog."""
import json
import textwrap

import pytest

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


def claim_toml(cid, quote="tensors are fun", **extra):
    lines = [f'[[claim]]', f'id = "{cid}"', 'section = "Basics"', f'quote = "{quote}"',
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

    def run(self, *args):
        # plugins of the outer session that only cost time here (hypothesis' summary: ~1.8 s a run)
        quiet = ["-p", "no:randomly", "-p", "no:cacheprovider", "-p", "no:hypothesispytest"]
        return self.pytester.runpytest("-p", "spec.plugin", *quiet, "--catalog", str(self.catalog), *args)

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
