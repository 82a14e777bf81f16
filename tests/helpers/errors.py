"""Errors several tutorials run into, asserted once each with the full message (torch 1.13 -> newest)."""
import numpy as np
import pytest

CUDA_TO_NUMPY = (r"^can't convert cuda:0 device type tensor to numpy\. "
                 r"Use Tensor\.cpu\(\) to copy the tensor to host memory first\.$")
BACKWARD_TWICE = (r"^Trying to backward through the graph a second time \(or directly access saved tensors after "
                  r"they have already been freed\)\. Saved intermediate values of the graph are freed when you call "
                  r"\.backward\(\) or autograd\.grad\(\)\. Specify retain_graph=True")
LEAF_IN_PLACE = r"^a leaf Variable that requires grad is being used in an in-place operation\.$"
NOT_AN_ITERATOR = r"^'DataLoader' object is not an iterator$"


def assert_cuda_numpy_refused(tensor):
    """tensor.numpy() of a CUDA tensor raises TypeError: .numpy() never copies to the host by itself."""
    with pytest.raises(TypeError, match=CUDA_TO_NUMPY):
        tensor.numpy()


def assert_backward_twice_refused(loss):
    """A second loss.backward() through a graph whose saved tensors were freed raises RuntimeError."""
    with pytest.raises(RuntimeError, match=BACKWARD_TWICE):
        loss.backward()


def assert_not_an_iterator(loader):
    """A DataLoader is an iterable, not an iterator: next(loader) raises TypeError."""
    with pytest.raises(TypeError, match=NOT_AN_ITERATOR):
        next(loader)


def assert_shares_memory(tensor, array):
    """A CPU tensor and a NumPy array are one buffer: a write into either shows in the other."""
    assert np.shares_memory(tensor.numpy(), array)
    array.flat[0] = 7.0
    assert tensor.flatten()[0].item() == 7.0, "a write into the array must show in the tensor (no copy)"
    tensor.view(-1)[-1] = 5.0
    assert array.flat[-1] == 5.0, "a write into the tensor must show in the array (no copy)"
