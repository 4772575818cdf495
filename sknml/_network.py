"""The torch network NMTune trains on top of frozen features (arXiv:2309.17002, §3.1).

``x -> standardize -> x~ -> g (MLP, D -> D) -> z -> linear head -> logits``. With no
MLP layers ``z`` is ``x~`` and the network is the linear probe. The network is
built from shapes and settings alone; its standardization statistics are buffers,
so a saved ``state_dict`` restores it completely. It owns its start
(:meth:`NMTuneNetwork.set_standardization`, :meth:`NMTuneNetwork.start_at_probe`)
and its chunked inference (:meth:`NMTuneNetwork.predict_chunks`).
"""

from contextlib import contextmanager
from functools import partial

import numpy as np
import torch
from sklearn.utils import gen_batches
from torch import nn
from torch.nn import functional as F

from sknml._data import as_tensor

# Rows per chunk when predicting: measured fastest here (1,024 to 32,768 tried).
_CHUNK_ROWS = 4096
# ReLU works in place (on the output of a Linear or BatchNorm layer, which their
# backward passes do not read): one memory pass less per hidden layer.
_ACTIVATIONS = {
    "relu": partial(nn.ReLU, inplace=True),
    "gelu": nn.GELU,
    "tanh": nn.Tanh,
}


class Standardize(nn.Module):
    """Subtract fixed column means and divide by fixed column scales.

    The statistics are float64 buffers, saved and moved with the network and never
    trained; they are applied in the dtype of the input, so float64 input is
    centered in float64 (an offset of 1e8 does not round a signal of size 1 away).

    Parameters
    ----------
    n_features : int
        Number of columns; the statistics start as zeros and ones.
    """

    def __init__(self, n_features: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_features, dtype=torch.float64))
        self.register_buffer("scale", torch.ones(n_features, dtype=torch.float64))

    # False inside NMTuneNetwork.standardized_input: the input is standardized.
    active = True

    def forward(self, x):
        if not self.active:
            return x
        return torch.sub(x, self.mean.to(x.dtype)).div_(self.scale.to(x.dtype))


