"""The study's report: three figures (the paper's Figures 2, 3 and 5) and Markdown."""

import json
from pathlib import Path

import numpy as np

from sknml.experiments.study._claims import (
    METHODS,
    NETWORKS,
    head_difference,
    method_key,
    rate_key,
    series,
)
from sknml.experiments.study._data import ID_TASKS, OOD_SHIFTS

_ID_TITLE = "ID: MNIST-5k and digits"
_OOD_TITLE = "OOD: shifted Fashion-MNIST"


def _plot_accuracy_vs_noise(result, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 3.4))
    axes = fig.subplots(1, 3)
    panels = [
        ("lp_id", f"{_ID_TITLE} (LP)"),
        ("lp_ood", f"{_OOD_TITLE} (LP)"),
        ("pretrain_acc", "Pre-training head, clean test"),
    ]
    for ax, (metric, title) in zip(axes, panels, strict=True):
        rates, mean = series(result, metric)
        _, std = series(result, metric, "std")
        for run in result["runs"]:
            ax.plot(
                100 * run["noise_rate"],
                100 * run["metrics"][metric],
                ".",
                color="0.6",
                zorder=1,
            )
        ax.errorbar(
            [100 * r for r in rates],
            [100 * m for m in mean],
            yerr=[100 * s for s in std],
            marker="o",
            capsize=3,
            zorder=2,
        )
        ax.set(
            title=title, xlabel="pre-training noise ratio (%)", ylabel="accuracy (%)"
        )
        ax.grid(alpha=0.3)
    fig.suptitle("Figure 2 analog: noisy pre-training, frozen features")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _plot_accuracy_vs_spectrum(result, path):
    from matplotlib.figure import Figure

    from sknml.plot import plot_accuracy_vs_spectrum

    fig = Figure(figsize=(9, 3.8))
    axes = fig.subplots(1, 2)
    panels = [
        ("id_sve", "lp_id", "SVE of ID features", "ID"),
        ("ood_lsvr", "lp_ood", "LSVR of OOD features", "OOD"),
    ]
    for ax, (x_metric, y_metric, xlabel, group) in zip(axes, panels, strict=True):
        rates, spectral = series(result, x_metric)
        accuracy, groups = [], []
        for method in ("LP", "NMTune"):
            _, means = series(result, y_metric.replace("lp", method_key(method)))
            accuracy += [100 * a for a in means]
            groups += [f"{group} {method}"] * len(rates)
        plot_accuracy_vs_spectrum(
            spectral * 2,
            accuracy,
            metric=xlabel,
            # The two methods share each x: one label per noise ratio, on LP's.
            labels=[f"{100 * r:g}%" for r in rates] + [""] * len(rates),
            groups=groups,
            ax=ax,
        )
        ax.set_ylabel(f"{group} accuracy (%)")
        ax.grid(alpha=0.3)
    fig.suptitle("Figure 3 analog: accuracy vs. feature spectrum (means over seeds)")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def _plot_tuning(result, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 3.8))
    axes = fig.subplots(1, 2)
    rates = result["settings"]["noise_rates"]
    width = 0.8 / len(METHODS)
    x = np.arange(len(rates))
    for ax, domain in zip(axes, ("id", "ood"), strict=True):
        lows = []
        for i, method in enumerate(METHODS):
            _, mean = series(result, f"{method_key(method)}_{domain}")
            _, std = series(result, f"{method_key(method)}_{domain}", "std")
            ax.bar(
                x + (i - (len(METHODS) - 1) / 2) * width,
                [100 * m for m in mean],
                width,
                yerr=[100 * s for s in std],
                capsize=2,
                label=method,
            )
            lows.append(min(mean) - max(std))
        ax.set_ylim(100 * min(lows) - 2, None)
        ax.set_xticks(x, [f"{100 * r:g}%" for r in rates])
        ax.set(
            xlabel="pre-training noise ratio",
            ylabel="accuracy (%)",
            title=_ID_TITLE if domain == "id" else _OOD_TITLE,
        )
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Figure 5 analog: the heads on the frozen features")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


_TABLE_COLUMNS = [
    ("pretrain_acc", "pre-train acc", 100),
    ("lp_fashion", "LP clean", 100),
    ("lp_id", "LP ID", 100),
    ("lp_ood", "LP OOD", 100),
    ("id_sve", "SVE (ID)", 1),
    ("ood_lsvr", "LSVR (OOD)", 1),
]


