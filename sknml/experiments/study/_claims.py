"""The study's summary over seeds and its verdicts on the paper's claims."""

import numpy as np
from scipy import stats

from sknml.experiments._common import TUNED_METHODS

#: The smallest difference that counts, per kind of metric: half an accuracy
#: point, and 0.01 nat of SVE or LSVR.
SMALLEST_DIFFERENCE = {"accuracy": 0.005, "spectrum": 0.01}

VERDICTS = ("holds", "does not hold", "not resolved at this power")

#: The compared heads: scikit-learn's ``LogisticRegression()`` on the raw
#: features, then the package's tuners (``TUNED_METHODS``).
METHODS = ("LogReg", *TUNED_METHODS)

#: The heads that train a network, whose runs record the epoch it kept and
#: (for the ``-trained`` ones) the spectrum of its tuned features ``z``.
NETWORKS = METHODS[2:]


def method_key(method):
    """A method's prefix in the metric names: 'NMTune-trained' -> 'nmtune_trained'."""
    return method.lower().replace("-", "_")


# The head of each metric prefix: 'nmtune_trained' -> 'NMTune-trained'.
_HEADS = {method_key(method): method for method in METHODS}


def rate_key(rate):
    return f"{rate:g}"


def summarize(runs: list[dict]) -> dict:
    """Mean, standard deviation and values of every metric, per noise ratio.

    Parameters
    ----------
    runs : list of dict
        The ``runs`` of :func:`run_study`: each has ``noise_rate``, ``seed`` and
        a flat ``metrics`` dict.

    Returns
    -------
    summary : dict
        ``{noise ratio as text: {metric: {"mean", "std", "values"}}}``, ratios in
        increasing order; ``std`` is the sample standard deviation over seeds
        (``ddof=1``; 0 with one seed). Metrics that are None in some run (a
        network's kept epoch where the method has none) are left out.

    Examples
    --------
    >>> from sknml.experiments.study import summarize
    >>> runs = [{"noise_rate": 0.1, "seed": s, "metrics": {"acc": a}}
    ...         for s, a in [(0, 0.8), (1, 0.9)]]
    >>> summarize(runs)["0.1"]["acc"]["mean"]
    0.85
    """
    summary = {}
    for rate in sorted({run["noise_rate"] for run in runs}):
        group = [run for run in runs if run["noise_rate"] == rate]
        entry = {}
        for metric in group[0]["metrics"]:
            values = [run["metrics"][metric] for run in group]
            if any(value is None for value in values):
                continue
            entry[metric] = {
                "mean": float(np.mean(values)),
                "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
                "values": values,
            }
        summary[rate_key(rate)] = entry
    return summary


def series(result, metric, stat="mean"):
    rates = sorted(set(result["settings"]["noise_rates"]))
    return rates, [result["summary"][rate_key(r)][metric][stat] for r in rates]


