"""The practices the tutorial teaches, observed through the tutorial's functions (the `tutorial`
fixture: the reference, or a learner's code): device placement checked without a GPU (device="meta":
shapes, no data), and the validation loss computed without building a graph (a spy model records
the grad mode at every forward)."""
import pytest
import torch
import torch.nn as nn
import torch.optim as optim

from tests.helpers.spies import Spy, first_forward
from tests.helpers.shapes import assert_tensor

claim = pytest.mark.claim


def _split():
    t = torch.linspace(0, 1, 11).unsqueeze(1)
    return t[:9], t[9:], 3 * t[:9], 3 * t[9:]


@claim("training.temperature-data-values")
def test_temperature_data_is_made_on_the_device_it_is_given(tutorial):
    t_c, t_u = tutorial.temperature_data("meta")
    assert (t_c.device.type, t_u.device.type) == ("meta", "meta"), \
        f"temperature_data('meta') gave tensors on {t_c.device} and {t_u.device}: device=device?"
    for name, t in (("t_c", t_c), ("t_u", t_u)):
        assert_tensor(t, f"temperature_data('meta')'s {name}", shape=(11,), dtype=torch.float32)


@claim("eval.no-grad-validation-loss")
def test_training_loop_nn_computes_the_validation_loss_without_a_graph(tutorial):
    t_u_train, t_u_val, t_c_train, t_c_val = _split()
    spy = Spy()
    tutorial.training_loop_nn(2, optim.SGD(spy.parameters(), lr=1e-2), spy, nn.MSELoss(),
                              t_u_train, t_u_val, t_c_train, t_c_val)
    by_input = [grad for grad, _, _ in spy.seen]
    assert len(by_input) == 4, f"2 epochs: one training and one validation forward each, got {len(by_input)}"
    assert by_input[0] and by_input[2], "the training forwards must build a graph"
    assert not by_input[1] and not by_input[3], \
        "the validation forward ran with gradients on: compute it under torch.no_grad()"


@claim("training.subclass-on-device-loop")
def test_training_loop_on_device_moves_the_data_to_the_device_it_is_given(tutorial):
    t_u_train, t_u_val, t_c_train, t_c_val = _split()
    spy = Spy(stop_after=1).to("meta")
    _, _, where = first_forward(spy, lambda: tutorial.training_loop_on_device(
        1, optim.SGD(spy.parameters(), lr=1e-2), spy, nn.MSELoss(), t_u_train, t_u_val, t_c_train, t_c_val,
        "meta"), "training_loop_on_device(1, ...)")
    assert where == "meta", f"training_loop_on_device(..., device='meta') fed the model data on {where}: .to(device)?"
