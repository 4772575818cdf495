"""Which epochs early stopping keeps, and whether any is kept after a plateau.

Tests a rule that would save work: end training at the first plateau of the
validation score while no epoch has replaced the start. On each benchmark data
set (the four MiniLM sentiment domains and TREC questions and SMS spam, ``sknml
benchmark``'s 80/20 training splits of seeds 0-2; the fit halves of Fashion-MNIST,
MNIST-5k and digits on the features of the small Fashion-MNIST CNNs pre-trained
with 0% and 30% label noise and of EfficientNet-Lite0), MLP tuning and NMTune are
fitted with the defaults (a plateau cuts the learning rate tenfold, the next ends
training).
Per fit it prints the epoch kept, the epochs run, the last epoch before the first
plateau, the epoch kept at that point and the test accuracy (held-out 20%, or the
image tasks' test halves); then how many fits kept a later epoch although the
start was still kept at the plateau (those whose result the rule would change),
with the test accuracy of the linear probe they would have returned to, and the
epochs the rule would save.

    python benchmarks/kept_epochs.py                      # every data set
    python benchmarks/kept_epochs.py --only cnn30/mnist   # some of them

Needs the ``bench`` extra and the Fashion-MNIST Debian package; features are
cached where ``sknml demo`` and ``sknml study`` cache theirs.
"""

import argparse
import time
import warnings

import numpy as np
import torch
from _tasks import image_tasks, sentiment, sentiment_split, text_tasks
from joblib import Parallel, delayed
from sklearn.model_selection import train_test_split

from sknml import NAMED_SETTINGS, NMTuneClassifier
from sknml.datasets import SENTIMENT_DOMAINS


def _fit(task, method, seed, X, y, X_test, y_test):
    """One fit: what it kept, when its first plateau came, its test accuracy."""
    torch.set_num_threads(1)
    warnings.simplefilter("ignore")
    clf = NMTuneClassifier(random_state=seed, **NAMED_SETTINGS[method]).fit(X, y)
    lr = clf.history_[:, "lr"]
    cuts = [epoch for epoch in range(1, len(lr)) if lr[epoch] < 0.5 * lr[epoch - 1]]
    plateau = cuts[0] if cuts else None  # the last epoch before the first cut
    kept = clf.history_[:, "kept_epoch"]
    at_plateau = None if plateau is None else int(kept[plateau - 1])
    probe = None
    if at_plateau == 0 and clf.best_epoch_ > plateau:
        # What the rule would return: the start, the probe solved on every row.
        probe = NMTuneClassifier(n_layers=0, random_state=seed).fit(X, y)
        probe = 100 * probe.score(X_test, y_test)
    return {
        "task": task,
        "method": method,
        "seed": seed,
        "kept": int(clf.best_epoch_),
        "epochs": int(clf.n_iter_),
        "plateau": plateau,
        "kept_at_plateau": at_plateau,
        "test": 100 * clf.score(X_test, y_test),
        "probe_test": probe,
    }


def _jobs(only):
    data = sentiment()
    jobs = []
    for domain in SENTIMENT_DOMAINS:
        for seed in range(3):
            train, test = sentiment_split(data, domain, seed)
            X, y = data["X"], data["y"]
            jobs.append(
                (f"sentiment/{domain}", seed, X[train], y[train], X[test], y[test])
            )
    for name, (X, y) in text_tasks().items():
        for seed in range(3):
            train, test = train_test_split(
                np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed
            )
            jobs.append((name, seed, X[train], y[train], X[test], y[test]))
    for name, task in image_tasks(("cnn0", "cnn30", "effnet"), test=True).items():
        jobs.append((name, 0, *task))
    return [job for job in jobs if not only or job[0] in only]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", help="data sets by name")
    args = parser.parse_args()
    start = time.perf_counter()
    rows = Parallel(n_jobs=2)(
        delayed(_fit)(task, method, *job)
        for task, *job in _jobs(args.only)
        for method in ("mlp", "nmtune")
    )
    print(
        "| data set | method | seed | kept | epochs | plateau | kept at plateau "
        "| test acc |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['task']} | {r['method']} | {r['seed']} | {r['kept']} | "
            f"{r['epochs']} | {r['plateau']} | {r['kept_at_plateau']} | "
            f"{r['test']:.2f} |"
        )
    at_start = [r for r in rows if r["kept_at_plateau"] == 0]
    later = [
        f"{r['task']} {r['method']} seed {r['seed']}: test {r['test']:.2f}, the "
        f"probe {r['probe_test']:.2f}"
        for r in at_start
        if r["kept"] > r["plateau"]
    ]
    before = sum(r["epochs"] for r in rows)
    after = sum(r["plateau"] if r in at_start else r["epochs"] for r in rows)
    seconds = time.perf_counter() - start
    print(
        f"\n{len(rows)} fits; {len(at_start)} reached their first plateau with the "
        f"start kept, and {len(later)} of those kept a later epoch "
        f"({', '.join(later) or 'none'}). Epochs trained: {before}; with the rule, "
        f"{after} ({100 * (1 - after / before):.0f}% fewer). "
        f"{seconds:.0f} s, 2 processes of 1 torch thread."
    )


if __name__ == "__main__":
    main()
