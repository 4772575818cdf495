"""NMTuneClassifierCV: the search, its refit, composition, persistence and errors."""

import joblib
import numpy as np
import pytest
import sklearn
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import (
    FitFailedWarning,
    NotFittedError,
    UnsetMetadataPassedError,
)
from sklearn.model_selection import (
    GridSearchCV,
    KFold,
    ParameterGrid,
    cross_validate,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import check_is_fitted

import sknml._base
from sknml import (
    DEFAULT_PARAM_GRID,
    NAMED_SETTINGS,
    NMTuneClassifier,
    NMTuneClassifierCV,
)
from sknml._selection import one_standard_error
from sknml.utils import torch_threads

# A randomly started network trained one epoch at a tiny rate: far behind the probe.
CLEAR_WINNER = [
    {"n_layers": [0]},
    {"init": ["random"], "max_epochs": [1], "lr": [1e-5]},
]
SMALL = [
    {"n_layers": [0]},
    {"lambda_mse": [0.0, 0.1], "max_epochs": [2]},
]


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:450].astype(np.float32), y[:450]


@pytest.fixture(scope="module")
def fitted(digits):
    return NMTuneClassifierCV(SMALL, random_state=0).fit(*digits)


def test_picks_the_candidate_that_clearly_wins(digits):
    clf = NMTuneClassifierCV(CLEAR_WINNER, random_state=0).fit(*digits)
    assert clf.best_params_ == {"n_layers": 0}
    scores = clf.cv_results_["mean_test_score"]
    assert scores[0] > scores[1] + 0.3
    assert clf.best_score_ == scores[0]
    assert clf.best_estimator_.n_layers == 0


def test_one_standard_error_rule_prefers_the_first_candidate_close_to_the_best():
    results = {
        "split0_test_score": None,
        "split1_test_score": None,
        "split2_test_score": None,
        "mean_test_score": np.array([0.70, np.nan, 0.795, 0.80, 0.81]),
        "std_test_score": np.array([0.0, np.nan, 0.0, 0.0, np.sqrt(2) * 0.016]),
    }
    # Best 0.81, standard error 0.016 over 3 folds: 0.795 is the first within.
    assert one_standard_error(results) == 2
    results["std_test_score"][4] = 0.0
    assert one_standard_error(results) == 4


@pytest.mark.parametrize("selection", ["best", "one_standard_error"])
def test_selection_rule_decides_the_winner(fitted, digits, selection):
    clf = NMTuneClassifierCV(SMALL, selection=selection, random_state=0)
    clf.fit(*digits)
    mean = clf.cv_results_["mean_test_score"]
    np.testing.assert_array_equal(mean, fitted.cv_results_["mean_test_score"])
    if selection == "best":
        assert clf.best_index_ == np.argmax(mean)
    else:
        assert clf.best_index_ == one_standard_error(clf.cv_results_)
    assert clf.best_score_ == mean[clf.best_index_]
    assert clf.best_params_ == clf.cv_results_["params"][clf.best_index_]


def test_one_row_per_candidate_and_best_params_from_the_grid(fitted):
    candidates = list(ParameterGrid(SMALL))
    assert fitted.cv_results_["params"] == candidates
    assert fitted.best_params_ in candidates
    assert fitted.best_params_ == candidates[fitted.best_index_]
    assert fitted.n_splits_ == 3
    for fold in range(3):
        assert len(fitted.cv_results_[f"split{fold}_test_score"]) == len(candidates)


def test_refit_is_an_nmtune_classifier_with_the_best_params(fitted, digits):
    X, y = digits
    best = fitted.best_estimator_
    assert type(best) is NMTuneClassifier
    assert best.random_state == 0
    alone = NMTuneClassifier(random_state=0, **fitted.best_params_).fit(X, y)
    np.testing.assert_array_equal(fitted.predict(X), alone.predict(X))
    np.testing.assert_allclose(fitted.predict_proba(X), alone.predict_proba(X))
    np.testing.assert_array_equal(fitted.classes_, np.unique(y))
    assert fitted.n_features_in_ == X.shape[1]


def test_methods_are_those_of_the_best_estimator(fitted, digits):
    X, y = digits
    best = fitted.best_estimator_
    for method in (
        "predict",
        "predict_proba",
        "predict_log_proba",
        "decision_function",
        "transform",
    ):
        np.testing.assert_array_equal(
            getattr(fitted, method)(X), getattr(best, method)(X), err_msg=method
        )
    assert fitted.score(X, y) == best.score(X, y)


