"""The replay's verdicts (spec/replay): a difference nobody explains is BROKEN, an explanation must be
the one that happened, missing seeds read unchecked, and no normalisation rule hides a real difference."""
import textwrap

import pytest

from spec.catalog import load_catalog
from spec.replay import compare
from spec.replay.cells import load_cells
from spec.replay.cli import main as replay_main
from spec.replay.extract import tutorial_cells
from spec.replay.verdict import replay_tutorial

from tests.meta.conftest import HEADER, claim_toml

# a Markdown seed (seed 000's format): the trailing `# ...` comments are the printed output
SEED = '''Here tensors are fun.

## Basics
```python
print(2 + 2)
# 5
```

## More
```python
total = sum([1, 2])
print(total)
# 3
```
'''


def _replay(tmp_path, *claims, cells="", seed=SEED, timeout=10, wall=None):
    (tmp_path / "catalog").mkdir(parents=True)
    (tmp_path / "catalog" / "toy.toml").write_text(HEADER + "\n".join(claims or [claim_toml("toy.fun")]))
    (tmp_path / "catalog" / "cells").mkdir()
    (tmp_path / "catalog" / "cells" / "toy.toml").write_text('tutorial = "toy"\n' + textwrap.dedent(cells))
    (tmp_path / "seeds").mkdir()
    (tmp_path / "seeds" / "toy.txt").write_text(seed)
    catalog = load_catalog(tmp_path / "catalog")
    tutorial = catalog.tutorial("toy")
    cells_ = tutorial_cells(tmp_path / "seeds", tutorial.seeds)
    return replay_tutorial(tutorial, cells_, load_cells("toy", tmp_path / "catalog" / "cells"), catalog, timeout, wall)


EXPLAINED_BY = '''
[[cell]]
cell = 0
first = "print(2 + 2)"
explains = ["toy.five"]
got = {{ "toy.five" = "{pattern}" }}
'''


def test_a_cell_that_differs_without_an_explaining_claim_is_broken(tmp_path):
    first, second = _replay(tmp_path)
    assert (first.verdict, second.verdict) == ("BROKEN", "as printed")
    assert first.detail == "differs, and no claim explains it: - 5 | + 4"


def test_an_erratum_explains_the_difference_it_records(tmp_path):
    erratum = claim_toml("toy.five", erratum="2 + 2 is 4.")
    first, _ = _replay(tmp_path, erratum, cells=EXPLAINED_BY.format(pattern="^[45]$"))
    assert (first.verdict, first.claims, first.detail) == ("explained", ["toy.five"], "- 5 | + 4")


def test_an_explanation_of_another_difference_is_broken(tmp_path):
    erratum = claim_toml("toy.five", erratum="2 + 2 is 4.")
    first, _ = _replay(tmp_path, erratum, cells=EXPLAINED_BY.format(pattern="^[56]$"))
    assert first.verdict == "BROKEN" and first.detail == "differs beyond the explanation: + 4"


def test_an_erratum_cell_that_runs_as_printed_is_broken(tmp_path):
    erratum = claim_toml("toy.three", erratum="It does not print 3.")
    cells = '[[cell]]\ncell = 1\nfirst = "total = sum([1, 2])"\nexplains = ["toy.three"]\ngot = { "toy.three" = "3" }\n'
    _, second = _replay(tmp_path, erratum, cells=cells)
    assert second.verdict == "BROKEN" and "runs as printed, but toy.three say(s) it does not" in second.detail


def test_a_version_ranged_claim_explains_only_outside_its_range(tmp_path):
    fails = {"raises": "AssertionError", "match": "5"}
    old = claim_toml("toy.five", holds="<1.0", otherwise="Now 4.", fails=fails)      # this torch is outside: explains
    assert _replay(tmp_path / "a", old, cells=EXPLAINED_BY.format(pattern="^[45]$"))[0].verdict == "explained"
    now = claim_toml("toy.five", holds=">=1.0", otherwise="Was 5.", fails=fails)     # inside: the cell must match
    assert _replay(tmp_path / "b", now, cells=EXPLAINED_BY.format(pattern="^[45]$"))[0].verdict == "BROKEN"


