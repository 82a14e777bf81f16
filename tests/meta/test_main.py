"""The command line: `python -m spec` with a mistyped command or option, and `python -m spec show`."""
import pytest

from spec.__main__ import USAGE_ERROR, main


def test_a_mistyped_command_lists_the_commands(capsys):
    assert main(["lnit"]) == USAGE_ERROR
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("python -m spec: unknown command 'lnit' (did you mean lint?); "
                          "commands: show, learn, bench, matrix, lint, replay;")


def test_pytests_usage_errors_name_python_m_spec(capsys):
    assert main(["--no-such-option"]) == pytest.ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert "usage: python -m spec [options]" in err
    assert "python -m spec: error: unrecognized arguments: --no-such-option" in err
    assert "pytest.main()" not in err


def test_show_prints_one_claim_whole_and_its_status_here(capsys, no_cuda):
    assert main(["show", "optim.zero-grad-zeroes"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == "optim.zero-grad-zeroes — regression: Understanding PyTorch with an example › Optimizer"
    for field, start in [("quote", "“We just invoke the optimizer’s zero_grad() method"),
                         ("says", "optimizer.zero_grad() fills every parameter's .grad with zeros."),
                         ("hint", "Look at a.grad"), ("holds", "torch <2.0 (this torch, "),
                         ("otherwise", "Since torch 2.0 zero_grad() defaults to set_to_none=True"),
                         ("devices", "every device"),
                         ("tests", "tests/claims/test_regression_optim.py::test_zero_grad_fills_grads_with_zeros[cpu]")]:
        assert any(ln.startswith(f"  {field:<10} {start}") for ln in lines), (field, out)
    import torch
    from packaging.version import Version
    here = "changed — Since torch 2.0" if Version(torch.__version__).release >= (2,) else "holds"
    assert any(ln.startswith(f"  here       cpu: {here}") for ln in lines), out
    assert "             cuda: unchecked — CUDA not available" in out


def test_show_an_erratum_states_the_truth(capsys):
    assert main(["show", "training.noise-shifts-intercept", "--devices", "cpu"]) == 0
    out = capsys.readouterr().out
    assert "  erratum    b = 42 cannot be learned" in out
    assert "  here       any: erratum" in out


def test_show_an_unknown_claim_names_close_ones(capsys):
    assert main(["show", "optim.zero-grad"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert err.startswith("python -m spec show: unknown claim 'optim.zero-grad'; close matches: "
                          "optim.zero-grad-zeroes, ")


def test_the_command_line_exits_with_mains_code_and_all_its_output(tmp_path):
    """`python -m spec` ends without the interpreter's teardown (spec.__main__.cli): the exit code is
    main()'s and nothing written is lost, to a pipe or to a file."""
    import subprocess
    import sys

    import spec.__main__ as cli
    run = [sys.executable, "-m", "spec"]
    typo = subprocess.run(run + ["lnit"], capture_output=True, text=True, timeout=120)
    assert (typo.returncode, typo.stdout) == (USAGE_ERROR, "")
    assert typo.stderr.startswith("python -m spec: unknown command 'lnit'") and typo.stderr.count("\n") == 1
    out = tmp_path / "help.txt"
    with open(out, "w") as f:
        done = subprocess.run(run + ["--help"], stdout=f, stderr=subprocess.PIPE, text=True, timeout=120)
    assert (done.returncode, done.stderr) == (0, "")
    assert out.read_text() == cli.__doc__ + "\n"
