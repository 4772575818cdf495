"""The study's backbone: a small CNN, its noisy pre-training and its disk cache."""

import hashlib
import json
import time
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, validate_params
from torch import nn
from torch.nn import functional as F

from sknml.datasets import load_fashion_mnist
from sknml.experiments.study._data import DATA_SEED, fashion_permutation
from sknml.noise import SymmetricLabelNoise
from sknml.utils import progress_bar, resolve_device

# Bump when SmallCNN or the pre-training loop changes: old cached backbones then
# stop matching their key instead of being silently reused.
_BACKBONE_VERSION = 1


class SmallCNN(nn.Module):
    """The study's backbone: two conv blocks and a ``n_features``-wide layer.

    ``features`` maps (n, 1, 28, 28) images to (n, n_features) non-negative
    features, the frozen ``f`` of the paper; ``head`` is the pre-training
    classifier on top, dropped downstream.

    Parameters
    ----------
    n_classes : int, default=10
        Width of the pre-training head.
    n_features : int, default=128
        Dimension of the features.
    channels : tuple of int, default=(16, 32)
        Output channels of the two 3 x 3 convolutions.

    Examples
    --------
    >>> import torch
    >>> from sknml.experiments.study import SmallCNN
    >>> cnn = SmallCNN()
    >>> cnn.features(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 128])
    >>> cnn(torch.zeros(2, 1, 28, 28)).shape
    torch.Size([2, 10])
    """

    def __init__(
        self,
        n_classes: int = 10,
        n_features: int = 128,
        channels: tuple[int, int] = (16, 32),
    ) -> None:
        super().__init__()
        c1, c2 = channels
        self.features = nn.Sequential(
            nn.Conv2d(1, c1, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 28 -> 14
            nn.Conv2d(c1, c2, kernel_size=3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),  # 14 -> 7
            nn.Flatten(),
            nn.Linear(c2 * 7 * 7, n_features),
            nn.ReLU(),
        )
        self.head = nn.Linear(n_features, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x))


