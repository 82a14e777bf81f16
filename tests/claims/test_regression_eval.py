"""Evaluation."""
import copy

import pytest
import torch
import torch.nn as nn
from torch.testing import assert_close

from tests.helpers.regression import split_loaders, trained_minibatches

claim = pytest.mark.claim


def _val_batch(tutorial):
    _, val_loader = split_loaders(tutorial)
    x_val, y_val = next(iter(val_loader))
    return x_val, y_val


class _Sent(torch.Tensor):
    """A CPU batch that records where .to() sends it (the copy sent is a plain tensor)."""
    sent = []

    def to(self, *args, **kwargs):
        out = super().to(*args, **kwargs).as_subclass(torch.Tensor)
        _Sent.sent.append(out.device.type)
        return out


@claim("eval.batches-to-device")
def test_loader_yields_cpu_batches_and_each_is_sent_to_the_device(tutorial, device):
    x_val, y_val = _val_batch(tutorial)
    assert (x_val.device.type, y_val.device.type) == ("cpu", "cpu"), \
        f"make_loaders' batches should come out on the CPU (sent to the device in the loop), got {x_val.device}"
    train_loader, val_loader = split_loaders(tutorial)
    batches = lambda loader: [tuple(t.as_subclass(_Sent) for t in batch) for batch in loader]  # noqa: E731
    torch.manual_seed(42)
    model = tutorial.ManualLinearRegression().to(device)
    _Sent.sent = []
    tutorial.train_minibatches(model, batches(train_loader), batches(val_loader), device, n_epochs=2)
    assert _Sent.sent == [device] * (2 * (5 + 1) * 2), "send every x and y batch with .to(device), each epoch"
    assert all(p.device.type == device for p in model.parameters()), "train_minibatches moved the model off the device"


@claim("eval.no-grad-builds-no-graph")
def test_the_validation_step_builds_no_graph(tutorial, device):
    x_val, y_val = (t.to(device) for t in _val_batch(tutorial))
    model = tutorial.ManualLinearRegression().to(device)
    with torch.no_grad():  # the Evaluation section's validation step, as printed
        model.eval()
        val_loss = nn.MSELoss(reduction="mean")(y_val, model(x_val))
    assert val_loss.grad_fn is None and not val_loss.requires_grad
    assert model(x_val).grad_fn is not None, "outside no_grad the same model builds a graph again"


@claim("eval.eval-only-sets-mode")
def test_eval_sets_mode_but_does_not_stop_gradients(tutorial, device):
    model = nn.Sequential(tutorial.LayerLinearRegression()).to(device)
    assert model.eval() is model
    assert not any(m.training for m in model.modules()), "eval() reaches every submodule"
    yhat = model(torch.ones(2, 1, device=device))
    assert yhat.requires_grad and yhat.grad_fn is not None, "eval() alone still builds the graph"


@claim("eval.no-difference-simple-model")
def test_each_validation_loss_is_the_plain_loss_of_the_model(tutorial, device):
    model, _, val_losses = trained_minibatches(tutorial, device)
    x_val, y_val = (t.to(device) for t in _val_batch(tutorial))
    plain = nn.MSELoss(reduction="mean")(y_val, copy.deepcopy(model).train()(x_val))
    assert plain.grad_fn is not None
    assert_close(val_losses[-1], plain.item(), msg=f"train_minibatches' last validation loss {val_losses[-1]:.6f} "
                 f"should be the final model's plain MSE on the validation batch, {plain.item():.6f}")


@claim("eval.loop-records-losses")
def test_loop_records_five_train_losses_and_one_validation_loss_per_epoch(tutorial, device):
    _, losses, val_losses = trained_minibatches(tutorial, device)
    assert len(losses) == 5 * 100, f"one training loss per mini-batch: 5 per epoch, got {len(losses)} for 100 epochs"
    assert len(val_losses) == 100, f"one validation loss per epoch, got {len(val_losses)} for 100 epochs"
    assert all(type(v) is float for v in losses + val_losses), "record Python floats (loss.item())"
