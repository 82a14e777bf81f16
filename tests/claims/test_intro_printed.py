"""intro (seed 003): the code cells as printed (python -m spec replay runs them all)."""
import contextlib
import io

import pytest
import torch
from torch.autograd import Variable

from spec.replay.item import assert_as_printed, assert_quoted_verbatim

claim = pytest.mark.claim

# In [20] with its indentation restored (what the notebook ran) ...
MSE_LOOP_INDENTED = """import torch.nn.functional as F
x_var = Variable(x)
y_var = Variable(y)
learning_rate = 0.05
num_epochs = 500
for idx in range(num_epochs):
    my_model.zero_grad()
    y_hat = my_model(x_var)
    loss = F.mse_loss(y_hat, y_var) # this is the mean squared error
    loss.backward() # it computes the gradient for us!
    for param in my_model.parameters():
        param.data.add_(-learning_rate * param.grad.data)
    if idx % 50 == 0:
        print(idx, loss.data[0])
"""
# ... and as the page prints In [20] and In [22]: every line at column 0
MSE_LOOP = "".join(line.lstrip(" ") for line in MSE_LOOP_INDENTED.splitlines(keepends=True))
SGD_LOOP = """import torch.optim as optim
learning_rate = 0.05
my_model = torch.nn.Linear(input_size, output_size) # reset model
opt = optim.SGD(my_model.parameters(), lr=learning_rate)
num_epochs = 500
for idx in range(num_epochs):
my_model.zero_grad()
y_hat = my_model(x_var)
loss = F.mse_loss(y_hat, y_var) # this is the mean squared error
loss.backward() # it computes the gradient for us!
opt.step() # this does the parameter for us!
if idx % 50 == 0:
print(idx, loss.data[0])
"""


def _namespace():
    """What In [6]..In [19] define: the data y = pi x + 42 + U(0, 1) and the Linear(1, 1) model."""
    torch.manual_seed(0)
    x = torch.rand(10, 1) * 5
    y = torch.Tensor([3.14159265]) * x + torch.Tensor([42]) + torch.rand(10, 1)
    return {"torch": torch, "Variable": Variable, "x": x, "y": y, "input_size": 1, "output_size": 1,
            "my_model": torch.nn.Linear(1, 1)}


@claim("training.printed-loops-lost-indentation")
def test_both_loops_as_printed_do_not_compile():
    for loop in (MSE_LOOP, SGD_LOOP):
        with pytest.raises(IndentationError, match=r"^expected an indented block after 'for' statement on line 6 \(<cell>, line 7\)$"):
            compile(loop, "<cell>", "exec")


@claim("training.printed-loops-lost-indentation")
def test_indented_again_the_loop_stops_at_loss_data_0_and_with_item_it_trains():
    with pytest.raises(IndexError, match=r"^invalid index of a 0-dim tensor\. Use `tensor\.item\(\)`"):
        exec(MSE_LOOP_INDENTED, _namespace())
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(MSE_LOOP_INDENTED.replace("loss.data[0]", "loss.item()"), _namespace())
    printed = [line.split() for line in out.getvalue().splitlines()]
    assert [int(idx) for idx, _ in printed] == list(range(0, 500, 50))
    losses = [float(loss) for _, loss in printed]
    assert all(a > b for a, b in zip(losses, losses[1:])), f"the losses fall: {losses}"


@claim("replay.intro-as-printed")
def test_every_cell_runs_as_printed_or_as_the_catalog_records(request):
    assert_as_printed(request, "intro")


@claim("replay.intro-as-printed")
def test_the_cells_these_tests_quote_are_the_seeds_own(request):
    # MSE_LOOP_INDENTED is derived (indentation restored): its printed form MSE_LOOP is what is checked
    assert_quoted_verbatim(request, "intro", {"MSE_LOOP": MSE_LOOP, "SGD_LOOP": SGD_LOOP})
