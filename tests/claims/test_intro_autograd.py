"""intro tutorial (seed 003): computation graphs, Variable, gradients."""
import warnings

import pytest
import torch
from torch import nn
from torch.autograd import Variable
from torch.testing import assert_close

from tests.helpers.errors import assert_backward_twice_refused
from tests.helpers.graph import leaves

claim = pytest.mark.claim


def _x_y(device):
    """In [14]: x = [1, 2, 3] and y = [4, 5, 6], both requiring grad."""
    x = torch.tensor([1.0, 2.0, 3.0], device=device, requires_grad=True)
    y = torch.tensor([4.0, 5.0, 6.0], device=device, requires_grad=True)
    return x, y


@claim("graph.dynamic")
def test_python_control_flow_picks_the_graph(device):
    def f(t):
        return t * 2 if t.sum() > 0 else t ** 2

    pos = f(torch.tensor([1.0, 2.0], device=device, requires_grad=True))
    neg = f(torch.tensor([-1.0, -2.0], device=device, requires_grad=True))
    assert type(pos.grad_fn).__name__ == "MulBackward0"
    assert type(neg.grad_fn).__name__ == "PowBackward0", "each call records the graph its own branch built"


@claim("graph.linear-one-node")
def test_linear_is_one_addmm_node(device):
    model = nn.Linear(1, 1).to(device)
    y_hat = model(torch.tensor([[0.0], [1.0], [2.0]], device=device))
    assert type(y_hat.grad_fn).__name__ == "AddmmBackward0", "Wx + b is recorded as one fused addmm node"
    found = leaves(y_hat.grad_fn)  # the bias directly, W through W.T
    assert len(found) == 2 and {id(t) for t in found} == {id(model.bias), id(model.weight)}


@claim("autograd.variable-is-tensor")
def test_variable_returns_a_plain_tensor(device):
    t = torch.tensor([1.0, 2.0, 3.0], device=device)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation warning either
        x = Variable(t, requires_grad=True)
    assert type(x) is torch.Tensor, f"Variable(...) returns a torch.Tensor, got {type(x)}"
    assert x.requires_grad and not t.requires_grad
    assert x.data_ptr() == t.data_ptr(), "Variable(t) shares t's memory"


@claim("autograd.variable-members")
def test_data_is_the_tensor_without_history(device):
    x, _ = _x_y(device)
    assert_close(x.data, torch.tensor([1.0, 2.0, 3.0], device=device))
    assert not x.data.requires_grad, ".data is detached from autograd"
    assert x.data.data_ptr() == x.data_ptr(), ".data shares the tensor's memory"


@claim("autograd.variable-members")
def test_grad_and_grad_fn_of_a_fresh_leaf(device):
    x, _ = _x_y(device)
    assert x.grad is None, ".grad is None until a backward pass reaches x"
    assert x.grad_fn is None, "a leaf was created by the user, not by an operation"
    assert x.is_leaf


@claim("autograd.add-backward")
def test_sum_of_two_variables_remembers_add(device):
    x, y = _x_y(device)
    z = x + y
    assert_close(z.data, torch.tensor([5.0, 7.0, 9.0], device=device))
    assert type(z) is torch.Tensor, "operations between 'Variables' produce plain tensors"
    assert type(z.grad_fn).__name__ == "AddBackward0", f"got {z.grad_fn}"


@claim("autograd.input-grad-optional")
def test_parameters_get_grads_plain_inputs_do_not(device):
    model = nn.Linear(1, 1).to(device)
    x = torch.tensor([[1.0], [2.0]], device=device)
    model(x).sum().backward()
    assert model.weight.grad is not None and model.bias.grad is not None, "parameters require grad by default"
    assert x.grad is None and not x.requires_grad


