"""The noisy pre-training study: the paper's finding and its mitigation, end to end.

Chen et al. (ICLR 2024) pre-train on data whose labels are partly wrong and find
that slight noise helps in-domain (ID) a little, always hurts out of domain (OOD),
flattens the feature spectrum (SVE and LSVR rise), and that NMTune on the frozen
features undoes much of the harm. This module replays that study at laptop scale:

1. pre-train :class:`SmallCNN` on Fashion-MNIST whose labels
   :class:`~sknml.noise.SymmetricLabelNoise` flipped at each noise ratio,
   several seeds, caching each backbone on disk under a key of its settings;
2. freeze it and extract features with :class:`~sknml.encoders.TorchEncoder` on
   held-out Fashion-MNIST (ID) and on two digit sources out of the pre-training
   domain, MNIST-5k and aligned scikit-learn digits (OOD);
3. fit a linear probe, an MLP and NMTune (:class:`~sknml.NMTuneClassifier`) on
   those features, and measure SVE on ID features and LSVR on OOD features
   (:mod:`sknml.metrics`).

:func:`run_study` returns every number as a plain dict; :func:`write_report`
writes it as JSON, three figures (the paper's Figures 2, 3 and 5) and a markdown
report; ``sknml study`` on the command line does both.
"""

import hashlib
import json
import os
import platform
import time
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import torch
from sklearn.utils._param_validation import (
    Interval,
    StrOptions,
    validate_params,
)
from torch import nn
from torch.nn import functional as F

from sknml import NMTuneClassifier
from sknml._device import resolve_device
from sknml._runtime import progress_bar, torch_threads
from sknml.datasets import load_digits_aligned, load_fashion_mnist, load_mnist_5k
from sknml.encoders import TorchEncoder
from sknml.metrics import largest_singular_value_ratio, singular_value_entropy
from sknml.noise import SymmetricLabelNoise

__all__ = [
    "DEFAULT_SETTINGS",
    "QUICK_SETTINGS",
    "SmallCNN",
    "add_subcommand",
    "check_claims",
    "load_or_pretrain",
    "pretrain_backbone",
    "run_study",
    "summarize",
    "write_report",
]

DEFAULT_SETTINGS = {
    "noise_rates": [0.0, 0.05, 0.1, 0.2, 0.3],
    "seeds": [0, 1, 2],
    "n_pretrain": 20000,
    "pretrain_epochs": 3,
    "n_probe": 5000,
    "n_id_test": 10000,
    "n_ood": None,
    "max_epochs": 30,
}

# Every code path, on real data, in seconds: what the tests and CI run.
QUICK_SETTINGS = {
    "noise_rates": [0.0, 0.3],
    "seeds": [0, 1],
    "n_pretrain": 2000,
    "pretrain_epochs": 1,
    "n_probe": 500,
    "n_id_test": 500,
    "n_ood": 400,
    "max_epochs": 5,
}

METHODS = ("lp", "mlp", "nmtune")
METHOD_LABELS = {"lp": "LP", "mlp": "MLP", "nmtune": "NMTune"}

# Bump when SmallCNN or the pre-training loop changes: old cached backbones then
# stop matching their key instead of being silently reused.
_BACKBONE_VERSION = 1

# The images each backbone is pre-trained on and probed with are fixed by this
# seed, so that the study's seeds vary only the pre-training and the probes.
_DATA_SEED = 0


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
    >>> from sknml.study import SmallCNN
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
    >>> from sknml.study import pretrain_backbone
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
    >>> from sknml.study import load_or_pretrain
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
        "data_seed": _DATA_SEED,
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
    rows = _fashion_permutation(len(train.target))[:n_pretrain]
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


def _fashion_permutation(n):
    return np.random.RandomState(_DATA_SEED).permutation(n)


def _stratified_subset(target, n, seed):
    """At most ``n`` row indices, a fixed shuffle, every class in proportion."""
    order = np.random.RandomState(seed).permutation(len(target))
    if n is None or n >= len(target):
        return order
    from sklearn.model_selection import train_test_split

    rows, _ = train_test_split(
        order, train_size=n, stratify=target[order], random_state=seed
    )
    return rows


