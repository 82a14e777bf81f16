"""The hint lint (`python -m spec lint`): hints are written for learners, not test authors."""
from types import SimpleNamespace

from spec import lint
from spec.catalog import load_catalog

from .conftest import HEADER, claim_toml


def _catalog(tmp_path, *hints):
    text = HEADER + "".join(claim_toml(f"t.c{i}").replace('hint = "Look closely."', f"hint = {h!r}")
                            for i, h in enumerate(hints))
    (tmp_path / "toy.toml").write_text(text)
    return load_catalog(tmp_path)


def test_a_hint_for_test_authors_bare_code_or_naming_no_exercise_is_a_problem(tmp_path):
    cat = _catalog(tmp_path,
                   "Fit the least-squares line and check that the test passes.",  # test talk
                   "torch.from_numpy(x_train).float().to(device)",               # bare code
                   "Start both loops from the same weights (copy the state_dict).",  # no exercise named
                   "In train_sgd, let the optimizer do the update the Optimizer section describes.",
                   "Look at .dim() of a scalar, a vector and a matrix.")            # a fact: fine
    mine = SimpleNamespace(learner_code=True, names={"train_sgd", "data_gen", "__file__"})
    tests = {"t.c2": mine, "t.c3": mine, "t.c4": SimpleNamespace(learner_code=False, names=set())}
    problems = lint.hint_problems(cat, tests, {"train_sgd", "data_gen"})
    assert problems == [
        "t.c0: hint talks to a test author ('the test'): say what the learner looks at or writes",
        "t.c1: hint is bare code (the answer is --show's step): say in words what to look at, or what "
        "to do in which exercise",
        "t.c2: its tests run your code (data_gen, train_sgd) but the hint names none of these exercises",
    ]


def test_an_exercise_named_only_as_an_attribute_does_not_count(tmp_path):
    cat = _catalog(tmp_path, "Look at optimizer.train_sgd and at its result.")
    tests = {"t.c0": SimpleNamespace(learner_code=True, names={"train_sgd"})}
    assert lint.hint_problems(cat, tests, {"train_sgd"}) == [
        "t.c0: its tests run your code (train_sgd) but the hint names none of these exercises"]


def test_every_hint_of_the_real_catalog_is_written_for_learners():
    from spec.learn.testmap import claim_tests, exercise_names
    tests = claim_tests(("tests/claims", "tests/benchmarks"))
    assert lint.hint_problems(load_catalog(), tests, exercise_names()) == []
    # the review's examples (learner-2026-12-01.md, T5) are gone
    cat = load_catalog()
    assert "make_linear_data" in cat.claims["training.noise-shifts-intercept"].hint
    assert "state_dict" not in cat.claims["optim.sgd-same-as-manual"].hint
