"""The rules of NMTune's training, as skorch callbacks.

:class:`~sknml.NMTuneClassifier` trains its :class:`~sknml.NMTuneNet` with these
three, ahead of any callback the user adds:

- :class:`ValidationGate` scores the network on the validation split before
  training (epoch 0, the start) and after every epoch, and keeps the start unless a
  trained epoch beats it by more than chance: the keep-the-start rule;
- :class:`LRSchedule` warms the learning rate up, then anneals it by a cosine (no
  validation split) or cuts it on a plateau of the validation score and ends
  training at the next plateau;
- :class:`EpochProgressBar` shows one tick per epoch, with that epoch's loss.
"""

import math

import torch
from skorch.callbacks import Callback
from tqdm.auto import tqdm

from sknml._data import batch_bounds
from sknml._selection import beats_by_mcnemar, weighted_scores


def _batch_weight(Xi):
    """The row weights carried by a batch's input, or None."""
    return Xi.get("sample_weight") if isinstance(Xi, dict) else None


class ValidationGate(Callback):
    """Score each epoch on the validation split; keep the start unless beaten.

    An epoch *improves* when its (weighted) validation accuracy beats the best so
    far by more than ``tol``, or equals it with a cross-entropy lower by more than
    ``tol`` (relative); :class:`LRSchedule` counts epochs without improvement.
    The epoch *kept* is the start (the network before training) unless a later
    epoch beats it in McNemar's test on the validation rows and has no higher
    validation cross-entropy than the start; among such epochs, the most accurate
    (ties: the lower cross-entropy). A difference within the split's noise never
    replaces the start, and neither does an over-fitted network whose accuracy
    peaks on a few rows while its confident errors raise the cross-entropy. At
    the end of training the network holds the kept epoch's weights.

    With ``keep_start=False`` the start is scored but never kept: the epoch kept
    is the most accurate trained epoch (ties: the lower cross-entropy), as plain
    early stopping keeps it, whether or not it beats the start.

    Records ``valid_acc``, ``valid_improved`` and ``kept_epoch`` (the epoch the
    network would return to if training ended there) in the net's history.

    Parameters
    ----------
    tol : float, default=1e-4
        Improvement that counts (absolute accuracy, relative cross-entropy).
    keep_start : bool, default=True
        Keep the start unless a trained epoch beats it (the keep-the-start rule).

    Attributes
    ----------
    start_scores_ : tuple of (float, float)
        Validation accuracy and cross-entropy of the start.
    kept_epoch_ : int
        The epoch the network holds after training (0: the start).
    """

    def __init__(self, tol=1e-4, keep_start=True):
        self.tol = tol
        self.keep_start = keep_start

    def initialize(self):
        self.best_ = None
        self.start_correct_ = None
        self.start_scores_ = None
        self.kept_ = None
        self.kept_epoch_ = 0
        self.kept_state_ = None
        self.batches_ = []
        return self

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.initialize()

    def on_epoch_begin(self, net, dataset_valid=None, **kwargs):
        self.batches_ = []
        if self.start_scores_ is None and dataset_valid is not None:
            self._score_start(net, dataset_valid)

    @torch.no_grad()
    def _score_start(self, net, dataset):
        """Score the network as it is before this run's first epoch."""
        for batch in net.get_iterator(dataset, training=False):
            self._collect(batch, net.evaluation_step(batch))
        self._update(net, len(net.history) - 1)

    def _collect(self, batch, y_pred):
        Xi, yi = batch
        logits = y_pred[0] if isinstance(y_pred, tuple) else y_pred
        self.batches_.append((logits.detach(), yi, _batch_weight(Xi)))

    def on_batch_end(self, net, batch=None, training=False, y_pred=None, **kwargs):
        if not training:
            self._collect(batch, y_pred)

    def on_epoch_end(self, net, **kwargs):
        if not self.batches_:
            return
        accuracy, improved = self._update(net, len(net.history))
        net.history.record("valid_acc", accuracy)
        net.history.record("valid_improved", improved)
        net.history.record("kept_epoch", self.kept_epoch_)

    def _update(self, net, epoch):
        """Score the collected batches as ``epoch``; keep its weights if it wins."""
        logits, y, weight = zip(*self.batches_, strict=True)
        weight = None if weight[0] is None else torch.cat(weight)
        correct, accuracy, loss = weighted_scores(
            torch.cat(logits), torch.cat(y), weight
        )
        self.batches_ = []
        improved = self.best_ is None or (
            accuracy > self.best_[0] + self.tol
            or (
                abs(accuracy - self.best_[0]) <= self.tol
                and loss < self.best_[1] - self.tol * abs(self.best_[1])
            )
        )
        if improved:
            self.best_ = (accuracy, loss)
        start = self.start_scores_ is None
        if start:
            self.start_correct_, self.start_scores_ = correct, (accuracy, loss)
        if self.keep_start:
            kept = start or (
                loss <= self.start_scores_[1]
                and beats_by_mcnemar(correct, self.start_correct_, weight)
                and self._beats_kept(accuracy, loss)
            )
        else:
            kept = not start and (
                self.kept_epoch_ == 0 or self._beats_kept(accuracy, loss)
            )
        if kept:
            self.kept_, self.kept_epoch_ = (accuracy, loss), epoch
            self.kept_state_ = {
                key: value.detach().clone()
                for key, value in net.module_.state_dict().items()
            }
        return accuracy, improved

    def _beats_kept(self, accuracy, loss):
        """More accurate than the kept epoch, or as accurate at a lower loss
        (the start, kept first, wins ties)."""
        return accuracy > self.kept_[0] or (
            self.kept_epoch_ > 0 and accuracy == self.kept_[0] and loss < self.kept_[1]
        )

    def on_train_end(self, net, X=None, y=None, **kwargs):
        if self.kept_state_ is not None:
            net.module_.load_state_dict(self.kept_state_)
            self.kept_state_ = None


