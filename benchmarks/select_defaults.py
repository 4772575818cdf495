"""Choose NMTuneClassifier's defaults by cross-validation on training data only.

Every candidate configuration is scored by stratified 3-fold cross-validation
inside the *training split* of each selection task; no test split takes part.
The selection tasks are

- the four MiniLM sentiment domains (the 80% training split of seed 0, the split
  ``sknml benchmark`` trains on with seed 0);
- the frozen features of the study's Fashion-MNIST CNN backbones pre-trained with
  0% and 30% label noise (seed 0), on the three downstream tasks the study fits
  probes on (Fashion-MNIST, MNIST-5k, aligned digits; their fit halves only).

- "source": 5,000 rows of the four sentiment training splits labelled with their
  domain and sentiment (8 classes, 6% to 26% each), a multi-class, imbalanced
  text task on the same training rows (from the fourth round on).

On the sentiment domains, each fold's model is also scored on the *training
splits* of the other three domains: a proxy for out-of-domain accuracy that
touches no test split ("transfer" in the table; the mean over target domains,
and the worst train -> target pair, averaged over folds).

Prints one markdown table (mean CV accuracy per task, and the mean per family)
and writes the raw scores to ``--out`` (JSON). Needs the ``demo`` extra and the
Fashion-MNIST Debian package; embeddings and backbones are cached where
``sknml demo`` and ``sknml study`` cache them.

    python benchmarks/select_defaults.py --out select_defaults.json
"""

import argparse
import json
import time

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split

from sknml import NMTuneClassifier
from sknml._runtime import torch_threads

_PAPER = {
    "lambda_mse": 0.01,
    "lambda_cov": 0.01,
    "lambda_svd": 0.01,
    "svd_top_k": 1,
    "hidden_ratio": 1.0,
    "residual": False,
}
_REFERENCE_CODE = {
    "lambda_mse": 1.0,
    "lambda_cov": 0.04,
    "lambda_svd": 0.001,
    "svd_top_k": 5,
    "hidden_ratio": 4.0,
    "residual": True,
}
_PLAIN_MLP = {"lambda_mse": 0.0, "lambda_cov": 0.0, "lambda_svd": 0.0}
_STOP = {"early_stopping": True, "max_epochs": 100}
_FIXED = {"early_stopping": False, "max_epochs": 30}


def _then(**params):
    """A network as rounds one and two ran it: residual branch started at 1, and
    one learning rate, that of the time (1e-3) unless the candidate sets one."""
    params = {"residual_init": 1.0, "lr": 1e-3, **params}
    return NMTuneClassifier(head_lr=params["lr"], **params)


def _round3(**params):
    """A network as round three ran it: one learning rate for all its weights."""
    return NMTuneClassifier(head_lr=params["lr"], **params)


