"""Choose NMTuneClassifier's defaults by cross-validation on training data only.

Every candidate is scored by stratified 3-fold cross-validation inside the
*training split* of each selection task; no test split takes part:

- the four MiniLM sentiment domains (the 80% training split of seed 0, the split
  ``sknml benchmark`` trains on with seed 0), and "source": 5,000 of those rows
  labelled with domain and sentiment (8 classes, 6% to 26% each);
- the frozen features of the small Fashion-MNIST CNNs pre-trained with 0% and
  30% label noise (seed 0), on three image tasks (fit halves);
- the pooled features of EfficientNet-Lite0 (ImageNet-trained) on the same three
  tasks (fit halves): non-negative and 60-80% zeros, unlike both of the above.

``--family`` runs one of these three families only: ``text``, ``cnn`` or
``effnet`` (the families of ``confirm_defaults.py``).

On the sentiment domains each fold's model is also scored on the *training
splits* of the other three domains: a proxy for out-of-domain accuracy that
touches no test split ("transfer": the mean over target domains; "worst pair":
the worst train -> target pair, averaged over folds).

Prints one markdown table (mean CV accuracy per task, and the mean per family)
and writes the raw scores to ``--out`` (JSON). Needs the ``bench`` extra and the
Fashion-MNIST Debian package; embeddings and backbones are cached where
``sknml demo`` and ``sknml study`` cache them.

    python benchmarks/select_defaults.py --out select_defaults.json
"""

import argparse
import json
import time

import numpy as np
from _tasks import FAMILIES, add_family_option, image_tasks, sentiment
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, train_test_split

from sknml import NAMED_SETTINGS, NMTuneClassifier
from sknml.datasets import SENTIMENT_DOMAINS
from sknml.utils import torch_threads


def _nmtune(lambda_mse, lambda_cov, lambda_svd):
    return NMTuneClassifier(
        lambda_mse=lambda_mse, lambda_cov=lambda_cov, lambda_svd=lambda_svd
    )


CANDIDATES = {
    "LogisticRegression()": LogisticRegression(max_iter=2000),
    **{
        f"NAMED_SETTINGS['{name}']": NMTuneClassifier(**NAMED_SETTINGS[name])
        for name in ("lp", "mlp", "nmtune-reference", "nmtune-paper")
    },
    # (lambda_mse, lambda_cov, lambda_svd) on the scale-invariant terms: from the
    # weight that pins z to x (mse 0.3) down to a tenth of it.
    **{
        f"NMTune {weights}": _nmtune(*weights)
        for weights in ((0.3, 1.0, 1.0), (0.1, 0.03, 1.0), (0.03, 0.1, 0.3))
    },
}


def sentiment_tasks(n_source=5000):
    """The training split (80%, seed 0) of each MiniLM sentiment domain.

    Returns ``tasks`` (``{name: (X, y)}``) and ``transfer`` (``{name: {other
    name: (X, y)}}``, the other domains' training splits). ``tasks`` also holds
    "source/8 classes": ``n_source`` rows of the four training splits (stratified)
    labelled with domain and sentiment, a multi-class, imbalanced text task.
    """
    data = sentiment()
    X, y, domain = data["X"], data["y"], data["domain"]
    tasks = {}
    for name in SENTIMENT_DOMAINS:
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
    add_family_option(parser)
    args = parser.parse_args(argv)

    candidates = {
        name: est
        for name, est in CANDIDATES.items()
        if not args.only or name in args.only
    }
    tasks, transfer = {}, {}
    for family in [args.family] if args.family else FAMILIES:
        if family == "text":
            text, transfer = sentiment_tasks()
            tasks.update(text)
        else:
            tasks.update(image_tasks(FAMILIES[family]))
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
            "EfficientNet-Lite0": "effnet",
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
