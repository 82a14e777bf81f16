"""Exercise stubs (spec/stubs.py): generated from the reference code by AST, signature and docstring
kept, body a TODO; and the --stub / missing-function paths of `python -m spec learn`."""
import ast
import textwrap

from spec.learn import cli as learn
from spec.learn.stubs import TODO_RE, exercises, reference_modules, stub_source

SOURCE = textwrap.dedent('''\
    """Module docstring."""
    import torch

    SEED = 42


    def data_gen(seed: int = SEED,
                 n: int = 100):
        """We start by generating some synthetic data."""
        x = torch.rand(n)
        return x


    def one_liner(x): return x


    class Model(torch.nn.Module):
        """A model."""
        kind = "manual"

        def __init__(self):
            super().__init__()

        def forward(self, x):
            return x


    def _helper(x):
        return x + 1


    if __name__ == "__main__":
        print(data_gen())
    ''')


def test_signature_docstring_and_constants_are_kept_bodies_become_todo():
    text, found = stub_source(SOURCE, "demo")
    assert 'def data_gen(seed: int = SEED,\n             n: int = 100):\n    """We start by generating ' \
        'some synthetic data."""\n    raise NotImplementedError("TODO: write data_gen")' in text
    assert "SEED = 42" in text and "import torch" in text and 'kind = "manual"' in text
    assert 'def one_liner(x):\n    raise NotImplementedError("TODO: write one_liner")' in text
    assert 'raise NotImplementedError("TODO: write Model.forward")' in text
    assert "def _helper(x):\n    return x + 1" in text  # private helpers are plumbing, copied
    assert "__main__" not in text and "x = torch.rand(n)" not in text
    assert [e.name for e in found] == ["data_gen", "one_liner", "Model", "Model.__init__", "Model.forward"]


def test_every_reference_module_stubs_to_valid_python_with_a_todo_per_function():
    for tutorial, path in reference_modules().items():
        text, found = stub_source(path.read_text(), tutorial)
        tree = ast.parse(text)
        funcs = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")
                 or isinstance(n, ast.FunctionDef) and n.name == "__init__"]
        assert funcs and all(TODO_RE.search(ast.unparse(f.body[-1])) for f in funcs), tutorial
    assert len(exercises()) >= 20


def test_stub_prints_one_exercise_to_paste_into_an_older_workspace(capsys):
    assert learn.main(["--stub", "regression.data_gen"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("def data_gen(") and 'raise NotImplementedError("TODO: write data_gen")' in out
    assert learn.main(["--stub", "regression.nope"]) == 2
    assert "regression.nope: no such function or class" in capsys.readouterr().err


def test_a_directory_that_is_not_there_is_a_usage_error(tmp_path, capsys):
    assert learn.main([str(tmp_path / "missing")]) == 2
    assert "is not a directory; create a workspace with `python -m spec learn --init" in \
        capsys.readouterr().err