CANDIDATES = {
    "LogisticRegression()": LogisticRegression(max_iter=2000),
    "LP, std, 30 ep": NMTuneClassifier(n_layers=0, standardize=True, **_FIXED),
    "LP, std, ES": NMTuneClassifier(n_layers=0, standardize=True, **_STOP),
    "LP, raw, ES": NMTuneClassifier(n_layers=0, standardize=False, **_STOP),
    "MLP, std, ES": _then(standardize=True, **_PLAIN_MLP, **_STOP),
    "MLP, raw, ES": _then(standardize=False, **_PLAIN_MLP, **_STOP),
    "NMTune paper, std, 30 ep": _then(standardize=True, **_PAPER, **_FIXED),
    "NMTune paper, std, ES": _then(standardize=True, **_PAPER, **_STOP),
    "NMTune paper, raw, ES": _then(standardize=False, **_PAPER, **_STOP),
    "NMTune ref. code, std, ES": _then(standardize=True, **_REFERENCE_CODE, **_STOP),
    "NMTune ref. code, raw, ES": _then(standardize=False, **_REFERENCE_CODE, **_STOP),
    # Second round: slower learning rates, smaller batches, more patience.
    "MLP, std, ES, lr 3e-4": _then(standardize=True, lr=3e-4, **_PLAIN_MLP, **_STOP),
    "NMTune paper, std, ES, lr 3e-4": _then(
        standardize=True, lr=3e-4, **_PAPER, **_STOP
    ),
    "NMTune ref. code, std, ES, lr 3e-4": _then(
        standardize=True, lr=3e-4, **_REFERENCE_CODE, **_STOP
    ),
    "NMTune ref. code, raw, ES, lr 3e-4": _then(
        standardize=False, lr=3e-4, **_REFERENCE_CODE, **_STOP
    ),
    "NMTune ref. code, std, ES, lr 1e-4, patience 10": _then(
        standardize=True, lr=1e-4, n_iter_no_change=10, **_REFERENCE_CODE, **_STOP
    ),
    "NMTune ref. code, raw, ES, batch 64": _then(
        standardize=False, batch_size=64, **_REFERENCE_CODE, **_STOP
    ),
    "NMTune ref. code, std, ES, weight decay 0.1": _then(
        standardize=True, weight_decay=0.1, **_REFERENCE_CODE, **_STOP
    ),
    # Third round: the residual branch started at zero (ReZero), and the transfer
    # proxy. "auto" standardization: raw on the sentiment embeddings, std on CNN.
    "NMTune ref. code, auto, ES, residual_init 1": _then(**_REFERENCE_CODE, **_STOP),
    "NMTune ref. code, auto, ES, residual_init 0": _round3(
        residual_init=0.0, lr=1e-3, **_REFERENCE_CODE, **_STOP
    ),
    "NMTune ref. code, auto, ES, residual_init 0, lr 3e-4": _round3(
        residual_init=0.0, lr=3e-4, **_REFERENCE_CODE, **_STOP
    ),
    "MLP, auto, ES, residual_init 0, lr 3e-4": _round3(
        residual_init=0.0, lr=3e-4, **_PLAIN_MLP, **_STOP
    ),
    # Fourth round: on unit-norm rows the head learns faster than g (head_lr);
    # the source task (8 classes) joins the proxy.
    "LP, auto, ES": NMTuneClassifier(n_layers=0),
    **{
        f"{method}, auto, ES, residual_init 0, lr 3e-4, head_lr {head_lr}": (
            NMTuneClassifier(
                residual_init=0.0, lr=3e-4, head_lr=float(head_lr), **weights, **_STOP
            )
        )
        for method, weights in (("MLP", _PLAIN_MLP), ("NMTune ref. code", {}))
        for head_lr in ("3e-3", "1e-2")
    },
    # The defaults: on unit-norm rows residual_init 0, lr 3e-4 and head_lr 3e-3,
    # else the reference recipe (residual_init 1, lr 1e-3 for every weight).
    "MLP (lambda_*=0), the defaults": NMTuneClassifier(**_PLAIN_MLP),
    "NMTuneClassifier() (the defaults)": NMTuneClassifier(),
}


def sentiment_tasks(n_source=5000):
    """The training split (80%, seed 0) of each MiniLM sentiment domain.

    Returns ``tasks`` (``{name: (X, y)}``) and ``transfer`` (``{name: {other
    name: (X, y)}}``, the other domains' training splits). ``tasks`` also holds
    "source/8 classes": ``n_source`` rows of the four training splits (stratified)
    labelled with domain and sentiment, a multi-class, imbalanced text task.
    """
    from sknml.datasets._sentiment import DOMAINS
    from sknml.experiments._common import default_cache_dir
    from sknml.experiments.demo._data import load_embedded_domains

    data = load_embedded_domains(
        cache=default_cache_dir() / "embeddings", progress=False
    )
    X, y, domain = data["X"], data["y"], data["domain"]
    tasks = {}
    for name in DOMAINS:
        rows = np.flatnonzero(domain == name)
        train, _ = train_test_split(
            rows, test_size=0.2, stratify=y[rows], random_state=0
        )
        tasks[f"sentiment/{name}"] = (X[train], y[train])
    transfer = {
        task: {other: data for other, data in tasks.items() if other != task}
        for task in tasks
    }
    X_all = np.concatenate([X for X, _ in tasks.values()])
    source = np.concatenate(
        [[f"{task}/{label}" for label in y] for task, (_, y) in tasks.items()]
    )
    rows, _ = train_test_split(
        np.arange(len(source)), train_size=n_source, stratify=source, random_state=0
    )
    tasks["source/8 classes"] = (X_all[rows], source[rows])
    return tasks, transfer


