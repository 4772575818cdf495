"""NMTuneClassifier: behaviour, composition, persistence and input checking."""

import _thread
import io
import re
import signal
import subprocess
import sys
import threading

import joblib
import numpy as np
import pytest
import scipy.sparse
import skorch
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.datasets import load_digits, make_blobs
from sklearn.exceptions import FitFailedWarning, NotFittedError
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.utils._param_validation import InvalidParameterError
from skorch.exceptions import DeviceWarning

import sknml._callbacks
import sknml._network
from sknml import NMTuneClassifier, SpectrumProbe

# A short fixed schedule: enough to learn the small problems below.
FAST = {"max_epochs": 5, "early_stopping": False, "random_state": 0}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def fitted(digits):
    X, y = digits
    return NMTuneClassifier(**FAST).fit(X[:600], y[:600])


def test_learns_digits_with_every_method(digits):
    X, y = digits
    mlp = {"lambda_mse": 0, "lambda_cov": 0, "lambda_svd": 0}
    for params in ({"n_layers": 0}, mlp, {}):
        clf = NMTuneClassifier(random_state=0, **params)
        assert clf.fit(X[:1200], y[:1200]).score(X[1200:], y[1200:]) > 0.88, params


def test_svd_top_k_beyond_the_batch_rank_averages_every_singular_value():
    X, y = make_blobs(60, n_features=2, centers=2, random_state=0)
    clf = NMTuneClassifier(svd_top_k=5, max_epochs=3, random_state=0).fit(X, y)
    assert np.isfinite(clf.history_[-1, "train_loss"])


@pytest.mark.parametrize("labels", [["cat", "dog", "emu"], [-5, 10, 1000]])
def test_any_label_type_round_trips(digits, labels):
    X, y = digits
    mask = y < 3
    y_mapped = np.asarray(labels, dtype=object if isinstance(labels[0], str) else None)
    y_mapped = y_mapped[y[mask]]
    clf = NMTuneClassifier(**FAST).fit(X[mask], y_mapped)
    assert list(clf.classes_) == sorted(labels)
    assert set(clf.predict(X[mask])) <= set(labels)
    assert clf.score(X[mask], y_mapped) > 0.8


def test_output_shapes_and_consistency(fitted, digits):
    X, _ = digits
    proba = fitted.predict_proba(X[:50])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)  # float32 X
    np.testing.assert_allclose(
        np.exp(fitted.predict_log_proba(X[:50])), proba, rtol=1e-5, atol=1e-12
    )
    scores = fitted.decision_function(X[:50])
    assert scores.shape == (50, 10)
    np.testing.assert_array_equal(
        fitted.classes_[scores.argmax(axis=1)], fitted.predict(X[:50])
    )
    Z = fitted.transform(X[:50])
    assert Z.shape == (50, 64) and Z.dtype == np.float32
    assert fitted.n_iter_ == 5 == len(fitted.history_) == fitted.best_epoch_


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_predictions_are_computed_in_the_dtype_of_x(fitted, digits, dtype):
    X, _ = digits
    X = X[:100].astype(dtype)
    for method in (
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "transform",
    ):
        assert getattr(fitted, method)(X).dtype == dtype, method
    np.testing.assert_allclose(
        fitted.predict_proba(X),
        fitted.predict_proba(X.astype(np.float64)),
        atol=1e-5,
    )


def test_float64_rows_predict_the_same_alone_or_in_a_batch(fitted, digits):
    X, _ = digits
    X = X[:64].astype(np.float64)
    together = fitted.predict_proba(X)
    alone = np.vstack([fitted.predict_proba(X[i : i + 1]) for i in range(len(X))])
    np.testing.assert_allclose(together, alone, rtol=1e-12)


