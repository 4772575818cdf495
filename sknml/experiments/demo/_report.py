"""The demo's reports: the text table, the figure and the benchmark's Markdown."""

import numpy as np

from sknml.datasets import SENTIMENT_DOMAINS


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
    # LogReg and LP classify the MiniLM features themselves (unit-norm rows: the
    # LP leaves them unstandardized); MLP and NMTune classify their tuned z.
    labels = {"LogReg": "MiniLM (LogReg)", "LP": "MiniLM (LP)"}
    plot_spectrum(
        [(labels.get(method, method), features[method]) for method in methods],
        splits=(20,),
        axes=spectrum_axes,
    )
    spectrum_axes[0].set_title(f"spectrum of the features ({train_domain} test)")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def benchmark_markdown(summary, *, methods, command, environment, settings):
    """The benchmark as Markdown: per-pair accuracy and the paper's Table 2 view."""
    trains = [
        d for d in SENTIMENT_DOMAINS if any(e["train_domain"] == d for e in summary)
    ]
    nn_methods = [m for m in methods if m in ("LP", "MLP", "NMTune")]

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
        for test in [train] + [d for d in SENTIMENT_DOMAINS if d != train]:
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
    n_pairs = len(trains) * len(SENTIMENT_DOMAINS)
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
        # Means equal to 0.01 point are a tie, written "=".
        means = [round(100 * mean_over(m, split, "accuracy"), 2) for m in ranking]
        order = ranking[0] + "".join(
            f" {'=' if b == a else '>'} {m}"
            for m, a, b in zip(ranking[1:], means[:-1], means[1:], strict=True)
        )
        lines.append(f"\nAverage {split} accuracy ranks: {order}.")
    if "LogReg" in methods:
        lines += [
            "",
            "## Against `LogisticRegression()`",
            "",
            "Accuracy minus LogReg's, in points: the mean over the 4 training domains "
            "(ID, OOD) and the worst OOD pair.",
            "",
            "| method | ID | OOD | worst OOD pair |",
            "|---|---:|---:|---:|",
        ]
        for method in (m for m in methods if m != "LogReg"):
            worst = min(
                (
                    acc(train, method, test)[0] - acc(train, "LogReg", test)[0],
                    train,
                    test,
                )
                for train in trains
                for test in SENTIMENT_DOMAINS
                if test != train and acc(train, method, test) is not None
            )
            gaps = [
                100
                * (
                    mean_over(method, split, "accuracy")
                    - mean_over("LogReg", split, "accuracy")
                )
                for split in ("ID", "OOD")
            ]
            lines.append(
                f"| {method} | {gaps[0]:+.2f} | {gaps[1]:+.2f} | "
                f"{100 * worst[0]:+.2f} ({worst[1]} -> {worst[2]}) |"
            )
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
        "Every method runs with the package's defaults "
        + (
            "(early stopping on a validation split of the training data)"
            if settings["max_epochs"] is None
            else f"and {settings['max_epochs']} epochs"
        )
        + "; nothing was tuned on any test split. NMTuneCV is "
        "`NMTuneClassifierCV()` (its choice by inner cross-validation on the "
        "training split). LogReg is scikit-learn's `LogisticRegression()` as an "
        "outside reference."
        + (
            f" Training labels carry {settings['noise']:.0%} symmetric noise."
            if settings["noise"]
            else ""
        ),
        "",
    ]
    return "\n".join(header + lines) + "\n"
