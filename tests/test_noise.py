"""Tests of the label-noise resamplers in sknml.noise."""

from functools import partial

import numpy as np
import pandas as pd
import pytest
from _named import Named
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.pipeline import Pipeline
from imblearn.utils.estimator_checks import (
    parametrize_with_checks as imblearn_parametrize_with_checks,
)
from scipy import sparse
from scipy.stats import norm
from sklearn.datasets import load_digits
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.utils._param_validation import InvalidParameterError

from sknml import (
    NMTuneClassifier,
    PairFlipLabelNoise,
    SymmetricLabelNoise,
    TransitionMatrixLabelNoise,
)
from sknml.noise import (
    flip_labels,
    pair_flip_transition_matrix,
    symmetric_transition_matrix,
)
from sknml.noise._draws import _round_half_up

# imbalanced-learn's sampler checks compare two calls of fit_resample on the same
# data (list vs array, pandas vs numpy, one-hot vs labels) and, unlike scikit-learn's
# checks, do not seed the estimator: the instances carry a fixed random_state.
_SEEDED_SAMPLERS = [
    SymmetricLabelNoise(0.3, random_state=0),
    SymmetricLabelNoise(0.3, exclude_true=False, random_state=0),
    SymmetricLabelNoise(0.3, exact=False, random_state=0),
    PairFlipLabelNoise(0.3, random_state=0),
    TransitionMatrixLabelNoise(Named(symmetric_transition_matrix), random_state=0),
    TransitionMatrixLabelNoise(
        Named(pair_flip_transition_matrix, noise_rate=0.4),
        exact=False,
        random_state=0,
    ),
]


@imblearn_parametrize_with_checks(_SEEDED_SAMPLERS)
def test_imblearn_sampler_checks(estimator, check):
    check(estimator)


def _per_class_changes(y, y_noisy):
    y, y_noisy = np.asarray(y), np.asarray(y_noisy)
    return {c: int(np.sum(y_noisy[y == c] != c)) for c in np.unique(y)}


# --------------------------------------------------------------------------------
# Pure matrix helpers against the formulas written out by hand.


def test_symmetric_matrix_formulas():
    K, r = 4, 0.3
    T = symmetric_transition_matrix(K, r)
    assert np.allclose(np.diag(T), 1 - r)
    assert np.allclose(T[~np.eye(K, dtype=bool)], r / (K - 1))
    T_all = symmetric_transition_matrix(K, r, exclude_true=False)
    assert np.allclose(np.diag(T_all), 1 - r + r / K)
    assert np.allclose(T_all[~np.eye(K, dtype=bool)], r / K)
    # Redrawing from all classes at rate r is excluding the true one at r (K-1)/K.
    assert np.allclose(T_all, symmetric_transition_matrix(K, r * (K - 1) / K))
    for matrix in (T, T_all, pair_flip_transition_matrix(K, r)):
        assert np.allclose(matrix.sum(axis=1), 1)


def test_pair_flip_matrix_formula():
    T = pair_flip_transition_matrix(3, 0.25)
    expected = np.array([[0.75, 0.25, 0], [0, 0.75, 0.25], [0.25, 0, 0.75]])
    np.testing.assert_allclose(T, expected)


def test_round_half_up():
    values = np.array([0.5, 1.5, 2.5, 2.4999, 0.29 * 50, 0.0, 3.0])
    np.testing.assert_array_equal(_round_half_up(values), [1, 2, 3, 2, 15, 0, 3])


# --------------------------------------------------------------------------------
# Hypothesis properties.

_LABEL_SETS = [
    np.array([3, 17, -5, 1000]),
    np.array(["ant", "bee", "cat", "dog", "eel"]),
    np.array([1.0, 4.0, 9.0]),  # floats must be integral to be class labels
    np.array([0, 1]),
]


@st.composite
def labels_and_rate(draw, max_rate=None):
    """Labels with at least two classes and a noise rate k / 1000 within bounds."""
    label_set = draw(st.sampled_from(_LABEL_SETS))
    n_classes = draw(st.integers(2, len(label_set)))
    labels = label_set[:n_classes]
    codes = draw(
        st.lists(st.integers(0, n_classes - 1), min_size=2, max_size=300).filter(
            lambda c: len(set(c)) >= 2
        )
    )
    y = labels[np.array(codes)]
    n_present = len(np.unique(y))
    bound = (n_present - 1) / n_present if max_rate is None else max_rate
    # Rates k / 1000 make "round half up of r * n_c" exact in integer arithmetic.
    k = draw(st.integers(0, int(np.floor(bound * 1000))))
    seed = draw(st.integers(0, 2**31 - 1))
    return y, k, seed