def test_predictions_over_several_chunks_agree_with_each_other(fitted, digits):
    # More rows than one chunk of _forward: every method sees the same logits.
    X, _ = digits
    X = np.tile(X, (3, 1))[: sknml._network._CHUNK_ROWS + 123]
    proba = fitted.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_allclose(
        fitted.predict_log_proba(X), np.log(proba), rtol=1e-4, atol=1e-5
    )
    np.testing.assert_array_equal(
        fitted.predict(X), fitted.classes_[proba.argmax(axis=1)]
    )
    np.testing.assert_allclose(
        proba[-200:], fitted.predict_proba(X[-200:]), rtol=1e-5, atol=1e-7
    )


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"n_layers": 1},
        {"n_layers": 3, "residual": False},
        {"batch_norm": False, "activation": "gelu", "standardize": True},
    ],
)
def test_predicted_logits_are_those_of_the_full_forward_pass(digits, params):
    # Prediction composes the last layer of g with the head (one product fewer);
    # a random start makes that layer non-zero from the first step.
    X, y = digits
    X = X.astype(np.float32)
    clf = NMTuneClassifier(**{**FAST, "max_epochs": 2, "init": "random", **params})
    clf.fit(X[:500], y[:500])
    with torch.inference_mode():
        full = clf.net_.module_(torch.from_numpy(X))[0].numpy()
    np.testing.assert_allclose(
        clf.decision_function(X), full, rtol=1e-5, atol=1e-5 * np.abs(full).max()
    )
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[full.argmax(axis=1)])


def test_net_is_a_skorch_net_on_raw_features(fitted, digits):
    X, _ = digits
    assert isinstance(fitted.net_, skorch.NeuralNet)
    np.testing.assert_allclose(
        fitted.net_.predict_proba(X[:100]), fitted.predict_proba(X[:100]), atol=1e-6
    )


def test_binary_decision_function_is_one_dimensional(digits):
    X, y = digits
    mask = y < 2
    clf = NMTuneClassifier(**FAST).fit(X[mask], y[mask])
    scores = clf.decision_function(X[mask])
    assert scores.shape == (mask.sum(),)
    np.testing.assert_array_equal(
        clf.classes_[(scores > 0).astype(int)], clf.predict(X[mask])
    )


def test_linear_probe_transform_is_the_standardized_input(digits):
    X, y = digits
    clf = NMTuneClassifier(n_layers=0, **FAST).fit(X[:300], y[:300])
    module = clf.net_.module_.standardize
    expected = (X[:20] - module.mean.numpy()) / module.scale.numpy()
    np.testing.assert_allclose(clf.transform(X[:20]), expected, rtol=1e-5, atol=1e-6)


def test_float64_offset_is_removed_before_the_cast_to_float32():
    # float32 cannot hold 1e8 + signal of size 1: center first, as StandardScaler.
    rng = np.random.default_rng(0)
    centered = rng.standard_normal((400, 2))
    y = (centered[:, 0] > 0).astype(int)
    offset = centered + [1e8, 0.0]
    for params in ({"n_layers": 0}, FAST):
        plain = NMTuneClassifier(standardize=True, **params).fit(centered, y)
        moved = NMTuneClassifier(standardize=True, **params).fit(offset, y)
        np.testing.assert_allclose(
            moved.predict_proba(offset), plain.predict_proba(centered), atol=1e-3
        )


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_grid_search_over_regularizers_and_depth(digits, n_jobs):
    X, y = digits
    grid = GridSearchCV(
        NMTuneClassifier(max_epochs=10, random_state=0),
        {"n_layers": [0, 2], "lambda_cov": [0.0, 0.01], "svd_top_k": [1, 3]},
        cv=2,
        n_jobs=n_jobs,
    ).fit(X[:400], y[:400])
    assert len(grid.cv_results_["params"]) == 8
    assert np.isfinite(grid.cv_results_["mean_test_score"]).all()
    assert grid.best_estimator_.score(X[400:600], y[400:600]) > 0.7


def test_clone_and_set_params_between_fits(fitted, digits):
    X, y = digits
    copy = clone(fitted)
    assert not hasattr(copy, "net_") and copy.get_params() == fitted.get_params()
    copy.set_params(n_layers=0).fit(X[:300], y[:300])
    assert copy.net_.module_.tuner is None
    copy.set_params(n_layers=3, lambda_svd=0.0).fit(X[:300], y[:300])
    assert sum(isinstance(m, torch.nn.Linear) for m in copy.net_.module_.tuner) == 3


