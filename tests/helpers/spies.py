"""A spy model for the practice checks (tests/claims/test_*_practice.py): it records, at every
forward, whether gradients are on, its training flag and the input's device, so that a check can
observe through the tutorial's functions what the tutorial teaches (no_grad, eval/train, .to(device))."""
import torch
import torch.nn as nn


class Stop(Exception):
    """Raised by a spy to end a training loop once it has seen what the check needs."""


class Spy(nn.Module):
    """nn.Linear(1, 1) that records (grad enabled, self.training, input device type) per forward."""

    def __init__(self, stop_after=None):
        super().__init__()
        self.linear = nn.Linear(1, 1)
        self.seen = []
        self.stop_after = stop_after

    def forward(self, x):
        self.seen.append((torch.is_grad_enabled(), self.training, x.device.type))
        if self.stop_after is not None and len(self.seen) >= self.stop_after:
            raise Stop()
        return self.linear(x)


def first_forward(spy: Spy, run, what: str):
    """Run `run()` (a learner's loop over `spy`, made with stop_after=1) until the spy's first forward
    stops it, and return that forward's (grad enabled, training, device). A loop that never calls the
    model fails here, saying so, rather than with pytest.raises' "DID NOT RAISE"."""
    try:
        run()
    except Stop:
        pass
    assert spy.seen, f"{what} never called the model: each epoch predicts with the model passed in"
    return spy.seen[0]