def paired_interval(
    differences, confidence: float = 0.95
) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of paired differences.

    Parameters
    ----------
    differences : array-like of shape (n_pairs,)
        One difference per pair (per seed: the same seed's two noise ratios or
        two heads).
    confidence : float, default=0.95
        Coverage of the interval.

    Returns
    -------
    mean, low, high : float
        The mean difference and the interval's ends; NaN ends with one pair.

    Examples
    --------
    >>> from sknml.experiments.study import paired_interval
    >>> mean, low, high = paired_interval([0.010, 0.012, 0.008, 0.011, 0.009])
    >>> round(mean, 4), low > 0
    (0.01, True)
    """
    differences = np.asarray(differences, dtype=float)
    mean = float(np.mean(differences))
    if len(differences) < 2:
        return mean, float("nan"), float("nan")
    half = stats.t.ppf((1 + confidence) / 2, len(differences) - 1)
    half *= stats.sem(differences)
    return mean, float(mean - half), float(mean + half)


def verdict(low: float, high: float, smallest: float) -> str:
    """The verdict on a claimed positive difference, from its interval.

    ``"does not hold"`` when the interval lies below ``smallest`` (a difference
    that counts is ruled out, in either direction); ``"holds"`` when it lies
    above 0 otherwise; ``"not resolved at this power"`` when it holds 0 and
    reaches ``smallest`` (or has no ends: one seed).

    Parameters
    ----------
    low, high : float
        The interval's ends (:func:`paired_interval`); NaN for none.
    smallest : float
        The smallest difference that counts, in the claim's direction.

    Returns
    -------
    verdict : str
        "holds", "does not hold" or "not resolved at this power".

    Examples
    --------
    >>> from sknml.experiments.study import verdict
    >>> verdict(0.004, 0.012, 0.005), verdict(-0.01, 0.002, 0.005)
    ('holds', 'does not hold')
    >>> verdict(-0.003, 0.009, 0.005)
    'not resolved at this power'
    """
    if high < smallest:
        return VERDICTS[1]
    if low > 0:
        return VERDICTS[0]
    return VERDICTS[2]


def _combine(verdicts, rule):
    """One verdict from several: ``"all"`` must hold, or ``"any"`` may."""
    if rule == "any":
        order = (VERDICTS[0], VERDICTS[2], VERDICTS[1])
    else:
        order = (VERDICTS[1], VERDICTS[2], VERDICTS[0])
    return next(v for v in order if v in verdicts)


def _by_seed(result):
    """``{(noise ratio, seed): metrics}`` of every run."""
    return {(run["noise_rate"], run["seed"]): run["metrics"] for run in result["runs"]}


def metric_label(metric: str) -> str:
    """A metric's name as the report writes it: 'lp_ood' -> 'LP OOD'."""
    spectral = {
        "id_sve": "SVE (ID)",
        "id_lsvr": "LSVR (ID)",
        "ood_sve": "SVE (OOD)",
        "ood_lsvr": "LSVR (OOD)",
    }
    for key, text in spectral.items():
        if metric == key:
            return text
        if metric.endswith(f"_z_{key}"):
            return f"{text} of {_HEADS[metric.removesuffix(f'_z_{key}')]} z"
    head, _, task = metric.rpartition("_")
    if head in _HEADS:
        return f"{_HEADS[head]} {task.upper() if task in ('id', 'ood') else task}"
    return metric


def _difference(label, pairs, kind):
    """One comparison: ``pairs`` of (metrics, metric, metrics, metric), a - b."""
    diffs = [a[x] - b[y] for a, x, b, y in pairs]
    mean, low, high = paired_interval(diffs)
    return {
        "comparison": label,
        "n_pairs": len(diffs),
        "mean": mean,
        "low": low,
        "high": high,
        "kind": kind,
        "smallest": SMALLEST_DIFFERENCE[kind],
        "verdict": verdict(low, high, SMALLEST_DIFFERENCE[kind]),
    }


def _against_clean(result, metric, rates, kind, sign):
    """Per noisy ratio r, sign * (metric at r - metric at 0), paired by seed."""
    runs, seeds = _by_seed(result), result["settings"]["seeds"]
    comparisons = []
    for rate in rates:
        a, b = (rate, 0.0) if sign > 0 else (0.0, rate)
        comparisons.append(
            _difference(
                f"{metric_label(metric)}: {rate_key(100 * a)}% - {rate_key(100 * b)}%",
                [(runs[a, s], metric, runs[b, s], metric) for s in seeds],
                kind,
            )
        )
    return comparisons


def head_difference(result, a, b, kind, rate=None):
    """``a - b`` paired by backbone: on every backbone, or those of one ratio."""
    pairs = [
        (m, a, m, b)
        for (noise_rate, _), m in _by_seed(result).items()
        if rate is None or noise_rate == rate
    ]
    return _difference(f"{metric_label(a)} - {metric_label(b)}", pairs, kind)


