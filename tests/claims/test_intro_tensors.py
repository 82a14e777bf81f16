"""intro tutorial (seed 003): tensors, tensor types, construction, addition."""
import numpy as np
import pytest
import torch
from torch import nn
from torch.testing import assert_close

from tests.helpers.errors import assert_cuda_numpy_refused, assert_shares_memory

claim = pytest.mark.claim


@claim("numpy.gpu-compatible-replacement")
def test_tensor_arithmetic_matches_numpy(device):
    a = np.array([[1.5, -2.0], [3.25, 4.0]], dtype=np.float32)
    t = torch.tensor(a, device=device)
    got = (t * 2 + 1).cpu().numpy()
    np.testing.assert_array_equal(got, np.array([[4.0, -3.0], [7.5, 9.0]], dtype=np.float32))
    np.testing.assert_array_equal(got, a * 2 + 1)


@claim("numpy.gpu-compatible-replacement")
def test_only_cpu_tensors_convert_to_numpy(device):
    t = torch.tensor([1.0, 2.0], device=device)
    if device == "cuda":
        assert_cuda_numpy_refused(t)
    np.testing.assert_array_equal(t.cpu().numpy(), np.array([1.0, 2.0], dtype=np.float32))


@claim("numpy.tensor-is-ndarray")
def test_numpy_and_tensor_share_memory():
    t = torch.zeros(3)
    assert_shares_memory(t, t.numpy())
    a = np.zeros(3)
    assert_shares_memory(torch.from_numpy(a), a)


@claim("types.tensor-types-table")
def test_float_tensor_is_float32():
    t = torch.FloatTensor([1.5, 2.5])
    assert t.dtype == torch.float32, f"FloatTensor should be float32, got {t.dtype}"
    assert t.numpy().dtype == np.float32


@claim("types.tensor-types-table")
def test_byte_tensor_is_uint8():
    t = torch.ByteTensor([0, 255])
    assert t.dtype == torch.uint8, f"ByteTensor should be uint8 (unsigned 8-bit), got {t.dtype}"
    assert t.numpy().dtype == np.uint8


@claim("types.tensor-types-table")
def test_long_tensor_is_int64():
    t = torch.LongTensor([-1, 2 ** 40])
    assert t.dtype == torch.int64, f"LongTensor should be int64 (signed 64-bit), got {t.dtype}"
    assert t.numpy().dtype == np.int64


@claim("types.tensor-types-table")
def test_type_names_per_device(device):
    prefix = "torch." if device == "cpu" else "torch.cuda."
    names = [torch.zeros(1, dtype=d, device=device).type() for d in (torch.float32, torch.uint8, torch.int64)]
    assert names == [prefix + "FloatTensor", prefix + "ByteTensor", prefix + "LongTensor"]


@claim("types.bits-are-bool")
def test_comparisons_give_bool(device):
    mask = torch.tensor([-1.0, 0.0, 2.0], device=device) > 0
    assert mask.dtype == torch.bool, f"comparisons give torch.bool, not ByteTensor: got {mask.dtype}"
    assert mask.tolist() == [False, False, True]


@claim("types.bits-are-bool")
def test_byte_mask_indexing_is_deprecated(device):
    x = torch.tensor([10.0, 20.0, 30.0], device=device)
    mask = torch.tensor([1, 0, 1], dtype=torch.uint8, device=device)
    with pytest.warns(UserWarning, match="indexing with dtype torch.uint8 is now deprecated"):
        picked = x[mask]
    assert_close(picked, torch.tensor([10.0, 30.0], device=device))


@claim("types.float-and-long-defaults")
def test_floats_are_float32_ints_are_int64(device):
    assert torch.tensor([1.5, 2.0], device=device).dtype == torch.float32, "Python floats -> float32"
    assert torch.rand(2, device=device).dtype == torch.float32, "torch.rand -> float32"
    assert torch.tensor([1, 2], device=device).dtype == torch.int64, "Python ints -> int64 (LongTensor)"


LINEAR_DTYPE_ERROR = r"^mat1 and mat2 must have the same dtype(, but got (Long|Double) and Float)?$"  # no ", but got" on 1.13 / 2.0
INT_TARGET_ERROR = r"^(expected scalar type Long but found Int|expected target dtype to be Long or Byte, but got Int)$"


@claim("types.layers-need-float")
def test_layers_and_losses_check_the_dtype(device):
    linear = nn.Linear(2, 1).to(device)
    for dtype in (torch.long, torch.float64):
        with pytest.raises(RuntimeError, match=LINEAR_DTYPE_ERROR):
            linear(torch.ones(3, 2, dtype=dtype, device=device))
    assert linear(torch.ones(3, 2, dtype=torch.long, device=device).float()).dtype == torch.float32
    labels = torch.tensor([0, 1, 3], device=device)
    with pytest.raises(RuntimeError, match=r"^\"mse_(cpu|cuda)\" not implemented for 'Long'$"):  # NotImplementedError from 2.x
        nn.MSELoss()(labels, labels)
    logits = torch.zeros(3, 4, device=device)
    assert_close(nn.CrossEntropyLoss()(logits, labels), torch.tensor(1.3863, device=device), atol=5e-5, rtol=0)  # log 4
    with pytest.raises(RuntimeError, match=INT_TARGET_ERROR):
        nn.CrossEntropyLoss()(logits, labels.int())


