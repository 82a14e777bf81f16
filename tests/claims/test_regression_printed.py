"""regression (seed 000): the code blocks as printed (python -m spec replay runs them all)."""
import contextlib
import io

import pytest
import torch
from torch import nn, optim

from spec.replay.item import assert_as_printed, assert_quoted_verbatim

claim = pytest.mark.claim

# the blocks verbatim: Random Split, Loading Data (its `# output` comment left out), Full Code
RANDOM_SPLIT = """from torch.utils.data.dataset import random_split

x_tensor = torch.from_numpy(x).float()
y_tensor = torch.from_numpy(y).float()

dataset = TensorDataset(x_tensor, y_tensor)

train_dataset, val_dataset = random_split(dataset, [80, 20])

train_loader = DataLoader(dataset=train_dataset, batch_size=16)
val_loader = DataLoader(dataset=val_dataset, batch_size=20)
"""
LOADING = """import torch
import torch.optim as optim
import torch.nn as nn
from torchviz import make_dot

device = 'cuda' if torch.cuda.is_available() else 'cpu'

# Our data was in Numpy arrays, but we need to transform them into PyTorch's Tensors
# and then we send them to the chosen device
x_train_tensor = torch.from_numpy(x_train).float().to(device)
y_train_tensor = torch.from_numpy(y_train).float().to(device)

# Here we can see the difference - notice that .type() is more useful
# since it also tells us WHERE the tensor is (device)
print(type(x_train), type(x_train_tensor), x_train_tensor.type())
"""
FULL_CODE = """#!python3
import numpy as np

import torch
import torch.optim as optim
import torch.nn as nn
# from torchviz import make_dot
import torchvision


class ManualLinearRegression(nn.Module):
    def __init__(self):
        super().__init__()
        # To make "a" and "b" real parameters of the model, we need to wrap them with nn.Parameter
        self.a = nn.Parameter(torch.randn(1, requires_grad=True, dtype=torch.float))
        self.b = nn.Parameter(torch.randn(1, requires_grad=True, dtype=torch.float))

    def forward(self, x):
        # Computes the outputs / predictions
        return self.a + self.b * x

def data_gen():
    # Data Generation
    np.random.seed(42)

    a,b = 1,2
    x = np.random.rand(100, 1)
    y = a + b * x + .1 * np.random.randn(100, 1)

    # Shuffles the indices
    idx = np.arange(100)
    np.random.shuffle(idx)

    # Uses first 80 random indices for train
    train_idx = idx[:80]
    # Uses the remaining indices for validation
    val_idx = idx[80:]

    # Generates train and validation sets
    x_train, y_train = x[train_idx], y[train_idx]
    x_val, y_val = x[val_idx], y[val_idx]

    return x_train, y_train , x_val, y_val

def show_data( x, y ):
    # import matplotlib.pyplot as plt
    # plt.scatter( x,y )
    # plt.show()
    pass
    

if __name__ == '__main__':
    x_train, y_train , x_val, y_val = data_gen()
    show_data( x_train, y_train )

    device = 'cuda' if torch.cuda.is_available() else 'cpu'

    # Our data was in Numpy arrays, but we need to transform them into PyTorch's Tensors
    # and then we send them to the chosen device
    x_train_tensor = torch.from_numpy(x_train).float().to(device)
    y_train_tensor = torch.from_numpy(y_train).float().to(device)

    # Here we can see the difference - notice that .type() is more useful
    # since it also tells us WHERE the tensor is (device)
    print(type(x_train), type(x_train_tensor), x_train_tensor.type())

    # training
    torch.manual_seed(42)

    # Now we can create a model and send it at once to the device
    model = ManualLinearRegression().to(device)
    # We can also inspect its parameters using its state_dict
    print(model.state_dict())

    lr = 1e-1
    n_epochs = 1000

    loss_fn = nn.MSELoss(reduction='mean')
    # parameters() instead of a,b
    optimizer = optim.SGD(model.parameters(), lr=lr)

    for epoch in range(n_epochs):
        # What is this?!?
        model.train()

        # No more manual prediction!
        # yhat = a + b * x_tensor
        yhat = model(x_train_tensor)
        
        loss = loss_fn(y_train_tensor, yhat)
        loss.backward()    
        optimizer.step()
        optimizer.zero_grad()

    print(model.state_dict())
"""


