"""The demo's reports: the tables, the figure and the benchmark's Markdown."""

import textwrap

import numpy as np

from sknml.datasets import SENTIMENT_DOMAINS
from sknml.experiments.demo._runs import NETWORKS


def _cell(summary, metric, **where):
    for entry in summary:
        if all(entry[key] == value for key, value in where.items()):
            return entry[metric], entry[metric + "_std"]
    return None


def _pct(value):
    mean, std = value
    return f"{100 * mean:5.1f} ± {100 * std:3.1f}"


def _kept_epochs(summary, **where):
    """The epochs kept over seeds in the first entry matching ``where``, or []."""
    for entry in summary:
        if all(entry[key] == value for key, value in where.items()):
            return entry.get("kept_epochs", [])
    return []


def _kept_text(method, epochs, sep):
    """Kept epochs as text: blank for a method with no network, 'probe' where
    ``NMTuneCV`` chose the linear probe."""
    if method not in NETWORKS:
        return ""
    return sep.join("probe" if epoch is None else str(epoch) for epoch in epochs)


def _demo_rows(summary, *, train_domain, methods, test_domains, sep):
    """The header and the rows of the demo's table, as text cells."""
    header = ["method"] + [
        f"{d} ({'ID' if d == train_domain else 'OOD'})" for d in test_domains
    ]
    header += ["OOD mean", "ID F1", "OOD F1", "SVE", "LSVR", "kept"]
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
        epochs = _kept_epochs(summary, method=method, test_domain=train_domain)
        row.append(_kept_text(method, epochs, sep))
        rows.append(row)
    return header, rows


