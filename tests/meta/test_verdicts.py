"""Outside its `holds` range a claim reads "changed" only if its tests fail the recorded way
(`fails = { raises, match }`); any other failure, and a pass, is BROKEN naming both."""
import pytest

from .conftest import claim_toml

OLD = claim_toml("t.old", holds="<1.0", otherwise="It changed in 1.0.")  # torch is never < 1.0 here
RECORDED = 'fails = { raises = "AssertionError", match = "assert 2.0 == 3" }\n'
TEST = '''
import pytest, torch
@pytest.mark.claim("t.old")
def test_old(device):
    BODY
'''


def _run(mini, body, fails=RECORDED, *args):
    mini.write_catalog(OLD + fails)
    mini.write_tests(TEST.replace("BODY", body))
    result, report = mini.report("--devices", "cpu", "--claims-table", *args)
    (entry,) = report["claims"]
    return result, entry["status"]["cpu"], entry.get("details", {}).get("cpu", "")


def test_the_recorded_failure_reads_changed(mini):
    result, status, detail = _run(mini, "assert torch.ones(2, device=device).sum().item() == 3")
    assert (result.ret, status) == (0, "changed")
    assert "It changed in 1.0." in detail


def test_a_subclass_of_the_recorded_type_with_the_recorded_message_reads_changed(mini):
    body = "class Sub(AssertionError): pass\n    raise Sub('assert 2.0 == 3, from a subclass')"
    assert _run(mini, body)[1] == "changed"


def test_another_exception_type_is_broken_naming_both(mini):
    result, status, detail = _run(mini, "undefined_name_of_a_learner")
    assert (result.ret, status) == (pytest.ExitCode.TESTS_FAILED, "broken")
    assert detail.startswith("not the recorded failure: got NameError: name 'undefined_name_of_a_learner' is "
                             "not defined; recorded AssertionError matching 'assert 2.0 == 3' "
                             "(outside holds <1.0 on torch ")
    result.stdout.fnmatch_lines(["*- torch-spec -*", "not the recorded failure: got NameError*",
                                 "  Basics · t.old  cpu: BROKEN — not the recorded failure: got NameError*"])


def test_the_recorded_type_with_another_message_is_broken(mini):
    result, status, detail = _run(mini, "assert torch.ones(2, device=device).sum().item() == 4")
    assert (result.ret, status) == (pytest.ExitCode.TESTS_FAILED, "broken")
    assert detail.startswith("not the recorded failure: got AssertionError: assert 2.0 == 4; "
                             "recorded AssertionError matching 'assert 2.0 == 3'")


def test_a_pass_outside_the_range_is_broken_xpass(mini):
    result, status, detail = _run(mini, "assert torch.ones(2, device=device).sum().item() == 2")
    assert (result.ret, status) == (pytest.ExitCode.TESTS_FAILED, "broken")
    assert detail.startswith("[XPASS(strict)] passed outside holds <1.0 on torch ")
    assert "where it is recorded to fail with AssertionError matching 'assert 2.0 == 3'" in detail


def test_an_error_in_a_fixture_is_broken_not_changed(mini):
    mini.write_catalog(OLD + RECORDED)
    mini.write_tests('''
        import pytest
        @pytest.fixture
        def broken_setup():
            raise RuntimeError("the fixture failed")
        @pytest.mark.claim("t.old")
        def test_old(broken_setup):
            assert False
    ''')
    result, report = mini.report()
    assert report["claims"][0]["status"] == {"any": "broken"}
    assert "got RuntimeError: the fixture failed; recorded AssertionError" in report["claims"][0]["details"]["any"]


def test_the_report_and_every_verdict_with_its_text_survive_xdist(mini, no_cuda):
    pytest.importorskip("xdist")
    # one inner xdist session (a worker start costs an import of torch), one claim per verdict
    mini.write_catalog(OLD + RECORDED, OLD.replace('"t.old"', '"t.old2"') + RECORDED, claim_toml("t.new"))
    mini.write_tests(TEST.replace("BODY", "undefined_name_of_a_learner")
                     + TEST.replace('"t.old"', '"t.old2"').replace("test_old", "test_old2").replace(
                         "BODY", "assert torch.ones(2, device=device).sum().item() == 3")
                     + TEST.replace('"t.old"', '"t.new"').replace("test_old", "test_new").replace(
                         "BODY", "assert torch.ones(2, device=device).sum().item() == 2"))
    result, report = mini.report("--devices", "cpu", "-n", "1")
    assert result.ret == pytest.ExitCode.TESTS_FAILED  # the broken one
    broken, changed, holds = report["claims"]
    assert (broken["id"], broken["status"]) == ("t.old", {"cpu": "broken"})
    assert broken["details"]["cpu"].startswith("not the recorded failure: got NameError")
    assert (changed["id"], changed["status"]) == ("t.old2", {"cpu": "changed"})
    assert "It changed in 1.0." in changed["details"]["cpu"]
    assert (holds["id"], holds["status"]) == ("t.new", {"cpu": "holds"})


def test_inside_the_range_nothing_changes(mini):
    mini.write_catalog(claim_toml("t.new", holds=">=1.0", otherwise="Before 1.0 it was otherwise.") + RECORDED)
    mini.write_tests(TEST.replace('"t.old"', '"t.new"').replace("BODY", "assert 2 == 3"))
    result, report = mini.report("--devices", "cpu")
    assert report["claims"][0]["status"] == {"cpu": "broken"}
    assert report["claims"][0]["details"]["cpu"].startswith("assert 2 == 3")


LEARNER_CODE = [
    ("def two():\n    return 2\n", "changed"),                        # the recorded failure
    ("def two():\n    return undefined_helper()\n", "broken"),        # the learner's own error
]
LEARNER_TEST = 'import pytest\n@pytest.mark.claim("t.old")\ndef test_old(tutorial):\n    assert tutorial.two() == 3\n'


def _learner_world(mini, code):
    workspace = mini.pytester.mkdir("workspace")
    (workspace / "toy.py").write_text(code)
    mini.write_catalog(OLD + 'fails = { raises = "AssertionError", match = "assert 2 == 3" }\n')
    mini.write_tests(LEARNER_TEST)
    return workspace


@pytest.mark.parametrize("learner_code, status", LEARNER_CODE, ids=["recorded", "learners-own-error"])
def test_in_learner_mode_the_learners_own_error_is_a_failure(mini, learner_code, status):
    result, report = mini.report("--learner", str(_learner_world(mini, learner_code)))
    assert report["claims"][0]["status"] == {"any": status}
    if status == "broken":
        assert "got NameError: name 'undefined_helper' is not defined" in report["claims"][0]["details"]["any"]


@pytest.mark.parametrize("learner_code, status", LEARNER_CODE, ids=["recorded", "learners-own-error"])
def test_the_learn_walk_counts_the_learners_own_error_as_a_failure(mini, learner_code, status):
    from spec.learn.walk import run_walk
    workspace = _learner_world(mini, learner_code)
    walk, _, _ = run_walk(["t.old"], str(workspace), paths=[str(mini.pytester.path / "test_toy.py")],
                          extra=["--catalog", str(mini.catalog), "-p", "spec.plugin", "--import-mode=importlib"])
    assert walk.results["t.old"].status == {"changed": "changed", "broken": "failed"}[status]
