"""What `python -m spec` and a plain `pytest` print (pytester runs a synthetic catalog in-process,
with the arguments and the console plugin `python -m spec` adds)."""
import re

import pytest

from spec.__main__ import _Prog, output_options
from spec.console import Console

from .conftest import claim_toml

N_HOLDS = 85  # more claims that hold than two screens have lines


PLAIN = """
@pytest.mark.claim("plain.c{i}")
def test_plain_{i}():
    assert 1 + 1 == 2
"""


def catalog(mini):
    holds = [claim_toml(f"plain.c{i}") for i in range(N_HOLDS)]
    odd = [claim_toml("odd.erratum", erratum="The tutorial says 3; the truth is 2."),
           claim_toml("odd.missing-package", section="Speed"),  # sections interleave in the catalog
           claim_toml("odd.changed", holds="<1.0", otherwise="Since 1.0 it is different.",
                      fails={"raises": "AssertionError", "match": r"assert 1\.0 == 3"}),
           claim_toml("odd.broken"),
           claim_toml("odd.gpu-only", devices=["cuda"]),
           claim_toml("odd.alone", section="Alone", erratum="Alone and wrong.")]  # a section of one claim
    mini.write_catalog(*holds[:40], *odd, *holds[40:])
    # an extension file (a tutorial's speed claims) comes last in the catalog: its claim is shown in
    # the section it names
    (mini.catalog / "toy.bench.toml").write_text('[tutorial]\nid = "toy"\n\n' + claim_toml("bench.speed", section="Speed")
                                                + claim_toml("bench.speed2", section="Speed"))
    mini.write_tests("import pytest, torch\n" + "".join(PLAIN.format(i=i) for i in range(N_HOLDS)) + '''
@pytest.mark.claim("odd.erratum")
def test_erratum(device):
    assert 1 + 1 == 2

@pytest.mark.claim("odd.changed")
def test_changed(device):
    assert torch.ones(1).item() == 3

@pytest.mark.claim("odd.broken")
def test_broken(device):
    assert torch.ones(1).item() == 3, "one is not three"

@pytest.mark.claim("odd.missing-package")
def test_missing():
    pytest.importorskip("no_such_pkg", reason="unchecked: no_such_pkg is not installed")

@pytest.mark.claim("odd.gpu-only")
def test_gpu(device):
    assert device == "cuda"

@pytest.mark.claim("odd.alone")
def test_alone():
    assert 1 + 1 == 2

@pytest.mark.claim("bench.speed")
def test_speed():
    pytest.skip("unchecked: timing disabled")

@pytest.mark.claim("bench.speed2")
def test_speed2():
    pytest.skip("unchecked: timing disabled")
''')


def run_like_python_m_spec(mini, *extra):
    args, console = output_options(list(extra))
    assert console == (not any(a.startswith("-vv") for a in extra))
    return mini.run(*args, plugins=[_Prog(), Console()] if console else [_Prog()])


