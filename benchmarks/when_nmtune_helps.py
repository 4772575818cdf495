"""When does NMTune help? LP, MLP tuning and NMTune, seed by seed, on every data set.

A network starts at the solved linear probe and, with early stopping, keeps that
start unless a trained epoch beats it by more than chance on the validation rows:
where none does, LP, MLP tuning and NMTune are the same model, a tie and never a
win. This script measures where that happens and what the regularizers do when
the network does train. On each data set and seed it fits, all at the defaults,

- LP, MLP and NMTune (``NAMED_SETTINGS['lp']``, ``['mlp']``, ``['nmtune']``);
- MLP-trained and NMTune-trained: MLP and NMTune with ``keep_start=False``, which
  keep the most accurate trained epoch on the validation rows (what the network
  learned) even when it does not beat the start.

The data sets: the four MiniLM sentiment domains (``sknml benchmark``'s 80/20
splits; ID = the held-out 20%, OOD = the three other domains whole), TREC
questions and SMS spam (80/20 splits stratified by seed) and the image tasks
(Fashion-MNIST, MNIST-5k and digits on the features of the small Fashion-MNIST
CNNs pre-trained with 0% and 30% label noise and of EfficientNet-Lite0; their fixed
fit/test halves). A seed fixes the text splits and, on every data set, each
fit's ``random_state`` (network initialization and validation split).

It prints two markdown tables, a row per data set and evaluation in each. The
first: the mean test accuracy of LP, MLP and NMTune; how many seeds MLP and
NMTune kept a trained epoch (``best_epoch_ > 0``); and a
verdict on NMTune - MLP and on NMTune-trained - MLP-trained: "helps" (the
interval lies above 0), "hurts" (below 0), "same model" (every difference is 0
because both networks kept the probe) or "not resolved". The second: the paired
differences over seeds NMTune - LP, NMTune - MLP and NMTune-trained - MLP-trained
(mean and 95% Student-t interval, in points).

    python benchmarks/when_nmtune_helps.py --out when.json     # every data set
    python benchmarks/when_nmtune_helps.py --only cnn30/mnist  # some of them
    python benchmarks/when_nmtune_helps.py --quick             # smoke test
    python benchmarks/when_nmtune_helps.py --tables-from when.json  # reprint

``--quick`` runs scikit-learn's digits (an 80/20 split), 2 seeds, 3 epochs.
Needs the ``bench`` extra and the Fashion-MNIST Debian package; features are
cached where ``sknml demo`` and ``sknml study`` cache theirs.
"""

import argparse
import json
import time
import warnings

import numpy as np
from _tasks import image_tasks, sentiment, sentiment_split, text_tasks
from joblib import Parallel, delayed
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

from sknml import NAMED_SETTINGS, NMTuneClassifier
from sknml.datasets import SENTIMENT_DOMAINS
from sknml.experiments.study import paired_interval
from sknml.utils import environment, torch_threads

#: Each method: its named setting and the parameters changed from it.
METHODS = {
    "LP": ("lp", {}),
    "MLP": ("mlp", {}),
    "NMTune": ("nmtune", {}),
    "MLP-trained": ("mlp", {"keep_start": False}),
    "NMTune-trained": ("nmtune", {"keep_start": False}),
}
#: The paired differences shown: (column, minuend, subtrahend).
DIFFERENCES = [
    ("NMTune - LP", "NMTune", "LP"),
    ("NMTune - MLP", "NMTune", "MLP"),
    ("NMTune-trained - MLP-trained", "NMTune-trained", "MLP-trained"),
]
TEXT = ("TREC questions", "SMS spam")
IMAGES = [
    f"{e}/{t}" for e in ("cnn0", "cnn30", "effnet") for t in ("id", "mnist", "digits")
]
VERDICTS = ("helps", "hurts", "same model", "not resolved")


def _fit(name, seed, method, X, y, evaluations, max_epochs):
    """One fit: its test accuracy (%) on each evaluation, and the epoch it kept."""
    setting, changes = METHODS[method]
    params = {**NAMED_SETTINGS[setting], **changes, "random_state": seed}
    if max_epochs is not None:
        params["max_epochs"] = max_epochs
    with torch_threads(1), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf = NMTuneClassifier(**params).fit(X, y)
        scores = {e: 100 * float(clf.score(*data)) for e, data in evaluations.items()}
    return {
        "data set": name,
        "seed": seed,
        "method": method,
        "scores": scores,
        "best_epoch": int(clf.best_epoch_),
    }


def _jobs(only, seeds, quick):
    """Yield ``(data set, seed, X_fit, y_fit, {evaluation: (X, y)})``, lazily."""

    def wanted(name):
        return not only or name in only

    def split(name, X, y, seed):
        train, test = train_test_split(
            np.arange(len(y)), test_size=0.2, stratify=y, random_state=seed
        )
        return (name, seed, X[train], y[train], {"ID": (X[test], y[test])})

    if quick:
        X, y = load_digits(return_X_y=True)
        for seed in seeds:
            yield split("digits (scikit-learn)", X, y, seed)
        return
    if any(wanted(f"sentiment/{d}") for d in SENTIMENT_DOMAINS):
        data = sentiment()
        X, y, domain = data["X"], data["y"], data["domain"]
        for name in SENTIMENT_DOMAINS:
            if not wanted(f"sentiment/{name}"):
                continue
            others = np.flatnonzero(domain != name)
            ood = (X[others], y[others])
            for seed in seeds:
                train, test = sentiment_split(data, name, seed)
                evaluations = {"ID": (X[test], y[test]), "OOD": ood}
                yield (f"sentiment/{name}", seed, X[train], y[train], evaluations)
    if any(wanted(name) for name in TEXT):
        for name, (X, y) in text_tasks().items():
            if wanted(name):
                for seed in seeds:
                    yield split(name, X, y, seed)
    if any(wanted(name) for name in IMAGES):
        for name, (X, y, X_test, y_test) in image_tasks(
            ("cnn0", "cnn30", "effnet"), test=True
        ).items():
            if wanted(name):
                for seed in seeds:
                    yield (name, seed, X, y, {"ID": (X_test, y_test)})