def test_a_name_error_for_a_name_an_explained_cell_failed_to_bind_inherits_its_verdict(tmp_path):
    seed = SEED.replace("print(2 + 2)", "answer = 2 + 2 + missing\nprint(answer)").replace(
        "total = sum([1, 2])", "total = answer")
    erratum = claim_toml("toy.missing", erratum="missing is never defined.")
    cells = ('[[cell]]\ncell = 0\nfirst = "answer = 2 + 2 + missing"\nexplains = ["toy.missing"]\n'
             'got = { "toy.missing" = "^NameError: name \'missing\' is not defined$" }\n')
    first, second = _replay(tmp_path, erratum, cells=cells, seed=seed)
    assert (first.verdict, second.verdict, second.claims) == ("explained", "explained", ["toy.missing"])
    assert second.detail == "depends on cell 0 (explained): name 'answer' is not defined"


def test_a_cell_over_its_time_limit_is_broken_and_the_next_cell_still_runs(tmp_path):
    busy = SEED.replace("print(2 + 2)", "while True:\n    pass")
    first, second = _replay(tmp_path, seed=busy, timeout=0.5)
    assert (first.verdict, first.detail, second.verdict) == ("BROKEN", "timed out", "as printed")


def test_a_cell_blocked_past_the_wall_clock_guard_is_broken(tmp_path):
    blocked = SEED.replace("print(2 + 2)", "import time\ntime.sleep(60)")
    first, second = _replay(tmp_path, seed=blocked, timeout=30, wall=1)
    assert (first.verdict, first.detail) == ("BROKEN", "timed out")
    assert second.verdict == "BROKEN" and "the interpreter was stopped" in second.detail


def test_missing_seeds_read_unchecked_and_exit_0(tmp_path, capsys):
    assert replay_main(["--seeds", str(tmp_path / "nowhere"), "intro"]) == 0
    out = capsys.readouterr().out
    assert "unchecked: seeds not found in" in out and "1 tutorial(s) unchecked" in out
    assert replay_main(["intro", "--seeds", ""]) == 0
    assert "unchecked: seeds not given" in capsys.readouterr().out