def _promised(k, n_c):
    """round(k / 1000 * n_c), half up, in exact integer arithmetic."""
    return (2 * k * n_c + 1000) // 2000


@settings(max_examples=60, deadline=None)
@given(labels_and_rate())
def test_exact_symmetric_flips_promised_count_to_other_classes(data):
    y, k, seed = data
    X = np.arange(2 * len(y), dtype=float).reshape(-1, 2)
    sampler = SymmetricLabelNoise(k / 1000, random_state=seed)
    X_res, y_res = sampler.fit_resample(X, y)
    # exclude_true: every chosen label changes, so changes = promised count exactly.
    changes = _per_class_changes(y, y_res)
    for c, n_changed in changes.items():
        assert n_changed == _promised(k, np.sum(y == c))
    assert X_res is X
    assert y_res.dtype == y.dtype
    assert set(np.unique(y_res)) <= set(np.unique(y))
    np.testing.assert_array_equal(sampler.noise_mask_, y_res != y)
    assert sampler.noise_rate_ == pytest.approx(np.mean(y_res != y))
    np.testing.assert_array_equal(sampler.classes_, np.unique(y))


@settings(max_examples=40, deadline=None)
@given(labels_and_rate(max_rate=1.0), st.booleans())
def test_all_classes_redraw_changes_at_most_promised(data, exact):
    y, k, seed = data
    X = np.zeros((len(y), 1))
    sampler = SymmetricLabelNoise(
        k / 1000, exclude_true=False, exact=exact, random_state=seed
    )
    _, y_res = sampler.fit_resample(X, y)
    assert set(np.unique(y_res)) <= set(np.unique(y))
    if exact:
        # Redrawn labels may land on the true class: at most the promised count.
        for c, n_changed in _per_class_changes(y, y_res).items():
            assert n_changed <= _promised(k, np.sum(y == c))


@settings(max_examples=40, deadline=None)
@given(labels_and_rate(max_rate=0.5))
def test_exact_pair_flip_goes_to_next_class(data):
    y, k, seed = data
    sampler = PairFlipLabelNoise(k / 1000, random_state=seed)
    _, y_res = sampler.fit_resample(np.zeros((len(y), 3)), y)
    classes = sampler.classes_
    next_class = dict(zip(classes, np.roll(classes, -1), strict=True))
    changed = y_res != y
    assert all(
        next_class[a] == b for a, b in zip(y[changed], y_res[changed], strict=True)
    )
    for c, n_changed in _per_class_changes(y, y_res).items():
        assert n_changed == _promised(k, np.sum(y == c))


@settings(max_examples=40, deadline=None)
@given(labels_and_rate(), st.booleans(), st.booleans())
def test_same_seed_same_result_and_global_rng_untouched(data, exact, exclude_true):
    y, k, seed = data
    X = np.zeros((len(y), 1))
    params = dict(exact=exact, exclude_true=exclude_true, random_state=seed)
    state = np.random.get_state()
    _, first = SymmetricLabelNoise(k / 1000, **params).fit_resample(X, y)
    sampler = SymmetricLabelNoise(k / 1000, **params)
    _, second = sampler.fit_resample(X, y)
    _, third = sampler.fit_resample(X, y)  # an int seed restarts on every call
    after = np.random.get_state()
    np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(first, third)
    assert state[0] == after[0] and np.array_equal(state[1], after[1])
    np.testing.assert_array_equal(
        first,
        flip_labels(
            y, k / 1000, random_state=seed, exact=exact, exclude_true=exclude_true
        ),
    )


