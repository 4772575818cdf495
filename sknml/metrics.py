"""Spectral metrics of feature matrices: singular values, SVE, LSVR, and scorers.

Chen et al. (ICLR 2024, arXiv:2309.17002, section 2.3) explain how label noise in
pre-training shapes a foundation model's features through the singular value
spectrum of the feature matrix F (N x D) of a downstream data set: the singular
value entropy (SVE) measures how flat the spectrum is, the largest singular value
ratio (LSVR) how much the top direction dominates. See ``docs/spectrum.md`` for
every convention used here.
"""

from numbers import Real

import numpy as np
from sklearn.utils._param_validation import StrOptions, validate_params

from sknml._spectrum import entropy, largest_ratio, spectrum

__all__ = [
    "largest_singular_value_ratio",
    "neg_lsvr_scorer",
    "singular_value_entropy",
    "singular_values",
    "sve_scorer",
]

_SPECTRUM_CONSTRAINTS = {
    "X": "no_validation",
    "normalize": ["boolean"],
    "center": [StrOptions({"columns", "rows"}), None],
}


@validate_params(_SPECTRUM_CONSTRAINTS, prefer_skip_nested_validation=True)
def singular_values(
    X, *, normalize: bool = True, center: str | None = "columns"
) -> np.ndarray:
    """All ``min(N, D)`` singular values of a feature matrix, in descending order.

    The matrix is prepared as in the paper's analysis: rows L2-normalized (optional),
    then centered. The values come from the eigenvalues of the float64 Gram matrix
    ``X^T X`` (or ``X X^T`` when an in-memory X has fewer rows than columns),
    accumulated chunk by chunk, so the memory beyond X is O(D^2).

    Parameters
    ----------
    X : array-like, torch.Tensor, dask array or iterable of row chunks
        The feature matrix, shape (n_samples, n_features). NumPy arrays and
        ``np.memmap`` are read in chunks without a full copy (float32 stays float32;
        each chunk is promoted to float64). A torch tensor (CPU or CUDA) is computed on
        its own device. Any other iterable (a generator, a list of 2-D arrays) is
        consumed once as a stream of row chunks with the same number of columns. A
        dask array is reduced block by block where its blocks live (on the workers
        when a ``distributed`` client is active) into one D x D Gram matrix; see
        ``docs/scaling.md``.
    normalize : bool, default=True
        L2-normalize every row first, as the paper does. All-zero rows have no
        direction and stay all-zero (no division by zero).
    center : {'columns', 'rows'} or None, default='columns'
        Centering applied after normalization. ``'columns'`` subtracts the mean row
        (the usual PCA centering, so the spectrum describes the spread of the samples
        around their mean); ``'rows'`` subtracts from each row its own mean over
        features, which is what the reference implementation of the paper does;
        ``None`` uses the uncentered matrix.

    Returns
    -------
    s : ndarray of shape (min(n_samples, n_features),), dtype float64
        Singular values, descending. Values whose square is below
        ``max(N, D) * eps * max(s_1**2, E)``, ``E`` the sum of squares of the
        normalized rows before centering, are rounding noise of the Gram matrix
        and of the centering, and are returned as exactly 0.

    Raises
    ------
    ValueError
        If X is not 2-D, is empty, has a non-numeric (object, string) or complex dtype,
        or contains NaN or infinity.

    See Also
    --------
    singular_value_entropy : Entropy of the normalized spectrum.
    largest_singular_value_ratio : Dominance of the top singular value.

    Notes
    -----
    With ``center='columns'`` the centered matrix has rank at most ``N - 1``, so a
    single sample gives an all-zero spectrum.

    Examples
    --------
    >>> import numpy as np
    >>> from sknml.metrics import singular_values
    >>> X = np.array([[3.0, 0.0], [0.0, 4.0]])
    >>> singular_values(X, normalize=False, center=None)
    array([4., 3.])
    """
    return spectrum(X, normalize=normalize, center=center)


