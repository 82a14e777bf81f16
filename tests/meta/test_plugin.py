"""The plugin's rules, each shown failing when it should (pytester runs a toy project in-process)."""
from pathlib import Path

import pytest

from .conftest import claim_toml

PASSING = '''
import pytest, torch
@pytest.mark.claim("t.one")
def test_one(device):
    assert torch.ones(2, device=device).sum().item() == 2
'''


def test_unknown_claim_id_fails_collection(mini):
    mini.write_catalog(claim_toml("t.one"))
    mini.write_tests(PASSING.replace('"t.one"', '"t.nope"'))
    result = mini.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_toy.py::test_one*unknown claim id 't.nope'*"])


def test_a_test_without_claim_in_claim_paths_fails_collection(mini):
    mini.write_catalog(claim_toml("t.one"))
    mini.pytester.makeini("[pytest]\nclaim_paths = .\n")
    mini.write_tests("def test_orphan():\n    assert True\n")
    result = mini.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_orphan: no @pytest.mark.claim*"])


def test_a_malformed_catalog_is_a_usage_error_naming_the_claim(mini):
    mini.write_catalog(claim_toml("t.one", holds="<2"))
    mini.write_tests(PASSING)
    result = mini.run()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*toy.toml: claim #1 't.one': 'holds' needs 'otherwise'*"])


def test_claims_that_pass_hold_on_each_device(mini, no_cuda):
    mini.write_catalog(claim_toml("t.one"))
    mini.write_tests(PASSING)
    result, report = mini.report()
    assert result.ret == 0
    (entry,) = report["claims"]
    assert entry["status"] == {"cpu": "holds", "cuda": "unchecked"}
    assert entry["details"] == {"cuda": "CUDA not available" + entry["details"]["cuda"][len("CUDA not available"):]}
    assert report["summary"] == {"holds": 1, "changed": 0, "erratum": 0, "broken": 0, "unchecked": 1}
    result.stdout.fnmatch_lines(["torch-spec: 1 hold · 0 changed · 0 errata · 0 broken · 1 unchecked "
                                 "(1 of them on cuda: CUDA not available*)"])


def test_an_erratum_that_passes_reports_erratum(mini):
    mini.write_catalog(claim_toml("t.wrong", erratum="The tutorial says 3; it is 2."))
    mini.write_tests(PASSING.replace('"t.one"', '"t.wrong"'))
    result, report = mini.report("--devices", "cpu", "--claims-table")
    assert result.ret == 0 and report["claims"][0]["status"] == {"cpu": "erratum"}
    result.stdout.fnmatch_lines(["toy — A toy tutorial", "  Basics · t.wrong * cpu: erratum — The tutorial says 3*"])


def test_an_unexpected_failure_is_broken_with_its_failure_text(mini):
    mini.write_catalog(claim_toml("t.one"))
    mini.write_tests(PASSING.replace("== 2", "== 3"))
    result, report = mini.report("--devices", "cpu", "--claims-table")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert report["claims"][0]["status"] == {"cpu": "broken"}
    assert report["claims"][0]["details"]["cpu"].startswith("AssertionError: assert 2.0 == 3")
    result.stdout.fnmatch_lines(["  Basics · t.one * cpu: BROKEN — AssertionError: assert 2.0 == 3*",
                                 "torch-spec: 0 hold · 0 changed · 0 errata · 1 broken · 0 unchecked"])


def test_a_missing_optional_dependency_is_unchecked(mini):
    mini.write_catalog(claim_toml("t.viz"))
    mini.write_tests('import pytest\n@pytest.mark.claim("t.viz")\ndef test_viz():\n'
                     '    pytest.importorskip("no_such_pkg", reason="unchecked: no_such_pkg not installed")\n')
    result, report = mini.report()
    assert report["claims"][0]["status"] == {"any": "unchecked"}
    assert report["claims"][0]["details"] == {"any": "no_such_pkg not installed"}


def test_naming_an_absent_device_is_a_one_line_usage_error(mini, no_cuda):
    mini.write_catalog(claim_toml("t.one"))
    mini.write_tests(PASSING)
    result = mini.run("--devices", "cpu,cuda")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --devices cpu,cuda: cuda was requested but CUDA not available*"])
    assert mini.run("--devices", "tpu").ret == pytest.ExitCode.USAGE_ERROR


def test_a_device_only_claim_runs_only_there(mini, no_cuda):
    mini.write_catalog(claim_toml("t.gpu", devices=["cuda"]))
    mini.write_tests(PASSING.replace('"t.one"', '"t.gpu"'))
    result, report = mini.report("-v")
    result.stdout.fnmatch_lines(["*test_one?cuda? SKIPPED (unchecked: CUDA not available*"])
    assert report["claims"][0]["status"] == {"cuda": "unchecked"}
    result, report = mini.report("--devices", "cpu")
    assert report["claims"][0]["details"] == {"cuda": "cuda not selected (--devices cpu)"}


