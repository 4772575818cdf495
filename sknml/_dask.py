"""Spectra of dask arrays, computed block by block on the workers (private).

:func:`sknml._spectrum.spectrum` hands a dask array here. Every row block is reduced
on a worker, by the same :class:`~sknml._spectrum._GramAccumulator` the NumPy path
uses, to ``(n, energy, mean, M)``: its row count, sum of squares before centering
(which scales the rounding-noise threshold), column mean and Gram matrix (centered
on that mean when ``center='columns'``). The D x D summaries are merged pairwise in a
tree (Chan, Golub and LeVeque's update for the centered part), so the client only
ever holds a few D x D matrices, and the eigenvalues are finished exactly as for
NumPy input. dask is imported only when a dask array arrives.
"""

import numpy as np
from sklearn.utils.validation import _check_feature_names, _check_n_features

from sknml._spectrum import (
    _check_ndim,
    _check_not_empty,
    _check_numpy_dtype,
    _GramAccumulator,
    _NumpyBackend,
    _singular_from_gram,
    _small_side_spectrum,
)

# Block summaries merged per task of the reduction tree.
_FAN_IN = 8


def is_dask_array(X) -> bool:
    """Whether ``X`` is a dask array, without importing dask."""
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "chunks")


def _check_dask_array(X):
    """Check shape and dtype of a dask array; return it with one block per row."""
    _check_ndim(X.shape, "X")
    _check_numpy_dtype(X.dtype, "X")
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    return X


def validate_dask_data(estimator, X, *, reset: bool):
    """:func:`~sklearn.utils.validation.validate_data` for a dask array, kept lazy.

    Checks the dimensions and dtype, records or checks ``n_features_in_`` (a dask
    array has no feature names) and returns ``X`` without computing it.
    """
    X = _check_dask_array(X)
    _check_feature_names(estimator, X, reset=reset)
    _check_n_features(estimator, X, reset=reset)
    return X


def _block_summary(block, normalize, center):
    """``(n, energy, mean, M)`` of one row block, on the worker that holds it."""
    acc = _GramAccumulator(_NumpyBackend(), normalize, center)
    acc.add(block)
    n = acc.n_samples
    if n == 0:
        return 0, 0.0, None, None
    if center != "columns":
        return n, acc.energy, None, acc.gram
    # The accumulator works on rows shifted by acc.shift; undo that for the mean.
    shifted_mean = acc.total / n
    return n, acc.energy, acc.shift + shifted_mean, acc.finalize()


def _merge_summaries(*summaries):
    """One ``(n, energy, mean, M)`` for the union of the rows of several summaries."""
    n, energy, mean, M = 0, 0.0, None, None
    for n_b, energy_b, mean_b, M_b in summaries:
        if n_b == 0:
            continue
        energy += energy_b
        if n == 0:
            n, mean, M = n_b, mean_b, M_b.copy()
            continue
        total = n + n_b
        if mean is not None:
            delta = mean_b - mean
            M += np.outer(delta, delta) * (n * n_b / total)
            mean = mean + delta * (n_b / total)
        M += M_b
        n = total
    return n, energy, mean, M


def dask_spectrum(X, normalize, center):
    """Descending singular values of a dask array, as ``spectrum`` defines them."""
    import dask

    X = _check_dask_array(X)
    n_rows, n_features = _check_not_empty(X.shape)
    if n_rows < n_features:
        # A wide matrix is smaller than its D x D Gram: bring it over as NumPy does.
        A = np.asarray(X.compute())
        return _small_side_spectrum(A, _NumpyBackend(), normalize, center)
    summarize = dask.delayed(_block_summary, pure=True)
    merge = dask.delayed(_merge_summaries, pure=True)
    parts = [summarize(b, normalize, center) for b in X.to_delayed().ravel()]
    while len(parts) > 1:
        parts = [merge(*parts[i : i + _FAN_IN]) for i in range(0, len(parts), _FAN_IN)]
    ((n_samples, energy, _, G),) = dask.compute(parts[0])
    if n_samples == 0:
        raise ValueError("X has 0 samples; at least 1 is required.")
    return _singular_from_gram(_NumpyBackend(), G, n_samples, n_features, energy)
