"""intro tutorial (seed 003): broadcasting and matrix multiplication."""
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

claim = pytest.mark.claim


@claim("broadcasting.added-to-each-row")
def test_row_vector_is_added_to_each_row(device):
    x = torch.tensor([1, 2, 3], device=device)
    y = torch.arange(15, device=device).view(5, 3)
    expected = torch.tensor([[1, 3, 5], [4, 6, 8], [7, 9, 11], [10, 12, 14], [13, 15, 17]], device=device)
    assert (x + y).shape == (5, 3), f"(3,) + (5, 3) broadcasts to (5, 3), got {tuple((x + y).shape)}"
    assert_close(x + y, expected)


@claim("broadcasting.no-copies")
def test_broadcast_view_has_stride_zero(device):
    x = torch.tensor([1, 2, 3], device=device)
    wide = x.expand(5, 3)
    assert wide.stride() == (0, 1), "the 5 rows all read the same 3 numbers: stride 0"
    assert wide.data_ptr() == x.data_ptr(), "broadcasting must not copy the data"
    assert_close(wide[4], x)


@claim("broadcasting.mismatched-shapes-raise")
def test_4x6_times_6x4_raises(device):
    torch.manual_seed(0)
    x = torch.randint(0, 10, (4, 6), device=device)
    y = torch.randint(0, 10, (6, 4), device=device)
    with pytest.raises(RuntimeError, match=r"The size of tensor a \(6\) must match the size of tensor b \(4\) "
                                           r"at non-singleton dimension 1"):
        x * y


@claim("broadcasting.column-against-flat")
def test_flat_minus_column_is_square(device):
    y_hat = torch.tensor([[1.0], [2.0], [3.0]], device=device)  # (N, 1), what a model returns
    y = torch.tensor([1.0, 2.0, 3.0], device=device)  # (N,)
    diff = y_hat - y
    assert diff.shape == (3, 3), "(N, 1) - (N,) silently broadcasts to (N, N)"
    assert_close(diff, torch.tensor([[0.0, -1.0, -2.0], [1.0, 0.0, -1.0], [2.0, 1.0, 0.0]], device=device))


@claim("broadcasting.column-against-flat")
def test_hand_written_mse_is_silently_wrong(device):
    y_hat = torch.tensor([[1.0], [2.0], [3.0]], device=device)
    y = torch.tensor([1.0, 2.0, 3.0], device=device)
    assert_close(((y_hat - y) ** 2).mean(), torch.tensor(1.3333, device=device), atol=5e-5, rtol=0,
                 msg="a perfect prediction should have MSE 0, but the (3, 3) broadcast gives 12/9")
    assert_close(((y_hat - y.view(-1, 1)) ** 2).mean(), torch.tensor(0.0, device=device))


@claim("broadcasting.column-against-flat")
def test_mse_loss_only_warns(device):
    y_hat = torch.tensor([[1.0], [2.0], [3.0]], device=device)
    y = torch.tensor([1.0, 2.0, 3.0], device=device)
    with pytest.warns(UserWarning, match=r"Using a target size \(torch.Size\(\[3\]\)\) that is different "
                                         r"to the input size \(torch.Size\(\[3, 1\]\)\)"):
        loss = nn.MSELoss()(y_hat, y)
    assert_close(loss, torch.tensor(1.3333, device=device), atol=5e-5, rtol=0)
    with pytest.warns(UserWarning, match="Using a target size"):
        F.mse_loss(y_hat, y)


@claim("broadcasting.outer-product")
def test_column_times_row_is_outer_product(device):
    col = torch.tensor([[1], [2], [3], [4]], device=device)
    row = torch.tensor([[1, 10, 100, 1000]], device=device)
    expected = torch.tensor([[1, 10, 100, 1000], [2, 20, 200, 2000],
                             [3, 30, 300, 3000], [4, 40, 400, 4000]], device=device)
    assert (col * row).shape == (4, 4), "(4, 1) * (1, 4) broadcasts to (4, 4)"
    assert_close(col * row, expected)


@claim("tensors.matmul-operator")
def test_at_equals_mm(device):
    x = torch.arange(24.0, device=device).view(4, 6)
    y = torch.ones(6, 4, device=device)
    expected = torch.tensor([[15.0] * 4, [51.0] * 4, [87.0] * 4, [123.0] * 4], device=device)
    assert (x @ y).shape == (4, 4), "(4, 6) @ (6, 4) is (4, 4)"
    assert_close(x @ y, expected)
    assert_close(x.mm(y), expected)


@claim("tensors.matmul-operator")
def test_at_is_not_elementwise(device):
    x = torch.tensor([[1.0, 2.0], [3.0, 4.0]], device=device)
    y = torch.tensor([[5.0, 6.0], [7.0, 8.0]], device=device)
    assert_close(x @ y, torch.tensor([[19.0, 22.0], [43.0, 50.0]], device=device))
    assert_close(x * y, torch.tensor([[5.0, 12.0], [21.0, 32.0]], device=device),
                 msg="* is elementwise multiplication, @ is the matrix product")


@claim("tensors.matmul-operator")
def test_long_matmul_on_cpu():
    x = torch.LongTensor([[1, 2, 3], [4, 5, 6]])
    y = torch.LongTensor([[1, 0], [0, 1], [1, 1]])
    assert (x @ y).dtype == torch.int64
    assert (x @ y).tolist() == [[4, 5], [10, 11]]


@claim("tensors.matmul-long-cuda")
def test_long_matmul_not_implemented_on_cuda(device):
    x = torch.ones(4, 6, dtype=torch.int64, device=device)
    y = torch.ones(6, 4, dtype=torch.int64, device=device)
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        x @ y
    assert_close((x.double() @ y.double()).long(), torch.full((4, 4), 6, device=device))
