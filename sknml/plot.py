"""Plots of feature spectra: the paper's spectrum panels and accuracy vs SVE/LSVR.

matplotlib is an optional dependency (the ``plot`` extra: ``pip install
"sknml[plot]"``); it is imported only when a plot is drawn.
"""

from collections.abc import Mapping, Sequence

import numpy as np

from sknml.metrics import singular_values

__all__ = ["plot_accuracy_vs_spectrum", "plot_spectrum"]


def _pyplot():
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            "sknml.plot needs matplotlib, which is not installed; install the 'plot' "
            'extra with: pip install "sknml[plot]"'
        ) from exc
    return plt


def _labelled_items(X):
    """``[(label or None, item), ...]`` from a matrix, a mapping or (label, X) pairs."""
    if isinstance(X, Mapping):
        return list(X.items())
    if (
        isinstance(X, list | tuple)
        and len(X) > 0
        and all(
            isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
            for item in X
        )
    ):
        return list(X)
    return [(None, X)]


def _spectrum_of(item, normalize, center):
    fitted = getattr(item, "singular_values_", None)
    if fitted is not None:
        return np.asarray(fitted, dtype=np.float64)
    return singular_values(item, normalize=normalize, center=center)


def plot_spectrum(
    X,
    *,
    normalize: bool = True,
    center: str | None = "columns",
    splits: Sequence[int] = (20, 500),
    axes=None,
):
    """Plot singular value spectra in panels by index range, one curve per matrix.

    This is the view of the paper's appendix: the top 20 singular values, values 21 to
    500, and the rest, each panel on its own scale so that both the head and the long
    tail of the spectrum are readable.

    Parameters
    ----------
    X : array-like, dict or list of (str, array-like)
        One feature matrix (one unlabelled curve); or a mapping ``{label: X}`` or a
        list of ``(label, X)`` pairs, one labelled curve each (for example one per
        pre-training noise level). Each matrix is anything
        :func:`sknml.metrics.singular_values` accepts; a fitted
        :class:`~sknml.SpectrumProbe` is used through its ``singular_values_``.
    normalize : bool, default=True
        L2-normalize rows first; see :func:`sknml.metrics.singular_values`.
    center : {'columns', 'rows'} or None, default='columns'
        Centering after normalization; see :func:`sknml.metrics.singular_values`.
    splits : sequence of int, default=(20, 500)
        Increasing 1-based indices at which a new panel starts after; the default gives
        the panels 1-20, 21-500 and 501-end.
    axes : sequence of matplotlib Axes, default=None
        ``len(splits) + 1`` axes to draw into; new ones in one row when None.

    Returns
    -------
    fig : matplotlib.figure.Figure
        The figure holding the panels. A curve adds one line to every panel whose
        index range it reaches; a panel no curve reaches is left empty and says so.

    See Also
    --------
    sknml.metrics.singular_values : The spectrum that is plotted.
    plot_accuracy_vs_spectrum : Accuracy against SVE or LSVR.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sknml.plot import plot_spectrum
    >>> rng = np.random.default_rng(0)
    >>> fig = plot_spectrum([("a", rng.normal(size=(60, 30))),
    ...                      ("b", rng.normal(size=(60, 30)) ** 3)])
    >>> [len(ax.lines) for ax in fig.axes]
    [2, 2, 0]
    """
    splits = [int(k) for k in splits]
    if any(k <= 0 for k in splits) or sorted(set(splits)) != splits:
        raise ValueError(
            f"splits must be strictly increasing positive indices; got {splits}."
        )
    items = _labelled_items(X)
    spectra = [(label, _spectrum_of(item, normalize, center)) for label, item in items]
    plt = _pyplot()
    n_panels = len(splits) + 1
    if axes is None:
        fig, axes = plt.subplots(
            1, n_panels, figsize=(4.2 * n_panels, 3.4), squeeze=False
        )
        axes = axes[0]
    else:
        axes = list(axes)
        if len(axes) != n_panels:
            raise ValueError(
                f"axes must hold len(splits) + 1 = {n_panels} Axes; got {len(axes)}."
            )
        fig = axes[0].figure
    bounds = [0, *splits, None]
    for ax, lo, hi in zip(axes, bounds[:-1], bounds[1:], strict=True):
        for label, s in spectra:
            part = s[lo:hi]
            if part.size:
                ax.plot(np.arange(lo + 1, lo + 1 + part.size), part, label=label)
        end = "end" if hi is None else hi
        ax.set_title(f"singular values {lo + 1}-{end}")
        ax.set_xlabel("index")
        if not ax.lines:
            ax.text(
                0.5,
                0.5,
                f"no singular value beyond {lo}",
                ha="center",
                va="center",
                transform=ax.transAxes,
            )
    axes[0].set_ylabel("singular value")
    if any(label is not None for label, _ in spectra):
        axes[0].legend()
    fig.tight_layout()
    return fig


