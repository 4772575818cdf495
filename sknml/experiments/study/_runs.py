"""The study's runs: one backbone per (noise ratio, seed), its spectra and heads."""

import os
import time
from numbers import Integral
from pathlib import Path

import numpy as np
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from sknml.datasets import make_shifted_images
from sknml.encoders import TorchEncoder
from sknml.experiments._common import kept_epoch, make_tuner, spectrum
from sknml.experiments.study._backbone import load_or_pretrain
from sknml.experiments.study._claims import (
    METHODS,
    NETWORKS,
    check_claims,
    method_key,
    summarize,
)
from sknml.experiments.study._data import (
    DATA_SEED,
    ID_TASKS,
    OOD_SHIFTS,
    load_study_data,
)
from sknml.utils import environment, progress_bar, resolve_device, torch_threads

DEFAULT_SETTINGS = {
    "noise_rates": [0.0, 0.05, 0.1, 0.2, 0.3],
    "seeds": [0, 1, 2, 3, 4],
    "n_pretrain": 50000,
    "pretrain_epochs": 10,
    "n_probe": 8000,
    "n_test": 10000,
    "n_id": None,
    "max_epochs": None,
}

# Every code path, on real data, in seconds: what the tests and CI run.
QUICK_SETTINGS = {
    "noise_rates": [0.0, 0.3],
    "seeds": [0, 1],
    "n_pretrain": 2000,
    "pretrain_epochs": 1,
    "n_probe": 500,
    "n_test": 500,
    "n_id": 400,
    "max_epochs": 5,
}


def _head(method, *, max_epochs, device, random_state):
    """A fresh head; ``max_epochs=None`` keeps the estimator's own budget."""
    if method == "LogReg":
        return LogisticRegression(max_iter=2000)
    budget = {} if max_epochs is None else {"max_epochs": max_epochs}
    return make_tuner(method, device=str(device), random_state=random_state, **budget)


def _mean_spectrum(matrices):
    """``{"sve", "lsvr"}``: the mean over several feature matrices."""
    pairs = np.array([spectrum(F) for F in matrices])
    return dict(zip(("sve", "lsvr"), pairs.mean(axis=0).tolist(), strict=True))


def _evaluate_backbone(backbone, data, *, max_epochs, device, random_state):
    """Spectra of the frozen features and every head's accuracies.

    The ID tasks (``ID_TASKS``) fit and score each on its own split; the OOD
    head is fitted on clean Fashion-MNIST rows and scored on its clean test
    split (``fashion``) and on each shifted copy of it (``OOD_SHIFTS``).
    """
    encoder = TorchEncoder(backbone.features, batch_size=512, device=device)
    encoder.fit(data["fashion"][0][:1, None])

    def encode(images):
        return encoder.transform(images[:, None])

    fits = {
        task: (encode(X_fit), y_fit, {task: (encode(X_test), y_test)})
        for task, (X_fit, y_fit, X_test, y_test) in data.items()
    }
    y_shift = data["fashion"][3]
    shifted = make_shifted_images(data["fashion"][2], random_state=DATA_SEED)
    fits["fashion"][2].update(
        {name: (encode(images), y_shift) for name, images in shifted.items()}
    )
    id_spectrum = _mean_spectrum(
        np.vstack([fits[t][0], fits[t][2][t][0]]) for t in ID_TASKS
    )
    ood_spectrum = _mean_spectrum(fits["fashion"][2][s][0] for s in OOD_SHIFTS)
    metrics = {f"id_{k}": v for k, v in id_spectrum.items()}
    metrics.update({f"ood_{k}": v for k, v in ood_spectrum.items()})
    for method in METHODS:
        key = method_key(method)
        z = {"id": [], "ood": []}  # the tuned features of the -trained networks
        for task, (X_fit, y_fit, tests) in fits.items():
            head = _head(
                method, max_epochs=max_epochs, device=device, random_state=random_state
            )
            head.fit(X_fit, y_fit)
            for test, (X_test, y_test) in tests.items():
                metrics[f"{key}_{test}"] = float(head.score(X_test, y_test))
            if method in NETWORKS:
                metrics[f"{key}_kept_{task}"] = kept_epoch(head)
            if method.endswith("-trained"):
                domain, names = (
                    ("id", [task]) if task in ID_TASKS else ("ood", OOD_SHIFTS)
                )
                z[domain] += [head.transform(tests[name][0]) for name in names]
        metrics[f"{key}_id"] = float(np.mean([metrics[f"{key}_{t}"] for t in ID_TASKS]))
        metrics[f"{key}_ood"] = float(
            np.mean([metrics[f"{key}_{s}"] for s in OOD_SHIFTS])
        )
        for domain, matrices in z.items():
            if matrices:
                spectrum = _mean_spectrum(matrices)
                metrics.update(
                    {f"{key}_z_{domain}_{k}": v for k, v in spectrum.items()}
                )
    return metrics


