"""Model, Full Code, Nested Models, Sequential Models."""
import copy
from collections import OrderedDict

import pytest
import torch
import torch.nn as nn
import torch.optim as optim
from torch.testing import assert_close

from tests.helpers.regression import assert_printed_line, train_tensors, trained
from tests.helpers.shapes import assert_tensor

claim = pytest.mark.claim


@claim("module.class-with-forward")
def test_manual_linear_regression_is_a_module_computing_a_plus_bx(tutorial, device):
    assert issubclass(tutorial.ManualLinearRegression, nn.Module), "the model must inherit from nn.Module"
    model = tutorial.ManualLinearRegression().to(device)
    with torch.no_grad():
        model.a.fill_(0.5)
        model.b.fill_(2.0)
        yhat = model(torch.tensor([[0.0], [1.0], [2.0]], device=device))
    assert_close(yhat, torch.tensor([[0.5], [2.5], [4.5]], device=device),
                 msg="forward(x) should return self.a + self.b * x (here 0.5 + 2 * x)")


@claim("module.base-class-is-nn-module")
def test_models_inherit_from_nn_module_there_is_no_nn_model(tutorial):
    with pytest.raises(AttributeError, match="module 'torch.nn' has no attribute 'Model'"):
        nn.Model
    assert nn.Module in tutorial.ManualLinearRegression.__mro__


@claim("module.parameter-registers")
def test_nn_parameter_attributes_are_registered(tutorial):
    model = tutorial.ManualLinearRegression()
    params = list(model.parameters())
    assert len(params) == 2 and params[0] is model.a and params[1] is model.b, \
        "parameters() should yield a and b: wrap them in nn.Parameter"
    assert list(model.state_dict()) == ["a", "b"]
    model.plain = torch.randn(1, requires_grad=True)
    assert len(list(model.parameters())) == 2 and "plain" not in model.state_dict()


@claim("module.state-dict-initial")
def test_seed_42_model_starts_at_the_printed_values(tutorial, device):
    torch.manual_seed(42)
    model = tutorial.ManualLinearRegression().to(device)
    state = model.state_dict()
    assert isinstance(state, OrderedDict) and list(state) == ["a", "b"], \
        f"ManualLinearRegression's state_dict() should hold 'a' then 'b' (nn.Parameter attributes), got {list(state)}"
    assert_close(state["a"].cpu(), torch.tensor([0.3367]), atol=5e-5, rtol=0,
                 msg=f"a should start at 0.3367 (torch.manual_seed(42), first torch.randn(1)), got {state['a']}")
    assert_close(state["b"].cpu(), torch.tensor([0.1288]), atol=5e-5, rtol=0,
                 msg=f"b should start at 0.1288 (the second torch.randn(1)), got {state['b']}")


@claim("module.state-dict-shares-parameters")
def test_state_dict_holds_detached_tensors_sharing_the_parameters_storage(tutorial, device):
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    torch.manual_seed(42)
    model = tutorial.ManualLinearRegression().to(device)
    state, snapshot = model.state_dict(), copy.deepcopy(model.state_dict())
    assert not state["a"].requires_grad and state["a"].grad_fn is None and "requires_grad" not in repr(state["a"])
    assert state["a"].data_ptr() == model.a.data_ptr() and state["b"].data_ptr() == model.b.data_ptr()
    tutorial.train_model(model, x_train_tensor, y_train_tensor, n_epochs=1)
    assert torch.equal(state["a"], model.a.detach()), "the earlier state_dict follows the training: no copy"
    assert not torch.equal(snapshot["a"], model.a.detach()), "a deepcopy keeps the values it was taken with"


@claim("module.to-returns-same-module")
def test_module_to_returns_the_same_module(tutorial, device):
    model = tutorial.ManualLinearRegression()
    a = model.a
    assert model.to(device) is model, "model.to(device) should return the same ManualLinearRegression object"
    for name, p in model.named_parameters():
        assert p.device.type == device, f"after model.to({device!r}) parameter {name} is on {p.device}, not {device}"
    assert isinstance(model.a, nn.Parameter) and model.a is a, "Module.to keeps the Parameter objects"


@claim("module.same-device-as-data")
def test_model_and_data_on_different_devices_raise(tutorial, device):
    x_train_tensor, _ = train_tensors(tutorial, device)
    model = tutorial.ManualLinearRegression()
    with pytest.raises(RuntimeError, match="Expected all tensors to be on the same device"):
        model(x_train_tensor)
    assert_tensor(model.to(device)(x_train_tensor), "the model's prediction", device=device)


@claim("module.parameters-recurse")
def test_parameters_recurse_into_nested_modules(tutorial):
    model = tutorial.LayerLinearRegression()
    params = list(model.parameters())
    assert len(params) == 2, f"LayerLinearRegression should have 2 parameters (the layer's weight and bias), got {len(params)}"
    assert params[0] is model.linear.weight and params[1] is model.linear.bias
    assert [name for name, _ in model.named_parameters()] == ["linear.weight", "linear.bias"]