@settings(max_examples=30, deadline=None)
@given(
    st.integers(2, 5).flatmap(
        lambda K: st.tuples(
            st.just(K),
            st.lists(
                st.lists(st.integers(0, 9), min_size=K, max_size=K).filter(any),
                min_size=K,
                max_size=K,
            ),
        )
    ),
    st.integers(10, 200),
    st.integers(0, 2**31 - 1),
)
def test_exact_matrix_counts_follow_rows(matrix_data, n_per_class, seed):
    K, weights = matrix_data
    T = np.array(weights, dtype=float)
    T /= T.sum(axis=1, keepdims=True)
    y = np.repeat(np.arange(K) * 10, n_per_class)
    sampler = TransitionMatrixLabelNoise(T, random_state=seed)
    _, y_res = sampler.fit_resample(np.zeros((len(y), 1)), y)
    counts = np.array(
        [[np.sum(y_res[y == 10 * i] == 10 * j) for j in range(K)] for i in range(K)]
    )
    for i in range(K):
        n_changed = _round_half_up((1 - T[i, i]) * n_per_class)
        assert n_per_class - counts[i, i] == n_changed
        # Largest remainder: each off-diagonal count is its quota rounded down or up.
        off = np.delete(np.arange(K), i)
        if n_changed:
            quota = n_changed * T[i, off] / T[i, off].sum()
            assert np.all(counts[i, off] >= np.floor(quota) - 1e-9)
            assert np.all(counts[i, off] <= np.ceil(quota) + 1e-9)


# --------------------------------------------------------------------------------
# Statistics: independent draws converge to the transition matrix.

# Family-wise false-alarm probability of the statistical tests below (Bonferroni
# over the tested cells). With a fixed seed the tests are deterministic; alpha says
# how unlucky a correct sampler would have to be to fail with some other seed.
_ALPHA = 1e-4


@pytest.mark.parametrize(
    "sampler",
    [
        SymmetricLabelNoise(0.3, exact=False, random_state=0),
        SymmetricLabelNoise(0.3, exact=False, exclude_true=False, random_state=1),
        PairFlipLabelNoise(0.45, exact=False, random_state=2),
        TransitionMatrixLabelNoise(
            [
                [0.5, 0.2, 0.2, 0.1],
                [0.0, 0.9, 0.1, 0.0],
                [0.3, 0.3, 0.4, 0.0],
                [0.05, 0.05, 0.05, 0.85],
            ],
            exact=False,
            random_state=3,
        ),
    ],
)
def test_independent_draws_converge_to_transition_matrix(sampler):
    n_per_class, K = 20_000, 4
    y = np.repeat(np.array(["a", "b", "c", "d"]), n_per_class)
    _, y_res = sampler.fit_resample(np.zeros((len(y), 1)), y)
    T = sampler.transition_matrix_
    realized = np.array([[np.mean(y_res[y == a] == b) for b in "abcd"] for a in "abcd"])
    # Each realized cell is Binomial(n_c, T_ij) / n_c: std sqrt(T (1 - T) / n_c).
    z = norm.ppf(1 - _ALPHA / (2 * K * K))
    tolerance = z * np.sqrt(T * (1 - T) / n_per_class)
    assert np.all(np.abs(realized - T) <= tolerance), (realized, T)
    # Realized rate: Binomial(N, p) / N with p the mean off-diagonal mass.
    p = 1 - np.mean(np.diag(T))
    z1 = norm.ppf(1 - _ALPHA / 2)
    assert abs(sampler.noise_rate_ - p) <= z1 * np.sqrt(p * (1 - p) / len(y))


def test_exact_redraw_from_all_classes_flip_rate():
    # Reference-code mechanism: m = round(r n_c) labels redrawn per class, each
    # changes with probability (K - 1) / K: changes ~ Binomial(sum m, (K - 1) / K).
    K, n_per_class, r = 5, 4000, 0.4
    y = np.repeat(np.arange(K), n_per_class)
    sampler = SymmetricLabelNoise(r, exclude_true=False, random_state=0)
    _, y_res = sampler.fit_resample(np.zeros((len(y), 1)), y)
    m = K * _round_half_up(r * n_per_class)
    p = (K - 1) / K
    z = norm.ppf(1 - _ALPHA / 2)
    assert abs(np.sum(y_res != y) - m * p) <= z * np.sqrt(m * p * (1 - p))
    assert sampler.noise_rate_ < r  # unlike exclude_true=True, some stay the same


# --------------------------------------------------------------------------------
# Containers: X passes through, y keeps its type, dtype, shape and index.


def test_x_is_returned_as_is_for_every_container():
    y = np.array([0, 1, 2] * 10)
    dense = np.random.RandomState(0).normal(size=(30, 4))
    for X in (
        dense,
        sparse.csr_matrix(dense),
        sparse.coo_matrix(dense),
        pd.DataFrame(dense, columns=list("abcd")),
        dense.tolist(),
        np.array([["x", "y"]] * 30, dtype=object),
        np.where(dense > 0, np.nan, dense),
    ):
        X_res, _ = SymmetricLabelNoise(0.5, random_state=0).fit_resample(X, y)
        assert X_res is X


