"""The linear probe solves LogisticRegression's problem, weights included."""

import numpy as np
import pytest
import torch
from sklearn.datasets import make_blobs, make_classification
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknml._probe
from sknml import NMTuneClassifier
from sknml._probe import fit_probe
from sknml.datasets import make_embedding_like

# LogisticRegression solved far past its defaults: the reference optimum.
EXACT = {"tol": 1e-10, "max_iter": 10_000}


def _problem(n_classes, seed=0):
    X, y = make_classification(
        300, 8, n_informative=5, n_classes=n_classes, random_state=seed
    )
    return X, y


@pytest.mark.parametrize("n_classes", [2, 4])
@pytest.mark.parametrize("C", [0.01, 1.0, 100.0])
def test_fit_probe_finds_logistic_regression_s_optimum(n_classes, C):
    X, y = _problem(n_classes)
    reference = LogisticRegression(C=C, **EXACT).fit(X, y)
    coef, intercept, n_iter = fit_probe(
        torch.tensor(X, dtype=torch.float32), torch.tensor(y), n_classes, C=C
    )
    logits = (torch.tensor(X, dtype=torch.float32) @ coef.T + intercept).numpy()
    expected = reference.decision_function(X)
    if n_classes == 2:
        logits = logits[:, 1] - logits[:, 0]
    else:  # multinomial logits are defined up to a constant per row
        logits -= logits.mean(axis=1, keepdims=True)
        expected -= expected.mean(axis=1, keepdims=True)
    np.testing.assert_allclose(logits, expected, atol=2e-3 * np.abs(expected).max())
    assert 0 < n_iter < 1000


@pytest.mark.parametrize("standardize", [False, True])
def test_the_probe_predicts_as_logistic_regression_on_the_same_input(standardize):
    X, y = _problem(3, seed=1)
    probe = NMTuneClassifier(n_layers=0, standardize=standardize).fit(X, y)
    steps = [StandardScaler()] if standardize else []
    reference = make_pipeline(*steps, LogisticRegression(**EXACT)).fit(X, y)
    np.testing.assert_allclose(
        probe.predict_proba(X), reference.predict_proba(X), atol=1e-3
    )
    assert probe.best_epoch_ == 0 and len(probe.history_) == 0


@pytest.mark.parametrize("standardize", [False, True])
def test_probe_weights_act_as_in_logistic_regression(standardize):
    X, y = _problem(3, seed=2)
    weight = np.random.default_rng(0).integers(0, 3, len(y)).astype(float)
    probe = NMTuneClassifier(n_layers=0, standardize=standardize)
    weighted = probe.fit(X, y, sample_weight=weight).predict_proba(X)
    # A weight of 0 is a row left out, a weight of 2 a duplicated row, even in the
    # standardization statistics (as StandardScaler's sample_weight).
    rows = np.repeat(np.arange(len(y)), weight.astype(int))
    repeated = probe.fit(X[rows], y[rows]).predict_proba(X)
    # To L-BFGS's tolerance: the two stop at different points within it.
    np.testing.assert_allclose(weighted, repeated, atol=2e-4)


def test_c_is_the_inverse_l2_strength():
    X, y = _problem(2)
    norms = [
        np.linalg.norm(
            NMTuneClassifier(n_layers=0, C=C)
            .fit(X, y)
            .net_.module_.head.weight.detach()
            .numpy()
        )
        for C in (0.01, 1.0, 100.0)
    ]
    assert norms[0] < norms[1] < norms[2]


def test_standardize_auto_standardizes_where_the_probe_needs_it():
    # The informative column is tiny: unscaled, the L2 penalty all but removes it.
    X, y = make_blobs(600, n_features=4, centers=2, random_state=0)
    X[:, 1:] = np.random.default_rng(0).standard_normal((600, 3))
    X[:, 0] *= 1e-3
    clf = NMTuneClassifier(n_layers=0, random_state=0).fit(X, y)
    scores = clf.recipe_["standardize_scores"]
    assert clf.recipe_["standardize"] is True
    assert scores["standardized"][0] > scores["raw"][0] + 0.2


def test_standardize_auto_keeps_embeddings_unscaled_when_that_is_better():
    data = make_embedding_like(900, 64, 4, class_sep=0.4, random_state=0)
    clf = NMTuneClassifier(n_layers=0, random_state=0).fit(data.data, data.target)
    scores = clf.recipe_["standardize_scores"]
    assert clf.recipe_["standardize"] is (scores["standardized"] > scores["raw"])
    module = clf.net_.module_.standardize
    assert bool(torch.any(module.scale != 1)) is clf.recipe_["standardize"]


def test_standardize_auto_without_enough_rows_per_class_keeps_x_as_given():
    X, y = make_blobs(8, n_features=3, centers=4, random_state=0)
    clf = NMTuneClassifier(n_layers=0).fit(X, y)
    assert clf.recipe_["standardize"] is False
    assert clf.recipe_["standardize_scores"] is None


def test_a_probe_that_cannot_converge_warns():
    X, y = _problem(2)
    with pytest.warns(UserWarning, match="did not converge"):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("sknml._probe._MAX_ITER", 2)
            NMTuneClassifier(n_layers=0, standardize=False).fit(X * 1e3, y)


def test_the_same_problem_is_solved_once(monkeypatch):
    X, y = _problem(3)
    X, y = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)
    solves = []
    solve = sknml._probe._solve
    monkeypatch.setattr(
        sknml._probe, "_solve", lambda *args: solves.append(1) or solve(*args)
    )
    first = fit_probe(X, y, 3, C=0.5)
    second = fit_probe(X.clone(), y.clone(), 3, C=0.5)
    assert len(solves) == 1
    for a, b in zip(first, second, strict=True):
        assert torch.equal(torch.as_tensor(a), torch.as_tensor(b))
    fit_probe(X, y, 3, C=0.25)  # another problem
    assert len(solves) == 2


@pytest.mark.parametrize("n_classes", [2, 4])
def test_a_start_near_the_solution_reaches_it_in_fewer_iterations(n_classes):
    X, y = _problem(n_classes)
    X, y = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y)
    coef, intercept, n_iter = fit_probe(X, y, n_classes, C=1.0)
    # A nearby problem's solution (the rows but the last 30) as the start.
    nearby = fit_probe(X[:-30], y[:-30], n_classes, C=1.0)[:2]
    warm_coef, warm_intercept, warm_iter = fit_probe(
        X, y, n_classes, C=1.0, start=nearby
    )
    assert warm_iter < n_iter
    logits = X @ coef.T + intercept
    warm_logits = X @ warm_coef.T + warm_intercept
    np.testing.assert_allclose(warm_logits, logits, atol=2e-3 * logits.abs().max())