def test_default_output_fits_two_screens_and_names_every_claim_that_is_not_plain_holds(mini, no_cuda):
    catalog(mini)
    result = run_like_python_m_spec(mini)
    lines = result.stdout.lines
    text = "\n".join(lines)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert len(lines) <= 80, text
    for cid in ("odd.erratum", "odd.changed", "odd.broken", "odd.missing-package", "odd.gpu-only",
                "odd.alone", "bench.speed", "bench.speed2"):
        assert cid in text
    assert not re.search(r"plain\.c\d", text)                      # plain holds: counted, not listed
    result.stdout.fnmatch_lines([
        "toy — A toy tutorial",
        "  Basics",
        "    odd.erratum * cpu: erratum — The tutorial says 3; the truth is 2.",
        "    odd.changed * cpu: changed — (holds <1.0) Since 1.0 it is different.",
        "    odd.broken * cpu: BROKEN — AssertionError: one is not three*",
        "  Speed",
        "    odd.missing-package * any: unchecked — no_such_pkg is not installed",
        "    bench.speed, bench.speed2 * any: unchecked — timing disabled",  # in its section, on one line
        "  Alone · odd.alone * any: erratum — Alone and wrong.",        # a section of one claim: one line
        "cuda: CUDA not available* — 4 checks unchecked, not listed above",
        "  claims checked only there: odd.gpu-only",
        "torch-spec: 85 hold · 1 changed · 2 errata · 1 broken · 7 unchecked",
    ])
    assert text.count("CUDA not available") == 1                       # absent devices: once
    assert len([ln for ln in lines if ln.startswith("torch-spec: ") and " hold · " in ln]) == 1
    assert not re.search(r"\d+ (passed|failed|skipped)", text)          # no second, different count
    assert not any(re.fullmatch(r"[.sxFE]+.*", ln) for ln in lines)     # no progress characters
    assert "Traceback" not in text and "short test summary" not in text
    result.stdout.fnmatch_lines(["  toy * 93 claims checked (96 tests, * s)"])


def test_claims_table_all_shows_every_claim_and_v_means_it(mini, no_cuda):
    catalog(mini)
    result = run_like_python_m_spec(mini, "--claims-table=all")
    text = result.stdout.str()
    assert all(f"plain.c{i} " in text for i in range(N_HOLDS))
    result.stdout.fnmatch_lines(["    plain.c0 * any: holds",
                                 "    odd.erratum * cuda: unchecked  cpu: erratum — The tutorial says 3*",
                                 "  Alone",                             # one claim a line under -v
                                 "    odd.alone * any: erratum — Alone and wrong.",
                                 "cuda: CUDA not available* — 4 checks unchecked"])
    assert text.count("CUDA not available") == 1
    assert output_options(["-v"]) == output_options(["--claims-table=all"])
    assert output_options(["-k", "x"])[0][-1] == "--claims-table=changes"


def test_vv_gives_pytests_verbose_lines_too(mini, no_cuda):
    catalog(mini)
    result = run_like_python_m_spec(mini, "-vv", "-k", "erratum")
    result.stdout.fnmatch_lines(["*test_erratum?cpu? PASSED*", "    odd.erratum * cpu: erratum*"])


def test_plain_pytest_keeps_its_output_and_adds_one_summary_line(mini, no_cuda):
    catalog(mini)
    result = mini.run()
    lines = result.stdout.lines
    ours = [ln for ln in lines if ln.startswith("torch-spec:") and " hold · " in ln]
    assert ours == ["torch-spec: 85 hold · 1 changed · 2 errata · 1 broken · 7 unchecked "
                    "(4 of them on cuda: CUDA not available (this torch is a CPU-only build))"]
    assert not any("odd.erratum" in ln for ln in lines)                 # no table
    result.stdout.fnmatch_lines(["*1 failed, 87 passed, 7 skipped, 1 xfailed*"])   # pytest's own line


def test_a_serial_run_executes_a_benchmark_once_and_prints_no_timing_table(mini, monkeypatch):
    pytest.importorskip("pytest_benchmark")
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # the inner run is serial, even in a worker
    mini.write_catalog(claim_toml("t.speed"))
    mini.write_tests('''
        import pytest
        CALLS = []
        @pytest.mark.claim("t.speed")
        def test_speed(benchmark):
            benchmark(CALLS.append, 1)
            assert len(CALLS) == 1
    ''')
    result = mini.run()
    assert result.ret == 0
    assert "benchmark: 1 tests" not in result.stdout.str()
    timed = mini.run("--benchmark-enable", "--benchmark-min-rounds=2", "--benchmark-max-time=0.001",
                     "--benchmark-warmup=off")                              # what `python -m spec bench` asks for
    assert "benchmark: 1 tests" in timed.stdout.str() and timed.ret == 1  # timed: called many times
