"""dlwpt (seed 002), section "Data": named tensors (experimental; removed in torch 2.13)."""
import pytest
import torch

claim = pytest.mark.claim

NAMES = ["batch", "channels", "rows", "columns"]
QUIET = pytest.mark.filterwarnings("ignore:Named tensors and all their associated APIs:UserWarning")


@claim("named.names-attribute")
@QUIET
def test_named_tensor_has_shape_and_names(device):
    imgs = torch.randn(2, 3, 4, 4, names=NAMES, device=device)
    assert imgs.shape == torch.Size([2, 3, 4, 4])
    assert imgs.names == ("batch", "channels", "rows", "columns")


@claim("named.sum-by-name")
@QUIET
def test_sum_over_named_dimension(device):
    imgs = torch.randn(2, 3, 4, 4, names=NAMES, device=device)
    summed = imgs.sum("batch")
    assert summed.shape == torch.Size([3, 4, 4])
    assert summed.names == ("channels", "rows", "columns")


@claim("named.experimental-user-warning")
def test_named_tensors_warn_experimental():
    torch.set_warn_always(True)  # the warning is issued once per process otherwise; the plugin restores it
    with pytest.warns(UserWarning, match="Named tensors and all their associated APIs are an experimental"):
        torch.randn(2, 3, 4, 4, names=NAMES)


@claim("named.removed-names-argument")
def test_names_argument_is_refused():
    with pytest.raises(TypeError, match=r"^randn\(\) received an invalid combination of arguments - "
                                        r"got \(int, int, int, int, names=list\), but expected one of:") as info:
        torch.randn(2, 3, 4, 4, names=NAMES)
    assert "names" not in str(info.value).split("but expected one of:")[1], "no signature accepts names="
    assert not hasattr(torch.ones(1), "names")
