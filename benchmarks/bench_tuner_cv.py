"""How long NMTuneClassifierCV's default grid takes on the movie domain, and what wins.

Fits ``NMTuneClassifierCV(n_jobs=2, random_state=0)`` (the default grid, 3 folds) on
80% of the movie domain's MiniLM embeddings (the split ``sknml benchmark`` trains
on), then prints the wall time, the load average before and after, the candidates'
cross-validated scores and the winner's ID and OOD accuracy next to
``LogisticRegression()``. Needs the ``demo`` extra; embeddings are cached where
``sknml demo`` caches them.

    python benchmarks/bench_tuner_cv.py
"""

import os
import time

import numpy as np
from _tasks import sentiment
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from sknml import NMTuneClassifierCV
from sknml.datasets import SENTIMENT_DOMAINS

TRAIN = "movie"


def _accuracies(clf, X, y, domain, X_test, y_test):
    ood = [
        clf.score(X[domain == d], y[domain == d])
        for d in SENTIMENT_DOMAINS
        if d != TRAIN
    ]
    return clf.score(X_test, y_test), float(np.mean(ood))


def main():
    data = sentiment()
    X, y, domain = data["X"], data["y"], data["domain"]
    inside = domain == TRAIN
    X_train, X_test, y_train, y_test = train_test_split(
        X[inside], y[inside], test_size=0.2, random_state=0, stratify=y[inside]
    )
    load_before = os.getloadavg()
    start = time.perf_counter()
    search = NMTuneClassifierCV(n_jobs=2, random_state=0).fit(X_train, y_train)
    seconds = time.perf_counter() - start
    load_after = os.getloadavg()
    print(
        f"bench_tuner_cv: {len(X_train)} x {X.shape[1]} training rows ({TRAIN}), "
        f"{len(search.cv_results_['params'])} candidates x {search.n_splits_} folds "
        f"+ refit, n_jobs=2, {os.cpu_count()} CPUs"
    )
    print(f"fit time: {seconds:.1f} s")
    print(f"load average (1, 5, 15 min) before: {load_before}, after: {load_after}")
    print("\n| candidate | mean CV accuracy | std | mean fit s |\n|---|---:|---:|---:|")
    results = search.cv_results_
    for params, mean, std, fit in zip(
        results["params"],
        results["mean_test_score"],
        results["std_test_score"],
        results["mean_fit_time"],
        strict=True,
    ):
        print(f"| {params} | {mean:.4f} | {std:.4f} | {fit:.1f} |")
    print(f"\nbest: {search.best_params_}")
    print("\n| head | ID acc | OOD acc |\n|---|---:|---:|")
    heads = {
        "NMTuneClassifierCV()": search,
        "LogisticRegression()": LogisticRegression(max_iter=2000).fit(X_train, y_train),
    }
    for name, clf in heads.items():
        in_domain, out_of_domain = _accuracies(clf, X, y, domain, X_test, y_test)
        print(f"| {name} | {in_domain:.4f} | {out_of_domain:.4f} |")


if __name__ == "__main__":
    main()
