"""What a process that never saw a model's Python class gets from its TorchScript file (run through
tests/helpers/fresh.py, so the process imported torch and nothing of the test that saved the file)."""
import sys
import warnings

import torch


def run_saved(path: str, device: str, class_name: str) -> dict:
    """The saved model's output on [1.0, 2.0], and whether any module here defines `class_name`."""
    warnings.simplefilter("ignore")
    loaded = torch.jit.load(path, map_location=device)
    output = loaded(torch.tensor([1.0, 2.0], device=device)).tolist()
    defined = sorted(name for name, m in list(sys.modules.items()) if m is not None and class_name in vars(m))
    return {"output": output, "class_defined_in": defined}