def check_claims(result: dict) -> list[dict]:
    """Decide the paper's claims on a study, from paired differences over seeds.

    Each comparison pairs runs that share a seed (two noise ratios of one
    seed) or a backbone (two heads on one backbone), takes the 95% Student-t
    interval of the differences (:func:`paired_interval`) and gives it a
    :func:`verdict` against the smallest difference that counts
    (0.5 accuracy point, 0.01 for SVE and LSVR).
    A claim's verdict combines those of its comparisons:

    1. *ID rises at slight noise*: LP ID accuracy at 5% or at 10% above 0%
       (holds if either does).
    2. *OOD falls from the first noise*: LP OOD accuracy at 0% above every
       noisy ratio (holds if all do).
    3. *SVE of ID features rises* with noise (at every ratio, against 0%).
    4. *LSVR of OOD features rises* with noise (at every ratio, against 0%).
    5. *NMTune beats LP and MLP tuning*, ID and OOD, over every backbone
       (holds if all four do).
    6. *The regularizers help a network that trains*: NMTune-trained above
       MLP-trained, ID and OOD, over every backbone.
    7. *NMTune raises SVE (ID) and lowers LSVR (OOD) of the tuned features*
       ``z`` against MLP tuning (Figure 5 b, d), on the trained networks.
    8. *The clean backbone is best under NMTune*: NMTune at 0% above every
       noisy ratio, ID and OOD.

    Parameters
    ----------
    result : dict
        A result of :func:`run_study`, with ``settings`` and ``runs``.

    Returns
    -------
    claims : list of dict
        One per claim: ``claim`` (its name), ``verdict`` (one of "holds", "does
        not hold", "not resolved at this power") and ``comparisons``, each with
        ``comparison``, ``n_pairs``, ``mean``, ``low``, ``high``, ``kind``
        ("accuracy" or "spectrum"), ``smallest`` and ``verdict``. A claim
        whose ratios or metrics the study did not measure is left out.

    Examples
    --------
    >>> from sknml.experiments.study import check_claims
    >>> runs = [
    ...     {"noise_rate": r, "seed": s, "metrics": {
    ...         "lp_id": .80 + (0.02 if r == 0.1 else 0) + s / 1000,
    ...         "lp_ood": .70 - r - s / 1000}}
    ...     for r in (0.0, 0.1, 0.3) for s in range(5)]
    >>> result = {"settings": {"noise_rates": [0.0, 0.1, 0.3],
    ...           "seeds": list(range(5))}, "runs": runs}
    >>> [(c["claim"], c["verdict"]) for c in check_claims(result)]
    [('ID accuracy rises at slight noise', 'holds'),
     ('OOD accuracy falls from the first noise', 'holds')]
    """
    rates = sorted(set(result["settings"]["noise_rates"]))
    metrics = set(result["runs"][0]["metrics"])
    noisy = [rate for rate in rates if rate > 0]
    slight = [rate for rate in noisy if rate <= 0.1]
    claims = []

    def add(claim, comparisons, rule="all"):
        claims.append(
            {
                "claim": claim,
                "verdict": _combine([c["verdict"] for c in comparisons], rule),
                "comparisons": comparisons,
            }
        )

    if 0.0 in rates and slight:
        add(
            "ID accuracy rises at slight noise",
            _against_clean(result, "lp_id", slight, "accuracy", +1),
            rule="any",
        )
    if 0.0 in rates and noisy:
        add(
            "OOD accuracy falls from the first noise",
            _against_clean(result, "lp_ood", noisy, "accuracy", -1),
        )
        for metric, claim in (
            ("id_sve", "SVE of ID features rises with noise"),
            ("ood_lsvr", "LSVR of OOD features rises with noise"),
        ):
            if metric in metrics:
                add(claim, _against_clean(result, metric, noisy, "spectrum", +1))
    pairs = [
        ("NMTune beats LP and MLP tuning", "nmtune", ("lp", "mlp")),
        (
            "The regularizers help a network that trains",
            "nmtune_trained",
            ("mlp_trained",),
        ),
    ]
    for claim, head, baselines in pairs:
        names = [f"{head}_{d}" for d in ("id", "ood")]
        if set(names) <= metrics:
            add(
                claim,
                [
                    head_difference(result, f"{head}_{d}", f"{b}_{d}", "accuracy")
                    for b in baselines
                    for d in ("id", "ood")
                ],
            )
    z = ("nmtune_trained_z_id_sve", "mlp_trained_z_ood_lsvr")
    if set(z) <= metrics:
        add(
            "NMTune raises SVE (ID) and lowers LSVR (OOD) of the tuned features",
            [
                head_difference(
                    result,
                    "nmtune_trained_z_id_sve",
                    "mlp_trained_z_id_sve",
                    "spectrum",
                ),
                head_difference(
                    result,
                    "mlp_trained_z_ood_lsvr",
                    "nmtune_trained_z_ood_lsvr",
                    "spectrum",
                ),
            ],
        )
    if 0.0 in rates and noisy and "nmtune_id" in metrics:
        add(
            "The clean backbone is best under NMTune",
            [
                c
                for d in ("id", "ood")
                for c in _against_clean(result, f"nmtune_{d}", noisy, "accuracy", -1)
            ],
        )
    return claims
