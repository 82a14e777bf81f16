"""Random Split and DataLoader."""
import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset, random_split
from torch.testing import assert_close

from tests.helpers.errors import assert_not_an_iterator
from tests.helpers.regression import all_points, split_loaders, trained_minibatches
from tests.helpers.shapes import assert_tensor

claim = pytest.mark.claim


def _loaders(tutorial, seed=42):
    return split_loaders(tutorial, seed)


@claim("dataloader.random-split-import")
def test_random_split_imports_from_the_dataset_module():
    from torch.utils.data.dataset import random_split as from_dataset_module
    assert from_dataset_module is random_split


@claim("dataloader.tensor-dataset")
def test_tensor_dataset_indexes_like_a_list_of_tuples(tutorial):
    x_tensor, y_tensor = all_points(tutorial)
    dataset = TensorDataset(x_tensor, y_tensor)
    assert len(dataset) == 100, f"full_data() should give all 100 points, got {len(dataset)}"
    x_i, y_i = dataset[42]
    assert_close(x_i, x_tensor[42])
    assert_close(y_i, y_tensor[42])


@claim("dataloader.random-split")
def test_random_split_80_20_disjoint_complete_and_reproducible(tutorial):
    dataset = TensorDataset(*all_points(tutorial))
    train, val = random_split(dataset, [80, 20], generator=torch.Generator().manual_seed(42))
    assert (len(train), len(val)) == (80, 20)
    assert sorted(train.indices + val.indices) == list(range(100)), "the split is disjoint and complete"
    assert train.indices != list(range(80)) and sorted(train.indices) != list(range(80)), "random, not the first 80"
    again, _ = random_split(dataset, [80, 20], generator=torch.Generator().manual_seed(42))
    other, _ = random_split(dataset, [80, 20], generator=torch.Generator().manual_seed(0))
    assert again.indices == train.indices and other.indices != train.indices
    train_loader, val_loader = _loaders(tutorial)
    assert (len(train_loader.dataset), len(val_loader.dataset)) == (80, 20), "make_loaders should split 80/20"
    assert sorted(train_loader.dataset.indices) != list(range(80)), "make_loaders should split at random (random_split)"


@claim("dataloader.batch-sizes")
def test_batches_of_16_make_5_and_batches_of_20_make_1(tutorial):
    train_loader, val_loader = _loaders(tutorial)
    assert (train_loader.batch_size, val_loader.batch_size) == (16, 20)
    sizes = ([tuple(x.shape) for x, _ in train_loader], [tuple(x.shape) for x, _ in val_loader])
    assert sizes == ([(16, 1)] * 5, [(20, 1)]), \
        f"make_loaders' batches should be 5 of (16, 1) for training and 1 of (20, 1) for validation, got {sizes}"


@claim("dataloader.iterator")
def test_looping_fetches_a_different_batch_each_time_covering_all(tutorial):
    train_loader, _ = _loaders(tutorial)
    it = iter(train_loader)
    first, second = next(it), next(it)
    assert not torch.equal(first[0], second[0])
    seen = torch.cat([x for x, _ in train_loader]).flatten()
    expected = torch.cat([train_loader.dataset[i][0] for i in range(80)])
    assert_close(seen, expected, msg="one pass visits every training point once, in order")


@claim("dataloader.iterator")
def test_loader_is_an_iterable_not_an_iterator(tutorial):
    train_loader, _ = _loaders(tutorial)
    assert_not_an_iterator(train_loader)
    x_batch, y_batch = next(iter(train_loader))
    assert_tensor(x_batch, "the first training batch's features", shape=(16, 1))
    assert_tensor(y_batch, "the first training batch's labels", shape=(16, 1))


@claim("dataloader.shuffle")
def test_shuffle_reorders_each_epoch():
    dataset = TensorDataset(torch.arange(80.0).reshape(-1, 1))
    order = lambda loader: torch.cat([x for (x,) in loader]).flatten().tolist()
    assert order(DataLoader(dataset, batch_size=16)) == list(range(80))
    shuffled = DataLoader(dataset, batch_size=16, shuffle=True, generator=torch.Generator().manual_seed(0))
    first, second = order(shuffled), order(shuffled)
    assert first != list(range(80)) and second != first
    assert sorted(first) == list(range(80))


@claim("dataloader.mini-batch-training")
def test_mini_batch_training_ends_near_a_1_b_2(tutorial, device):
    model, losses, val_losses = trained_minibatches(tutorial, device)
    a, b = model.a.item(), model.b.item()
    assert abs(a - 1) < 0.1 and abs(b - 2) < 0.1, f"mini-batch training should end near a=1, b=2, got a={a:.4f}, b={b:.4f}"
    assert val_losses[-1] < 0.02, f"the validation loss should end near the noise level (0.01), got {val_losses[-1]:.4f}"
