"""Pre-loaded tensors and the mini-batch iterator the skorch net trains on.

skorch's default ``DataLoader`` collates one row at a time, which costs 1.2-3x the
training time of a small network on 2 cores; slicing tensors that already hold the
whole matrix costs nothing.
"""

import warnings

import numpy as np
import torch
from sklearn.model_selection import train_test_split


def as_float32_tensor(X: np.ndarray) -> torch.Tensor:
    """A float32 tensor sharing memory with ``X`` when ``X`` is float32 already."""
    with warnings.catch_warnings():
        # Read-only arrays (memmaps) are fine: nothing here writes to X.
        warnings.filterwarnings("ignore", message=".*not writable.*")
        return torch.from_numpy(np.asarray(X, dtype=np.float32))


class TensorDataset(torch.utils.data.Dataset):
    """Features, targets and optional sample weights as tensors.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, n_features)
    y : torch.Tensor of shape (n_samples,)
    sample_weight : torch.Tensor of shape (n_samples,), default=None
    """

    def __init__(self, X, y, sample_weight=None):
        self.X = X
        self.y = y
        self.sample_weight = sample_weight

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        """Rows ``index`` (an int, slice or index tensor) as ``(X, (y, weight))``."""
        weight = None if self.sample_weight is None else self.sample_weight[index]
        return self.X[index], (self.y[index], weight)

    def split(self, validation_fraction, random_state):
        """Stratified train/validation split of the rows (for early stopping)."""
        train, valid = train_test_split(
            np.arange(len(self)),
            test_size=validation_fraction,
            stratify=self.y.numpy(),
            random_state=random_state,
        )
        return self._subset(np.sort(train)), self._subset(np.sort(valid))

    def _subset(self, rows):
        rows = torch.from_numpy(rows)
        weight = None if self.sample_weight is None else self.sample_weight[rows]
        return TensorDataset(self.X[rows], self.y[rows], weight)


def batch_bounds(n_samples, batch_size):
    """``(start, stop)`` of each batch; a final batch of one row joins the previous.

    A lone row would break ``BatchNorm1d`` in training mode and say nothing about a
    batch's spectrum, so it is trained on together with its neighbours instead.
    """
    starts = list(range(0, n_samples, batch_size))
    stops = starts[1:] + [n_samples]
    if len(starts) > 1 and stops[-1] - starts[-1] == 1:
        starts.pop()
        stops.pop(-2)
    return list(zip(starts, stops, strict=True))


class BatchIterator:
    """Iterate over a :class:`TensorDataset` in mini-batches of sliced tensors.

    skorch calls it as ``iterator(dataset, batch_size=..., **iterator_params)`` and
    iterates over it once per epoch.

    Parameters
    ----------
    dataset : TensorDataset
    batch_size : int
    shuffle : bool, default=False
        Draw a new row order every epoch.
    seed : int, default=0
        Seed of this iterator's own generator (the global RNG is never used).
    """

    def __init__(self, dataset, batch_size, shuffle=False, seed=0):
        self.dataset = dataset
        self.bounds = batch_bounds(len(dataset), batch_size)
        self.shuffle = shuffle
        self.generator = torch.Generator().manual_seed(seed)

    def __len__(self):
        return len(self.bounds)

    def __iter__(self):
        order = (
            torch.randperm(len(self.dataset), generator=self.generator)
            if self.shuffle
            else None
        )
        for start, stop in self.bounds:
            rows = slice(start, stop) if order is None else order[start:stop]
            yield self.dataset[rows]