@claim("autograd.input-grad-optional")
def test_input_gradient_when_asked_for(device):
    model = nn.Linear(1, 1).to(device)
    with torch.no_grad():
        model.weight.fill_(2.0)
    x = torch.tensor([[1.0], [2.0]], device=device, requires_grad=True)
    model(x).sum().backward()
    assert_close(x.grad, torch.tensor([[2.0], [2.0]], device=device), msg="d(Ax + b)/dx = A = 2")


@claim("autograd.requires-grad-needed")
def test_no_requires_grad_no_gradient(device):
    x = torch.tensor([1.0, 2.0, 3.0], device=device)
    z = x + torch.tensor([4.0, 5.0, 6.0], device=device)
    assert z.grad_fn is None, "nothing is recorded when no input requires grad"
    with pytest.raises(RuntimeError, match="element 0 of tensors does not require grad and does not have a grad_fn"):
        z.sum().backward()


@claim("autograd.sum-backward")
def test_z_sum_is_21_with_sum_backward(device):
    x, y = _x_y(device)
    z_sum = torch.sum(x + y)
    assert z_sum.item() == 21.0
    assert type(z_sum.grad_fn).__name__ == "SumBackward0", f"got {z_sum.grad_fn}"
    suffix = "" if device == "cpu" else f", device='{z_sum.device}'"
    assert str(z_sum) == f"tensor(21.{suffix}, grad_fn=<SumBackward0>)"


@claim("graph.grad-fn-chain")
def test_grad_fn_chain_leads_back_to_the_inputs(device):
    x, y = _x_y(device)
    z = x + y
    z_sum = torch.sum(z)
    assert z_sum.grad_fn.next_functions[0][0] is z.grad_fn, "the sum's input node is z's AddBackward0"
    assert [type(fn).__name__ for fn, _ in z.grad_fn.next_functions] == ["AccumulateGrad", "AccumulateGrad"]
    found = leaves(z.grad_fn)
    assert len(found) == 2 and {id(t) for t in found} == {id(x), id(y)}


def _sum_after_backward(device):
    """x, y and z_sum = torch.sum(x + y) after one z_sum.backward()."""
    x, y = _x_y(device)
    z_sum = torch.sum(x + y)
    z_sum.backward()
    return x, y, z_sum


@claim("autograd.grad-of-sum-is-ones")
def test_gradient_of_the_sum_is_ones(device):
    x, y, _ = _sum_after_backward(device)
    assert_close(x.grad, torch.tensor([1.0, 1.0, 1.0], device=device))
    assert_close(y.grad, torch.tensor([1.0, 1.0, 1.0], device=device))


@claim("autograd.rerun-accumulates")
def test_second_backward_of_add_sum_graph_gives_twos(device):
    x, _, z_sum = _sum_after_backward(device)
    z_sum.backward()  # no retain_graph needed: add and sum save no tensors
    assert_close(x.grad, torch.tensor([2.0, 2.0, 2.0], device=device),
                 msg="backward adds into .grad; it does not overwrite it")


@claim("autograd.backward-twice-needs-retain")
def test_mul_graph_cannot_be_backwarded_twice(device):
    x, y = _x_y(device)
    prod_sum = torch.sum(x * y)
    prod_sum.backward()
    assert_backward_twice_refused(prod_sum)


@claim("autograd.backward-twice-needs-retain")
def test_retain_graph_allows_a_second_backward(device):
    x, y = _x_y(device)
    prod_sum = torch.sum(x * y)
    prod_sum.backward(retain_graph=True)
    prod_sum.backward()
    assert_close(x.grad, torch.tensor([8.0, 10.0, 12.0], device=device))


@claim("autograd.zero-before-backward")
def test_zeroing_gives_a_fresh_gradient(device):
    x, _, z_sum = _sum_after_backward(device)
    x.grad.zero_()
    z_sum.backward()
    assert_close(x.grad, torch.tensor([1.0, 1.0, 1.0], device=device),
                 msg="after zeroing, .grad holds only the latest backward's gradient")
