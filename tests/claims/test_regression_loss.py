"""Loss."""
import pytest
import torch
import torch.nn as nn
from torch.testing import assert_close

from tests.helpers.regression import assert_loop_seeded, assert_printed_line, train_tensors, trained

claim = pytest.mark.claim


@claim("loss.mseloss-builds-a-function")
def test_mseloss_is_a_module_not_a_value(device):
    loss_fn = nn.MSELoss(reduction="mean")
    assert isinstance(loss_fn, nn.Module) and not isinstance(loss_fn, torch.Tensor)
    loss = loss_fn(torch.tensor([1.0, 3.0], device=device), torch.tensor([0.0, 0.0], device=device))
    assert isinstance(loss, torch.Tensor) and loss.dim() == 0
    assert_close(loss, torch.tensor(5.0, device=device))


@claim("loss.reduction-mean-or-sum")
def test_sum_is_n_times_mean(tutorial, device):
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    yhat = 1 + 2 * x_train_tensor
    mean = nn.MSELoss(reduction="mean")(y_train_tensor, yhat)
    assert_close(nn.MSELoss()(y_train_tensor, yhat), mean, msg="'mean' is the default reduction")
    assert_close(nn.MSELoss(reduction="sum")(y_train_tensor, yhat), 80 * mean)
    assert nn.MSELoss().reduction == "mean"


@claim("loss.mse-matches-manual")
def test_mseloss_equals_the_mean_of_squared_errors(tutorial, device):
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    yhat = 0.5 + 3 * x_train_tensor
    loss_fn = nn.MSELoss(reduction="mean")
    assert_close(loss_fn(y_train_tensor, yhat), ((y_train_tensor - yhat) ** 2).mean())
    assert_close(loss_fn(y_train_tensor, yhat), loss_fn(yhat, y_train_tensor), msg="MSE is symmetric")


@claim("loss.mseloss-loop-seeded-42")
def test_train_mse_loss_starts_from_the_seeded_values(tutorial):
    assert_loop_seeded(tutorial, "train_mse_loss")


@claim("loss.mseloss-trained-values")
def test_mseloss_loop_ends_at_the_printed_values(tutorial, device):
    a, b = trained(tutorial, device, "train_mse_loss")
    assert_printed_line(a, b, "loss = loss_fn(y_train_tensor, yhat)")
