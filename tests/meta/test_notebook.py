"""Learning in a notebook (issue 14): `python -m spec learn --init DIR --notebook [--solved]`, executed by
a real kernel (nbclient + ipykernel, the [notebook] extra).

- a notebook as generated runs to the end and every check cell reads "not written yet";
- the solved notebook (the tutorial's code filled in) shows ✓ at every check cell;
- in one kernel: a learner's exception is the ✗ shown, an endless loop ends at its time limit, the
  corrected cell then passes, a hint on request, an unknown name is a message, never an exception;
- progress is the workspace's progress file, shown by `check()` and `python -m spec learn DIR --list`.

The kernel runs the smallest tutorial's notebook (intro: 6 check cells); the others are generated and
checked cell by cell here, not executed (each takes half a minute or more on this machine). One kernel
serves the module's notebook tests: each starts from an emptied namespace in its notebook's directory.
"""
import re
import sys

import pytest

from spec.catalog import load_catalog
from spec.learn.cli import main
from spec.learn.state import credited, load_state, state_path
from spec.learn.notebook_write import CODE_NOTE_HERE
from spec.learn.stubs import CODE_NOTE, TUTORIALS_DIR, exercises, stub_of

NO_EXTRA = "unchecked: nbclient/ipykernel not installed ([notebook] extra)"
TUTORIAL = "intro"


def _needs(*modules):
    for m in modules:
        try:
            __import__(m)
        except ImportError:
            pytest.skip(NO_EXTRA)


def _notebook(tmp_path, solved=False, name="ws"):
    _needs("nbformat")
    import nbformat
    ws = tmp_path / name
    assert main(["--init", str(ws), "--notebook"] + (["--solved"] if solved else [])) == 0
    return ws, nbformat.read(str(ws / f"{TUTORIAL}.ipynb"), as_version=4)


def _text(cell) -> str:
    out = []
    for o in cell.get("outputs", []):
        assert o["output_type"] != "error", f"{cell.source!r} raised: {o.get('ename')}: {o.get('evalue')}"
        out.append(o.get("text") or o.get("data", {}).get("text/plain", ""))
    return "".join(out)


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    """One kernel for this module's notebooks (starting one, and importing torch and the tests in it, is
    most of a notebook test's time); each test starts from a clean one (`_open`)."""
    _needs("nbformat", "nbclient", "ipykernel")
    import nbformat
    from nbclient import NotebookClient
    client = NotebookClient(nbformat.v4.new_notebook(), timeout=600, kernel_name="python3", shutdown_kernel="immediate",
                            resources={"metadata": {"path": str(tmp_path_factory.mktemp("kernel"))}})
    with client.setup_kernel():
        yield client


def _open(client, nb, ws):
    """Make the kernel as a new one would be for notebook `nb` in `ws`: its namespace emptied (%reset;
    the modules it imported stay imported, as after `import` in a new kernel they would be), its working
    directory the notebook's, timeouts as given; then `nb` is the notebook it executes."""
    import nbformat
    scratch = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        f"%reset -f\nimport os\nos.chdir({str(ws)!r})\ndel os")])
    client.nb, client.timeout, client.interrupt_on_timeout = scratch, 600, False
    client.execute_cell(scratch.cells[0], 0)
    assert not [o for o in scratch.cells[0].outputs if o["output_type"] == "error"], scratch.cells[0].outputs
    client.nb = nb
    return client


def _checks(nb):
    return [c for c in nb.cells if c.cell_type == "code" and re.fullmatch(r'check\("\w+"\)', c.source)]


def _names():
    return [e.name for e in exercises() if e.tutorial == TUTORIAL and e.kind != "method"]


def test_a_notebook_per_tutorial_markdown_stub_and_check_cell_per_exercise(tmp_path):
    ws, nb = _notebook(tmp_path)
    assert sorted(p.name for p in ws.iterdir()) == ["dlwpt.ipynb", "intro.ipynb", "regression.ipynb"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].source.startswith("from spec.learn.notebook import checker\n"
                                     f'check = checker("{TUTORIAL}")')
    assert code[-1].source == "check()"
    catalog = load_catalog()
    claims = credited(catalog)
    for name in _names():
        i = next(i for i, c in enumerate(nb.cells) if c.source == f'check("{name}")')
        md, stub = nb.cells[i - 2], nb.cells[i - 1]
        assert md.cell_type == "markdown" and f"`{name}`" in md.source
        first = catalog.claims[claims[f"{TUTORIAL}:{name}"][0]]
        assert first.section in md.source and " ".join(first.quote.split()) in md.source
        # the workspace's own stub (spec.learn.stubs), its code note in the notebook's words
        assert stub_of(TUTORIAL, name).replace(CODE_NOTE, CODE_NOTE_HERE).strip() in stub.source
        assert 'raise NotImplementedError("TODO' in stub.source


def test_an_exercise_whose_claims_need_a_later_one_is_checked_there(tmp_path):
    _needs("nbformat")
    import nbformat
    ws = tmp_path / "ws"
    assert main(["--init", str(ws), "--notebook"]) == 0
    nb = nbformat.read(str(ws / "dlwpt.ipynb"), as_version=4)
    sources = [c.source for c in nb.cells]
    assert 'check("dloss_dmodel")' not in sources and 'check("grad_fn")' in sources
    assert any("checked by `check(\"grad_fn\")`" in s for s in sources)


def test_the_solved_notebook_holds_the_tutorials_code(tmp_path):
    _, nb = _notebook(tmp_path, solved=True)
    reference = (TUTORIALS_DIR / f"{TUTORIAL}.py").read_text()
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "NotImplementedError" not in code
    body = reference.split("def train_sgd(", 1)[1].split("\ndef ", 1)[0]
    assert body.strip() in code