def test_the_pytest_item_reads_unchecked_without_seeds_and_broken_on_a_difference(mini, monkeypatch):
    monkeypatch.delenv("TORCH_SPEC_SEEDS", raising=False)
    mini.write_catalog(claim_toml("replay.toy-as-printed"))
    (mini.seeds / "toy.txt").write_text(SEED)
    mini.write_tests('''
        import pytest
        from spec.replay.item import assert_as_printed

        @pytest.mark.claim("replay.toy-as-printed")
        def test_replay(request):
            assert_as_printed(request, "toy")
    ''')
    result = mini.run("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines(["*unchecked: seeds not given*"])
    result, report = mini.report("--seeds", str(mini.seeds))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*toy: 1 cell(s) BROKEN*", "*cell 0 ('print(2 + 2)'): differs, and no claim*"])
    (entry,) = report["claims"]  # the claims report carries the per-cell verdicts
    assert [c["verdict"] for c in entry["cells"]][0] == "BROKEN" and entry["cells"][0]["tutorial"] == "toy"


# --- every normalisation rule lets its variation through and still sees a real difference ----------

def _same(printed, actual, **kw):
    kw.setdefault("fmt", "markdown")
    tail = "tail" in kw.get("rules", ())
    return not compare.differences(compare.normalise(printed, printed_side=True, **kw),
                                   compare.normalise(actual, **kw), tail=tail)


@pytest.mark.parametrize("printed, actual, same, kw", [
    # trailing-whitespace
    ("tensor([1.])  \n\n", "tensor([1.])", True, {}),
    ("tensor([1.])", " tensor([1.])", False, {}),
    # blank-runs (notebook exports): the separator between stream and value, not a repr's blank line
    ("Epoch 1\n\n\n\n\n(tensor(4.8021),)", "Epoch 1\n(tensor(4.8021),)", True, {"fmt": "notebook"}),
    ("tensor([[[1]],\n\n        [[2]]])", "tensor([[[1]],\n        [[2]]])", False, {"fmt": "notebook"}),
    ("Epoch 1\n\n\n(tensor(4.8021),)", "Epoch 1\n(tensor(4.8022),)", False, {"fmt": "notebook"}),
    # warning-location: where it was raised, not what it says
    ("/home/u/x.py:1: UserWarning: Named tensors are experimental (Triggered internally at /a/b.h:8.)\n"
     '  """Entry point"""', "UserWarning: Named tensors are experimental", True, {}),
    ("/home/u/x.py:1: UserWarning: Named tensors are experimental", "UserWarning: Named tensors are stable",
     False, {}),
    ("/home/u/x.py:1: UserWarning: a", "FutureWarning: a", False, {}),
    # address: only the address of a default repr
    ("<torch.utils.data.dataloader.DataLoader at 0x7f465d7ea090>",
     "<torch.utils.data.dataloader.DataLoader at 0x7f00aa>", True, {"rules": ["address"]}),
    ("<torch.utils.data.dataloader.DataLoader at 0x7f465d7ea090>",
     "<torch.utils.data.DataLoader2 at 0x7f465d7ea090>", False, {"rules": ["address"]}),
    ("(<PIL.Image.Image image mode=RGB size=32x32 at 0x7F465D7E0ED0>, 4)",
     "(<PIL.Image.Image image mode=L size=32x32 at 0x11>, 4)", False, {"rules": ["address"]}),
    ("value 0x1f", "value 0x2f", False, {"rules": ["address"]}),
    ("<a.B at 0x1f>", "<a.B at 0x2f>", False, {}),                      # not named for the cell: no rule
    # cuda-device: run on CUDA, the tutorial printed CPU output
    ("tensor([1.])", "tensor([1.], device='cuda:0')", True, {"on_cuda": True}),
    ("torch.FloatTensor", "torch.cuda.FloatTensor", True, {"on_cuda": True}),
    ("tensor([1.])", "tensor([2.], device='cuda:0')", False, {"on_cuda": True}),
    ("tensor([1.])", "tensor([1.], device='cuda:0')", False, {}),       # not run on CUDA: no rule
    # ordereddict-repr: Python 3.12 prints OrderedDict as a dict
    ("OrderedDict([('a', tensor([0.3367])), ('b', tensor([0.1288]))])",
     "OrderedDict({'a': tensor([0.3367]), 'b': tensor([0.1288])})", True, {}),
    ("OrderedDict([('a', tensor([0.3367])), ('b', tensor([0.1288]))])",
     "OrderedDict({'a': tensor([0.3367]), 'b': tensor([0.1289])})", False, {}),
    ("OrderedDict([('a', tensor([0.3367])), ('b', tensor([0.1288]))])",
     "OrderedDict({'b': tensor([0.1288]), 'a': tensor([0.3367])})", False, {}),
    # tail: the page shows the last line(s) of a long output
    ("tensor([1.0235])", "tensor([-2.])\ntensor([1.0235])", True, {"rules": ["tail"]}),
    ("tensor([1.0235])", "tensor([1.0235])\ntensor([-2.])", False, {"rules": ["tail"]}),
    # unseeded: other numbers, same shape, dtype and format
    ("tensor([[-1.4850, -0.8921],\n        [-0.4044, -0.0816]])",
     "tensor([[ 1.6811,  2.0853],\n        [-0.3511,  1.3173]])", True, {"rules": ["unseeded"]}),
    ("tensor([11.1664, 17.0082,\n        14.8392])", "tensor([-1.1664, -7.0082, -4.8392])", True,
     {"rules": ["unseeded"]}),
    ("tensor([[-1.4850, -0.8921]])", "tensor([[-1.4850, -0.8921, 0.1]])", False, {"rules": ["unseeded"]}),
    ("tensor([[-1.4850, -0.8921]])", "tensor([[-1.4850], [-0.8921]])", False, {"rules": ["unseeded"]}),
    ("tensor([1.5000])", "tensor([1.5000], dtype=torch.float64)", False, {"rules": ["unseeded"]}),
    ("tensor([1.5000])", "tensor([nan])", False, {"rules": ["unseeded"]}),
    ("Epoch 100, Loss 22.148710", "Epoch 100, Loss 22.148710, nan", False, {"rules": ["unseeded"]}),
])
def test_a_rule_lets_its_variation_through_and_not_a_real_difference(printed, actual, same, kw):
    assert _same(printed, actual, **kw) is same


@pytest.mark.parametrize("printed, actual, explained", [
    ("Epoch 1000, Loss 2.927647", "Epoch 1000, Loss 2.927645", True),
    ("Epoch 1000, Loss 2.927647", "Epoch 1000, Loss 2.927047", False),
    ("Epoch 1000, Loss 2.927647", "Epoch 1001, Loss 2.927647", False),
    ("Epoch 1000, Loss 2.927647", "Epoch 1000, Loss: 2.927647", False),
])
def test_a_tolerance_explains_only_numbers_that_close_in(printed, actual, explained):
    from spec.replay.verdict import explain
    ok, _ = explain(compare.differences([printed], [actual]), ["c.x"], {"c.x": 1e-5})
    assert ok is explained
