"""Dynamic Computation Graph."""
import pytest
import torch

from tests.helpers.errors import assert_backward_twice_refused
from tests.helpers.graph import leaves
from tests.helpers.regression import train_tensors

claim = pytest.mark.claim


@claim("graph.built-from-operations")
def test_operations_on_parameters_build_a_graph_back_to_them(tutorial, device):
    a, b = tutorial.make_parameters(device)
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    yhat = a + b * x_train_tensor
    loss = ((y_train_tensor - yhat) ** 2).mean()
    assert yhat.grad_fn is not None and loss.grad_fn is not None
    found = leaves(loss.grad_fn)
    assert len(found) == 2 and any(t is a for t in found) and any(t is b for t in found)
    assert (2 * x_train_tensor + y_train_tensor).grad_fn is None, "operations on data alone record nothing"


@claim("graph.rebuilt-every-pass")
def test_each_forward_pass_builds_a_new_graph_from_the_code_that_ran(device):
    a = torch.tensor([1.0], requires_grad=True, device=device)
    first, second = (a * 2).sum(), (a * 5).sum()
    first.backward()  # the first pass's graph is its own: building the second changed nothing in it
    assert a.grad.item() == 2.0
    second.backward()
    assert a.grad.item() == 7.0
    for use_mul, expected in ((True, "MulBackward"), (False, "AddBackward")):
        out = a * 3 if use_mul else a + 3
        assert type(out.grad_fn).__name__.startswith(expected), "the graph follows the branch that ran"


@claim("graph.freed-after-backward")
def test_second_backward_through_a_freed_graph_raises(device):
    a = torch.randn(1, requires_grad=True, device=device)
    loss = (a * a).sum()
    loss.backward()
    assert_backward_twice_refused(loss)


@claim("viz.make-dot")
@pytest.mark.filterwarnings("ignore:distutils Version classes:DeprecationWarning")
def test_make_dot_draws_the_graph_of_yhat(tutorial, device):
    torchviz = pytest.importorskip("torchviz", reason="unchecked: torchviz is not installed (pip install torchviz)")
    a, b = tutorial.make_parameters(device)
    x_train_tensor, _ = train_tensors(tutorial, device)
    yhat = a + b * x_train_tensor
    source = torchviz.make_dot(yhat, params={"a": a, "b": b}).source
    assert "AddBackward0" in source and "MulBackward0" in source
    assert source.count("AccumulateGrad") == 2
    assert 'label="a\n (1)"' in source and 'label="b\n (1)"' in source
