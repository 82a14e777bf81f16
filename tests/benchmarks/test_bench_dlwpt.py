"""Speed and memory claims of the "PyTorch Tutorial" after Deep Learning with PyTorch (seed 002).

Each test measures its claim side by side (tests/helpers/bench.py) and decides it with the threshold
its catalog entry states (spec/claims/dlwpt.bench.toml). Without timing they run once as smoke tests.
"""
import time

import numpy as np
import pytest
import torch
from torch import nn
from torch.testing import assert_close
from torch.utils.data import DataLoader, Dataset

from tests.helpers.bench import fmt_bytes, sync
from tests.helpers.memory import start

claim = pytest.mark.claim


N_NUMBERS = 1_000_000


def _python_list(tutorial, n):
    """A list of n distinct Python floats (built by work(), so its whole footprint is measured)."""
    [float(i) for i in range(10)]
    return lambda: [float(i) for i in range(n)]


def _float32_tensor(tutorial, n):
    """torch.tensor(values) of the same n floats (the list itself is built in setup)."""
    values = [float(i) for i in range(n)]
    torch.tensor(values[:10])  # warm-up
    return lambda: torch.tensor(values)


@claim("bench.tensor-vs-list-bytes")
def test_a_float32_tensor_takes_4_bytes_per_number_a_list_at_least_32(bench):
    measuring = start(_python_list, "cpu", N_NUMBERS), start(_float32_tensor, "cpu", N_NUMBERS)
    t = torch.tensor([float(i) for i in range(N_NUMBERS)])
    assert t.element_size() * t.nelement() == 4_000_000 and t.is_contiguous()  # the nominal size: 4 B each
    list_bytes, tensor_bytes = (m.result().held for m in measuring)
    bench.table("1e6 numbers", "memory held (measured)", "bytes per number")
    bench.row("float32 tensor", fmt_bytes(tensor_bytes), f"{tensor_bytes / N_NUMBERS:.1f}")
    bench.row("Python list of float", fmt_bytes(list_bytes), f"{list_bytes / N_NUMBERS:.1f}")
    bench.check("list memory / tensor memory", list_bytes, tensor_bytes, ">=", 8)
    bench.check("tensor memory / 4,000,000 bytes", tensor_bytes, 4_000_000, "<=", 1.1)
    bench.finish(lambda: t.sum())


@claim("bench.tensor-sum-vs-list-sum")
def test_summing_a_tensor_beats_summing_a_python_list(bench, device):
    n = bench.size(1_000_000, 1_000)
    values = [float(i % 1000) for i in range(n)]
    t = torch.tensor(values, dtype=torch.float64, device=device)
    assert t.sum().item() == sum(values)
    times = bench.time({"sum(list)": lambda: sum(values), "tensor.sum()": lambda: t.sum()})
    bench.table("numbers", "sum(list)", "tensor.sum()", "list / tensor")
    bench.row(f"{n:.0e}", times["sum(list)"], times["tensor.sum()"],
              bench.ratio(times["sum(list)"], times["tensor.sum()"]))
    bench.check("sum(list) / tensor.sum() at 1e6", times["sum(list)"], times["tensor.sum()"], ">=", 10)
    bench.finish(lambda: t.sum())


@claim("bench.gpu-matmul-crossover")
def test_cuda_matmul_wins_only_once_matrices_are_large(bench, device):
    bench.table("n (n x n @ n x n)", "cpu", f"{device} (pipelined)", f"{device} (synchronized per call)",
                "cpu / cuda synchronized")
    times = {}
    for n in bench.size([3, 64, 256, 1024, 4096], [3, 64]):
        a = torch.randn(n, n)
        a_dev = a.to(device)
        assert_close((a_dev @ a_dev).cpu(), a @ a, rtol=1e-3, atol=1e-3 * n)
        # "synchronized": each product waited for, as when its result is used; "pipelined": launches queue up
        times[n] = t = bench.time({"cpu": lambda: a @ a, "pipelined": lambda: a_dev @ a_dev,
                                   "synchronized": lambda: (a_dev @ a_dev, sync(device))}, label=f"n={n}", rounds=7)
        bench.row(n, t["cpu"], t["pipelined"], t["synchronized"], bench.ratio(t["cpu"], t["synchronized"]))
    big, tiny = times[max(times)], times[3]
    bench.check(f"cpu / {device} synchronized at n=4096", big["cpu"], big["synchronized"], ">=", 10)
    bench.check(f"cpu / {device} synchronized at n=3 (the tutorial's 3x3)", tiny["cpu"], tiny["synchronized"], "<=", 1)
    bench.finish(lambda: a_dev @ a_dev)


