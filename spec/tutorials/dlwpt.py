"""The code of the "PyTorch Tutorial" after Deep Learning with PyTorch (seed 002, tutorial id "dlwpt").

Reference implementation of the tutorial's code, cleaned up so tests can call it: the temperature data,
the linear model, the loss, the hand-written gradient, the training loops (each returns what the
tutorial prints besides the parameters), the train/validation split, the nn.Sequential builder and the
subclassed model. Learners replace the bodies; signatures and docstrings stay.
"""
from collections import OrderedDict

import torch
from torch import nn


def temperature_data(device=None):
    """Celsius readings `t_c` and the same temperatures in an unknown unit `t_u` (11 samples).

    "we'll take some input temperature data in celcius `t_c` and some output data in unknown units `t_u`"

        t_c = torch.tensor([0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0])
        t_u = torch.tensor([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4])

    Returns fresh float32 tensors `(t_c, t_u)` on `device` on every call (the tutorial later
    unsqueezes them in place).
    """
    t_c = torch.tensor([0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0], device=device)
    t_u = torch.tensor([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4], device=device)
    return t_c, t_u


def model(t_u, w, b):
    """The linear model `t_c = w*t_u + b`.

    "we assume we can multiply `t_u` by some amount `w` and add a constant `b` to get `t_c`"
    """
    return w * t_u + b


def mse(t_p, t_c):
    """Loss function: mean squared error, the mean of `(t_p - t_c)^2`."""
    squared_diffs = (t_p - t_c) ** 2
    return squared_diffs.mean()


def dloss_dmodel(t_p, t_c):
    """Derivative of loss function (t_p - t_c)^2 with respect to the output of the model t_p:
    `2 * (t_p - t_c) / t_p.size(0)` (the mean divides by the number of samples)."""
    dsq_diffs = 2 * (t_p - t_c) / t_p.size(0)
    return dsq_diffs


def dmodel_dw(t_u, w, b):
    """Derivative of the model w * t_u + b with respect to w: `t_u`."""
    return t_u


def dmodel_db(t_u, w, b):
    """Derivative of the model w * t_u + b with respect to b: `1.0`."""
    return 1.0


def grad_fn(t_u, t_c, t_p, w, b):
    """The gradient `[dloss/dw, dloss/db]` by the chain rule:
    "`dloss/dw = dloss/dmodel * dmodel/dw` and `dloss/db = dloss/dmodel * dmodel/db`",
    each summed over the samples and stacked into one tensor of two elements."""
    dloss_dtp = dloss_dmodel(t_p, t_c)
    dloss_dw = dloss_dtp * dmodel_dw(t_u, w, b)
    dloss_db = dloss_dtp * dmodel_db(t_u, w, b)
    return torch.stack([dloss_dw.sum(), dloss_db.sum()])


def training_loop_manual(n_epochs, learning_rate, params, t_u, t_c):
    """Gradient descent with the hand-written gradient `grad_fn`.

    "n_epochs: number of epochs - a training iteration that results in updating parameters for all
    training samples; learning_rate: scaling factor that determines how much we update our weights by"

    Each epoch: forward pass (`model`, `mse`), backward pass (`grad_fn`), then
    `params = params - learning_rate * grad`. Every 100 epochs the tutorial prints
    `'Epoch %d, Loss %f' % (epoch, float(loss))`.

    Returns `(params, losses)`: the final params tensor `[w, b]` and the list of
    `(epoch, loss)` pairs (loss as a Python float) printed every 100 epochs.
    """
    losses = []
    for epoch in range(1, n_epochs + 1):
        w, b = params
        t_p = model(t_u, w, b)
        loss = mse(t_p, t_c)
        grad = grad_fn(t_u, t_c, t_p, w, b)
        params = params - learning_rate * grad
        if epoch % 100 == 0:
            losses.append((epoch, float(loss)))
    return params, losses


def training_loop_autograd(n_epochs, learning_rate, params, t_u, t_c):
    """Gradient descent with autograd: `params` has `requires_grad=True`.

    Each epoch: zero `params.grad` if it is not None ("they need to be zerod out explicitly"),
    forward pass, `loss.backward()`, then `params -= learning_rate * params.grad` inside
    `torch.no_grad()` ("update params inplace and not add an edge to the autograd graph").

    Returns `(params, losses)`: the same params tensor (updated in place) and the list of
    `(epoch, loss)` pairs printed every 100 epochs.
    """
    losses = []
    for epoch in range(1, n_epochs + 1):
        if params.grad is not None:
            params.grad.zero_()
        t_p = model(t_u, *params)
        loss = mse(t_p, t_c)
        loss.backward()
        with torch.no_grad():
            params -= learning_rate * params.grad
        if epoch % 100 == 0:
            losses.append((epoch, loss.item()))
    return params, losses


