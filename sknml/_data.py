"""Training rows as tensors: standardization, the validation split, device placement
and the mini-batches skorch iterates over.

The rows are sliced from tensors that hold the whole matrix, never collated one by
one (a ``DataLoader`` over single rows costs 1.2-3x the training time of these
small networks): :class:`TensorRows` is the skorch dataset and
:class:`TensorBatches` its ``iterator_train`` / ``iterator_valid``. On a GPU the
training rows are moved to the device once, when they fit, so an epoch gathers
its batches there instead of copying each from the host.
"""

import warnings

import numpy as np
import torch
from sklearn.model_selection import train_test_split
from sklearn.utils import gen_batches
from torch.utils.data import Dataset

# Share of the free GPU memory the training rows may take to be moved there once.
_DEVICE_MEMORY_SHARE = 0.5
# Rows per chunk when standardizing X: bounds the memory held.
_CHUNK_ROWS = 4096


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


def column_scaling(X, sample_weight=None):
    """Weighted column means and scales of X, accumulated in float64 by chunks.

    As ``StandardScaler(...).fit(X, sample_weight=...)``: a weight of 0 is a row
    left out; constant columns get scale 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sknml._data import column_scaling
    >>> column_scaling(np.array([[0.0, 5.0], [2.0, 5.0]]))
    (array([1., 5.]), array([1., 1.]))
    """
    weight = np.ones(len(X)) if sample_weight is None else sample_weight
    total = weight.sum()
    mean = np.zeros(X.shape[1])
    for rows in gen_batches(len(X), _CHUNK_ROWS):
        mean += weight[rows] @ X[rows].astype(np.float64)
    mean /= total
    sum_squares = np.zeros_like(mean)
    for rows in gen_batches(len(X), _CHUNK_ROWS):
        centered = X[rows].astype(np.float64) - mean
        sum_squares += weight[rows] @ np.square(centered)
    scale = np.sqrt(sum_squares / total)
    constant = scale <= 10 * np.finfo(np.float32).eps * np.abs(mean)
    scale[constant | (scale == 0)] = 1.0
    return mean, scale


def standardized(X, mean, scale):
    """``(X - mean) / scale`` as float32, computed chunk by chunk in X's dtype."""
    out = np.empty(X.shape, dtype=np.float32)
    mean, scale = mean.astype(X.dtype), scale.astype(X.dtype)
    for rows in gen_batches(len(X), _CHUNK_ROWS):
        out[rows] = (X[rows] - mean) / scale
    return out


class TensorRows(Dataset):
    """Rows held as whole tensors: features, class indices and optional weights.

    The dataset a :class:`~sknml.NMTuneNet` is trained on by
    :class:`~sknml.NMTuneClassifier`; :class:`TensorBatches` slices it. ``X``
    may live on the host (pinned) while ``y`` and ``weight`` live on the
    training device: batches are moved there as they are sliced. skorch reads
    ``X`` and ``y`` where it needs the data itself (its scoring callbacks).

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, n_features)
    y : torch.Tensor of shape (n_samples,) or None
        Class indices; None for rows to predict.
    weight : torch.Tensor of shape (n_samples,) or None
        Row weights, averaging one over the training rows; None for none.
    """

    def __init__(self, X, y=None, weight=None):
        self.X, self.y, self.weight = X, y, weight

    def __len__(self):
        return len(self.X)

    def __getitem__(self, index):
        return self.batch(torch.as_tensor([index]))

    @property
    def device(self):
        """Where batches go: the targets' device (the features' without targets)."""
        return self.X.device if self.y is None else self.y.device

    def batch(self, rows):
        """``(Xi, yi)`` of the rows at ``rows``, as skorch passes a batch around.

        ``Xi`` is the feature tensor, or with weights the dict ``{"x": ...,
        "sample_weight": ...}`` that :meth:`NMTuneNet.get_loss
        <sknml.NMTuneNet.get_loss>` reads the weights from; ``yi`` is None for
        rows without targets.
        """
        X = self.X[rows.to(self.X.device)].to(self.device, non_blocking=True)
        if self.y is None:
            return X, None
        index = rows.to(self.device)
        if self.weight is None:
            return X, self.y[index]
        return {"x": X, "sample_weight": self.weight[index]}, self.y[index]


class TensorBatches:
    """Mini-batches of a :class:`TensorRows`, sliced rather than collated.

    skorch's ``iterator_train`` and ``iterator_valid``: skorch creates one per
    training run with ``batch_size`` and the ``iterator_train__*`` parameters.
    A final batch of one row joins the previous batch (:func:`batch_bounds`).

    Parameters
    ----------
    dataset : TensorRows or skorch Dataset
        The rows; a skorch ``Dataset`` of one feature array (what skorch makes
        of ``net.predict_proba(X)``) is read as a :class:`TensorRows`.
    batch_size : int
        Rows per batch.
    shuffle : bool, default=False
        Draw a new order of the rows each epoch.
    generator : torch.Generator, default=None
        Source of the orders (never the global RNG); one is seeded from torch's
        global state when None.
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None):
        if not isinstance(dataset, TensorRows):
            y = None if dataset.y is None else torch.as_tensor(dataset.y)
            dataset = TensorRows(torch.as_tensor(dataset.X), y)
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return len(batch_bounds(len(self.dataset), self.batch_size))

    def __iter__(self):
        n_samples = len(self.dataset)
        if self.shuffle:
            if self.generator is None:
                seed = int(torch.randint(2**62, (), dtype=torch.int64))
                self.generator = torch.Generator().manual_seed(seed)
            order = torch.randperm(n_samples, generator=self.generator)
        else:
            order = torch.arange(n_samples)
        order = order.to(self.dataset.device)
        for start, stop in batch_bounds(n_samples, self.batch_size):
            yield self.dataset.batch(order[start:stop])