@claim("bench.from-numpy-no-copy-cost")
def test_from_numpy_and_numpy_cost_stays_flat_while_a_copy_grows(bench, device):
    sizes = bench.size([10 ** 3, 10 ** 4, 10 ** 5, 10 ** 6, 10 ** 7], [10 ** 3])
    bench.table("elements", "torch.tensor(arr)", "from_numpy", ".numpy()", "tensor / from_numpy")
    t = {}
    for n in sizes:
        arr = np.random.default_rng(0).standard_normal(n)
        shared = torch.from_numpy(arr)
        assert np.shares_memory(shared.numpy(), arr) and not np.shares_memory(torch.tensor(arr).numpy(), arr)
        t[n] = bench.time({"torch.tensor(arr)": lambda: torch.tensor(arr), "from_numpy": lambda: torch.from_numpy(arr),
                           ".numpy()": lambda: shared.numpy()}, label=f"{n:.0e}")
        bench.row(f"{n:.0e}", *t[n].values(), bench.ratio(t[n]["torch.tensor(arr)"], t[n]["from_numpy"]))
    big, small = t[sizes[-1]], t[sizes[0]]
    bench.check("torch.tensor(arr) / from_numpy at 1e7", big["torch.tensor(arr)"], big["from_numpy"], ">=", 100)
    bench.check("from_numpy at 1e7 / at 1e3", big["from_numpy"], small["from_numpy"], "<=", 3)
    bench.check(".numpy() at 1e7 / at 1e3", big[".numpy()"], small[".numpy()"], "<=", 3)
    bench.finish(lambda: torch.from_numpy(arr))


def _converted(tutorial, device, dtype):
    """A 2000 x 2000 NumPy float64 array converted with torch.from_numpy(...).to(device), then to dtype
    (float64: the conversion alone; setup keeps the float64 tensor when measuring the float32 one)."""
    rng = np.random.default_rng(0)
    torch.from_numpy(rng.standard_normal((2, 2))).to(device).to(torch.float32)  # warm-up
    if dtype == "float64":
        return lambda: torch.from_numpy(rng.standard_normal((2000, 2000))).to(device)
    t64 = torch.from_numpy(rng.standard_normal((2000, 2000))).to(device)
    return lambda: t64.to(dtype=torch.float32)


@claim("bench.float32-halves-memory")
def test_converting_to_float32_halves_the_memory(bench, device):
    measuring = [start(_converted, device, device, dtype) for dtype in ("float64", "float32")]
    t64 = torch.from_numpy(np.zeros((2000, 2000))).to(device)
    assert t64.dtype == torch.float64 and t64.to(dtype=torch.float32).dtype == torch.float32
    held64, held32 = (m.result().held for m in measuring)
    bench.table("2000 x 2000 from numpy", "memory held (measured)")
    bench.row("float64 (as converted)", fmt_bytes(held64))
    bench.row("float32", fmt_bytes(held32))
    bench.check("float64 memory / float32 memory", held64, held32, ">=", 1.9)
    bench.check("float64 memory / float32 memory", held64, held32, "<=", 2.1)
    bench.finish(lambda: t64.to(dtype=torch.float32))


def _gd_step(tutorial, t_u, t_c, dtype):
    """One epoch of the tutorial's autograd loop (training_loop_autograd) in the given dtype."""
    params = torch.tensor([1.0, 0.0], dtype=dtype, device=t_u.device, requires_grad=True)
    t_u, t_c = t_u.to(dtype), t_c.to(dtype)
    return lambda: tutorial.training_loop_autograd(1, 1e-2, params, t_u, t_c)