def test_global_torch_state_is_restored_after_each_test(mini):
    mini.write_catalog(claim_toml("t.one"))
    mini.write_tests('''
        import pytest, torch
        @pytest.mark.claim("t.one")
        def test_a_changes_everything():
            torch.manual_seed(0); torch.set_default_dtype(torch.float64); torch.set_grad_enabled(False)
            torch.use_deterministic_algorithms(True); torch.set_anomaly_enabled(True); torch.set_warn_always(True)
            torch.__future__.set_overwrite_module_params_on_conversion(True)
        @pytest.mark.claim("t.one")
        def test_b_sees_the_defaults():
            assert torch.get_default_dtype() == torch.float32 and torch.is_grad_enabled()
            assert not torch.are_deterministic_algorithms_enabled() and not torch.is_anomaly_enabled()
            assert not torch.is_warn_always_enabled()
            assert not torch.__future__.get_overwrite_module_params_on_conversion()
    ''')
    torch = pytest.importorskip("torch")
    before = torch.random.get_rng_state()
    assert mini.run().ret == 0
    assert torch.equal(torch.random.get_rng_state(), before)


def test_the_tutorial_fixture_returns_the_claims_tutorial_module(mini):
    mini.write_catalog(claim_toml("t.one"), header='[tutorial]\nid = "regression"\ntitle = "R"\nseeds = ["toy.txt"]\n')
    mini.write_tests('import pytest\n@pytest.mark.claim("t.one")\n'
                     'def test_t(tutorial):\n    assert tutorial.__name__ == "spec.tutorials.regression"\n')
    assert mini.run().ret == 0


# The report under xdist (holds, changed and broken, with their texts): test_verdicts.py, in one inner
# xdist session (each costs a worker's import of torch).


def test_k_selects_by_claim_id_and_tutorial(mini):
    mini.write_catalog(claim_toml("t.one"), claim_toml("u.two"))
    mini.write_tests(PASSING + PASSING.replace('"t.one"', '"u.two"').replace("test_one", "test_two"))
    assert mini.run("--devices", "cpu", "-k", "u.two").parseoutcomes() == {"passed": 1, "deselected": 1}
    assert mini.run("--devices", "cpu", "-k", "toy").parseoutcomes() == {"passed": 2}


def test_claim_marker_errors_are_the_same_usage_error_under_xdist(mini):
    pytest.importorskip("xdist")
    mini.write_catalog(claim_toml("t.one"))
    mini.pytester.makeini("[pytest]\nclaim_paths = .\n")
    mini.write_tests(PASSING.replace('"t.one"', '"t.nope"') + "def test_orphan():\n    assert True\n")
    result = mini.run("-n", "2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: claim marker errors:", "*test_toy.py::test_one*unknown claim id 't.nope'*",
                                 "*test_orphan: no @pytest.mark.claim*"])
    assert "INTERNALERROR" not in result.stdout.str() + result.stderr.str()


@pytest.mark.parametrize("where, message", [
    ("a_dir", "is a directory (give a file name, e.g. out.json)"),
    ("a_file/report.json", "*a_file is not a directory"),
    ("/proc/torch-spec/report.json", "cannot write in /proc*"),
])
def test_an_unwritable_claims_report_is_a_usage_error_before_running(mini, where, message):
    if where.startswith("/proc") and not Path("/proc/self").is_dir():
        pytest.skip("unchecked: no /proc on this platform")
    mini.pytester.mkdir("a_dir")
    (mini.pytester.path / "a_file").write_text("")
    mini.write_catalog(claim_toml("t.one"))
    mini.write_tests(PASSING)
    result = mini.run("--claims-report", where)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"ERROR: --claims-report {where}: {message}"])
    assert [ln for ln in result.stderr.lines if ln.strip()] == [result.stderr.lines[0]], "one line"
    assert "passed" not in result.stdout.str(), "checked before running"


def test_a_learner_directory_that_does_not_exist_is_one_usage_error(mini):
    mini.write_catalog(claim_toml("t.one"))
    mini.write_tests(PASSING)
    result = mini.run("--learner", "no_such_workspace")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert [ln for ln in result.stderr.lines if ln.strip()] == [
        "ERROR: --learner no_such_workspace: not a directory; create a workspace with "
        "`python -m spec learn --init no_such_workspace`"]


def test_an_empty_devices_option_is_an_error_not_auto(mini):
    mini.write_catalog(claim_toml("t.one"))
    mini.write_tests(PASSING)
    result = mini.run("--devices", "")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: --devices '': empty; choose from auto, cpu, cuda*"])


def test_the_plugin_is_a_pytest11_entry_point_so_its_options_work_anywhere(mini, no_cuda):
    from importlib.metadata import entry_points
    found = [ep for ep in entry_points().select(group="pytest11") if ep.value == "spec.plugin"]
    if not found:
        pytest.skip("unchecked: this project is not installed (pip install -e .)")
    assert [ep.name for ep in found] == ["spec.plugin"], "named like the module: conftest.py registers it too"
    mini.write_catalog(claim_toml("t.one"))
    mini.write_tests(PASSING)
    workspace = mini.pytester.mkdir("workspace")
    # no -p spec.plugin and no conftest.py here; DIR space-separated, as a user types it
    result = mini.pytester.runpytest("-p", "no:randomly", "--catalog", str(mini.catalog), "--seeds", str(mini.seeds),
                                     "--learner", str(workspace), "--devices", "cpu")
    assert result.ret == 0 and result.parseoutcomes() == {"passed": 1}