def test_joblib_round_trip_gives_identical_probabilities(fitted, digits, tmp_path):
    X, _ = digits
    joblib.dump(fitted, tmp_path / "model.joblib")
    loaded = joblib.load(tmp_path / "model.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))


@pytest.mark.skipif(torch.cuda.is_available(), reason="tests the no-CUDA fallback")
def test_a_cuda_trained_model_loads_and_predicts_without_cuda(fitted, digits):
    X, _ = digits
    expected = fitted.predict_proba(X[:20])
    trained_on_cuda = clone(fitted)
    trained_on_cuda.__dict__.update(fitted.__dict__)
    # What a CUDA fit leaves behind: the net and the estimator record 'cuda'.
    trained_on_cuda.net_ = joblib.load(_dumped(fitted.net_))
    trained_on_cuda.net_.device = "cuda"
    trained_on_cuda.device_ = "cuda"
    with pytest.warns(DeviceWarning, match="CUDA"):
        loaded = joblib.load(_dumped(trained_on_cuda))
    assert loaded.device_ == "cpu" == str(loaded.net_.device)
    np.testing.assert_array_equal(loaded.predict_proba(X[:20]), expected)


def _dumped(obj):
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    buffer.seek(0)
    return buffer


def test_same_seed_same_model_and_global_rng_untouched(digits):
    X, y = digits
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()
    first = NMTuneClassifier(**FAST).fit(X[:300], y[:300]).predict_proba(X[300:400])
    second = NMTuneClassifier(**FAST).fit(X[:300], y[:300]).predict_proba(X[300:400])
    np.testing.assert_array_equal(first, second)
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(np.random.get_state(), numpy_state, strict=True)
    )
    other = NMTuneClassifier(max_epochs=3, random_state=1).fit(X[:300], y[:300])
    assert not np.array_equal(other.predict_proba(X[300:400]), first)


def test_sample_weight_zero_ignores_those_samples(digits):
    X, y = digits
    X, y = X[:600], y[:600]
    corrupted = np.where(np.arange(600) % 2 == 0, (y + 1) % 10, y)
    weight = (np.arange(600) % 2 == 1).astype(float)
    clean = NMTuneClassifier(max_epochs=20, random_state=0)
    clean.fit(X, corrupted, sample_weight=weight)
    noisy = NMTuneClassifier(max_epochs=20, random_state=0).fit(X, corrupted)
    assert clean.score(X, y) > noisy.score(X, y) + 0.2


def test_verbose_shows_a_progress_bar(digits, capsys):
    X, y = digits
    NMTuneClassifier(verbose=1, **FAST).fit(X[:100], y[:100])
    assert "NMTune" in capsys.readouterr().err


def test_progress_bar_shows_the_loss_of_the_epoch_it_counts(digits, capsys):
    X, y = digits
    clf = NMTuneClassifier(verbose=1, **{**FAST, "max_epochs": 4}).fit(X[:200], y[:200])
    bar = capsys.readouterr().err
    shown = re.findall(r"(\d+)/4 \[[^]]*train_loss=(-?[\d.]+)\]", bar)
    assert shown
    for count, loss in shown:
        assert int(count) >= 1
        assert loss == f"{clf.history_[int(count) - 1]['train_loss']:.4f}"


def _degenerate_problems():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((257, 6)).astype(np.float32)
    y = rng.integers(0, 2, 257)
    yield "final batch of one row", X, y
    yield "duplicated rows", np.repeat(X[:2], 128, axis=0), np.repeat([0, 1], 128)
    yield "constant columns", np.hstack([X[:, :2], np.ones((257, 4))]), y
    rank_one = (X[:, :1] @ rng.standard_normal((1, 6))).astype(np.float32)
    yield "rank deficient", rank_one, y
    yield "one feature", X[:, :1], y


