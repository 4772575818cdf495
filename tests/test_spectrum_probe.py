"""Tests for sknml.SpectrumProbe, the pass-through spectrum recorder."""

import numpy as np
import pytest
import scipy.sparse
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.decomposition import PCA
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils._param_validation import InvalidParameterError

from sknml import NMTuneClassifier, SpectrumProbe
from sknml.metrics import (
    largest_singular_value_ratio,
    singular_value_entropy,
    singular_values,
)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.mark.parametrize("center", ["columns", "rows", None])
@pytest.mark.parametrize("normalize", [True, False])
def test_fit_records_the_spectrum(rng, normalize, center):
    X = rng.normal(size=(40, 6)) + 1.0
    probe = SpectrumProbe(normalize=normalize, center=center).fit(X)
    kwargs = {"normalize": normalize, "center": center}
    assert_allclose(probe.singular_values_, singular_values(X, **kwargs))
    assert probe.sve_ == singular_value_entropy(X, **kwargs)
    assert probe.lsvr_ == largest_singular_value_ratio(X, **kwargs)
    assert probe.n_features_in_ == 6


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_transform_returns_input_unchanged(rng, dtype):
    X = rng.normal(size=(25, 4)).astype(dtype)
    Xt = SpectrumProbe().fit_transform(X)
    assert Xt.dtype == dtype
    assert_array_equal(Xt, X)


def test_pandas_output_and_feature_names(rng):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(rng.normal(size=(30, 3)), columns=["a", "b", "c"])
    probe = SpectrumProbe().set_output(transform="pandas").fit(X)
    out = probe.transform(X)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["a", "b", "c"]
    assert_array_equal(out.to_numpy(), X.to_numpy())
    assert_array_equal(probe.get_feature_names_out(), ["a", "b", "c"])
    unnamed = SpectrumProbe().fit(X.to_numpy())
    assert_array_equal(unnamed.get_feature_names_out(), ["x0", "x1", "x2"])


def test_probes_before_and_after_a_reduction(rng):
    X = rng.normal(size=(200, 10))
    pipe = make_pipeline(SpectrumProbe(), PCA(n_components=2), SpectrumProbe())
    Z = pipe.fit_transform(X)
    assert Z.shape == (200, 2)
    assert pipe[0].singular_values_.shape == (10,)
    assert pipe[2].singular_values_.shape == (2,)
    # Two directions cannot be flatter than ten roughly equal ones.
    assert pipe[2].sve_ <= np.log(2) < pipe[0].sve_


def test_raw_and_tuned_features_in_one_pipeline(rng):
    X = rng.normal(size=(120, 8)).astype(np.float32)
    y = (X[:, 0] - X[:, 1] > 0).astype(int)
    pipe = Pipeline(
        [
            ("raw", SpectrumProbe()),
            ("tune", NMTuneClassifier(max_epochs=2, batch_size=32, random_state=0)),
            ("tuned", SpectrumProbe()),
        ]
    ).fit(X, y)
    Z = pipe.transform(X)
    assert Z.shape == (120, 8)
    assert_allclose(pipe["tuned"].sve_, singular_value_entropy(Z), rtol=1e-12)
    for step in ("raw", "tuned"):
        assert 0 <= pipe[step].lsvr_ <= pipe[step].sve_ <= np.log(8)


def test_all_zero_spectrum_warns_and_stores_nan():
    with pytest.warns(UserWarning, match="NaN"):
        probe = SpectrumProbe().fit(np.ones((5, 3)))
    assert np.all(probe.singular_values_ == 0)
    assert np.isnan(probe.sve_) and np.isnan(probe.lsvr_)


@pytest.mark.parametrize("params", [{"center": "both"}, {"normalize": 1.5}])
def test_bad_parameters_raise(params):
    with pytest.raises(InvalidParameterError):
        SpectrumProbe(**params).fit(np.ones((3, 2)))


@pytest.mark.parametrize(
    "X, match",
    [
        (np.array([[1.0, np.nan], [0.0, 1.0]]), "NaN"),
        (np.arange(4.0), "2D array"),
        (np.ones((0, 3)), "0 sample"),
    ],
)
def test_bad_input_raises(X, match):
    with pytest.raises(ValueError, match=match):
        SpectrumProbe().fit(X)


def test_transform_checks_feature_count(rng):
    probe = SpectrumProbe().fit(rng.normal(size=(10, 3)))
    with pytest.raises(ValueError, match="features"):
        probe.transform(rng.normal(size=(10, 4)))


def test_rows_pointing_one_way_warn_and_store_nan():
    # Normalized, the rows are one vector: centering leaves round-off only.
    X = np.tile(np.arange(1.0, 11.0), (300, 1)) * np.linspace(1, 3, 300)[:, None]
    with pytest.warns(UserWarning, match="Every singular value"):
        probe = SpectrumProbe().fit(X)
    assert np.isnan(probe.sve_) and np.isnan(probe.lsvr_)
    assert np.all(probe.singular_values_ == 0)


@pytest.mark.parametrize(
    "X, error, match",
    [
        (np.ones((4, 3)) * 1j, ValueError, "Complex"),
        (scipy.sparse.eye(4, format="csr"), TypeError, "dense data is required"),
    ],
)
def test_complex_and_sparse_input_raise(X, error, match):
    with pytest.raises(error, match=match):
        SpectrumProbe().fit(X)
