"""Training Step, and every variant agreeing."""
import pytest
import torch
import torch.nn as nn
import torch.optim as optim
from torch.testing import assert_close

from tests.helpers.fits import lstsq_line
from tests.helpers.regression import LOOPS, assert_printed_line, train_tensors, trained

claim = pytest.mark.claim


def _seeded_model_and_step(tutorial, device):
    torch.manual_seed(42)
    model = tutorial.ManualLinearRegression().to(device)
    optimizer = optim.SGD(model.parameters(), lr=1e-1)
    return model, tutorial.make_train_step(model, nn.MSELoss(reduction="mean"), optimizer)


@claim("training.make-train-step")
def test_train_step_updates_the_model_and_returns_the_loss_as_a_float(tutorial, device):
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    model, train_step = _seeded_model_and_step(tutorial, device)
    assert callable(train_step), "make_train_step should return a function (train_step), not call it"
    a_before = model.a.item()
    with torch.no_grad():
        loss_before = nn.MSELoss()(model(x_train_tensor), y_train_tensor).item()
    loss = train_step(x_train_tensor, y_train_tensor)
    assert type(loss) is float, f"train_step should return loss.item(), a Python float, got {type(loss).__name__}"
    assert_close(loss, loss_before, atol=1e-5, rtol=1.3e-6, msg=f"train_step should return the MSE of the model before its update ({loss_before:.4f}), got {loss:.4f}")
    assert model.a.item() != a_before, "train_step did not update the parameters: call optimizer.step()"


@claim("training.train-step-sets-train-mode")
def test_train_step_sets_training_mode(tutorial, device):
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    model, train_step = _seeded_model_and_step(tutorial, device)
    model.eval()
    train_step(x_train_tensor, y_train_tensor)
    assert model.training, "train_step should call model.train() before predicting"


@claim("training.train-step-zeroes-gradients")
def test_train_step_leaves_no_gradient_behind(tutorial, device):
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    model, train_step = _seeded_model_and_step(tutorial, device)
    train_step(x_train_tensor, y_train_tensor)
    for name, p in model.named_parameters():
        assert p.grad is None or not p.grad.any(), \
            f"{name}.grad is not cleared after train_step: call optimizer.zero_grad() after optimizer.step()"


@claim("training.losses-fall")
def test_losses_never_increase_and_end_near_the_noise(tutorial, device):
    _, losses = trained(tutorial, device, "train_step")
    kinds = sorted({type(v).__name__ for v in losses})
    assert len(losses) == 1000 and kinds == ["float"], \
        f"train_with_train_step should return 1000 losses, Python floats (loss.item()), got {len(losses)} of {kinds}"
    assert all(later <= earlier + 1e-7 for earlier, later in zip(losses, losses[1:])), "a loss went up"
    assert losses[-1] < 0.01, f"the final loss should be below 0.01, got {losses[-1]:.4f}"


@claim("training.train-step-trained-values")
def test_training_with_train_step_ends_at_the_printed_values(tutorial, device):
    model, _ = trained(tutorial, device, "train_step")
    assert_printed_line(model.a, model.b, "one train_step per epoch on the whole training set")


def _every_variant(tutorial, device):
    """(name, a, b) as Python floats for every variant of the tutorial's training loop."""
    yield ("numpy",) + tuple(float(v[0]) for v in tutorial.numpy_linear_regression(*tutorial.data_gen()[:2]))
    for variant in LOOPS:
        yield (variant,) + tuple(p.item() for p in trained(tutorial, device, variant))
    yield ("module",) + tuple(p.item() for p in trained(tutorial, device, "module").parameters())
    yield ("train_step",) + tuple(p.item() for p in trained(tutorial, device, "train_step")[0].parameters())
    for variant in ("nested", "sequential"):
        weight, bias = (p.item() for p in trained(tutorial, device, variant).parameters())
        yield variant, bias, weight


@claim("training.all-variants-agree")
def test_every_variant_ends_at_the_least_squares_line(tutorial, device):
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    best = lstsq_line(x_train_tensor.cpu().numpy(), y_train_tensor.cpu().numpy())
    assert_close(best, (1.0235, 1.9690), atol=5e-5, rtol=0)
    for name, a, b in _every_variant(tutorial, device):
        assert_close((a, b), best, atol=5e-5, rtol=0, msg=f"{name} ends at a={a:.4f}, b={b:.4f}, not at the least-squares line")
