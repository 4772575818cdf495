"""The linear probe against LogisticRegression on the same input, on every data set.

``NMTuneClassifier(n_layers=0)`` solves ``LogisticRegression``'s problem; this
script checks that it reaches its accuracy on the input the probe sees, and that
the probe's own choice to standardize (``standardize='auto'``, a 3-fold check
inside the training rows) is not far below the better of its two options. On
each split it fits

- ``LogisticRegression(max_iter=1000)`` on the raw rows and on
  ``StandardScaler()`` rows, and the same solved to convergence
  (``tol=1e-10, max_iter=100000``: ``LogisticRegression()`` stops on its own
  tolerance, often after 15-25 L-BFGS iterations, short of the optimum);
- ``NMTuneClassifier(n_layers=0)`` with ``standardize=False``, ``True`` and
  ``'auto'``,

on the data sets of ``sknml benchmark`` (the four MiniLM sentiment domains, its
80/20 splits of seeds 0-2, out-of-domain = the three other domains), of the
confirmation (TREC questions and SMS spam, 80/20 splits of seeds 0-2) and of the
image tasks (Fashion-MNIST, MNIST-5k and digits on the features of the study's
CNNs pre-trained with 0% and 30% label noise, and of EfficientNet-Lite0; the
fixed fit/test halves). It prints one markdown row per data set and evaluation:
the mean test accuracy of each fit, the largest gap between the probe and
``LogisticRegression`` on the same input (against ``LogisticRegression()`` /
against the solved one), how often ``'auto'`` standardized, and its largest
shortfall below the better of ``standardize=False`` / ``True`` (all over splits,
in points).

    python benchmarks/probe_vs_logistic.py

Needs the ``bench`` extra and the Fashion-MNIST Debian package; features are
cached where ``sknml demo`` and ``sknml study`` cache theirs.
"""

import argparse
import time

import numpy as np
from _tasks import image_tasks, sentiment, sentiment_split, text_tasks
from joblib import Parallel, delayed
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sknml import NMTuneClassifier
from sknml.datasets import SENTIMENT_DOMAINS
from sknml.utils import torch_threads

FITS = {
    "LR raw": lambda: LogisticRegression(max_iter=1000),
    "LR std": lambda: make_pipeline(
        StandardScaler(), LogisticRegression(max_iter=1000)
    ),
    "solved LR raw": lambda: LogisticRegression(tol=1e-10, max_iter=100_000),
    "solved LR std": lambda: make_pipeline(
        StandardScaler(), LogisticRegression(tol=1e-10, max_iter=100_000)
    ),
    "LP raw": lambda: NMTuneClassifier(n_layers=0, standardize=False, device="cpu"),
    "LP std": lambda: NMTuneClassifier(n_layers=0, standardize=True, device="cpu"),
    "LP auto": lambda: NMTuneClassifier(n_layers=0, device="cpu"),
}


def _splits(seeds):
    """``[(data set, X_fit, y_fit, {evaluation: (X, y)})]``."""
    splits = []
    data = sentiment()
    X, y, domain = data["X"], data["y"], data["domain"]
    for name in SENTIMENT_DOMAINS:
        others = np.isin(domain, [d for d in SENTIMENT_DOMAINS if d != name])
        for seed in seeds:
            train, test = sentiment_split(data, name, seed)
            evaluations = {"ID": (X[test], y[test]), "OOD": (X[others], y[others])}
            splits.append((f"sentiment/{name}", X[train], y[train], evaluations))
    for name, (X, y) in text_tasks().items():
        for seed in seeds:
            train, test = train_test_split(
                np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed
            )
            splits.append((name, X[train], y[train], {"ID": (X[test], y[test])}))
    tasks = image_tasks(("cnn0", "cnn30", "effnet"), test=True)
    for name, (X_fit, y_fit, X_test, y_test) in tasks.items():
        splits.append((name, X_fit, y_fit, {"ID": (X_test, y_test)}))
    return splits


def _fit_all(X, y, evaluations):
    """Every fit's accuracy on each evaluation set, and what 'auto' chose."""
    scores, chose = {}, None
    with torch_threads(1):
        for fit, make in FITS.items():
            model = make().fit(X, y)
            scores[fit] = {
                e: float(model.score(*data)) for e, data in evaluations.items()
            }
            if fit == "LP auto":
                chose = bool(model.recipe_["standardize"])
    return scores, chose


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args(argv)
    splits = _splits(args.seeds)
    start = time.perf_counter()
    results = Parallel(n_jobs=args.n_jobs)(
        delayed(_fit_all)(X, y, evaluations) for _, X, y, evaluations in splits
    )
    seconds = time.perf_counter() - start

    rows = {}
    for (name, *_), (scores, chose) in zip(splits, results, strict=True):
        for evaluation in scores["LP auto"]:
            acc = {fit: 100 * scores[fit][evaluation] for fit in FITS}
            row = rows.setdefault((name, evaluation), {"acc": [], "chose": []})
            row["acc"].append(acc)
            row["chose"].append(chose)
    shown = ["LR raw", "LR std", "LP raw", "LP std", "LP auto"]
    columns = [*shown, "max gap raw", "max gap std", "auto std", "max shortfall"]
    print("| data set | eval | splits | " + " | ".join(columns) + " |")
    print("|---|---|---:|" + "---:|" * len(columns))
    for (name, evaluation), row in rows.items():
        acc = row["acc"]
        cells = [f"{np.mean([a[fit] for a in acc]):.2f}" for fit in shown]
        for kind in ("raw", "std"):
            gaps = [
                max(abs(a[f"LP {kind}"] - a[f"{lr}LR {kind}"]) for a in acc)
                for lr in ("", "solved ")
            ]
            cells.append(f"{gaps[0]:.2f} / {gaps[1]:.2f}")
        shortfall = max(max(a["LP raw"], a["LP std"]) - a["LP auto"] for a in acc)
        cells += [f"{sum(row['chose'])}/{len(acc)}", f"{shortfall:.2f}"]
        print(f"| {name} | {evaluation} | {len(acc)} | " + " | ".join(cells) + " |")
    print(f"\n{len(splits) * len(FITS)} fits in {seconds:.0f} s, seeds {args.seeds}")


if __name__ == "__main__":
    main()