@claim("module.train-only-sets-mode")
def test_train_only_sets_the_training_flag(tutorial):
    model = nn.Sequential(tutorial.LayerLinearRegression()).eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    assert model.train() is model
    assert all(m.training for m in model.modules()), "train() sets every submodule to training mode"
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), "train() must not change any parameter"


@claim("module.dropout-train-eval")
def test_dropout_differs_between_train_and_eval(device):
    torch.manual_seed(0)
    dropout = nn.Dropout(p=0.5)
    x = torch.ones(1000, device=device)
    out = dropout.train()(x)
    assert 300 < int((out == 0).sum()) < 700 and set(out.unique().tolist()) == {0.0, 2.0}
    assert torch.equal(dropout.eval()(x), x)


@claim("module.call-not-forward")
def test_only_calling_the_model_runs_its_hooks(tutorial, device):
    model = tutorial.ManualLinearRegression().to(device)
    calls = []
    model.register_forward_hook(lambda module, inputs, output: calls.append(output))
    x = torch.ones(2, 1, device=device)
    assert_close(model.forward(x), model(x))
    assert len(calls) == 1, "model.forward(x) skipped the hook; model(x) ran it"


@claim("module.model-section-loop-without-zero-grad")
def test_model_section_loop_as_printed_accumulates_gradients(tutorial, device):
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    torch.manual_seed(42)
    model = tutorial.ManualLinearRegression().to(device)
    loss_fn = nn.MSELoss(reduction="mean")
    optimizer = optim.SGD(model.parameters(), lr=1e-1)
    for epoch in range(1000):
        model.train()
        loss = loss_fn(y_train_tensor, model(x_train_tensor))
        loss.backward()
        optimizer.step()
    # accumulated gradients make an undamped oscillation: float32 rounding (float64 moves a by 1e-5,
    # CUDA's reduction order likewise) shifts the end point, so CUDA gets a looser check
    tol = 5e-5 if device == "cpu" else 1e-3
    assert_close(model.a.detach().cpu(), torch.tensor([0.0058]), atol=tol, rtol=0)
    assert_close(model.b.detach().cpu(), torch.tensor([2.7379]), atol=tol, rtol=0)


@claim("module.full-code-trained-values")
def test_full_code_loop_ends_at_the_printed_values(tutorial, device):
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    model = tutorial.ManualLinearRegression().to(device)
    assert tutorial.train_model(model, x_train_tensor, y_train_tensor, n_epochs=1) is model, "return the model"
    state = trained(tutorial, device, "module").state_dict()
    assert_printed_line(state["a"], state["b"], "did you forget optimizer.zero_grad()?")


@claim("module.nested-linear-layer")
def test_layer_linear_regression_wraps_a_1_in_1_out_linear(tutorial, device):
    model = tutorial.LayerLinearRegression().to(device)
    assert isinstance(model.linear, nn.Linear), \
        f"LayerLinearRegression's self.linear should be an nn.Linear, got {type(model.linear).__name__}"
    assert (model.linear.in_features, model.linear.out_features) == (1, 1)
    shapes = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    assert shapes == {"linear.weight": (1, 1), "linear.bias": (1,)}, \
        f"state_dict() shapes should be linear.weight (1, 1) and linear.bias (1,), got {shapes}"
    x = torch.tensor([[0.0], [1.0]], device=device)
    assert_close(model(x), model.linear(x), msg="forward(x) should return self.linear(x)")


@claim("module.nested-trained-values")
def test_nested_model_trains_to_the_same_line(tutorial, device):
    model = trained(tutorial, device, "nested")
    assert_printed_line(model.linear.bias, model.linear.weight, "the bias is the intercept a, the weight the slope b")


@claim("module.sequential-feeds-forward")
def test_sequential_feeds_each_output_to_the_next_layer(device):
    first, second = nn.Linear(1, 3).to(device), nn.Linear(3, 2).to(device)
    model = nn.Sequential(first, second)
    x = torch.randn(4, 1, device=device)
    assert_close(model(x), second(first(x)))
    assert list(model) == [first, second]


@claim("module.sequential-trained-values")
def test_sequential_model_trains_to_the_same_line(tutorial, device):
    model = trained(tutorial, device, "sequential")
    state = model.state_dict()
    assert isinstance(model, nn.Sequential) and list(state) == ["0.weight", "0.bias"], \
        f"sequential_model(device) should be nn.Sequential(nn.Linear(1, 1)) (state_dict 0.weight, 0.bias), got " \
        f"{type(model).__name__} with {list(state)}"
    assert_printed_line(state["0.bias"], state["0.weight"], "the bias is the intercept a, the weight the slope b")