def test_y_containers_keep_type_dtype_and_index():
    rng = np.random.RandomState(0)
    labels = rng.choice(["neg", "neu", "pos"], size=40)
    X = np.zeros((40, 2))
    sampler = SymmetricLabelNoise(0.5, random_state=0)
    _, reference = sampler.fit_resample(X, labels)

    series = pd.Series(labels, index=np.arange(100, 140), name="sentiment")
    _, out = sampler.fit_resample(X, series)
    assert isinstance(out, pd.Series) and out.name == "sentiment"
    assert out.index.equals(series.index) and out.dtype == series.dtype
    np.testing.assert_array_equal(out.to_numpy(), reference)

    categorical = series.astype("category")
    _, out = sampler.fit_resample(X, categorical)
    assert out.dtype == categorical.dtype
    np.testing.assert_array_equal(out.astype(str).to_numpy(), reference)

    frame = series.to_frame()
    _, out = sampler.fit_resample(X, frame)
    assert isinstance(out, pd.DataFrame) and list(out.columns) == ["sentiment"]
    np.testing.assert_array_equal(out["sentiment"].to_numpy(), reference)

    _, out = sampler.fit_resample(X, labels.tolist())
    assert out == reference.tolist()

    _, out = sampler.fit_resample(X, labels.reshape(-1, 1))
    assert out.shape == (40, 1)
    np.testing.assert_array_equal(out.ravel(), reference)

    codes = np.unique(labels, return_inverse=True)[1]
    one_hot = np.eye(3, dtype=np.int8)[codes]
    _, out = sampler.fit_resample(X, one_hot)
    assert out.dtype == np.int8 and out.shape == one_hot.shape
    np.testing.assert_array_equal(np.unique(labels)[out.argmax(axis=1)], reference)


def test_one_hot_labels_stay_in_the_columns_that_hold_labels():
    # Column 1 holds no label: the noise flips between columns 0 and 2 only.
    y = np.eye(3, dtype=int)[[0] * 10 + [2] * 10]
    _, out = SymmetricLabelNoise(0.5, random_state=0).fit_resample(np.zeros((20, 1)), y)
    assert out[:, 1].sum() == 0
    assert (out.sum(axis=1) == 1).all()
    assert (out.argmax(axis=1) != y.argmax(axis=1)).sum() == 10


def test_non_contiguous_int_labels_keep_dtype():
    y = np.array([7, 7, 7, 42, 42, 42, -3, -3, -3] * 5, dtype=np.int16)
    _, y_res = PairFlipLabelNoise(0.4, random_state=0).fit_resample(np.ones((45, 1)), y)
    assert y_res.dtype == np.int16
    assert set(y_res.tolist()) <= {7, 42, -3}
    assert (y_res != y).sum() == 3 * _round_half_up(0.4 * 15)


def test_fit_sets_the_same_attributes_as_fit_resample():
    y = np.repeat([1, 2, 3], 20)
    sampler = SymmetricLabelNoise(0.25, random_state=0).fit(np.zeros((60, 1)), y)
    _, y_res = SymmetricLabelNoise(0.25, random_state=0).fit_resample(
        np.zeros((60, 1)), y
    )
    np.testing.assert_array_equal(sampler.noise_mask_, y_res != y)
    assert sampler.n_features_in_ == 1 and sampler.sampling_strategy_ == "bypass"


def test_zero_rate_changes_nothing():
    y = np.repeat(["a", "b"], 10)
    for sampler in (
        SymmetricLabelNoise(0.0, random_state=0),
        PairFlipLabelNoise(0.0, exact=False, random_state=0),
        TransitionMatrixLabelNoise(np.eye(2), random_state=0),
    ):
        _, y_res = sampler.fit_resample(np.zeros((20, 1)), y)
        np.testing.assert_array_equal(y_res, y)
        assert sampler.noise_rate_ == 0.0


# --------------------------------------------------------------------------------
# Bad input.


@pytest.mark.parametrize("rate", [-0.1, 1.5, "high"])
@pytest.mark.parametrize("cls", [SymmetricLabelNoise, PairFlipLabelNoise])
def test_noise_rate_outside_unit_interval(cls, rate):
    with pytest.raises(InvalidParameterError, match="'noise_rate' parameter"):
        cls(rate).fit_resample(np.zeros((4, 1)), [0, 0, 1, 1])


