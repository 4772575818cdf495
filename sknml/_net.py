"""The skorch net NMTuneClassifier trains, and the callbacks it adds.

skorch's defaults that do not suit an estimator are overridden here: its ``fit``
swallows KeyboardInterrupt, and a diverging network trains on to NaN.
"""

import torch
from skorch import NeuralNet
from skorch.callbacks import Callback, EarlyStopping
from tqdm.auto import tqdm


class _Interrupted(Exception):
    """Carries a KeyboardInterrupt past skorch, which would swallow it."""


class _StopTraining(KeyboardInterrupt):
    """Early stopping's signal: skorch ends training on a KeyboardInterrupt."""


class _EarlyStopping(EarlyStopping):
    """skorch's EarlyStopping, whose stop signal is told apart from Ctrl+C."""

    def on_epoch_end(self, net, **kwargs):
        try:
            super().on_epoch_end(net, **kwargs)
        except KeyboardInterrupt:
            if self.misses_ < self.patience:
                raise
            raise _StopTraining from None


class _Net(NeuralNet):
    """skorch net whose loss sees the whole network output and sample weights.

    Unlike skorch's, its ``fit`` lets a KeyboardInterrupt through (skorch's
    ``partial_fit`` catches it and returns a half-trained net), and a batch whose
    output is NaN or infinite stops training with a ValueError instead of
    crashing deep in an eigensolver or training on to NaN probabilities.
    """

    def fit(self, X, y=None, **fit_params):
        try:
            return super().fit(X, y, **fit_params)
        except _Interrupted as exc:
            raise exc.__cause__ from None

    def fit_loop(self, X, y=None, **fit_params):
        try:
            return super().fit_loop(X, y, **fit_params)
        except _StopTraining:
            raise
        except KeyboardInterrupt as exc:
            raise _Interrupted from exc

    def get_loss(self, y_pred, y_true, X=None, training=False):
        target, weight = y_true
        if weight is not None:
            weight = weight.to(self.device)
        # Checked before the loss: the spectral term's eigensolver fails on NaN.
        if not torch.isfinite(y_pred[1]).all():
            self._diverged()
        loss = self.criterion_(y_pred, target.to(self.device), weight)
        if not torch.isfinite(loss):
            self._diverged()
        return loss

    def _diverged(self):
        raise ValueError(
            f"Training diverged in epoch {len(self.history)}: the network produced "
            f"non-finite values (lr={self.lr:g}). Lower lr, or rescale X (very "
            "large values overflow float32); standardize=True does that."
        )


class _EpochProgress(Callback):
    """One tqdm bar per fit, advanced each epoch, showing the latest losses."""

    def on_train_begin(self, net, **kwargs):
        self.bar_ = tqdm(total=net.max_epochs, desc="NMTune", unit="epoch")

    def on_epoch_end(self, net, **kwargs):
        row = net.history[-1]
        keys = [key for key in ("train_loss", "valid_loss") if key in row]
        self.bar_.set_postfix({key: f"{row[key]:.4f}" for key in keys})
        self.bar_.update()

    def on_train_end(self, net, **kwargs):
        self.bar_.close()