def _load_study_data(n_pretrain, n_probe, n_id_test, n_ood):
    """The fixed downstream splits: ``{task: (train images, train y, test, test y)}``.

    ID: Fashion-MNIST training images never seen in pre-training -> the test
    split. OOD: each digit source split in half, stratified.
    """
    from sklearn.model_selection import train_test_split

    train = load_fashion_mnist(subset="train")
    test = load_fashion_mnist(subset="test")
    unused = _fashion_permutation(len(train.target))[n_pretrain:]
    if n_probe > len(unused):
        raise ValueError(
            f"n_probe={n_probe} plus n_pretrain={n_pretrain} exceeds the "
            f"{len(train.target)} Fashion-MNIST training images."
        )
    probe_rows = unused[:n_probe]
    test_rows = _stratified_subset(test.target, n_id_test, _DATA_SEED)
    tasks = {
        "id": (
            train.images[probe_rows],
            train.target[probe_rows],
            test.images[test_rows],
            test.target[test_rows],
        )
    }
    for name, source in (("mnist", load_mnist_5k()), ("digits", load_digits_aligned())):
        rows = _stratified_subset(source.target, n_ood, _DATA_SEED)
        fit_rows, test_rows = train_test_split(
            rows, test_size=0.5, stratify=source.target[rows], random_state=_DATA_SEED
        )
        tasks[name] = (
            source.images[fit_rows],
            source.target[fit_rows],
            source.images[test_rows],
            source.target[test_rows],
        )
    return tasks


def _tuner(method, *, max_epochs, device, random_state):
    settings = {
        "max_epochs": max_epochs,
        "device": str(device),
        "random_state": random_state,
    }
    if method == "lp":
        return NMTuneClassifier(n_layers=0, **settings)
    if method == "mlp":
        return NMTuneClassifier(
            lambda_mse=0.0, lambda_cov=0.0, lambda_svd=0.0, **settings
        )
    return NMTuneClassifier(**settings)


def _evaluate_backbone(backbone, data, *, max_epochs, device, random_state):
    """Spectra of the frozen features and the three tuners' accuracies."""
    encoder = TorchEncoder(backbone.features, batch_size=512, device=device)
    encoder.fit(data["id"][0][:1, None])
    features = {
        task: tuple(
            encoder.transform(part[:, None]) if part.ndim == 3 else part
            for part in parts
        )
        for task, parts in data.items()
    }
    spectra = {
        task: np.vstack([features[task][0], features[task][2]]) for task in features
    }
    ood = ("mnist", "digits")
    metrics = {
        "id_sve": float(singular_value_entropy(spectra["id"])),
        "id_lsvr": float(largest_singular_value_ratio(spectra["id"])),
        "ood_sve": float(np.mean([singular_value_entropy(spectra[t]) for t in ood])),
        "ood_lsvr": float(
            np.mean([largest_singular_value_ratio(spectra[t]) for t in ood])
        ),
    }
    for method in METHODS:
        for task, (X_fit, y_fit, X_test, y_test) in features.items():
            clf = _tuner(
                method, max_epochs=max_epochs, device=device, random_state=random_state
            )
            metrics[f"{method}_{task}"] = float(
                clf.fit(X_fit, y_fit).score(X_test, y_test)
            )
        metrics[f"{method}_ood"] = float(
            np.mean([metrics[f"{method}_{task}"] for task in ood])
        )
    return metrics


def _pretrain_accuracy(backbone, images, target, device):
    """Accuracy of the backbone's own head on clean labels (the paper's table)."""
    device = resolve_device(device)
    model = backbone.to(device)
    with torch.inference_mode():
        logits = torch.cat(
            [
                model(torch.from_numpy(images[i : i + 1024, None]).to(device)).cpu()
                for i in range(0, len(images), 1024)
            ]
        )
    backbone.cpu()
    return float((logits.argmax(1).numpy() == target).mean())


