"""Singular values of a feature matrix through its Gram matrix (private math).

The public functions live in :mod:`sknml.metrics`; this module only turns any
supported input (NumPy array or memmap, torch tensor, iterable of row chunks) into the
descending singular values of the row-normalized, centered matrix.

Why the Gram matrix: ``X^T X`` (D x D) is accumulated chunk by chunk in float64, so the
extra memory is O(D^2) whatever N is, and a SYRK-shaped product runs at BLAS-3 speed,
which an SVD of the tall matrix does not. The price is that singular values near 0 are
only resolved to about ``sqrt(eps) * s_1``; see ``docs/spectrum.md``.

A dask array is reduced block by block where its blocks live: each row block to a
:class:`_GramAccumulator` on its worker, the accumulators merged in a tree
(:func:`sknml._dask.reduce_row_blocks`), so the client only ever holds a few D x D
matrices, and the eigenvalues are finished exactly as for NumPy input.
"""

import numbers
from collections.abc import Iterable

import numpy as np

from sknml._dask import check_dask_array, reduce_row_blocks
from sknml._linalg import row_chunks, singular_values_from_eigenvalues, smaller_gram
from sknml._validation import (
    check_ndim,
    check_not_empty,
    check_numpy_dtype,
    is_dask_array,
)

_CENTER_OPTIONS = ("columns", "rows", None)

# Row norms below this may have lost digits to underflow when squaring.
_TINY_NORM = 1e-150


def _is_torch_tensor(X):
    # A cheap test that does not import torch for NumPy inputs.
    return type(X).__module__.split(".")[0] == "torch" and hasattr(X, "device")


class _NumpyBackend:
    """Float64 operations on NumPy arrays."""

    def __init__(self):
        self.device = None

    def to_float64(self, chunk):
        # Always a copy: the chunk is normalized and centered in place.
        return np.array(chunk, dtype=np.float64, order="C")

    def all_finite(self, a):
        return bool(np.isfinite(a).all())

    def row_norms(self, a):
        # einsum avoids the chunk-sized temporary of (a * a).sum(1).
        return np.sqrt(np.einsum("ij,ij->i", a, a))

    def row_max_abs(self, a):
        return np.abs(a).max(1)

    def sum_squares(self, a):
        return float(np.einsum("ij,ij->", a, a))

    def zeros(self, shape):
        return np.zeros(shape, dtype=np.float64)

    def copy(self, a):
        return a.copy()

    def outer(self, a, b):
        return np.outer(a, b)

    def eigvalsh(self, G):
        return np.linalg.eigvalsh(G)

    def to_numpy(self, a):
        return np.asarray(a, dtype=np.float64)


class _TorchBackend:
    """Float64 operations on torch tensors, on the tensor's own device."""

    def __init__(self, device):
        import torch

        self.torch = torch
        self.device = device

    def to_float64(self, chunk):
        # detach: a spectrum is a measurement, not part of an autograd graph.
        return chunk.detach().to(
            device=self.device, dtype=self.torch.float64, copy=True
        )

    def all_finite(self, a):
        return bool(self.torch.isfinite(a).all())

    def row_norms(self, a):
        return self.torch.linalg.vector_norm(a, dim=1)

    def row_max_abs(self, a):
        return a.abs().amax(1)

    def sum_squares(self, a):
        return float(a.square().sum())

    def zeros(self, shape):
        return self.torch.zeros(shape, dtype=self.torch.float64, device=self.device)

    def copy(self, a):
        return a.clone()

    def outer(self, a, b):
        return self.torch.outer(a, b)

    def eigvalsh(self, G):
        return self.torch.linalg.eigvalsh(G)

    def to_numpy(self, a):
        return a.detach().cpu().numpy().astype(np.float64, copy=False)


def _check_torch_dtype(dtype, what):
    if dtype.is_complex:
        raise ValueError(
            f"{what} is complex ({dtype}); only real matrices are supported."
        )