@pytest.mark.parametrize(("name", "X", "y"), list(_degenerate_problems()))
def test_degenerate_data_trains_without_nan(name, X, y):
    clf = NMTuneClassifier(batch_size=256, **{**FAST, "max_epochs": 3}).fit(X, y)
    losses = [row["train_loss"] for row in clf.history_]
    assert np.isfinite(losses).all(), name
    assert np.isfinite(clf.predict_proba(X)).all(), name
    for parameter in clf.net_.module_.parameters():
        assert torch.isfinite(parameter).all(), name


@pytest.mark.parametrize(
    ("X", "y", "params", "error", "match"),
    [
        ([[np.nan, 1.0], [1.0, 2.0]], [0, 1], {}, ValueError, "NaN"),
        ([[np.inf, 1.0], [1.0, 2.0]], [0, 1], {}, ValueError, "infinity"),
        ([1.0, 2.0, 3.0], [0, 1, 0], {}, ValueError, "2D array"),
        (np.ones((4, 2, 2)), [0, 1, 0, 1], {}, ValueError, "dim 3"),
        ([[1.0], [2.0]], [1, 1], {}, ValueError, "at least 2 classes"),
        ([[1.0], [2.0]], [0, 1, 0], {}, ValueError, "inconsistent numbers"),
        ([[1.0], [2.0]], [0, 1], {"lambda_cov": -1}, ValueError, "lambda_cov"),
        ([[1.0], [2.0]], [0, 1], {"device": "gpu7"}, ValueError, "device='gpu7'"),
        ([[1.0], [2.0]], [0, 1], {"activation": "swish"}, ValueError, "activation"),
        ([[1.0], [2.0]], [0.5, 1.2], {}, ValueError, "Unknown label type"),
    ],
)
def test_bad_input_gets_a_clear_error(X, y, params, error, match):
    with pytest.raises(error, match=match):
        NMTuneClassifier(**params).fit(X, y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is available here")
def test_cuda_without_cuda_is_a_clear_error():
    with pytest.raises(ValueError, match="CUDA is not available"):
        NMTuneClassifier(device="cuda").fit([[1.0], [2.0]], [0, 1])


def test_predict_checks_the_number_of_features(fitted):
    with pytest.raises(ValueError, match="64 features"):
        fitted.predict(np.ones((2, 3)))


def test_readonly_memmap_input_trains_and_predicts_without_warnings(tmp_path):
    # torch warns about a read-only array once per process, so a fresh process:
    # predicting first, then training, each on the memmap, warnings as errors.
    X, y = make_blobs(200, n_features=4, centers=2, random_state=0)
    np.save(tmp_path / "X.npy", X.astype(np.float32))
    np.save(tmp_path / "y.npy", y)
    code = f"""
import numpy as np
from sknml import NMTuneClassifier
X = np.load({str(tmp_path / "X.npy")!r}, mmap_mode="r")
y = np.load({str(tmp_path / "y.npy")!r})
clf = NMTuneClassifier(batch_size=32, random_state=0).fit(np.array(X), y)
assert clf.score(X, y) > 0.9
assert NMTuneClassifier(batch_size=32, random_state=0).fit(X, y).score(X, y) > 0.9
"""
    result = subprocess.run(
        [sys.executable, "-W", "error::UserWarning", "-c", code],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


# Hostile input.


@pytest.fixture
def interrupt_in_epoch_two(monkeypatch):
    """Ctrl+C during the second epoch, as a KeyboardInterrupt within a step."""
    factor = sknml._callbacks.LRSchedule._factor

    def interrupting(schedule):
        if schedule.step_ == 3:
            raise KeyboardInterrupt
        return factor(schedule)

    monkeypatch.setattr(sknml._callbacks.LRSchedule, "_factor", interrupting)


def test_keyboard_interrupt_propagates_and_leaves_an_unfitted_estimator(
    digits, interrupt_in_epoch_two
):
    X, y = digits
    clf = NMTuneClassifier(max_epochs=50, batch_size=64, random_state=0)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(X[:200], y[:200])
    with pytest.raises(NotFittedError):
        clf.predict(X[:5])


def test_keyboard_interrupt_stops_cross_validation(digits, interrupt_in_epoch_two):
    X, y = digits
    with pytest.raises(KeyboardInterrupt):
        cross_val_score(
            NMTuneClassifier(max_epochs=50, batch_size=64), X[:200], y[:200], cv=3
        )


def test_sigint_from_another_thread_interrupts_fit(digits):
    X, y = digits
    # Python's own Ctrl+C handler, whatever the runner inherited: a process started
    # in the background by a non-interactive shell ignores SIGINT, and
    # interrupt_main then does nothing (the fit below would run for hours).
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            NMTuneClassifier(max_epochs=100_000, early_stopping=False).fit(
                X[:100], y[:100]
            )
    finally:
        timer.cancel()
        signal.signal(signal.SIGINT, previous)


def test_divergence_raises_naming_the_cause(digits):
    # As MLPClassifier's "non-finite parameter weights", never NaN predictions.
    X, y = digits
    clf = NMTuneClassifier(lr=1e6, **FAST)
    with pytest.raises(ValueError, match="diverged.*lr=1e\\+06"):
        clf.fit(X[:200], y[:200])
    assert not hasattr(clf, "classes_")


def test_values_of_1e30_train_as_the_same_values_of_order_one():
    X, y = make_blobs(60, n_features=3, centers=2, random_state=0)
    small = NMTuneClassifier(standardize=True, **FAST).fit(X, y).predict_proba(X)
    huge = NMTuneClassifier(standardize=True, **FAST).fit(X * 1e30, y)
    huge = huge.predict_proba(X * 1e30)
    np.testing.assert_allclose(huge, small, atol=1e-3)


_NOT_FINITE = {np.nan: "NaN", np.inf: "infinity", -np.inf: "infinity"}


@settings(max_examples=30, deadline=None)
@given(
    value=st.one_of(
        st.sampled_from(list(_NOT_FINITE)),
        st.floats(min_value=3.5e38, max_value=1e308),
        st.floats(min_value=-1e308, max_value=-3.5e38),
    ),
    row=st.integers(0, 3),
    column=st.integers(0, 1),
)
def test_non_finite_or_out_of_float32_values_raise_naming_the_problem(
    value, row, column
):
    X = np.random.default_rng(0).standard_normal((4, 2))
    X[row, column] = value
    match = _NOT_FINITE.get(value, "beyond the float32 range")
    clf = NMTuneClassifier(max_epochs=1)
    with pytest.raises(ValueError, match=match):
        clf.fit(X, [0, 1, 0, 1])
    clf.fit(np.random.default_rng(0).standard_normal((4, 2)), [0, 1, 0, 1])
    with pytest.raises(ValueError, match=match):
        clf.predict(X)


def test_batch_size_one_with_batch_norm_is_a_clear_error():
    X, y = make_blobs(20, n_features=3, centers=2, random_state=0)
    with pytest.raises(ValueError, match="BatchNorm1d.*batch_norm=False"):
        NMTuneClassifier(batch_size=1, max_epochs=1).fit(X, y)
    for params in ({"batch_norm": False}, {"n_layers": 0}):
        NMTuneClassifier(batch_size=1, **params, **FAST).fit(X, y)


@pytest.mark.parametrize("device", ["meta", "tpu", "privateuseone"])
def test_devices_that_cannot_run_a_network_are_rejected(device):
    with pytest.raises(ValueError, match=f"device='{device}'"):
        NMTuneClassifier(device=device).fit([[1.0], [2.0]], [0, 1])


def test_set_output_pandas_in_a_pipeline(digits):
    pd = pytest.importorskip("pandas")
    X, y = digits
    frame = pd.DataFrame(X[:200], columns=[f"pixel{i}" for i in range(64)])
    pipe = make_pipeline(SpectrumProbe(), NMTuneClassifier(**FAST), SpectrumProbe())
    pipe.set_output(transform="pandas").fit(frame, y[:200])
    Z = pipe.transform(frame)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == [f"nmtuneclassifier{i}" for i in range(64)]
    assert list(pipe[1].get_feature_names_out()) == list(Z.columns)
    assert pipe[:-1].predict(frame).shape == (200,)


def _hostile(X, y, **fit_params):
    return X, y, fit_params


_X, _Y = make_blobs(40, n_features=3, centers=2, random_state=0)


@pytest.mark.parametrize(
    ("X", "y", "fit_params", "params", "error", "match"),
    [
        (*_hostile(_X, np.r_[np.nan, _Y[1:]]), {}, ValueError, "y contains NaN"),
        (*_hostile(np.empty((0, 3)), []), {}, ValueError, "0 sample"),
        (*_hostile(_X[:1], _Y[:1]), {}, ValueError, "at least 2 classes"),
        (*_hostile(_X, np.array([0, "a"] * 20, object)), {}, ValueError, "label"),
        (*_hostile(scipy.sparse.csr_matrix(_X), _Y), {}, TypeError, "toarray"),
        (*_hostile(np.full((40, 3), "a", object), _Y), {}, ValueError, "string"),
        (*_hostile(_X, _Y, sample_weight=-np.ones(40)), {}, ValueError, "Negative"),
        (
            *_hostile(_X, _Y, sample_weight=np.r_[np.nan, np.ones(39)]),
            {},
            ValueError,
            "sample_weight contains NaN",
        ),
        (*_hostile(_X, _Y, sample_weight=np.ones(3)), {}, ValueError, r"\(40,\)"),
        (*_hostile(_X, _Y, sample_weight=np.zeros(40)), {}, ValueError, "non-zero"),
        (*_hostile(_X, _Y), {"n_layers": -1}, InvalidParameterError, "n_layers"),
        (*_hostile(_X, _Y), {"batch_size": 0}, InvalidParameterError, "batch_size"),
        (*_hostile(_X, _Y), {"hidden_ratio": 0}, InvalidParameterError, "hidden_r"),
        (*_hostile(_X, _Y), {"lr": "fast"}, InvalidParameterError, "'lr'"),
    ],
)
def test_hostile_input_gets_a_clear_error(X, y, fit_params, params, error, match):
    with pytest.raises(error, match=match):
        NMTuneClassifier(**params).fit(X, y, **fit_params)


@pytest.mark.parametrize(
    ("X", "y"),
    [
        (_X[:12], np.repeat(np.arange(6), 2)),  # many classes of 2 rows
        (_X[:10], np.arange(10)),  # one row per class
        (_X, _Y.astype(bool)),
        (_X, np.where(_Y, "yes", "no").astype(object)),
        (_X.astype(np.float16), _Y),
        ((_X * 10).astype(int), _Y),
        (_X.astype(object), _Y),
    ],
)
def test_unusual_but_valid_input_trains_and_predicts_its_labels(X, y):
    clf = NMTuneClassifier(batch_size=8, **FAST).fit(X, y)
    assert set(clf.predict(X)) <= set(np.unique(y))
    assert np.isfinite(clf.predict_proba(X)).all()


def test_feature_names_are_kept_and_other_names_refused():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(_X, columns=["a", "b", "c"])
    clf = NMTuneClassifier(**FAST).fit(frame, _Y)
    assert list(clf.feature_names_in_) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="feature names"):
        clf.predict(frame.rename(columns={"a": "z"}))


def test_grid_search_scores_a_failing_setting_nan_and_picks_another():
    search = GridSearchCV(
        NMTuneClassifier(**FAST), {"batch_size": [1, 8]}, cv=2, error_score=np.nan
    )
    with pytest.warns(FitFailedWarning, match="BatchNorm1d"):
        search.fit(_X, _Y)
    assert np.isnan(search.cv_results_["mean_test_score"][0])
    assert search.best_params_ == {"batch_size": 8}
