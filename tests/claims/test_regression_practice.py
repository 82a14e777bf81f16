"""The practices the tutorial teaches, observed through the tutorial's functions (the `tutorial`
fixture: the reference, or a learner's code), so that a version without them fails even where the
numbers come out the same:

- device placement, without a GPU: the function is called with device="meta" (shapes, no data) and its
  results must live there; a forgotten .to(device) leaves them on the CPU;
- validation under torch.no_grad() and model.eval(), training under model.train(): a spy model records
  the grad mode and its training flag at every forward;
- a seeded generator passed in makes the split reproducible: two runs with the same generator seed agree
  whatever the global RNG says.
"""
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from tests.helpers.spies import Spy, first_forward
from tests.helpers.shapes import assert_tensor

claim = pytest.mark.claim


def _loaders():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(100, 1, generator=g)
    y = 1 + 2 * x
    train = TensorDataset(x[:80], y[:80])
    val = TensorDataset(x[80:], y[80:])
    return DataLoader(train, batch_size=16), DataLoader(val, batch_size=20)


@claim("tensors.float-to-float32")
def test_to_tensor_follows_the_device_it_is_given(tutorial):
    t = tutorial.to_tensor(np.zeros((3, 1)), "meta")
    assert t.device.type == "meta", f"to_tensor(..., 'meta') returned a tensor on {t.device}: .to(device)?"
    assert_tensor(t, "to_tensor(np.zeros((3, 1)), 'meta')", shape=(3, 1), dtype=torch.float32)


@claim("devices.create-on-device")
def test_make_parameters_creates_them_on_the_device_it_is_given(tutorial):
    a, b = tutorial.make_parameters("meta")
    for name, p in (("a", a), ("b", b)):
        assert p.device.type == "meta", f"make_parameters('meta') made {name} on {p.device}: device=device?"
        assert p.is_leaf and p.requires_grad, f"{name} must be a leaf that requires grad"


@claim("module.same-device-as-data")
def test_sequential_model_is_sent_to_the_device_it_is_given(tutorial):
    model = tutorial.sequential_model("meta")
    devices = {p.device.type for p in model.parameters()}
    assert devices == {"meta"}, f"sequential_model('meta') has parameters on {devices}: .to(device)?"


@claim("eval.batches-to-device")
def test_train_minibatches_sends_every_batch_to_the_device_it_is_given(tutorial):
    train_loader, val_loader = _loaders()
    spy = Spy(stop_after=1)  # the first forward shows where the batch was sent; stop there
    _, _, where = first_forward(spy, lambda: tutorial.train_minibatches(spy, train_loader, val_loader, "meta",
                                                                         n_epochs=1), "train_minibatches(...)")
    assert where == "meta", f"train_minibatches(..., device='meta') fed the model a batch on {where}: x_batch.to(device)?"


@claim("eval.no-grad-builds-no-graph")
def test_train_minibatches_validates_without_gradients(tutorial):
    train_loader, val_loader = _loaders()
    spy = Spy()
    tutorial.train_minibatches(spy, train_loader, val_loader, "cpu", n_epochs=1)
    assert len(spy.seen) == 6, f"1 epoch: 5 training batches and 1 validation batch, got {len(spy.seen)} forwards"
    assert all(grad for grad, _, _ in spy.seen[:5]), "training forwards must build a graph"
    assert not spy.seen[5][0], "the validation forward ran with gradients on: wrap it in torch.no_grad()"


@claim("eval.eval-only-sets-mode")
def test_train_minibatches_trains_in_train_mode_and_validates_in_eval_mode(tutorial):
    train_loader, val_loader = _loaders()
    spy = Spy()
    spy.eval()  # whatever mode it comes in, the loop sets it
    tutorial.train_minibatches(spy, train_loader, val_loader, "cpu", n_epochs=2)
    modes = [training for _, training, _ in spy.seen]
    assert modes[:5] == [True] * 5 and modes[6:11] == [True] * 5, \
        "training forwards ran in evaluation mode: call model.train() before each training step"
    assert modes[5] is False and modes[11] is False, \
        "the validation forward ran in training mode: call model.eval() before validating"


@claim("module.train-only-sets-mode")
def test_train_model_puts_the_model_in_training_mode(tutorial):
    x = torch.rand(10, 1)
    spy = Spy()
    spy.eval()
    tutorial.train_model(spy, x, 1 + 2 * x, n_epochs=2)
    assert spy.seen and all(training for _, training, _ in spy.seen), \
        "train_model ran forwards in evaluation mode: call model.train() in the loop"


def _train_points(tutorial, seed):
    x = torch.arange(100, dtype=torch.float32).reshape(100, 1)
    train_loader, _ = tutorial.make_loaders(x, 1 + 2 * x, generator=torch.Generator().manual_seed(seed))
    return sorted(float(v) for xb, _ in train_loader for v in xb.reshape(-1))


@claim("dataloader.random-split")
def test_make_loaders_splits_with_the_generator_it_is_given(tutorial):
    torch.manual_seed(1)
    first = _train_points(tutorial, 0)
    torch.manual_seed(2)  # a different global RNG: the generator alone decides the split
    again = _train_points(tutorial, 0)
    other = _train_points(tutorial, 7)
    assert len(first) == 80, f"make_loaders' train_loader should hold the 80 training points, got {len(first)}"
    assert first == again, "make_loaders ignored its generator: pass generator=generator to random_split"
    assert first != other, "two generator seeds gave the same split: is the split random?"
