"""What a learner reads when a claim fails (review learner-2026-12-01, T7 and F5): only the calls that
matter, numbers in compact form, no advice to use an option learn does not have, one reason per
device, project paths, one-line usage errors; and the progress line's one denominator (F4)."""
import re

import numpy as np
import pytest
import torch

from spec.learn import cli as learn
from spec.learn.explanations import _project_path, describe, without_pytest_advice
from spec.learn.relevance import relevant as _relevant
from spec.learn.recorder import Call, Recorder
from spec.learn.walk import ClaimResult
from tests.meta.test_learn_walk import cli, world, wrong_workspace  # noqa: F401  (fixture)


def test_a_diverged_run_prints_compact_numbers_and_ordinary_ones_keep_four_decimals():
    text = describe(np.array([[-5.128e64], [2.0]]))
    assert text == "numpy array of shape (2, 1), dtype float64: [-5.13e+64, 2.0000]"
    assert describe(torch.tensor([1.0235, 1e-7, float("nan")])) == \
        "tensor of shape (3,), torch.float32, on cpu: [1.0235, 1.00e-07, nan]"


def test_a_tuple_shows_fewer_values_per_element():
    x = np.arange(8.0).reshape(8, 1)
    text = describe((x, x))
    assert text.count("…") == 2 and "3.0000" not in text and "2.0000" in text and len(text) < 240


def test_pytest_advice_to_rerun_with_vv_is_dropped():
    diff = "AssertionError: assert [1, 2] == [1, 3]\n  At index 1 diff: 2 != 3\n" \
           "  ...Full output truncated (3 lines hidden), use '-vv' to show"
    assert without_pytest_advice(diff) == ["AssertionError: assert [1, 2] == [1, 3]",
                                           "  At index 1 diff: 2 != 3", "…"]


def _calls(*specs):
    rec = Recorder()
    for name, seq, raised in specs:  # in the order they returned (or raised)
        rec.record(Call(name, (), {}, result=None if raised else 1.0, seq=seq,
                        raised=TypeError("x") if raised else None))
    return rec


def test_the_exercises_the_check_names_and_the_claims_own_are_listed():
    rec = _calls(("data_gen", 1, False), ("to_tensor", 2, False), ("train_sgd", 3, False))
    assert _relevant(rec, {"data_gen"}, "to_tensor should call .float()") == ["data_gen", "to_tensor", "train_sgd"]
    assert _relevant(rec, {"data_gen", "train_sgd"}, "a should end at 1.0235") == ["data_gen", "train_sgd"]
    assert _relevant(rec, set(), "a should end at 1.0235") == ["train_sgd"]  # the last that returned
    assert _relevant(rec, None) == ["data_gen", "to_tensor", "train_sgd"]


def test_a_call_made_inside_the_call_that_failed_is_listed_one_made_before_it_is_not():
    rec = _calls(("data_gen", 1, False), ("make_train_step", 3, False), ("train_minibatches", 2, True))
    assert _relevant(rec, {"train_minibatches"}, "tutorial.train_minibatches(spy, …)") == \
        ["make_train_step", "train_minibatches"]


def test_a_helper_called_inside_the_named_call_that_returned_is_listed():
    # training_loop_on_device returned normally but never trained: its helper training_loop_nn (started
    # after it, ended before it) returned its argument, and that is what the learner must see
    rec = _calls(("temperature_data", 1, False), ("training_loop_nn", 3, False),
                 ("training_loop_on_device", 2, False))
    said = "training_loop_on_device(1, ...) never called the model"
    assert _relevant(rec, {"training_loop_on_device"}, said) == ["training_loop_nn", "training_loop_on_device"]
    assert _relevant(rec, {"training_loop_on_device"}, "") == ["training_loop_on_device"]  # not named: not opened


def test_a_data_helper_called_on_the_way_is_not_listed(world):
    ws = wrong_workspace(world, '''
        def make_parameters(device):
            data_gen()  # a helper on the way: the claim's test never names it
            return (torch.zeros(1, device=device, requires_grad=True),
                    torch.zeros(1, device=device, requires_grad=True))
    ''')
    code, out = cli(world, [], ws=ws)
    listed = out.split("What your functions returned in this check:")[1].split("\n  (")[0]
    assert code == 1 and "✗ training.fourth" in out
    assert "make_parameters(…) returned tuple of 2" in listed and "data_gen" not in listed