@validate_params(_SPECTRUM_CONSTRAINTS, prefer_skip_nested_validation=True)
def singular_value_entropy(
    X, *, normalize: bool = True, center: str | None = "columns"
) -> float:
    """Singular value entropy (SVE) of a feature matrix.

    ``SVE = -sum_i p_i log p_i`` with ``p_i = s_i / sum_j s_j`` (natural log, and
    ``0 log 0 = 0``). It ranges from 0 (rank one) to ``log(min(N, D))`` (all singular
    values equal). A flatter spectrum gives a higher SVE; the paper finds that label
    noise in pre-training raises it.

    Parameters
    ----------
    X : array-like, torch.Tensor, dask array or iterable of row chunks
        The feature matrix, shape (n_samples, n_features); see
        :func:`singular_values`.
    normalize : bool, default=True
        L2-normalize every row first; see :func:`singular_values`.
    center : {'columns', 'rows'} or None, default='columns'
        Centering after normalization; see :func:`singular_values`.

    Returns
    -------
    sve : float
        The singular value entropy, in nats.

    Raises
    ------
    ValueError
        For bad input (see :func:`singular_values`), and when every singular value is
        0 (a constant matrix, or one sample with ``center='columns'``): the
        proportions ``p_i`` are then undefined.

    See Also
    --------
    singular_values : The spectrum itself.
    largest_singular_value_ratio : Dominance of the top singular value.

    Examples
    --------
    >>> import numpy as np
    >>> from sknml.metrics import singular_value_entropy
    >>> X = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> round(singular_value_entropy(X, center=None), 6)  # log(2): a flat spectrum
    0.693147
    """
    return entropy(spectrum(X, normalize=normalize, center=center))


@validate_params(_SPECTRUM_CONSTRAINTS, prefer_skip_nested_validation=True)
def largest_singular_value_ratio(
    X, *, normalize: bool = True, center: str | None = "columns"
) -> float:
    """Largest singular value ratio (LSVR) of a feature matrix.

    ``LSVR = -log(s_1 / sum_j s_j)`` (natural log), which is ``>= 0``: 0 for a rank-one
    matrix, ``log(min(N, D))`` for a flat spectrum. The paper defines LSVR through
    ``log(s_1 / sum_j s_j)`` but reports that it *rises* with pre-training noise and
    correlates negatively with out-of-domain accuracy; the minus sign here is the one
    that matches those statements.

    Parameters
    ----------
    X : array-like, torch.Tensor, dask array or iterable of row chunks
        The feature matrix, shape (n_samples, n_features); see
        :func:`singular_values`.
    normalize : bool, default=True
        L2-normalize every row first; see :func:`singular_values`.
    center : {'columns', 'rows'} or None, default='columns'
        Centering after normalization; see :func:`singular_values`.

    Returns
    -------
    lsvr : float
        ``-log(s_1 / sum(s))``.

    Raises
    ------
    ValueError
        For bad input (see :func:`singular_values`), and when every singular value is
        0, where the ratio is undefined.

    See Also
    --------
    singular_values : The spectrum itself.
    singular_value_entropy : Entropy of the normalized spectrum.

    Examples
    --------
    >>> import numpy as np
    >>> from sknml.metrics import largest_singular_value_ratio
    >>> X = np.array([[3.0, 0.0], [0.0, 1.0]])
    >>> round(largest_singular_value_ratio(X, normalize=False, center=None), 4)
    0.2877
    """
    return largest_ratio(spectrum(X, normalize=normalize, center=center))


class _SpectralScorer:
    """A scorer ``scorer(estimator, X, y=None)`` for a spectral metric.

    Scores ``estimator.transform(X)`` when the estimator can transform (a Pipeline can
    when its last step can), else ``X`` itself. Searches maximize every scorer, so a
    metric where lower is better is negated (``sign=-1``), as sklearn's ``neg_*``.
    """

    def __init__(self, metric, name, sign):
        self._metric = metric
        self._name = name
        self._sign = sign

    def __call__(self, estimator, X, y=None, **kwargs) -> Real:
        features = estimator.transform(X) if hasattr(estimator, "transform") else X
        return self._sign * self._metric(features)

    def __repr__(self):
        return f"{self._name}_scorer"


sve_scorer = _SpectralScorer(singular_value_entropy, "sve", sign=1)
sve_scorer.__doc__ = """Scorer: SVE of ``estimator.transform(X)`` (else of ``X``).

Signature ``sve_scorer(estimator, X, y=None) -> float``, usable as ``scoring=`` in
``cross_validate`` and in a multi-metric ``GridSearchCV`` scoring dict. Greater is
better in the sense of the paper's mitigation (NMTune flattens the spectrum, raising
SVE); it is a diagnostic, not an accuracy, and the paper finds too high an SVE (heavy
noise) hurts. Rows are L2-normalized and
columns centered, as in :func:`singular_value_entropy`'s defaults.
"""

neg_lsvr_scorer = _SpectralScorer(largest_singular_value_ratio, "neg_lsvr", sign=-1)
neg_lsvr_scorer.__doc__ = """Scorer: -LSVR of ``estimator.transform(X)`` (else ``X``).

Signature ``neg_lsvr_scorer(estimator, X, y=None) -> float``. Lower LSVR is better
(the paper finds LSVR negatively correlated with out-of-domain accuracy) and searches
maximize scores, so it returns ``-LSVR``, like scikit-learn's ``neg_*`` scorers:
``refit="neg_lsvr"`` in a ``GridSearchCV`` picks the lowest LSVR.
"""
