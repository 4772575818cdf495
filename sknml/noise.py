"""Label-noise resamplers: inject class-conditional label noise into training data.

Every resampler is an imbalanced-learn sampler (``fit_resample``): it returns ``X``
untouched and a copy of ``y`` in which some labels are replaced by other labels of
the same label set. Inside an :class:`imblearn.pipeline.Pipeline` a sampler runs at fit
time only, so a model is trained on noisy labels while cross-validation scores it on
clean ones (section 6 of the paper: noisy downstream data).

The noise process is described by a transition matrix ``T`` with
``T[i, j] = P(noisy = classes_[j] | true = classes_[i])`` (rows: true class, columns:
noisy class, both in ``classes_`` order, i.e. the sorted unique labels). With
``exact=False`` every sample draws its noisy label independently from its row of
``T``; with ``exact=True`` (cleanlab's convention) the *number* of changed labels in
each class is fixed in advance. See ``docs/noise.md`` for how the conventions of the
paper, its reference code, cleanlab and Co-teaching map onto these parameters.
"""

from abc import abstractmethod
from collections.abc import Callable
from numbers import Real

import numpy as np
from imblearn.base import BaseSampler
from imblearn.utils import Substitution, check_target_type
from numpy.typing import ArrayLike
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data

_RandomStateLike = int | np.random.RandomState | None

