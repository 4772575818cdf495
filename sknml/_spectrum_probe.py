"""A pass-through transformer that records the spectrum of what flows through it."""

import warnings

import numpy as np
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from sknml._dask import validate_dask_data
from sknml._docs import DocLinkMixin
from sknml._spectrum import entropy, largest_ratio, spectrum
from sknml._validation import is_dask_array


class SpectrumProbe(
    DocLinkMixin, OneToOneFeatureMixin, TransformerMixin, BaseEstimator
):
    """Pass-through step that records the singular value spectrum of its input.

    Put it anywhere in a :class:`~sklearn.pipeline.Pipeline`: ``fit`` computes the
    singular values, the singular value entropy (SVE) and the largest singular value
    ratio (LSVR) of the matrix reaching it, and ``transform`` returns that matrix
    unchanged. Two probes, one before and one after an
    :class:`~sknml.NMTuneClassifier`'s feature map, compare the spectrum of raw and
    tuned features in one pipeline.

    Parameters
    ----------
    normalize : bool, default=True
        L2-normalize rows before the spectrum (the input that flows on is untouched).
        See :func:`sknml.metrics.singular_values`.
    center : {'columns', 'rows'} or None, default='columns'
        Centering applied after normalization; see
        :func:`sknml.metrics.singular_values`.

    Attributes
    ----------
    singular_values_ : ndarray of shape (min(n_samples, n_features),)
        Descending singular values of the prepared training matrix.
    sve_ : float
        Singular value entropy, :func:`sknml.metrics.singular_value_entropy`. NaN,
        with a warning at fit time, when every singular value is 0 (for example a
        single sample with ``center='columns'``).
    lsvr_ : float
        ``-log(s_1 / sum(s))``, :func:`sknml.metrics.largest_singular_value_ratio`.
        NaN, with a warning, in the same degenerate case as ``sve_``.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during ``fit``, when X has string column names.

    See Also
    --------
    sknml.metrics.singular_values : The spectrum as a function.
    sknml.metrics.sve_scorer : SVE of a fitted estimator's transform, as a scorer.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.decomposition import PCA
    >>> from sklearn.pipeline import make_pipeline
    >>> from sknml import SpectrumProbe
    >>> X = np.random.default_rng(0).normal(size=(100, 8))
    >>> pipe = make_pipeline(SpectrumProbe(), PCA(n_components=2), SpectrumProbe())
    >>> Z = pipe.fit_transform(X)
    >>> pipe[0].singular_values_.shape, pipe[2].singular_values_.shape
    ((8,), (2,))
    >>> bool(pipe[2].sve_ < pipe[0].sve_)
    True
    """

    _parameter_constraints: dict = {
        "normalize": ["boolean"],
        "center": [StrOptions({"columns", "rows"}), None],
    }

    def __init__(self, *, normalize: bool = True, center: str | None = "columns"):
        self.normalize = normalize
        self.center = center

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None) -> "SpectrumProbe":
        """Record the spectrum of ``X``.

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            The matrix flowing through this pipeline step. A dask array is reduced
            block by block where its blocks live (on the workers of a
            ``distributed`` cluster when a client is active), never brought whole to
            this process.
        y : None
            Ignored; present for API consistency.

        Returns
        -------
        self : SpectrumProbe
            The fitted probe.
        """
        if is_dask_array(X):
            X = validate_dask_data(self, X, reset=True)
        else:
            X = validate_data(self, X, dtype=[np.float64, np.float32])
        self.singular_values_ = spectrum(
            X, normalize=self.normalize, center=self.center
        )
        if self.singular_values_.sum() > 0:
            self.sve_ = entropy(self.singular_values_)
            self.lsvr_ = largest_ratio(self.singular_values_)
        else:
            warnings.warn(
                f"Every singular value of X (shape {X.shape}) is 0 after "
                "normalization and centering; sve_ and lsvr_ are set to NaN.",
                UserWarning,
                stacklevel=2,
            )
            self.sve_ = self.lsvr_ = float("nan")
        return self

    def transform(self, X):
        """Return ``X`` unchanged (validated, as a float array).

        Parameters
        ----------
        X : array-like or dask array of shape (n_samples, n_features)
            Input matrix.

        Returns
        -------
        X_out : ndarray or dask array of shape (n_samples, n_features)
            The same values; float32 stays float32, other dtypes become float64. A
            dask array is returned as it is, still lazy.
        """
        check_is_fitted(self)
        if is_dask_array(X):
            return validate_dask_data(self, X, reset=False)
        return validate_data(self, X, dtype=[np.float64, np.float32], reset=False)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
