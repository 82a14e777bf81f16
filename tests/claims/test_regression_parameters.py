"""Creating Parameters: requires_grad, nn.Parameter, devices, in-place methods."""
import pytest
import torch
import torch.nn as nn
from torch.testing import assert_close

from tests.helpers.regression import train_tensors
from tests.helpers.shapes import assert_tensor

claim = pytest.mark.claim


@claim("autograd.requires-grad-default-false")
def test_plain_tensors_do_not_require_grad(tutorial, device):
    assert torch.randn(1).requires_grad is False
    assert torch.randn(1, device=device).requires_grad is False
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    assert not x_train_tensor.requires_grad and not y_train_tensor.requires_grad, \
        "data tensors must not require grad: only the parameters do"


@claim("autograd.parameter-requires-grad")
def test_nn_parameter_requires_grad_by_default():
    plain = torch.randn(1)
    assert plain.requires_grad is False
    assert nn.Parameter(plain).requires_grad is True
    assert nn.Parameter(plain, requires_grad=False).requires_grad is False


@claim("autograd.requires-grad-computes-gradients")
def test_only_tensors_requiring_grad_receive_gradients(tutorial, device):
    a, b = tutorial.make_parameters(device)
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    loss = ((y_train_tensor - (a + b * x_train_tensor)) ** 2).mean()
    loss.backward()
    assert a.grad is not None and b.grad is not None, "make_parameters must create a and b with requires_grad=True"
    assert_tensor(a.grad, "a.grad", shape=(1,))
    assert_tensor(b.grad, "b.grad", shape=(1,))
    assert x_train_tensor.grad is None


@claim("autograd.print-shows-requires-grad")
def test_printing_a_seeded_parameter_shows_requires_grad():
    torch.manual_seed(42)
    a = torch.randn(1, requires_grad=True, dtype=torch.float)
    b = torch.randn(1, requires_grad=True, dtype=torch.float)
    assert f"{a} {b}" == "tensor([0.3367], requires_grad=True) tensor([0.1288], requires_grad=True)"
    assert str(torch.randn(1)).endswith("])"), "a tensor that does not require grad prints without the flag"


@claim("devices.requires-grad-then-to-is-not-leaf")
def test_moving_a_tensor_that_requires_grad(device):
    created = torch.randn(1, requires_grad=True, dtype=torch.float)
    moved = created.to(device)
    (2 * moved).sum().backward()
    if device == "cpu":
        assert moved is created and moved.is_leaf
        assert_close(moved.grad, torch.tensor([2.0]))
    else:
        assert not moved.is_leaf and moved.grad_fn is not None
        with pytest.warns(UserWarning, match="not a leaf Tensor"):
            assert moved.grad is None
        assert_close(created.grad, torch.tensor([2.0]))


@claim("devices.to-then-requires-grad")
def test_move_first_then_require_grad_gives_a_leaf_on_the_device(device):
    a = torch.randn(1, dtype=torch.float).to(device)
    assert a.requires_grad_() is a
    assert a.is_leaf and a.requires_grad and a.device.type == device
    (3 * a).sum().backward()
    assert_close(a.grad, torch.tensor([3.0], device=device))


@claim("devices.create-on-device")
def test_creating_on_the_device_gives_a_leaf_there(tutorial, device):
    a, b = tutorial.make_parameters(device)
    for name, p in (("a", a), ("b", b)):
        assert p.device.type == device, f"{name} should be created on {device} (device=device), got {p.device}"
        assert p.is_leaf, f"{name} is not a leaf: create it with device=..., don't move it with .to() afterwards"
        assert p.requires_grad, f"{name} should require grad (requires_grad=True)"
        assert_tensor(p, name, shape=(1,), dtype=torch.float32)
    if device == "cpu":
        assert_close(torch.cat([a, b]).detach(), torch.tensor([0.3367, 0.1288]), atol=5e-5, rtol=0,
                     msg="under torch.manual_seed(42) a and b start at 0.3367 and 0.1288: seed first")


@claim("tensors.underscore-in-place")
def test_trailing_underscore_means_in_place(device):
    t = torch.zeros(2, device=device)
    added = t.add(1)
    assert added is not t and t.sum().item() == 0.0
    assert t.add_(1) is t
    assert_close(t, torch.ones(2, device=device))
    assert t.zero_() is t and t.sum().item() == 0.0
    assert t.requires_grad_() is t and t.requires_grad
