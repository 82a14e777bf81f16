"""Datasets the tests define themselves: the tutorial describes them in words only, so they are facts
checked along the way, not a learner's exercise."""
from torch.utils.data import Dataset


class OnDemandDataset(Dataset):
    """Seed 001: "There is no need to load the whole dataset in the constructor method (__init__) ...
    It is recommended to load them on demand": keeps only `load` (index -> (features, label)) and
    `length`; __getitem__(i) calls load(i)."""

    def __init__(self, load, length):
        self.load = load
        self.length = length

    def __getitem__(self, index):
        return self.load(index)

    def __len__(self):
        return self.length
