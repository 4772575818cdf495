"""NMTuneNet: NMTune's objective on any module, as a skorch net.

skorch trains the network: batching through ``iterator_train``, the optimizer,
the history, callbacks (early stopping, schedules, checkpoints, loggers),
``partial_fit``, saving and loading parameters. What NMTune adds sits where
skorch documents custom losses: :meth:`NMTuneNet.get_loss` receives the module's
whole output ``(logits, z, x)`` and adds the three spectral regularizers to the
cross-entropy (:class:`~sknml._losses.NMTuneLoss`, arXiv:2309.17002, section 3.1).
"""

from collections.abc import Mapping

import torch
import torch.nn.functional as F
from skorch import NeuralNetClassifier
from skorch.callbacks import PassthroughScoring
from skorch.utils import to_tensor

from sknml._docs import DocLinkMixin
from sknml._losses import NMTuneLoss

# The unweighted terms of the training loss, averaged per epoch in the history.
_TERMS = ("ce", "mse", "cov", "svd")


def _softmax(logits):
    return torch.softmax(logits, dim=-1)


class _StopTraining(Exception):
    """A callback asked to end training at the end of an epoch."""


class NMTuneNet(DocLinkMixin, NeuralNetClassifier):
    """A skorch classifier net trained with NMTune's regularized objective.

    The module must return ``(logits, z, x)`` from ``forward``: the class scores,
    the tuned features ``z`` the head classifies and the frozen input features
    ``x`` that ``z`` is tuned from. The training loss is

    ``CE + lambda_mse * L_mse + lambda_cov * L_cov + lambda_svd * L_svd``,

    the criterion ``NMTuneLoss`` (the default) with its weights set as
    ``criterion__lambda_mse=...`` and so on. The validation loss is the
    cross-entropy alone: the regularizers describe training batches, not a model's
    fit. Everything else is skorch's :class:`~skorch.NeuralNetClassifier`, with
    AdamW as the default optimizer and softmax probabilities from the logits.

    Two additions: rows may carry weights, given as ``X={"x": X, "sample_weight":
    w}`` (the cross-entropy is weighted, the regularizers are not, and the module
    receives ``x`` alone); and a ``KeyboardInterrupt`` raised by a callback at
    the end of an epoch (skorch's way to stop, as in
    :class:`~skorch.callbacks.EarlyStopping`) ends training once every callback
    has seen that epoch, while one raised anywhere else (Ctrl+C) propagates
    instead of being swallowed.

    Parameters
    ----------
    module : torch.nn.Module class or instance
        Returns ``(logits, z, x)``.
    criterion : torch criterion class, default=NMTuneLoss
        Called as ``criterion(logits, z, x, y, sample_weight)``, returning the loss
        and a dict of its unweighted terms (recorded as ``ce``, ``mse``, ``cov``,
        ``svd``).
    optimizer : torch optimizer class, default=torch.optim.AdamW
        As in skorch.
    predict_nonlinearity : callable, default=softmax
        Applied to the logits by ``predict_proba``.
    **kwargs
        Any other parameter of :class:`~skorch.NeuralNetClassifier`.

    See Also
    --------
    NMTuneClassifier : NMTune on a feature matrix, with its whole recipe.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sknml import NMTuneNet
    >>> class Tuner(torch.nn.Module):
    ...     def __init__(self):
    ...         super().__init__()
    ...         self.g = torch.nn.Linear(8, 8)
    ...         self.head = torch.nn.Linear(8, 2)
    ...     def forward(self, x):
    ...         z = x + self.g(x)
    ...         return self.head(z), z, x
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((200, 8)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(np.int64)
    >>> net = NMTuneNet(Tuner, criterion__lambda_cov=0.1, max_epochs=3, verbose=0)
    >>> net = net.fit(X, y)
    >>> {"train_loss", "ce", "mse", "cov", "svd"} <= set(net.history[-1])
    True
    """

    def __init__(
        self,
        module,
        *args,
        criterion=NMTuneLoss,
        optimizer=torch.optim.AdamW,
        predict_nonlinearity=_softmax,
        **kwargs,
    ):
        super().__init__(
            module,
            *args,
            criterion=criterion,
            optimizer=optimizer,
            predict_nonlinearity=predict_nonlinearity,
            **kwargs,
        )

    @property
    def _default_callbacks(self):
        terms = [
            (name, PassthroughScoring(name=name, on_train=True)) for name in _TERMS
        ]
        defaults = super()._default_callbacks
        return defaults[:-1] + terms + defaults[-1:]

    def infer(self, x, **fit_params):
        """The module's output for a batch; row weights are not passed to it."""
        if isinstance(x, Mapping):
            x = {key: value for key, value in x.items() if key != "sample_weight"}
        return super().infer(x, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """NMTune's loss of a batch from the module's ``(logits, z, x)``.

        Parameters
        ----------
        y_pred : tuple of torch.Tensor
            ``(logits, z, x)``, the module's output.
        y_true : torch.Tensor
            Class indices.
        X : torch.Tensor or dict, default=None
            The batch's input; a dict may carry ``sample_weight``.
        training : bool, default=False
            Training: the regularized objective, its terms recorded in the
            batch's history. Validation: the (weighted) cross-entropy alone.

        Returns
        -------
        loss : torch.Tensor
            A scalar.
        """
        logits, z, x = y_pred[:3]
        y_true = to_tensor(y_true, device=self.device)
        weight = X.get("sample_weight") if isinstance(X, Mapping) else None
        if not training:
            losses = F.cross_entropy(logits, y_true, reduction="none")
            if weight is None:
                return losses.mean()
            return (losses * weight).sum() / weight.sum()
        # Checked before the loss: the spectral term's eigensolver fails on NaN.
        if not torch.isfinite(z).all():
            raise self._diverged()
        loss, terms = self.criterion_(logits, z, x, y_true, weight)
        if not torch.isfinite(loss):
            raise self._diverged()
        for name, value in terms.items():
            self.history.record_batch(name, value.item())
        return loss

    def _diverged(self):
        return ValueError(
            f"Training diverged in epoch {len(self.history)}: the network produced "
            f"non-finite values (lr={self.lr:g}). Lower lr, or rescale X (very "
            "large values overflow float32); standardize=True does that."
        )

    def notify(self, method_name, **cb_kwargs):
        """Call ``method_name`` on the net and every callback.

        At the end of an epoch every callback runs even when one asks to stop
        (raises ``KeyboardInterrupt``); training then ends.
        """
        if method_name != "on_epoch_end":
            return super().notify(method_name, **cb_kwargs)
        self.on_epoch_end(self, **cb_kwargs)
        stop = False
        for _, callback in self.callbacks_:
            try:
                callback.on_epoch_end(self, **cb_kwargs)
            except KeyboardInterrupt:
                stop = True
        if stop:
            raise _StopTraining

    def partial_fit(self, X, y=None, classes=None, epochs=None, **fit_params):
        """Train more epochs from the current state (initializing if needed).

        As skorch's ``partial_fit``, with ``epochs`` (None: ``max_epochs``) and
        the stopping rule of the class docstring.

        Parameters
        ----------
        X : input data
            As skorch's; a dict may carry ``sample_weight``.
        y : array-like, default=None
            Targets.
        classes : array-like, default=None
            Unused, for scikit-learn's signature.
        epochs : int, default=None
            Epochs to train; None for ``max_epochs``.
        **fit_params : dict
            Passed to the module's ``forward``.

        Returns
        -------
        self : NMTuneNet
        """
        if not self.initialized_:
            self.initialize()
        routing_method = fit_params.pop("_routing_method", "partial_fit")
        self.notify("on_train_begin", X=X, y=y)
        try:
            self.fit_loop(
                X, y, epochs=epochs, _routing_method=routing_method, **fit_params
            )
        except _StopTraining:
            pass
        self.notify("on_train_end", X=X, y=y)
        return self