@validate_params(
    {
        "noise_rates": ["array-like"],
        "seeds": ["array-like"],
        "n_pretrain": [Interval(Integral, 100, None, closed="left")],
        "pretrain_epochs": [Interval(Integral, 1, None, closed="left")],
        "n_probe": [Interval(Integral, 20, None, closed="left")],
        "n_id_test": [Interval(Integral, 20, None, closed="left")],
        "n_ood": [Interval(Integral, 20, None, closed="left"), None],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "device": [StrOptions({"auto", "cpu", "cuda"}), torch.device],
        "cache_dir": [str, Path, None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "verbose": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def run_study(
    *,
    noise_rates=DEFAULT_SETTINGS["noise_rates"],
    seeds=DEFAULT_SETTINGS["seeds"],
    n_pretrain: int = DEFAULT_SETTINGS["n_pretrain"],
    pretrain_epochs: int = DEFAULT_SETTINGS["pretrain_epochs"],
    n_probe: int = DEFAULT_SETTINGS["n_probe"],
    n_id_test: int = DEFAULT_SETTINGS["n_id_test"],
    n_ood: int | None = DEFAULT_SETTINGS["n_ood"],
    max_epochs: int = DEFAULT_SETTINGS["max_epochs"],
    device: str | torch.device = "auto",
    cache_dir: str | Path | None = None,
    n_threads: int | None = None,
    verbose: bool = True,
) -> dict:
    """Run the noisy pre-training study and return every number it measures.

    For each noise ratio and seed: pre-train (or load) a backbone with
    :func:`load_or_pretrain`; measure its own clean test accuracy; extract frozen
    features with :class:`~sknml.encoders.TorchEncoder`; compute SVE and LSVR of
    the ID and OOD features with :mod:`sknml.metrics`; fit a linear probe
    (``NMTuneClassifier(n_layers=0)``), an MLP (all NMTune weights 0) and NMTune
    (defaults) on the ID task and on each OOD source.

    ID is Fashion-MNIST: tuners fit on ``n_probe`` training images the backbone
    never saw and are scored on the test split. OOD is the digits, out of the
    pre-training domain: each source (MNIST-5k, aligned scikit-learn digits) is
    split in half, stratified, fit on one half and scored on the other; the OOD
    accuracy is the mean over the two sources. (Fitting on one digit source and
    scoring on the other was tried: with these small backbones it lands near
    chance for every noise ratio, too close to rank anything.)

    Parameters
    ----------
    noise_rates : array-like of float in [0, 1), default=[0, .05, .1, .2, .3]
        Symmetric label-noise ratios of pre-training (the paper's).
    seeds : array-like of int, default=[0, 1, 2]
        Pre-training seeds; each also seeds its tuners.
    n_pretrain : int, default=20000
        Fashion-MNIST training images to pre-train on.
    pretrain_epochs : int, default=3
        Pre-training epochs.
    n_probe : int, default=5000
        Further Fashion-MNIST training images (never seen in pre-training) to fit
        the ID tuners on.
    n_id_test : int, default=10000
        Fashion-MNIST test images to score the ID tuners on (stratified subset).
    n_ood : int, default=None
        Cap on the images of each OOD source (stratified subset); None keeps all
        5,000 MNIST and 1,797 digits.
    max_epochs : int, default=30
        Epochs of each tuner (the paper's 30).
    device : {'auto', 'cpu', 'cuda'} or torch.device, default='auto'
        Where to pre-train, extract and tune; ``'auto'`` uses CUDA when available.
    cache_dir : str or Path, default=None
        Folder caching the pre-trained backbones; None disables caching.
    n_threads : int, default=None
        CPU threads of torch during the study (restored after); None keeps the
        current setting. On a CPU shared with other jobs, 1 thread can be several
        times faster than 2 for this small network, as threads wait on each other.
    verbose : bool, default=True
        Progress bars.

    Returns
    -------
    result : dict
        ``settings``; ``runs``, one dict per (noise ratio, seed) with the
        pre-training info and flat ``metrics`` (``pretrain_acc``, ``id_sve``,
        ``id_lsvr``, ``ood_sve``, ``ood_lsvr`` and ``{lp,mlp,nmtune}_{id,ood,
        mnist,digits}`` accuracies); ``summary`` from
        :func:`summarize`; ``claims`` from :func:`check_claims`; ``environment``
        and ``seconds``. All plain JSON types.

    See Also
    --------
    write_report : Writes the result as JSON, figures and markdown.

    Examples
    --------
    >>> from sknml.study import run_study
    >>> result = run_study(
    ...     noise_rates=[0.0, 0.3], seeds=[0], n_pretrain=500, pretrain_epochs=1,
    ...     n_probe=200, n_id_test=200, n_ood=200, max_epochs=1, device="cpu",
    ...     n_threads=1, verbose=False)
    >>> len(result["runs"]), sorted(result["summary"])
    (2, ['0', '0.3'])
    """
    start = time.perf_counter()
    noise_rates = [float(rate) for rate in np.asarray(noise_rates).ravel()]
    seeds = [int(seed) for seed in np.asarray(seeds).ravel()]
    if not noise_rates or any(not 0 <= rate < 1 for rate in noise_rates):
        raise ValueError(
            "noise_rates must be a non-empty list of floats in [0, 1), got "
            f"{noise_rates}."
        )
    if not seeds or any(seed < 0 for seed in seeds):
        raise ValueError(f"seeds must be a non-empty list of ints >= 0, got {seeds}.")
    device = resolve_device(device)
    with torch_threads(n_threads):
        settings = {
            "noise_rates": noise_rates,
            "seeds": seeds,
            "n_pretrain": n_pretrain,
            "pretrain_epochs": pretrain_epochs,
            "n_probe": n_probe,
            "n_id_test": n_id_test,
            "n_ood": n_ood,
            "max_epochs": max_epochs,
            "device": str(device),
            "cache_dir": None if cache_dir is None else str(cache_dir),
            "n_threads": torch.get_num_threads(),
        }
        runs = _run_grid(settings, device, cache_dir, verbose)
    result = {
        "settings": settings,
        "runs": runs,
        "summary": summarize(runs),
        "environment": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "device": str(device),
            "cpu_count": os.cpu_count(),
        },
    }
    result["claims"] = check_claims(result)
    result["seconds"] = time.perf_counter() - start
    return result


def _run_grid(settings, device, cache_dir, verbose):
    """Pre-train (or load) and evaluate one backbone per (noise ratio, seed)."""
    data = _load_study_data(
        settings["n_pretrain"],
        settings["n_probe"],
        settings["n_id_test"],
        settings["n_ood"],
    )
    grid = [
        (rate, seed) for rate in settings["noise_rates"] for seed in settings["seeds"]
    ]
    runs = []
    for rate, seed in progress_bar(
        grid, enabled=verbose, desc="sknml study", unit="model"
    ):
        run_start = time.perf_counter()
        backbone, info = load_or_pretrain(
            noise_rate=rate,
            random_state=seed,
            n_pretrain=settings["n_pretrain"],
            epochs=settings["pretrain_epochs"],
            cache_dir=cache_dir,
            device=device,
            verbose=verbose,
        )
        metrics = {
            "pretrain_acc": _pretrain_accuracy(backbone, *data["id"][2:], device)
        }
        metrics.update(
            _evaluate_backbone(
                backbone,
                data,
                max_epochs=settings["max_epochs"],
                device=device,
                random_state=seed,
            )
        )
        runs.append(
            {
                "noise_rate": rate,
                "seed": seed,
                "backbone_key": info["key"],
                "cached": info["cached"],
                "realized_noise_rate": info["realized_noise_rate"],
                "pretrain_seconds": info["seconds"],
                "seconds": time.perf_counter() - run_start,
                "metrics": metrics,
            }
        )
    return runs


def _rate_key(rate):
    return f"{rate:g}"


def summarize(runs: list[dict]) -> dict:
    """Mean, standard deviation and values of every metric, per noise ratio.

    Parameters
    ----------
    runs : list of dict
        The ``runs`` of :func:`run_study`: each has ``noise_rate``, ``seed`` and
        a flat ``metrics`` dict.

    Returns
    -------
    summary : dict
        ``{noise ratio as text: {metric: {"mean", "std", "values"}}}``, ratios in
        increasing order; ``std`` is the sample standard deviation over seeds
        (``ddof=1``; 0 with one seed).

    Examples
    --------
    >>> from sknml.study import summarize
    >>> runs = [{"noise_rate": 0.1, "seed": s, "metrics": {"acc": a}}
    ...         for s, a in [(0, 0.8), (1, 0.9)]]
    >>> summarize(runs)["0.1"]["acc"]["mean"]
    0.85
    """
    summary = {}
    for rate in sorted({run["noise_rate"] for run in runs}):
        group = [run for run in runs if run["noise_rate"] == rate]
        entry = {}
        for metric in group[0]["metrics"]:
            values = [run["metrics"][metric] for run in group]
            entry[metric] = {
                "mean": float(np.mean(values)),
                "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
                "values": values,
            }
        summary[_rate_key(rate)] = entry
    return summary


def _series(result, metric, stat="mean"):
    rates = result["settings"]["noise_rates"]
    rates = sorted(set(rates))
    return rates, [result["summary"][_rate_key(r)][metric][stat] for r in rates]


def _spearman(a, b):
    from scipy.stats import spearmanr

    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def check_claims(result: dict) -> list[dict]:
    """Test the paper's four claims on a study's means, with the seed spread.

    1. *ID bump*: linear-probe ID accuracy at a slight noise ratio (0 < r <= 0.1)
       is higher than at 0.
    2. *OOD decline*: linear-probe OOD accuracy falls at every step of noise.
    3. *Spectrum*: SVE of the ID features and LSVR of the OOD features rise with
       noise (Spearman correlation with the ratio > 0 and the last ratio above
       the first).
    4. *Mitigation*: NMTune's accuracy is at least LP's and MLP's at every ratio,
       ID and OOD, and the clean backbone is the best one under NMTune.

    Parameters
    ----------
    result : dict
        A result of :func:`run_study`, with ``settings`` and ``summary``.

    Returns
    -------
    claims : list of dict
        One per claim: ``claim`` (its name), ``holds`` (bool) and ``detail``, a
        sentence with the means and standard deviations it rests on.

    Examples
    --------
    >>> from sknml.study import check_claims, summarize
    >>> runs = [
    ...     {"noise_rate": r, "seed": 0, "metrics": {
    ...         "lp_id": .80 + b, "lp_ood": .70 - r, "id_sve": 4 + r,
    ...         "ood_lsvr": 1 + r, "mlp_id": .80, "mlp_ood": .6,
    ...         "nmtune_id": .9 - r / 10, "nmtune_ood": .8 - r / 10}}
    ...     for r, b in [(0.0, 0.0), (0.1, 0.01), (0.3, -0.02)]]
    >>> result = {"settings": {"noise_rates": [0.0, 0.1, 0.3]},
    ...           "summary": summarize(runs)}
    >>> [claim["holds"] for claim in check_claims(result)]
    [True, True, True, True]
    """

    def fmt(metric, rate):
        entry = result["summary"][_rate_key(rate)][metric]
        return f"{entry['mean']:.4f} ± {entry['std']:.4f}"

    rates, lp_id = _series(result, "lp_id")
    _, lp_ood = _series(result, "lp_ood")
    claims = []

    clean = rates.index(0.0) if 0.0 in rates else None
    slight = [i for i, r in enumerate(rates) if 0 < r <= 0.1]
    if clean is None or not slight:
        claims.append(
            {
                "claim": "ID bump at slight noise",
                "holds": False,
                "detail": "needs ratio 0 and a ratio in (0, 0.1].",
            }
        )
    else:
        best = max(slight, key=lambda i: lp_id[i])
        claims.append(
            {
                "claim": "ID bump at slight noise",
                "holds": bool(lp_id[best] > lp_id[clean]),
                "detail": f"LP ID accuracy {fmt('lp_id', rates[best])} at "
                f"{rates[best]:g} vs {fmt('lp_id', 0.0)} at 0.",
            }
        )

    steps = np.diff(lp_ood)
    claims.append(
        {
            "claim": "OOD monotone decline",
            "holds": bool(len(steps) > 0 and np.all(steps < 0)),
            "detail": "LP OOD accuracy by ratio: "
            + ", ".join(f"{r:g}: {fmt('lp_ood', r)}" for r in rates)
            + f"; {int(np.sum(steps < 0))} of {len(steps)} steps fall.",
        }
    )

    _, sve = _series(result, "id_sve")
    _, lsvr = _series(result, "ood_lsvr")
    rho_sve, rho_lsvr = _spearman(rates, sve), _spearman(rates, lsvr)
    claims.append(
        {
            "claim": "SVE (ID) and LSVR (OOD) rise with noise",
            "holds": bool(
                rho_sve > 0 and rho_lsvr > 0 and sve[-1] > sve[0] and lsvr[-1] > lsvr[0]
            ),
            "detail": f"Spearman(ratio, SVE) = {rho_sve:.2f}, SVE "
            f"{fmt('id_sve', rates[0])} -> {fmt('id_sve', rates[-1])}; "
            f"Spearman(ratio, LSVR) = {rho_lsvr:.2f}, LSVR "
            f"{fmt('ood_lsvr', rates[0])} -> {fmt('ood_lsvr', rates[-1])}.",
        }
    )

    wins, total, best_clean = 0, 0, []
    for domain in ("id", "ood"):
        _, nmtune = _series(result, f"nmtune_{domain}")
        for method in ("lp", "mlp"):
            _, other = _series(result, f"{method}_{domain}")
            wins += int(np.sum(np.asarray(nmtune) >= np.asarray(other)))
            total += len(rates)
        if clean is not None:
            best_clean.append(nmtune[clean] >= max(nmtune))
    claims.append(
        {
            "claim": "NMTune mitigates; clean model best under NMTune",
            "holds": bool(wins == total and best_clean and all(best_clean)),
            "detail": f"NMTune >= LP and MLP in {wins} of {total} (ratio, domain, "
            "baseline) comparisons; clean backbone best under NMTune: "
            f"ID {bool(best_clean and best_clean[0])}, "
            f"OOD {bool(len(best_clean) > 1 and best_clean[1])}.",
        }
    )
    return claims


def _plot_accuracy_vs_noise(result, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 3.4))
    axes = fig.subplots(1, 3)
    panels = [
        ("lp_id", "ID: Fashion-MNIST (LP)"),
        ("lp_ood", "OOD: MNIST-5k and digits (LP)"),
        ("pretrain_acc", "Pre-training head, clean test"),
    ]
    for ax, (metric, title) in zip(axes, panels, strict=True):
        rates, mean = _series(result, metric)
        _, std = _series(result, metric, "std")
        for run in result["runs"]:
            ax.plot(
                100 * run["noise_rate"],
                100 * run["metrics"][metric],
                ".",
                color="0.6",
                zorder=1,
            )
        ax.errorbar(
            [100 * r for r in rates],
            [100 * m for m in mean],
            yerr=[100 * s for s in std],
            marker="o",
            capsize=3,
            zorder=2,
        )
        ax.set(
            title=title, xlabel="pre-training noise ratio (%)", ylabel="accuracy (%)"
        )
        ax.grid(alpha=0.3)
    fig.suptitle("Figure 2 analog: noisy pre-training, frozen features")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _plot_accuracy_vs_spectrum(result, path):
    from matplotlib.figure import Figure

    from sknml.plot import plot_accuracy_vs_spectrum

    fig = Figure(figsize=(9, 3.8))
    axes = fig.subplots(1, 2)
    panels = [
        ("id_sve", "lp_id", "SVE of ID features", "ID"),
        ("ood_lsvr", "lp_ood", "LSVR of OOD features", "OOD"),
    ]
    for ax, (x_metric, y_metric, xlabel, group) in zip(axes, panels, strict=True):
        rates, spectral = _series(result, x_metric)
        accuracy, groups = [], []
        for method in ("lp", "nmtune"):
            _, means = _series(result, y_metric.replace("lp", method))
            accuracy += [100 * a for a in means]
            groups += [f"{group} {METHOD_LABELS[method]}"] * len(rates)
        plot_accuracy_vs_spectrum(
            spectral * 2,
            accuracy,
            metric=xlabel,
            labels=[f"{100 * r:g}%" for r in rates] * 2,
            groups=groups,
            ax=ax,
        )
        ax.set_ylabel(f"{group} accuracy (%)")
        ax.grid(alpha=0.3)
    fig.suptitle("Figure 3 analog: accuracy vs. feature spectrum (means over seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _plot_tuning(result, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.6))
    axes = fig.subplots(1, 2)
    rates = result["settings"]["noise_rates"]
    width = 0.8 / len(METHODS)
    x = np.arange(len(rates))
    for ax, domain in zip(axes, ("id", "ood"), strict=True):
        lows = []
        for i, method in enumerate(METHODS):
            _, mean = _series(result, f"{method}_{domain}")
            _, std = _series(result, f"{method}_{domain}", "std")
            ax.bar(
                x + (i - (len(METHODS) - 1) / 2) * width,
                [100 * m for m in mean],
                width,
                yerr=[100 * s for s in std],
                capsize=2,
                label=METHOD_LABELS[method],
            )
            lows.append(min(mean) - max(std))
        ax.set_ylim(100 * min(lows) - 2, None)
        ax.set_xticks(x, [f"{100 * r:g}%" for r in rates])
        ax.set(
            xlabel="pre-training noise ratio",
            ylabel="accuracy (%)",
            title="ID: Fashion-MNIST" if domain == "id" else "OOD: MNIST-5k and digits",
        )
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Figure 5 analog: LP vs. MLP vs. NMTune on the frozen features")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


_TABLE_COLUMNS = [
    ("pretrain_acc", "pre-train acc", 100),
    ("lp_id", "LP ID", 100),
    ("lp_ood", "LP OOD", 100),
    ("id_sve", "SVE (ID)", 1),
    ("ood_lsvr", "LSVR (OOD)", 1),
    ("mlp_id", "MLP ID", 100),
    ("mlp_ood", "MLP OOD", 100),
    ("nmtune_id", "NMTune ID", 100),
    ("nmtune_ood", "NMTune OOD", 100),
]


def _markdown_table(result):
    lines = [
        "| noise | " + " | ".join(label for _, label, _ in _TABLE_COLUMNS) + " |",
        "|---" * (len(_TABLE_COLUMNS) + 1) + "|",
    ]
    for rate in result["settings"]["noise_rates"]:
        entry = result["summary"][_rate_key(rate)]
        cells = []
        for metric, _, scale in _TABLE_COLUMNS:
            digits = 2 if scale == 100 else 3
            cells.append(
                f"{scale * entry[metric]['mean']:.{digits}f} ± "
                f"{scale * entry[metric]['std']:.{digits}f}"
            )
        lines.append(f"| {100 * rate:g}% | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_report(
    result: dict, out_dir: str | Path, *, command: str | None = None
) -> dict:
    """Write a study's JSON, its three figures and a markdown report.

    Parameters
    ----------
    result : dict
        A result of :func:`run_study`.
    out_dir : str or Path
        Folder to write into (created when missing).
    command : str, default=None
        The command that produced ``result``, quoted in the report.

    Returns
    -------
    paths : dict
        ``{"json", "report", "fig_noise", "fig_spectrum", "fig_tuning"}`` ->
        :class:`~pathlib.Path` of each file written.

    Examples
    --------
    >>> import tempfile
    >>> from sknml.study import run_study, write_report
    >>> result = run_study(
    ...     noise_rates=[0.0, 0.3], seeds=[0], n_pretrain=500, pretrain_epochs=1,
    ...     n_probe=200, n_id_test=200, n_ood=200, max_epochs=1, device="cpu",
    ...     n_threads=1, verbose=False)
    >>> with tempfile.TemporaryDirectory() as out:
    ...     paths = write_report(result, out)
    ...     names = sorted(path.name for path in paths.values())
    >>> names[:3]
    ['fig2_accuracy_vs_noise.png', 'fig3_accuracy_vs_spectrum.png', 'fig5_tuning.png']
    >>> names[3:]
    ['report.md', 'results.json']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out / "results.json",
        "report": out / "report.md",
        "fig_noise": out / "fig2_accuracy_vs_noise.png",
        "fig_spectrum": out / "fig3_accuracy_vs_spectrum.png",
        "fig_tuning": out / "fig5_tuning.png",
    }
    paths["json"].write_text(json.dumps({**result, "command": command}, indent=2))
    _plot_accuracy_vs_noise(result, paths["fig_noise"])
    _plot_accuracy_vs_spectrum(result, paths["fig_spectrum"])
    _plot_tuning(result, paths["fig_tuning"])

    settings = result["settings"]
    claims = "\n".join(
        f"- **{claim['claim']}**: {'holds' if claim['holds'] else 'does not hold'}. "
        f"{claim['detail']}"
        for claim in result["claims"]
    )
    report = f"""# Noisy pre-training study

Small CNN pre-trained on {settings["n_pretrain"]} Fashion-MNIST images for \
{settings["pretrain_epochs"]} epochs with symmetric label noise; frozen features; \
seeds {settings["seeds"]}; tuners trained {settings["max_epochs"]} epochs on \
{settings["device"]}. ID: {settings["n_probe"]} held-out Fashion-MNIST training images \
-> {settings["n_id_test"]} test images. OOD: MNIST-5k and aligned scikit-learn \
digits, each split in half (fit / score), mean of the two. Mean ± standard deviation \
over seeds; accuracies in %.

{"Command: `" + command + "`" if command else ""}

{_markdown_table(result)}

## The paper's claims on this run

{claims}

![accuracy vs noise]({paths["fig_noise"].name})
![accuracy vs spectrum]({paths["fig_spectrum"].name})
![LP vs MLP vs NMTune]({paths["fig_tuning"].name})

Total time: {result["seconds"]:.0f} s.
"""
    paths["report"].write_text(report)
    return paths


def _command_line(args):
    """The command that reproduces ``args``, for the report."""
    parts = ["sknml", "study", "--out", str(args.out)]
    parts += ["--quick"] if args.quick else []
    for name in ("noise_rates", "seeds", "n_pretrain", "pretrain_epochs", "max_epochs"):
        value = getattr(args, name)
        if value is not None:
            values = value if isinstance(value, list) else [value]
            parts += [f"--{name.replace('_', '-')}", *(f"{v:g}" for v in values)]
    if args.device != "auto":
        parts += ["--device", args.device]
    if args.n_threads is not None:
        parts += ["--threads", str(args.n_threads)]
    return " ".join(parts)


def _run_command(args) -> int:
    settings = dict(QUICK_SETTINGS if args.quick else DEFAULT_SETTINGS)
    for name in ("noise_rates", "seeds", "n_pretrain", "pretrain_epochs", "max_epochs"):
        value = getattr(args, name)
        if value is not None:
            settings[name] = value
    out = Path(args.out)
    cache_dir = None if args.no_cache else Path(args.cache_dir or out / "backbones")
    result = run_study(
        **settings,
        device=args.device,
        cache_dir=cache_dir,
        n_threads=args.n_threads,
        verbose=not args.quiet,
    )
    paths = write_report(result, out, command=_command_line(args))
    print(_markdown_table(result))
    for claim in result["claims"]:
        verdict = "holds" if claim["holds"] else "does not hold"
        print(f"- {claim['claim']}: {verdict}. {claim['detail']}")
    print(f"Wrote {paths['report']} and {paths['json']} ({result['seconds']:.0f} s).")
    return 0


def add_subcommand(subparsers) -> None:
    """Add ``sknml study`` to the CLI's sub-parsers.

    Parameters
    ----------
    subparsers : argparse._SubParsersAction
        From :meth:`argparse.ArgumentParser.add_subparsers`.

    Examples
    --------
    >>> import argparse
    >>> from sknml.study import add_subcommand
    >>> parser = argparse.ArgumentParser(prog="sknml")
    >>> add_subcommand(parser.add_subparsers(dest="command"))
    >>> parser.parse_args(["study", "--quick"]).quick
    True
    """
    parser = subparsers.add_parser(
        "study",
        help="noisy pre-training study: Fashion-MNIST CNN, ID/OOD, LP/MLP/NMTune",
        description=__doc__.split("\n\n")[0],
    )
    parser.add_argument(
        "--out", default="sknml-study", help="output folder (default: ./sknml-study)"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny settings that run every code path in seconds",
    )
    parser.add_argument(
        "--noise-rates",
        dest="noise_rates",
        type=float,
        nargs="+",
        help="pre-training noise ratios (default: 0 0.05 0.1 0.2 0.3)",
    )
    parser.add_argument(
        "--seeds", type=int, nargs="+", help="pre-training seeds (default: 0 1 2)"
    )
    parser.add_argument(
        "--n-pretrain",
        dest="n_pretrain",
        type=int,
        help="Fashion-MNIST images to pre-train on (default: 20000)",
    )
    parser.add_argument(
        "--pretrain-epochs",
        dest="pretrain_epochs",
        type=int,
        help="pre-training epochs (default: 3)",
    )
    parser.add_argument(
        "--max-epochs", dest="max_epochs", type=int, help="epochs of each tuner"
    )
    parser.add_argument(
        "--device",
        default="auto",
        choices=["auto", "cpu", "cuda"],
        help="'auto' uses CUDA when available",
    )
    parser.add_argument(
        "--cache-dir",
        dest="cache_dir",
        help="folder of cached backbones (default: OUT/backbones)",
    )
    parser.add_argument(
        "--no-cache",
        dest="no_cache",
        action="store_true",
        help="pre-train every backbone anew and keep none",
    )
    parser.add_argument(
        "--threads",
        dest="n_threads",
        type=int,
        help="torch CPU threads (default: torch's; 1 is fastest on a busy CPU)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(run=_run_command)