def _pretrain_accuracy(backbone, images, target, device):
    """Accuracy of the backbone's own head on clean labels (the paper's table)."""
    device = resolve_device(device)
    model = backbone.to(device)
    with torch.inference_mode():
        logits = torch.cat(
            [
                # A copy: joblib's workers get the images read-only.
                model(torch.tensor(images[i : i + 1024, None], device=device)).cpu()
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
        "n_test": [Interval(Integral, 20, None, closed="left")],
        "n_id": [Interval(Integral, 20, None, closed="left"), None],
        "max_epochs": [Interval(Integral, 1, None, closed="left"), None],
        "device": [StrOptions({"auto", "cpu", "cuda"}), torch.device],
        "cache_dir": [str, Path, None],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "n_jobs": [Interval(Integral, 1, None, closed="left")],
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
    n_test: int = DEFAULT_SETTINGS["n_test"],
    n_id: int | None = DEFAULT_SETTINGS["n_id"],
    max_epochs: int | None = DEFAULT_SETTINGS["max_epochs"],
    device: str | torch.device = "auto",
    cache_dir: str | Path | None = None,
    n_threads: int | None = None,
    n_jobs: int = 1,
    verbose: bool = True,
) -> dict:
    """Run the noisy pre-training study and return every number it measures.

    For each noise ratio and seed: pre-train (or load) a backbone on
    Fashion-MNIST with :func:`load_or_pretrain`; measure its own clean test
    accuracy; extract frozen features with :class:`~sknml.encoders.TorchEncoder`;
    compute SVE and LSVR of the ID and OOD features with :mod:`sknml.metrics`;
    fit every head of ``METHODS`` on each task: ``LogisticRegression()``, the
    linear probe, MLP tuning and NMTune, and the last two with
    ``keep_start=False`` (``MLP-trained``, ``NMTune-trained``: the networks as
    they train, which the default keeps only when they beat the probe).

    The paper's protocol (arXiv:2309.17002, section 2.1). ID: other data sets,
    each fitted and scored on its own split: MNIST-5k and the aligned
    scikit-learn digits, each halved (stratified); the ID accuracy is their
    mean. OOD: heads fitted on ``n_probe`` clean Fashion-MNIST training images
    that pre-training never saw and scored on shifted copies of the test split
    (:func:`~sknml.datasets.make_shifted_images`, its eight shifts), the
    analogs of ImageNet-V2, -R and -C; the OOD accuracy is their mean, and the
    clean test split is scored too.

    Parameters
    ----------
    noise_rates : array-like of float in [0, 1), default=[0, .05, .1, .2, .3]
        Symmetric label-noise ratios of pre-training (the paper's).
    seeds : array-like of int, default=[0, 1, 2, 3, 4]
        Pre-training seeds; each also seeds its heads.
    n_pretrain : int, default=50000
        Fashion-MNIST training images to pre-train on.
    pretrain_epochs : int, default=10
        Pre-training epochs.
    n_probe : int, default=8000
        Further Fashion-MNIST training images (never seen in pre-training) to fit
        the OOD heads on.
    n_test : int, default=10000
        Fashion-MNIST test images (stratified subset) to shift and score on.
    n_id : int, default=None
        Cap on the images of each ID data set (stratified subset); None keeps
        all 5,000 MNIST and 1,797 digits.
    max_epochs : int, default=None
        Fixed epochs of each network; None keeps the estimator's own budget
        (early stopping on a validation split).
    device : {'auto', 'cpu', 'cuda'} or torch.device, default='auto'
        Where to pre-train, extract and tune; ``'auto'`` uses CUDA when available.
    cache_dir : str or Path, default=None
        Folder caching the pre-trained backbones; None disables caching.
    n_threads : int, default=None
        CPU threads of torch during the study (restored after); None keeps the
        current setting. On a CPU shared with other jobs, 1 thread can be several
        times faster than 2 for this small network, as threads wait on each other.
    n_jobs : int, default=1
        Backbones evaluated side by side (joblib processes, ``n_threads`` torch
        threads each, 1 when None); each run is seeded on its own, so the
        results do not depend on ``n_jobs``.
    verbose : bool, default=True
        Progress bars.

    Returns
    -------
    result : dict
        ``settings``; ``runs``, one dict per (noise ratio, seed) with the
        pre-training info and flat ``metrics``: ``pretrain_acc``,
        ``{id,ood}_{sve,lsvr}``, every head's accuracy per test (``lp_mnist``,
        ``lp_rotation``, ``lp_fashion``...) and its ``_id`` and ``_ood`` means,
        each network's kept epoch per task (``mlp_kept_mnist``: 0 is the probe)
        and the spectrum of the trained networks' ``z``
        (``nmtune_trained_z_id_sve``...); ``summary`` from :func:`summarize`;
        ``claims`` from :func:`check_claims`; ``environment`` and ``seconds``.
        All plain JSON types.

    See Also
    --------
    write_report : Writes the result as JSON, figures and markdown.

    Examples
    --------
    >>> from sknml.experiments.study import run_study
    >>> result = run_study(
    ...     noise_rates=[0.0, 0.3], seeds=[0], n_pretrain=500, pretrain_epochs=1,
    ...     n_probe=200, n_test=200, n_id=200, max_epochs=1, device="cpu",
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
            "n_test": n_test,
            "n_id": n_id,
            "max_epochs": max_epochs,
            "device": str(device),
            "cache_dir": None if cache_dir is None else str(cache_dir),
            "n_threads": torch.get_num_threads() if n_jobs == 1 else n_threads or 1,
            "n_jobs": n_jobs,
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
    from joblib import Parallel, delayed

    data = load_study_data(
        settings["n_pretrain"],
        settings["n_probe"],
        settings["n_test"],
        settings["n_id"],
    )
    grid = [
        (rate, seed) for rate in settings["noise_rates"] for seed in settings["seeds"]
    ]
    parallel = settings["n_jobs"] > 1
    runs = Parallel(n_jobs=settings["n_jobs"], return_as="generator")(
        delayed(_run_one)(
            rate,
            seed,
            data,
            settings,
            device,
            cache_dir,
            # One bar per backbone would interleave across processes.
            verbose=verbose and not parallel,
            n_threads=settings["n_threads"] if parallel else None,
        )
        for rate, seed in grid
    )
    return list(
        progress_bar(
            runs, enabled=verbose, total=len(grid), desc="sknml study", unit="model"
        )
    )


def _run_one(rate, seed, data, settings, device, cache_dir, *, verbose, n_threads):
    """Pre-train (or load) one backbone and measure everything on it."""
    with torch_threads(n_threads):
        start = time.perf_counter()
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
            "pretrain_acc": _pretrain_accuracy(backbone, *data["fashion"][2:], device)
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
    return {
        "noise_rate": rate,
        "seed": seed,
        "backbone_key": info["key"],
        "cached": info["cached"],
        "realized_noise_rate": info["realized_noise_rate"],
        "pretrain_seconds": info["seconds"],
        "seconds": time.perf_counter() - start,
        "metrics": metrics,
    }
