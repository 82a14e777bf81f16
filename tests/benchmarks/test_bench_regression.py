"""Speed and memory claims of "Understanding PyTorch with an example" (seeds 000 and 001).

The loops are the tutorial's own (spec/tutorials/regression.py, through the `tutorial` fixture);
thresholds and why: spec/claims/regression.bench.toml. Helpers: tests/helpers/bench.py.
"""
import numpy as np
import pytest
import torch
from torch.testing import assert_close
from torch.utils.data import DataLoader

from tests.helpers.bench import fmt_bytes
from tests.helpers.datasets import OnDemandDataset
from tests.helpers.memory import start
from tests.helpers.fits import lstsq_line
from tests.helpers.regression import split_loaders, train_tensors

claim = pytest.mark.claim


def _fit(tutorial, device):
    """The Full Code's fit: ManualLinearRegression (seed 42), SGD, 1000 epochs on the 80 training points.
    Data and model are placed on `device` before the clock starts; each call trains the same model for
    1000 more epochs (the same work: the first call ends at the tutorial's a, b)."""
    x, y = train_tensors(tutorial, device)
    torch.manual_seed(42)
    model = tutorial.ManualLinearRegression().to(device)
    return lambda: tutorial.train_model(model, x, y)


@claim("bench.tiny-fit-faster-on-cpu")
def test_the_tutorials_own_fit_is_not_faster_on_cuda(bench, device, tutorial):
    on_cpu, on_device = _fit(tutorial, "cpu"), _fit(tutorial, device)
    assert_close(on_device().a.detach().cpu(), on_cpu().a.detach(), rtol=0, atol=1e-4)
    t = bench.time({"cpu": on_cpu, device: on_device}, rounds=7, warmup=1)
    bench.table("80 points, 1000 epochs", "one fit", "per epoch")
    for name, timing in t.items():
        bench.row(name, timing, timing.per(1000))
    bench.check(f"{device} fit / cpu fit", t[device], t["cpu"], ">=", 1)
    bench.finish(on_device, rounds=3)


@pytest.fixture(scope="module")
def npy_files(tmp_path_factory):
    """96 'image files' of 128 x 1024 float32 (512 KiB each, 48 MiB in all)."""
    folder = tmp_path_factory.mktemp("images")
    rng = np.random.default_rng(0)
    paths = [folder / f"{i}.npy" for i in range(96)]
    for p in paths:
        np.save(p, rng.standard_normal((128, 1024), dtype=np.float32))
    return [str(p) for p in paths]


def _epoch(dataset):
    """One pass of a DataLoader (batch 4) over the dataset; returns the number of batches."""
    return sum(1 for _ in DataLoader(dataset, batch_size=4))


def _datasets(tutorial, paths):
    """(eager, lazy): build a CustomDataset of every file np.load()ed in advance, or an OnDemandDataset
    that loads file i when item i is asked for; labels are the file numbers."""
    labels = torch.arange(float(len(paths)))
    load = lambda i: (torch.from_numpy(np.load(paths[i])), labels[i])  # noqa: E731
    eager = lambda: tutorial.CustomDataset(torch.stack([load(i)[0] for i in range(len(paths))]), labels)  # noqa: E731
    return eager, lambda: OnDemandDataset(load, len(paths))


def _build(tutorial, paths, which, epoch):
    """work(): build the `which` dataset ("eager" or "lazy") and, when `epoch`, run one epoch over it;
    the dataset is kept (it is work()'s result)."""
    index = ("eager", "lazy").index(which)
    _epoch(_datasets(tutorial, paths[:1])[index]())  # warm-up on one file: DataLoader, np.load, collate
    make = _datasets(tutorial, paths)[index]

    def work():
        dataset = make()
        if epoch:
            _epoch(dataset)
        return dataset
    return work


@claim("bench.dataset-load-on-demand")
def test_loading_on_demand_holds_no_data_until_asked(bench, tutorial, npy_files):
    measuring = {(which, epoch): start(_build, "cpu", npy_files, which, epoch, tutorial=tutorial)
                 for which in ("eager", "lazy") for epoch in (False, True)}
    eager, lazy = _datasets(tutorial, npy_files)
    assert_close(lazy()[95][0], eager()[95][0])  # the same data either way
    assert _epoch(lazy()) == 24
    sizes = {key: m.result() for key, m in measuring.items()}
    bench.table("96 files x 512 KiB = 48 MiB", "held once built", "peak while built", "peak of build + one epoch (batch 4)")
    for which, name in (("eager", "loaded in __init__ (CustomDataset)"), ("lazy", "loaded on demand (OnDemandDataset)")):
        bench.row(name, fmt_bytes(sizes[which, False].held), fmt_bytes(sizes[which, False].peak),
                  fmt_bytes(sizes[which, True].peak))
    data = 48 * 2 ** 20
    bench.check("loaded in __init__: held / 48 MiB dataset", sizes["eager", False].held, data, ">=", 0.9)
    bench.check("loaded on demand: peak / 48 MiB dataset", sizes["lazy", False].peak, data, "<=", 0.05)
    bench.check("loaded on demand, one epoch: peak / 48 MiB dataset", sizes["lazy", True].peak, data, "<=", 0.25)
    bench.finish(lambda: _epoch(lazy()), rounds=3)


def _loop_variants(tutorial, device, epochs):
    """The tutorial's training loops, each run for `epochs` epochs on the 80 training points, and
    the closed-form least-squares solve (tests/helpers/fits.py, NumPy on the host) as the floor."""
    x_np, y_np, _, _ = tutorial.data_gen()
    x, y = train_tensors(tutorial, device)
    loaders = split_loaders(tutorial)
    model = lambda: tutorial.ManualLinearRegression().to(device)  # noqa: E731
    return {
        "closed-form least squares (whole solve)": lambda: lstsq_line(x_np, y_np),
        "NumPy gradient descent": lambda: tutorial.numpy_linear_regression(x_np, y_np, n_epochs=epochs),
        "autograd, manual update": lambda: tutorial.train_manual_autograd(x, y, n_epochs=epochs),
        "optim.SGD": lambda: tutorial.train_sgd(x, y, n_epochs=epochs),
        "nn.Module + MSELoss": lambda: tutorial.train_model(model(), x, y, n_epochs=epochs),
        "train_step": lambda: tutorial.train_with_train_step(model(), x, y, n_epochs=epochs),
        "mini-batch (DataLoader 5 x 16 + validation)": lambda: tutorial.train_minibatches(
            model(), *loaders, device, n_epochs=epochs),
    }


@claim("bench.training-loop-variants")
def test_training_loop_variants_per_epoch_against_the_closed_form(bench, device, tutorial):
    epochs = bench.size(50, 2)
    variants = _loop_variants(tutorial, device, epochs)
    floor_fit = variants["closed-form least squares (whole solve)"]()
    assert_close(floor_fit, (1.0235, 1.9690), atol=5e-5, rtol=0)  # where the tutorial's 1000 epochs end
    t = bench.time(variants, rounds=9)
    floor = t.pop("closed-form least squares (whole solve)")
    per_epoch = {name: timing.per(epochs) for name, timing in t.items()}
    bench.table("80 points", "per epoch", "/ closed-form solve")
    bench.row("closed-form least squares (whole solve)", floor, "1x")
    for name, timing in per_epoch.items():
        bench.row(name, timing, bench.ratio(timing, floor))
    bench.check("mini-batch epoch / train_step epoch", per_epoch["mini-batch (DataLoader 5 x 16 + validation)"],
                per_epoch["train_step"], ">=", 3)
    bench.finish(_loop_variants(tutorial, device, epochs)["train_step"])
