"""dlwpt (seed 002), section "Overview": eager mode, TorchScript, CUDA availability."""
import io
import warnings

import pytest
import torch
from torch import nn
from torch.testing import assert_close

claim = pytest.mark.claim


@claim("misc.eager-mode-immediate-result")
def test_result_is_there_as_soon_as_the_line_runs(device):
    a = torch.ones(3, device=device)
    c = a + a  # no session, no compile step: the values already exist
    a.fill_(5.0)  # a deferred (lazy) a + a would now see 5s
    assert isinstance(c, torch.Tensor)
    assert c.tolist() == [2.0, 2.0, 2.0]


def _quiet(fn, *args):
    """Call a TorchScript API with its deprecation warnings (torch >= 2.10) silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return fn(*args)


class _Doubler(nn.Module):
    def forward(self, x):
        return 2 * x + 1


@claim("misc.torchscript-serializes-model")
def test_scripted_model_runs_without_its_python_class(device):
    buf = io.BytesIO()
    _quiet(torch.jit.save, _quiet(torch.jit.script, _Doubler()), buf)
    buf.seek(0)
    loaded = _quiet(torch.jit.load, buf, device)
    assert not isinstance(loaded, _Doubler), "torch.jit.load gives a ScriptModule, not the Python class"
    x = torch.tensor([1.0, 2.0], device=device)
    assert_close(loaded(x), torch.tensor([3.0, 5.0], device=device))


@claim("misc.torchscript-serializes-model")
def test_traced_model_round_trips(device):
    linear = nn.Linear(1, 1).to(device)
    with torch.no_grad():
        linear.weight.fill_(2.0)
        linear.bias.fill_(-1.0)
    buf = io.BytesIO()
    _quiet(torch.jit.save, _quiet(torch.jit.trace, linear, torch.ones(2, 1, device=device)), buf)
    buf.seek(0)
    loaded = _quiet(torch.jit.load, buf, device)
    assert_close(loaded(torch.tensor([[3.0]], device=device)), torch.tensor([[5.0]], device=device))


@claim("misc.torchscript-scripting-warns-nothing")
def test_scripting_emits_no_deprecation_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.jit.script(nn.Linear(1, 1))
    deprecations = [str(w.message) for w in caught if "deprecated" in str(w.message)]
    assert deprecations == [], f"torch.jit.script warned: {deprecations}"


@claim("misc.torchscript-deprecated-warning")
def test_scripting_warns_deprecated_but_still_works():
    with pytest.warns((DeprecationWarning, FutureWarning), match=r"torch\.jit\.script` is deprecated"):
        scripted = torch.jit.script(nn.Linear(1, 1))
    assert scripted(torch.ones(1, 1)).shape == torch.Size([1, 1])


@claim("devices.cuda-is-available-true")
def test_cuda_is_available_on_a_gpu_machine(device):
    assert torch.cuda.is_available() is True
    assert torch.cuda.device_count() >= 1
    assert torch.ones(1, device=device).is_cuda
