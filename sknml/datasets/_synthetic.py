"""Synthetic feature matrices shaped like foundation-model embeddings."""

from numbers import Integral, Real

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params


@validate_params(
    {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "n_features": [Interval(Integral, 1, None, closed="left")],
        "n_classes": [Interval(Integral, 1, None, closed="left")],
        "class_sep": [Interval(Real, 0, None, closed="left")],
        "spectrum_decay": [Interval(Real, None, None, closed="neither")],
        "common_direction": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def make_embedding_like(
    n_samples: int = 1000,
    n_features: int = 384,
    n_classes: int = 10,
    *,
    class_sep: float = 0.5,
    spectrum_decay: float = 1.0,
    common_direction: float = 4.0,
    random_state: int | np.random.RandomState | None = None,
):
    """Labelled features with the anisotropy of real embeddings, for tests and timing.

    Real embeddings (sentence encoders, CLIP) are unit-norm rows whose energy sits
    in a shared mean direction and a few dominant axes, with class structure in a
    decaying tail. This draws class centres and within-class noise, scales axis
    ``j`` by ``(j + 1) ** -spectrum_decay``, rotates at random, adds a common
    offset, and L2-normalizes the rows. Plain gradient descent on such features
    is badly conditioned, which is what a linear probe has to cope with.

    Parameters
    ----------
    n_samples : int, default=1000
        Number of rows.
    n_features : int, default=384
        Embedding dimension.
    n_classes : int, default=10
        Number of classes, drawn uniformly.
    class_sep : float, default=0.5
        Scale of the class centres relative to the within-class noise.
    spectrum_decay : float, default=1.0
        Power-law decay of the axis scales.
    common_direction : float, default=4.0
        Norm of the shared offset relative to the typical row norm before it.
    random_state : int, RandomState instance or None, default=None
        Seed.

    Returns
    -------
    data : sklearn.utils.Bunch
        ``data`` (float32, shape (n_samples, n_features)) and ``target`` (int).

    Examples
    --------
    >>> import numpy as np
    >>> from sknml.datasets import make_embedding_like
    >>> bunch = make_embedding_like(100, 16, 3, random_state=0)
    >>> bunch.data.shape, bunch.data.dtype
    ((100, 16), dtype('float32'))
    >>> bool(np.allclose(np.linalg.norm(bunch.data, axis=1), 1, atol=1e-6))
    True
    """
    rng = check_random_state(random_state)
    target = rng.randint(n_classes, size=n_samples)
    centres = class_sep * rng.standard_normal((n_classes, n_features))
    latent = centres[target] + rng.standard_normal((n_samples, n_features))
    latent *= (1.0 + np.arange(n_features)) ** -spectrum_decay
    rotation, _ = np.linalg.qr(rng.standard_normal((n_features, n_features)))
    data = latent @ rotation
    offset = rng.standard_normal(n_features)
    typical_norm = np.median(np.linalg.norm(data, axis=1))
    data += common_direction * typical_norm * offset / np.linalg.norm(offset)
    data /= np.linalg.norm(data, axis=1, keepdims=True)
    return Bunch(data=data.astype(np.float32), target=target)
