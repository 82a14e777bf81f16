"""Data Generation (seed 000) and Linear Regression in Numpy (seed 001)."""
import numpy as np
import pytest
from torch.testing import assert_close

from tests.helpers.fits import lstsq_line

claim = pytest.mark.claim


@claim("data.shapes")
def test_data_gen_returns_80_train_and_20_validation_points(tutorial):
    x_train, y_train, x_val, y_val = tutorial.data_gen()
    for name, arr, n in [("x_train", x_train, 80), ("y_train", y_train, 80), ("x_val", x_val, 20), ("y_val", y_val, 20)]:
        assert isinstance(arr, np.ndarray), f"{name} should be a NumPy array, got {type(arr).__name__}"
        assert arr.shape == (n, 1), f"{name} should have shape ({n}, 1) (a column of points), got {arr.shape}"
        assert arr.dtype == np.float64, f"{name} should stay NumPy's float64, got {arr.dtype}"


@claim("data.linear-with-noise")
def test_labels_are_1_plus_2x_plus_small_gaussian_noise(tutorial):
    x_train, y_train, x_val, y_val = tutorial.data_gen()
    residuals = np.concatenate([y_train - (1 + 2 * x_train), y_val - (1 + 2 * x_val)])
    assert abs(residuals.mean()) < 0.03, f"y - (1 + 2x) should average about 0, got {residuals.mean():.4f}: use a = 1, b = 2"
    assert 0.07 < residuals.std() < 0.13, f"the noise should have std about 0.1, got {residuals.std():.4f}: use .1 * np.random.randn(100, 1)"
    assert 0 <= x_train.min() and x_train.max() < 1, "x comes from np.random.rand: uniform in [0, 1)"


@claim("data.shuffled-split")
def test_training_set_is_not_the_first_80_generated_points(tutorial):
    x, _ = tutorial.full_data()
    assert_close(x[:2, 0], np.array([0.3745, 0.9507]), atol=5e-5, rtol=0,
                 msg=f"full_data() returned x[:2] = {np.round(x[:2, 0], 4).tolist()}, not [0.3745, 0.9507], the first "
                     f"points np.random.rand draws after np.random.seed(42):\nfull_data returns all 100 points as "
                     f"generated, before any shuffle (data_gen shuffles the indices, full_data does not)")
    x_train, _, _, _ = tutorial.data_gen()
    assert not np.array_equal(x_train, x[:80]), "x_train is x[:80]: shuffle the indices before splitting"
    assert set(x_train.ravel()) <= set(x.ravel()), "training points must come from the 100 generated ones"


@claim("data.split-disjoint-complete")
def test_train_and_validation_are_disjoint_and_complete(tutorial):
    x, y = tutorial.full_data()
    x_train, y_train, x_val, y_val = tutorial.data_gen()
    assert not set(x_train.ravel()) & set(x_val.ravel()), "a point is in both train and validation sets"
    assert_close(np.sort(np.concatenate([x_train, x_val]).ravel()), np.sort(x.ravel()),
                 msg="train + validation should hold exactly the 100 generated x values")
    assert_close(np.sort(np.concatenate([y_train, y_val]).ravel()), np.sort(y.ravel()),
                 msg="labels must be split with the same indices as the features")


@claim("data.reproducible-seed-42")
def test_data_gen_is_reproducible_with_seed_42(tutorial):
    first, second = tutorial.data_gen(), tutorial.data_gen()
    for a, b in zip(first, second):
        assert np.array_equal(a, b), "two calls of data_gen() differ: call np.random.seed(42) inside it"
    x_train, y_train, _, _ = first
    assert_close(x_train[0, 0], 0.7713, atol=5e-5, rtol=0, msg=f"first training x should be 0.7713 (seed 42), got {x_train[0, 0]:.4f}")
    assert_close(y_train[0, 0], 2.4745, atol=5e-5, rtol=0, msg=f"first training y should be 2.4745 (seed 42), got {y_train[0, 0]:.4f}")


@claim("numpy.seed-42-initialization")
def test_numpy_version_starts_from_seed_42_draws(tutorial):
    x_train, y_train, _, _ = tutorial.data_gen()
    a, b = tutorial.numpy_linear_regression(x_train, y_train, n_epochs=0)
    assert_close(a, np.array([0.4967]), atol=5e-5, rtol=0, msg=f"a should start at 0.4967 (np.random.seed(42); np.random.randn(1)), got {a}")
    assert_close(b, np.array([-0.1383]), atol=5e-5, rtol=0, msg=f"b should start at -0.1383 (the second randn draw), got {b}")


@claim("numpy.gradient-descent-fits")
def test_numpy_gradient_descent_ends_at_the_printed_line(tutorial):
    x_train, y_train, _, _ = tutorial.data_gen()
    a, b = tutorial.numpy_linear_regression(x_train, y_train)
    assert_close(a, np.array([1.0235]), atol=5e-5, rtol=0, msg=f"a should end at 1.0235 after 1000 epochs, got {a}")
    assert_close(b, np.array([1.9690]), atol=5e-5, rtol=0, msg=f"b should end at 1.9690 after 1000 epochs, got {b}")
    assert_close((float(a[0]), float(b[0])), lstsq_line(x_train, y_train), atol=1e-5, rtol=0,
                 msg="batch gradient descent should reach the least-squares line of all 80 points")