def image_tasks(noise_rates=(0.0, 0.3)):
    """Frozen CNN features of the study's probe-fitting images, per backbone."""
    from sknml.encoders import TorchEncoder
    from sknml.experiments._common import default_cache_dir
    from sknml.experiments.study import DEFAULT_SETTINGS, load_or_pretrain
    from sknml.experiments.study._data import load_study_data

    settings = DEFAULT_SETTINGS
    data = load_study_data(
        settings["n_pretrain"], settings["n_probe"], settings["n_id_test"], None
    )
    tasks = {}
    for rate in noise_rates:
        backbone, _ = load_or_pretrain(
            noise_rate=rate,
            random_state=0,
            n_pretrain=settings["n_pretrain"],
            epochs=settings["pretrain_epochs"],
            cache_dir=default_cache_dir() / "backbones",
            device="cpu",
        )
        encoder = TorchEncoder(backbone.features, batch_size=512, device="cpu")
        encoder.fit(data["id"][0][:1, None])
        for task, (images, target, _, _) in data.items():
            tasks[f"cnn{int(rate * 100)}/{task}"] = (
                encoder.transform(images[:, None]),
                target,
            )
    return tasks


def _cv_score(candidate, X, y, train, test, seed, transfer):
    """The fold's validation accuracy and its accuracy on each ``transfer`` set."""
    estimator = clone(candidate)
    if isinstance(estimator, NMTuneClassifier):
        estimator.set_params(random_state=seed, device="cpu")
    with torch_threads(1):
        estimator.fit(X[train], y[train])
        return float(estimator.score(X[test], y[test])), {
            other: float(estimator.score(*data)) for other, data in transfer.items()
        }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="select_defaults.json")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--folds", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="candidate names to run")
    parser.add_argument(
        "--family", choices=["sentiment", "cnn"], help="run one task family only"
    )
    args = parser.parse_args(argv)

    candidates = {
        name: est
        for name, est in CANDIDATES.items()
        if not args.only or name in args.only
    }
    tasks, transfer = sentiment_tasks() if args.family != "cnn" else ({}, {})
    if args.family != "sentiment":
        tasks.update(image_tasks())
    jobs = []
    for task, (X, y) in tasks.items():
        folds = StratifiedKFold(args.folds, shuffle=True, random_state=0).split(X, y)
        for fold, (train, test) in enumerate(folds):
            for name in candidates:
                jobs.append((task, name, fold, train, test))
    start = time.perf_counter()
    scores = Parallel(n_jobs=args.n_jobs, verbose=5)(
        delayed(_cv_score)(
            candidates[name], *tasks[task], train, test, fold, transfer.get(task, {})
        )
        for task, name, fold, train, test in jobs
    )
    seconds = time.perf_counter() - start
    table, transfers = {}, {}
    for (task, name, _, _, _), (score, moved) in zip(jobs, scores, strict=True):
        table.setdefault(name, {}).setdefault(task, []).append(score)
        for other, value in moved.items():
            transfers.setdefault(name, {}).setdefault(f"{task} -> {other}", []).append(
                value
            )
    means = {
        name: {task: float(np.mean(v)) for task, v in row.items()}
        for name, row in table.items()
    }
    pairs = {
        name: {pair: float(np.mean(v)) for pair, v in row.items()}
        for name, row in transfers.items()
    }
    with open(args.out, "w") as f:
        json.dump(
            {"scores": table, "transfer": transfers, "seconds": seconds}, f, indent=1
        )

    families = {
        family: prefix
        for family, prefix in {
            "sentiment": "sentiment/",
            "source": "source/",
            "CNN features": "cnn",
        }.items()
        if any(task.startswith(prefix) for task in tasks)
    }
    task_names = list(tasks)
    proxy = ["transfer", "worst pair"] if transfers else []
    header = ["candidate", *families, *proxy, *task_names]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" + "---:|" * (len(header) - 1))
    for name, row in means.items():
        family_means = [
            np.mean([v for t, v in row.items() if t.startswith(prefix)])
            for prefix in families.values()
        ]
        moved = list(pairs.get(name, {}).values())
        proxy_cells = [np.mean(moved), min(moved)] if proxy else []
        cells = [f"{v:.4f}" for v in family_means + proxy_cells] + [
            f"{row[t]:.4f}" for t in task_names
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")
    print(f"\n{len(jobs)} fits in {seconds:.0f} s")


if __name__ == "__main__":
    main()