def test_symmetric_rate_above_identifiability_bound():
    X, y = np.zeros((9, 1)), np.repeat([0, 1, 2], 3)
    with pytest.raises(ValueError, match=r"noise_rate=0.7 exceeds 0.666667 .*K=3"):
        SymmetricLabelNoise(0.7).fit_resample(X, y)
    # At the bound the labels are uniform and independent of the truth: allowed.
    SymmetricLabelNoise(2 / 3).fit_resample(X, y)
    # Redrawing from all classes never makes a wrong class the likeliest: allowed.
    sampler = SymmetricLabelNoise(1.0, exclude_true=False, random_state=0)
    sampler.fit_resample(X, y)
    np.testing.assert_allclose(sampler.transition_matrix_, np.full((3, 3), 1 / 3))


def test_pair_flip_rate_above_half():
    with pytest.raises(ValueError, match="exceeds 0.5 for pair-flip"):
        PairFlipLabelNoise(0.6).fit_resample(np.zeros((6, 1)), [0, 0, 1, 1, 2, 2])


@pytest.mark.parametrize(
    "sampler",
    [
        SymmetricLabelNoise(),
        PairFlipLabelNoise(),
        TransitionMatrixLabelNoise(symmetric_transition_matrix),
    ],
)
def test_single_class(sampler):
    with pytest.raises(ValueError, match="at least 2 classes.*y has 1 class"):
        sampler.fit_resample(np.zeros((5, 1)), ["a"] * 5)


@pytest.mark.parametrize(
    "matrix, message",
    [
        ([[0.5, 0.5, 0.0], [0.5, 0.5, 0.0]], r"square 2-D array .* shape \(2, 3\)"),
        ([0.5, 0.5], r"square 2-D array .* shape \(2,\)"),
        (np.eye(3), r"shape \(3, 3\) but y has 2 classes \[0, 1\]"),
        ([[1.2, -0.2], [0.0, 1.0]], r"negative entries .* -0.2 at \[0, 1\]"),
        ([[0.5, 0.4], [0.0, 1.0]], r"row of transition_matrix must sum to 1"),
        ([[0.9, 0.1], [0.9, 0.1]], None),  # column sums are not 1: fine
        ([[np.nan, 1.0], [0.0, 1.0]], "finite"),
        ([["a", "b"], ["c", "d"]], "numeric"),
        (
            partial(symmetric_transition_matrix, noise_rate=2.0),
            r"noise_rate .*\[0, 1\]",
        ),
    ],
)
def test_bad_transition_matrix(matrix, message):
    sampler = TransitionMatrixLabelNoise(matrix)
    X, y = np.zeros((6, 1)), [0, 0, 0, 1, 1, 1]
    if message is None:
        sampler.fit_resample(X, y)
        return
    with pytest.raises(ValueError, match=message):
        sampler.fit_resample(X, y)


def test_cleanlab_orientation_hint():
    # A column-stochastic (cleanlab) matrix gets told to transpose.
    noise_matrix = np.array([[0.8, 0.3], [0.2, 0.7]])
    with pytest.raises(ValueError, match="pass its transpose"):
        TransitionMatrixLabelNoise(noise_matrix).fit_resample(
            np.zeros((4, 1)), [0, 0, 1, 1]
        )
    TransitionMatrixLabelNoise(noise_matrix.T).fit_resample(
        np.zeros((4, 1)), [0, 0, 1, 1]
    )


def test_bad_targets_and_lengths():
    X = np.zeros((6, 1))
    with pytest.raises(ValueError, match="Unknown label type"):
        SymmetricLabelNoise().fit_resample(X, np.linspace(0, 1, 6))
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        SymmetricLabelNoise().fit_resample(X, [0, 1, 0, 1])


def test_flip_labels_arguments():
    y = [0, 1, 2] * 4
    with pytest.raises(ValueError, match="noise_type must be"):
        flip_labels(y, noise_type="asymmetric")
    with pytest.raises(ValueError, match="needs a transition_matrix"):
        flip_labels(y, noise_type="matrix")
    with pytest.raises(ValueError, match='only used with noise_type="matrix"'):
        flip_labels(y, transition_matrix=np.eye(3))
    with pytest.raises(InvalidParameterError, match="noise_rate"):
        flip_labels(y, 3.0)
    out = flip_labels(y, noise_type="matrix", transition_matrix=np.eye(3)[[1, 2, 0]])
    assert out == [1, 2, 0] * 4
    assert (
        flip_labels(y, 0.25, noise_type="pair", random_state=0)
        == (
            PairFlipLabelNoise(0.25, random_state=0).fit_resample(np.zeros((12, 1)), y)[
                1
            ]
        )
    )


