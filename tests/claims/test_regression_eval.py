"""Evaluation."""
import pytest
import torch
import torch.nn as nn
from torch.testing import assert_close

from tests.helpers.regression import all_points, trained_minibatches

claim = pytest.mark.claim


def _val_batch(tutorial, device):
    _, val_loader = tutorial.make_loaders(*all_points(tutorial), generator=torch.Generator().manual_seed(42))
    x_val, y_val = next(iter(val_loader))
    return x_val, y_val


@claim("eval.batches-to-device")
def test_loader_yields_cpu_batches_sent_to_the_device(tutorial, device):
    x_val, y_val = _val_batch(tutorial, device)
    assert x_val.device.type == "cpu" and y_val.device.type == "cpu"
    assert x_val.to(device).device.type == device
    model, _, _ = trained_minibatches(tutorial, device)
    assert all(p.device.type == device for p in model.parameters()), "train_minibatches moved the model off the device"


@claim("eval.no-grad-builds-no-graph")
def test_validation_loss_has_no_graph(tutorial, device):
    x_val, y_val = (t.to(device) for t in _val_batch(tutorial, device))
    model = tutorial.ManualLinearRegression().to(device)
    val_loss = tutorial.validation_loss(model, nn.MSELoss(reduction="mean"), x_val, y_val)
    assert val_loss.grad_fn is None and not val_loss.requires_grad, \
        "the validation loss has a graph behind it: compute it inside torch.no_grad()"
    assert not model.training, "validation_loss should put the model in evaluation mode (model.eval())"


@claim("eval.eval-only-sets-mode")
def test_eval_sets_mode_but_does_not_stop_gradients(tutorial, device):
    model = nn.Sequential(tutorial.LayerLinearRegression()).to(device)
    assert model.eval() is model
    assert not any(m.training for m in model.modules()), "eval() reaches every submodule"
    yhat = model(torch.ones(2, 1, device=device))
    assert yhat.requires_grad and yhat.grad_fn is not None, "eval() alone still builds the graph"


@claim("eval.no-difference-simple-model")
def test_validation_loss_is_the_same_with_or_without_no_grad_and_eval(tutorial, device):
    x_val, y_val = (t.to(device) for t in _val_batch(tutorial, device))
    torch.manual_seed(42)
    model = tutorial.ManualLinearRegression().to(device)
    loss_fn = nn.MSELoss(reduction="mean")
    plain = loss_fn(y_val, model.train()(x_val))
    assert_close(tutorial.validation_loss(model, loss_fn, x_val, y_val), plain.detach())


@claim("eval.loop-records-losses")
def test_loop_records_five_train_losses_and_one_validation_loss_per_epoch(tutorial, device):
    _, losses, val_losses = trained_minibatches(tutorial, device)
    assert len(losses) == 5 * 100, f"one training loss per mini-batch: 5 per epoch, got {len(losses)} for 100 epochs"
    assert len(val_losses) == 100, f"one validation loss per epoch, got {len(val_losses)} for 100 epochs"
    assert all(type(v) is float for v in losses + val_losses), "record Python floats (loss.item())"