def test_each_devices_reason_is_its_own_and_one_reason_is_said_once():
    both = ClaimResult([("unchecked", "cpu: torchviz is not installed (pip install torchviz)"),
                        ("unchecked", "cuda: CUDA not available")])
    assert both.unchecked_reasons() == ["cpu: torchviz is not installed (pip install torchviz)",
                                        "cuda: CUDA not available"]
    same = ClaimResult([("unchecked", "cpu: timing disabled"), ("unchecked", "cuda: timing disabled")])
    assert same.unchecked_reasons() == ["timing disabled"]
    assert ClaimResult([("unchecked", "seeds not given")]).unchecked_reasons() == ["seeds not given"]


def test_a_test_file_is_named_by_its_project_path_from_any_directory(tmp_path, monkeypatch):
    from spec.__main__ import ROOT
    monkeypatch.chdir(tmp_path)
    assert _project_path(str(ROOT / "tests" / "claims" / "test_regression_data.py")) == \
        "tests/claims/test_regression_data.py"


@pytest.mark.parametrize("argv, said", [
    (["--timeout", "abc"], "argument --timeout: invalid float value: 'abc'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--solved"], "--notebook and --solved go with --init DIR"),
])
def test_a_bad_argument_is_one_line_and_exit_2(capsys, argv, said):
    with pytest.raises(SystemExit) as exit_:
        learn.parse(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and said in err and err.count("\n") == 1 and "usage:" not in err


def test_an_unknown_claim_or_device_is_one_line_and_exit_2(world, capsys):
    assert learn.main([str(world / "ws"), "--from", "bogus.claim"]) == 2
    out, err = capsys.readouterr()
    assert err == "torch-spec learn: --from bogus.claim: no such claim (see `python -m spec learn --list`)\n"
    code, text = cli(world, ["--devices", "bogus"])
    assert code == 2 and text == ("torch-spec learn: --devices bogus: unknown device type bogus; "
                                  "choose from auto, cpu, cuda")


def test_the_progress_denominators_are_the_same_under_from_and_tutorial(world):
    def counts(argv):
        line = next(ln for ln in cli(world, argv)[1].splitlines() if ln.startswith("exercises "))
        return re.findall(r"\d+/(\d+)", line)
    whole = counts([])
    assert len(whole) == 3
    assert counts(["--from", "training.fourth"]) == whole
    assert counts(["--tutorial", "regression"]) == whole


def test_each_devices_reason_survives_the_progress_file():
    from spec.learn.lesson import _statuses, _update
    from spec.catalog import load_catalog
    state = {"passed": {}}
    both = ClaimResult([("unchecked", "cpu: torchviz is not installed"), ("unchecked", "cuda: CUDA not available")])
    _update(load_catalog(), state, {"viz.make-dot": both}, None, None)
    again = _statuses(["viz.make-dot"], {}, state)["viz.make-dot"]
    assert again.unchecked_reasons() == ["cpu: torchviz is not installed", "cuda: CUDA not available"]
    older = _statuses(["viz.make-dot"], {}, {"unchecked": {"viz.make-dot": "seeds not given"}})
    assert older["viz.make-dot"].unchecked_reasons() == ["seeds not given"]


def test_an_input_of_the_call_the_check_names_is_one_short_line():
    x = np.zeros((80, 1))
    rec = Recorder()
    rec.record(Call("data_gen", (), {}, result=(x, x, x, x), seq=1))
    rec.record(Call("to_tensor", (x, "cpu"), {}, result=torch.zeros(80, 1, dtype=torch.float64), seq=2))
    from spec.learn.explanations import _diagnoses
    lines = _diagnoses(rec, "", {"data_gen", "to_tensor"}, "to_tensor should call .float()")
    assert lines == ["data_gen(…) returned tuple of 4, passed on to to_tensor",
                     "to_tensor(…) returned tensor of shape (80, 1), torch.float64, on cpu: "
                     "[0.0000, 0.0000, 0.0000, 0.0000, 0.0000, 0.0000, …]"]


def test_an_exercise_is_done_when_its_claims_passed_or_cannot_be_checked_here_never_when_one_failed():
    # the review's walk ended at "exercises 18/41" with every exercise written: a claim unchecked here
    # (CUDA) held its exercise back for ever
    from spec.catalog import load_catalog
    from spec.learn.state import credited, progress
    catalog = load_catalog()
    unit, claims = next((u, cs) for u, cs in credited(catalog).items() if len(cs) >= 2)

    def done(passed, unchecked=()):
        state = {"passed": {c: "t" for c in passed}, "unchecked": {c: ["cuda: none"] for c in unchecked}}
        return progress(catalog, state, None)["exercises"]
    assert done(claims) == 1
    assert done(claims[1:], unchecked=claims[:1]) == 1
    assert done(claims[1:]) == 0          # the first claim not passed (failed, or not reached yet)
    assert done([], unchecked=claims) == 0  # nothing of it was checked here