__all__ = [
    "PairFlipLabelNoise",
    "SymmetricLabelNoise",
    "TransitionMatrixLabelNoise",
    "flip_labels",
    "pair_flip_transition_matrix",
    "symmetric_transition_matrix",
]

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

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Names of features seen during fit. Defined only when ``X`` has feature
        names that are all strings.""",
}


def _round_half_up(x):
    """Round half up, tolerant of products such as ``0.29 * 50 = 14.4999...``."""
    x = np.asarray(x, dtype=float)
    return np.floor(x + 0.5 + 1e-9 * np.maximum(1.0, np.abs(x))).astype(np.intp)


def symmetric_transition_matrix(
    n_classes: int, noise_rate: float = 0.2, *, exclude_true: bool = True
) -> np.ndarray:
    """Transition matrix of symmetric (uniform) label noise.

    Parameters
    ----------
    n_classes : int
        Number of classes K, at least 2.

    noise_rate : float, default=0.2
        Fraction ``r`` of samples whose label is redrawn, in [0, 1].

    exclude_true : bool, default=True
        If True, a redrawn label is uniform over the K - 1 *other* classes:
        ``T = (1 - r) I + r / (K - 1) (J - I)``. If False, it is uniform over all K
        classes, the true one included: ``T = (1 - r) I + (r / K) J``, so the
        probability that a label really changes is ``r (K - 1) / K``.

    Returns
    -------
    T : ndarray of shape (n_classes, n_classes)
        ``T[i, j] = P(noisy = j | true = i)``; every row sums to 1.

    Examples
    --------
    >>> from sknml.noise import symmetric_transition_matrix
    >>> symmetric_transition_matrix(3, 0.3)
    array([[0.7 , 0.15, 0.15],
           [0.15, 0.7 , 0.15],
           [0.15, 0.15, 0.7 ]])
    >>> symmetric_transition_matrix(3, 0.3, exclude_true=False)
    array([[0.8, 0.1, 0.1],
           [0.1, 0.8, 0.1],
           [0.1, 0.1, 0.8]])
    """
    n_classes, noise_rate = _check_family_args(n_classes, noise_rate)
    if exclude_true:
        off = noise_rate / (n_classes - 1)
        matrix = np.full((n_classes, n_classes), off)
        np.fill_diagonal(matrix, 1.0 - noise_rate)
    else:
        matrix = np.full((n_classes, n_classes), noise_rate / n_classes)
        matrix[np.diag_indices(n_classes)] += 1.0 - noise_rate
    return matrix


def pair_flip_transition_matrix(n_classes: int, noise_rate: float = 0.2) -> np.ndarray:
    """Transition matrix of pair-flip noise: class i goes to class i + 1 (mod K).

    Parameters
    ----------
    n_classes : int
        Number of classes K, at least 2.

    noise_rate : float, default=0.2
        Probability ``r`` that a label moves to the next class, in [0, 1].

    Returns
    -------
    T : ndarray of shape (n_classes, n_classes)
        ``(1 - r)`` on the diagonal, ``r`` at ``[i, (i + 1) % K]``.

    Examples
    --------
    >>> from sknml.noise import pair_flip_transition_matrix
    >>> pair_flip_transition_matrix(3, 0.4)
    array([[0.6, 0.4, 0. ],
           [0. , 0.6, 0.4],
           [0.4, 0. , 0.6]])
    """
    n_classes, noise_rate = _check_family_args(n_classes, noise_rate)
    matrix = np.eye(n_classes) * (1.0 - noise_rate)
    rows = np.arange(n_classes)
    matrix[rows, (rows + 1) % n_classes] += noise_rate
    return matrix


def _check_family_args(n_classes, noise_rate):
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)):
        raise TypeError(f"n_classes must be an int; got {n_classes!r}.")
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2; got {n_classes}.")
    if not isinstance(noise_rate, Real) or not 0.0 <= noise_rate <= 1.0:
        raise ValueError(f"noise_rate must be a float in [0, 1]; got {noise_rate!r}.")
    return int(n_classes), float(noise_rate)


def _largest_remainder(total, weights, rng):
    """Split the integer ``total`` in proportion to ``weights``; ties at random."""
    quotas = total * weights / weights.sum()
    counts = np.floor(quotas).astype(np.intp)
    left = total - counts.sum()
    if left > 0:
        # Rounding the remainders makes equal weights tie exactly despite float
        # noise, so a symmetric split favours no class.
        remainders = np.round(quotas - counts, 12)
        order = np.lexsort((rng.random_sample(len(weights)), -remainders))
        counts[order[:left]] += 1
    return counts


def _sorted_groups(y_idx, n_classes):
    """Indices of the samples of each class, from one stable sort (O(n log n))."""
    order = np.argsort(y_idx, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(y_idx, minlength=n_classes))))
    return [order[bounds[c] : bounds[c + 1]] for c in range(n_classes)]


def _draw_exact(y_idx, matrix, rng):
    """Fixed per-class counts: round((1 - T[c, c]) n_c) changes in class c."""
    n_classes = matrix.shape[0]
    noisy = y_idx.copy()
    for c, members in enumerate(_sorted_groups(y_idx, n_classes)):
        n_changed = int(_round_half_up((1.0 - matrix[c, c]) * len(members)))
        if n_changed == 0:
            continue
        others = np.delete(np.arange(n_classes), c)
        counts = _largest_remainder(n_changed, matrix[c, others], rng)
        chosen = rng.permutation(members)[:n_changed]
        noisy[chosen] = np.repeat(others, counts)
    return noisy


def _draw_independent(y_idx, matrix, rng):
    """Each sample draws its noisy label from its own row of ``T``."""
    n_classes = matrix.shape[0]
    cumulative = np.cumsum(matrix, axis=1)
    uniform = rng.random_sample(len(y_idx))
    noisy = np.empty_like(y_idx)
    for c, members in enumerate(_sorted_groups(y_idx, n_classes)):
        drawn = np.searchsorted(cumulative[c], uniform[members], side="right")
        # A row summing to 1 - 1e-16 must not send u close to 1 past the last class.
        noisy[members] = np.minimum(drawn, n_classes - 1)
    return noisy


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


class _BaseLabelNoise(BaseSampler):
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

    def _fit_resample(self, X, y):
        return X, self._resample_labels(y, y, one_hot=False)

    def _check_X_y(self, X, y, accept_sparse=None):
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
        if one_hot:
            return _labels_to_container(y, noisy_idx, one_hot=True)
        # Indexing classes_ (np.unique of y) keeps the labels' values and dtype.
        return _labels_to_container(y, self.classes_[noisy_idx], one_hot=False)

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


def _check_rate_bound(noise_rate, bound, name, why):
    if noise_rate > bound + 1e-12:
        raise ValueError(
            f"noise_rate={noise_rate} exceeds {bound:.6g} for {name}: {why} "
            "Use TransitionMatrixLabelNoise for such a matrix on purpose."
        )


@Substitution(**_DOCS)
class SymmetricLabelNoise(_BaseLabelNoise):
    """Symmetric label noise: a fraction of labels is redrawn uniformly.

    The paper's noise model (``exclude_true=True``, the default): a fraction
    ``noise_rate`` of the labels moves to one of the *other* classes, uniformly.
    With ``exclude_true=False`` the redrawn label is uniform over *all* classes, as
    in the paper's reference code, so only ``noise_rate * (K - 1) / K`` of the labels
    really change.

    Parameters
    ----------
    noise_rate : float, default=0.2
        Fraction ``r`` of labels redrawn, in [0, 1]. With ``exclude_true=True`` it
        must not exceed ``(K - 1) / K`` (see Notes).

    exclude_true : bool, default=True
        Whether a redrawn label avoids the true class. Effective matrix:
        ``(1 - r) I + r / (K - 1) (J - I)`` if True, ``(1 - r) I + (r / K) J`` if
        False.

    {exact}
        With ``exclude_true=False`` and ``exact=True`` it is the number of
        *redrawn* labels, ``round(r * n_c)``, that is fixed in each class; each
        redrawn label is then uniform over all classes, as in the reference code.

    {random_state}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    PairFlipLabelNoise : Asymmetric noise, class i to class i + 1.
    TransitionMatrixLabelNoise : Any class-conditional noise.
    flip_labels : The same noise as a function of ``y``.

    Notes
    -----
    Why ``(K - 1) / K``: with ``exclude_true=True`` the true class keeps probability
    ``1 - r`` and each other class gets ``r / (K - 1)``; past ``r = (K - 1) / K``
    every wrong class is more likely than the true one, so the labels stop being a
    noisy version of the truth (symmetric-noise robustness results, e.g. Ghosh et
    al. 2017, assume ``r < (K - 1) / K``); at the bound the labels are independent
    of the truth. With ``exclude_true=False`` the matrix is ``(1 - r) I + (r / K)
    J``: its diagonal beats every other entry for all ``r < 1`` and the largest flip
    rate it can produce is ``(K - 1) / K`` (all labels redrawn), so every ``r`` in
    [0, 1] is valid there. The bound is checked at fit time, when K is known.

    Examples
    --------
    >>> import numpy as np
    >>> from sknml import SymmetricLabelNoise
    >>> X = np.zeros((10, 2))
    >>> y = np.array(["cat"] * 5 + ["dog"] * 5)
    >>> sampler = SymmetricLabelNoise(0.4, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> X_res is X
    True
    >>> int(sampler.noise_mask_.sum()), sampler.noise_rate_
    (4, 0.4)
    >>> sampler.transition_matrix_
    array([[0.6, 0.4],
           [0.4, 0.6]])
    """

    _parameter_constraints: dict = {
        **_BaseLabelNoise._parameter_constraints,
        "noise_rate": [Interval(Real, 0, 1, closed="both")],
        "exclude_true": ["boolean"],
    }

    def __init__(
        self,
        noise_rate: float = 0.2,
        *,
        exclude_true: bool = True,
        exact: bool = True,
        random_state: _RandomStateLike = None,
    ):
        super().__init__(exact=exact, random_state=random_state)
        self.noise_rate = noise_rate
        self.exclude_true = exclude_true

    def _transition_matrix(self, classes):
        n_classes = len(classes)
        if self.exclude_true:
            _check_rate_bound(
                self.noise_rate,
                (n_classes - 1) / n_classes,
                f"symmetric noise with exclude_true=True and K={n_classes} classes",
                "beyond (K - 1) / K each wrong class is more likely than the true one.",
            )
        return symmetric_transition_matrix(
            n_classes, self.noise_rate, exclude_true=self.exclude_true
        )

    def _draw(self, y_idx, matrix, rng):
        if self.exclude_true or not self.exact:
            return super()._draw(y_idx, matrix, rng)
        # The reference code's mechanism: a fixed number of labels is redrawn from
        # all classes, so how many really change is random.
        n_classes = matrix.shape[0]
        noisy = y_idx.copy()
        for members in _sorted_groups(y_idx, n_classes):
            n_redrawn = int(_round_half_up(self.noise_rate * len(members)))
            chosen = rng.permutation(members)[:n_redrawn]
            noisy[chosen] = rng.randint(n_classes, size=n_redrawn)
        return noisy


@Substitution(**_DOCS)
class PairFlipLabelNoise(_BaseLabelNoise):
    """Pair-flip label noise: a fraction of class i is relabeled as class i + 1.

    Co-teaching's asymmetric noise: class ``classes_[i]`` moves to
    ``classes_[(i + 1) % K]``, the next label in sorted order, with probability
    ``noise_rate``. It mimics confusions between neighbouring, similar classes.

    Parameters
    ----------
    noise_rate : float, default=0.2
        Fraction ``r`` of each class moved to the next class, in [0, 0.5] (see
        Notes).

    {exact}

    {random_state}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    SymmetricLabelNoise : Labels redrawn uniformly.
    TransitionMatrixLabelNoise : Any class-conditional noise.

    Notes
    -----
    Past ``r = 0.5`` the next class becomes the most likely label of each class:
    the labels turn into a permutation of the truth rather than a noisy version of
    it (Co-teaching uses at most 0.45), so larger rates raise an error. For K = 2
    pair flip is symmetric noise.

    Examples
    --------
    >>> import numpy as np
    >>> from sknml import PairFlipLabelNoise
    >>> X = np.zeros((9, 1))
    >>> y = np.array([10, 10, 10, 20, 20, 20, 30, 30, 30])
    >>> _, y_res = PairFlipLabelNoise(1 / 3, random_state=0).fit_resample(X, y)
    >>> sorted(zip(y[y != y_res].tolist(), y_res[y != y_res].tolist()))
    [(10, 20), (20, 30), (30, 10)]
    """

    _parameter_constraints: dict = {
        **_BaseLabelNoise._parameter_constraints,
        "noise_rate": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(
        self,
        noise_rate: float = 0.2,
        *,
        exact: bool = True,
        random_state: _RandomStateLike = None,
    ):
        super().__init__(exact=exact, random_state=random_state)
        self.noise_rate = noise_rate

    def _transition_matrix(self, classes):
        _check_rate_bound(
            self.noise_rate,
            0.5,
            "pair-flip noise",
            "beyond 0.5 the next class is more likely than the true one.",
        )
        return pair_flip_transition_matrix(len(classes), self.noise_rate)


@Substitution(**_DOCS)
class TransitionMatrixLabelNoise(_BaseLabelNoise):
    """Class-conditional label noise given by a transition matrix.

    Parameters
    ----------
    transition_matrix : array-like of shape (n_classes, n_classes) or callable
        ``T[i, j] = P(noisy = classes_[j] | true = classes_[i])``, rows and
        columns in sorted label order (``classes_``). Entries must be finite and
        non-negative and every row must sum to 1 (within 1e-6; rows are then
        renormalized). A callable is called at fit time with the number of classes
        and must return such a matrix: use it when the number of classes is known
        only from the data, e.g. ``symmetric_transition_matrix`` or
        ``functools.partial(pair_flip_transition_matrix, noise_rate=0.3)``.

    {exact}

    {random_state}

    Attributes
    ----------
    {attributes}

    See Also
    --------
    SymmetricLabelNoise, PairFlipLabelNoise : The two common special cases.
    symmetric_transition_matrix, pair_flip_transition_matrix : Their matrices.

    Notes
    -----
    This is the convention of Co-teaching and of most of the noisy-label
    literature. cleanlab's ``noise_matrix`` is the transpose: its columns are the
    true class (``noise_matrix[j, i] = P(noisy = j | true = i)``); pass
    ``noise_matrix.T``. Unlike the two named samplers, no bound on the diagonal is
    imposed: a matrix whose diagonal is not the largest entry of its row is
    allowed on purpose (e.g. a permutation, to relabel classes).

    Examples
    --------
    >>> import numpy as np
    >>> from sknml import TransitionMatrixLabelNoise
    >>> X = np.zeros((8, 1))
    >>> y = np.array(["a", "a", "a", "a", "b", "b", "b", "b"])
    >>> T = [[0.5, 0.5],   # half of "a" becomes "b"
    ...      [0.0, 1.0]]   # "b" stays
    >>> sampler = TransitionMatrixLabelNoise(T, random_state=0)
    >>> _, y_res = sampler.fit_resample(X, y)
    >>> y_res[:4].tolist().count("b"), y_res[4:].tolist()
    (2, ['b', 'b', 'b', 'b'])

    A callable builds the matrix once the number of classes is known:

    >>> from functools import partial
    >>> from sknml.noise import pair_flip_transition_matrix
    >>> sampler = TransitionMatrixLabelNoise(
    ...     partial(pair_flip_transition_matrix, noise_rate=0.25), random_state=0)
    >>> sampler.fit(X, y).transition_matrix_
    array([[0.75, 0.25],
           [0.25, 0.75]])
    """

    _parameter_constraints: dict = {
        **_BaseLabelNoise._parameter_constraints,
        "transition_matrix": ["array-like", callable],
    }

    def __init__(
        self,
        transition_matrix: ArrayLike | Callable[[int], ArrayLike],
        *,
        exact: bool = True,
        random_state: _RandomStateLike = None,
    ):
        super().__init__(exact=exact, random_state=random_state)
        self.transition_matrix = transition_matrix

    def _transition_matrix(self, classes):
        matrix = self.transition_matrix
        if callable(matrix):
            matrix = matrix(len(classes))
        return _check_transition_matrix(matrix, classes)


def _check_transition_matrix(matrix, classes):
    """Validate a row-stochastic matrix against the classes of ``y``."""
    try:
        matrix = np.array(matrix, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"transition_matrix must be a numeric (n_classes, n_classes) array: {exc}"
        ) from exc
    n_classes = len(classes)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(
            "transition_matrix must be a square 2-D array of shape "
            f"(n_classes, n_classes); got shape {matrix.shape}."
        )
    if matrix.shape[0] != n_classes:
        raise ValueError(
            f"transition_matrix has shape {matrix.shape} but y has {n_classes} "
            f"classes {classes.tolist()}; rows and columns follow classes_, the "
            "sorted unique labels."
        )
    if not np.all(np.isfinite(matrix)):
        raise ValueError("transition_matrix must contain only finite values.")
    if np.any(matrix < 0):
        rows, cols = np.nonzero(matrix < 0)
        raise ValueError(
            "transition_matrix must not have negative entries (they are "
            f"probabilities); got {matrix[rows[0], cols[0]]} at [{rows[0]}, {cols[0]}]."
        )
    sums = matrix.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=1e-6):
        raise ValueError(
            "Each row of transition_matrix must sum to 1: T[i, j] = P(noisy = j | "
            f"true = i), rows = true class. Row sums: {np.round(sums, 6).tolist()}. "
            "(A cleanlab noise_matrix has columns summing to 1: pass its transpose.)"
        )
    return matrix / sums[:, None]


def flip_labels(
    y: ArrayLike,
    noise_rate: float = 0.2,
    *,
    noise_type: str = "symmetric",
    transition_matrix: ArrayLike | Callable[[int], ArrayLike] | None = None,
    exclude_true: bool = True,
    exact: bool = True,
    random_state: _RandomStateLike = None,
):
    """Return a noisy copy of the labels ``y``, outside any pipeline.

    Parameters
    ----------
    y : array-like of shape (n_samples,)
        Class labels of any type; the result has the same type, dtype and shape.

    noise_rate : float, default=0.2
        Noise rate of the ``"symmetric"`` and ``"pair"`` noise types.

    noise_type : {"symmetric", "pair", "matrix"}, default="symmetric"
        :class:`SymmetricLabelNoise`, :class:`PairFlipLabelNoise` or
        :class:`TransitionMatrixLabelNoise`.

    transition_matrix : array-like of shape (n_classes, n_classes) or callable, \
            default=None
        Required for ``noise_type="matrix"`` and only used there.

    exclude_true : bool, default=True
        Only for ``noise_type="symmetric"``; see :class:`SymmetricLabelNoise`.

    exact : bool, default=True
        Fixed per-class counts (True) or independent draws (False).

    random_state : int, RandomState instance or None, default=None
        Seed of the draws.

    Returns
    -------
    y_noisy : same type as ``y``
        The labels after noise.

    See Also
    --------
    SymmetricLabelNoise : The sampler form, with the fitted noise mask and matrix.

    Examples
    --------
    >>> from sknml.noise import flip_labels
    >>> y = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2]
    >>> y_noisy = flip_labels(y, 0.25, random_state=0)
    >>> sum(a != b for a, b in zip(y, y_noisy))
    3
    """
    if noise_type == "symmetric":
        sampler = SymmetricLabelNoise(
            noise_rate,
            exclude_true=exclude_true,
            exact=exact,
            random_state=random_state,
        )
    elif noise_type == "pair":
        sampler = PairFlipLabelNoise(noise_rate, exact=exact, random_state=random_state)
    elif noise_type == "matrix":
        if transition_matrix is None:
            raise ValueError('noise_type="matrix" needs a transition_matrix.')
        sampler = TransitionMatrixLabelNoise(
            transition_matrix, exact=exact, random_state=random_state
        )
    else:
        raise ValueError(
            f"noise_type must be 'symmetric', 'pair' or 'matrix'; got {noise_type!r}."
        )
    if transition_matrix is not None and noise_type != "matrix":
        raise ValueError(
            f'transition_matrix is only used with noise_type="matrix"; got '
            f"noise_type={noise_type!r}."
        )
    sampler._validate_params()
    check_classification_targets(y)
    y_1d, one_hot = check_target_type(y, indicate_one_vs_all=True)
    return sampler._resample_labels(y, y_1d, one_hot)