# --------------------------------------------------------------------------------
# Pipelines: noise at fit time only; scoring folds see clean labels.


class _Log:
    """Shared record of what the spies saw (GridSearchCV clones the estimator)."""

    fit_calls: list = []
    score_calls: list = []


def _spy_fit(self, X, y, **kwargs):
    _Log.fit_calls.append((np.asarray(X).copy(), np.asarray(y).copy()))
    return super(type(self), self).fit(X, y, **kwargs)


def _spy_score(self, X, y, **kwargs):
    _Log.score_calls.append((np.asarray(X).copy(), np.asarray(y).copy()))
    return super(type(self), self).score(X, y, **kwargs)


class SpyNMTune(NMTuneClassifier):
    """NMTuneClassifier that records the labels it is fitted and scored on."""

    fit = _spy_fit
    score = _spy_score


def _digits_subset():
    # Real data: the scikit-learn digits (8x8 images), 4 classes, 300 distinct rows
    # (distinct, so that a row identifies its clean label).
    X, y = load_digits(return_X_y=True)
    keep = np.isin(y, [0, 1, 2, 3])
    return X[keep][:300], y[keep][:300]


def _assert_scores_clean_and_fits_noisy(X, y, noise_rates):
    clean = {row.tobytes(): label for row, label in zip(X, y, strict=True)}
    assert _Log.score_calls, "GridSearchCV never called score"
    for X_seen, y_seen in _Log.score_calls:
        assert np.array_equal(y_seen, [clean[row.tobytes()] for row in X_seen])
    n_noisy_fits = 0
    for X_seen, y_seen in _Log.fit_calls:
        truth = np.array([clean[row.tobytes()] for row in X_seen])
        changed = _per_class_changes(truth, y_seen)
        counts = {c: int(np.sum(truth == c)) for c in changed}
        # Each fit saw exactly one of the grid's noise rates, applied per class.
        assert any(
            all(changed[c] == _round_half_up(r * counts[c]) for c in changed)
            for r in noise_rates
        )
        n_noisy_fits += any(changed.values())
    assert n_noisy_fits > 0


def test_grid_search_scores_on_clean_labels():
    X, y = _digits_subset()
    noise_rates = [0.0, 0.3]
    spy = SpyNMTune(max_epochs=3, batch_size=64, random_state=0, device="cpu")
    pipe = Pipeline([("noise", SymmetricLabelNoise(0.3, random_state=0)), ("clf", spy)])
    search = GridSearchCV(
        pipe,
        {"noise__noise_rate": noise_rates, "clf__lambda_cov": [0.0, 0.01]},
        cv=StratifiedKFold(2, shuffle=True, random_state=0),
        error_score="raise",
    )
    _Log.fit_calls.clear()
    _Log.score_calls.clear()
    search.fit(X, y)
    assert len(_Log.score_calls) == 2 * 4  # folds x candidates, no train scores
    assert len(_Log.fit_calls) == 2 * 4 + 1  # + the refit
    _assert_scores_clean_and_fits_noisy(X, y, noise_rates)
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()
    # Predicting never runs the sampler: its mask is still the refit's.
    n_before = len(search.best_estimator_["noise"].noise_mask_)
    search.predict(X[:10])
    assert len(search.best_estimator_["noise"].noise_mask_) == n_before == len(y)


def test_pair_flip_at_its_bound_flips_half_of_each_class_to_the_next():
    # 0.5 is PairFlipLabelNoise's (K-1)/K-like limit: allowed, and exact.
    X, y = np.zeros((6, 1)), np.array([0, 0, 1, 1, 2, 2])
    _, y_noisy = PairFlipLabelNoise(0.5, random_state=0).fit_resample(X, y)
    flipped = y_noisy != y
    assert [flipped[y == c].sum() for c in range(3)] == [1, 1, 1]
    np.testing.assert_array_equal(y_noisy[flipped], (y[flipped] + 1) % 3)
