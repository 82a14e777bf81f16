"""Dataset (seed 001)."""
import pytest
import torch
from packaging.version import Version
from torch.utils.data import DataLoader, Dataset
from torch.testing import assert_close

from tests.helpers.datasets import OnDemandDataset
from tests.helpers.regression import train_tensors
from tests.helpers.shapes import assert_tensor

claim = pytest.mark.claim


@claim("dataset.custom-dataset")
def test_custom_dataset_is_a_list_of_feature_label_tuples(tutorial):
    x_train_tensor, y_train_tensor = train_tensors(tutorial, "cpu")
    dataset = tutorial.CustomDataset(x_train_tensor, y_train_tensor)
    assert isinstance(dataset, Dataset), "CustomDataset should inherit from torch.utils.data.Dataset"
    assert len(dataset) == 80, f"len(dataset) should be the 80 training points, got {len(dataset)}"
    point = dataset[3]
    assert isinstance(point, tuple) and len(point) == 2, "dataset[i] should be a (features, label) tuple"
    assert_close(point[0], x_train_tensor[3])
    assert_close(point[1], y_train_tensor[3])


@claim("dataset.load-on-demand")
def test_points_are_loaded_only_when_asked_for():
    loaded = []

    def load(index):
        loaded.append(index)
        return torch.tensor([float(index)]), torch.tensor([2.0 * index])

    dataset = OnDemandDataset(load, 10)
    loader = DataLoader(dataset, batch_size=4)
    assert loaded == [], "nothing should be loaded in __init__ or by creating the DataLoader"
    assert_close(dataset[7][1], torch.tensor([14.0]))
    assert loaded == [7]
    next(iter(loader))
    assert loaded == [7, 0, 1, 2, 3], "the first mini-batch loads exactly its four points"
    del loaded[:]
    assert sum(len(x) for x, _ in loader) == 10
    assert loaded == list(range(10)), "a full pass loads each point once, in order"


@claim("dataset.get-item-spelling")
def test_a_dataset_defining_get_item_with_underscores_cannot_be_indexed():
    class Misspelled(Dataset):
        def __get_item__(self, index):
            return index

        def __len__(self):
            return 3

    message = r"^Subclasses of Dataset should implement __getitem__\.$"
    if Version(torch.__version__.split("+")[0]) < Version("2.6"):
        message = r"^$|" + message  # empty on torch <= 2.0.1; the wording arrived between 2.0.1 and 2.6
    with pytest.raises(NotImplementedError, match=message):
        Misspelled()[0]
    with pytest.raises(NotImplementedError, match=message):
        list(DataLoader(Misspelled()))


@claim("dataset.len-limits-indexing")
def test_dataloader_samples_only_indices_below_len():
    dataset = OnDemandDataset(lambda i: (torch.tensor([float(i)]), torch.tensor([0.0])), 5)
    features = torch.cat([x for x, _ in DataLoader(dataset, batch_size=2)])
    assert_close(features, torch.tensor([[0.0], [1.0], [2.0], [3.0], [4.0]]))
    assert dataset[12][0].item() == 12.0, "__getitem__ itself could serve more; __len__ is what limits sampling"


@claim("dataset.with-dataloader")
def test_dataloader_batches_a_custom_dataset(tutorial):
    x_train_tensor, y_train_tensor = train_tensors(tutorial, "cpu")
    loader = DataLoader(tutorial.CustomDataset(x_train_tensor, y_train_tensor), batch_size=16)
    batches = list(loader)
    assert len(batches) == 5, f"80 points in batches of 16 should be 5 batches, got {len(batches)} (CustomDataset's __len__?)"
    x_batch, y_batch = batches[0]
    assert_tensor(x_batch, "the first batch's features", shape=(16, 1))
    assert_tensor(y_batch, "the first batch's labels", shape=(16, 1))
    assert_close(x_batch, x_train_tensor[:16])
    assert_close(y_batch, y_train_tensor[:16])
