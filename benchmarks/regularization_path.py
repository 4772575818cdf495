"""NMTune's regularization path on the MiniLM sentiment domains.

For each regularizer alone (the other two weights at 0), each weight on a log grid
from 0 to where the term saturates, and each training domain (``sknml
benchmark``'s 80/20 split of seed 0; by default the three smaller domains, amazon,
tweets and nyt, to keep the run to minutes on a CPU), it fits
``NMTuneClassifier`` with a fixed budget (``early_stopping=False``, so that no
fit can return to the probe) and
records, on the in-domain test split,

- what the term targets, measured on the tuned features ``z``: the consistency
  term the mean cosine of ``z`` and the (standardized) input ``x``; the covariance
  term the *covariance ratio*, the sum of the squared off-diagonal covariances of
  ``z`` over the sum of its squared variances; the singular-value term the share
  of the ``svd_top_k`` largest singular values of ``z`` in their sum;
- in-domain accuracy and the mean accuracy on the three other domains (OOD).

Weight 0 is plain MLP tuning; the linear probe is drawn for reference. It also
fits the defaults (all three terms at their default weights) and the reference
code's weights (``NAMED_SETTINGS["nmtune-reference"]``) with the same budget and
reports their geometry beside MLP tuning's. Writes a JSON file and a
figure.

    python benchmarks/regularization_path.py --figure docs/regularization_path.png
"""

import argparse
import json
import sys
import time

import _tasks
import numpy as np
import torch
from joblib import Parallel, delayed

from sknml import NAMED_SETTINGS, NMTuneClassifier
from sknml.datasets import SENTIMENT_DOMAINS
from sknml.utils import environment, torch_threads

TERMS = {"mse": "lambda_mse", "cov": "lambda_cov", "svd": "lambda_svd"}
GRID = [0.0, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0]
PROPERTY = {
    "mse": "cosine of z and x",
    "cov": "covariance ratio of z",
    "svd": "top-k singular value share of z",
}


def geometry(clf, X):
    """The three properties of ``z`` that the three terms target, on rows X."""
    z = clf.transform(X).astype(np.float64)
    x = clf.net_.module_.standardize(torch.from_numpy(np.asarray(X, np.float64)))
    x = x.numpy()
    cosine = np.sum(z * x, axis=1) / (
        np.linalg.norm(z, axis=1) * np.linalg.norm(x, axis=1)
    )
    covariance = np.cov(z, rowvar=False)
    variances = np.square(np.diagonal(covariance)).sum()
    ratio = (np.square(covariance).sum() - variances) / variances
    s = np.linalg.svd(z, compute_uv=False)
    return {
        "mse": float(cosine.mean()),
        "cov": float(ratio),
        "svd": float(s[: clf.svd_top_k].sum() / s.sum()),
    }


