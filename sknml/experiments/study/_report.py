"""The study's report: three figures (the paper's Figures 2, 3 and 5) and Markdown."""

import json
from pathlib import Path

import numpy as np

from sknml.experiments.study._claims import rate_key, series
from sknml.experiments.study._runs import METHODS

METHOD_LABELS = {"logreg": "LogReg", "lp": "LP", "mlp": "MLP", "nmtune": "NMTune"}


def _plot_accuracy_vs_noise(result, path):
    from matplotlib.figure import Figure

    fig = Figure(figsize=(12, 3.4))
    axes = fig.subplots(1, 3)
    panels = [
        ("lp_id", "ID: Fashion-MNIST (LP)"),
        ("lp_ood", "OOD: MNIST-5k and digits (LP)"),
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
        for method in ("lp", "nmtune"):
            _, means = series(result, y_metric.replace("lp", method))
            accuracy += [100 * a for a in means]
            groups += [f"{group} {METHOD_LABELS[method]}"] * len(rates)
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

    fig = Figure(figsize=(10, 3.6))
    axes = fig.subplots(1, 2)
    rates = result["settings"]["noise_rates"]
    width = 0.8 / len(METHODS)
    x = np.arange(len(rates))
    for ax, domain in zip(axes, ("id", "ood"), strict=True):
        lows = []
        for i, method in enumerate(METHODS):
            _, mean = series(result, f"{method}_{domain}")
            _, std = series(result, f"{method}_{domain}", "std")
            ax.bar(
                x + (i - (len(METHODS) - 1) / 2) * width,
                [100 * m for m in mean],
                width,
                yerr=[100 * s for s in std],
                capsize=2,
                label=METHOD_LABELS[method],
            )
            lows.append(min(mean) - max(std))
        ax.set_ylim(100 * min(lows) - 2, None)
        ax.set_xticks(x, [f"{100 * r:g}%" for r in rates])
        ax.set(
            xlabel="pre-training noise ratio",
            ylabel="accuracy (%)",
            title="ID: Fashion-MNIST" if domain == "id" else "OOD: MNIST-5k and digits",
        )
        ax.grid(axis="y", alpha=0.3)
    axes[0].legend(fontsize=8)
    fig.suptitle("Figure 5 analog: the probes on the frozen features")
    fig.tight_layout()
    fig.savefig(path, dpi=120)


_TABLE_COLUMNS = [
    ("pretrain_acc", "pre-train acc", 100),
    ("logreg_id", "LogReg ID", 100),
    ("logreg_ood", "LogReg OOD", 100),
    ("lp_id", "LP ID", 100),
    ("lp_ood", "LP OOD", 100),
    ("id_sve", "SVE (ID)", 1),
    ("ood_lsvr", "LSVR (OOD)", 1),
    ("mlp_id", "MLP ID", 100),
    ("mlp_ood", "MLP OOD", 100),
    ("nmtune_id", "NMTune ID", 100),
    ("nmtune_ood", "NMTune OOD", 100),
]


def _budget(max_epochs):
    if max_epochs is None:
        return "with their default early stopping"
    return f"{max_epochs} epochs"


def markdown_table(result):
    lines = [
        "| noise | " + " | ".join(label for _, label, _ in _TABLE_COLUMNS) + " |",
        "|---" * (len(_TABLE_COLUMNS) + 1) + "|",
    ]
    for rate in result["settings"]["noise_rates"]:
        entry = result["summary"][rate_key(rate)]
        cells = []
        for metric, _, scale in _TABLE_COLUMNS:
            digits = 2 if scale == 100 else 3
            cells.append(
                f"{scale * entry[metric]['mean']:.{digits}f} ± "
                f"{scale * entry[metric]['std']:.{digits}f}"
            )
        lines.append(f"| {100 * rate:g}% | " + " | ".join(cells) + " |")
    return "\n".join(lines)


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
    ...     n_probe=200, n_id_test=200, n_ood=200, max_epochs=1, device="cpu",
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
    claims = "\n".join(
        f"- **{claim['claim']}**: {'holds' if claim['holds'] else 'does not hold'}. "
        f"{claim['detail']}"
        for claim in result["claims"]
    )
    report = f"""# Noisy pre-training study

Small CNN pre-trained on {settings["n_pretrain"]} Fashion-MNIST images for \
{settings["pretrain_epochs"]} epochs with symmetric label noise; frozen features; \
seeds {settings["seeds"]}; tuners trained \
{_budget(settings["max_epochs"])} on {settings["device"]}; LogReg is scikit-learn's \
`LogisticRegression()`. ID: {settings["n_probe"]} held-out Fashion-MNIST training \
images -> {settings["n_id_test"]} test images. OOD: MNIST-5k and aligned scikit-learn \
digits, each split in half (fit / score), mean of the two. Mean ± standard deviation \
over seeds; accuracies in %.

{"Command: `" + command + "`" if command else ""}

{markdown_table(result)}

## The paper's claims on this run

{claims}

![accuracy vs noise]({paths["fig_noise"].name})
![accuracy vs spectrum]({paths["fig_spectrum"].name})
![LP vs MLP vs NMTune]({paths["fig_tuning"].name})

Total time: {result["seconds"]:.0f} s.
"""
    paths["report"].write_text(report)
    return paths
