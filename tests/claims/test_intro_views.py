"""intro tutorial (seed 003): reshaping with view, and indexing."""
import numpy as np
import pytest
import torch
from torch.testing import assert_close

claim = pytest.mark.claim


@claim("views.view-reshapes")
def test_view_2_8(device):
    x = torch.arange(16, device=device).view(4, 4)
    y = x.view(2, 8)
    assert y.shape == (2, 8)
    assert y.tolist() == [list(range(8)), list(range(8, 16))], "view keeps row-major element order"


@claim("views.minus-one-inferred")
def test_minus_one_is_inferred(device):
    x = torch.arange(16, device=device).view(4, 4)
    z = x.view(8, -1)
    assert z.shape == (8, 2), f"16 elements in 8 rows leave 2 columns, got {tuple(z.shape)}"
    assert z[3].tolist() == [6, 7]


@claim("views.minus-one-inferred")
def test_minus_one_must_divide(device):
    x = torch.arange(16, device=device).view(4, 4)
    with pytest.raises(RuntimeError, match=r"shape '\[3, -1\]' is invalid for input of size 16"):
        x.view(3, -1)


@claim("views.flatten")
def test_view_minus_one_flattens(device):
    x = torch.arange(16, device=device).view(4, 4)
    flat = x.view(-1)
    assert flat.shape == (16,)
    assert_close(flat, x.view(16))
    assert_close(flat, torch.arange(16, device=device))


@claim("views.share-storage")
def test_view_shares_memory(device):
    x = torch.zeros(4, 4, device=device)
    y = x.view(2, 8)
    y[1, 7] = 5.0
    assert x[3, 3].item() == 5.0, "a view is the same memory: writing into y must change x"
    assert y.data_ptr() == x.data_ptr()


@claim("views.non-contiguous")
def test_view_of_transpose_raises(device):
    xt = torch.arange(16, device=device).view(4, 4).t()
    with pytest.raises(RuntimeError, match="view size is not compatible with input tensor's size and stride"):
        xt.view(16)


@claim("views.non-contiguous")
def test_reshape_of_transpose_works(device):
    xt = torch.arange(16, device=device).view(4, 4).t()
    flat = xt.reshape(16)
    assert flat.tolist() == [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15]
    assert_close(xt.contiguous().view(16), flat)


@claim("indexing.numpy-conventions")
def test_rows_and_columns_like_numpy(device):
    x = torch.arange(15, device=device).view(3, 5)
    a = np.arange(15).reshape(3, 5)
    assert x[0].tolist() == [0, 1, 2, 3, 4] == a[0].tolist(), "x[0] is the first row"
    assert x[-1].tolist() == [10, 11, 12, 13, 14] == a[-1].tolist(), "x[-1] is the last row"
    assert x[:, 2].tolist() == [2, 7, 12] == a[:, 2].tolist(), "x[:, 2] is the third column"
    assert x[:, -1].tolist() == [4, 9, 14] == a[:, -1].tolist(), "x[:, -1] is the last column"


@claim("indexing.no-negative-step")
def test_negative_step_raises(device):
    x = torch.arange(5, device=device)
    with pytest.raises(ValueError, match="step must be greater than zero"):
        x[::-1]
    assert x.flip(0).tolist() == [4, 3, 2, 1, 0] == np.arange(5)[::-1].tolist()
