"""PyTorch tensors, and Loading Data, Devices and CUDA."""
import numpy as np
import pytest
import torch
from torch.testing import assert_close

from tests.helpers.errors import assert_cuda_numpy_refused, assert_shares_memory

claim = pytest.mark.claim


@claim("tensors.dimensions")
def test_scalar_vector_matrix_and_3d_tensor_dimensions():
    shapes = {0: torch.tensor(3.0), 1: torch.zeros(3), 2: torch.zeros(2, 3), 3: torch.zeros(2, 3, 4)}
    for ndim, t in shapes.items():
        assert t.dim() == ndim and t.ndim == ndim
        assert type(t) is torch.Tensor
    assert torch.tensor(3.0).shape == torch.Size([])


@claim("tensors.numpy-3d-array")
def test_three_dimensional_numpy_array_becomes_a_3d_tensor():
    array = np.arange(24.0).reshape(2, 3, 4)
    tensor = torch.from_numpy(array)
    assert array.ndim == 3 and tensor.dim() == 3
    assert tensor.shape == torch.Size([2, 3, 4])
    assert_close(tensor[1, 2, 3], torch.tensor(23.0, dtype=torch.float64))


@claim("numpy.from-numpy-cpu-float64")
def test_from_numpy_returns_a_cpu_float64_tensor_sharing_memory(tutorial):
    x_train, _, _, _ = tutorial.data_gen()
    tensor = torch.from_numpy(x_train)
    assert tensor.device == torch.device("cpu")
    assert tensor.dtype == torch.float64, "from_numpy keeps NumPy's float64"
    assert_shares_memory(tensor, x_train)


@claim("tensors.float-to-float32")
def test_float_gives_float32_on_the_device(tutorial, device):
    x_train, _, _, _ = tutorial.data_gen()
    assert torch.from_numpy(x_train).float().dtype == torch.float32
    tensor = tutorial.to_tensor(x_train, device)
    assert tensor.dtype == torch.float32, f"to_tensor should call .float() (float32), got {tensor.dtype}"
    assert tensor.device.type == device, f"to_tensor should send the tensor .to(device) ({device}), got {tensor.device}"
    assert_close(tensor.cpu(), torch.from_numpy(x_train).float(), msg="to_tensor changed the values")


@claim("devices.to-sends-to-device")
def test_to_sends_the_tensor_to_the_device(device):
    cpu_tensor = torch.ones(3)
    moved = cpu_tensor.to(device)
    assert moved.device.type == device
    if device == "cpu":
        assert moved is cpu_tensor, ".to() the device a tensor is already on returns the tensor itself"
    else:
        assert moved.device == torch.device("cuda", torch.cuda.current_device())
        assert torch.ones(3).to("cuda:0").device == torch.device("cuda:0")


@claim("devices.cuda-is-available")
def test_cuda_is_available_tells_whether_a_cuda_tensor_can_be_made():
    available = torch.cuda.is_available()
    assert isinstance(available, bool)
    if available:
        assert torch.zeros(1, device="cuda").is_cuda
    else:
        # a CPU-only build refuses with an AssertionError; a CUDA build without a usable GPU with a RuntimeError
        with pytest.raises((AssertionError, RuntimeError), match=r"^Torch not compiled with CUDA enabled$"
                           r"|Found no NVIDIA driver on your system|No CUDA GPUs are available"):
            torch.zeros(1, device="cuda")


@claim("tensors.type-tells-device")
def test_type_names_dtype_and_device_in_the_printed_line(tutorial, device):
    x_train, _, _, _ = tutorial.data_gen()
    x_train_tensor = torch.from_numpy(x_train).float().to(device)
    printed = " ".join(str(v) for v in (type(x_train), type(x_train_tensor), x_train_tensor.type()))
    expected = {"cpu": "torch.FloatTensor", "cuda": "torch.cuda.FloatTensor"}[device]
    assert printed == f"<class 'numpy.ndarray'> <class 'torch.Tensor'> {expected}"


@claim("numpy.cuda-tensor-to-numpy")
def test_numpy_of_a_cuda_tensor_raises_and_cpu_first_works(device):
    gpu_tensor = torch.arange(3.0, device=device)
    assert_cuda_numpy_refused(gpu_tensor)
    assert np.array_equal(gpu_tensor.cpu().numpy(), np.array([0.0, 1.0, 2.0], dtype=np.float32))


@claim("numpy.cpu-then-numpy")
def test_cpu_then_numpy_works_on_every_device(device):
    tensor = torch.arange(3.0, device=device)
    assert tensor.cpu().device == torch.device("cpu")
    array = tensor.cpu().numpy()
    assert isinstance(array, np.ndarray)
    assert np.array_equal(array, np.array([0.0, 1.0, 2.0], dtype=np.float32))
    if device == "cpu":
        assert tensor.cpu() is tensor, ".cpu() of a CPU tensor is the tensor itself: no copy"


@claim("numpy.tensor-to-numpy-shares-memory")
def test_numpy_of_a_cpu_tensor_shares_memory():
    tensor = torch.zeros(3)
    array = tensor.numpy()
    assert isinstance(array, np.ndarray) and array.dtype == np.float32
    assert_shares_memory(tensor, array)


@claim("numpy.float-copies-the-array")
def test_float_of_a_from_numpy_tensor_is_a_copy(tutorial):
    x_train, _, _, _ = tutorial.data_gen()
    shared = torch.from_numpy(x_train)
    x_train_tensor = shared.float()
    assert x_train_tensor.data_ptr() != shared.data_ptr(), ".float() of a float64 tensor makes a new tensor"
    before = x_train_tensor[0, 0].item()
    x_train[0, 0] = 42.0
    assert shared[0, 0].item() == 42.0 and x_train_tensor[0, 0].item() == before, "the float32 copy does not follow"
    x_train_tensor[1, 0] = -1.0
    assert x_train[1, 0] != -1.0
    array = x_train_tensor.numpy()
    assert array.dtype == np.float32 and not np.shares_memory(array, x_train)
    assert x_train_tensor.float() is x_train_tensor, ".float() of a float32 tensor is the tensor itself"
