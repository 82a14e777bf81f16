"""dlwpt (seed 002), section "Overview": eager mode, TorchScript, CUDA availability."""
import io
import re
import subprocess
import sys
import warnings

import pytest
import torch
from packaging.version import Version
from torch import nn
from torch.testing import assert_close

from tests.helpers import fresh

claim = pytest.mark.claim


@claim("misc.eager-mode-immediate-result")
def test_result_is_there_as_soon_as_the_line_runs(device):
    a = torch.ones(3, device=device)
    c = a + a  # no session, no compile step: the values already exist
    a.fill_(5.0)  # a deferred (lazy) a + a would now see 5s
    assert isinstance(c, torch.Tensor)
    assert c.tolist() == [2.0, 2.0, 2.0]


DEPRECATED = r"^`torch\.jit\.\w+` is deprecated\. Please switch to `torch\.(compile` or `torch\.)?export`\.$"


def _jit(fn, *args):
    """Call a TorchScript API, asserting the deprecation warning torch >= 2.10 gives (and none before)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args)
    messages = [str(w.message) for w in caught if issubclass(w.category, (DeprecationWarning, FutureWarning))]
    if Version(torch.__version__.split("+")[0]) < Version("2.10"):
        assert messages == [], f"TorchScript warned before 2.10: {messages}"
    else:
        assert f"`torch.jit.{fn.__name__}` is deprecated" in " ".join(messages), messages
        assert all(re.match(DEPRECATED, m) for m in messages), messages
    return result


class _Doubler(nn.Module):
    def forward(self, x):
        return 2 * x + 1


@claim("misc.torchscript-serializes-model")
def test_scripted_model_runs_without_its_python_class(device, tmp_path):
    path = tmp_path / "doubler.pt"
    _jit(torch.jit.save, _jit(torch.jit.script, _Doubler()), str(path))
    loaded = _jit(torch.jit.load, str(path), device)
    assert not isinstance(loaded, _Doubler), "torch.jit.load gives a ScriptModule, not the Python class"
    x = torch.tensor([1.0, 2.0], device=device)
    assert_close(loaded(x), torch.tensor([3.0, 5.0], device=device))
    # a fresh process that never defined (or imported) _Doubler runs the saved file
    elsewhere = fresh.call("tests.helpers.torchscript:run_saved", str(path), device, _Doubler.__name__)
    assert elsewhere == {"output": [3.0, 5.0], "class_defined_in": []}, elsewhere


@claim("misc.torchscript-serializes-model")
def test_traced_model_round_trips(device):
    linear = nn.Linear(1, 1).to(device)
    with torch.no_grad():
        linear.weight.fill_(2.0)
        linear.bias.fill_(-1.0)
    buf = io.BytesIO()
    _jit(torch.jit.save, _jit(torch.jit.trace, linear, torch.ones(2, 1, device=device)), buf)
    buf.seek(0)
    loaded = _jit(torch.jit.load, buf, device)
    assert_close(loaded(torch.tensor([[3.0]], device=device)), torch.tensor([[5.0]], device=device))


@claim("misc.torchscript-scripting-warns-nothing")
def test_scripting_emits_no_deprecation_warning():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        torch.jit.script(nn.Linear(1, 1))
    deprecations = [f"{w.category.__name__}: {w.message}" for w in caught
                    if issubclass(w.category, (DeprecationWarning, FutureWarning, PendingDeprecationWarning))]
    assert deprecations == [], f"torch.jit.script warned: {deprecations}"


@claim("misc.torchscript-deprecated-warning")
def test_scripting_warns_deprecated_but_still_works():
    with pytest.warns((DeprecationWarning, FutureWarning), match=r"^`torch\.jit\.script` is deprecated\. Please switch to `torch\.compile` or `torch\.export`\.$"):
        scripted = torch.jit.script(nn.Linear(1, 1))
    assert scripted(torch.ones(1, 1)).shape == torch.Size([1, 1])


@claim("devices.cuda-is-available-true")
def test_cuda_is_available_prints_true_on_a_gpu_machine(device):
    # the tutorial's line, run in a fresh interpreter (not this process, whose CUDA state chose the device)
    done = subprocess.run([sys.executable, "-c", "import torch; print(torch.cuda.is_available())"],
                          capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "True", done.stderr[-2000:]
    assert torch.cuda.device_count() >= 1 and torch.cuda.get_device_name(0)
    assert torch.ones(2, device=device).sum().item() == 2.0, "a kernel runs on the GPU"
