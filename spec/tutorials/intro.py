"""Exercises for the PyTorch introduction: tensors, broadcasting, Variable (seed 003).

Read the tutorial and write each function and class below the way its In [..] cells do. The tutorial
names no functions: it runs every cell at module level with the globals below (N, input_size,
output_size, learning_rate, num_epochs). Here each cell you write is a function that takes what the
cell had at hand, with the tutorial's variable names as arguments, so it can be checked; its
docstring's first line says so. ``Variable`` is a plain tensor since torch 0.4: pass tensors. Each
docstring quotes the tutorial and says what to take and what to return.
"""
from typing import Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim

N = 10
input_size = 1
output_size = 1
learning_rate = 0.05
num_epochs = 500


def make_linear_data(N: int = N, input_size: int = input_size) -> Tuple[torch.Tensor, torch.Tensor]:
    """The tutorial runs In [19] at module level; here it is a function so it can be checked.

    "lets generate some linear data": N points x, uniform in [0, 5), and y = A * x + b with the
    "params we are trying to learn" A = pi and b = 42, plus noise from torch.rand ("add some noise to
    spice it up"). Write it as In [19] does: `N` and `input_size` are this function's arguments.

    Returns ``(x, y)``, both float32 of shape ``(N, input_size)`` on the CPU. Seed torch before calling
    for repeatable data.
    """
    A = torch.Tensor([np.pi])
    b = torch.Tensor([42])
    x = torch.rand(N, input_size) * 5
    y = A * x + b + torch.rand(N, input_size)
    return x, y


def make_model(input_size: int = input_size, output_size: int = output_size) -> nn.Linear:
    """The tutorial builds my_model at module level (In [17]); here it is a function so it can be checked.

    "The Linear Module defines a module that is of the form y = Ax + b where A and b are learnable
    parameters". Returns that module for ``input_size`` inputs and ``output_size`` outputs.
    """
    return torch.nn.Linear(input_size, output_size)


class LinearRegression(nn.Module):
    """The tutorial describes this class in words only; here it is a class so it can be checked.

    "When you're building your own model, you're going to subclass nn.Module. Critically, you also
    need to override the __init__() and forward() functions."

    "In __init__(), you should take arguments that modify how the model runs (e.g. # of layers, # of
    hidden units, output sizes). You'll also set up most of the layers that you use in the forward
    pass here." -- here one Linear layer from ``input_size`` to ``output_size``, as ``self.linear``.

    "In forward(), you define the "forward pass" of your model, or the operations needed to
    transform input to output." -- here y_hat = Wx + b, by that layer.
    """

    def __init__(self, input_size: int = input_size, output_size: int = output_size):
        """Tutorial: "set up most of the layers that you use in the forward pass here": ``self.linear``."""
        super().__init__()
        self.linear = nn.Linear(input_size, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Tutorial: "the operations needed to transform input to output": the layer applied to ``x``."""
        return self.linear(x)


def train_manual(my_model: nn.Module, x_var: torch.Tensor, y_var: torch.Tensor,
                 learning_rate: float = learning_rate,
                 num_epochs: int = num_epochs) -> None:
    """The tutorial runs In [20] at module level; here it is a function so it can be checked.

    Gradient descent by hand on the mean squared error ("A common loss used for regression problems is
    the mean squared error"): each epoch zero the model's gradients, predict ``y_hat``, compute the loss
    with ``F.mse_loss``, ``loss.backward()`` ("it computes the gradient for us!"), then update every
    parameter against its gradient, scaled by ``learning_rate``, in place (on the parameter's ``.data``).

    Takes the model to train (``my_model``), ``x_var``, ``y_var``, ``learning_rate`` and ``num_epochs``.
    Prints ``idx`` and the loss every 50 epochs as In [20] does, with ``loss.item()`` (``loss.data[0]``
    raises IndexError since torch 1.0); returns nothing: ``my_model`` is trained in place (In [21] then
    prints its parameters), and the checks read what it prints.
    """
    for idx in range(num_epochs):
        my_model.zero_grad()
        y_hat = my_model(x_var)
        loss = F.mse_loss(y_hat, y_var)
        loss.backward()
        for param in my_model.parameters():
            param.data.add_(-learning_rate * param.grad.data)
        if idx % 50 == 0:
            print(idx, loss.item())


def train_sgd(my_model: nn.Module, x_var: torch.Tensor, y_var: torch.Tensor,
              learning_rate: float = learning_rate,
              num_epochs: int = num_epochs) -> None:
    """The tutorial runs In [22] at module level; here it is a function so it can be checked.

    "PyTorch includes a variety of optimizers that do exactly this, from the standard SGD to more
    advanced techniques" ... "With these gradients, the optimizer can update the weights." The same
    loop as train_manual, with ``opt = optim.SGD(...)`` on the model's parameters doing the update
    ("this does the parameter for us!"). In [22] first resets the model ("# reset model"); here the
    model you are given is the fresh one: train it, do not make another.

    Prints and returns like ``train_manual``.
    """
    opt = optim.SGD(my_model.parameters(), lr=learning_rate)
    for idx in range(num_epochs):
        my_model.zero_grad()
        y_hat = my_model(x_var)
        loss = F.mse_loss(y_hat, y_var)
        loss.backward()
        opt.step()
        if idx % 50 == 0:
            print(idx, loss.item())
