"""sknml on a dask.distributed LocalCluster: searches and spectra on the workers."""

import subprocess
import sys

import numpy as np
import pytest

distributed = pytest.importorskip("distributed")
da = pytest.importorskip("dask.array")

from joblib import parallel_backend  # noqa: E402
from sklearn.model_selection import GridSearchCV  # noqa: E402

from sknml import NMTuneClassifier, NMTuneClassifierCV, SpectrumProbe  # noqa: E402
from sknml.metrics import (  # noqa: E402
    largest_singular_value_ratio,
    singular_value_entropy,
    singular_values,
)

# Two test sessions side by side (pytest -n 2) each start a cluster; the second's
# metrics HTTP server (127.0.0.1 only) then moves off the default port.
pytestmark = pytest.mark.filterwarnings("ignore:Port 8787 is already in use")

# Tiny fits: the point is where they run, not what they learn.
_FAST = {"max_epochs": 2, "batch_size": 16, "device": "cpu"}


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as c,
    ):
        yield c


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(48, 6)).astype(np.float32)
    y = (X[:, 0] + 0.5 * rng.normal(size=48) > 0).astype(int)
    return X, y


def _search_scores(X, y, n_jobs):
    search = GridSearchCV(
        NMTuneClassifier(random_state=0, **_FAST),
        {"lambda_svd": [0.0, 0.01], "n_layers": [0, 1]},
        cv=2,
        n_jobs=n_jobs,
    )
    search.fit(X, y)
    keys = [k for k in search.cv_results_ if k.startswith("split")]
    return {k: search.cv_results_[k] for k in keys}


def test_grid_search_on_cluster_matches_local(client, data):
    X, y = data
    local = _search_scores(X, y, n_jobs=1)
    with parallel_backend("dask"), distributed.get_task_stream(client) as tasks:
        remote = _search_scores(X, y, n_jobs=-1)
    # The fits ran as tasks on the workers.
    assert len(tasks.data) >= 8
    assert local.keys() == remote.keys()
    for key in local:
        np.testing.assert_array_equal(remote[key], local[key])


def test_tuner_cv_on_cluster_matches_local(client, data):
    X, y = data
    grid = [{"n_layers": [0]}, {"n_layers": [1], **{k: [v] for k, v in _FAST.items()}}]

    def fitted(n_jobs):
        return NMTuneClassifierCV(
            grid, cv=2, n_jobs=n_jobs, device="cpu", random_state=0
        ).fit(X, y)

    local = fitted(1)
    with parallel_backend("dask"):
        remote = fitted(-1)
    np.testing.assert_array_equal(
        remote.cv_results_["mean_test_score"], local.cv_results_["mean_test_score"]
    )
    assert remote.best_params_ == local.best_params_
    np.testing.assert_array_equal(remote.predict_proba(X), local.predict_proba(X))


def _matrix(n_samples, n_features, seed=0):
    rng = np.random.default_rng(seed)
    # Correlated columns with a large common offset: a spectrum with spread-out
    # values and a mean that centering must remove accurately.
    mixing = rng.normal(size=(n_features, n_features))
    return rng.normal(size=(n_samples, n_features)) @ mixing + 5.0


@pytest.mark.parametrize("center", ["columns", "rows", None])
@pytest.mark.parametrize("normalize", [True, False])
def test_spectrum_of_dask_array_matches_numpy(client, normalize, center):
    X = _matrix(700, 12)
    # Uneven row blocks, split columns (rechunked), and an empty block.
    dX = da.concatenate(
        [
            da.from_array(X[:300], chunks=(130, 5)),
            da.zeros((0, 12)),
            da.from_array(X[300:], chunks=(90, 12)),
        ]
    )
    got = singular_values(dX, normalize=normalize, center=center)
    expected = singular_values(X, normalize=normalize, center=center)
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=0)
    assert singular_value_entropy(dX) == pytest.approx(
        singular_value_entropy(X), rel=1e-10
    )
    assert largest_singular_value_ratio(dX) == pytest.approx(
        largest_singular_value_ratio(X), rel=1e-10
    )


def test_spectrum_of_generated_dask_array_never_leaves_the_workers(client):
    # Blocks drawn on the workers; only D x D summaries travel.
    dX = da.random.default_rng(1).normal(size=(5000, 8), chunks=(500, 8))
    s = singular_values(dX)
    np.testing.assert_allclose(s, singular_values(dX.compute()), rtol=1e-10)


def test_wide_dask_array_matches_numpy(client):
    X = _matrix(5, 12)
    got = singular_values(da.from_array(X, chunks=(2, 5)))
    np.testing.assert_allclose(got, singular_values(X), rtol=1e-10)


def test_dask_array_errors_match_numpy(client):
    X = _matrix(40, 4)
    X[33, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or infinity"):
        singular_values(da.from_array(X, chunks=(10, 4)))
    with pytest.raises(ValueError, match="2-D"):
        singular_values(da.ones(5))
    with pytest.raises(ValueError, match="complex"):
        singular_values(da.ones((5, 2), dtype=complex))


def test_spectrum_probe_on_dask_array(client):
    X = _matrix(400, 6)
    dX = da.from_array(X, chunks=(100, 6))
    probe = SpectrumProbe().fit(dX)
    reference = SpectrumProbe().fit(X)
    np.testing.assert_allclose(
        probe.singular_values_, reference.singular_values_, rtol=1e-10
    )
    assert probe.sve_ == pytest.approx(reference.sve_, rel=1e-10)
    assert probe.n_features_in_ == 6
    # transform stays lazy and checks the number of features.
    assert probe.transform(dX) is dX
    with pytest.raises(ValueError, match="features"):
        probe.transform(da.ones((3, 5)))


def test_sknml_works_without_dask():
    # dask stays optional: with it blocked, sknml imports and NumPy spectra work.
    code = (
        "import sys; sys.modules['dask'] = sys.modules['distributed'] = None\n"
        "import numpy as np, sknml\n"
        "from sknml.metrics import singular_values\n"
        "print(singular_values(np.eye(3)).shape)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "(3,)"
    assert "dask" not in result.stderr
