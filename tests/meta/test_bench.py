"""The benchmark machinery (tests/helpers/bench.py, spec/bench.py), each rule shown failing when it should."""
import json
import os
import time

import pytest
import torch

from spec import bench as cli
from tests.helpers import fresh, memory
from tests.helpers.bench import (FAILS, HOLDS, INCONCLUSIVE, TIMING_DISABLED, UNTIMED, Bench, Timing, band,
                                 decide, time_sides)

from .conftest import claim_toml


class FakeBenchmark:
    """Just enough of pytest-benchmark's fixture: disabled, extra_info, pedantic."""

    def __init__(self, disabled):
        self.disabled, self.extra_info, self.calls = disabled, {}, 0

    def pedantic(self, target, rounds=1, warmup_rounds=0, iterations=1):
        self.calls += 1
        return target()


def test_a_ratio_holds_only_when_its_whole_band_clears_the_threshold():
    assert decide(101, 150, ">=", 100) == HOLDS
    assert decide(50, 99, ">=", 100) == FAILS
    assert decide(90, 110, ">=", 100) == INCONCLUSIVE
    assert decide(0.5, 0.9, "<=", 1) == HOLDS
    assert decide(1.1, 3, "<=", 1) == FAILS
    assert decide(0.8, 1.2, "<=", 1) == INCONCLUSIVE
    with pytest.raises(ValueError, match="op must be '>=' or '<='"):
        decide(1, 2, ">", 1)


def test_the_band_of_two_timings_pairs_opposite_quartiles():
    slow, fast = Timing([10.0, 20.0, 30.0, 40.0, 50.0]), Timing([1.0, 2.0, 3.0, 4.0, 5.0])
    assert band(slow, fast) == (10.0, 20.0 / 4.0, 40.0 / 2.0)  # median ratio, q1/q3, q3/q1
    assert band(96, 48) == (2.0, 2.0, 2.0)  # byte counts are exact


def test_interleaved_timing_tells_a_slow_side_from_a_fast_one():
    t = time_sides({"sleep 2 ms": lambda: time.sleep(0.002), "nothing": lambda: None}, "cpu",
                   rounds=3, warmup=1, round_s=0.002)
    assert [len(x.seconds) for x in t.values()] == [3, 3]
    assert decide(*band(t["sleep 2 ms"], t["nothing"])[1:], ">=", 10) == HOLDS
    assert t["sleep 2 ms"].per(2).median == pytest.approx(t["sleep 2 ms"].median / 2)


def test_without_timing_a_speed_claim_runs_once_and_is_unchecked():
    fake, calls = FakeBenchmark(disabled=True), []
    b = Bench(fake, "bench.x", "cpu")
    t = b.time({"a": lambda: calls.append("a"), "b": lambda: calls.append("b")})
    assert calls == ["a", "b"] and b.check("a / b", t["a"], t["b"], ">=", 2) == UNTIMED
    with pytest.raises(pytest.skip.Exception, match=r"^unchecked: timing disabled \(run `python -m spec bench`\)$"):
        b.finish(lambda: None)
    assert fake.calls == 1 and fake.extra_info["verdict"] == UNTIMED and TIMING_DISABLED.startswith("unchecked: ")


def test_a_memory_claim_is_decided_even_without_timing():
    b = Bench(FakeBenchmark(disabled=True), "bench.x", "cpu")
    assert b.check("copy / view", 96_000_000, 48_000_000, ">=", 1.8) == HOLDS
    b.finish(lambda: None)  # passes: nothing needed a timer


def test_a_ratio_that_misses_its_threshold_fails_the_test():
    b = Bench(FakeBenchmark(disabled=False), "bench.x", "cpu")
    b.check("copy / view", 60, 48, ">=", 1.8)
    with pytest.raises(pytest.fail.Exception, match=r"does not hold on this machine \(cpu\): copy / view >= 1.8: 1.25"):
        b.finish(lambda: None)


def test_a_noisy_ratio_is_reported_inconclusive_never_as_a_pass():
    b = Bench(FakeBenchmark(disabled=False), "bench.x", "cpu")
    b.check("a / b", Timing([1.0, 2.0, 3.0]), Timing([1.0, 1.0, 1.0]), ">=", 2)
    with pytest.raises(pytest.skip.Exception, match=r"^unchecked: inconclusive on this machine \(cpu, too noisy\)"):
        b.finish(lambda: None)