def test_parallel_search_gives_the_same_scores(digits, monkeypatch):
    # One torch thread on both sides, so that no reduction order differs.
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    with torch_threads(1):
        serial = NMTuneClassifierCV(SMALL, random_state=0, n_jobs=1).fit(*digits)
    parallel = NMTuneClassifierCV(SMALL, random_state=0, n_jobs=2).fit(*digits)
    for fold in range(3):
        key = f"split{fold}_test_score"
        np.testing.assert_array_equal(
            parallel.cv_results_[key], serial.cv_results_[key]
        )
    assert parallel.best_params_ == serial.best_params_


def test_parallel_workers_run_torch_with_a_share_of_the_cores(digits, monkeypatch):
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    clf = NMTuneClassifierCV(
        {"n_layers": [0], "max_epochs": [1], "lr": [0.1, 0.2]},
        n_jobs=2,
        scoring=lambda estimator, X, y: torch.get_num_threads(),
        random_state=0,
    ).fit(*digits)
    threads = clf.cv_results_["mean_test_score"]
    assert np.all(threads == max(1, joblib.cpu_count() // 2))


def test_same_seed_same_result_and_seed_changes_the_folds(digits):
    first = NMTuneClassifierCV(SMALL, random_state=0).fit(*digits)
    again = NMTuneClassifierCV(SMALL, random_state=0).fit(*digits)
    other = NMTuneClassifierCV(SMALL, random_state=1).fit(*digits)
    key = "split0_test_score"
    np.testing.assert_array_equal(first.cv_results_[key], again.cv_results_[key])
    assert not np.array_equal(first.cv_results_[key], other.cv_results_[key])
    rng = np.random.RandomState(0)
    drawn = NMTuneClassifierCV(SMALL, random_state=rng).fit(*digits)
    assert isinstance(drawn.best_estimator_.random_state, int)


def test_a_given_splitter_is_used_as_is(digits):
    clf = NMTuneClassifierCV(CLEAR_WINNER, cv=KFold(2)).fit(*digits)
    assert clf.n_splits_ == 2


def test_sample_weight_reaches_the_fold_fits_and_the_refit(digits):
    X, y = digits
    weight = np.where(y < 5, 5.0, 1.0)
    weighted = NMTuneClassifierCV(SMALL, random_state=0).fit(X, y, sample_weight=weight)
    plain = NMTuneClassifierCV(SMALL, random_state=0).fit(X, y)
    assert not np.array_equal(
        weighted.cv_results_["split0_test_score"],
        plain.cv_results_["split0_test_score"],
    )
    alone = NMTuneClassifier(random_state=0, **weighted.best_params_)
    alone.fit(X, y, sample_weight=weight)
    np.testing.assert_allclose(weighted.predict_proba(X), alone.predict_proba(X))


def test_in_a_pipeline_inside_an_outer_search_and_cross_validate(digits):
    X, y = digits
    pipe = make_pipeline(FunctionTransformer(), NMTuneClassifierCV(SMALL, cv=2))
    outer = GridSearchCV(pipe, {"nmtuneclassifiercv__random_state": [0, 1]}, cv=2).fit(
        X, y
    )
    assert outer.best_estimator_[-1].best_estimator_.random_state in (0, 1)
    result = cross_validate(
        NMTuneClassifierCV(SMALL, cv=2, random_state=0), X, y, cv=2, n_jobs=2
    )
    assert np.all(result["test_score"] > 0.2)  # 10 classes: chance is 0.1


def test_joblib_round_trip_predicts_the_same(fitted, digits, tmp_path):
    X, _ = digits
    joblib.dump(fitted, tmp_path / "cv.joblib")
    loaded = joblib.load(tmp_path / "cv.joblib")
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
    assert loaded.best_params_ == fitted.best_params_


def test_feature_names_are_kept_and_checked(digits):
    pd = pytest.importorskip("pandas")
    X, y = digits
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])])
    clf = NMTuneClassifierCV(CLEAR_WINNER, random_state=0).fit(frame, y)
    np.testing.assert_array_equal(clf.feature_names_in_, frame.columns)
    with pytest.warns(UserWarning, match="feature names"):
        clf.predict(X)


def test_default_grid_is_small_and_is_what_none_searches(digits):
    candidates = list(ParameterGrid(DEFAULT_PARAM_GRID))
    assert 1 <= len(candidates) <= 12
    assert any(params.get("n_layers") == 0 for params in candidates)
    X, y = digits
    clf = NMTuneClassifierCV(random_state=0).fit(X, y)
    assert clf.cv_results_["params"] == candidates
    assert clf.score(X, y) > 0.2  # 10 classes: chance is 0.1


