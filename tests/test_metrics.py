"""Tests for sknml.metrics: spectra against a float64 SVD, inputs, degenerate cases."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.utils._param_validation import InvalidParameterError

from sknml import NMTuneClassifier, _linalg
from sknml.metrics import (
    largest_singular_value_ratio,
    neg_lsvr_scorer,
    singular_value_entropy,
    singular_values,
    sve_scorer,
)

CENTERS = ["columns", "rows", None]


@pytest.fixture
def rng():
    return np.random.default_rng(0)


def _prepared(X, normalize, center):
    """The matrix the paper analyzes, built the obvious slow way."""
    A = np.array(X, dtype=np.float64)
    if normalize:
        norms = np.linalg.norm(A, axis=1, keepdims=True)
        A = A / np.where(norms == 0, 1.0, norms)
    if center == "columns":
        A = A - A.mean(axis=0)
    elif center == "rows":
        A = A - A.mean(axis=1, keepdims=True)
    return A


def _reference(X, normalize, center):
    return np.linalg.svd(_prepared(X, normalize, center), compute_uv=False)


def _reference_sve_lsvr(s):
    p = s / s.sum()
    p_pos = p[p > 0]
    return -(p_pos * np.log(p_pos)).sum(), -np.log(p[0])


def _random_matrix(seed, n_samples, n_features, offset, dtype=np.float64):
    # Columns on scales spanning e^-2..e^2 plus a common offset, so that centering
    # and normalization both matter.
    gen = np.random.default_rng(seed)
    scales = np.exp(gen.uniform(-2, 2, size=n_features))
    X = gen.standard_normal((n_samples, n_features)) * scales + offset
    return X.astype(dtype)


shapes = st.tuples(st.integers(1, 40), st.integers(1, 40))


@settings(max_examples=150, deadline=None)
@given(
    shape=shapes,
    seed=st.integers(0, 2**32 - 1),
    offset=st.sampled_from([0.0, 1.0, 100.0]),
    normalize=st.booleans(),
    center=st.sampled_from(CENTERS),
)
def test_matches_float64_svd(shape, seed, offset, normalize, center):
    X = _random_matrix(seed, *shape, offset)
    ref = _reference(X, normalize, center)
    s = singular_values(X, normalize=normalize, center=center)
    assert s.shape == (min(shape),)
    assert s.dtype == np.float64
    assert np.all(np.diff(s) <= 0)
    assert_allclose(s, ref, rtol=1e-9, atol=1e-9 * ref[0])
    if ref[0] > 1e-12 * max(1.0, np.abs(X).max()):
        sve, lsvr = _reference_sve_lsvr(ref)
        got_sve = singular_value_entropy(X, normalize=normalize, center=center)
        got_lsvr = largest_singular_value_ratio(X, normalize=normalize, center=center)
        # Numerically-zero singular values (below 1e-9 * s_1 in the reference,
        # exact zeros here) move SVE and LSVR by far less than 1e-9.
        assert_allclose(got_sve, sve, rtol=1e-9, atol=1e-9)
        assert_allclose(got_lsvr, lsvr, rtol=1e-9, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    shape=shapes,
    seed=st.integers(0, 2**32 - 1),
    chunk_rows=st.integers(1, 45),
    center=st.sampled_from(CENTERS),
    as_list=st.booleans(),
)
def test_chunked_equals_in_memory(shape, seed, chunk_rows, center, as_list):
    X = _random_matrix(seed, *shape, offset=1.0)
    chunks = (X[i : i + chunk_rows] for i in range(0, shape[0], chunk_rows))
    streamed = singular_values(list(chunks) if as_list else chunks, center=center)
    in_memory = singular_values(X, center=center)
    assert_allclose(streamed, in_memory, rtol=1e-9, atol=1e-9 * in_memory[0])


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**32 - 1), center=st.sampled_from(CENTERS))
def test_torch_equals_numpy(shape, seed, center):
    X = _random_matrix(seed, *shape, offset=1.0, dtype=np.float32)
    from_numpy = singular_values(X, center=center)
    from_torch = singular_values(torch.from_numpy(X.copy()), center=center)
    assert_allclose(from_torch, from_numpy, rtol=1e-9, atol=1e-9 * from_numpy[0])


def test_torch_chunks_and_spectral_values(rng):
    X = torch.from_numpy(rng.normal(size=(60, 7)))
    chunks = [X[:25], X[25:]]
    assert_allclose(
        singular_values(chunks), singular_values(X.numpy()), rtol=1e-12, atol=1e-14
    )
    assert_allclose(
        singular_value_entropy(X), singular_value_entropy(X.numpy()), rtol=1e-12
    )
    # A tensor inside an autograd graph is measured, not differentiated.
    assert_allclose(
        singular_values(X.clone().requires_grad_()), singular_values(X.numpy())
    )


@pytest.mark.cuda
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_tensor_computed_on_device(rng):
    X = rng.normal(size=(500, 30)).astype(np.float32)
    s = singular_values(torch.from_numpy(X).cuda())
    assert_allclose(s, singular_values(X), rtol=1e-9, atol=1e-9 * s[0])


def test_float32_is_not_copied_whole(rng, monkeypatch):
    import tracemalloc

    monkeypatch.setattr(_linalg, "CHUNK_VALUES", 2**12)
    X = rng.normal(size=(20_000, 32)).astype(np.float32)
    tracemalloc.start()
    try:
        singular_values(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A float64 copy of X would alone take 2 * X.nbytes.
    assert peak < X.nbytes / 4


def test_memmap_matches_array(rng, tmp_path, monkeypatch):
    monkeypatch.setattr(_linalg, "CHUNK_VALUES", 2**10)
    X = rng.normal(size=(300, 12)).astype(np.float32)
    path = tmp_path / "features.f32"
    X.tofile(path)
    mm = np.memmap(path, dtype=np.float32, mode="r", shape=X.shape)
    assert_allclose(singular_values(mm), singular_values(X), rtol=1e-12)


def test_list_and_dataframe_inputs(rng):
    pd = pytest.importorskip("pandas")
    X = rng.normal(size=(20, 4))
    expected = singular_values(X)
    assert_allclose(singular_values(X.tolist()), expected, rtol=1e-12)
    assert_allclose(singular_values(pd.DataFrame(X)), expected, rtol=1e-12)
    assert_allclose(
        singular_values(X.astype(int)), singular_values(X.astype(int) * 1.0)
    )


def test_sve_and_lsvr_bounds(rng):
    X = rng.normal(size=(50, 10))
    sve = singular_value_entropy(X)
    lsvr = largest_singular_value_ratio(X)
    # Min-entropy never exceeds Shannon entropy, which never exceeds log(rank).
    assert 0 <= lsvr <= sve <= np.log(10)


def test_flat_spectrum_has_maximal_entropy():
    X = np.eye(6)
    assert_allclose(singular_value_entropy(X, center=None), np.log(6), rtol=1e-12)
    assert_allclose(largest_singular_value_ratio(X, center=None), np.log(6))


def test_scaling_does_not_change_sve_without_normalize(rng):
    X = rng.normal(size=(30, 5))
    a = singular_value_entropy(X, normalize=False)
    b = singular_value_entropy(1e3 * X, normalize=False)
    assert_allclose(a, b, rtol=1e-12)


def test_zero_rows_do_not_divide_by_zero(rng):
    X = rng.normal(size=(20, 5))
    X[[3, 7]] = 0.0
    with np.errstate(all="raise"):
        s = singular_values(X)
    assert np.isfinite(s).all()
    assert_allclose(s, _reference(X, True, "columns"), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_normalize_keeps_huge_and_tiny_rows(rng, scale):
    X = rng.normal(size=(30, 4))
    Y = X.copy()
    Y[::3] *= scale
    with np.errstate(all="raise"):
        s = singular_values(Y)
    assert_allclose(s, singular_values(X), rtol=1e-12)


def test_rank_one_has_zero_sve_and_lsvr(rng):
    u = rng.normal(size=(40, 1))
    v = rng.normal(size=(1, 6))
    X = u @ v
    s = singular_values(X, normalize=False, center=None)
    assert s[0] > 0 and np.all(s[1:] == 0)
    assert singular_value_entropy(X, normalize=False, center=None) == 0.0
    assert largest_singular_value_ratio(X, normalize=False, center=None) == 0.0


@pytest.mark.parametrize(
    "X, kwargs",
    [
        (np.full((10, 4), 3.0), {}),  # constant matrix
        (np.zeros((10, 4)), {"center": None}),  # all-zero rows
        (np.ones((1, 4)), {}),  # one sample, column-centered
        (np.ones((10, 1)), {}),  # one positive feature: normalized rows all 1
        # Rows all pointing one way: centering leaves round-off only.
        (np.tile(np.arange(1.0, 11.0), (300, 1)) * np.linspace(1, 3, 300)[:, None], {}),
        (np.full((5, 40), 0.3), {}),  # N < D: the N x N path
    ],
)
def test_all_zero_spectrum_raises_clearly(X, kwargs):
    s = singular_values(X, **kwargs)
    assert np.all(s == 0)
    for metric in (singular_value_entropy, largest_singular_value_ratio):
        with pytest.raises(ValueError, match="undefined"):
            metric(X, **kwargs)


def test_single_sample_without_column_centering():
    X = np.array([[3.0, 4.0]])
    assert_allclose(singular_values(X, center=None), [1.0])
    assert singular_value_entropy(X, center=None) == 0.0
    assert largest_singular_value_ratio(X, center=None) == 0.0


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.array([[1.0, np.nan], [0.0, 1.0]]), ValueError, "NaN"),
        (np.array([[1.0, np.inf], [0.0, 1.0]]), ValueError, "NaN or infinity"),
        (np.arange(5.0), ValueError, "2-D.*reshape"),
        (np.ones((2, 2, 2)), ValueError, "2-D"),
        (np.ones((0, 3)), ValueError, "empty"),
        (np.ones((3, 0)), ValueError, "empty"),
        (np.array([[1, "a"]], dtype=object), ValueError, "object dtype"),
        (np.array([["a", "b"]]), ValueError, "non-numeric"),
        (np.ones((3, 2), dtype=complex), ValueError, "complex"),
        (3.0, ValueError, "scalar"),
        (iter([]), ValueError, "empty iterable"),
        ([np.ones((3, 2)), np.ones((3, 3))], ValueError, "same number of columns"),
        ((c for c in [np.ones((3, 2)), np.ones(2)]), ValueError, "chunk 1.*2-D"),
        (torch.ones(4), ValueError, "2-D"),
        (torch.tensor([[float("nan"), 1.0]]), ValueError, "NaN"),
        ([np.ones((3, 2)), torch.ones(3, 2)], TypeError, "one kind"),
    ],
)
def test_bad_input_raises_clearly(X, error, match):
    with pytest.raises(error, match=match):
        singular_values(X)


def test_sparse_input_is_rejected():
    sparse = pytest.importorskip("scipy.sparse")
    with pytest.raises(TypeError, match="Sparse"):
        singular_values(sparse.eye(3, format="csr"))


@pytest.mark.parametrize(
    "kwargs", [{"center": "both"}, {"normalize": "yes"}, {"center": 0}]
)
def test_bad_parameters_raise(kwargs):
    with pytest.raises(InvalidParameterError):
        singular_values(np.ones((3, 2)), **kwargs)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_overflow_raises(rng):
    X = rng.normal(size=(10, 3)) * 1e200
    with pytest.raises(ValueError, match="overflows"):
        singular_values(X, normalize=False)


def _classification_data(rng):
    X = rng.normal(size=(90, 6)).astype(np.float32)
    y = (X[:, 0] + 0.5 * X[:, 1] > 0).astype(int)
    return X, y


def test_scorers_score_transform_else_input(rng):
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression

    X, y = _classification_data(rng)
    pca = PCA(n_components=3).fit(X)
    assert_allclose(sve_scorer(pca, X, y), singular_value_entropy(pca.transform(X)))
    clf = LogisticRegression().fit(X, y)
    assert_allclose(neg_lsvr_scorer(clf, X), -largest_singular_value_ratio(X))
    assert repr(sve_scorer) == "sve_scorer"
    assert repr(neg_lsvr_scorer) == "neg_lsvr_scorer"


def test_scorers_in_cross_validate_and_grid_search(rng):
    X, y = _classification_data(rng)
    model = NMTuneClassifier(max_epochs=2, batch_size=32, random_state=0)
    scores = cross_validate(
        model, X, y, cv=2, scoring={"sve": sve_scorer, "neg_lsvr": neg_lsvr_scorer}
    )
    assert np.isfinite(scores["test_sve"]).all()
    assert (-scores["test_neg_lsvr"] <= scores["test_sve"]).all()

    search = GridSearchCV(
        model,
        {"n_layers": [0, 1]},
        scoring={"accuracy": "accuracy", "sve": sve_scorer},
        refit="accuracy",
        cv=2,
        error_score="raise",
    ).fit(X, y)
    assert np.isfinite(search.cv_results_["mean_test_sve"]).all()
    assert np.isfinite(search.cv_results_["mean_test_accuracy"]).all()
    assert search.best_params_["n_layers"] in (0, 1)


@settings(max_examples=60, deadline=None)
@given(
    n_rows=st.integers(1, 400),
    n_cols=st.integers(1, 50),
    seed=st.integers(0, 2**32 - 1),
    log_scale=st.floats(-100, 100),
)
def test_rows_pointing_one_way_have_an_undefined_spectrum(
    n_rows, n_cols, seed, log_scale
):
    rng = np.random.default_rng(seed)
    direction = rng.uniform(0.5, 2.0, n_cols) * 10.0**log_scale
    X = np.tile(direction, (n_rows, 1)) * rng.uniform(0.1, 10, (n_rows, 1))
    assert np.all(singular_values(X) == 0)
    with pytest.raises(ValueError, match="undefined"):
        singular_value_entropy(X)


def test_neg_lsvr_scorer_makes_a_search_pick_the_lowest_lsvr(rng):
    from sklearn.decomposition import PCA

    X = rng.normal(size=(200, 8)) * np.arange(1, 9)
    search = GridSearchCV(
        PCA(), {"n_components": [1, 4, 8]}, scoring=neg_lsvr_scorer, cv=2
    ).fit(X)
    # One component: rank one, LSVR 0, the lowest possible.
    assert search.best_params_ == {"n_components": 1}
    assert search.best_score_ == 0.0
