"""Training rows as tensors: the validation split, device placement and mini-batches.

The rows are sliced from tensors that hold the whole matrix, never collated one by
one (a ``DataLoader`` over single rows costs 1.2-3x the training time of these
small networks). On a GPU the training rows are moved to the device once, when
they fit, so an epoch gathers its batches there instead of copying each from the
host.
"""

import warnings

import numpy as np
import torch
from sklearn.model_selection import train_test_split

# Share of the free GPU memory the training rows may take to be moved there once.
_DEVICE_MEMORY_SHARE = 0.5


def as_tensor(X: np.ndarray, dtype=None) -> torch.Tensor:
    """A tensor of ``X`` (as ``dtype``), sharing its memory when no cast is needed.

    Read-only arrays (memmaps) are fine: nothing here writes to X.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*not writable.*")
        return torch.from_numpy(np.asarray(X, dtype=dtype))


def as_float32_tensor(X: np.ndarray) -> torch.Tensor:
    """A float32 tensor sharing memory with ``X`` when ``X`` is float32 already."""
    return as_tensor(X, np.float32)


def validation_split(y, validation_fraction, random_state):
    """Sorted ``(train, valid)`` row indices of the early-stopping split.

    Stratified by class when every class has at least two members and each side
    has room for every class; otherwise the validation rows are drawn at random
    from the classes with two or more members, each class keeping at least one
    row for training (``MLPClassifier`` fits such data too).

    Parameters
    ----------
    y : ndarray of shape (n_samples,)
        Class indices.
    validation_fraction : float
        Share of the rows held out, rounded up.
    random_state : int
        Seed of the split.

    Returns
    -------
    train, valid : ndarray of int
    """
    n_samples = len(y)
    n_valid = int(np.ceil(validation_fraction * n_samples))
    counts = np.bincount(y)
    n_classes = np.count_nonzero(counts)
    rows = np.arange(n_samples)
    if counts[counts > 0].min() >= 2 and n_classes <= min(n_valid, n_samples - n_valid):
        train, valid = train_test_split(
            rows, test_size=n_valid, stratify=y, random_state=random_state
        )
        return np.sort(train), np.sort(valid)
    rng = np.random.RandomState(random_state)
    order = rng.permutation(n_samples)
    # The first member of each class in the shuffled order stays in training.
    _, first = np.unique(y[order], return_index=True)
    pool = np.delete(order, first)
    if len(pool) == 0:
        raise ValueError(
            "early_stopping=True holds out a validation split, but every class "
            "has a single member, so none can be held out; set "
            "early_stopping=False."
        )
    valid = pool[: min(n_valid, len(pool))]
    return np.sort(np.setdiff1d(rows, valid)), np.sort(valid)


def place_rows(X: torch.Tensor, device: torch.device) -> torch.Tensor:
    """``X`` on ``device`` when it fits in its free memory, else on the host.

    On the CPU this is ``X`` itself. Rows left on the host are pinned, so that
    each batch's copy to the GPU is asynchronous.
    """
    if device.type != "cuda":
        return X.to(device)
    free, _ = torch.cuda.mem_get_info(device)
    if X.element_size() * X.nelement() <= _DEVICE_MEMORY_SHARE * free:
        return X.to(device)
    return X.pin_memory()


def batch_bounds(n_samples, batch_size):
    """``(start, stop)`` of each batch; a final batch of one row joins the previous.

    A lone row would break ``BatchNorm1d`` in training mode and say nothing about a
    batch's spectrum, so it is trained on together with its neighbours instead.

    Examples
    --------
    >>> from sknml._data import batch_bounds
    >>> batch_bounds(5, 2)
    [(0, 2), (2, 5)]
    """
    starts = list(range(0, n_samples, batch_size))
    stops = starts[1:] + [n_samples]
    if len(starts) > 1 and stops[-1] - starts[-1] == 1:
        starts.pop()
        stops.pop(-2)
    return list(zip(starts, stops, strict=True))


def shuffled_batches(n_samples, batch_size, generator, device):
    """Row indices of each mini-batch of one epoch, in a new random order.

    The order is drawn on the CPU from ``generator`` (never the global RNG) and
    moved to ``device`` once, where the batches are gathered.
    """
    order = torch.randperm(n_samples, generator=generator).to(device)
    return [order[start:stop] for start, stop in batch_bounds(n_samples, batch_size)]