def test_the_extra_info_holds_the_table_and_the_checks():
    fake = FakeBenchmark(disabled=False)
    b = Bench(fake, "bench.x", "cpu", label="any")
    b.table("n", "time", "ratio")
    b.row(10, Timing([0.002]), 12.0)
    b.check("a / b", 20, 10, ">=", 2)
    b.finish(lambda: None)
    info = fake.extra_info
    assert (info["claim"], info["device"], info["rows"], info["verdict"]) == ("bench.x", "any", [["10", "2 ms", "12x"]], HOLDS)


SAVED = {
    "machine_info": {"node": "box", "cpu": {"brand_raw": "Some CPU"}, "system": "Linux", "release": "6",
                     "torch_spec": {"torch": "2.13.0", "cuda_build": None, "threads": 2, "python": "3.11",
                                    "cuda_available": False}},
    "benchmarks": [{"extra_info": {
        "claim": "bench.x", "device": "cpu", "timed": True, "columns": ["n", "time"], "rows": [["1000", "5 us"]],
        "checks": [{"what": "a / b", "op": ">=", "threshold": 100, "ratio": 250.0, "low": 200.0, "high": 300.0,
                    "verdict": "holds"}], "verdict": "holds"}}],
}


def test_the_cli_prints_one_table_per_claim_and_device(tmp_path):
    lines = cli.render(SAVED, {("bench.x", "cuda"): ("skipped", "unchecked: CUDA not available")})
    assert lines == [
        "machine: box · Some CPU · Linux 6",
        "torch 2.13.0 (CUDA build None) · python 3.11 · torch threads 2 (benchmarks: default) · "
        "GPU: none (CUDA not available)",
        "", "bench.x — cpu: holds on this machine",
        "  n     time", "  ----  ----", "  1000  5 us",
        "  ok a / b >= 100: 250 [200-300] -> holds",
        "", "bench.x — cuda: unchecked", "  unchecked: CUDA not available",
    ]


def test_bench_show_prints_a_saved_json_without_running(tmp_path):
    saved = tmp_path / "bench.json"
    saved.write_text(json.dumps(SAVED))
    out = []
    assert cli.main(["--show", str(saved)], write=out.append) == 0
    assert "bench.x — cpu: holds on this machine" in out and "  ok a / b >= 100: 250 [200-300] -> holds" in out


SPEED = '''
import pytest
from tests.helpers.bench import Bench

@pytest.mark.claim("t.speed")
def test_speed(benchmark):
    b = Bench(benchmark, "t.speed", "cpu")
    t = b.time({"slow": lambda: sum(range(20000)), "fast": lambda: None}, round_s=0.001)
    b.check("slow / fast", t["slow"], t["fast"], ">=", THRESHOLD)
    b.finish(lambda: None)
'''


@pytest.mark.parametrize("options, status, detail", [
    (["--benchmark-disable"], "unchecked", "timing disabled (run `python -m spec bench`)"),
    (["--benchmark-enable", "-p", "no:xdist"], "broken", "does not hold on this machine (cpu): slow / fast >= 1e+12"),
])
def test_the_claims_report_shows_an_untimed_or_failed_speed_claim(mini, monkeypatch, options, status, detail):
    pytest.importorskip("pytest_benchmark")
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # pytest-benchmark would disable timing
    mini.write_catalog(claim_toml("t.speed"))
    mini.write_tests(SPEED.replace("THRESHOLD", "1e12"))
    result, report = mini.report(*options)
    (entry,) = report["claims"]
    assert entry["status"] == {"any": status}
    assert detail in entry["details"]["any"]


# --- the memory helper (tests/helpers/memory.py) against known allocations --------------------------

MiB = 2 ** 20


def _keep_64_mib(tutorial):
    torch.ones(1)  # warm-up: the first operation's lazy initialization happens here
    return lambda: torch.ones(16 * MiB)  # 16 Mi float32 = 64 MiB, written


def _touch_64_mib_and_free(tutorial):
    torch.ones(1)
    return lambda: float(torch.ones(16 * MiB).sum())  # the tensor is freed before work() returns