def test_torch_threads_sets_then_restores_the_thread_count():
    before = torch.get_num_threads()
    with pytest.raises(RuntimeError), torch_threads(1):
        assert torch.get_num_threads() == 1
        raise RuntimeError
    assert torch.get_num_threads() == before
    with torch_threads(None):
        assert torch.get_num_threads() == before


def test_default_grid_is_the_probe_mlp_and_nmtune():
    assert DEFAULT_PARAM_GRID == [
        {"n_layers": [0]},
        {"lambda_mse": [0.0], "lambda_cov": [0.0], "lambda_svd": [0.0]},
        {},
    ]
    assert list(ParameterGrid(DEFAULT_PARAM_GRID)) == [
        dict(NAMED_SETTINGS[name]) for name in ("lp", "mlp", "nmtune")
    ]
    GridSearchCV(NMTuneClassifier(), DEFAULT_PARAM_GRID)._validate_params()


@pytest.mark.parametrize(
    ("params", "error", "match"),
    [
        ({"param_grid": []}, ValueError, "no candidate"),
        ({"param_grid": [{"n_layers": [0]}, {"bogus": [1]}]}, ValueError, "'bogus'"),
        ({"param_grid": {"lambda_cov": []}}, ValueError, "lambda_cov"),
        ({"param_grid": {"max_epochs": [0]}}, InvalidParameterError, "max_epochs"),
        ({"param_grid": "n_layers"}, InvalidParameterError, "param_grid"),
        ({"cv": 1}, ValueError, "n_splits"),
        ({"cv": 300}, ValueError, "n_splits=300"),
        ({"error_score": "ignore"}, InvalidParameterError, "error_score"),
        ({"scoring": "no_such_score"}, InvalidParameterError, "scoring"),
    ],
)
def test_bad_input_gets_a_clear_error(digits, params, error, match):
    with pytest.raises(error, match=match):
        NMTuneClassifierCV(**params).fit(*digits)


def test_one_class_is_a_clear_error(digits):
    X, _ = digits
    with pytest.raises(ValueError, match="at least 2 classes"):
        NMTuneClassifierCV(CLEAR_WINNER).fit(X, np.zeros(len(X)))


def test_a_failed_refit_forgets_the_former_fit(digits):
    X, y = digits
    clf = NMTuneClassifierCV(CLEAR_WINNER, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="at least 2 classes"):
        clf.fit(X[:, :10], np.zeros(len(X)))
    assert not [name for name in vars(clf) if name.endswith("_")]
    with pytest.raises(NotFittedError):
        check_is_fitted(clf)


def test_a_candidate_that_fails_scores_nan_or_raises(digits):
    # One-row batches cannot train BatchNorm: that candidate cannot fit.
    grid = [{"n_layers": [0], "max_epochs": [5]}, {"batch_size": [1]}]
    with pytest.warns(FitFailedWarning, match="BatchNorm1d"):
        clf = NMTuneClassifierCV(grid, random_state=0).fit(*digits)
    assert np.isnan(clf.cv_results_["mean_test_score"][1])
    assert clf.best_index_ == 0
    with pytest.raises(ValueError, match="BatchNorm1d"):
        NMTuneClassifierCV(grid, error_score="raise").fit(*digits)


def test_predict_before_fit_and_wrong_width_are_clear_errors(fitted, digits):
    with pytest.raises(NotFittedError):
        NMTuneClassifierCV().predict(digits[0])
    with pytest.raises(ValueError, match="expecting 64 features"):
        fitted.predict(digits[0][:, :10])


# Hostile input (issue 11): checked once before the search, not by every fit.


def _no_fit(*args, **kwargs):
    raise AssertionError("a candidate was fitted")


@pytest.mark.parametrize(
    ("fit_params", "params", "match"),
    [
        ({"sample_weight": -np.ones(450)}, {}, "Negative"),
        ({"sample_weight": np.r_[np.nan, np.ones(449)]}, {}, "contains NaN"),
        ({"sample_weight": np.ones(3)}, {}, r"\(450,\)"),
        # scikit-learn >= 1.9 rejects all-zero weights itself, older ones do not.
        ({"sample_weight": np.zeros(450)}, {}, "non-zero|must not be all zero"),
        ({}, {"device": "tpu"}, "device='tpu'"),
        ({}, {"device": "meta"}, "device='meta'"),
    ],
)
def test_bad_weights_and_devices_fail_before_any_candidate(
    digits, monkeypatch, fit_params, params, match
):
    monkeypatch.setattr(NMTuneClassifier, "fit", _no_fit)
    with pytest.raises(ValueError, match=match):
        NMTuneClassifierCV(SMALL, **params).fit(*digits, **fit_params)