@claim("tensors.uninitialized-4x6")
def test_tensor_4_6_is_an_uninitialized_float_matrix():
    uninit_float = torch.Tensor(4, 6)
    assert uninit_float.shape == (4, 6), "torch.Tensor(4, 6) reads 4, 6 as a shape"
    assert uninit_float.dtype == torch.float32


@claim("tensors.uninitialized-4x6")
def test_empty_allocates_on_the_device(device):
    t = torch.empty(4, 6, device=device)
    assert t.shape == (4, 6) and t.dtype == torch.float32
    assert t.device.type == device


@claim("tensors.tensor-is-default-dtype")
def test_tensor_is_float_tensor_by_default():
    t = torch.Tensor(2)
    assert t.dtype == torch.float32 and t.type() == "torch.FloatTensor"
    assert isinstance(t, torch.FloatTensor)


@claim("tensors.tensor-is-default-dtype")
def test_tensor_follows_the_default_dtype():
    torch.set_default_dtype(torch.float64)  # restored by the plugin
    assert torch.Tensor(2).dtype == torch.float64, "torch.Tensor follows torch.get_default_dtype()"
    assert torch.Tensor(2).type() == "torch.DoubleTensor"
    assert torch.FloatTensor(2).dtype == torch.float32, "torch.FloatTensor is always float32"


@claim("tensors.print-hides-type")
def test_printout_has_no_type():
    t = torch.Tensor([1, 2])
    assert str(t) == "tensor([1., 2.])", "the printout no longer names FloatTensor"
    assert str(torch.tensor([1.0, 2.0], dtype=torch.float64)) == "tensor([1., 2.], dtype=torch.float64)"


@claim("tensors.print-hides-type")
def test_type_of_a_tensor_is_torch_tensor():
    t = torch.Tensor(4, 6)
    assert type(t) is torch.Tensor, f"type(t) is torch.Tensor, got {type(t)}"
    assert str(type(t)) == "<class 'torch.Tensor'>"
    assert t.type() == "torch.FloatTensor", "the legacy type name comes from t.type()"


@claim("tensors.from-nested-lists")
def test_tensor_from_a_list():
    some_float_tensor = torch.Tensor([3.2, 4.3, 5.5])
    assert str(some_float_tensor) == "tensor([3.2000, 4.3000, 5.5000])"
    assert some_float_tensor.dtype == torch.float32 and some_float_tensor.shape == (3,)


@claim("tensors.from-nested-lists")
def test_tensor_from_a_nested_list():
    t = torch.Tensor([[3.2], [4.3], [5.5]])
    assert t.shape == (3, 1), f"one dimension per nesting level: expected (3, 1), got {tuple(t.shape)}"
    assert_close(t, torch.tensor([[3.2], [4.3], [5.5]]), atol=5e-5, rtol=0)


@claim("numpy.tensor-constructor-copies")
def test_tensor_constructor_copies_and_casts():
    a = np.array([[3.2], [4.3], [5.5]])
    some_float_tensor2 = torch.Tensor(a)
    a[0, 0] = 100.0
    assert some_float_tensor2.dtype == torch.float32, "torch.Tensor casts float64 arrays to float32"
    assert str(some_float_tensor2) == "tensor([[3.2000],\n        [4.3000],\n        [5.5000]])", \
        "torch.Tensor(ndarray) must copy: changing the array must not change the tensor"


@claim("numpy.tensor-constructor-copies")
def test_from_numpy_shares_and_keeps_dtype():
    a = np.array([[3.2], [4.3], [5.5]])
    shared = torch.from_numpy(a)
    a[0, 0] = 100.0
    assert shared.dtype == torch.float64
    assert shared[0, 0].item() == 100.0, "from_numpy shares the array's memory"


@claim("tensors.three-ways-to-add")
def test_three_ways_to_add_agree(device):
    rand_float = torch.tensor([[0.25, 0.5], [1.0, 2.0]], device=device)
    other_rand_float = torch.tensor([[1.0, 0.25], [0.5, -1.0]], device=device)
    expected = torch.tensor([[1.25, 0.75], [1.5, 1.0]], device=device)
    assert_close(rand_float + other_rand_float, expected)
    assert_close(torch.add(rand_float, other_rand_float), expected)
    assert_close(rand_float.add_(other_rand_float), expected)


@claim("tensors.add-in-place")
def test_add_underscore_mutates_and_returns_self(device):
    rand_float = torch.tensor([1.0, 2.0], device=device)
    out = rand_float.add_(torch.tensor([0.5, 0.5], device=device))
    assert out is rand_float, "add_ returns the tensor it modified (self), not a new tensor"
    assert_close(rand_float, torch.tensor([1.5, 2.5], device=device))


@claim("tensors.random-long-0-to-9")
def test_random_long_tensor_legacy_constructor():
    torch.manual_seed(0)
    x = torch.LongTensor(3).random_(10)
    assert x.dtype == torch.int64 and x.shape == (3,)
    assert 0 <= x.min().item() and x.max().item() <= 9


@claim("tensors.random-long-0-to-9")
def test_random_draws_zero_to_nine(device):
    torch.manual_seed(0)
    draws = torch.empty(2000, dtype=torch.int64, device=device).random_(10)
    assert sorted(draws.unique().tolist()) == list(range(10)), "random_(10) draws 0..9 (10 excluded)"