def _run(code, namespace):
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(code, namespace)
    return out.getvalue().splitlines()


@claim("dataloader.random-split-undefined-names")
def test_random_split_as_printed_uses_names_nothing_defines(tutorial):
    x_train, y_train, x_val, y_val = tutorial.data_gen()
    # everything the earlier blocks bind at top level (the Full Code binds the same names in __main__)
    namespace = {"torch": torch, "nn": nn, "optim": optim, "x_train": x_train, "y_train": y_train,
                 "x_val": x_val, "y_val": y_val}
    with pytest.raises(NameError, match=r"^name 'x' is not defined$"):
        exec(RANDOM_SPLIT, dict(namespace))
    x, y = tutorial.full_data()
    with pytest.raises(NameError, match=r"^name 'TensorDataset' is not defined$"):
        exec(RANDOM_SPLIT, dict(namespace, x=x, y=y))
    namespace.update(x=x, y=y)
    exec("from torch.utils.data import TensorDataset, DataLoader\n" + RANDOM_SPLIT, namespace)
    assert (len(namespace["train_loader"]), len(namespace["val_loader"])) == (5, 1)


@claim("misc.unused-imports")
def test_full_code_stops_only_at_its_unused_torchvision_import(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "torchvision", None)  # torchvision not installed
    with pytest.raises(ModuleNotFoundError, match="torchvision"):
        _run(FULL_CODE, {"__name__": "__main__"})
    without = FULL_CODE.replace("import torchvision\n", "")
    assert "torchvision" not in without, "nothing else in the Full Code names torchvision"
    last = _run(without, {"__name__": "__main__"})[-1]
    assert "tensor([1.0235]" in last and "tensor([1.9690]" in last, last


@claim("misc.unused-imports")
def test_loading_block_stops_only_at_its_unused_make_dot_import(tutorial, monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "torchviz", None)  # torchviz not installed
    x_train, y_train, _, _ = tutorial.data_gen()
    with pytest.raises(ModuleNotFoundError, match="torchviz"):
        _run(LOADING, {"x_train": x_train, "y_train": y_train})
    without = LOADING.replace("from torchviz import make_dot\n", "")
    assert "make_dot" not in without, "nothing else in the block uses make_dot"
    line = _run(without, {"x_train": x_train, "y_train": y_train})[-1]
    assert line.startswith("<class 'numpy.ndarray'> <class 'torch.Tensor'> torch.") and line.endswith("FloatTensor")


@claim("training.train-step-stale-optimizer")
def test_train_step_with_the_earlier_models_optimizer_trains_nothing(tutorial, device):
    x_train, y_train, _, _ = tutorial.data_gen()
    x, y = tutorial.to_tensor(x_train, device), tutorial.to_tensor(y_train, device)
    torch.manual_seed(42)
    optimizer = optim.SGD(tutorial.ManualLinearRegression().to(device).parameters(), lr=1e-1)  # Model section
    model = tutorial.sequential_model(device)                                   # Sequential Models
    before = {k: v.clone() for k, v in model.state_dict().items()}
    train_step = tutorial.make_train_step(model, nn.MSELoss(reduction="mean"), optimizer)
    first = train_step(x, y)
    grad = model[0].weight.grad.clone()
    losses = [train_step(x, y) for _ in range(9)]
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items()), "the model never changes"
    assert losses == [first] * 9, "every step returns the same loss"
    torch.testing.assert_close(model[0].weight.grad, 10 * grad, msg="the model's gradients accumulate")


@claim("replay.regression-as-printed")
def test_every_cell_runs_as_printed_or_as_the_catalog_records(request):
    assert_as_printed(request, "regression")


@claim("replay.regression-as-printed")
def test_the_blocks_these_tests_quote_are_the_seeds_own(request):
    assert_quoted_verbatim(request, "regression", {"RANDOM_SPLIT": RANDOM_SPLIT, "LOADING": LOADING,
                                                   "FULL_CODE": FULL_CODE})
