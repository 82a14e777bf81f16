"""Exercise stubs (spec/stubs.py): generated from the reference code by AST, signature and docstring
kept, body a TODO; and the --stub / missing-function paths of `python -m spec learn`."""
import ast
import re
import textwrap

import pytest

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


# --- the exercises follow the tutorial (issue 11): its names, its arguments, its words ----------

CHECKED = "so it can be checked."  # how an invented exercise's first docstring line ends


def _seed_texts(request):
    from spec.catalog import load_catalog
    from spec.plugin import seeds_dir
    where = seeds_dir(request.config)
    if where is None:
        pytest.skip("unchecked: the seeds are not configured (TORCH_SPEC_SEEDS or --seeds DIR)")
    return {t.id: "\n".join((where / s).read_text(encoding="utf-8") for s in t.seeds)
            for t in load_catalog().tutorials}


def _top_level(tutorial):
    return {n.name: n for n in ast.parse(reference_modules()[tutorial].read_text()).body
            if isinstance(n, (ast.FunctionDef, ast.ClassDef))}


def test_an_exercise_has_the_tutorials_name_and_arguments_or_its_first_line_says_it_is_ours(request):
    seeds = _seed_texts(request)
    problems = []
    for ex in (e for e in exercises() if e.kind != "method"):
        node = _top_level(ex.tutorial)[ex.name]
        first = (ast.get_docstring(node) or "").splitlines()[0] if ast.get_docstring(node) else ""
        kind = "class" if isinstance(node, ast.ClassDef) else "def"
        found = re.search(rf"^[ \t]*{kind} {ex.name}\((.*?)\)\s*:", seeds[ex.tutorial], re.M | re.S)
        if found is None:
            if not first.endswith(CHECKED):
                problems.append(f"{ex.tutorial}.{ex.name}: not a name of the tutorial's, and its docstring's "
                                f"first line does not say so (end it with '{CHECKED}'): {first!r}")
            continue
        if first.endswith(CHECKED):
            problems.append(f"{ex.tutorial}.{ex.name} is the tutorial's own name: its first line says it is ours")
        if kind == "def":
            theirs = [a.arg for a in ast.parse(f"def f({found.group(1)}): pass").body[0].args.args]
            ours = [a.arg for a in node.args.args]
            if ours != theirs:
                problems.append(f"{ex.tutorial}.{ex.name}({', '.join(ours)}): the tutorial's arguments are "
                                f"({', '.join(theirs)})")
    assert not problems, "\n".join(problems)


def _statements(fn):
    """The lines of code of a reference function's body (its docstring left out), whitespace-normalized;
    a line of 25 characters or more is more than a call the tutorial's words name (loss.backward())."""
    body = fn.body[1:] if ast.get_docstring(fn) else fn.body
    return {" ".join(ln.split()) for stmt in body for ln in ast.unparse(stmt).splitlines()}


def test_a_stubs_docstring_gives_the_contract_not_the_answers_code():
    problems = []
    for tutorial, path in reference_modules().items():
        text, found = stub_source(path.read_text(), tutorial)
        stubs = {n.name: n for n in ast.parse(text).body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
        for name, node in _top_level(tutorial).items():
            if name.startswith("_"):
                continue
            pairs = [(name, node, stubs[name])]
            if isinstance(node, ast.ClassDef):
                methods = {m.name: m for m in stubs[name].body if isinstance(m, ast.FunctionDef)}
                pairs += [(f"{name}.{m.name}", m, methods[m.name]) for m in node.body if isinstance(m, ast.FunctionDef)]
            for qual, ref, stub in pairs:
                doc = " ".join((ast.get_docstring(stub) or "").split())
                if isinstance(ref, ast.ClassDef):
                    code = set().union(*[_statements(m) for m in ref.body if isinstance(m, ast.FunctionDef)] or [set()])
                else:
                    code = _statements(ref)
                given = sorted(ln for ln in code if len(ln) >= 25 and ln in doc
                               and ln not in ("super().__init__()",))
                if given:
                    problems.append(f"{tutorial}.{qual}: its stub's docstring holds the answer's code {given}")
    assert not problems, "\n".join(problems)


def test_the_workspace_header_speaks_to_the_learner_and_hides_the_reference(tmp_path):
    from spec.learn.stubs import write_workspace
    for path in write_workspace(tmp_path / "ws", {}):
        head = path.read_text().split('"""', 1)[0] + path.read_text().split('"""', 2)[1]
        assert "spec/tutorials" not in head and "Generated from" not in head, head
        assert "fixture" not in head and "reference" not in head.lower(), head
