"""NMTuneNet on its own, and NMTuneClassifier's training through it."""

import numpy as np
import pytest
import skorch
import torch
from sklearn.datasets import load_digits, make_blobs
from skorch.callbacks import Callback, Checkpoint, EarlyStopping, EpochScoring

from sknml import NMTuneClassifier, NMTuneNet
from sknml._losses import NMTuneLoss

FAST = {"max_epochs": 4, "early_stopping": False, "random_state": 0}


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X.astype(np.float32), y


class _Tuner(torch.nn.Module):
    """A module of one's own: a residual linear map and a head."""

    def __init__(self, n_features=8, n_classes=3):
        super().__init__()
        self.g = torch.nn.Linear(n_features, n_features)
        self.head = torch.nn.Linear(n_features, n_classes)

    def forward(self, x):
        z = x + self.g(x)
        return self.head(z), z, x


class _Counter(Callback):
    def initialize(self):
        self.epochs_ = 0
        return self

    def on_epoch_end(self, net, **kwargs):
        self.epochs_ += 1


def test_nmtune_net_trains_a_module_of_ones_own():
    X, y = make_blobs(300, n_features=8, centers=3, random_state=0)
    X = X.astype(np.float32)
    torch.manual_seed(0)
    net = NMTuneNet(
        _Tuner,
        criterion__lambda_mse=0.1,
        criterion__lambda_cov=0.1,
        criterion__lambda_svd=0.5,
        max_epochs=5,
        lr=0.01,
        verbose=0,
    ).fit(X, y)
    history = net.history
    assert len(history) == 5
    assert {"train_loss", "valid_loss", "valid_acc", "ce", "mse", "cov", "svd"} <= set(
        history[-1]
    )
    assert history[-1, "train_loss"] < history[0, "train_loss"]
    row = history[-1]
    total = row["ce"] + 0.1 * row["mse"] + 0.1 * row["cov"] + 0.5 * row["svd"]
    assert row["train_loss"] == pytest.approx(total, rel=1e-4)
    proba = net.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    assert (net.predict(X) == y).mean() > 0.9


def test_nmtune_net_weights_the_cross_entropy_only():
    net = NMTuneNet(_Tuner, max_epochs=1, verbose=0).initialize()
    logits, z, x = torch.randn(6, 3), torch.randn(6, 8), torch.randn(6, 8)
    y = torch.tensor([0, 1, 2, 0, 1, 2])
    weight = torch.tensor([1.0, 0.0, 2.0, 1.0, 0.0, 2.0])
    X = {"x": x, "sample_weight": weight}
    net.history.new_epoch()
    net.history.new_batch()
    training = net.get_loss((logits, z, x), y, X=X, training=True)
    expected, _ = NMTuneLoss()(logits, z, x, y, weight)
    assert torch.allclose(training, expected)
    # Validation: the weighted cross-entropy alone.
    ce = torch.nn.functional.cross_entropy(logits, y, reduction="none")
    validation = net.get_loss((logits, z, x), y, X=X, training=False)
    assert torch.allclose(validation, (ce * weight).sum() / weight.sum())


def test_the_estimator_trains_through_its_skorch_net(digits):
    X, y = digits
    clf = NMTuneClassifier(max_epochs=6, random_state=0).fit(X[:600], y[:600])
    assert isinstance(clf.net_, skorch.NeuralNet)
    assert "get_loss" in vars(type(clf.net_))
    criterion = clf.net_.criterion_
    assert isinstance(criterion, NMTuneLoss)
    assert (criterion.lambda_mse, criterion.lambda_cov, criterion.lambda_svd) == (
        clf.lambda_mse,
        clf.lambda_cov,
        clf.lambda_svd,
    )
    assert isinstance(clf.net_.optimizer_, torch.optim.AdamW)
    assert len(clf.history_) == clf.n_iter_
    for row in clf.history_:
        assert {"train_loss", "valid_loss", "valid_acc", "lr", "dur"} <= set(row)
    assert clf.history_[:, "epoch"] == list(range(1, clf.n_iter_ + 1))


def test_user_callbacks_run_once_per_epoch(digits, tmp_path):
    X, y = digits
    scoring = EpochScoring("accuracy", on_train=True, name="train_acc")
    checkpoint = Checkpoint(monitor=None, dirname=str(tmp_path))
    callbacks = [("count", _Counter()), scoring, checkpoint]
    clf = NMTuneClassifier(callbacks=callbacks, **FAST).fit(X[:300], y[:300])
    ran = dict(clf.net_.callbacks_)
    assert ran["count"].epochs_ == clf.n_iter_ == 4
    assert len(clf.history_[:, "train_acc"]) == 4
    assert (tmp_path / "params.pt").is_file()
    # The parameter holds the user's callbacks unfitted: each fit copies them.
    assert not hasattr(callbacks[0][1], "epochs_")


def test_a_callback_can_stop_training_and_every_callback_sees_the_last_epoch(
    digits,
):
    X, y = digits
    # The loss falls every epoch: "higher is better" sees no improvement.
    stop = EarlyStopping(monitor="train_loss", lower_is_better=False, patience=2)
    clf = NMTuneClassifier(
        callbacks=[stop, ("count", _Counter())], **{**FAST, "max_epochs": 20}
    ).fit(X[:300], y[:300])
    assert clf.n_iter_ == 3
    assert dict(clf.net_.callbacks_)["count"].epochs_ == clf.n_iter_


def test_partial_fit_continues_training(digits):
    X, y = digits
    clf = NMTuneClassifier(**{**FAST, "max_epochs": 1}).fit(X[:500], y[:500])
    for _ in range(4):
        clf.partial_fit(X[:500], y[:500])
    losses = clf.history_[:, "train_loss"]
    assert clf.n_iter_ == clf.best_epoch_ == 5 == len(losses)
    assert losses[-1] < losses[0]
    assert clf.history_[1:, "lr"] == pytest.approx([clf.lr] * 4)


def test_partial_fit_from_scratch_fixes_the_classes(digits):
    X, y = digits
    first = y[:400] < 5
    clf = NMTuneClassifier(random_state=0)
    clf.partial_fit(X[:400][first], y[:400][first], classes=np.arange(10))
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    clf.partial_fit(X[:400][~first], y[:400][~first])
    assert clf.n_iter_ == 2
    with pytest.raises(ValueError, match="not among the classes"):
        clf.partial_fit(X[:10], np.full(10, 11))


def test_the_linear_probe_has_no_partial_fit():
    # Solved in one step by fit, as scikit-learn's available_if says.
    assert not hasattr(NMTuneClassifier(n_layers=0), "partial_fit")
    assert hasattr(NMTuneClassifier(), "partial_fit")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"n_layers": 1, "hidden_ratio": 2.0}, "hidden_ratio cannot act.*n_layers=1"),
        (
            {"init": "random", "standardize": False, "C": 0.5},
            "C cannot act.*init='random'",
        ),
        ({"svd_top_k": 8}, "svd_top_k cannot act.*rank of a batch"),
    ],
)
def test_the_inactive_parameter_warning_names_the_condition_and_the_callers_line(
    params, message
):
    X, y = make_blobs(60, n_features=3, centers=2, random_state=0)
    with pytest.warns(UserWarning, match=message) as record:
        NMTuneClassifier(max_epochs=1, **params).fit(X, y)
    assert record[0].filename == __file__