def plot_accuracy_vs_spectrum(
    spectral_values,
    accuracies,
    *,
    metric: str = "SVE",
    labels: Sequence[str] | None = None,
    groups: Sequence[str] | None = None,
    ax=None,
):
    """Scatter accuracy against a spectral metric (the paper's Figure 3).

    One point per model (for example per pre-training noise level), one colour per
    group (for example in-domain and out-of-domain accuracy), with the Pearson
    correlation of each group of three or more points in the legend.

    Parameters
    ----------
    spectral_values : array-like of shape (n_points,)
        SVE or LSVR of each model's features, from
        :func:`sknml.metrics.singular_value_entropy`,
        :func:`sknml.metrics.largest_singular_value_ratio` or a
        :class:`~sknml.SpectrumProbe`'s ``sve_`` / ``lsvr_``.
    accuracies : array-like of shape (n_points,)
        The matching downstream accuracies.
    metric : str, default="SVE"
        Name of the spectral metric, for the x axis label.
    labels : sequence of str, default=None
        Text written next to each point (for example "0%", "5%").
    groups : sequence of str, default=None
        Group of each point; one scatter per group, in order of first appearance.
    ax : matplotlib Axes, default=None
        Axes to draw into; a new figure when None.

    Returns
    -------
    ax : matplotlib.axes.Axes
        The axes, holding one scatter (``ax.collections``) per group.

    See Also
    --------
    plot_spectrum : The spectra behind the metric.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sknml.plot import plot_accuracy_vs_spectrum
    >>> ax = plot_accuracy_vs_spectrum(
    ...     [3.1, 3.3, 3.4, 3.1, 3.3, 3.4], [70, 71, 69, 40, 38, 35],
    ...     labels=["0%", "5%", "10%"] * 2, groups=["ID"] * 3 + ["OOD"] * 3)
    >>> len(ax.collections)
    2
    """
    x = np.asarray(spectral_values, dtype=np.float64).ravel()
    y = np.asarray(accuracies, dtype=np.float64).ravel()
    if x.shape != y.shape or x.size == 0:
        raise ValueError(
            "spectral_values and accuracies must be non-empty and of the same length; "
            f"got {x.size} and {y.size}."
        )
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError("spectral_values and accuracies must be finite.")
    for name, seq in (("labels", labels), ("groups", groups)):
        if seq is not None and len(seq) != x.size:
            raise ValueError(
                f"{name} must have one entry per point ({x.size}); got {len(seq)}."
            )
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(4.8, 3.8))
    group_of = list(groups) if groups is not None else [None] * x.size
    for group in dict.fromkeys(group_of):
        mask = np.array([g == group for g in group_of])
        name = group
        if mask.sum() >= 3 and np.ptp(x[mask]) > 0 and np.ptp(y[mask]) > 0:
            r = np.corrcoef(x[mask], y[mask])[0, 1]
            name = f"{group} (r = {r:.2f})" if group is not None else f"r = {r:.2f}"
        ax.scatter(x[mask], y[mask], label=name)
    if labels is not None:
        for xi, yi, text in zip(x, y, labels, strict=True):
            ax.annotate(str(text), (xi, yi), textcoords="offset points", xytext=(4, 4))
    ax.set_xlabel(metric)
    ax.set_ylabel("accuracy")
    if any(c.get_label() and not c.get_label().startswith("_") for c in ax.collections):
        ax.legend()
    return ax
