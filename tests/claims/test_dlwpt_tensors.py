"""dlwpt (seed 002), section "Data": tensors, dtypes, storage, views, in-place ops, devices."""
import warnings

import numpy as np
import pytest
import torch
from torch import nn
from torch.testing import assert_close

claim = pytest.mark.claim


@claim("tensors.numpy-like-indexing")
def test_tensor_indexes_like_numpy(device):
    t = torch.arange(12, device=device).reshape(3, 4)
    arr = np.arange(12).reshape(3, 4)
    assert t[1:, ::2].tolist() == arr[1:, ::2].tolist() == [[4, 6], [8, 10]]
    assert t[[0, 2]].tolist() == arr[[0, 2]].tolist()
    assert t[t > 8].tolist() == arr[arr > 8].tolist() == [9, 10, 11]


@claim("tensors.one-dtype-per-tensor")
def test_mixed_numbers_share_one_dtype(device):
    t = torch.tensor([1, 2.5], device=device)
    assert t.dtype == torch.float32, "ints and floats in one tensor are all promoted to float32"
    assert t.tolist() == [1.0, 2.5]


@claim("tensors.one-dtype-per-tensor")
def test_strings_are_not_tensor_items():
    with pytest.raises(ValueError, match="too many dimensions 'str'"):
        torch.tensor(["a"])


@claim("tensors.default-dtype-float32")
def test_default_float_dtype_is_float32(device):
    b = torch.ones(3, 3, device=device)
    assert b.dtype == torch.float32
    assert repr(b.dtype) == "torch.float32"
    assert torch.tensor([1.0], device=device).dtype == torch.float32


@claim("tensors.storage-one-dimensional-block")
def test_tensor_is_strided_view_of_one_block(device):
    b = torch.ones(3, 3, device=device)
    assert b.is_contiguous() and b.stride() == (3, 1)
    bt = b.t()
    assert bt.stride() == (1, 3) and not bt.is_contiguous()
    assert bt.data_ptr() == b.data_ptr() == b.view(-1).data_ptr(), "views share one memory block"


@claim("tensors.storage-typed-deprecated")
def test_storage_is_the_block_and_typed_storage_warns(device, monkeypatch):
    b = torch.ones(3, 3, device=device)
    monkeypatch.setattr(torch.storage, "_always_warn_typed_storage_removal", True, raising=False)  # else warn-once
    with pytest.warns(UserWarning, match=r"^TypedStorage is deprecated\. It will be removed in the future"):
        storage = b.storage()
        assert len(storage) == 9 and storage.data_ptr() == b.data_ptr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        untyped = b.untyped_storage()
        assert untyped.nbytes() == 36 and b.t().untyped_storage().data_ptr() == untyped.data_ptr() == b.data_ptr()


@claim("data.image-volume-stacking")
def test_images_stack_into_a_volume(device):
    images = [torch.full((4, 5), float(i), device=device) for i in range(3)]
    volume = torch.stack(images)
    assert volume.shape == torch.Size([3, 4, 5]), "num images x num rows x num cols"
    assert_close(volume[2], images[2])


@claim("nn.parameters-are-tensors")
def test_weights_and_biases_are_tensors(device):
    layer = nn.Linear(2, 1).to(device)
    assert isinstance(layer.weight, nn.Parameter) and isinstance(layer.weight, torch.Tensor)
    assert isinstance(layer.bias, torch.Tensor)
    assert isinstance(layer(torch.ones(1, 2, device=device)), torch.Tensor)


@claim("tensors.int-ones-element-repr")
def test_int_element_prints_with_int32_dtype():
    a = torch.ones(3, 3, dtype=torch.int)
    assert torch.int is torch.int32
    assert repr(a[0, 0]) == "tensor(1, dtype=torch.int32)"
    assert a[0, 0].dim() == 0


@claim("tensors.shape-is-torch-size")
def test_shape_is_torch_size(device):
    a = torch.ones(3, 3, dtype=torch.int, device=device)
    assert isinstance(a.shape, torch.Size) and isinstance(a.shape, tuple)
    assert repr(a.shape) == "torch.Size([3, 3])"
    assert a.shape == (3, 3)


@claim("types.int-plus-float-promotes")
def test_int_plus_float_gives_float32_twos(device):
    a = torch.ones(3, 3, dtype=torch.int, device=device)
    b = torch.ones(3, 3, device=device)
    c = a + b
    assert c.dtype == torch.float32, "int32 + float32 promotes to float32"
    assert_close(c, torch.full((3, 3), 2.0, device=device), rtol=0, atol=0)


@claim("views.view-shares-data")
def test_view_shares_underlying_data(device):
    b = torch.ones(3, 3, device=device)
    v = b.view(-1, 9)
    assert v.shape == torch.Size([1, 9])
    v[0, 4] = 7.0
    assert b[1, 1].item() == 7.0, "writing through the view must change b: no copy was made"


@claim("views.torch-view-does-not-exist")
def test_torch_view_is_not_a_function():
    b = torch.ones(3, 3)
    assert not hasattr(torch, "view")
    with pytest.raises(AttributeError, match="has no attribute 'view'"):
        torch.view(b, -1, 9)
    assert b.view(-1, 9).shape == torch.Size([1, 9])


@claim("indexing.none-adds-dimension")
def test_none_index_and_unsqueeze_add_leading_dim(device):
    a = torch.ones(3, 3, dtype=torch.int, device=device)
    assert a[None].shape == torch.Size([1, 3, 3])
    assert a.unsqueeze(0).shape == torch.Size([1, 3, 3])
    assert_close(a[None], torch.ones(1, 3, 3, dtype=torch.int32, device=device))
    for view in (a[None], a.unsqueeze(0)):  # views: the same storage, no copy
        assert view._base is a and view.data_ptr() == a.data_ptr()
        view[0, 1, 1] = 5
        assert a[1, 1].item() == 5


@claim("tensors.function-equals-method")
def test_torch_unsqueeze_equals_method(device):
    a = torch.ones(3, 3, dtype=torch.int, device=device)
    assert_close(torch.unsqueeze(a, 0), a.unsqueeze(0))
    assert torch.unsqueeze(a, 0).dtype == torch.int32


@claim("tensors.trailing-underscore-in-place")
def test_zero_underscore_mutates_and_returns_self(device):
    a = torch.ones(3, 3, dtype=torch.int, device=device)
    out = a.zero_()
    assert out is a, "zero_ works in place and returns the same tensor"
    assert_close(a, torch.zeros(3, 3, dtype=torch.int32, device=device))
    assert not hasattr(torch, "unsqueeze_") and not hasattr(torch, "add_"), "method-only in-place ops"
    b = torch.ones(2, device=device)
    assert torch.zero_(b) is b and b.tolist() == [0.0, 0.0], "a few in-place ops are torch functions too"


@claim("devices.create-tensor-on-cuda")
def test_tensor_created_on_cuda(device):
    points_gpu = torch.tensor([[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]], device="cuda")
    assert points_gpu.device == torch.device("cuda", 0)
    assert points_gpu.cpu().tolist() == [[4.0, 1.0], [5.0, 3.0], [2.0, 1.0]]


@claim("devices.to-returns-new-tensor")
def test_to_returns_copy_and_leaves_b_on_cpu(device):
    b = torch.ones(3, 3)
    moved = b.to(device=device)
    assert b.device.type == "cpu", "b.to(...) does not move b itself"
    assert moved.device.type == device
    if device == "cuda":
        assert moved is not b and "device='cuda:0'" in repr(moved)
    else:
        assert moved is b, "to() the device it is already on returns the tensor itself"