def _as_matrix(X):
    """Return ``(matrix, backend)`` for an in-memory input; no copy for ndarrays."""
    if _is_torch_tensor(X):
        check_ndim(tuple(X.shape), "X")
        _check_torch_dtype(X.dtype, "X")
        return X, _TorchBackend(X.device)
    if isinstance(X, numbers.Number) or isinstance(X, str | bytes):
        raise ValueError(
            "Expected X to be a 2-D matrix (n_samples, n_features), got a scalar "
            f"{X!r}."
        )
    # np.asarray keeps ndarrays and memmaps as they are (float32 stays float32).
    A = X if isinstance(X, np.ndarray) else np.asarray(X)
    check_ndim(A.shape, "X")
    check_numpy_dtype(A.dtype, "X")
    return A, _NumpyBackend()


def _is_chunk_iterable(X):
    """Whether ``X`` is a stream of 2-D row chunks rather than one matrix."""
    if isinstance(X, np.ndarray) or _is_torch_tensor(X) or hasattr(X, "__array__"):
        return False
    if isinstance(X, list | tuple):
        return len(X) > 0 and all(
            _is_torch_tensor(c) or getattr(c, "ndim", None) == 2 for c in X
        )
    return isinstance(X, Iterable) and not isinstance(X, str | bytes | dict)


class _GramAccumulator:
    """Accumulate ``sum x x^T`` (D x D) and ``sum x`` over row chunks, in float64.

    Column centering subtracts ``n mu mu^T`` at the end; to keep that subtraction from
    cancelling digits when the mean is large, every row is first shifted by the mean of
    the first chunk (centering is invariant to any fixed shift). ``energy`` sums the
    squared entries of the rows before any centering: the scale of the rounding
    errors that centering leaves behind. Accumulators of disjoint rows combine with
    :meth:`merge`; :meth:`summary` and :meth:`finalize` give the result, so that
    the shift never leaves this class.
    """

    def __init__(self, backend, normalize, center):
        self.backend = backend
        self.normalize = normalize
        self.center = center
        self.n_samples = 0
        self.n_features = None
        self.gram = None
        self.total = None
        self.shift = None
        self.energy = 0.0

    def _prepare(self, chunk):
        c = self.backend.to_float64(chunk)
        if not self.backend.all_finite(c):
            raise ValueError("Input X contains NaN or infinity.")
        c, energy = _normalize_center_rows(self.backend, c, self.normalize, self.center)
        self.energy += energy
        return c

    def add(self, chunk):
        n_rows, n_features = chunk.shape
        if self.n_features is None:
            if n_features == 0:
                raise ValueError("X has 0 features; at least 1 is required.")
            self.n_features = n_features
            self.gram = self.backend.zeros((n_features, n_features))
            self.total = self.backend.zeros((n_features,))
        elif n_features != self.n_features:
            raise ValueError(
                f"Chunks of X must all have the same number of columns: got "
                f"{n_features} after {self.n_features}."
            )
        for rows in row_chunks(n_rows, n_features):
            c = self._prepare(chunk[rows])
            if self.center == "columns":
                if self.shift is None:
                    self.shift = c.mean(0)
                c -= self.shift
                self.total += c.sum(0)
            # ``c.T @ c`` on one C-contiguous buffer is dispatched to SYRK by NumPy.
            self.gram += c.T @ c
            self.n_samples += c.shape[0]

    def summary(self):
        """``(n_samples, energy, mean, M)`` of the rows added so far.

        ``mean`` is their column mean and ``M`` their Gram matrix centered on it
        when ``center='columns'``; otherwise ``mean`` is None and ``M`` the Gram
        matrix of the (normalized, row-centered) rows. ``M`` is a new matrix: the
        accumulator is left as it is. Needs at least one row.
        """
        if self.center != "columns":
            return self.n_samples, self.energy, None, self.backend.copy(self.gram)
        shifted_mean = self.total / self.n_samples
        M = self.gram - self.n_samples * self.backend.outer(shifted_mean, shifted_mean)
        return self.n_samples, self.energy, self.shift + shifted_mean, M

    def merge(self, other):
        """Add the rows of ``other``, an accumulator with the same settings.

        The centered Gram matrices combine by Chan, Golub and LeVeque's update,
        which adds no cancellation however far apart the two means are. ``other``
        is left as it is.
        """
        if other.n_samples == 0:
            return
        if self.n_samples == 0:
            self.n_features = other.n_features
            self.n_samples, self.energy = other.n_samples, other.energy
            self.gram = self.backend.copy(other.gram)
            self.total = self.backend.copy(other.total)
            if other.shift is not None:
                self.shift = self.backend.copy(other.shift)
            return
        n_a, n_b = self.n_samples, other.n_samples
        n = n_a + n_b
        if self.center == "columns":
            _, _, mean_a, M = self.summary()
            _, _, mean_b, M_b = other.summary()
            delta = mean_b - mean_a
            M += self.backend.outer(delta, delta) * (n_a * n_b / n)
            M += M_b
            # Rows shifted by their own mean sum to zero: the merged rows are held
            # that way, shifted by the merged mean.
            self.gram = M
            self.shift = mean_a + delta * (n_b / n)
            self.total = self.backend.zeros((self.n_features,))
        else:
            self.gram += other.gram
        self.n_samples = n
        self.energy += other.energy

    def finalize(self):
        """The Gram matrix of :meth:`summary`, computed in place: the last call."""
        if self.n_samples == 0:
            raise ValueError("X has 0 samples; at least 1 is required.")
        G = self.gram
        if self.center == "columns":
            mean = self.total / self.n_samples
            G -= self.n_samples * self.backend.outer(mean, mean)
        return G


