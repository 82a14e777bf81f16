"""Autograd: backward, accumulation, the three update attempts, the trained values."""
import pytest
import torch
from torch.testing import assert_close

from tests.helpers.errors import LEAF_IN_PLACE
from tests.helpers.regression import assert_loop_seeded, assert_printed_line, train_tensors, trained

claim = pytest.mark.claim


@claim("autograd.backward-fills-grad")
def test_backward_fills_grad_with_the_loss_gradient(tutorial, device):
    a, b = tutorial.make_parameters(device)
    assert a.grad is None and b.grad is None, "no gradient exists before backward()"
    loss = (a + 2 * b).sum()
    loss.backward()
    assert_close(a.grad, torch.tensor([1.0], device=device))
    assert_close(b.grad, torch.tensor([2.0], device=device))


@claim("autograd.grad-accumulates")
def test_second_backward_adds_to_grad(device):
    a = torch.tensor([2.0], device=device, requires_grad=True)
    loss = (3 * a).sum()
    loss.backward(retain_graph=True)
    assert_close(a.grad, torch.tensor([3.0], device=device))
    loss.backward()
    assert_close(a.grad, torch.tensor([6.0], device=device))


@claim("autograd.zero-resets-grad")
def test_zero_resets_grad_in_place(device):
    a = torch.tensor([2.0], device=device, requires_grad=True)
    (3 * a).sum().backward()
    grad = a.grad
    assert a.grad.zero_() is grad
    assert_close(a.grad, torch.tensor([0.0], device=device))
    (5 * a).sum().backward()
    assert_close(a.grad, torch.tensor([5.0], device=device))


@claim("autograd.matches-manual-gradients")
def test_autograd_gradients_equal_the_manual_formulas(tutorial, device):
    a, b = tutorial.make_parameters(device)
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    error = y_train_tensor - (a + b * x_train_tensor)
    (error ** 2).mean().backward()
    with torch.no_grad():
        assert_close(a.grad, (-2 * error.mean()).reshape(1))
        assert_close(b.grad, (-2 * (x_train_tensor * error).mean()).reshape(1))


@claim("autograd.reassign-loses-grad")
def test_first_attempt_reassignment_loses_the_gradient(tutorial, device):
    a, b = tutorial.make_parameters(device)
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    ((y_train_tensor - (a + b * x_train_tensor)) ** 2).mean().backward()
    lr = 1e-1
    a = a - lr * a.grad
    assert not a.is_leaf
    with pytest.warns(UserWarning, match="is not a leaf Tensor is being accessed"):
        with pytest.raises(AttributeError, match="'NoneType' object has no attribute 'zero_'"):
            a.grad.zero_()


@claim("autograd.inplace-update-of-leaf-raises")
def test_second_attempt_in_place_update_of_a_leaf_raises(tutorial, device):
    a, b = tutorial.make_parameters(device)
    (a * b).sum().backward()
    lr = 1e-1
    with pytest.raises(RuntimeError, match=LEAF_IN_PLACE):
        a -= lr * a.grad


@claim("autograd.inplace-leaf-error-wording")
def test_in_place_leaf_error_says_is_being_used(device):
    a = torch.randn(1, requires_grad=True, device=device)
    with pytest.raises(RuntimeError, match=LEAF_IN_PLACE) as info:
        a -= 0.1
    assert "has been used" not in str(info.value)


@claim("autograd.no-grad-update")
def test_third_attempt_no_grad_update_works(tutorial, device):
    a, b = tutorial.make_parameters(device)
    (a + 2 * b).sum().backward()
    lr = 1e-1
    a_before, b_before, a_object = a.detach().clone(), b.detach().clone(), a
    with torch.no_grad():
        a -= lr * a.grad
        b -= lr * b.grad
    assert torch.is_grad_enabled(), "grad mode is back on after the no_grad block"
    assert a is a_object and a.is_leaf and a.requires_grad and a.grad_fn is None, "a stays the same leaf"
    assert_close(a.detach(), a_before - 0.1)
    assert_close(b.detach(), b_before - 0.2)


@claim("autograd.no-grad-independent-of-graph")
def test_results_inside_no_grad_are_outside_the_graph(tutorial, device):
    a, b = tutorial.make_parameters(device)
    x_train_tensor, _ = train_tensors(tutorial, device)
    with torch.no_grad():
        yhat = a + b * x_train_tensor
    assert not yhat.requires_grad and yhat.grad_fn is None
    assert (a + b * x_train_tensor).grad_fn is not None


@claim("autograd.loop-seeded-42")
def test_train_manual_autograd_starts_from_the_seeded_values(tutorial):
    assert_loop_seeded(tutorial, "train_manual_autograd")


@claim("autograd.trained-values")
def test_manual_autograd_loop_ends_at_the_printed_values(tutorial, device):
    a, b = trained(tutorial, device, "train_manual_autograd")
    suffix = "" if device == "cpu" else f", device='{a.device}'"
    assert_printed_line(a, b, "update in no_grad, zero the grads every epoch")
    assert f"{a} {b}" == f"tensor([1.0235]{suffix}, requires_grad=True) tensor([1.9690]{suffix}, requires_grad=True)"
