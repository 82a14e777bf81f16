"""Learner mode on a small synthetic catalog: the walk, its messages, the workspace and its state.

The tests run `spec.learn.run_walk` in-process (as `python -m spec learn` does) on a catalog and a test
file written into tmp_path, against the real reference module spec/tutorials/regression.py and a
workspace of its stubs.
"""
import json
import textwrap
from pathlib import Path

import pytest

from spec.learn import cli as learn
from spec.learn import walk as walk_mod
from spec.learn.watcher import watch
from spec.catalog import load_catalog
from spec.learn.stubs import TUTORIALS_DIR, write_workspace

CATALOG = '''
[tutorial]
id = "regression"
title = "Understanding PyTorch with an example"
seeds = ["000_5e7b58b47e6d2300.txt"]

[[claim]]
id = "tensors.first"
section = "Tensors"
quote = "first quote"
says = "Zeros sum to zero."
hint = "Sum them."

[[claim]]
id = "data.second"
section = "Data Generation"
quote = "second quote"
says = "data_gen gives 80 training points."
hint = "Split 80/20."

[[claim]]
id = "devices.cuda-only"
section = "Data Generation"
quote = "third quote"
says = "Something only a GPU shows."
hint = "Find a GPU."
devices = ["cuda"]

[[claim]]
id = "training.fourth"
section = "Creating Parameters"
quote = "fourth quote"
says = "Seeded with 42, a starts at 0.3367."
hint = "torch.manual_seed(42) before randn."
erratum = "An erratum, for the summary."
'''

TESTS = '''
import pytest
import torch
from torch.testing import assert_close

claim = pytest.mark.claim


@claim("data.second")
def test_second_in_catalog_first_in_file(tutorial):
    x_train, y_train, x_val, y_val = tutorial.data_gen()
    assert x_train.shape == (80, 1)


@claim("tensors.first")
def test_first(device):
    assert torch.zeros(2, device=device).sum().item() == 0


@claim("devices.cuda-only")
def test_cuda_only(device):
    assert torch.ones(1, device=device).device.type == "cuda"


@claim("training.fourth")
def test_fourth(tutorial, device):
    a, b = tutorial.make_parameters(device)
    assert_close(a.detach(), torch.tensor([0.3367], device=device), atol=5e-5, rtol=0)
'''

MAKE_PARAMETERS_WRONG = '''
def make_parameters(device):
    return device, device
'''


@pytest.fixture
def world(tmp_path):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "regression.toml").write_text(CATALOG)
    (tmp_path / "claims").mkdir()
    (tmp_path / "claims" / "test_walk_claims.py").write_text(TESTS)
    ws = tmp_path / "ws"
    write_workspace(ws, {})
    return tmp_path


def walk(world, learner, **kw):
    catalog = load_catalog(world / "catalog")
    ids = list(catalog.claims)
    extra = ["--catalog", str(world / "catalog"), "-p", "spec.plugin", "--import-mode=importlib"]
    return walk_mod.run_walk(ids, learner, paths=[str(world / "claims")], extra=extra, **kw)


def todo_line(ws: Path, name: str) -> int:
    lines = (ws / "regression.py").read_text().splitlines()
    return next(i for i, ln in enumerate(lines, 1) if f'"TODO: write {name}"' in ln)


def args_for(world, argv, learner=True, ws=None):
    """The parsed `python -m spec learn [ws] ARGV`, walking the synthetic catalog and tests."""
    args = learn.parse(([str(ws or world / "ws")] if learner else []) + list(argv))
    args.paths = [str(world / "claims")]
    args.extra = ["--catalog", str(world / "catalog"), "-p", "spec.plugin", "--import-mode=importlib"]
    return args


def cli(world, argv, learner=True, ws=None, poll=None):
    """Run `python -m spec learn [ws] ARGV` on the synthetic catalog; returns (exit code, text)."""
    lines = []
    code = learn.learn_once(args_for(world, argv, learner, ws), load_catalog(world / "catalog"),
                            write=lines.append, poll=poll)
    return code, "\n".join(lines)


def wrong_workspace(world, code: str) -> Path:
    """The reference module with one function redefined (a learner's wrong answer) at its end."""
    ref = TUTORIALS_DIR / "regression.py"
    ws = world / "wrong"
    ws.mkdir()
    (ws / "regression.py").write_text(ref.read_text() + "\n" + textwrap.dedent(code))
    return ws