def test_the_command_line_refuses_misuse_in_one_line(tmp_path, capsys):
    _needs("nbformat")
    ws = tmp_path / "ws"
    assert main(["--init", str(ws), "--notebook"]) == 0
    assert main(["--init", str(ws), "--notebook"]) == 2
    assert "not an empty directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["--solved"])
    assert exc.value.code == 2
    assert "--init DIR --notebook [--solved]" in capsys.readouterr().err
    assert main([str(ws)]) == 2
    assert "holds notebooks: run their check cells" in capsys.readouterr().err
    assert main([str(ws), "--list", "--tutorial", TUTORIAL]) == 0
    out = capsys.readouterr().out
    assert "· training.linear-data" in out and "exercises 0/" in out


def test_as_generated_every_check_cell_reads_not_written_yet_then_a_learners_cells_are_checked(tmp_path, kernel):
    ws, nb = _notebook(tmp_path)
    import nbformat
    client = _open(kernel, nb, ws)
    for i, cell in enumerate(nb.cells):
        client.execute_cell(cell, i)
    checks = _checks(nb)
    assert [c.source for c in checks] == [f'check("{n}")' for n in _names()]
    for cell in checks:
        text = _text(cell)
        assert "not written yet" in text, (cell.source, text)
        assert PASS not in text
        html = "".join(o.get("data", {}).get("text/html", "") for o in cell.outputs)
        assert "<pre" in html and "not written yet" in html
    path = _text(nb.cells[-1])  # check(): the path, where the last check stopped
    assert "· training.linear-data\n" in path and "✗ optim.sgd-same-as-manual   ← you are here" in path

    def run(source):
        cell = nbformat.v4.new_code_cell(source)
        nb.cells.append(cell)
        client.execute_cell(cell, len(nb.cells) - 1)
        return _text(cell)

    run('quick = checker("intro", timeout=1)')
    crash = "def make_linear_data(N=10):\n    return 1 / 0\n"
    run(crash)
    text = run('check("make_linear_data")')
    assert "✗ training.linear-data" in text and "ZeroDivisionError" in text, text
    assert re.search(r"Cell In\[\d+\], line 2 in make_linear_data:\s+return 1 / 0", text), text
    assert 'Stuck? check("make_linear_data", hint=True)' in text
    hinted = run('check("make_linear_data", hint=True)')
    assert "Hint: " in hinted, hinted
    run("def make_linear_data(N=10):\n    while True:\n        pass\n")
    text = run('quick("make_linear_data")')
    assert re.search(r"ran longer than 1 s in make_linear_data \(Cell In\[\d+\], line \d+\)", text), text
    # Jupyter's interrupt (SIGINT to the kernel) while a check runs: said, nothing counted
    run('slow = checker("intro", timeout=60)')
    client.timeout, client.interrupt_on_timeout = 2, True
    text = run('slow("make_linear_data")')
    client.timeout, client.interrupt_on_timeout = 600, False
    assert text.startswith("interrupted") and "nothing" in text and PASS not in text, text
    reference = (TUTORIALS_DIR / "intro.py").read_text()
    start = reference.index("def make_linear_data(")
    run(reference[start:reference.index("\n\n\n", start)])
    text = run('check("make_linear_data")')
    assert "✓ make_linear_data: all 2 of its claims hold for your code" in text, text
    assert "no exercise named 'nope'" in run('check("nope")')
    state = load_state(state_path(ws))
    assert set(credited(load_catalog())["intro:make_linear_data"]) <= set(state["passed"])


PASS = "✓"


def test_the_solved_notebook_shows_a_check_mark_at_every_check_cell(tmp_path, capsys, kernel):
    ws, nb = _notebook(tmp_path, solved=True)
    # a generous time limit: this test is about the verdicts, not about the time limit (above)
    nb.cells[1].source = nb.cells[1].source.replace(f'checker("{TUTORIAL}")', f'checker("{TUTORIAL}", timeout=120)')
    client = _open(kernel, nb, ws)
    for i, cell in enumerate(nb.cells):
        client.execute_cell(cell, i)
    catalog = load_catalog()
    claims = credited(catalog)
    for cell in _checks(nb):
        name = cell.source[7:-2]
        text = _text(cell)
        n = len(claims[f"{TUTORIAL}:{name}"])
        said = "its claim holds" if n == 1 else f"all {n} of its claims hold"
        assert f"✓ {name}: {said} for your code" in text, text
        assert "✗" not in text
    facts = next(c for c in nb.cells if c.source == "check.facts()")
    assert re.search(r"✓ facts about torch in this tutorial: \d+ of \d+ hold on this torch", _text(facts))
    assert "✗" not in _text(facts)
    passed = set(load_state(state_path(ws))["passed"])
    mine = {c for u, ids in claims.items() if u.startswith(TUTORIAL + ":") for c in ids}
    assert mine <= passed
    assert main([str(ws), "--list", "--tutorial", TUTORIAL]) == 0  # the same progress, from the CLI
    out = capsys.readouterr().out
    assert all(f"✓ {c}" in out for c in mine)


def test_without_the_extra_the_kernel_tests_are_unchecked_and_the_cli_says_what_to_install(
        tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "nbclient", None)
    with pytest.raises(pytest.skip.Exception, match=re.escape(NO_EXTRA)):
        _needs("nbformat", "nbclient", "ipykernel")
    monkeypatch.setitem(sys.modules, "nbformat", None)
    assert main(["--init", str(tmp_path / "ws"), "--notebook"]) == 2
    assert 'pip install -e ".[notebook]"' in capsys.readouterr().err
    assert not (tmp_path / "ws").exists()
