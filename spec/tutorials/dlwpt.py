"""Exercises for the "PyTorch Tutorial" after Deep Learning with PyTorch (seed 002).

Read the tutorial and write each function and class below the way its code does. Where the tutorial
names a function (model, mse, dloss_dmodel, dmodel_dw, dmodel_db, grad_fn, SubclassFunctionalModel),
the exercise has its name and arguments; its training_loop, defined five times, has five names here;
the rest (the data, the split, the Sequential model, the device) it writes at module level, and here
each is a function so it can be checked: its docstring's first line says so. Each docstring quotes the
tutorial and says what to take and what to return.
"""
from collections import OrderedDict

import torch
from torch import nn


def temperature_data(device=None):
    """The tutorial creates t_c and t_u at module level; here a function returns them so it can be checked.

    "we'll take some input temperature data in celcius `t_c` and some output data in unknown units `t_u`"

        t_c = torch.tensor([0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0])
        t_u = torch.tensor([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4])

    Takes the device to create them on (None: the default device). Returns fresh float32 tensors
    `(t_c, t_u)` of 11 samples on every call (the tutorial later unsqueezes them in place).
    """
    t_c = torch.tensor([0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0], device=device)
    t_u = torch.tensor([35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4], device=device)
    return t_c, t_u


def model(t_u, w, b):
    """The linear model: "we assume we can multiply `t_u` by some amount `w` and add a constant `b` to get `t_c`".

    Returns the predictions `t_p` for the inputs `t_u`.
    """
    return w * t_u + b


def mse(t_p, t_c):
    """Loss function: mean squared error.

    Takes the predictions `t_p` and the targets `t_c`. Returns the mean of the squared differences
    (a 0-dim tensor).
    """
    squared_diffs = (t_p - t_c) ** 2
    return squared_diffs.mean()


def dloss_dmodel(t_p, t_c):
    """Derivative of loss function (t_p - t_c)^2 with respect to the output of the model t_p.

    The loss is a mean over the samples, so the derivative is divided by their number (`t_p.size(0)`).
    Returns a tensor shaped like `t_p`.
    """
    dsq_diffs = 2 * (t_p - t_c) / t_p.size(0)
    return dsq_diffs


def dmodel_dw(t_u, w, b):
    """Derivate of the model w * t_u + b with respect to w."""
    return t_u


def dmodel_db(t_u, w, b):
    """Derivate of the model w * t_u + b with respect to b."""
    return 1.0


def grad_fn(t_u, t_c, t_p, w, b):
    """The gradient of the loss with respect to `w` and `b`, by the chain rule.

    "dloss/dw = dloss/dmodel * dmodel/dw" and "dloss/db = dloss/dmodel * dmodel/db" (the three functions
    above), each summed over the samples. Returns one tensor of two elements, `[dloss/dw, dloss/db]`.
    """
    dloss_dtp = dloss_dmodel(t_p, t_c)
    dloss_dw = dloss_dtp * dmodel_dw(t_u, w, b)
    dloss_db = dloss_dtp * dmodel_db(t_u, w, b)
    return torch.stack([dloss_dw.sum(), dloss_db.sum()])


def training_loop_manual(n_epochs, learning_rate, params, t_u, t_c):
    """The tutorial's training_loop, version 1 of 5 (hand-written gradient); named apart so it can be checked.

    "Typically the training loop is implemented as a standard Python for loop."
    "n_epochs: number of epochs - a training iteration that results in updating parameters for all
    training samples; learning_rate: scaling factor that determines how much we update our weights by".
    Each epoch: the forward pass (`model`, `mse`), the backward pass "backpropagating derivatives"
    (`grad_fn`), then "update parameters". Every 100 epochs the tutorial prints
    `'Epoch %d, Loss %f' % (epoch, float(loss))`.

    Returns the final `params`, as the tutorial does (the checks read what it prints).
    """
    for epoch in range(1, n_epochs + 1):
        w, b = params
        t_p = model(t_u, w, b)
        loss = mse(t_p, t_c)
        grad = grad_fn(t_u, t_c, t_p, w, b)
        params = params - learning_rate * grad
        if epoch % 100 == 0:
            print('Epoch %d, Loss %f' % (epoch, float(loss)))
    return params


def training_loop_autograd(n_epochs, learning_rate, params, t_u, t_c):
    """The tutorial's training_loop, version 2 of 5 (PyTorch Autograd); named apart so it can be checked.

    `params` has `requires_grad=True`. "calling `backward` causes gradients to accumulate at leaf nodes.
    In order to update parameters at each iteration of a training loop, they need to be zerod out
    explicitly"; "This code block tells PyTorch to update params inplace and not add an edge to the
    autograd graph" (`torch.no_grad`). Every 100 epochs the tutorial prints
    `'Epoch %d, Loss %f' % (epoch, float(loss))`.

    Returns `params`, the same tensor updated in place, as the tutorial does (the checks read what it
    prints).
    """
    for epoch in range(1, n_epochs + 1):
        if params.grad is not None:
            params.grad.zero_()
        t_p = model(t_u, *params)
        loss = mse(t_p, t_c)
        loss.backward()
        with torch.no_grad():
            params -= learning_rate * params.grad
        if epoch % 100 == 0:
            print('Epoch %d, Loss %f' % (epoch, loss.item()))
    return params