def test_walk_follows_catalog_order_and_stops_at_the_first_failing_claim(world):
    w, code, _ = walk(world, str(world / "ws"))
    assert list(w.results) == ["tensors.first", "data.second"]  # catalog order, not file order
    assert w.results["data.second"].status == "failed"
    assert "training.fourth" not in w.results  # not run: the walk stopped


def test_a_stub_reads_not_written_yet_with_file_and_line(world):
    w, _, output = walk(world, str(world / "ws"))
    line = todo_line(world / "ws", "data_gen")
    expected = f"not written yet: TODO in {world / 'ws'}/regression.py:{line} (data_gen)"
    assert w.results["data.second"].explanation["todo"] == expected
    assert expected in output and "Traceback" not in output  # plain pytest --learner output too


def test_the_reference_passes_and_unchecked_is_never_counted(world):
    code, text = cli(world, [], learner=False)
    assert code == 0
    assert "your claims 2/2 · facts checked along the way 1/2 (1 unchecked here, not counted)" in text
    assert "· unchecked here, skipped over: devices.cuda-only — CUDA not available" in text
    assert "Where the tutorial itself was wrong or outdated" in text
    assert "training.fourth: An erratum, for the summary." in text


def test_the_failing_claim_is_shown_with_tutorial_section_quote_and_progress(world):
    code, text = cli(world, [])
    assert code == 1
    assert ("your claims 0/2 · facts checked along the way 1/2 · Understanding PyTorch with an example"
            " › Data Generation") in text
    assert "✗ data.second   (Understanding PyTorch with an example › Data Generation)" in text
    assert "The tutorial says: “second quote”" in text
    assert "What is true:      data_gen gives 80 training points." in text
    assert f"not written yet: TODO in {world / 'ws'}/regression.py:" in text
    assert "Hint:" not in text and "--hint" in text


def test_hint_shows_the_claims_hint(world):
    ws = wrong_workspace(world, """
        def data_gen():
            x = np.zeros((100, 1))
            return x, x, x, x
    """)
    code, text = cli(world, ["--hint"], ws=ws)
    assert code == 1 and "Hint: Split 80/20." in text


def test_hint_on_an_exercise_still_a_todo_is_about_writing_it(world):
    code, text = cli(world, ["--hint"])
    hint = " ".join(text.split("Hint: ", 1)[1].split("Still stuck?")[0].split())
    assert code == 1 and hint.startswith("data_gen is not written yet, and this claim runs it")
    assert "Its docstring says: Synthetic data, split into train and validation sets." in hint
    assert "“Data Generation” section shows how" in hint
    assert "Split 80/20." not in hint  # the claim's own hint is about its check, not about data_gen


def test_a_returned_argument_is_named_and_expected_vs_got_spelled_out(world):
    ws = wrong_workspace(world, MAKE_PARAMETERS_WRONG)
    w, _, _ = walk(world, str(ws))
    expl = w.results["training.fourth"].explanation
    assert expl["calls"] == ["make_parameters(…) returned its argument `device` unchanged (inside what "
                             "it returned): 'cpu'; it returned tuple of 2: 'cpu'; 'cpu'"]
    assert expl["your_lines"] == []  # the failure is in the test: the learner's code ran fine
    assert "a.detach()" in expl["test_line"] and "AttributeError" in expl["error"]


def test_a_constant_answer_shows_expected_and_got_values(world):
    ws = wrong_workspace(world, '''
        def make_parameters(device):
            return (torch.zeros(1, device=device, requires_grad=True),
                    torch.zeros(1, device=device, requires_grad=True))
    ''')
    w, _, _ = walk(world, str(ws))
    expl = w.results["training.fourth"].explanation
    assert expl["expected"] == "tensor of shape (1,), torch.float32, on cpu: [0.3367]"
    assert expl["got"] == "tensor of shape (1,), torch.float32, on cpu: [0.0000]"
    assert any(c.startswith("make_parameters(…) returned tuple of 2: tensor of shape (1,)")
               for c in expl["calls"])