def _verdict(diffs, low, high, kept_probe):
    """The verdict on one paired difference (see the module docstring)."""
    if low > 0:
        return "helps"
    if high < 0:
        return "hurts"
    if kept_probe and not np.any(diffs):
        return "same model"
    return "not resolved"


def _aggregate(results):
    """Two markdown rows per data set and evaluation (the accuracies, kept epochs
    and verdicts; the paired differences), and the verdicts of each."""
    fits = {}
    for r in results:
        fits.setdefault(r["data set"], {}).setdefault(r["seed"], {})[r["method"]] = r
    rows, differences, verdicts = [], [], []
    for name, by_seed in fits.items():
        seeds = [by_seed[s] for s in sorted(by_seed)]
        for evaluation in seeds[0]["LP"]["scores"]:
            acc = {
                m: np.array([s[m]["scores"][evaluation] for s in seeds])
                for m in METHODS
            }
            epochs = {m: np.array([s[m]["best_epoch"] for s in seeds]) for m in METHODS}
            cells = [f"{acc[m].mean():.2f}" for m in ("LP", "MLP", "NMTune")]
            intervals, row_verdicts = [], []
            for column, a, b in DIFFERENCES:
                diffs = acc[a] - acc[b]
                mean, low, high = paired_interval(diffs)
                bounds = f"{low:+.2f}, {high:+.2f}" if len(seeds) > 1 else "n/a"
                intervals.append(f"{mean:+.2f} [{bounds}]")
                if column != "NMTune - LP":
                    kept_probe = not (epochs[a].any() or epochs[b].any())
                    row_verdicts.append(_verdict(diffs, low, high, kept_probe))
            cells += [
                f"{np.count_nonzero(epochs[m])}/{len(seeds)}" for m in ("MLP", "NMTune")
            ]
            cells += row_verdicts
            rows.append(f"| {name} | {evaluation} | " + " | ".join(cells) + " |")
            differences.append(
                f"| {name} | {evaluation} | " + " | ".join(intervals) + " |"
            )
            verdicts.append(row_verdicts)
    return rows, differences, verdicts


def _table(columns, rows, text_columns=0):
    """A markdown table: numbers right-aligned, the last ``text_columns`` left."""
    numbers = len(columns) - text_columns
    return "\n".join(
        [
            "| data set | eval | " + " | ".join(columns) + " |",
            "|---|---|" + "---:|" * numbers + "---|" * text_columns,
            *rows,
        ]
    )


def main(argv=None):
    """Run every fit, print the table and the summary, save the scores."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0 to N-1")
    parser.add_argument("--only", nargs="+", help="data sets by name")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument(
        "--quick", action="store_true", help="digits, 2 seeds, 3 epochs"
    )
    parser.add_argument("--out", help="save every per-seed score to this JSON file")
    parser.add_argument(
        "--tables-from",
        metavar="JSON",
        help="print the tables of a run saved with --out, fitting nothing",
    )
    args = parser.parse_args(argv)
    if args.tables_from:
        with open(args.tables_from, encoding="utf-8") as f:
            saved = json.load(f)
        results, seconds = saved["fits"], saved["seconds"]
        seeds, args.n_jobs = saved["seeds"], saved["n_jobs"]
    else:
        seeds = range(2 if args.quick else args.seeds)
        max_epochs = 3 if args.quick else None
        start = time.perf_counter()
        results = Parallel(n_jobs=args.n_jobs)(
            delayed(_fit)(name, seed, method, X, y, evaluations, max_epochs)
            for name, seed, X, y, evaluations in _jobs(args.only, seeds, args.quick)
            for method in METHODS
        )
        seconds = time.perf_counter() - start
    if not results:
        parser.error(f"no data set named {args.only}")
    rows, differences, verdicts = _aggregate(results)
    # Short headers, so that the table fits a page: "trained" is the MLP and
    # NMTune networks kept past the probe (best_epoch_ > 0); the verdicts are on
    # NMTune - MLP and NMTune-trained - MLP-trained.
    accuracy = [
        "LP",
        "MLP",
        "NMTune",
        "MLP trained",
        "NMTune trained",
        "verdict",
        "verdict, -trained",
    ]
    print(_table(accuracy, rows, text_columns=2))
    print("\nPaired differences in points, mean [95% interval] over the seeds:\n")
    print(_table([column for column, *_ in DIFFERENCES], differences))
    counts = [
        ", ".join(
            f"{n} {v}" for v in VERDICTS if (n := sum(row[i] == v for row in verdicts))
        )
        for i in range(2)
    ]
    print(
        f"\nNMTune vs MLP: {counts[0]}; NMTune-trained vs MLP-trained: {counts[1]} "
        f"(of {len(rows)} rows). {len(results)} fits ({len(METHODS)} methods, seeds "
        f"0-{len(seeds) - 1}) in {seconds:.0f} s, {args.n_jobs} worker processes "
        "of 1 torch thread."
    )
    if args.out and not args.tables_from:
        record = environment(
            seeds=list(seeds), n_jobs=args.n_jobs, seconds=seconds, fits=results
        )
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1)


if __name__ == "__main__":
    main()