def _allocated_in_setup(tutorial, mib):
    kept = torch.ones(mib * MiB // 4)  # in setup: not part of the measurement
    return lambda: kept.shape


def test_the_memory_helper_reads_a_kept_64_mib_tensor_as_64_mib():
    found = memory.measure(_keep_64_mib, "cpu")
    assert 59 * MiB <= found.peak <= 69 * MiB and 59 * MiB <= found.held <= 69 * MiB, found


def test_the_memory_helper_tells_a_freed_peak_from_what_is_held():
    found = memory.measure(_touch_64_mib_and_free, "cpu")
    assert 59 * MiB <= found.peak <= 69 * MiB and abs(found.held) <= 5 * MiB, found


def test_the_memory_helper_leaves_out_what_setup_allocated():
    found = memory.measure(_allocated_in_setup, "cpu", 64)
    assert abs(found.peak) <= 5 * MiB and abs(found.held) <= 5 * MiB, found


def test_the_memory_helper_reads_the_same_after_this_process_freed_memory():
    junk = torch.ones(32 * MiB)  # 128 MiB this process then frees: a child never sees it
    del junk
    found = memory.measure(_keep_64_mib, "cpu")
    assert 59 * MiB <= found.peak <= 69 * MiB, found


def test_without_proc_a_memory_measurement_is_unchecked(monkeypatch, tmp_path):
    monkeypatch.setattr(memory, "PROC", tmp_path / "no-proc")
    answer = memory.child_main({"setup": f"{__name__}:_keep_64_mib", "args": [], "tutorial": None})
    assert answer == {"unchecked": "unchecked: CPU memory needs Linux /proc/self/status (VmRSS, VmHWM)"}


def test_an_unwritable_clear_refs_reads_unchecked_when_setup_peaked_higher(monkeypatch, tmp_path):
    fake = tmp_path / "proc"
    fake.mkdir()
    (fake / "status").write_text("VmHWM:\t 500000 kB\nVmRSS:\t 100000 kB\n")
    (fake / "clear_refs").mkdir()  # writing to a directory fails like an unwritable file
    monkeypatch.setattr(memory, "PROC", fake)
    answer = memory.child_main({"setup": f"{__name__}:_allocated_in_setup", "args": [1], "tutorial": None})
    assert answer["unchecked"].startswith("unchecked: /proc/self/clear_refs cannot be written")


def test_a_skipped_measurement_reads_unchecked_with_its_reason(monkeypatch):
    monkeypatch.setattr(memory, "_submit_child", lambda request: lambda: {"unchecked": "unchecked: no /proc here"})
    with pytest.raises(pytest.skip.Exception, match=r"^unchecked: no /proc here$"):
        memory.measure(_keep_64_mib, "cpu")


def test_without_a_forkserver_a_fresh_interpreter_measures_the_same(monkeypatch):
    monkeypatch.setattr(fresh, "_SERVER", [None])
    found = memory.measure(_keep_64_mib, "cpu")
    assert 59 * MiB <= found.peak <= 69 * MiB and 59 * MiB <= found.held <= 69 * MiB, found


def test_a_failing_measurement_names_the_setup_and_its_error():
    with pytest.raises(RuntimeError, match=r"memory child for tests\.meta\.test_bench:_fails_in_setup failed:\n(.|\n)*ZeroDivisionError"):
        memory.measure(_fails_in_setup, "cpu")


def _fails_in_setup(tutorial):
    return 1 / 0


def wait_for(path: str, seconds: float) -> bool:
    """True once `path` exists, False after `seconds` without it."""
    deadline = time.monotonic() + seconds
    while not os.path.exists(path):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def create(path: str) -> bool:
    open(path, "w").close()
    return True


@pytest.mark.parametrize("server", ["forkserver", "fresh interpreter"])
def test_calls_submitted_together_run_side_by_side(monkeypatch, tmp_path, server):
    if server == "fresh interpreter":
        monkeypatch.setattr(fresh, "_SERVER", [None])
    else:
        fresh.start()
        if fresh._SERVER[0] is None:
            pytest.skip("unchecked: this platform has no forkserver")
    flag = str(tmp_path / "flag")
    waiting = fresh.submit(f"{__name__}:wait_for", flag, 60.0)  # would wait out its 60 s if run alone first
    creating = fresh.submit(f"{__name__}:create", flag)
    assert waiting._forked is creating._forked is (server == "forkserver")  # the path this case names
    assert waiting.result() is True and creating.result() is True
