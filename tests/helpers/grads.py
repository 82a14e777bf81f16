"""What optimizer.zero_grad() / model.zero_grad() left in .grad, asserted the same way for every tutorial."""
import torch
from torch.testing import assert_close


def assert_grads_zeroed(params):
    """Every parameter's .grad is a tensor of zeros (zero_grad(set_to_none=False), the default before 2.0)."""
    for p in params:
        assert p.grad is not None, "zero_grad() set .grad to None (set_to_none=True)"
        assert_close(p.grad, torch.zeros_like(p))


def assert_grads_none(params):
    """Every parameter's .grad is None (zero_grad(set_to_none=True), the default from 2.0)."""
    left = [p.grad for p in params]
    assert left == [None] * len(params), f"zero_grad() left .grad as {left} instead of None (set_to_none=False)"
