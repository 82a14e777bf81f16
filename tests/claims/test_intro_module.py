"""intro tutorial (seed 003): nn.Module subclasses and nn.Linear."""
import io

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from tests.helpers.shapes import assert_tensor

claim = pytest.mark.claim


def _set(linear, weight, bias):
    """Give an nn.Linear known parameters (values, not autograd history)."""
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(weight))
        linear.bias.copy_(torch.tensor(bias))


@claim("module.subclass")
def test_subclass_registers_the_layer(tutorial):
    model = tutorial.LinearRegression(1, 1)
    assert isinstance(model, nn.Module), "the model must subclass nn.Module"
    assert type(model).forward is not nn.Module.forward, "the subclass must define its own forward"
    names = [name for name, _ in model.named_parameters()]
    assert names == ["linear.weight", "linear.bias"], \
        f"store the nn.Linear as self.linear so its A and b are registered; got {names}"


@claim("module.subclass")
def test_subclass_forward_applies_the_layer(tutorial, device):
    model = tutorial.LinearRegression(1, 1)
    _set(model.linear, [[2.0]], [1.0])
    model = model.to(device)
    out = model(torch.tensor([[0.0], [1.0], [2.0]], device=device))
    assert_close(out, torch.tensor([[1.0], [3.0], [5.0]], device=device),
                 msg="forward should return self.linear(x) = 2 * x + 1 here")


@claim("module.subclass")
def test_init_arguments_shape_the_model(tutorial, device):
    model = tutorial.LinearRegression(3, 2).to(device)
    assert model.linear.weight.shape == (2, 3), "__init__(input_size, output_size) sizes the layer"
    assert_tensor(model(torch.ones(4, 3, device=device)), "LinearRegression(3, 2) of 4 inputs of 3 features", shape=(4, 2))


@claim("module.init-and-forward-required")
def test_missing_forward_raises():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match=r'Module \[NoForward\] is missing the required "forward" function'):
        NoForward()(torch.ones(1))


@claim("module.init-and-forward-required")
def test_layers_need_super_init_first():
    class NoSuperInit(nn.Module):
        def __init__(self):
            self.linear = nn.Linear(1, 1)

    with pytest.raises(AttributeError, match=r"cannot assign module before Module.__init__\(\) call"):
        NoSuperInit()


@claim("module.save-load")
def test_state_dict_round_trip(tutorial, device):
    torch.manual_seed(0)
    model = tutorial.LinearRegression(1, 1).to(device)
    assert list(model.state_dict()) == ["linear.weight", "linear.bias"]
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    buffer.seek(0)
    fresh = tutorial.LinearRegression(1, 1).to(device)
    fresh.load_state_dict(torch.load(buffer, map_location=device, weights_only=True))
    x = torch.tensor([[0.0], [1.0], [2.0]], device=device)
    assert_close(fresh(x), model(x), msg="the loaded model must compute what the saved one did")


@claim("module.any-tensor-operation")
def test_forward_with_arbitrary_tensor_ops(device):
    class Odd(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(torch.tensor([[1.0], [-1.0]]))

        def forward(self, x):
            return (x @ self.w).clamp(min=0).pow(2).sum()

    model = Odd().to(device)
    model(torch.tensor([[3.0, 1.0], [1.0, 2.0]], device=device)).backward()
    assert_close(model.w.grad, torch.tensor([[12.0], [4.0]], device=device),
                 msg="d/dw of relu(x @ w)^2 summed: 2 * 2 * [3, 1] from the first row, 0 from the clamped one")


@claim("nn.linear-computes-xat-plus-b")
def test_linear_is_x_at_a_transposed_plus_b(device):
    layer = nn.Linear(3, 2)
    _set(layer, [[1.0, 2.0, 3.0], [0.0, -1.0, 1.0]], [10.0, 20.0])
    layer = layer.to(device)
    x = torch.tensor([[1.0, 1.0, 1.0], [2.0, 0.0, -1.0]], device=device)
    assert layer.weight.shape == (2, 3), "weight A is (out_features, in_features)"
    assert_close(layer(x), torch.tensor([[16.0, 20.0], [9.0, 19.0]], device=device))
    assert_close(layer(x), x @ layer.weight.T + layer.bias)


@claim("nn.linear-parameters")
def test_parameters_are_a_then_b(tutorial):
    torch.manual_seed(0)
    my_model = tutorial.make_model(1, 1)
    params = list(my_model.parameters())
    assert [tuple(p.shape) for p in params] == [(1, 1), (1,)], "expected [A of shape [1, 1], b of shape [1]]"
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in params), \
        f"every parameter should be an nn.Parameter that requires grad, got {[type(p).__name__ for p in params]}"
    assert all(p.abs().max().item() <= 1.0 for p in params), "nn.Linear(1, 1) initializes in [-1, 1]"


@claim("module.call-as-function")
def test_calling_the_model(tutorial, device):
    my_model = tutorial.make_model(1, 1)
    _set(my_model, [[0.5]], [-1.0])
    my_model = my_model.to(device)
    x = torch.Tensor([[0], [1], [2]]).to(device)
    out = my_model(x)
    assert out.shape == (3, 1), f"three data points in, three predictions out: got {tuple(out.shape)}"
    assert_close(out, torch.tensor([[-1.0], [-0.5], [0.0]], device=device))
    assert type(out.grad_fn).__name__ == "AddmmBackward0"
