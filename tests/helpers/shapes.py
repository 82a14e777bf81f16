"""Shape, dtype and device of a learner's result, each checked with a message saying what was
expected and what was got (never pytest's bare `assert (True and torch.float64 == torch.float32)`)."""
import torch


def assert_tensor(t, what, shape=None, dtype=None, device=None):
    """`t` (what the learner's code returned, named `what` in the message) is a tensor with this
    shape (a tuple), dtype and device type ("cpu", "cuda", "meta"); None: not checked."""
    assert isinstance(t, torch.Tensor), f"{what} should be a tensor, got {type(t).__name__}"
    if shape is not None:
        assert tuple(t.shape) == tuple(shape), f"{what} should have shape {tuple(shape)}, got {tuple(t.shape)}"
    if dtype is not None:
        hint = " (.float() makes float32)" if dtype == torch.float32 else ""
        assert t.dtype == dtype, f"{what} should be {dtype}{hint}, got {t.dtype}"
    if device is not None:
        assert t.device.type == device, f"{what} should be on {device}, got {t.device}"
