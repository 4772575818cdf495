"""The torch network NMTune trains on top of frozen features (PAPER.md section 4).

``x -> standardize -> g (MLP, D -> D) -> z -> linear head -> logits``. With no MLP
layers it is the linear probe.
"""

import numpy as np
import torch
from torch import nn

_ACTIVATIONS = {"relu": nn.ReLU, "gelu": nn.GELU, "tanh": nn.Tanh}


class Standardize(nn.Module):
    """Subtract fixed column means and divide by fixed column scales.

    The statistics are buffers: saved and moved with the network, never trained.

    Parameters
    ----------
    mean, scale : numpy.ndarray of shape (n_features,)
    """

    def __init__(self, mean: np.ndarray, scale: np.ndarray):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))

    def forward(self, x):
        return (x - self.mean) / self.scale


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

    ``forward`` returns ``(logits, z, x)``: the class scores, the tuned features and
    the standardized input features (the loss compares ``z`` with ``x``). With
    ``n_layers=0`` there is no ``g`` and ``z`` *is* ``x``.

    Parameters
    ----------
    mean, scale : numpy.ndarray of shape (n_features,)
        Input standardization statistics (zeros and ones to disable it).
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
        If True, ``z = s * g(x) + x`` with a learnable per-feature scale ``s``.
    residual_init : float
        Initial value of every entry of ``s``.
    """

    def __init__(
        self,
        mean,
        scale,
        n_classes,
        n_layers,
        hidden_ratio,
        activation,
        batch_norm,
        residual,
        residual_init,
    ):
        super().__init__()
        n_features = len(mean)
        self.standardize = Standardize(mean, scale)
        self.tuner = (
            _mlp(n_features, n_layers, hidden_ratio, activation, batch_norm)
            if n_layers
            else None
        )
        self.residual_scale = (
            nn.Parameter(torch.full((n_features,), float(residual_init)))
            if residual and n_layers
            else None
        )
        self.head = nn.Linear(n_features, n_classes)

    def features(self, x):
        """Return ``(z, x)``: tuned features and standardized input."""
        x = self.standardize(x)
        if self.tuner is None:
            return x, x
        z = self.tuner(x)
        if self.residual_scale is not None:
            z = self.residual_scale * z + x
        return z, x

    def forward(self, x):
        z, x = self.features(x)
        return self.head(z), z, x
