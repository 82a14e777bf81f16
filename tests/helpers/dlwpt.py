"""Data and cached fits of the dlwpt tutorial (seed 002), built through the code under test (the
`tutorial` fixture's module, passed in)."""
import re

import torch
from torch import nn, optim

from tests.helpers.cache import per_tutorial
from tests.helpers.printed import run_printing

LOSS_LINE = re.compile(r"^Epoch (\d+), Loss (\S+)$")  # 'Epoch %d, Loss %f' % (epoch, float(loss))
NN_LINE = re.compile(r"^Epoch (\d+), Training loss (\S+), Validation loss (\S+)$")

T_C = [0.5, 14.0, 15.0, 28.0, 11.0, 8.0, 3.0, -4.0, 6.0, 13.0, 21.0]
T_U = [35.7, 55.9, 58.2, 81.9, 56.3, 48.9, 33.9, 21.8, 48.4, 60.4, 68.4]
# the t_p the tutorial printed for its (unseeded) random w and b
PRINTED_T_P = [11.1664, 17.0082, 17.6733, 24.5272, 17.1238, 14.9838, 10.6459, 7.1467,
               14.8392, 18.3095, 20.6231]
# The tutorial's validation samples were t_u = 35.7 and 55.9 (indices 0 and 1): its printed
# linear_model(t_un_val) = [[0.8970], [1.8425]] is 0.4681 * [3.57, 5.59] - 0.7741.
VAL, TRAIN = [0, 1], list(range(2, 11))
MLP_SEED = 0


def split(tutorial, device):
    """(t_un_train, t_un_val, t_c_train, t_c_val): the tutorial's split, inputs scaled by 0.1."""
    t_c, t_u = tutorial.temperature_data(device)
    t_c, t_u = t_c.unsqueeze(1), t_u.unsqueeze(1)
    return 0.1 * t_u[TRAIN], 0.1 * t_u[VAL], t_c[TRAIN], t_c[VAL]


def printed(loop, *args, name=None):
    """Run one of the tutorial's training_loop versions and read what it prints, as the tutorial does
    every 100 epochs: (what it returned, [(epoch, loss), ...]) from its 'Epoch %d, Loss %f' lines, or
    [(epoch, training loss, validation loss), ...] from the nn loops' lines."""
    result, lines = run_printing(loop, *args)
    rows = [(int(m[1]),) + tuple(float(v) for v in m.groups()[1:])
            for m in (LOSS_LINE.match(ln) or NN_LINE.match(ln) for ln in lines) if m]
    assert rows, (f"{name or loop.__name__} printed no 'Epoch N, Loss X' lines every 100 epochs (as the tutorial "
                  f"prints them), it printed {lines[:3]}")
    return result, rows


@per_tutorial
def adam_fit(tutorial, device):
    """(params, [(epoch, loss), ...]): the tutorial's Adam run on the scaled inputs (0.1 * t_u), from
    params [1.0, 0.0], lr 1e-1, 1000 epochs, through its training_loop_optimizer."""
    t_c, t_u = tutorial.temperature_data(device)
    params = torch.tensor([1.0, 0.0], device=device, requires_grad=True)
    return printed(tutorial.training_loop_optimizer, 1000, optim.Adam([params], lr=1e-1), params, 0.1 * t_u, t_c)


@per_tutorial
def linear_fit(tutorial, device):
    """(linear_model, history): the tutorial's linear fit on the split, from its printed start
    (weight 0.4681, bias -0.7741), Adam lr 1e-1, 1000 epochs."""
    linear_model = nn.Linear(1, 1).to(device)
    with torch.no_grad():
        linear_model.weight.fill_(0.4681)
        linear_model.bias.fill_(-0.7741)
    optimizer = optim.Adam(linear_model.parameters(), lr=1e-1)
    return linear_model, printed(tutorial.training_loop_nn, 1000, optimizer, linear_model, nn.MSELoss(),
                                 *split(tutorial, device), name="training_loop_nn")[1]


@per_tutorial
def mlp_fit(tutorial, device):
    """The history of the tutorial's Sequential MLP fit on the split, seeded with MLP_SEED."""
    torch.manual_seed(MLP_SEED)
    seq_model = tutorial.make_seq_model().to(device)
    optimizer = optim.Adam(seq_model.parameters(), lr=1e-2)
    return printed(tutorial.training_loop_nn, 1000, optimizer, seq_model, nn.MSELoss(), *split(tutorial, device),
                   name="training_loop_nn")[1]