def _budget(max_epochs):
    if max_epochs is None:
        return "with their default early stopping"
    return f"{max_epochs} epochs"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|---" * len(header) + "|"]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def _cell(entry, scale, std=True):
    digits = 2 if scale == 100 else 3
    text = f"{scale * entry['mean']:.{digits}f}"
    return text + (f" ± {scale * entry['std']:.{digits}f}" if std else "")


def markdown_table(result: dict) -> str:
    """The study's main table: pre-training and LP accuracy, spectra, per ratio.

    Mean ± standard deviation over seeds; accuracies in %.
    """
    rows = [
        [f"{100 * rate:g}%"]
        + [
            _cell(result["summary"][rate_key(rate)][metric], scale)
            for metric, _, scale in _TABLE_COLUMNS
        ]
        for rate in result["settings"]["noise_rates"]
    ]
    return _table(["noise", *(label for _, label, _ in _TABLE_COLUMNS)], rows)


def _left_probe(result, method, tasks):
    """How many of a network's fits, over seeds and ``tasks``, left the probe."""
    key = method_key(method)
    counts = []
    for rate in result["settings"]["noise_rates"]:
        kept = [
            run["metrics"][f"{key}_kept_{task}"]
            for run in result["runs"]
            if run["noise_rate"] == rate
            for task in tasks
        ]
        counts.append(f"{sum(epoch > 0 for epoch in kept)}/{len(kept)}")
    return counts


def heads_table(result: dict, domain: str) -> str:
    """Every head's accuracy per ratio (``domain`` 'id' or 'ood'), and how
    many fits of MLP and NMTune left the probe they start at."""
    tasks = ID_TASKS if domain == "id" else ("fashion",)
    left = {m: _left_probe(result, m, tasks) for m in ("MLP", "NMTune")}
    rows = []
    for i, rate in enumerate(result["settings"]["noise_rates"]):
        entry = result["summary"][rate_key(rate)]
        rows.append(
            [f"{100 * rate:g}%"]
            + [_cell(entry[f"{method_key(m)}_{domain}"], 100) for m in METHODS]
            + [left["MLP"][i], left["NMTune"][i]]
        )
    return _table(["noise", *METHODS, "MLP left probe", "NMTune left probe"], rows)


def shifts_table(result: dict, method: str = "LP") -> str:
    """One head's accuracy on the clean test split and on each shifted copy."""
    key = method_key(method)
    tests = ("fashion", *OOD_SHIFTS)
    rows = [
        [f"{100 * rate:g}%"]
        + [
            _cell(result["summary"][rate_key(rate)][f"{key}_{test}"], 100, std=False)
            for test in tests
        ]
        for rate in result["settings"]["noise_rates"]
    ]
    return _table(["noise", "clean", *OOD_SHIFTS], rows)


def tuned_spectrum_table(result: dict) -> str:
    """SVE (ID) and LSVR (OOD) of the trained networks' tuned features ``z``."""
    columns = [
        (f"{method_key(m)}_z_{metric}", f"{label} {m}")
        for metric, label in (("id_sve", "SVE (ID)"), ("ood_lsvr", "LSVR (OOD)"))
        for m in NETWORKS
        if m.endswith("-trained")
    ]
    rows = [
        [f"{100 * rate:g}%"]
        + [_cell(result["summary"][rate_key(rate)][metric], 1) for metric, _ in columns]
        for rate in result["settings"]["noise_rates"]
    ]
    return _table(["noise", *(label for _, label in columns)], rows)


def differences_table(result: dict) -> str:
    """Per ratio, ID and OOD: NMTune - LP, NMTune - MLP and NMTune-trained -
    MLP-trained, paired over seeds (mean and 95% interval, in points)."""
    pairs = [("nmtune", "lp"), ("nmtune", "mlp"), ("nmtune_trained", "mlp_trained")]
    rows = [
        [f"{100 * rate:g}%", domain.upper()]
        + [
            " ".join(
                _difference_text(
                    head_difference(
                        result, f"{a}_{domain}", f"{b}_{domain}", "accuracy", rate
                    )
                )
            )
            for a, b in pairs
        ]
        for rate in result["settings"]["noise_rates"]
        for domain in ("id", "ood")
    ]
    return _table(
        [
            "noise",
            "eval",
            "NMTune - LP",
            "NMTune - MLP",
            "NMTune-trained - MLP-trained",
        ],
        rows,
    )


def _difference_text(comparison):
    scale, digits = (100, 2) if comparison["kind"] == "accuracy" else (1, 3)
    mean = f"{scale * comparison['mean']:+.{digits}f}"
    if np.isnan(comparison["low"]):
        return mean, "no interval (one pair)"
    return (
        mean,
        f"[{scale * comparison['low']:+.{digits}f}, "
        f"{scale * comparison['high']:+.{digits}f}]",
    )