def training_loop_optimizer(n_epochs, optimizer, params, t_u, t_c):
    """The tutorial's training_loop, version 3 of 5 (Optimizers); named apart so it can be checked.

    The optimizer, built on `[params]`, does the update: each epoch the forward pass, then
    `optimizer.zero_grad()`, `loss.backward()` and `optimizer.step()`. Every 100 epochs the tutorial prints
    `'Epoch %d, Loss %f' % (epoch, float(loss))`.

    Returns `params`, as the tutorial does (the checks read what it prints).
    """
    for epoch in range(1, n_epochs + 1):
        t_p = model(t_u, *params)
        loss = mse(t_p, t_c)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if epoch % 100 == 0:
            print('Epoch %d, Loss %f' % (epoch, loss.item()))
    return params


def split_train_val(t_u, t_c, val_fraction=0.2):
    """The tutorial splits the data at module level; here it is a function so it can be checked.

    "split data into 80% training set and 20% validation set": `n_val` is `int(0.2 * n_samples)`
    samples, drawn with `torch.randperm`; the last `n_val` shuffled indices are the validation set.
    Like the tutorial, first turn `t_c` and `t_u` into column vectors in place ("PyTorch expects the 0th
    dimension in the tensor to be the number of examples in the batch, hence the `unsqueeze` op").

    Takes `t_u`, `t_c` and the validation fraction. Returns `(t_u_train, t_c_train, t_u_val, t_c_val)`,
    each of shape `[n, 1]`.
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
    """The tutorial's training_loop, version 4 of 5 (Torch.nn); named apart so it can be checked.

    Training an `nn.Module` with a validation loss: each epoch the training loss on the training set,
    the validation loss computed under `torch.no_grad()`, then `optimizer.zero_grad()`,
    `loss_train.backward()`, `optimizer.step()`. Every 100 epochs the tutorial prints
    `f"Epoch {epoch}, Training loss {loss_train.item():.4f}, Validation loss {loss_val.item():.4f}"`.

    Returns nothing, as the tutorial's (the checks read what it prints).
    """
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
            print(f"Epoch {epoch}, Training loss {loss_train.item():.4f},"
                  f" Validation loss {loss_val.item():.4f}")


def make_seq_model(n_hidden=8):
    """The tutorial builds seq_model at module level; here it is a function so it can be checked.

    The neural network as `nn.Sequential` of a named `OrderedDict`: a layer named "hidden"
    (`nn.Linear(1, n_hidden)`), an activation named "activation" (`nn.Tanh()`) and a layer named "output"
    (`nn.Linear(n_hidden, 1)`). Returns that model.
    """
    return nn.Sequential(OrderedDict([
        ("hidden", nn.Linear(1, n_hidden)),
        ("activation", nn.Tanh()),
        ("output", nn.Linear(n_hidden, 1)),
    ]))


class SubclassFunctionalModel(nn.Module):
    """The same network as a subclass of `nn.Module`, with the functional `torch.tanh`.

    "Submodules must be top level attributes so that PyTorch can register them": `hidden` and `output`
    are assigned in `__init__`; `forward` applies `hidden`, then `torch.tanh` (it has no parameters, so
    it need not be a submodule), then `output`.
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
    """The tutorial picks its device at module level; here it is a function so it can be checked.

    `torch.device('cuda')` if CUDA is available, else `torch.device('cpu')`; the tutorial prints
    f"Training on device {device}.".
    """
    return torch.device("cuda") if torch.cuda.is_available() else torch.device("cpu")


def training_loop_on_device(n_epochs, optimizer, model, loss_fn, t_u_train, t_u_val, t_c_train, t_c_val,
                            device):
    """The tutorial's training_loop, version 5 of 5 (data moved to the device); named apart so it can be checked.

    "same training loop as above, just moving data to GPU": every tensor argument goes
    `.to(device=device)` first; the model must already be there.

    Prints what training_loop_nn prints; returns nothing, as the tutorial's.
    """
    t_u_train = t_u_train.to(device=device)
    t_u_val = t_u_val.to(device=device)
    t_c_train = t_c_train.to(device=device)
    t_c_val = t_c_val.to(device=device)
    training_loop_nn(n_epochs, optimizer, model, loss_fn, t_u_train, t_u_val, t_c_train, t_c_val)
