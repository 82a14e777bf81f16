"""The child interpreter: notebook semantics, IPython's plain-text display, stubs of missing packages."""
import builtins
import contextlib
import io
import sys

import torch

from spec.replay import kernel


def test_display_is_ipythons_plain_text():
    assert kernel.display((torch.tensor(4.8021), torch.tensor(-14.1031))) == "(tensor(4.8021), tensor(-14.1031))"
    weight, bias = torch.nn.Parameter(torch.tensor([[0.4681]])), torch.nn.Parameter(torch.tensor([-0.7741]))
    assert kernel.display((weight, bias)) == ("(Parameter containing:\n tensor([[0.4681]], requires_grad=True),\n"
                                              " Parameter containing:\n tensor([-0.7741], requires_grad=True))")
    assert kernel.display((1,)) == "(1,)"
    long = tuple("x" * 30 for _ in range(3))
    assert kernel.display(long).count("\n") == 2, "more than 79 characters: one item per line"

    class Plain:
        pass
    assert kernel.display(Plain()).startswith(f"<{__name__}.test_display_is_ipythons_plain_text.<locals>.Plain at 0x")


def test_a_cell_shows_its_last_expression_and_keeps_the_namespace():
    ns, out = {"__name__": "__main__"}, io.StringIO()
    assert kernel.run_cell("a = 2\na + 1", ns, out)["error"] is None
    with contextlib.redirect_stdout(out):  # the kernel points sys.stdout at the cell's buffer
        assert kernel.run_cell("print(a)\nNone", ns, out)["error"] is None
    assert out.getvalue() == "3\n2\n", "a value of None shows nothing"
    error = kernel.run_cell("a[0]", ns, out)["error"]
    assert (error["type"], error["message"]) == ("TypeError", "'int' object is not subscriptable")


def test_a_missing_optional_package_is_a_stub_until_used(monkeypatch):
    monkeypatch.setattr(kernel, "OPTIONAL", ("torch_spec_absent_package",))
    monkeypatch.setattr(sys, "meta_path", [*sys.meta_path, kernel._StubFinder()])
    monkeypatch.setattr(kernel, "_stubbed", set())
    ns = {"__name__": "__main__", "__builtins__": dict(vars(builtins), __import__=kernel._tracking_import)}
    out = io.StringIO()
    try:
        result = kernel.run_cell("from torch_spec_absent_package import make_dot\nafter = 1\n"
                                 "make_dot(after)\nnever = 2", ns, out)
        assert result["missing"] == "torch_spec_absent_package" and ns["after"] == 1 and "never" not in ns
        assert kernel._stubbed == {"torch_spec_absent_package"}
        kernel._stubbed.clear()
        assert kernel.run_cell("import os\nfrom torch_spec_absent_package import models", ns, out)["error"] is None
        assert kernel._stubbed == {"torch_spec_absent_package"}, "a stub imported again, by a later cell"
    finally:
        sys.modules.pop("torch_spec_absent_package", None)
