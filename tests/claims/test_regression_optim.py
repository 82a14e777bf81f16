"""Optimizer."""
import pytest
import torch
import torch.optim as optim
from torch.testing import assert_close

from tests.helpers.grads import assert_grads_none, assert_grads_zeroed
from tests.helpers.regression import assert_loop_seeded, assert_printed_line, trained

claim = pytest.mark.claim


def _backward_once(a, b):
    """loss = 3a + 5b: gradients 3 and 5."""
    (3 * a + 5 * b).sum().backward()


def _sgd_after_backward(device):
    """a = 1, b = 2 under optim.SGD(lr=0.1), with .grad = 3 and 5 from one backward."""
    a = torch.tensor([1.0], requires_grad=True, device=device)
    b = torch.tensor([2.0], requires_grad=True, device=device)
    optimizer = optim.SGD([a, b], lr=1e-1)
    _backward_once(a, b)
    return a, b, optimizer


@claim("optim.holds-parameters")
def test_sgd_holds_the_same_parameter_objects_and_lr(tutorial, device):
    a, b = tutorial.make_parameters(device)
    optimizer = optim.SGD([a, b], lr=1e-1)
    params = optimizer.param_groups[0]["params"]
    assert len(params) == 2 and params[0] is a and params[1] is b
    assert optimizer.param_groups[0]["lr"] == 0.1


@claim("optim.sgd-or-adam")
def test_sgd_and_adam_are_optimizers_that_update_on_step(device):
    for cls in (optim.SGD, optim.Adam):
        a = torch.tensor([1.0], requires_grad=True, device=device)
        optimizer = cls([a], lr=1e-1)
        assert isinstance(optimizer, optim.Optimizer)
        (2 * a).sum().backward()
        optimizer.step()
        assert a.item() < 1.0, f"{cls.__name__}.step() should move a against its gradient"


@claim("optim.step-updates")
def test_sgd_step_is_p_minus_lr_times_grad(device):
    a, b, optimizer = _sgd_after_backward(device)
    optimizer.step()
    assert_close(a.detach(), torch.tensor([0.7], device=device))
    assert_close(b.detach(), torch.tensor([1.5], device=device))


@claim("optim.zero-grad-zeroes")
def test_zero_grad_fills_grads_with_zeros(device):
    a, b, optimizer = _sgd_after_backward(device)
    optimizer.zero_grad()
    assert_grads_zeroed([a, b])


@claim("optim.zero-grad-sets-none")
def test_zero_grad_sets_grads_to_none(device):
    a, b, optimizer = _sgd_after_backward(device)
    optimizer.zero_grad()
    assert_grads_none([a, b])


@claim("optim.zero-grad-stops-accumulation")
def test_after_zero_grad_the_next_backward_is_fresh(device):
    a, b, optimizer = _sgd_after_backward(device)
    optimizer.zero_grad()
    _backward_once(a, b)
    assert_close(a.grad, torch.tensor([3.0], device=device))
    assert_close(b.grad, torch.tensor([5.0], device=device))


@claim("optim.sgd-loop-seeded-42")
def test_train_sgd_starts_from_the_seeded_values(tutorial):
    assert_loop_seeded(tutorial, "train_sgd")


@claim("optim.sgd-trained-values")
def test_sgd_loop_ends_at_the_printed_values(tutorial, device):
    a, b = trained(tutorial, device, "train_sgd")
    assert_printed_line(a, b, "optimizer.step() then optimizer.zero_grad() every epoch")