@claim("bench.float32-step-time")
def test_float32_makes_a_memory_bound_regression_step_faster(bench, device, tutorial):
    t_c, t_u = tutorial.temperature_data(device)
    bench.table("points", "float64 step", "float32 step", "float64 / float32")
    scaled = 100_000 if device == "cpu" else 10_000_000  # enough points to be memory-bound on each device
    for n in (1, bench.size(scaled, 10)):
        x, y, label = 0.1 * t_u.repeat(n), t_c.repeat(n), f"{11 * n:.2g}"
        t = bench.time({"float64": _gd_step(tutorial, x, y, torch.float64),
                        "float32": _gd_step(tutorial, x, y, torch.float32)}, label=label)
        bench.row(label, t["float64"], t["float32"], bench.ratio(t["float64"], t["float32"]))
    bench.check(f"float64 / float32 step at {label} points", t["float64"], t["float32"], ">=", 1.3)
    bench.finish(_gd_step(tutorial, x, y, torch.float32))


class SlowDataset(Dataset):
    """Items that take `delay` seconds each to 'read', like files on a slow disk."""

    def __init__(self, n, delay):
        self.n, self.delay = n, delay

    def __getitem__(self, i):
        time.sleep(self.delay)
        return torch.full((4,), float(i))

    def __len__(self):
        return self.n


@claim("bench.dataloader-workers-parallel")
def test_two_workers_load_a_slow_dataset_faster_than_the_main_process(bench):
    n, delay = bench.size((48, 0.02), (8, 0.0))
    dataset = SlowDataset(n, delay)
    epoch = lambda workers: torch.cat(list(DataLoader(dataset, batch_size=8, num_workers=workers)))  # noqa: E731
    assert_close(epoch(2), epoch(0))  # same batches, same order
    t = bench.time({"num_workers=0": lambda: epoch(0), "num_workers=2": lambda: epoch(2)}, rounds=5, warmup=0)
    bench.table(f"{n} items x {delay * 1e3:g} ms, batch 8", "one epoch (incl. worker start-up)")
    for name, timing in t.items():
        bench.row(name, timing)
    bench.check("num_workers=0 / num_workers=2", t["num_workers=0"], t["num_workers=2"], ">=", 1.25)
    bench.finish(lambda: epoch(2), rounds=1)


def _forward(tutorial, device, grad):
    """seq_model(x) on 2e6 points, with autograd on or under torch.no_grad() (the 1-8-1 model's hidden
    activations are 2e6 x 8 float32 = 64 MB)."""
    torch.manual_seed(0)
    seq_model = tutorial.make_seq_model().to(device)
    x = torch.randn(2_000_000, 1, device=device)
    seq_model(x[:10]).sum().backward()  # warm-up: autograd's first use

    def work():
        with torch.set_grad_enabled(grad):
            out = seq_model(x)
        assert (out.grad_fn is not None) == grad
        return out
    return work


@claim("bench.no-grad-keeps-no-graph")
def test_a_forward_under_no_grad_keeps_no_activations_alive(bench, device, tutorial):
    measuring = [start(_forward, device, device, grad, tutorial=tutorial) for grad in (False, True)]
    plain, graph = (m.result().held for m in measuring)
    bench.table("forward of the 1-8-1 model on 2e6 points", "memory held while the output lives")
    bench.row("under torch.no_grad()", fmt_bytes(plain))
    bench.row("with the graph", fmt_bytes(graph))
    bench.check("(held with graph - held under no_grad) / 64 MB of activations", graph - plain, 64_000_000, ">=", 0.9)
    bench.check("held under no_grad / the 8 MB output", plain, 8_000_000, "<=", 1.1)
    bench.finish(lambda: tutorial.make_seq_model()(torch.ones(10, 1)))


@claim("bench.batching-improves-performance")
def test_one_call_on_a_batch_beats_one_call_per_row(bench, device):
    torch.manual_seed(0)
    linear_model = nn.Linear(1, 1).to(device)
    bench.table("B", "B calls on single rows", "one call on the batch", "rows / batch")
    for b in bench.size([1, 16, 256, 4096], [16]):
        x = torch.randn(b, 1, device=device)
        rows = x.split(1)  # split before the clock: only the calls are timed
        assert_close(torch.cat([linear_model(row) for row in rows]), linear_model(x))
        t = bench.time({"rows": lambda: [linear_model(row) for row in rows], "batch": lambda: linear_model(x)},
                       label=f"B={b}")
        bench.row(b, t["rows"], t["batch"], bench.ratio(t["rows"], t["batch"]))
    bench.check("B single-row calls / one batched call at B=4096", t["rows"], t["batch"], ">=", 50)
    bench.finish(lambda: linear_model(x))
