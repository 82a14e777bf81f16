import pytest
import torch
from torch.testing import assert_close

claim = pytest.mark.claim


@claim("autograd.grad-accumulates")
def test_second_backward_adds_to_grad(device):
    a = torch.tensor([2.0], device=device, requires_grad=True)
    loss = (3 * a).sum()
    loss.backward(retain_graph=True)
    assert_close(a.grad, torch.tensor([3.0], device=device))
    loss.backward()
    assert_close(a.grad, torch.tensor([6.0], device=device))
