"""The study's runs: one backbone per (noise ratio, seed), its spectra and tuners."""

import os
import time
from numbers import Integral
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from sknml.encoders import TorchEncoder
from sknml.experiments._common import make_tuner
from sknml.experiments.study._backbone import load_or_pretrain
from sknml.experiments.study._claims import check_claims, summarize
from sknml.experiments.study._data import load_study_data
from sknml.metrics import largest_singular_value_ratio, singular_value_entropy
from sknml.utils import environment, progress_bar, resolve_device, torch_threads

DEFAULT_SETTINGS = {
    "noise_rates": [0.0, 0.05, 0.1, 0.2, 0.3, 0.5],
    "seeds": [0, 1, 2],
    "n_pretrain": 20000,
    "pretrain_epochs": 3,
    "n_probe": 5000,
    "n_id_test": 10000,
    "n_ood": None,
    "max_epochs": None,
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

# LogisticRegression() is the classical probe, beside the package's three.
METHODS = ("logreg", "lp", "mlp", "nmtune")


def _probe(method, *, max_epochs, device, random_state):
    """A fresh probe; ``max_epochs=None`` keeps the estimator's own budget."""
    if method == "logreg":
        return LogisticRegression(max_iter=2000)
    budget = {} if max_epochs is None else {"max_epochs": max_epochs}
    return make_tuner(method, device=str(device), random_state=random_state, **budget)


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
            clf = _probe(
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
        "max_epochs": [Interval(Integral, 1, None, closed="left"), None],
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
    max_epochs: int | None = DEFAULT_SETTINGS["max_epochs"],
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
    max_epochs : int, default=None
        Fixed epochs of each NMTuneClassifier probe; None keeps the estimator's
        own budget (early stopping on a validation split).
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
    >>> from sknml.experiments.study import run_study
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
        "environment": environment(device=str(device), cpu_count=os.cpu_count()),
    }
    result["claims"] = check_claims(result)
    result["seconds"] = time.perf_counter() - start
    return result


def _run_grid(settings, device, cache_dir, verbose):
    """Pre-train (or load) and evaluate one backbone per (noise ratio, seed)."""
    data = load_study_data(
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
