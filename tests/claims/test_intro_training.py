"""intro tutorial (seed 003): linear data, MSE loss, the manual training loop, optim.SGD."""
import copy
import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from tests.helpers.fits import lstsq_line
from tests.helpers.grads import assert_grads_none, assert_grads_zeroed
from tests.helpers.printed import idx_losses, run_printing
from tests.helpers.shapes import assert_tensor

claim = pytest.mark.claim

SEED = 0  # the model (In [17]) and then the data (In [19]) are drawn from this seed, in tutorial order
X3 = [[0.0], [1.0], [2.0]]  # three points on y = 2x + 1
Y3 = [[1.0], [3.0], [5.0]]


def _model_and_data(tutorial, device):
    """In [17] + In [19]: my_model = nn.Linear(1, 1), then the 10 linear points, all on `device`."""
    torch.manual_seed(SEED)
    my_model = tutorial.make_model(1, 1)
    x, y = tutorial.make_linear_data()
    return my_model.to(device), x.to(device), y.to(device)


def _zero_model(tutorial, device):
    """A Linear(1, 1) with A = b = 0 and the loss of X3, Y3 backpropagated into it."""
    my_model = tutorial.make_model(1, 1).to(device)
    with torch.no_grad():
        my_model.weight.zero_()
        my_model.bias.zero_()
    F.mse_loss(my_model(torch.tensor(X3, device=device)), torch.tensor(Y3, device=device)).backward()
    return my_model


def _fit_lands_on_least_squares(tutorial, device, loop, why):
    """loop(my_model, x, y, 0.05, 500) (train_manual or train_sgd) trains my_model to A and b within 0.01
    of the closed-form least-squares slope and intercept of (x, y)."""
    my_model, x, y = _model_and_data(tutorial, device)
    run_printing(loop, my_model, x, y, 0.05, 500)
    A, b = my_model.weight, my_model.bias
    intercept, slope = lstsq_line(x.cpu(), y.cpu())
    assert abs(A.item() - slope) < 0.01, f"A = {A.item():.4f}, least squares {slope:.4f}: {why}"
    assert abs(b.item() - intercept) < 0.01, f"b = {b.item():.4f}, least squares {intercept:.4f}: {why}"


@claim("training.linear-data")
def test_linear_data_shapes_and_range(tutorial):
    torch.manual_seed(SEED)
    x, y = tutorial.make_linear_data()
    assert x.shape == (10, 1) and y.shape == (10, 1), f"N=10 rows, 1 feature: got {tuple(x.shape)}, {tuple(y.shape)}"
    assert_tensor(x, "make_linear_data()'s x", dtype=torch.float32)
    assert_tensor(y, "make_linear_data()'s y", dtype=torch.float32)
    assert 0.0 <= x.min().item() and x.max().item() < 5.0, "x = torch.rand(N, 1) * 5 lies in [0, 5)"
    noise = y - (math.pi * x + 42)
    assert noise.min().item() > -1e-4 and noise.max().item() < 1 + 1e-4, \
        "y = pi * x + 42 + torch.rand(N, 1): the noise must lie in [0, 1)"


@claim("training.noise-shifts-intercept")
def test_best_line_has_intercept_42_5(tutorial):
    torch.manual_seed(SEED)
    x, y = tutorial.make_linear_data(10000)
    intercept, slope = lstsq_line(x.cpu(), y.cpu())
    # standard errors for noise sd 1/sqrt(12), x ~ U[0, 5), N = 10000: slope 0.002, intercept 0.006
    assert abs(slope - math.pi) < 0.01, f"slope {slope:.4f} should be pi"
    assert abs(intercept - 42.5) < 0.025, f"intercept {intercept:.4f}: 42 + the noise's mean 0.5, not 42"


@claim("loss.collection")
def test_torch_nn_has_many_losses(device):
    y_hat = torch.tensor([[0.2], [0.9]], device=device)
    y = torch.tensor([[0.0], [1.0]], device=device)
    for cls in (nn.MSELoss, nn.L1Loss, nn.BCELoss, nn.BCEWithLogitsLoss):
        loss = cls()(y_hat, y)
        assert isinstance(cls(), nn.Module) and loss.dim() == 0, f"{cls.__name__} returns a 0-dim loss"
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]], device=device)
    assert_close(nn.CrossEntropyLoss()(logits, torch.tensor([0, 1], device=device)),
                 nn.NLLLoss()(logits.log_softmax(dim=1), torch.tensor([0, 1], device=device)))


@claim("loss.mean-squared-error")
def test_mse_is_mean_of_squared_differences(device):
    y_hat = torch.tensor([1.0, 2.0, 3.0], device=device)
    y = torch.tensor([1.0, 1.0, 1.0], device=device)
    assert_close(nn.MSELoss()(y_hat, y), torch.tensor(1.6667, device=device), atol=5e-5, rtol=0,
                 msg="MSE = mean((y_hat - y) ** 2) = (0 + 1 + 4) / 3")
    assert_close(F.mse_loss(y_hat, y), torch.tensor(1.6667, device=device), atol=5e-5, rtol=0)