def training_loop_optimizer(n_epochs, optimizer, params, t_u, t_c):
    """Training with a `torch.optim` optimizer built on `[params]`.

    Each epoch: forward pass, `optimizer.zero_grad()`, `loss.backward()`, `optimizer.step()`.

    Returns `(params, losses)`: the params tensor and the `(epoch, loss)` pairs printed every
    100 epochs.
    """
    losses = []
    for epoch in range(1, n_epochs + 1):
        t_p = model(t_u, *params)
        loss = mse(t_p, t_c)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            losses.append((epoch, loss.item()))
    return params, losses


def split_train_val(t_u, t_c, val_fraction=0.2):
    """Split the data into 80% training set and 20% validation set.

    "n_samples = t_u.shape[0]; n_val = int(0.2 * n_samples); shuffled_indices = torch.randperm(n_samples)"
    The last `n_val` shuffled indices are the validation set. Like the tutorial, it first turns
    `t_c` and `t_u` into column vectors in place (`t_c.unsqueeze_(1)`, `t_u.unsqueeze_(1)`).

    Returns `(t_u_train, t_c_train, t_u_val, t_c_val)`, each of shape `[n, 1]`.
    """
    n_samples = t_u.shape[0]
    n_val = int(val_fraction * n_samples)
    shuffled_indices = torch.randperm(n_samples)
    train_indices = shuffled_indices[:-n_val]
    val_indices = shuffled_indices[-n_val:]
    t_c.unsqueeze_(1)
    t_u.unsqueeze_(1)
    return t_u[train_indices], t_c[train_indices], t_u[val_indices], t_c[val_indices]


def training_loop_nn(n_epochs, optimizer, model, loss_fn, t_u_train, t_u_val, t_c_train, t_c_val):
    """Training loop for an `nn.Module` with a validation loss.

    Each epoch: training loss on the training set; the validation loss computed under
    `torch.no_grad()`; `optimizer.zero_grad()`, `loss_train.backward()`, `optimizer.step()`.
    Every 100 epochs the tutorial prints
    `f"Epoch {epoch}, Training loss {loss_train.item():.4f}, Validation loss {loss_val.item():.4f}"`.

    Returns the list of `(epoch, training loss, validation loss)` (floats) every 100 epochs.
    """
    history = []
    for epoch in range(1, n_epochs + 1):
        t_p_train = model(t_u_train)
        loss_train = loss_fn(t_p_train, t_c_train)
        with torch.no_grad():
            t_p_val = model(t_u_val)
            loss_val = loss_fn(t_p_val, t_c_val)
        optimizer.zero_grad()
        loss_train.backward()
        optimizer.step()
        if epoch % 100 == 0:
            history.append((epoch, loss_train.item(), loss_val.item()))
    return history


def make_seq_model(n_hidden=8):
    """The neural network as `nn.Sequential` of a named `OrderedDict`:
    ("hidden", nn.Linear(1, n_hidden)), ("activation", nn.Tanh()), ("output", nn.Linear(n_hidden, 1)).
    """
    return nn.Sequential(OrderedDict([
        ("hidden", nn.Linear(1, n_hidden)),
        ("activation", nn.Tanh()),
        ("output", nn.Linear(n_hidden, 1)),
    ]))


class SubclassFunctionalModel(nn.Module):
    """The same network as a subclass of `nn.Module`: submodules `hidden = nn.Linear(1, n_hidden)` and
    `output = nn.Linear(n_hidden, 1)` assigned in `__init__`; `forward` applies `hidden`, then the
    functional `torch.tanh` (it has no parameters), then `output`.

    "Submodules must be top level attributes so that PyTorch can register them."
    """

    def __init__(self, n_hidden=8):
        super().__init__()
        self.n_hidden = n_hidden
        self.hidden = nn.Linear(1, n_hidden)
        self.output = nn.Linear(n_hidden, 1)

    def forward(self, input_):
        hidden_t = self.hidden(input_)
        activated_t = torch.tanh(hidden_t)
        output_t = self.output(activated_t)
        return output_t


def training_device():
    """`torch.device('cuda')` if `torch.cuda.is_available()` else `torch.device('cpu')`; the tutorial
    prints f"Training on device {device}."."""
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def training_loop_on_device(n_epochs, optimizer, model, loss_fn, t_u_train, t_u_val, t_c_train, t_c_val,
                            device):
    """The `nn` training loop that first moves the data to `device`
    ("same training loop as above, just moving data to GPU"): every tensor argument goes through
    `.to(device=device)`; the model must already be there.

    Returns the list of `(epoch, training loss, validation loss)` every 100 epochs.
    """
    t_u_train = t_u_train.to(device=device)
    t_u_val = t_u_val.to(device=device)
    t_c_train = t_c_train.to(device=device)
    t_c_val = t_c_val.to(device=device)
    return training_loop_nn(n_epochs, optimizer, model, loss_fn, t_u_train, t_u_val, t_c_train, t_c_val)