def _mlp(n_features, n_layers, hidden_ratio, activation, batch_norm):
    """``n_layers`` Linear layers from D back to D; hidden blocks get BN and act."""
    hidden = max(1, round(hidden_ratio * n_features))
    widths = [n_features] + [hidden] * (n_layers - 1) + [n_features]
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:], strict=True)):
        layers.append(nn.Linear(fan_in, fan_out))
        if i < n_layers - 1:
            if batch_norm:
                layers.append(nn.BatchNorm1d(fan_out))
            if activation is not None:
                layers.append(_ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


class NMTuneNetwork(nn.Module):
    """Standardization, the tuning MLP ``g`` and the linear head.

    ``forward(x)`` standardizes ``x`` and returns ``(logits, z, x~)``: the class
    scores, the tuned features and the standardized input (the loss compares ``z``
    with ``x~``); inside :meth:`standardized_input` it takes input standardized
    already, as training does. With ``n_layers=0`` there is no ``g`` and ``z``
    *is* ``x~``. With ``residual``, ``z = x~ + s * g(x~)`` with a learnable
    per-feature scale ``s``.

    Parameters
    ----------
    n_features : int
        Width of ``x`` and ``z``.
    n_classes : int
        Width of the head.
    n_layers : int
        Linear layers in ``g``; 0 for the linear probe.
    hidden_ratio : float
        Hidden width of ``g`` as a multiple of ``n_features``.
    activation : {'relu', 'gelu', 'tanh'} or None
        Non-linearity after each hidden layer of ``g``.
    batch_norm : bool
        Whether hidden layers of ``g`` are followed by ``BatchNorm1d``.
    residual : bool
        Whether ``z = x~ + s * g(x~)`` rather than ``z = g(x~)``.

    See Also
    --------
    NMTuneNet : Trains it (or any module returning ``(logits, z, x)``).
    NMTuneClassifier : Builds, starts and trains it on a feature matrix.

    Examples
    --------
    >>> import torch
    >>> from sknml import NMTuneNetwork
    >>> network = NMTuneNetwork(
    ...     n_features=8, n_classes=3, n_layers=2, hidden_ratio=4.0,
    ...     activation="relu", batch_norm=True, residual=True,
    ... )
    >>> logits, z, x = network.eval()(torch.randn(5, 8))
    >>> logits.shape, z.shape
    (torch.Size([5, 3]), torch.Size([5, 8]))
    """

    def __init__(
        self,
        n_features: int,
        n_classes: int,
        n_layers: int,
        hidden_ratio: float,
        activation: str | None,
        batch_norm: bool,
        residual: bool,
    ):
        super().__init__()
        self.standardize = Standardize(n_features)
        self.tuner = (
            _mlp(n_features, n_layers, hidden_ratio, activation, batch_norm)
            if n_layers
            else None
        )
        self.residual_scale = (
            nn.Parameter(torch.ones(n_features)) if residual and n_layers else None
        )
        self.head = nn.Linear(n_features, n_classes)

    def set_standardization(self, mean, scale):
        """Standardize input by these column means and scales (float64 arrays)."""
        with torch.no_grad():
            self.standardize.mean.copy_(torch.as_tensor(mean))
            self.standardize.scale.copy_(torch.as_tensor(scale))

    @contextmanager
    def standardized_input(self):
        """Within the block, ``forward`` takes input that is standardized already.

        Training feeds rows standardized once in their own dtype (a float64
        offset of 1e8 does not round a signal of size 1 away, as a float32 copy
        would), so the network must not standardize them again.
        """
        self.standardize.active = False
        try:
            yield self
        finally:
            del self.standardize.active

    def start_at_probe(self, coef, intercept):
        """Start as the linear probe ``(coef, intercept)``: LP-FT's start.

        The head takes the probe; with ``residual`` the last layer of ``g`` starts
        at zero, so ``z = x~`` and the untrained network *is* the probe, while
        ``g`` still gets gradient from the first step.
        """
        with torch.no_grad():
            self.head.weight.copy_(coef)
            self.head.bias.copy_(intercept)
            if self.tuner is not None and self.residual_scale is not None:
                self.tuner[-1].weight.zero_()
                self.tuner[-1].bias.zero_()

    def set_residual_scale(self, value):
        """Set every entry of the residual scale ``s`` (when there is one)."""
        if self.residual_scale is not None:
            with torch.no_grad():
                self.residual_scale.fill_(value)

    def _tuned(self, x):
        """``(logits, z, x)`` for input ``x`` that is standardized already."""
        if self.tuner is None:
            return self.head(x), x, x
        z = self.tuner(x)
        if self.residual_scale is not None:
            z = x + self.residual_scale * z
        return self.head(z), z, x

    def forward(self, x, logits_only: bool = False):
        """``(logits, z, x~)``; with ``logits_only``, the logits alone, for inference.

        The logits alone take one large product fewer: the last layer of ``g``
        (``A h + a`` on the hidden features ``h``) and the head (``W z + b``) are
        both linear, with only the residual sum between them, so
        ``W (x~ + s * (A h + a)) + b = W x~ + (W diag(s) A) h + (W (s * a) + b)``:
        one ``hidden -> classes`` product for the ``hidden -> D -> classes``
        pair. Equal to ``forward(x)[0]`` up to float rounding.
        """
        x = self.standardize(x)
        if not logits_only:
            return self._tuned(x)
        if self.tuner is None:
            return self.head(x)
        *hidden, last = self.tuner
        h = x
        for layer in hidden:
            h = layer(h)
        head = self.head.weight
        if self.residual_scale is not None:
            head = head * self.residual_scale
        logits = F.linear(h, head @ last.weight, self.head.bias + head @ last.bias)
        if self.residual_scale is not None:
            logits = logits.addmm_(x, self.head.weight.T)
        return logits

    def predict_chunks(self, X, output, finish=None):
        """Output ``output`` (0: logits, 1: z) for the rows of X, as an ndarray.

        Chunk by chunk on the network's device, each chunk passed through
        ``finish`` (e.g. softmax) while it is in cache. Computed in X's dtype:
        float32 X runs the network as it is, float64 X a float64 view of its
        weights (float32 matrix products round differently with the number of
        rows, so a row's prediction would depend on the rows predicted with it).
        The logits go through the composed head (``forward(x, logits_only=True)``).

        Parameters
        ----------
        X : ndarray of shape (n_samples, n_features), float32 or float64
            Raw features.
        output : {0, 1}
            Logits or tuned features.
        finish : callable, default=None
            Applied to each chunk's tensor.

        Returns
        -------
        values : ndarray
        """
        device = self.head.weight.device
        dtype = torch.float64 if X.dtype == np.float64 else torch.float32
        state = None
        if dtype == torch.float64:
            state = {
                name: value.to(dtype) if value.is_floating_point() else value
                for name, value in self.state_dict().items()
            }
        results = []
        self.eval()
        with torch.inference_mode():
            for rows in gen_batches(len(X), _CHUNK_ROWS):
                args = (as_tensor(X[rows]).to(device),)
                kwargs = {"logits_only": output == 0}
                if state is None:
                    values = self(*args, **kwargs)
                else:
                    values = torch.func.functional_call(self, state, args, kwargs)
                if output:
                    values = values[output]
                results.append((values if finish is None else finish(values)).cpu())
        return torch.cat(results).numpy()
