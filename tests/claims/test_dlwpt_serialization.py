"""dlwpt (seed 002), section "Data": torch.save / torch.load and the hdf5 sentence."""
import io
import pickle
import warnings
import zipfile

import pytest
import torch
from packaging.version import Version
from torch import nn
from torch.testing import assert_close

claim = pytest.mark.claim


class _Note:
    """An arbitrary picklable Python object (not a tensor, not a state_dict)."""

    def __init__(self, text):
        self.text = text


def _saved(obj):
    buf = io.BytesIO()
    torch.save(obj, buf)
    buf.seek(0)
    return buf


@claim("serialization.save-load-round-trip")
def test_tensor_round_trips(device):
    t = torch.tensor([[4.0, 1.0], [5.0, 3.0]], device=device)
    loaded = torch.load(_saved(t), map_location=device, weights_only=True)
    assert_close(loaded, t, rtol=0, atol=0)
    assert loaded.device.type == device


@claim("serialization.save-load-round-trip")
def test_state_dict_round_trips(device):
    layer = nn.Linear(2, 1).to(device)
    state = torch.load(_saved(layer.state_dict()), map_location=device, weights_only=True)
    assert list(state) == ["weight", "bias"]
    assert_close(state["weight"], layer.weight.detach(), rtol=0, atol=0)


@claim("serialization.save-load-round-trip")
def test_saved_file_is_zip_with_a_pickle():
    buf = _saved(torch.ones(2))
    with zipfile.ZipFile(buf) as archive:
        names = archive.namelist()
        pickled = [n for n in names if n.endswith("data.pkl")]
        assert pickled, f"no data.pkl in {names}"
        assert archive.read(pickled[0])[:1] == b"\x80", "data.pkl starts with the pickle PROTO opcode"


@claim("serialization.load-arbitrary-pickled-object")
def test_load_unpickles_arbitrary_object():
    saved = _saved(_Note("hello"))
    if Version("2.4") <= Version(torch.__version__.split("+")[0]) < Version("2.6"):
        with pytest.warns(FutureWarning, match=r"^You are using `torch\.load` with `weights_only=False`"):
            obj = torch.load(saved)  # 2.4-2.5 warn that the default will change
    else:
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            obj = torch.load(saved)
    assert isinstance(obj, _Note) and obj.text == "hello"


@claim("serialization.load-weights-only-default")
def test_load_refuses_arbitrary_object_by_default():
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):  # from 2.6
        torch.load(_saved(_Note("hello")))
    obj = torch.load(_saved(_Note("hello")), weights_only=False)
    assert obj.text == "hello"


@claim("serialization.hdf5-not-in-torch")
def test_torch_save_is_not_hdf5_and_torch_has_no_hdf5_api():
    head = _saved(torch.ones(2)).read(8)
    assert head != b"\x89HDF\r\n\x1a\n", "torch.save does not write HDF5"
    assert head[:4] == b"PK\x03\x04", "torch.save writes a zip archive"
    assert [n for n in dir(torch) if "hdf" in n.lower() or "h5" in n.lower()] == []
