"""The machinery every label-noise sampler shares, and its shared docstring pieces."""

from abc import abstractmethod

import numpy as np
from imblearn.base import BaseSampler
from imblearn.utils import check_target_type
from numpy.typing import ArrayLike
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

from sknml._docs import DocLinkMixin
from sknml.noise._draws import _draw_exact, _draw_independent

_RandomStateLike = int | np.random.RandomState | None


# Docstring fragments shared by the samplers (imbalanced-learn's convention).
_DOCS = {
    "exact": """exact : bool, default=True
        If True, the number of changed labels in each class ``c`` is fixed:
        ``round((1 - T[c, c]) * n_c)`` rounded half up (cleanlab's convention), and
        the changed labels are split among the other classes in proportion to
        ``T[c, :]`` (largest remainder, ties broken at random). If False, every
        sample draws its noisy label independently from ``T[y_i, :]``, so the
        counts are binomial (Co-teaching's convention).""",
    "random_state": """random_state : int, RandomState instance or None, default=None
        Seed of the draws. An int gives the same noise on every call to
        ``fit_resample`` with the same ``y``; a ``RandomState`` instance advances
        between calls; None uses numpy's global random state.""",
    "attributes": """classes_ : ndarray of shape (n_classes,)
        The sorted unique labels of ``y``; rows and columns of
        ``transition_matrix_`` follow this order.

    transition_matrix_ : ndarray of shape (n_classes, n_classes)
        The effective noise process,
        ``T[i, j] = P(noisy = classes_[j] | true = classes_[i])``: the matrix whose
        rows the labels are drawn from (``exact=False``) or whose rows fix the
        per-class counts (``exact=True``).

    noise_mask_ : ndarray of shape (n_samples,), dtype=bool
        True where the returned label differs from the input label.

    noise_rate_ : float
        The realized fraction of changed labels, ``noise_mask_.mean()``.

    sampling_strategy_ : str
        Always ``"bypass"``: the sampler neither adds nor removes rows.

    n_features_in_ : int
        Number of features seen during fit.

    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of features seen during fit. Defined only when ``X`` has feature
        names that are all strings.""",
}


def _labels_to_container(y_orig, labels, one_hot):
    """Give the noisy labels the type, shape, dtype and index of the input ``y``."""
    if one_hot:
        y_arr = np.asarray(y_orig)
        out = np.zeros_like(y_arr)
        out[np.arange(len(labels)), labels] = 1
    else:
        out = labels
    if hasattr(y_orig, "iloc"):  # pandas Series or DataFrame
        result = y_orig.copy()
        if result.ndim == 1:
            result[:] = out
        else:
            result.iloc[:, :] = out.reshape(result.shape)
        return result
    out = out.reshape(np.shape(y_orig))
    return out.tolist() if isinstance(y_orig, list) else out


class _BaseLabelNoise(DocLinkMixin, BaseSampler):
    """Common machinery: validation, drawing, fitted attributes, output types.

    A subclass defines ``_transition_matrix(classes)``; it may override ``_draw``.
    """

    _sampling_type = "bypass"

    _parameter_constraints: dict = {
        "exact": ["boolean"],
        "random_state": ["random_state"],
    }

    def __init__(self, *, exact=True, random_state=None):
        # BaseSampler.__init__ would set ``sampling_strategy``, which is not a
        # parameter here: noise never changes the class counts of the rows.
        self.exact = exact
        self.random_state = random_state

    @abstractmethod
    def _transition_matrix(self, classes):
        """Effective transition matrix for the labels ``classes`` (validated)."""

    def _draw(self, y_idx, matrix, rng):
        if self.exact:
            return _draw_exact(y_idx, matrix, rng)
        return _draw_independent(y_idx, matrix, rng)

    # imbalanced-learn's fit_resample calls this abstract step on X converted to
    # an array; fit_resample here returns X itself and is written whole, so the
    # step is never called, and None (not a method) keeps the class concrete.
    _fit_resample = None

    def _check_X_y(self, X, y):
        # X is only checked for shape and consistency with y: the noise never looks
        # at it, so any dtype (strings, NaN) and any sparse format passes through.
        y, one_hot = check_target_type(y, indicate_one_vs_all=True)
        X, y = validate_data(
            self,
            X=X,
            y=y,
            reset=True,
            accept_sparse=True,
            dtype=None,
            ensure_all_finite=False,
        )
        return X, y, one_hot

    def _resample_labels(self, y, y_1d, one_hot):
        """Draw the noisy labels, set the fitted attributes, keep y's container."""
        self.classes_, y_idx = np.unique(y_1d, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                f"{type(self).__name__} needs at least 2 classes to flip labels "
                f"between; y has 1 class ({self.classes_[0]!r})."
            )
        self.transition_matrix_ = self._transition_matrix(self.classes_)
        rng = check_random_state(self.random_state)
        noisy_idx = self._draw(y_idx, self.transition_matrix_, rng)
        self.noise_mask_ = noisy_idx != y_idx
        self.noise_rate_ = float(self.noise_mask_.mean())
        self.sampling_strategy_ = self._sampling_type
        # Indexing classes_ (np.unique of y) keeps the labels' values and dtype; for
        # one-hot y they are column indices, of the columns that hold a label.
        return _labels_to_container(y, self.classes_[noisy_idx], one_hot)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit_resample(self, X: ArrayLike, y: ArrayLike) -> tuple:
        """Return ``X`` unchanged and ``y`` with noisy labels.

        Parameters
        ----------
        X : {array-like, dataframe, sparse matrix} of shape (n_samples, n_features)
            Training data; returned as is (the same object).

        y : array-like of shape (n_samples,)
            Class labels of any type (ints, strings, ...); also a one-hot matrix, a
            column vector, a list, a pandas Series or one-column DataFrame.

        Returns
        -------
        X_resampled : same object as ``X``
            The input ``X``, untouched.

        y_resampled : same type, shape and dtype as ``y``
            A new container with the noisy labels, drawn from the labels of ``y``.
        """
        check_classification_targets(y)
        _, y_1d, one_hot = self._check_X_y(X, y)
        return X, self._resample_labels(y, y_1d, one_hot)

    def fit(self, X: ArrayLike, y: ArrayLike) -> "_BaseLabelNoise":
        """Draw the noise for ``(X, y)`` and set the fitted attributes.

        Use :meth:`fit_resample` to get the noisy labels.

        Parameters
        ----------
        X : {array-like, dataframe, sparse matrix} of shape (n_samples, n_features)
            Training data.

        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : object
            The fitted sampler.
        """
        self.fit_resample(X, y)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.string = True
        return tags
