"""The three label-noise samplers and :func:`flip_labels`, their function form."""

from collections.abc import Callable
from numbers import Real

from imblearn.utils import Substitution, check_target_type
from numpy.typing import ArrayLike
from sklearn.utils._param_validation import Interval
from sklearn.utils.multiclass import check_classification_targets

from sknml.noise._base import _DOCS, _BaseLabelNoise, _RandomStateLike
from sknml.noise._draws import _round_half_up, _sorted_groups
from sknml.noise._matrices import (
    _check_transition_matrix,
    pair_flip_transition_matrix,
    symmetric_transition_matrix,
)


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