def _normalize_center_rows(backend, c, normalize, center):
    """L2-normalize the rows of float64 ``c`` (zero rows stay 0), then row-center.

    Returns ``(c, energy)``, ``energy`` the sum of squares of ``c`` before centering.
    """
    if normalize:
        norms = backend.row_norms(c)
        if not backend.all_finite(norms) or bool((norms < _TINY_NORM).any()):
            # Squares overflowed or underflowed (or a row is zero): scale each row by
            # its largest entry first, so that huge or tiny rows keep their direction.
            scale = backend.row_max_abs(c)
            scale[scale == 0] = 1.0
            c /= scale[:, None]
            norms = backend.row_norms(c)
        norms[norms == 0] = 1.0
        c /= norms[:, None]
    energy = backend.sum_squares(c)
    if center == "rows":
        c -= c.mean(1)[:, None]
    return c, energy


def _singular_from_gram(backend, G, n_samples, n_features, energy):
    """Descending singular values from a Gram matrix, rounding noise clipped to 0.

    ``energy`` is the sum of squares of the rows before centering (see
    :class:`_GramAccumulator`).
    """
    if not backend.all_finite(G):
        raise ValueError(
            "The Gram matrix of X overflows float64; rescale X (or use normalize=True)."
        )
    lam = backend.to_numpy(backend.eigvalsh(G))
    # The Gram sums N products of D terms, and centering leaves errors of order
    # eps * energy (rows that all point one way center to round-off, whose lam_max
    # is round-off too): the round-off rule with those in place of its defaults.
    s = singular_values_from_eigenvalues(
        lam, size=max(n_samples, n_features), scale=max(lam.max(), energy)
    )
    return s[: min(n_samples, n_features)]


def _small_side_spectrum(A, backend, normalize, center):
    """Spectrum through the N x N Gram ``X X^T`` of an in-memory X with N < D."""
    n_samples, n_features = A.shape
    # N < D, so this float64 copy (N * D values) is smaller than a D x D Gram.
    c = backend.to_float64(A)
    if not backend.all_finite(c):
        raise ValueError("Input X contains NaN or infinity.")
    c, energy = _normalize_center_rows(backend, c, normalize, center)
    if center == "columns":
        c -= c.mean(0)
    return _singular_from_gram(backend, smaller_gram(c), n_samples, n_features, energy)