class LRSchedule(Callback):
    """Warm-up, then a cosine to zero or cuts on plateaus; early stopping.

    The learning rate rises linearly over the first ``warmup_share`` of the
    planned steps (``max_epochs`` epochs of the training rows). With ``cosine`` it
    then follows a cosine to zero at the last planned step. Otherwise it stays
    at ``net.lr`` until ``patience`` epochs have passed without an improvement
    (``valid_improved`` in the history, from :class:`ValidationGate`); it is then
    multiplied by ``factor``, and after ``max_reductions`` such cuts the next
    plateau ends training. Records ``lr``, the rate of the epoch's last step.

    Parameters
    ----------
    warmup_share : float, default=0.05
        Share of the planned steps spent warming up; 0 starts at ``net.lr``.
    cosine : bool, default=True
        Anneal by a cosine (for training without a validation split).
    patience : int, default=5
        Epochs without improvement before a cut, or the end.
    factor : float, default=0.1
        Factor of each cut.
    max_reductions : int, default=1
        Cuts before a plateau ends training.
    """

    def __init__(
        self, warmup_share=0.05, cosine=True, patience=5, factor=0.1, max_reductions=1
    ):
        self.warmup_share = warmup_share
        self.cosine = cosine
        self.patience = patience
        self.factor = factor
        self.max_reductions = max_reductions

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        n_batches = len(batch_bounds(len(X), net.batch_size))
        self.n_steps_ = net.max_epochs * n_batches
        self.n_warmup_ = max(1, round(self.warmup_share * self.n_steps_))
        self.step_ = 0
        self.plateau_ = 1.0
        self.since_best_ = 0
        self.reductions_ = 0

    def _factor(self):
        step = self.step_
        if step < self.n_warmup_:
            return (step + 1) / self.n_warmup_
        if not self.cosine:
            return 1.0
        span = max(1, self.n_steps_ - self.n_warmup_)
        progress = min(1.0, (step - self.n_warmup_) / span)
        return 0.5 * (1.0 + math.cos(math.pi * progress))

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            lr = net.lr * self._factor() * self.plateau_
            for group in net.optimizer_.param_groups:
                group["lr"] = lr

    def on_batch_end(self, net, batch=None, training=False, **kwargs):
        if training:
            self.step_ += 1

    def on_epoch_end(self, net, **kwargs):
        net.history.record("lr", net.optimizer_.param_groups[0]["lr"])
        row = net.history[-1]
        if "valid_improved" not in row:
            return
        self.since_best_ = 0 if row["valid_improved"] else self.since_best_ + 1
        if self.since_best_ >= self.patience:
            if self.reductions_ == self.max_reductions:
                raise KeyboardInterrupt  # skorch's way to end training
            self.reductions_ += 1
            self.plateau_ *= self.factor
            self.since_best_ = 0


class EpochProgressBar(Callback):
    """A tqdm bar over the planned epochs, showing the loss of the epoch it counts.

    Parameters
    ----------
    desc : str, default='NMTune'
        Label of the bar.
    """

    def __init__(self, desc="NMTune"):
        self.desc = desc

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        self.bar_ = tqdm(total=net.max_epochs, desc=self.desc, unit="epoch")

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        # Set without a refresh, then shown by update() with the count it moves to.
        self.bar_.set_postfix(
            {
                key: f"{row[key]:.4f}"
                for key in ("train_loss", "valid_acc")
                if key in row
            },
            refresh=False,
        )
        self.bar_.update()

    def on_train_end(self, net, X=None, y=None, **kwargs):
        self.bar_.close()
