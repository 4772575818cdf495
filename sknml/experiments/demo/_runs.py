"""The demo's runs: each compared method fit on one split, tested ID and OOD."""

import time

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from sknml import DEFAULT_PARAM_GRID, NMTuneClassifierCV
from sknml.datasets import SENTIMENT_DOMAINS
from sknml.experiments._common import kept_epoch, make_tuner, spectrum
from sknml.utils import progress_bar, torch_threads

#: The compared methods, in the order of the tables. ``MLP-trained`` and
#: ``NMTune-trained`` are MLP and NMTune with ``keep_start=False``: they keep the
#: most accurate trained epoch on the validation rows, where MLP and NMTune keep
#: the probe they start at unless a trained epoch beats it by more than chance.
METHODS = (
    "LogReg",
    "LP",
    "MLP",
    "NMTune",
    "NMTuneCV",
    "MLP-trained",
    "NMTune-trained",
)

#: The methods that train a network (``NMTuneCV`` unless it chose the probe),
#: whose records say which epoch the network kept.
NETWORKS = ("MLP", "NMTune", "NMTuneCV", "MLP-trained", "NMTune-trained")


def _make_method(name, *, seed, max_epochs, device):
    """A fresh estimator of one compared method, with the package's defaults.

    ``max_epochs=None`` keeps each network's own budget (early stopping); an
    integer fixes it, for the candidates of ``NMTuneCV``
    (:class:`~sknml.NMTuneClassifierCV`) too.
    """
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; choose among {METHODS}")
    if name == "LogReg":
        return LogisticRegression(max_iter=2000)
    budget = {} if max_epochs is None else {"max_epochs": max_epochs}
    if name == "NMTuneCV":
        grid = None
        if budget:
            # The probe has no epochs; every network gets the budget.
            grid = [
                params
                if params.get("n_layers") == [0]
                else {**params, "max_epochs": [max_epochs]}
                for params in DEFAULT_PARAM_GRID
            ]
        return NMTuneClassifierCV(grid, device=device, random_state=seed, n_jobs=1)
    return make_tuner(name, device=device, random_state=seed, **budget)


def _with_noise(estimator, noise, seed):
    """``estimator`` behind symmetric label noise applied at fit time only."""
    if noise == 0:
        return estimator
    from imblearn.pipeline import Pipeline

    from sknml.noise import SymmetricLabelNoise

    return Pipeline(
        [
            ("noise", SymmetricLabelNoise(noise, random_state=seed)),
            ("clf", estimator),
        ]
    )


def _classifier(fitted):
    """The fitted classifier of a method: the last step of a pipeline, or itself."""
    return fitted[-1] if hasattr(fitted, "steps") else fitted


def _features_of(fitted, X):
    """The feature matrix a method classifies: ``z`` for NMTune models, else X."""
    clf = _classifier(fitted)
    return clf.transform(X) if hasattr(clf, "transform") else X


def _fit_and_test(
    X, y, domain, *, train_domain, seed, method, noise, test_size, max_epochs, device
):
    """One job: fit one method on one seed's split, test on every domain."""
    in_domain = np.flatnonzero(domain == train_domain)
    train, test = train_test_split(
        in_domain, test_size=test_size, stratify=y[in_domain], random_state=seed
    )
    estimator = _with_noise(
        _make_method(method, seed=seed, max_epochs=max_epochs, device=device),
        noise,
        seed,
    )
    with torch_threads(1):
        start = time.perf_counter()
        estimator.fit(X[train], y[train])
        fit_seconds = time.perf_counter() - start
        F = _features_of(estimator, X[test])
        sve, lsvr = spectrum(F)
        kept = kept_epoch(_classifier(estimator))
        tests = [(train_domain, test)] + [
            (d, np.flatnonzero(domain == d))
            for d in SENTIMENT_DOMAINS
            if d != train_domain and np.any(domain == d)
        ]
        records = []
        for name, rows in tests:
            predicted = estimator.predict(X[rows])
            records.append(
                {
                    "train_domain": train_domain,
                    "test_domain": name,
                    "split": "ID" if name == train_domain else "OOD",
                    "method": method,
                    "seed": int(seed),
                    "n_train": int(len(train)),
                    "n_test": int(len(rows)),
                    "accuracy": float(accuracy_score(y[rows], predicted)),
                    "macro_f1": float(f1_score(y[rows], predicted, average="macro")),
                    "sve": sve,
                    "lsvr": lsvr,
                    "fit_seconds": fit_seconds,
                    "kept_epoch": kept,
                }
            )
    return records, F


def evaluate(
    data,
    *,
    train_domains=("movie",),
    methods=METHODS,
    seeds=(0, 1, 2),
    noise=0.0,
    test_size=0.2,
    max_epochs=None,
    device="auto",
    n_jobs=None,
    progress=True,
):
    """Train each method on each training domain; test it ID and OOD, per seed.

    A seed fixes the ID train/test split, the label noise and the network
    initialization, so the results do not depend on ``n_jobs`` (parallel fits,
    one torch thread each; None uses every CPU). Returns the records (one per
    training domain, method, seed and test domain) and, per (training domain,
    method), the ID test features of the last seed.
    """
    from joblib import Parallel, cpu_count, delayed

    X, y, domain = data["X"], data["y"], data["domain"]
    in_order = [(d, seed, m) for d in train_domains for seed in seeds for m in methods]
    # Largest training sets and networks first, so that parallel fits end together.
    sizes = {d: int(np.sum(domain == d)) for d in train_domains}
    # The -trained networks run the same epochs as the networks they vary.
    cost = {
        "NMTuneCV": 4,
        "NMTune": 3,
        "NMTune-trained": 3,
        "MLP": 2,
        "MLP-trained": 2,
        "LP": 1,
    }
    jobs = sorted(in_order, key=lambda job: (-sizes[job[0]], -cost.get(job[2], 0)))
    n_jobs = max(1, min(n_jobs or cpu_count(), len(jobs)))
    results = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_fit_and_test)(
            X,
            y,
            domain,
            train_domain=d,
            seed=seed,
            method=m,
            noise=noise,
            test_size=test_size,
            max_epochs=max_epochs,
            device=device,
        )
        for d, seed, m in jobs
    )
    done = {}
    desc = "training on " + ", ".join(train_domains)
    for job, result in zip(
        jobs,
        progress_bar(results, enabled=progress, total=len(jobs), desc=desc),
        strict=True,
    ):
        done[job] = result
    records = [record for job in in_order for record in done[job][0]]
    features = {
        (d, m): done[d, seeds[-1], m][1] for d in train_domains for m in methods
    }
    return records, features


def summarize(records, *, by=("train_domain", "method", "test_domain")):
    """Mean and std (over seeds) of accuracy and macro-F1 per group.

    Each group also lists ``kept_epochs``: the epoch each seed's network kept
    (0: the probe; None where no network, see ``kept_epoch`` in the records),
    in the order of the seeds.
    """
    groups = {}
    for record in records:
        groups.setdefault(tuple(record[key] for key in by), []).append(record)
    summary = []
    for key, rows in groups.items():
        entry = dict(zip(by, key, strict=True))
        for metric in ("accuracy", "macro_f1", "sve", "lsvr"):
            values = np.array([row[metric] for row in rows])
            entry[metric] = float(values.mean())
            entry[metric + "_std"] = float(values.std())
        entry["split"] = rows[0]["split"]
        entry["n_seeds"] = len(rows)
        by_seed = sorted(rows, key=lambda row: row.get("seed", 0))
        entry["kept_epochs"] = [row.get("kept_epoch") for row in by_seed]
        summary.append(entry)
    return summary
