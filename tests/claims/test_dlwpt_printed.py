"""dlwpt (seed 002): the notebook's cells as printed (python -m spec replay runs them all)."""
import os
from pathlib import Path

import pytest
from torch.utils.data import DataLoader

from spec.replay.item import assert_as_printed
from tests.claims.test_dlwpt_training import ADAM_TABLE
from tests.helpers.dlwpt import adam_fit

claim = pytest.mark.claim
COLLATE_REFUSES = (r"^default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; "
                   r"found <class '[\w.]*Image'>$")


class Image:
    """A stand-in for PIL.Image.Image: what CIFAR10 returns without a transform (PIL is not needed)."""


@claim("dataloader.cifar-loader-needs-transform")
def test_a_loader_of_images_that_are_not_tensors_cannot_be_iterated():
    train_loader = DataLoader([(Image(), 4)] * 128, batch_size=64, shuffle=True)
    with pytest.raises(TypeError, match=COLLATE_REFUSES):
        next(iter(train_loader))


@claim("dataloader.cifar-loader-needs-transform")
def test_the_printed_cifar_loader_cannot_be_iterated_and_to_tensor_fixes_it():
    datasets = pytest.importorskip("torchvision.datasets", reason="unchecked: torchvision not installed")
    transforms = pytest.importorskip("torchvision.transforms", reason="unchecked: torchvision not installed")
    root = os.environ.get("TORCH_SPEC_DATA")
    if not root or not (Path(root) / "cifar-10-batches-py").is_dir():
        pytest.skip("unchecked: CIFAR10 needs a download; set TORCH_SPEC_DATA to a dir with cifar-10-batches-py")
    printed = DataLoader(datasets.CIFAR10(root, train=True), batch_size=64, shuffle=True)
    with pytest.raises(TypeError, match=COLLATE_REFUSES):
        next(iter(printed))
    fixed = datasets.CIFAR10(root, train=True, transform=transforms.ToTensor())
    images, labels = next(iter(DataLoader(fixed, batch_size=64, shuffle=True)))
    assert images.shape == (64, 3, 32, 32) and labels.shape == (64,)


@claim("optim.adam-loss-table-last-digit")
def test_adam_table_agrees_to_1e5_but_not_in_every_printed_digit(tutorial):
    _, losses = adam_fit(tutorial, "cpu")
    got = [loss for _, loss in losses]
    assert max(abs(g - p) for g, p in zip(got, ADAM_TABLE)) <= 1e-5
    assert ["%f" % g for g in got] != ["%f" % p for p in ADAM_TABLE], "the 6-decimal table is reproduced"


@claim("replay.dlwpt-as-printed")
def test_every_cell_runs_as_printed_or_as_the_catalog_records(request):
    assert_as_printed(request, "dlwpt")
