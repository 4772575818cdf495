"""Dask arrays, checked and reduced block by block on the workers (private).

:func:`reduce_row_blocks` summarizes every row block where it lives and merges the
summaries in a tree, so that the client only ever holds a few of them;
:func:`sknml._spectrum.spectrum` reduces a dask array that way to one Gram matrix.
:func:`validate_dask_data` is scikit-learn's ``validate_data`` for a dask array,
kept lazy. dask is imported only when a dask array arrives.
"""

from sklearn.utils import gen_batches
from sklearn.utils.validation import _check_feature_names, _check_n_features

from sknml._validation import check_ndim, check_numpy_dtype

# Block summaries merged per task of the reduction tree.
_FAN_IN = 8


def check_dask_array(X):
    """Check shape and dtype of a dask array; return it with one block per row."""
    check_ndim(X.shape, "X")
    check_numpy_dtype(X.dtype, "X")
    if X.numblocks[1] > 1:
        X = X.rechunk({1: -1})
    return X


def validate_dask_data(estimator, X, *, reset: bool):
    """:func:`~sklearn.utils.validation.validate_data` for a dask array, kept lazy.

    Checks the dimensions and dtype, records or checks ``n_features_in_`` (a dask
    array has no feature names) and returns ``X`` without computing it.
    """
    X = check_dask_array(X)
    _check_feature_names(estimator, X, reset=reset)
    _check_n_features(estimator, X, reset=reset)
    return X


def reduce_row_blocks(X, summarize, merge, *args):
    """``merge`` of ``summarize(block, *args)`` over the row blocks of ``X``, computed.

    Each block is summarized by a task on the worker that holds it; the summaries
    are merged ``_FAN_IN`` at a time, ``merge(*summaries)``, up a tree to one, which
    is computed and returned. Both functions must be importable (they travel to the
    workers) and must not change their arguments.
    """
    import dask

    summarize = dask.delayed(summarize, pure=True)
    merge = dask.delayed(merge, pure=True)
    parts = [summarize(block, *args) for block in X.to_delayed().ravel()]
    while len(parts) > 1:
        parts = [merge(*parts[group]) for group in gen_batches(len(parts), _FAN_IN)]
    (result,) = dask.compute(parts[0])
    return result