def demo_table(summary, *, train_domain, methods, test_domains):
    """The demo's text table, one row per method.

    Parameters
    ----------
    summary : list of dict
        The output of :func:`~sknml.experiments.demo._runs.summarize` for one
        training domain.
    train_domain : str
        The domain trained on; its column is the ID test.
    methods : sequence of str
        The rows, in order.
    test_domains : sequence of str
        The accuracy columns, in order.

    Returns
    -------
    table : str
        Accuracy per test domain (mean ± std over seeds), the OOD mean, macro-F1,
        SVE and LSVR of the ID test features, and ``kept``: the epoch each
        seed's network kept (0: the probe), blank for LogReg and LP.
    """
    header, rows = _demo_rows(
        summary,
        train_domain=train_domain,
        methods=methods,
        test_domains=test_domains,
        sep=",",
    )
    widths = [max(len(str(r[i])) for r in [header] + rows) for i in range(len(header))]
    lines = ["  ".join(h.rjust(w) for h, w in zip(header, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.rjust(w) for c, w in zip(row, widths, strict=True)))
    return "\n".join(lines)


def demo_markdown(summary, *, train_domain, methods, test_domains):
    """The demo's table as a Markdown table (``table.md``).

    Parameters
    ----------
    summary : list of dict
        The output of :func:`~sknml.experiments.demo._runs.summarize` for one
        training domain.
    train_domain : str
        The domain trained on; its column is the ID test.
    methods : sequence of str
        The rows, in order.
    test_domains : sequence of str
        The accuracy columns, in order.

    Returns
    -------
    markdown : str
        The cells of :func:`demo_table`, one ``| method | movie (ID) | ... |``
        row per method, numbers right-aligned.
    """
    header, rows = _demo_rows(
        summary,
        train_domain=train_domain,
        methods=methods,
        test_domains=test_domains,
        sep=", ",
    )
    lines = [
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * (len(header) - 1),
    ]
    lines += ["| " + " | ".join(cell.strip() for cell in row) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def _distinct_features(features, methods):
    """``(label, features)`` per distinct feature matrix, in the order of ``methods``.

    Methods whose features are equal share one curve, labelled with their names
    joined by ``=``; the features of LogReg and LP are MiniLM's.
    """
    groups = []
    for method in methods:
        F = features[method]
        for names, G in groups:
            if G.shape == F.shape and np.allclose(G, F):
                names.append(method)
                break
        else:
            groups.append(([method], F))
    labels = [
        " = ".join(names)
        if {"LogReg", "LP"}.isdisjoint(names)
        else f"MiniLM ({' = '.join(names)})"
        for names, _ in groups
    ]
    # Wrapped, so that the legend leaves room for the curves.
    return [
        (textwrap.fill(label, 24), F)
        for label, (_, F) in zip(labels, groups, strict=True)
    ]


def demo_figure(summary, features, *, train_domain, methods, test_domains, path):
    """Accuracy bars per domain (left) and the spectrum of each method's features."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sknml.plot import plot_spectrum

    fig = plt.figure(figsize=(14, 4.6))
    grid = fig.add_gridspec(1, 3, width_ratios=[1.8, 1, 1])
    ax = fig.add_subplot(grid[0, 0])
    # Every method gets its bar, the -trained variants too: they are the ones
    # that differ where the others keep the probe. The legend wraps in rows of 4.
    width = 0.84 / len(methods)
    positions = np.arange(len(test_domains))
    lowest, highest = 1.0, 0.0
    for i, method in enumerate(methods):
        cells = [
            _cell(summary, "accuracy", method=method, test_domain=d)
            for d in test_domains
        ]
        means = np.array([c[0] for c in cells])
        stds = np.array([c[1] for c in cells])
        lowest = min(lowest, means.min())
        highest = max(highest, (means + stds).max())
        ax.bar(
            positions + (i - (len(methods) - 1) / 2) * width,
            100 * means,
            width,
            yerr=100 * stds,
            label=method,
            capsize=1.5,
        )
    ax.set_xticks(
        positions,
        [f"{d}\n({'ID' if d == train_domain else 'OOD'})" for d in test_domains],
    )
    ncols = min(len(methods), 4)
    legend_rows = -(-len(methods) // ncols)
    # Room above the bars and their error bars for the legend.
    top = min(100, 100 * highest + 2 + 4 * legend_rows)
    ax.set_ylim(max(0, 100 * lowest - 8), top)
    ax.set_ylabel("accuracy (%)")
    ax.set_title(f"MiniLM features, trained on {train_domain}")
    ax.legend(ncols=ncols, fontsize="small", loc="upper right")
    spectrum_axes = [fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[0, 2])]
    # LogReg and LP classify the MiniLM features themselves (unit-norm rows: the
    # LP leaves them unstandardized); the networks classify their tuned z. A
    # network that kept the probe may classify MiniLM's features too: methods
    # with equal features share one curve, so that seven methods stay readable.
    plot_spectrum(
        _distinct_features(features, methods), splits=(20,), axes=spectrum_axes
    )
    spectrum_axes[0].legend(fontsize="small", loc="upper right")
    spectrum_axes[0].set_title(f"spectrum of the features ({train_domain} test)")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


# Means closer than this, in accuracy points, are a tie: neither wins.
_TIE_POINTS = 0.05

# The networks that keep the probe unless a trained epoch beats it, and the same
# networks with keep_start=False.
_KEEP_START = ("MLP", "NMTune", "NMTuneCV")
_TRAINED = ("MLP-trained", "NMTune-trained")


def _points(difference):
    """An accuracy difference in points, free of float noise at the tie's edge."""
    return round(100 * difference, 9)


def _names(items):
    """'a', 'a and b', 'a, b and c'."""
    items = list(items)
    return ", ".join(items[:-1]) + " and " + items[-1] if len(items) > 1 else items[0]


def _tally(pairs, method, rivals):
    """Each pair's outcome for ``method`` against the best of ``rivals``.

    Returns ``{"win": [...], "tie": [...], "loss": [...]}``, each item
    ``(train, test, lead, leader)``: ``lead`` is ``method``'s mean minus the best
    rival's, in points, ``leader`` that rival. Within ``_TIE_POINTS`` is a tie.
    """
    tally = {"win": [], "tie": [], "loss": []}
    for train, test, cells in pairs:
        leader = max(rivals, key=lambda m: cells[m][0])
        lead = _points(cells[method][0] - cells[leader][0])
        outcome = (
            "win" if lead >= _TIE_POINTS else "loss" if lead <= -_TIE_POINTS else "tie"
        )
        tally[outcome].append((train, test, lead, leader))
    return tally


def _ranks(methods, mean_over, split):
    """Methods by mean accuracy over ``split``: '>' between, '=' for equal means.

    Means equal to 0.01 point are written as a tie, ``=``.
    """
    ranking = sorted(methods, key=lambda m: mean_over(m, split), reverse=True)
    means = [round(100 * mean_over(m, split), 2) for m in ranking]
    return ranking[0] + "".join(
        f" {'=' if b == a else '>'} {m}"
        for m, a, b in zip(ranking[1:], means[:-1], means[1:], strict=True)
    )


def _networks_section(summary, trains, methods, seeds):
    """'What the networks did': the epoch each network kept, per training domain."""
    nets = [m for m in methods if m in NETWORKS]
    kept = {
        (train, m): _kept_epochs(
            summary, train_domain=train, method=m, test_domain=train
        )
        for train in trains
        for m in nets
    }
    if not nets:
        return [], kept
    keep_start = [m for m in nets if m in _KEEP_START]
    trained = [m for m in nets if m in _TRAINED]
    intro = [
        f"The epoch each network kept, over the {seeds} seeds (0: the probe it "
        "starts at"
        + ("; probe: NMTuneCV chose the linear probe" if "NMTuneCV" in nets else "")
        + ")."
    ]
    if keep_start:
        intro.append(
            f"{_names(keep_start)} keep the probe unless a trained epoch beats it "
            "by more than chance on the validation rows."
        )
    if trained:
        intro.append(
            f"{_names(trained)} keep their most accurate trained epoch, even when "
            "it does not beat the probe."
        )
    lines = [
        "",
        "## What the networks did",
        "",
        " ".join(intro),
        "",
        "| train | " + " | ".join(nets) + " |",
        "|---|" + "---|" * len(nets),
    ]
    lines += [
        f"| {train} | "
        + " | ".join(_kept_text(m, kept[train, m], ", ") for m in nets)
        + " |"
        for train in trains
    ]
    # The trained epochs kept (not the probe), per method.
    epochs = {m: [e for train in trains for e in kept[train, m] if e] for m in nets}
    n_fits = {m: sum(len(kept[train, m]) for train in trains) for m in nets}
    at_probe = [m for m in keep_start if n_fits[m] and not epochs[m]]
    facts = []
    if at_probe:
        facts.append(
            f"Every {_names(at_probe)} "
            + ("fit" if at_probe == ["NMTuneCV"] else "network")
            + " kept the probe (epoch 0"
            + (", or NMTuneCV chose it" if "NMTuneCV" in at_probe else "")
            + ") on every seed: "
            + ("their columns are" if len(at_probe) > 1 else "its column is")
            + " the probe's."
        )
    facts += [
        f"{m} kept a trained epoch in {len(epochs[m])} of {n_fits[m]} fits."
        for m in keep_start
        if epochs[m]
    ]
    facts += [
        f"{m} kept epochs {min(epochs[m])} to {max(epochs[m])} "
        f"(median {np.median(epochs[m]):g})."
        for m in trained
        if epochs[m]
    ]
    if facts:
        lines += ["", " ".join(facts)]
    return lines, kept


def _outcome_lines(tally, method, n_pairs):
    """'wins W, ties T and loses L of N pairs', with the pairs won and lost."""
    lines = [
        f"{method} wins {len(tally['win'])}, ties {len(tally['tie'])} and loses "
        f"{len(tally['loss'])} of {n_pairs} train -> test pairs."
    ]
    if tally["win"]:
        lines += ["", "It wins in:", ""] + [
            f"- {train} -> {test}: {lead:.2f} points ahead of {leader}"
            for train, test, lead, leader in tally["win"]
        ]
    if tally["loss"]:
        lines += ["", "It loses in:", ""] + [
            f"- {train} -> {test}: {leader} is ahead by {-lead:.2f} points"
            for train, test, lead, leader in tally["loss"]
        ]
    return lines


def benchmark_markdown(summary, *, methods, command, environment, settings):
    """The benchmark as Markdown: the paper's Table 2 view and what each network did.

    Parameters
    ----------
    summary : list of dict
        The output of :func:`~sknml.experiments.demo._runs.summarize` over every
        training domain.
    methods : sequence of str
        The methods compared, the columns of the tables in order; among
        :data:`~sknml.experiments.demo._runs.METHODS`, with LP, MLP and NMTune.
    command : str
        The command that produced the run, quoted in the header.
    environment : dict
        The run record of :func:`sknml.utils.environment`.
    settings : dict
        The run's ``seeds``, ``max_epochs`` and ``noise``.

    Returns
    -------
    markdown : str
        The page: the averages over the training domains, accuracy per train ->
        test pair, the epoch each network kept, NMTune's wins, ties and losses
        against LP and MLP (a mean within 0.05 point of the best is a tie) and
        NMTune-trained's against MLP-trained, and each method against LogReg.
    """
    trains = [
        d for d in SENTIMENT_DOMAINS if any(e["train_domain"] == d for e in summary)
    ]
    nn_methods = [m for m in methods if m in ("LP", "MLP", "NMTune")]

    def acc(train, method, test, metric="accuracy"):
        return _cell(
            summary, metric, train_domain=train, method=method, test_domain=test
        )

    def mean_over(method, split, metric="accuracy"):
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
        "The last column names the most accurate of LP, MLP and NMTune, joined by "
        f"`=` to those within {_TIE_POINTS} point of it.",
        "",
        "| train | test | " + " | ".join(methods) + " | best of LP/MLP/NMTune |",
        "|---|---|" + "---:|" * (len(methods) + 1),
    ]
    pairs = []
    for train in trains:
        for test in [train] + [d for d in SENTIMENT_DOMAINS if d != train]:
            cells = {m: acc(train, m, test) for m in methods}
            if any(c is None for c in cells.values()):
                continue
            pairs.append((train, test, cells))
            top = max(cells[m][0] for m in nn_methods)
            best = " = ".join(
                m for m in nn_methods if _points(top - cells[m][0]) < _TIE_POINTS
            )
            split = "ID" if test == train else "OOD"
            lines.append(
                f"| {train} | {test} ({split}) | "
                + " | ".join(
                    f"{100 * cells[m][0]:.1f} ± {100 * cells[m][1]:.1f}"
                    for m in methods
                )
                + f" | {best} |"
            )
    n_seeds = len(settings["seeds"])
    section, kept = _networks_section(summary, trains, methods, n_seeds)
    lines += section
    tally = _tally(pairs, "NMTune", ["LP", "MLP"])
    # LP, MLP and NMTune are one model where every network kept the probe.
    same_model = [
        (train, test)
        for train, test, _, _ in tally["tie"]
        if all(
            kept.get((train, m)) and not any(kept[train, m]) for m in ("MLP", "NMTune")
        )
    ]
    lines += [
        "",
        "## NMTune against LP and MLP: wins, ties and losses",
        "",
        "Per train -> test pair, NMTune *wins* when its mean accuracy is above both "
        f"LP's and MLP's by at least {_TIE_POINTS} point, *ties* when it is within "
        f"{_TIE_POINTS} point of the best of them, and *loses* otherwise.",
        "",
    ]
    lines += _outcome_lines(tally, "NMTune", len(pairs))
    if tally["tie"]:
        lines += [
            "",
            f"{len(same_model)} of the {len(tally['tie'])} ties are pairs where LP, "
            "MLP and NMTune are the same model: every MLP and NMTune network kept "
            "the probe (epoch 0) on every seed.",
        ]
    lines += [
        f"\nAverage {split} accuracy ranks: {_ranks(nn_methods, mean_over, split)}."
        for split in ("ID", "OOD")
    ]
    if set(_TRAINED) <= set(methods):
        trained = _tally(pairs, "NMTune-trained", ["MLP-trained"])
        gaps = {
            split: np.mean(
                [
                    _points(cells["NMTune-trained"][0] - cells["MLP-trained"][0])
                    for train, test, cells in pairs
                    if (test == train) == (split == "ID")
                ]
            )
            for split in ("ID", "OOD")
        }
        lines += [
            "",
            "### When the networks train (`keep_start=False`)",
            "",
            "What NMTune's regularizers do to a network that trains: NMTune-trained "
            "against MLP-trained, each keeping its most accurate trained epoch. "
            "The same rule: a win or a loss is a difference of at least "
            f"{_TIE_POINTS} point.",
            "",
        ]
        lines += _outcome_lines(trained, "NMTune-trained", len(pairs))
        lines += [
            "",
            "Mean accuracy of NMTune-trained minus MLP-trained: "
            f"{gaps['ID']:+.2f} points over the ID pairs, {gaps['OOD']:+.2f} over "
            f"the OOD pairs. These counts compare means over {n_seeds} seeds: a "
            "difference smaller than the spread over seeds (the ± of the table "
            "above) is a direction, not a resolved gain or loss.",
        ]
        trained_methods = [m for m in methods if m in ("LP", *_TRAINED)]
        lines += [
            f"\nAverage {split} accuracy ranks, networks trained: "
            f"{_ranks(trained_methods, mean_over, split)}."
            for split in ("ID", "OOD")
        ]
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
                100 * (mean_over(method, split) - mean_over("LogReg", split))
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
        + "; nothing was tuned on any test split. The networks of MLP and NMTune "
        "start at the solved linear probe and keep it unless a trained epoch beats "
        "it by more than chance on the validation rows. MLP-trained and "
        "NMTune-trained are the same networks with `keep_start=False`: they keep "
        "the most accurate trained epoch on the validation rows, even when it does "
        "not beat the probe. NMTuneCV is `NMTuneClassifierCV()` (its choice by "
        "inner cross-validation on the training split). LogReg is scikit-learn's "
        "`LogisticRegression()` as an outside reference."
        + (
            f" Training labels carry {settings['noise']:.0%} symmetric noise."
            if settings["noise"]
            else ""
        ),
        "",
    ]
    return "\n".join(header + lines) + "\n"