def claims_markdown(result: dict) -> str:
    """Each claim's verdict, then its comparisons with their 95% intervals."""
    parts = []
    for claim in result["claims"]:
        rows = [
            [c["comparison"], str(c["n_pairs"]), *_difference_text(c), c["verdict"]]
            for c in claim["comparisons"]
        ]
        parts.append(
            f"**{claim['claim']}: {claim['verdict']}.**\n\n"
            + _table(["difference", "pairs", "mean", "95% interval", "verdict"], rows)
        )
    return "\n\n".join(parts)


def write_report(
    result: dict, out_dir: str | Path, *, command: str | None = None
) -> dict:
    """Write a study's JSON, its three figures and a markdown report.

    Parameters
    ----------
    result : dict
        A result of :func:`run_study`.
    out_dir : str or Path
        Folder to write into (created when missing).
    command : str, default=None
        The command that produced ``result``, quoted in the report.

    Returns
    -------
    paths : dict
        ``{"json", "report", "fig_noise", "fig_spectrum", "fig_tuning"}`` ->
        :class:`~pathlib.Path` of each file written.

    Examples
    --------
    >>> import tempfile
    >>> from sknml.experiments.study import run_study, write_report
    >>> result = run_study(
    ...     noise_rates=[0.0, 0.3], seeds=[0], n_pretrain=500, pretrain_epochs=1,
    ...     n_probe=200, n_test=200, n_id=200, max_epochs=1, device="cpu",
    ...     n_threads=1, verbose=False)
    >>> with tempfile.TemporaryDirectory() as out:
    ...     paths = write_report(result, out)
    ...     names = sorted(path.name for path in paths.values())
    >>> names[:3]
    ['fig2_accuracy_vs_noise.png', 'fig3_accuracy_vs_spectrum.png', 'fig5_tuning.png']
    >>> names[3:]
    ['report.md', 'results.json']
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "json": out / "results.json",
        "report": out / "report.md",
        "fig_noise": out / "fig2_accuracy_vs_noise.png",
        "fig_spectrum": out / "fig3_accuracy_vs_spectrum.png",
        "fig_tuning": out / "fig5_tuning.png",
    }
    paths["json"].write_text(json.dumps({**result, "command": command}, indent=2))
    _plot_accuracy_vs_noise(result, paths["fig_noise"])
    _plot_accuracy_vs_spectrum(result, paths["fig_spectrum"])
    _plot_tuning(result, paths["fig_tuning"])

    settings = result["settings"]
    report = f"""# Noisy pre-training study

Small CNN pre-trained on {settings["n_pretrain"]} Fashion-MNIST images for \
{settings["pretrain_epochs"]} epochs with symmetric label noise; frozen features; \
seeds {settings["seeds"]}; networks trained {_budget(settings["max_epochs"])} on \
{settings["device"]}; LogReg is scikit-learn's `LogisticRegression()`. ID: MNIST-5k \
and aligned scikit-learn digits, each fitted on one half and scored on the other, \
mean of the two. OOD: heads fitted on {settings["n_probe"]} clean Fashion-MNIST \
training images outside pre-training, scored on shifted copies of \
{settings["n_test"]} test images, mean over the shifts ("clean": the unshifted \
test images). Mean ± standard deviation over seeds; accuracies in %.

{"Command: `" + command + "`" if command else ""}

{markdown_table(result)}

## Every head, ID

{heads_table(result, "id")}

## Every head, OOD

{heads_table(result, "ood")}

"left probe": fits (seeds x tasks) where the network kept a trained epoch; \
in the others MLP and NMTune are the linear probe they start at. The \
-trained heads keep the most accurate trained epoch (`keep_start=False`).

## Paired differences between heads, per noise ratio

{differences_table(result)}

Mean over seeds and 95% Student-t interval of the paired differences, in \
accuracy points.

## LP on each shifted copy

{shifts_table(result)}

## Tuned features of the trained networks

{tuned_spectrum_table(result)}

## The paper's claims on this run

Paired differences (accuracy in points), 95% Student-t intervals; the \
smallest difference that counts is 0.5 accuracy point and 0.01 of SVE or LSVR.

{claims_markdown(result)}

![accuracy vs noise]({paths["fig_noise"].name})
![accuracy vs spectrum]({paths["fig_spectrum"].name})
![the heads]({paths["fig_tuning"].name})

Total time: {result["seconds"]:.0f} s.
"""
    paths["report"].write_text(report)
    return paths