def _fit(data, domain, params, epochs):
    train, test = _tasks.sentiment_split(data, domain, seed=0)
    X, y, where = data["X"], data["y"], data["domain"]
    clf = NMTuneClassifier(random_state=0, device="cpu", **params)
    if params.get("n_layers") != 0:
        clf.set_params(max_epochs=epochs, early_stopping=False)
    with torch_threads(1):
        start = time.perf_counter()
        clf.fit(X[train], y[train])
        seconds = time.perf_counter() - start
        ood = [
            clf.score(X[where == d], y[where == d])
            for d in SENTIMENT_DOMAINS
            if d != domain
        ]
        return {
            "id": float(clf.score(X[test], y[test])),
            "ood": float(np.mean(ood)),
            "geometry": geometry(clf, X[test]),
            "seconds": seconds,
        }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="regularization_path.json")
    parser.add_argument("--figure", default="regularization_path.png")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--domains", nargs="+", default=["amazon", "tweets", "nyt"])
    args = parser.parse_args(argv)

    data = _tasks.sentiment()
    mlp = dict(NAMED_SETTINGS["mlp"])
    runs = {("probe", d): dict(NAMED_SETTINGS["lp"]) for d in args.domains}
    runs.update({("defaults", d): {} for d in args.domains})
    reference = dict(NAMED_SETTINGS["nmtune-reference"])
    runs.update({("reference", d): reference for d in args.domains})
    runs.update({("mlp", d): mlp for d in args.domains})  # every term at 0
    for term, name in TERMS.items():
        for weight in GRID[1:]:
            for d in args.domains:
                runs[(f"{term}={weight:g}", d)] = {**mlp, name: weight}
    start = time.perf_counter()
    results = Parallel(n_jobs=args.n_jobs)(
        delayed(_fit)(data, d, params, args.epochs) for (_, d), params in runs.items()
    )
    seconds = time.perf_counter() - start
    table = {f"{key} | {d}": r for ((key, d), r) in zip(runs, results, strict=True)}
    with open(args.out, "w") as f:
        json.dump(
            {
                "results": table,
                "grid": GRID,
                "epochs": args.epochs,
                "domains": args.domains,
                "environment": environment(n_jobs=args.n_jobs, seconds=seconds),
                "command": "python benchmarks/regularization_path.py "
                + " ".join(sys.argv[1:] if argv is None else argv),
            },
            f,
            indent=1,
        )
    _report(table, args)
    _figure(table, args)
    print(f"\n{len(runs)} fits in {seconds:.0f} s")


_REPORTED = {
    "probe": "linear probe",
    "mlp": "MLP tuning",
    "defaults": "NMTune, the defaults",
    "reference": "NMTune, the reference code's weights",
}


def _report(table, args):
    print("| domain | fit | ID | OOD | cos(z, x) | covariance ratio | top-k share |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for d in args.domains:
        for key, label in _REPORTED.items():
            r = table[f"{key} | {d}"]
            g = r["geometry"]
            print(
                f"| {d} | {label} | {100 * r['id']:.2f} | {100 * r['ood']:.2f} | "
                f"{g['mse']:.3f} | {g['cov']:.1f} | {g['svd']:.3f} |"
            )


def _figure(table, args):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 3, figsize=(13, 7), sharex=True)
    # lambda = 0 drawn one decade left of the smallest weight on the log axis.
    positions = [GRID[1] / 10] + GRID[1:]
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for col, term in enumerate(TERMS):
        for color, d in zip(colors, args.domains, strict=False):
            rows = [table[f"mlp | {d}"]]
            rows += [table[f"{term}={w:g} | {d}"] for w in GRID[1:]]
            probe = table[f"probe | {d}"]
            for split, style in (("id", "-o"), ("ood", "--o")):
                axes[0, col].plot(
                    positions,
                    [100 * r[split] for r in rows],
                    style,
                    color=color,
                    ms=3,
                    label=f"{d} {split.upper()}",
                )
            axes[0, col].axhline(100 * probe["ood"], color=color, lw=0.6, ls=":")
            axes[1, col].plot(
                positions,
                [r["geometry"][term] for r in rows],
                "-o",
                color=color,
                ms=3,
                label=d,
            )
        axes[0, col].set_title(f"{TERMS[term]} alone")
        axes[1, col].set_ylabel(PROPERTY[term])
        axes[1, col].set_xscale("log")
        axes[1, col].set_xticks(positions[::3])
        axes[1, col].set_xticklabels(["0"] + [f"{w:g}" for w in GRID[3::3]])
        axes[1, col].set_xlabel(TERMS[term])
    axes[0, 0].set_ylabel("accuracy (%); dotted: probe OOD")
    # Outside the panels, so that no legend hides a curve.
    axes[0, 2].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
    axes[1, 2].legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.02, 1))
    fig.suptitle(
        f"NMTune's regularizers one at a time, MiniLM sentiment, {args.epochs} epochs"
        " without early stopping (weight 0 = MLP tuning)"
    )
    fig.tight_layout()
    fig.savefig(args.figure, dpi=110)


if __name__ == "__main__":
    main()