@validate_params(
    {
        "images": ["array-like"],
        "labels": ["array-like"],
        "noise_rate": [Interval(Real, 0, 1, closed="left")],
        "epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "device": [str, torch.device],
        "random_state": [Interval(Integral, 0, None, closed="left")],
        "verbose": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def pretrain_backbone(
    images,
    labels,
    *,
    noise_rate: float = 0.0,
    epochs: int = 3,
    batch_size: int = 128,
    lr: float = 1e-3,
    device: str | torch.device = "auto",
    random_state: int = 0,
    verbose: bool = False,
) -> tuple[SmallCNN, dict]:
    """Pre-train a :class:`SmallCNN` on images whose labels are partly flipped.

    A fraction ``noise_rate`` of the labels is flipped to another class with
    :class:`~sknml.noise.SymmetricLabelNoise` (exactly that fraction per class,
    the paper's convention), then the network is trained with Adam and
    cross-entropy on the noisy labels: plain PyTorch, no early stopping, no
    augmentation.

    Parameters
    ----------
    images : array-like of shape (n_samples, 28, 28)
        Grey-scale images in [0, 1].
    labels : array-like of shape (n_samples,)
        Clean integer labels in 0..9.
    noise_rate : float in [0, 1), default=0.0
        Fraction of labels flipped before training.
    epochs : int, default=3
        Passes over the data.
    batch_size : int, default=128
        Images per step.
    lr : float, default=1e-3
        Adam's learning rate.
    device : str or torch.device, default='auto'
        ``'auto'`` trains on CUDA when available, else on CPU.
    random_state : int, default=0
        Seeds the label noise, the initialization and the batch order.
    verbose : bool, default=False
        Show a progress bar over the steps.

    Returns
    -------
    backbone : SmallCNN
        The trained network, in eval mode, on the CPU.
    info : dict
        ``realized_noise_rate`` (fraction of labels that differ from the clean
        ones), ``final_loss`` (mean training loss of the last epoch) and
        ``seconds``.

    Examples
    --------
    >>> from sknml.datasets import load_fashion_mnist
    >>> from sknml.experiments.study import pretrain_backbone
    >>> fashion = load_fashion_mnist(subset="test")
    >>> cnn, info = pretrain_backbone(
    ...     fashion.images[:500], fashion.target[:500], noise_rate=0.2, epochs=1,
    ...     device="cpu")
    >>> info["realized_noise_rate"]
    0.2
    """
    start = time.perf_counter()
    images = np.asarray(images, dtype=np.float32)
    labels = np.asarray(labels)
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(
            f"images must have shape (n_samples, 28, 28), got {images.shape}."
        )
    if len(labels) != len(images):
        raise ValueError(
            f"labels has {len(labels)} entries but images has {len(images)}."
        )
    noisy = labels
    if noise_rate > 0:
        _, noisy = SymmetricLabelNoise(
            noise_rate, random_state=random_state
        ).fit_resample(images.reshape(len(images), -1), labels)
    device = resolve_device(device)
    X = torch.from_numpy(images[:, None]).to(device)
    y = torch.as_tensor(noisy, dtype=torch.long).to(device)

    # A private RNG stream: seeding must not reset the caller's global state.
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(random_state)
        backbone = SmallCNN(n_classes=int(labels.max()) + 1).to(device)
    order_rng = torch.Generator().manual_seed(random_state)
    optimizer = torch.optim.Adam(backbone.parameters(), lr=lr)
    n_steps = -(-len(X) // batch_size)
    steps = progress_bar(
        range(epochs * n_steps),
        enabled=verbose,
        desc=f"pre-train noise={noise_rate:g} seed={random_state}",
        unit="step",
        leave=False,
    )
    backbone.train()
    epoch_losses = []
    for step in steps:
        if step % n_steps == 0:
            order = torch.randperm(len(X), generator=order_rng).to(device)
            epoch_losses = []
        batch = order[(step % n_steps) * batch_size :][:batch_size]
        loss = F.cross_entropy(backbone(X[batch]), y[batch])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        epoch_losses.append(loss.item())
    backbone.eval()
    info = {
        "realized_noise_rate": float(np.mean(np.asarray(noisy) != labels)),
        "final_loss": float(np.mean(epoch_losses)),
        "seconds": time.perf_counter() - start,
    }
    return backbone.cpu(), info


def _backbone_key(settings):
    text = json.dumps(settings, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def load_or_pretrain(
    *,
    noise_rate: float,
    random_state: int,
    n_pretrain: int = 20000,
    epochs: int = 3,
    cache_dir: str | Path | None = None,
    device: str | torch.device = "auto",
    verbose: bool = False,
) -> tuple[SmallCNN, dict]:
    """A Fashion-MNIST backbone from the disk cache, or pre-trained and cached.

    The backbone is pre-trained with :func:`pretrain_backbone` on a fixed set of
    ``n_pretrain`` Fashion-MNIST training images. It is cached in ``cache_dir``
    under a hash of every setting that changes its weights (the network version,
    the data, the noise, the epochs, the seed), so a changed setting never reuses
    a stale file. The device is not part of the key: CPU and GPU runs of one
    setting differ only by floating-point rounding.

    Parameters
    ----------
    noise_rate : float in [0, 1)
        Fraction of pre-training labels flipped.
    random_state : int
        The pre-training seed.
    n_pretrain : int, default=20000
        Number of training images, the first of a fixed permutation of the
        60,000; the study probes on images after them.
    epochs : int, default=3
        Pre-training epochs.
    cache_dir : str or Path, default=None
        Folder of cached backbones (created when missing); None disables caching.
    device : str or torch.device, default='auto'
        Where to pre-train when the cache misses.
    verbose : bool, default=False
        Show the pre-training progress bar.

    Returns
    -------
    backbone : SmallCNN
        The pre-trained network, in eval mode, on the CPU.
    info : dict
        The settings, ``key``, ``cached`` (whether it came from disk) and the
        pre-training info of :func:`pretrain_backbone`.

    Examples
    --------
    >>> import tempfile
    >>> from sknml.experiments.study import load_or_pretrain
    >>> with tempfile.TemporaryDirectory() as cache:
    ...     _, first = load_or_pretrain(noise_rate=0.1, random_state=0,
    ...         n_pretrain=300, epochs=1, cache_dir=cache, device="cpu")
    ...     _, again = load_or_pretrain(noise_rate=0.1, random_state=0,
    ...         n_pretrain=300, epochs=1, cache_dir=cache, device="cpu")
    >>> first["cached"], again["cached"], first["key"] == again["key"]
    (False, True, True)
    """
    settings = {
        "backbone": f"SmallCNN-v{_BACKBONE_VERSION}",
        "data": "fashion-mnist-train",
        "data_seed": DATA_SEED,
        "n_pretrain": int(n_pretrain),
        "noise": "symmetric(exclude_true=True, exact=True)",
        "noise_rate": float(noise_rate),
        "epochs": int(epochs),
        "batch_size": 128,
        "lr": 1e-3,
        "seed": int(random_state),
    }
    key = _backbone_key(settings)
    path = None
    if cache_dir is not None:
        path = Path(cache_dir) / (
            f"smallcnn-noise{noise_rate:g}-seed{random_state}-{key}.pt"
        )
        if path.is_file():
            saved = torch.load(path, map_location="cpu", weights_only=True)
            backbone = SmallCNN()
            backbone.load_state_dict(saved["state_dict"])
            backbone.eval()
            info = {**json.loads(saved["info"]), "cached": True}
            return backbone, info

    train = load_fashion_mnist(subset="train")
    if not 1 <= n_pretrain <= len(train.target):
        raise ValueError(
            f"n_pretrain must be in [1, {len(train.target)}], got {n_pretrain}."
        )
    rows = fashion_permutation(len(train.target))[:n_pretrain]
    backbone, fit_info = pretrain_backbone(
        train.images[rows],
        train.target[rows],
        noise_rate=noise_rate,
        epochs=epochs,
        device=device,
        random_state=random_state,
        verbose=verbose,
    )
    info = {"settings": settings, "key": key, **fit_info}
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so an interrupted run never leaves half a file that
        # a later run would trust.
        partial = path.with_suffix(".partial")
        torch.save(
            {"state_dict": backbone.state_dict(), "info": json.dumps(info)}, partial
        )
        partial.replace(path)
    return backbone, {**info, "cached": False}
