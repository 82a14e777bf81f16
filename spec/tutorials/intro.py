"""PyTorch introduction: tensors, broadcasting, Variable (seed 003_7da401996fb2d863.txt).

The tutorial's own code, cleaned up so that tests can import it: the linear data, the models, the
manual gradient-descent update and the two training loops (by hand, and with ``optim.SGD``).
Written to run on torch 1.13 -> newest: ``Variable`` is gone from the code (it is a plain Tensor
since 0.4), and ``loss.data[0]`` (an IndexError since 1.0) is ``loss.item()``.

Tests reach this module only through the ``tutorial`` fixture, so a learner's version of it can be
swapped in; each function keeps a plain signature and a docstring quoting the tutorial.
"""
from typing import List, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim

N = 10
input_size = 1
output_size = 1
learning_rate = 0.05
num_epochs = 500


def make_linear_data(n: int = N, input_size: int = input_size) -> Tuple[torch.Tensor, torch.Tensor]:
    """In [19]: "lets generate some linear data" -- the points the model will learn.

        A = torch.Tensor([np.pi])
        b = torch.Tensor([42])
        x = torch.rand(N, input_size) * 5
        y = A * x + b + torch.rand(N, input_size) # add some noise to spice it up

    Returns ``(x, y)``, both float32 of shape ``(n, input_size)`` on the CPU: x uniform in [0, 5),
    y = pi * x + 42 plus uniform noise in [0, 1). Seed torch before calling for repeatable data.
    """
    A = torch.Tensor([np.pi])
    b = torch.Tensor([42])
    x = torch.rand(n, input_size) * 5
    y = A * x + b + torch.rand(n, input_size)
    return x, y


def make_model(input_size: int = input_size, output_size: int = output_size) -> nn.Linear:
    """In [17]: "The Linear Module defines a module that is of the form y = Ax + b where A and b
    are learnable parameters".

        my_model = torch.nn.Linear(input_size, output_size)
        print(list(my_model.parameters()))   # we can see A and b
    """
    return torch.nn.Linear(input_size, output_size)


class LinearRegression(nn.Module):
    """"When you're building your own model, you're going to subclass nn.Module. Critically, you also
    need to override the __init__() and forward() functions."

    "In __init__(), you should take arguments that modify how the model runs (e.g. # of layers, # of
    hidden units, output sizes). You'll also set up most of the layers that you use in the forward
    pass here." -- here one ``nn.Linear(input_size, output_size)`` stored as ``self.linear``.

    "In forward(), you define the "forward pass" of your model, or the operations needed to
    transform input to output." -- here y_hat = Wx + b, i.e. ``self.linear(x)``.
    """

    def __init__(self, input_size: int = input_size, output_size: int = output_size):
        """One ``nn.Linear(input_size, output_size)`` layer as ``self.linear`` (after ``super().__init__()``)."""
        super().__init__()
        self.linear = nn.Linear(input_size, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """The forward pass y_hat = Wx + b: ``self.linear(x)``."""
        return self.linear(x)


def manual_sgd_step(my_model: nn.Module, learning_rate: float = learning_rate) -> None:
    """In [20], the update after ``loss.backward()``: move every parameter against its gradient.

        for param in my_model.parameters():
            param.data.add_(-learning_rate * param.grad.data)
    """
    for param in my_model.parameters():
        param.data.add_(-learning_rate * param.grad.data)


def train_manual(my_model: nn.Module, x_var: torch.Tensor, y_var: torch.Tensor,
                 learning_rate: float = learning_rate,
                 num_epochs: int = num_epochs) -> Tuple[List[Tuple[int, float]], List[torch.Tensor]]:
    """In [20]: gradient descent by hand on the mean squared error.

        for idx in range(num_epochs):
            my_model.zero_grad()
            y_hat = my_model(x_var)
            loss = F.mse_loss(y_hat, y_var) # this is the mean squared error
            loss.backward() # it computes the gradient for us!
            for param in my_model.parameters():
                param.data.add_(-learning_rate * param.grad.data)
            if idx % 50 == 0:
                print(idx, loss.data[0])

    Returns ``(printed, params)``: ``printed`` the ``(idx, loss)`` pairs the loop prints every 50
    epochs (``loss.item()``: ``loss.data[0]`` raises IndexError since torch 1.0), ``params`` is
    ``list(my_model.parameters())`` after training (what In [21] prints).
    """
    printed = []
    for idx in range(num_epochs):
        my_model.zero_grad()
        y_hat = my_model(x_var)
        loss = F.mse_loss(y_hat, y_var)
        loss.backward()
        manual_sgd_step(my_model, learning_rate)
        if idx % 50 == 0:
            printed.append((idx, loss.item()))
    return printed, list(my_model.parameters())


def train_sgd(my_model: nn.Module, x_var: torch.Tensor, y_var: torch.Tensor,
              learning_rate: float = learning_rate,
              num_epochs: int = num_epochs) -> Tuple[List[Tuple[int, float]], List[torch.Tensor]]:
    """In [22]: the same loop, with the optimizer doing the update.

        opt = optim.SGD(my_model.parameters(), lr=learning_rate)
        for idx in range(num_epochs):
            my_model.zero_grad()
            y_hat = my_model(x_var)
            loss = F.mse_loss(y_hat, y_var) # this is the mean squared error
            loss.backward() # it computes the gradient for us!
            opt.step() # this does the parameter for us!
            if idx % 50 == 0:
                print(idx, loss.data[0])

    Returns ``(printed, params)`` exactly like ``train_manual``.
    """
    opt = optim.SGD(my_model.parameters(), lr=learning_rate)
    printed = []
    for idx in range(num_epochs):
        my_model.zero_grad()
        y_hat = my_model(x_var)
        loss = F.mse_loss(y_hat, y_var)
        loss.backward()
        opt.step()
        if idx % 50 == 0:
            printed.append((idx, loss.item()))
    return printed, list(my_model.parameters())