def test_a_missing_return_is_named(world):
    ws = wrong_workspace(world, '''
        def make_parameters(device):
            torch.manual_seed(42)
            a = torch.randn(1, requires_grad=True, device=device)
            b = torch.randn(1, requires_grad=True, device=device)
    ''')
    w, _, _ = walk(world, str(ws))
    assert ("make_parameters(…) returned None: the tutorial's version returns a value "
            "(a missing `return`?)") in w.results["training.fourth"].explanation["calls"]


def test_a_file_that_does_not_parse_is_named_with_its_line(world):
    ws = wrong_workspace(world, "def make_parameters(device:\n    pass\n")
    w, _, _ = walk(world, str(ws))
    err = w.results["data.second"].explanation["error"]
    assert f"{ws}/regression.py:" in err and "your file is not valid Python" in err


def test_progress_lives_beside_the_workspace_and_the_current_claim_is_rechecked_first(world):
    ws = world / "ws"
    before = {p.name: p.read_text() for p in ws.iterdir()}
    cli(world, [])
    state = json.loads((world / "ws.torch-spec-progress.json").read_text())
    assert state["current"] == "data.second" and "tensors.first" in state["passed"]
    assert {p.name: p.read_text() for p in ws.iterdir()} == before  # the learner's files untouched
    code, text = cli(world, [])
    assert code == 1 and "(rechecked the claim you are on;" in text


def test_list_marks_done_failing_and_not_reached(world):
    code, text = cli(world, ["--list"])
    assert "    ✓ tensors.first" in text
    assert "    ✗ data.second   ← you are here" in text
    assert "    · training.fourth" in text


def test_tutorial_and_from_narrow_the_path(world):
    code, text = cli(world, ["--from", "training.fourth", "--list"])
    assert "tensors.first" not in text and "    ✗ training.fourth   ← you are here" in text
    with pytest.raises(SystemExit, match="--from nope: no such claim"):
        cli(world, ["--from", "nope"])


def test_init_refuses_a_non_empty_directory(world, capsys):
    before = (world / "ws" / "regression.py").read_text()
    assert learn.main(["--init", str(world / "ws")]) == 2
    assert "is not an empty directory: --init never overwrites" in capsys.readouterr().err
    assert (world / "ws" / "regression.py").read_text() == before


def test_watch_reruns_when_a_file_is_saved(world):
    args = args_for(world, ["--watch"])
    args.warm = False
    ref = (TUTORIALS_DIR / "regression.py").read_text()
    lines = []

    def write(line):
        lines.append(line)
        if line.startswith("watching") and sum(ln.startswith("watching") for ln in lines) == 1:
            (world / "ws" / "regression.py").write_text(ref)  # the learner saves a full answer

    code = watch(args, load_catalog(world / "catalog"), interval=0.05, write=write, max_runs=2)
    text = "\n".join(lines)
    assert code == 0 and "saved: regression.py" in text
    assert text.index("✗ data.second") < text.index("✓ data.second: data_gen gives 80") 


def test_a_function_missing_from_an_older_workspace_says_how_to_add_it(world):
    import ast
    ref = (TUTORIALS_DIR / "regression.py").read_text()
    node = next(n for n in ast.parse(ref).body if getattr(n, "name", "") == "make_parameters")
    lines = ref.splitlines()
    ws = world / "old"
    ws.mkdir()
    (ws / "regression.py").write_text("\n".join(lines[:node.lineno - 1] + lines[node.end_lineno:]))
    w, _, _ = walk(world, str(ws))
    assert w.results["training.fourth"].explanation["todo"] == (
        "not in your workspace yet: regression.make_parameters (the tutorial code gained it after your "
        "--init); add its stub with: python -m spec learn --stub regression.make_parameters "
        f">> {ws}/regression.py")


def test_an_error_inside_the_learners_code_shows_their_line(world):
    ws = wrong_workspace(world, '''
        def make_parameters(device):
            a = torch.randn(1, device=device)
            return a @ torch.randn(2, 2, device=device), a
    ''')
    w, _, _ = walk(world, str(ws))
    expl = w.results["training.fourth"].explanation
    line = next(i for i, ln in enumerate((ws / "regression.py").read_text().splitlines(), 1)
                if "return a @ torch.randn(2, 2" in ln)
    assert expl["your_lines"] == [f"{ws}/regression.py:{line} in make_parameters:  "
                                  "return a @ torch.randn(2, 2, device=device), a"]
    assert expl["error"].startswith("RuntimeError:")