def spectrum(X, *, normalize=True, center="columns"):
    """Descending singular values (float64 ndarray) of the prepared matrix X.

    See :func:`sknml.metrics.singular_values` for the conventions.
    """
    if center not in _CENTER_OPTIONS:
        raise ValueError(
            f"The 'center' parameter must be one of 'columns', 'rows' or None; got "
            f"{center!r}."
        )
    if is_dask_array(X):
        return _dask_spectrum(X, normalize, center)
    if hasattr(X, "toarray") or hasattr(X, "tocsr"):
        raise TypeError(
            "Sparse X is not supported: the spectrum of a sparse matrix is dense; "
            "pass X.toarray() or an iterable of dense row chunks."
        )
    if _is_chunk_iterable(X):
        return _streamed_spectrum(X, normalize, center)
    A, backend = _as_matrix(X)
    n_samples, n_features = check_not_empty(A.shape)
    if n_samples < n_features:
        return _small_side_spectrum(A, backend, normalize, center)
    acc = _GramAccumulator(backend, normalize, center)
    acc.add(A)
    G = acc.finalize()
    return _singular_from_gram(backend, G, n_samples, n_features, acc.energy)


def _block_accumulator(block, normalize, center):
    """The accumulator of one row block of a dask array, on its worker."""
    acc = _GramAccumulator(_NumpyBackend(), normalize, center)
    acc.add(block)
    return acc


def _merged(*accumulators):
    """One new accumulator of the rows of several; theirs are left as they are."""
    first = accumulators[0]
    merged = _GramAccumulator(first.backend, first.normalize, first.center)
    for acc in accumulators:
        merged.merge(acc)
    return merged


def _dask_spectrum(X, normalize, center):
    """Descending singular values of a dask array, as ``spectrum`` defines them."""
    X = check_dask_array(X)
    n_rows, n_features = check_not_empty(X.shape)
    if n_rows < n_features:
        # A wide matrix is smaller than its D x D Gram: bring it over as NumPy does.
        A = np.asarray(X.compute())
        return _small_side_spectrum(A, _NumpyBackend(), normalize, center)
    acc = reduce_row_blocks(X, _block_accumulator, _merged, normalize, center)
    G = acc.finalize()
    return _singular_from_gram(acc.backend, G, acc.n_samples, n_features, acc.energy)


def _streamed_spectrum(chunks, normalize, center):
    acc = None
    for i, chunk in enumerate(chunks):
        what = f"chunk {i} of X"
        if _is_torch_tensor(chunk):
            check_ndim(tuple(chunk.shape), what)
            _check_torch_dtype(chunk.dtype, what)
            backend = _TorchBackend(chunk.device)
        else:
            if not isinstance(chunk, np.ndarray):
                chunk = np.asarray(chunk)
            check_ndim(chunk.shape, what)
            check_numpy_dtype(chunk.dtype, what)
            backend = _NumpyBackend()
        if acc is None:
            acc = _GramAccumulator(backend, normalize, center)
        elif type(backend) is not type(acc.backend):
            raise TypeError(
                f"{what} is a {type(chunk).__name__} but earlier chunks were not; "
                "stream chunks of one kind (all NumPy or all torch)."
            )
        if chunk.shape[0]:
            acc.add(chunk)
        elif acc.n_features is None:
            acc.add(chunk)  # sets and checks the number of columns
    if acc is None:
        raise ValueError(
            "X is an empty iterable of chunks; at least 1 row is required."
        )
    G = acc.finalize()
    return _singular_from_gram(
        acc.backend, G, acc.n_samples, acc.n_features, acc.energy
    )


def entropy(s):
    """Singular value entropy of a descending spectrum ``s`` (0 log 0 = 0)."""
    p = _proportions(s, "singular value entropy")
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def largest_ratio(s):
    """``-log(s_1 / sum(s))`` of a descending spectrum ``s``."""
    p = _proportions(s, "largest singular value ratio")
    return float(-np.log(p[0]))


def _proportions(s, what):
    total = s.sum()
    if not total > 0:
        raise ValueError(
            f"The {what} is undefined: every singular value of X is 0 after "
            "normalization and centering (a constant matrix, rows that all point "
            "one way, a single sample with center='columns', or all-zero rows). "
            "Check X or choose another 'center'."
        )
    return s / total