def test_all_zero_weights_fail_before_any_candidate(digits, monkeypatch):
    # As with a scikit-learn whose weight check lets all-zero weights through.
    def lenient_check(sample_weight, X, **kwargs):
        return np.asarray(sample_weight, dtype=X.dtype)

    monkeypatch.setattr(sknml._base, "_check_sample_weight", lenient_check)
    monkeypatch.setattr(NMTuneClassifier, "fit", _no_fit)
    with pytest.raises(ValueError, match="sample_weight must not be all zero."):
        NMTuneClassifierCV(SMALL).fit(*digits, sample_weight=np.zeros(450))


def test_values_beyond_float32_fail_before_any_candidate(digits, monkeypatch):
    X, y = digits
    monkeypatch.setattr(NMTuneClassifier, "fit", _no_fit)
    with pytest.raises(ValueError, match="beyond the float32 range"):
        NMTuneClassifierCV(SMALL).fit(X.astype(np.float64) * 1e38, y)


def test_transform_keeps_the_dtype_of_x(digits):
    X, y = digits
    clf = NMTuneClassifierCV({"max_epochs": [2]}, cv=2, random_state=0).fit(X, y)
    tags = clf.__sklearn_tags__().transformer_tags
    assert tags.preserves_dtype == ["float64", "float32"]
    for dtype in tags.preserves_dtype:
        assert clf.transform(X[:20].astype(dtype)).dtype == dtype


def test_set_output_pandas(digits):
    pd = pytest.importorskip("pandas")
    X, y = digits
    clf = NMTuneClassifierCV(SMALL[:1], cv=2, random_state=0)
    Z = clf.set_output(transform="pandas").fit(X, y).transform(X)
    assert isinstance(Z, pd.DataFrame)
    assert list(Z.columns) == [f"nmtuneclassifiercv{i}" for i in range(64)]


def test_keyboard_interrupt_stops_the_search(digits, monkeypatch):
    def interrupted_fit(self, *args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(NMTuneClassifier, "fit", interrupted_fit)
    clf = NMTuneClassifierCV(SMALL)
    with pytest.raises(KeyboardInterrupt):
        clf.fit(*digits)
    with pytest.raises(NotFittedError):
        clf.predict(digits[0])


@pytest.fixture
def routing():
    """scikit-learn's metadata routing on, for one test."""
    with sklearn.config_context(enable_metadata_routing=True):
        yield


def test_with_routing_on_the_weights_reach_every_fit(digits, routing):
    X, y = digits
    weight = np.where(y < 5, 5.0, 1.0)
    routed = NMTuneClassifierCV(SMALL, random_state=0).fit(X, y, sample_weight=weight)
    with sklearn.config_context(enable_metadata_routing=False):
        plain = NMTuneClassifierCV(SMALL, random_state=0)
        plain.fit(X, y, sample_weight=weight)
    np.testing.assert_array_equal(
        routed.cv_results_["mean_test_score"], plain.cv_results_["mean_test_score"]
    )
    np.testing.assert_allclose(routed.predict_proba(X), plain.predict_proba(X))


def test_with_routing_on_weights_pass_through_pipeline_search_and_cv(digits, routing):
    X, y = digits
    weight = np.where(y < 5, 5.0, 1.0)
    inner = NMTuneClassifierCV(SMALL[:1], cv=2, random_state=0)
    pipe = make_pipeline(
        FunctionTransformer(),
        inner.set_fit_request(sample_weight=True).set_score_request(sample_weight=True),
    )
    pipe.fit(X, y, sample_weight=weight)
    outer = GridSearchCV(pipe, {"nmtuneclassifiercv__cv": [2]}, cv=2)
    outer.fit(X, y, sample_weight=weight)
    result = cross_validate(pipe, X, y, cv=2, params={"sample_weight": weight})
    assert np.all(result["test_score"] > 0.2)
    # Without the request the weights are refused, as scikit-learn's rule says.
    unrequested = make_pipeline(NMTuneClassifierCV(SMALL[:1], cv=2))
    with pytest.raises(UnsetMetadataPassedError):
        unrequested.fit(X, y, sample_weight=weight)
