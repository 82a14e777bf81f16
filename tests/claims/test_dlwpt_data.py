"""dlwpt (seed 002), sections "Datasets" and "DataLoader"."""
import os
from pathlib import Path

import pytest
import torch
from torch.utils.data import (DataLoader, RandomSampler, SequentialSampler, SubsetRandomSampler,
                              WeightedRandomSampler)

from tests.helpers.errors import assert_not_an_iterator

claim = pytest.mark.claim


class CifarShaped:
    """An in-memory stand-in for CIFAR10: n items of (3x32x32 image, label); only __len__/__getitem__.
    The label is the item's index, so a batch shows the order the loader visited."""

    def __init__(self, n=200):
        self.images = torch.arange(n, dtype=torch.float32).reshape(n, 1, 1, 1).expand(n, 3, 32, 32)
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, index):
        return self.images[index], index


class WorkerTagged(CifarShaped):
    """Like CifarShaped, plus the id of the worker process that loaded the item (-1: main process)."""

    def __getitem__(self, index):
        info = torch.utils.data.get_worker_info()
        return self.images[index], index, -1 if info is None else info.id


@claim("dataset.len-getitem-protocol")
def test_len_and_getitem_are_enough_for_dataloader():
    data = CifarShaped(10)
    assert not isinstance(data, torch.utils.data.Dataset)
    assert len(data) == 10 and data[3][1] == 3
    batches = list(DataLoader(data, batch_size=4))
    assert [b[1].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


@claim("dataset.cifar10-len-and-item")
def test_cifar10_train_set_length_and_item_3():
    datasets = pytest.importorskip("torchvision.datasets", reason="unchecked: torchvision is not installed")
    root = os.environ.get("TORCH_SPEC_DATA")
    if not root or not (Path(root) / "cifar-10-batches-py").is_dir():
        pytest.skip("unchecked: CIFAR10 needs a download; set TORCH_SPEC_DATA to a dir with cifar-10-batches-py")
    cifar10 = datasets.CIFAR10(root, train=True, download=False)
    assert len(cifar10) == 50000
    img, label = cifar10[3]
    assert (img.mode, img.size, label) == ("RGB", (32, 32), 4)


@claim("dataloader.batches-and-shuffles")
def test_first_batch_has_64_cifar_shaped_items():
    torch.manual_seed(0)
    train_loader = DataLoader(CifarShaped(200), batch_size=64, shuffle=True)
    imgs, labels = next(iter(train_loader))
    assert imgs.shape == torch.Size([64, 3, 32, 32]) and labels.shape == torch.Size([64])
    assert len(train_loader) == 4, "200 items in batches of 64: 64, 64, 64, 8"


@claim("dataloader.batches-and-shuffles")
def test_shuffle_changes_order_but_covers_everything():
    torch.manual_seed(0)
    seen = [label for _, labels in DataLoader(CifarShaped(200), batch_size=64, shuffle=True)
            for label in labels.tolist()]
    assert seen != list(range(200)), "shuffle=True must not visit the items in order"
    assert sorted(seen) == list(range(200)), "each item exactly once per epoch"


@claim("dataloader.samplers")
def test_the_sampler_decides_which_indices_are_drawn():
    dataset = torch.arange(10.0)
    assert type(DataLoader(dataset).sampler) is SequentialSampler
    assert type(DataLoader(dataset, shuffle=True).sampler) is RandomSampler
    subset = DataLoader(dataset, batch_size=2, sampler=SubsetRandomSampler([1, 3, 5], generator=torch.Generator().manual_seed(0)))
    drawn = torch.cat(list(subset)).tolist()
    assert sorted(drawn) == [1.0, 3.0, 5.0], "only the sampler's indices are drawn"
    weighted = WeightedRandomSampler([0.0] * 9 + [1.0], num_samples=4, generator=torch.Generator().manual_seed(0))
    assert torch.cat(list(DataLoader(dataset, batch_size=2, sampler=weighted))).tolist() == [9.0] * 4
    with pytest.raises(ValueError, match=r"^sampler option is mutually exclusive with shuffle$"):
        DataLoader(dataset, sampler=SequentialSampler(dataset), shuffle=True)


@claim("dataloader.iterable-not-iterator")
def test_loader_is_iterable_not_iterator():
    loader = DataLoader(CifarShaped(10), batch_size=4)
    assert hasattr(loader, "__iter__") and not hasattr(loader, "__next__")
    assert_not_an_iterator(loader)
    it = iter(loader)
    assert hasattr(it, "__next__") and next(it)[1].tolist() == [0, 1, 2, 3]


@claim("dataloader.worker-processes-same-data")
def test_two_workers_load_the_same_batches():
    data = WorkerTagged(16)
    serial = list(DataLoader(data, batch_size=4, num_workers=0))
    parallel = list(DataLoader(data, batch_size=4, num_workers=2))
    assert [b[1].tolist() for b in parallel] == [b[1].tolist() for b in serial]
    assert all(torch.equal(p[0], s[0]) for p, s in zip(parallel, serial))
    assert {w for b in serial for w in b[2].tolist()} == {-1}
    assert {w for b in parallel for w in b[2].tolist()} == {0, 1}, "items come from two child processes"


@claim("dataloader.object-repr")
def test_loader_class_path():
    train_loader = DataLoader(CifarShaped(10), batch_size=64, shuffle=True)
    assert f"{type(train_loader).__module__}.{type(train_loader).__name__}" == (
        "torch.utils.data.dataloader.DataLoader")
    assert repr(train_loader).startswith("<torch.utils.data.dataloader.DataLoader object at 0x")
