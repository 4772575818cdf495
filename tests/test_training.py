"""The training recipe: start at the probe, early stopping, schedule, budget."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits, make_blobs
from sklearn.model_selection import cross_val_score

from sknml import NMTuneClassifier
from sknml._callbacks import ValidationGate
from sknml._data import batch_bounds, validation_split
from sknml.datasets import make_embedding_like

MLP = {"lambda_mse": 0.0, "lambda_cov": 0.0, "lambda_svd": 0.0}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X.astype(np.float32), y


def test_an_untrained_network_is_its_linear_probe(digits):
    X, y = digits
    probe = NMTuneClassifier(n_layers=0, standardize=True).fit(X[:400], y[:400])
    # One step of a vanishing learning rate leaves the start as it was.
    start = NMTuneClassifier(
        standardize=True,
        max_epochs=1,
        lr=1e-12,
        early_stopping=False,
        random_state=0,
    ).fit(X[:400], y[:400])
    np.testing.assert_allclose(
        start.predict_proba(X[400:600]), probe.predict_proba(X[400:600]), atol=1e-5
    )
    np.testing.assert_allclose(
        start.transform(X[:50]), probe.transform(X[:50]), atol=1e-5
    )


def test_the_tuning_network_gets_gradient_from_the_first_steps(digits):
    X, y = digits
    settings = {
        "max_epochs": 1,
        "batch_size": 100,
        "early_stopping": False,
        "random_state": 0,
    }
    frozen = NMTuneClassifier(lr=1e-12, **settings).fit(X[:400], y[:400])
    trained = NMTuneClassifier(**settings).fit(X[:400], y[:400])
    for layer in (0, -1):  # the first layer of g and its zero-started last layer
        before = frozen.net_.module_.tuner[layer].weight
        after = trained.net_.module_.tuner[layer].weight
        assert not torch.allclose(before, after)


def test_residual_init_is_in_units_of_the_features_rms(digits):
    X, y = digits
    unit = X[:300] / np.linalg.norm(X[:300], axis=1, keepdims=True)
    clf = NMTuneClassifier(
        standardize=False, residual_init=0.5, max_epochs=1, lr=1e-12
    ).fit(unit, y[:300])
    rms = float(np.sqrt(np.mean(np.square(unit))))
    assert clf.recipe_["residual_scale"] == pytest.approx(0.5 * rms, rel=1e-5)
    scale = clf.net_.module_.residual_scale.detach()
    assert torch.allclose(scale, torch.full_like(scale, 0.5 * rms), rtol=1e-4)


def test_init_random_is_pytorchs_default_start(digits):
    X, y = digits
    clf = NMTuneClassifier(init="random", max_epochs=1, lr=1e-12, random_state=0)
    clf.fit(X[:300], y[:300])
    assert torch.any(clf.net_.module_.tuner[-1].weight != 0)


def test_early_stopping_keeps_the_probe_when_no_epoch_beats_it(digits):
    X, y = digits
    # With tol=1 no epoch can count as an improvement on epoch 0.
    clf = NMTuneClassifier(
        standardize=True,
        early_stopping=True,
        tol=1.0,
        n_iter_no_change=2,
        max_epochs=50,
        random_state=0,
    ).fit(X[:600], y[:600])
    assert clf.best_epoch_ == 0
    assert clf.n_iter_ == 4  # two epochs, a tenfold lower rate, two more
    assert clf.history_[:, "epoch"] == [1, 2, 3, 4]
    assert clf.history_[:, "kept_epoch"] == [0, 0, 0, 0]
    # Epochs 3 and 4 run at a tenth of the rate epoch 2 ended at (still in the
    # warm-up of 5% of 50 x 3 steps).
    lr = clf.history_[:, "lr"]
    assert lr[2] < lr[1] / 5 and lr[3] < lr[1] / 5
    np.testing.assert_allclose(
        clf.transform(X[:50]),
        clf.net_.module_.standardize(torch.from_numpy(X[:50])).numpy(),
        atol=1e-6,
    )


def test_without_the_keep_the_start_rule_the_best_trained_epoch_is_kept(digits):
    X, y = digits
    params = {"standardize": True, "max_epochs": 8, "random_state": 0}
    kept = NMTuneClassifier(**params).fit(X[:600], y[:600])
    trained = NMTuneClassifier(keep_start=False, **params).fit(X[:600], y[:600])
    assert kept.best_epoch_ == 0  # the rule keeps the probe on these rows
    # The same epochs, each scored as before; the most accurate one is kept
    # (ties: the earlier one here, at the lower cross-entropy or the first).
    assert trained.history_[:, "valid_acc"] == kept.history_[:, "valid_acc"]
    accuracy = np.array(trained.history_[:, "valid_acc"])
    assert trained.best_epoch_ >= 1
    assert accuracy[trained.best_epoch_ - 1] == accuracy.max()
    assert trained.history_[0, "kept_epoch"] == 1
    assert trained.score(X[600:], y[600:]) != kept.score(X[600:], y[600:])


def test_early_stopping_keeps_a_trained_epoch_that_clearly_beats_the_probe():
    # A linear signal plus a product the probe cannot represent.
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, (1000, 4)).astype(np.float32)
    y = (0.5 * X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    clf = NMTuneClassifier(early_stopping=True, max_epochs=40, random_state=0)
    clf.fit(X, y)
    start_accuracy, start_loss = dict(clf.net_.callbacks_)["gate"].start_scores_
    assert clf.best_epoch_ > 0 and start_accuracy < 0.85
    # The most accurate epoch (ties: the lowest validation cross-entropy) among
    # those whose cross-entropy is no higher than the start's.
    rows = [row for row in clf.history_ if row["valid_loss"] <= start_loss]
    best = max(rows, key=lambda row: (row["valid_acc"], -row["valid_loss"]))
    assert clf.best_epoch_ == best["epoch"]
    assert clf.score(X, y) > 0.9


class _NetStandIn:
    """What the gate reads of a net: the module whose weights it keeps."""

    module_ = torch.nn.Linear(1, 1)


def test_a_more_accurate_but_overconfident_epoch_does_not_replace_the_start():
    y = torch.tensor([0, 1] * 50)
    gate = ValidationGate(tol=1e-4).initialize()

    def score(logits, epoch):
        gate.on_batch_end(None, batch=(torch.zeros(100, 1), y), y_pred=(logits,))
        return gate._update(_NetStandIn(), epoch)

    # The start: 60 of 100 right, with mild confidence.
    start = torch.where(torch.arange(100) < 60, y, 1 - y)
    score(0.5 * F.one_hot(start, 2).float(), 0)
    # 90 right (passes McNemar's test), but the 10 errors are very confident.
    trained = torch.where(torch.arange(100) < 90, y, 1 - y)
    accuracy, _ = score(50.0 * F.one_hot(trained, 2).float(), 1)
    assert accuracy == 0.9 and gate.kept_epoch_ == 0
    # The same accuracy with moderate confidence replaces it.
    score(2.0 * F.one_hot(trained, 2).float(), 2)
    assert gate.kept_epoch_ == 2


def test_history_records_each_term_that_acts(digits):
    X, y = digits
    clf = NMTuneClassifier(lambda_cov=0.0, max_epochs=2, random_state=0)
    clf.fit(X[:300], y[:300])
    row = clf.history_[-1]
    assert {"train_loss", "ce", "mse", "svd", "lr"} <= set(row)
    assert "cov" not in row
    total = row["ce"] + clf.lambda_mse * row["mse"] + clf.lambda_svd * row["svd"]
    assert row["train_loss"] == pytest.approx(total, rel=1e-4)


def test_without_early_stopping_the_rate_warms_up_then_anneals_to_zero(digits):
    X, y = digits
    clf = NMTuneClassifier(max_epochs=40, early_stopping=False, random_state=0)
    clf.fit(X[:300], y[:300])
    lr = clf.history_[:, "lr"]
    assert lr[0] < max(lr) <= clf.lr
    assert lr[-1] < 1e-3 * clf.lr
    assert clf.best_epoch_ == clf.n_iter_ == 40


@pytest.mark.parametrize("max_epochs", [5, 10, 20, 100])
def test_networks_never_fall_far_below_the_probe_whatever_the_budget(max_epochs):
    data = make_embedding_like(600, 64, 5, class_sep=0.3, random_state=0)
    scores = {
        name: cross_val_score(
            NMTuneClassifier(random_state=0, max_epochs=max_epochs, **params),
            data.data,
            data.target,
            cv=3,
        ).mean()
        for name, params in {"probe": {"n_layers": 0}, "mlp": MLP, "nmtune": {}}.items()
    }
    assert scores["mlp"] >= scores["probe"] - 0.01, scores
    assert scores["nmtune"] >= scores["probe"] - 0.01, scores


def test_validation_split_is_stratified_when_every_class_allows_it():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    train, valid = validation_split(y, 0.1, random_state=0)
    assert len(valid) == 10 and np.bincount(y[valid]).tolist() == [5, 3, 2]
    assert sorted(np.r_[train, valid]) == list(range(100))


@pytest.mark.parametrize(
    "y",
    [
        np.r_[np.zeros(599, int), 1],  # a class of one member
        np.repeat(np.arange(100), 6),  # more classes than validation rows
        np.r_[np.repeat(np.arange(3), 200), np.arange(3, 13)],  # ten singletons
    ],
)
def test_validation_split_keeps_every_class_in_training(y):
    train, valid = validation_split(y, 0.1, random_state=0)
    assert set(y[train]) == set(y)
    assert len(valid) == int(np.ceil(0.1 * len(y)))
    assert not set(train) & set(valid)


def test_validation_split_of_singletons_says_what_to_change():
    with pytest.raises(ValueError, match="early_stopping=False"):
        validation_split(np.arange(20), 0.1, random_state=0)


@pytest.mark.parametrize(
    "y",
    [np.r_[np.zeros(599, int), 1], np.repeat(np.arange(100), 6)],
    ids=["rare class", "many classes"],
)
def test_rare_and_many_classes_train_with_early_stopping(y):
    X = np.random.default_rng(0).standard_normal((len(y), 8)).astype(np.float32)
    clf = NMTuneClassifier(early_stopping=True, max_epochs=3, random_state=0)
    clf.fit(X, y)
    assert set(clf.classes_) == set(y)
    assert "valid_acc" in clf.history_[-1]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"n_layers": 0, "lambda_cov": 2.0, "max_epochs": 3}, "lambda_cov, max_epochs"),
        ({"residual": False, "residual_init": 0.5}, "residual_init"),
        ({"lambda_svd": 0.0, "svd_top_k": 2}, "svd_top_k"),
        ({"early_stopping": False, "n_iter_no_change": 3}, "n_iter_no_change"),
        ({"early_stopping": False, "keep_start": False}, "keep_start"),
    ],
)
def test_a_parameter_that_cannot_act_is_named_in_a_warning(params, names):
    X, y = make_blobs(60, n_features=3, centers=2, random_state=0)
    with pytest.warns(UserWarning, match=f"^{names} cannot act"):
        NMTuneClassifier(**{"max_epochs": 1, **params}).fit(X, y)


def test_the_defaults_warn_about_nothing(recwarn):
    X, y = make_blobs(60, n_features=3, centers=2, random_state=0)
    NMTuneClassifier(n_layers=0).fit(X, y)
    NMTuneClassifier(max_epochs=1).fit(X, y)
    assert not [w for w in recwarn if "cannot act" in str(w.message)]


@pytest.mark.parametrize(
    ("n_samples", "batch_size", "expected"),
    [(10, 4, [(0, 4), (4, 8), (8, 10)]), (9, 4, [(0, 4), (4, 9)]), (1, 4, [(0, 1)])],
)
def test_a_final_batch_of_one_row_joins_the_previous_batch(
    n_samples, batch_size, expected
):
    assert batch_bounds(n_samples, batch_size) == expected


@pytest.mark.parametrize(("n_samples", "expected"), [(99, False), (100, True)])
def test_early_stopping_auto_turns_on_from_100_rows(n_samples, expected):
    X, y = make_blobs(n_samples, n_features=4, centers=2, random_state=0)
    clf = NMTuneClassifier(max_epochs=3, random_state=0).fit(X, y)
    assert clf.recipe_["early_stopping"] is expected
    assert ("valid_acc" in clf.history_[-1]) is expected