@claim("loss.zero-when-correct")
def test_loss_is_zero_for_the_correct_output(device):
    y = torch.tensor([[1.0], [3.0], [5.0]], device=device)
    assert F.mse_loss(y, y).item() == 0.0
    assert F.mse_loss(y + 1, y).item() == 1.0
    assert F.mse_loss(y + 2, y).item() == 4.0, "the further y_hat is from y, the higher the loss"


@claim("training.backward-computes-gradient")
def test_backward_fills_the_gradients(tutorial, device):
    my_model = _zero_model(tutorial, device)
    assert_close(my_model.weight.grad, torch.tensor([[-8.6667]], device=device), atol=5e-5, rtol=0,
                 msg="dMSE/dA = 2/N * sum((y_hat - y) * x) = 2/3 * -(0*1 + 1*3 + 2*5)")
    assert_close(my_model.bias.grad, torch.tensor([-6.0], device=device),
                 msg="dMSE/db = 2/N * sum(y_hat - y) = 2/3 * -(1 + 3 + 5)")


@claim("training.manual-update")
def test_manual_update_steps_against_the_gradient(tutorial, device):
    my_model = tutorial.make_model(1, 1).to(device)
    with torch.no_grad():
        my_model.weight.zero_()
        my_model.bias.zero_()
    weight, bias, where = my_model.weight, my_model.bias, (my_model.weight.data_ptr(), my_model.bias.data_ptr())
    run_printing(tutorial.train_manual, my_model, torch.tensor(X3, device=device), torch.tensor(Y3, device=device), 0.05, 1)
    assert my_model.weight is weight and my_model.bias is bias, "update the parameters themselves, not new tensors"
    assert (weight.data_ptr(), bias.data_ptr()) == where, "update in place (param.data -= ...), same storage"
    assert_close(my_model.weight.data, torch.tensor([[0.4333]], device=device), atol=5e-5, rtol=0,
                 msg="A - lr * dA = 0 - 0.05 * -8.6667: the update must subtract lr times the gradient, in place")
    assert_close(my_model.bias.data, torch.tensor([0.3], device=device), atol=5e-5, rtol=0)


@claim("training.loss-printed-every-50")
def test_losses_printed_every_50_epochs_decrease(tutorial, device):
    my_model, x, y = _model_and_data(tutorial, device)
    printed = idx_losses(tutorial.train_manual, my_model, x, y, 0.05, 500, name="train_manual")
    assert [idx for idx, _ in printed] == list(range(0, 500, 50)), "print when idx % 50 == 0"
    losses = [loss for _, loss in printed]
    assert all(a > b for a, b in zip(losses, losses[1:])), \
        f"the loss must decrease (call my_model.zero_grad() before every backward): {losses}"
    assert losses[-1] < 1 / 12, f"the last loss {losses[-1]:.4f} should be below the noise variance 1/12"


@claim("training.loss-data-index")
def test_loss_data_0_raises_index_error(device):
    loss = F.mse_loss(torch.tensor([1.0, 2.0], device=device), torch.zeros(2, device=device))
    assert loss.dim() == 0, "a loss is a 0-dim tensor"
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        loss.data[0]
    assert loss.item() == 2.5


@claim("training.zero-grad-clears")
def test_zero_grad_stops_accumulation(tutorial, device):
    my_model = _zero_model(tutorial, device)
    my_model.zero_grad()
    F.mse_loss(my_model(torch.tensor(X3, device=device)), torch.tensor(Y3, device=device)).backward()
    assert_close(my_model.weight.grad, torch.tensor([[-8.6667]], device=device), atol=5e-5, rtol=0,
                 msg="after zero_grad() the gradient is this step's alone, not the sum of two steps")
    assert_close(my_model.bias.grad, torch.tensor([-6.0], device=device))


@claim("training.zero-grad-fills-zeros")
def test_zero_grad_fills_zeros(tutorial, device):
    my_model = _zero_model(tutorial, device)
    my_model.zero_grad()
    assert_grads_zeroed(list(my_model.parameters()))


@claim("training.zero-grad-sets-none")
def test_zero_grad_sets_none(tutorial, device):
    my_model = _zero_model(tutorial, device)
    my_model.zero_grad()
    assert_grads_none(list(my_model.parameters()))


@claim("training.fit-reaches-least-squares")
def test_manual_loop_reaches_least_squares_line(tutorial, device):
    # 500 epochs leave the slow direction of the loss ~1e-3 from the optimum on this seed
    _fit_lands_on_least_squares(tutorial, device, tutorial.train_manual,
                                "check zero_grad() every epoch, the sign of the update and the learning rate")


