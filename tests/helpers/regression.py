"""Data and trained models of the regression tutorial, built through the code under test
(the `tutorial` fixture's module, passed in), so a learner's module is exercised the same way."""
import torch
from torch.testing import assert_close

from tests.helpers.cache import per_tutorial


def train_tensors(tutorial, device):
    """x_train_tensor, y_train_tensor on `device`, as the tutorial makes them:
    data_gen() then torch.from_numpy(...).float().to(device)."""
    x_train, y_train, _, _ = tutorial.data_gen()
    return tutorial.to_tensor(x_train, device), tutorial.to_tensor(y_train, device)


LOOPS = ("train_manual_autograd", "train_sgd", "train_mse_loss")


@per_tutorial
def trained(tutorial, device, variant):
    """One of the tutorial's 1000-epoch training runs on `device`, run once per process and cached
    (tests only read the result). LOOPS return (a, b); "module", "nested", "sequential" return the
    model trained by train_model; "train_step" returns (model, losses) from train_with_train_step.
    Models are created under torch.manual_seed(42) like the tutorial's."""
    x_train_tensor, y_train_tensor = train_tensors(tutorial, device)
    if variant in LOOPS:
        return getattr(tutorial, variant)(x_train_tensor, y_train_tensor)
    torch.manual_seed(42)
    if variant == "train_step":
        model = tutorial.ManualLinearRegression().to(device)
        return model, tutorial.train_with_train_step(model, x_train_tensor, y_train_tensor)
    model = {"module": lambda: tutorial.ManualLinearRegression().to(device),
             "nested": lambda: tutorial.LayerLinearRegression().to(device),
             "sequential": lambda: tutorial.sequential_model(device)}[variant]()
    return tutorial.train_model(model, x_train_tensor, y_train_tensor)


def assert_printed_line(a, b, why):
    """Intercept a and slope b (tensors of any shape holding one value: a parameter, a weight, a
    state_dict entry; on any device) equal the tutorial's printed a = 1.0235, b = 1.9690 at its 4
    decimals. `why` is the learner's hint appended to the failure message."""
    a, b = (torch.as_tensor(v).detach().cpu().reshape(-1) for v in (a, b))
    assert_close(a, torch.tensor([1.0235]), atol=5e-5, rtol=0, msg=f"a should end at 1.0235, got {a.item():.4f} ({why})")
    assert_close(b, torch.tensor([1.9690]), atol=5e-5, rtol=0, msg=f"b should end at 1.9690, got {b.item():.4f} ({why})")


def all_points(tutorial):
    """x_tensor, y_tensor: all 100 points as CPU float32 tensors (the Random Split section's)."""
    x, y = tutorial.full_data()
    return torch.from_numpy(x).float(), torch.from_numpy(y).float()


def split_loaders(tutorial, seed=42):
    """(train_loader, val_loader): the tutorial's make_loaders over all 100 points, random_split drawn
    from a generator seeded `seed`."""
    return tutorial.make_loaders(*all_points(tutorial), generator=torch.Generator().manual_seed(seed))


@per_tutorial
def trained_minibatches(tutorial, device, n_epochs=100):
    """The Evaluation section's mini-batch loop, cached: random_split with a generator seeded 42,
    a ManualLinearRegression created under torch.manual_seed(42), `n_epochs` epochs.
    Returns (model, losses, val_losses)."""
    train_loader, val_loader = split_loaders(tutorial)
    torch.manual_seed(42)
    model = tutorial.ManualLinearRegression().to(device)
    losses, val_losses = tutorial.train_minibatches(model, train_loader, val_loader, device, n_epochs=n_epochs)
    return model, losses, val_losses


def assert_loop_seeded(tutorial, variant):
    """One of LOOPS run for 0 epochs on CPU after the generator was moved on (torch.manual_seed(7)
    and a draw): the tutorial seeds inside, torch.manual_seed(42) before a and b, so they come back
    as the printed 0.3367 and 0.1288 whatever state the generator was in."""
    x_train_tensor, y_train_tensor = train_tensors(tutorial, "cpu")
    torch.manual_seed(7)
    torch.randn(3)
    a, b = getattr(tutorial, variant)(x_train_tensor, y_train_tensor, n_epochs=0)
    got = torch.cat([torch.as_tensor(a).detach().reshape(-1), torch.as_tensor(b).detach().reshape(-1)]).cpu()
    assert_close(got, torch.tensor([0.3367, 0.1288]), atol=5e-5, rtol=0,
                 msg=f"{variant}(…, n_epochs=0) returned a = {got[0].item():.4f}, b = {got[1].item():.4f}, not 0.3367 "
                     f"and 0.1288:\nseed with torch.manual_seed(42) inside {variant}, right before creating a and b "
                     f"(the tutorial does, so every run starts from the same values)")
