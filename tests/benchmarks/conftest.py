"""Fixtures of the speed/memory benchmarks: `bench` (one claim's measurement, tests/helpers/bench.py)
and the machine facts pytest-benchmark saves with its JSON (torch, CUDA, GPU, threads)."""
import os
import platform

import pytest
import torch

from spec.bench import THREADS_ENV
from tests.helpers.bench import Bench

try:
    import pytest_benchmark  # noqa: F401
except ImportError:  # optional dependency (extra "dev"): the speed claims are unchecked without it
    @pytest.fixture
    def benchmark():
        pytest.skip("unchecked: pytest-benchmark is not installed (pip install pytest-benchmark)")


@pytest.fixture
def bench(benchmark, claim, request):
    """The measurement of the test's claim on the test's device ('cpu' for device-free tests).

    Timing is on only when asked for (--benchmark-enable, which `python -m spec bench` passes) and
    possible (pytest-benchmark disables it under xdist and with --benchmark-disable); any other run,
    a plain serial `pytest` included, executes each benchmark once at smoke sizes.
    Smoke runs use one intra-op thread: under `pytest -n auto` every worker would otherwise start its
    own thread pool on the same cores. Timed runs keep torch's default unless $TORCH_SPEC_BENCH_THREADS
    (`python -m spec bench --threads N`) says otherwise; the count is recorded in the JSON.
    The plugin's autouse fixture restores the thread count after the test."""
    callspec = getattr(request.node, "callspec", None)
    device = callspec.params.get("device") if callspec else None
    timed = not benchmark.disabled and bool(request.config.getoption("benchmark_enable", False))
    if not timed:
        torch.set_num_threads(1)
    elif os.environ.get(THREADS_ENV):
        torch.set_num_threads(int(os.environ[THREADS_ENV]))
    return Bench(benchmark, claim.id, device or "cpu", label=device or "any", timed=timed)


def torch_machine_info() -> dict:
    info = {"torch": torch.__version__, "cuda_build": torch.version.cuda,
            "threads": torch.get_num_threads(), "bench_threads": os.environ.get(THREADS_ENV),
            "python": platform.python_version(),
            "cuda_available": torch.cuda.is_available()}
    if torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(0)
        info["cudnn"] = torch.backends.cudnn.version()
    return info


@pytest.hookimpl(optionalhook=True)
def pytest_benchmark_update_machine_info(config, machine_info):
    machine_info["torch_spec"] = torch_machine_info()
