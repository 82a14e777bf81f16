"""dlwpt (seed 002), section "Data": the NumPy bridge."""
import numpy as np
import pytest
import torch
from torch.testing import assert_close

from tests.helpers.errors import assert_cuda_numpy_refused, assert_shares_memory

claim = pytest.mark.claim

# the array the tutorial printed (np.random.randn(2, 2), unseeded)
PRINTED = [[-1.48500536, -0.89214756], [-0.40442433, -0.08158075]]


@claim("numpy.cuda-tensor-to-numpy-raises")
def test_numpy_of_cuda_tensor_raises_instead_of_copying(device):
    t = torch.ones(2, 2, device=device)
    assert_cuda_numpy_refused(t)
    assert t.cpu().numpy().tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert t.numpy(force=True).tolist() == [[1.0, 1.0], [1.0, 1.0]]


@claim("numpy.cpu-bridge-shares-buffer")
def test_from_numpy_shares_the_array_buffer():
    arr = np.zeros((2, 2))
    assert_shares_memory(torch.from_numpy(arr), arr)


@claim("numpy.cpu-bridge-shares-buffer")
def test_numpy_of_cpu_tensor_shares_the_tensor_buffer():
    t = torch.zeros(3)
    assert_shares_memory(t, t.numpy())


@claim("numpy.float64-arrays-stay-float64")
def test_numpy_default_float64_carries_over():
    np_array = np.random.RandomState(0).randn(2, 2)
    assert torch.from_numpy(np_array).dtype == torch.float64
    assert torch.from_numpy(np_array.astype(np.float32)).dtype == torch.float32, "from_numpy keeps the dtype"


@claim("numpy.to-float32-new-tensor")
def test_to_float32_is_a_new_smaller_tensor():
    torch_from_np = torch.from_numpy(np.array(PRINTED))
    f32 = torch_from_np.to(dtype=torch.float32)
    assert f32.dtype == torch.float32 and torch_from_np.dtype == torch.float64
    assert f32.element_size() == 4 and torch_from_np.element_size() == 8
    assert f32.data_ptr() != torch_from_np.data_ptr()
    assert_close(f32, torch.tensor([[-1.4850, -0.8921], [-0.4044, -0.0816]]), atol=5e-5, rtol=0)
