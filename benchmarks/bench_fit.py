"""What a user pays: fit time and accuracy of each head, against LogisticRegression.

On each real feature matrix, one 80/20 split (seed 0), fits one after the other
in this process (torch and BLAS at the machine's threads, nothing side by side):

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
MNIST-5k and digits on the features of the study's CNN pre-trained with 30%
label noise and of EfficientNet-Lite0 (their fit halves, split 80/20).

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


def run(name, X, y):
    """Fit every head on one 80/20 split; print and return its rows."""
    train, test = train_test_split(
        np.arange(len(y)), test_size=0.2, stratify=y, random_state=0
    )
    rows = []
    for head, make in HEADS.items():
        model = make()
        with warnings.catch_warnings():
            # LogisticRegression() often stops at max_iter=100: as a user sees it.
            warnings.simplefilter("ignore", ConvergenceWarning)
            start = time.perf_counter()
            model.fit(X[train], y[train])
            seconds = time.perf_counter() - start
        accuracy = 100 * model.score(X[test], y[test])
        rows.append((head, seconds, accuracy, _kept_epoch(model)))
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
    for name, (X, y) in _data_sets(args.quick, args.only).items():
        run(name, X, y)
    print(f"\nTotal {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