@claim("training.learned-line-near-truth")
def test_learned_line_near_pi_and_42_5(tutorial, device):
    my_model, x, y = _model_and_data(tutorial, device)
    run_printing(tutorial.train_manual, my_model, x, y, 0.05, 500)
    A, b = my_model.weight, my_model.bias
    # 4 standard errors for N = 10, noise sd 1/sqrt(12), x ~ U[0, 5): slope 4 * 0.063, intercept 4 * 0.18
    assert abs(A.item() - math.pi) < 0.25, f"A = {A.item():.4f} should be near pi (zero_grad() every epoch?)"
    assert abs(b.item() - 42.5) < 0.75, f"b = {b.item():.4f} should be near 42.5 (42 + mean noise 0.5)"


@claim("tensors.arange-float-step")
def test_arange_0_5_step_001(device):
    xs = torch.arange(0, 5, 0.01, device=device).view(-1, 1)
    assert xs.shape == (500, 1) and xs.dtype == torch.float32
    assert xs[0, 0].item() == 0.0
    assert_close(xs[-1, 0], torch.tensor(4.99, device=device), atol=1e-5, rtol=0, msg="the end 5 is excluded")


@claim("numpy.data-numpy-for-plotting")
def test_model_output_needs_data_or_detach_for_numpy(tutorial):
    my_model = tutorial.make_model(1, 1)
    ys = my_model(torch.arange(0, 5, 0.01).view(-1, 1))
    with pytest.raises(RuntimeError, match=r"Can't call numpy\(\) on Tensor that requires grad"):
        ys.numpy()
    assert ys.data.numpy().shape == (500, 1), \
        f"make_model(1, 1) of 500 inputs should give 500 rows of one output, got {ys.data.numpy().shape}"
    assert (ys.data.numpy() == ys.detach().numpy()).all()


@claim("optim.grads-stored-in-parameters")
def test_backward_stores_grads_in_parameters(tutorial, device):
    my_model = _zero_model(tutorial, device)
    for p in my_model.parameters():
        assert isinstance(p, nn.Parameter) and p.requires_grad, \
            f"every parameter of the model should be an nn.Parameter that requires grad, got {type(p).__name__}"
        assert p.grad is not None and p.grad.shape == p.shape, "backward fills p.grad, shaped like p"


@claim("optim.constructed-with-parameters")
def test_optimizer_holds_the_model_parameters(tutorial):
    my_model = tutorial.make_model(1, 1)
    opt = torch.optim.SGD(my_model.parameters(), lr=0.05)
    held = opt.param_groups[0]["params"]
    assert len(held) == 2 and all(h is p for h, p in zip(held, my_model.parameters())), \
        "the optimizer must hold the model's own parameter objects"
    assert opt.param_groups[0]["lr"] == 0.05


@claim("optim.step-subtracts-lr-grad")
def test_sgd_step_matches_manual_update(tutorial, device):
    my_model = _zero_model(tutorial, device)
    torch.optim.SGD(my_model.parameters(), lr=0.05).step()
    assert_close(my_model.weight.data, torch.tensor([[0.4333]], device=device), atol=5e-5, rtol=0)
    assert_close(my_model.bias.data, torch.tensor([0.3], device=device), atol=5e-5, rtol=0)


@claim("optim.sgd-same-as-manual")
def test_sgd_loop_follows_manual_loop(tutorial, device):
    my_model, x, y = _model_and_data(tutorial, device)
    twin = copy.deepcopy(my_model)
    printed_manual = idx_losses(tutorial.train_manual, my_model, x, y, 0.05, 500, name="train_manual")
    printed_sgd = idx_losses(tutorial.train_sgd, twin, x, y, 0.05, 500, name="train_sgd")
    assert [i for i, _ in printed_sgd] == [i for i, _ in printed_manual]
    assert_close(torch.tensor([loss for _, loss in printed_sgd]), torch.tensor([loss for _, loss in printed_manual]),
                 rtol=1e-4, atol=1e-4, msg="optim.SGD(lr=0.05) must print the losses the manual loop prints "
                 "(both loops call my_model.zero_grad() every epoch)")
    for p_sgd, p_manual in zip(twin.parameters(), my_model.parameters()):
        assert_close(p_sgd, p_manual, rtol=1e-5, atol=1e-4)


@claim("optim.sgd-fits")
def test_sgd_loop_reaches_least_squares_line(tutorial, device):
    _fit_lands_on_least_squares(tutorial, device, tutorial.train_sgd,
                                "check zero_grad() every epoch, opt.step() after backward, and lr=0.05")


@claim("optim.sgd-adam-rmsprop")
def test_sgd_adam_rmsprop_are_optimizers():
    for cls in (torch.optim.SGD, torch.optim.Adam, torch.optim.RMSprop):
        assert issubclass(cls, torch.optim.Optimizer)
    assert not hasattr(torch.optim, "RMSProp"), "the class is spelled torch.optim.RMSprop"
