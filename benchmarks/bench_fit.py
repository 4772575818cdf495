"""What a user pays: fit time and accuracy of each head, against LogisticRegression.

On each real feature matrix, one 80/20 split (seed 0), fits one after the other
each in a fresh process (torch and BLAS at the machine's threads, nothing side by
side; each process first fits its head once on a small problem, untimed):

- ``LogisticRegression()`` (the reference every ratio is taken to),
- ``StandardScaler()`` + ``LogisticRegression()``,
- ``MLPClassifier(early_stopping=True)``,
- the probe ``NMTuneClassifier(n_layers=0)``,
- MLP tuning ``NMTuneClassifier(**NAMED_SETTINGS["mlp"])``,
- NMTune ``NMTuneClassifier()``,
- ``NMTuneClassifierCV()``,

all with their defaults, and prints per data set the fit time, its ratio to
``LogisticRegression()``'s in the same run, the test accuracy and, for the
networks, the epoch they kept (0: the probe). The data sets: the four MiniLM
sentiment domains, TREC questions and SMS spam (MiniLM), and Fashion-MNIST,
MNIST-5k and digits on the features of the small Fashion-MNIST CNN pre-trained
with 30% label noise and of EfficientNet-Lite0 (their fit halves, split 80/20).

    python benchmarks/bench_fit.py                        # every data set
    python benchmarks/bench_fit.py --only "MiniLM movie"  # some of them
    python benchmarks/bench_fit.py --quick                # a smoke run (digits)

Needs the ``bench`` extra and the Fashion-MNIST Debian package; features are
cached where ``sknml demo`` and ``sknml study`` cache theirs.
"""

import argparse
import platform
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np
import sklearn
import torch
from _tasks import image_tasks, sentiment, text_tasks
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import sknml
from sknml import NAMED_SETTINGS, NMTuneClassifier, NMTuneClassifierCV
from sknml.datasets import SENTIMENT_DOMAINS

HEADS = {
    "LogisticRegression()": lambda: LogisticRegression(),
    "StandardScaler()+LR": lambda: make_pipeline(
        StandardScaler(), LogisticRegression()
    ),
    "MLPClassifier(early_stopping=True)": lambda: MLPClassifier(
        early_stopping=True, random_state=0
    ),
    "probe (n_layers=0)": lambda: NMTuneClassifier(n_layers=0, random_state=0),
    "MLP tuning": lambda: NMTuneClassifier(**NAMED_SETTINGS["mlp"], random_state=0),
    "NMTune": lambda: NMTuneClassifier(random_state=0),
    "NMTuneClassifierCV()": lambda: NMTuneClassifierCV(random_state=0),
}


def _data_sets(quick, only):
    """``{name: (X, y)}`` of the benchmark's data sets (those named in ``only``)."""
    if quick:
        X, y = load_digits(return_X_y=True)
        return {"digits (quick)": (X.astype(np.float32), y)}
    data = sentiment()
    tasks = {}
    for domain in SENTIMENT_DOMAINS:
        rows = np.flatnonzero(data["domain"] == domain)
        tasks[f"MiniLM {domain}"] = (data["X"][rows], data["y"][rows])
    if not only or any(name.startswith("MiniLM") for name in only):
        tasks.update({f"MiniLM {k}": v for k, v in text_tasks().items()})
    if not only or any(not name.startswith("MiniLM") for name in only):
        tasks.update(image_tasks(("cnn30", "effnet")))
    return {name: task for name, task in tasks.items() if not only or name in only}


def _kept_epoch(model):
    """The epoch a network kept (through the CV's refit), or '' for the others."""
    model = getattr(model, "best_estimator_", model)
    return getattr(model, "best_epoch_", "") if getattr(model, "n_layers", 0) else ""


# Settings that keep the warm-up fit short (the heads' defaults are timed).
_SMALL = {
    "NMTuneClassifier": {"max_epochs": 2},
    "NMTuneClassifierCV": {"cv": 2},
}


def _timed_fit(head, X, y, X_test, y_test):
    """In a fresh process: ``(fit seconds, test accuracy, kept epoch)`` of a head.

    A fresh process per fit, so that no fit reuses what an earlier one computed
    (the probe remembers its solutions); one untimed fit of the same head on a
    small problem first, since the first call in a process pays for loading
    kernels and thread pools, not for the head.
    """
    warnings.simplefilter("ignore", ConvergenceWarning)
    X_small, y_small = load_digits(return_X_y=True)
    model = HEADS[head]()
    model.set_params(**_SMALL.get(type(model).__name__, {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(X_small[:300].astype(np.float32), y_small[:300])
    model = HEADS[head]()
    start = time.perf_counter()
    # LogisticRegression() often stops at max_iter=100: as a user sees it.
    model.fit(X, y)
    seconds = time.perf_counter() - start
    return seconds, 100 * model.score(X_test, y_test), _kept_epoch(model)


def _summary(name, rows):
    """The done-when ratios of one data set: ``(name, probe, NMTune, CV)``."""
    seconds = {head: row[1] for head, row in zip(HEADS, rows, strict=True)}
    faster_lr = min(seconds["LogisticRegression()"], seconds["StandardScaler()+LR"])
    mlp = seconds["MLPClassifier(early_stopping=True)"]
    return (
        name,
        seconds["probe (n_layers=0)"] / faster_lr,
        seconds["NMTune"] / mlp,
        seconds["NMTuneClassifierCV()"] / mlp,
    )


def run(name, X, y):
    """Fit every head on one 80/20 split; print and return its rows."""
    train, test = train_test_split(
        np.arange(len(y)), test_size=0.2, stratify=y, random_state=0
    )
    rows = []
    for head in HEADS:
        with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as process:
            fit = process.submit(_timed_fit, head, X[train], y[train], X[test], y[test])
            rows.append((head, *fit.result()))
    reference = rows[0][1]
    print(f"\n### {name}: {len(train)} x {X.shape[1]} training rows\n")
    print("| head | fit (s) | x LogisticRegression() | test acc | kept epoch |")
    print("|---|---:|---:|---:|---:|")
    for head, seconds, accuracy, kept in rows:
        ratio = seconds / reference
        print(f"| {head} | {seconds:.2f} | {ratio:.1f} | {accuracy:.2f} | {kept} |")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="one small task")
    parser.add_argument(
        "--only", nargs="+", help="data sets by name, e.g. 'MiniLM movie' 'cnn30/id'"
    )
    args = parser.parse_args()
    print(
        f"# bench_fit: sknml {sknml.__version__}, torch {torch.__version__}, "
        f"scikit-learn {sklearn.__version__}, {torch.get_num_threads()} torch "
        f"threads, {platform.machine()}"
    )
    start = time.perf_counter()
    summaries = [
        _summary(name, run(name, X, y))
        for name, (X, y) in _data_sets(args.quick, args.only).items()
    ]
    print(
        "\n### Ratios\n\n| data set | probe / faster of LR and SS+LR "
        "| NMTune / MLPClassifier | NMTuneClassifierCV() / MLPClassifier |"
    )
    print("|---|---:|---:|---:|")
    for name, *ratios in summaries:
        print(f"| {name} | " + " | ".join(f"{r:.1f}" for r in ratios) + " |")
    print(f"\nTotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
