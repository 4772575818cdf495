"""The study's summary over seeds and its check of the paper's four claims."""

import numpy as np


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
        (``ddof=1``; 0 with one seed).

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
            entry[metric] = {
                "mean": float(np.mean(values)),
                "std": float(np.std(values, ddof=1)) if len(values) > 1 else 0.0,
                "values": values,
            }
        summary[rate_key(rate)] = entry
    return summary


def series(result, metric, stat="mean"):
    rates = result["settings"]["noise_rates"]
    rates = sorted(set(rates))
    return rates, [result["summary"][rate_key(r)][metric][stat] for r in rates]


def _spearman(a, b):
    from scipy.stats import spearmanr

    if len(a) < 2 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return 0.0
    return float(spearmanr(a, b).statistic)


def check_claims(result: dict) -> list[dict]:
    """Test the paper's four claims on a study's means, with the seed spread.

    1. *ID bump*: linear-probe ID accuracy at a slight noise ratio (0 < r <= 0.1)
       is higher than at 0.
    2. *OOD decline*: linear-probe OOD accuracy falls at every step of noise.
    3. *Spectrum*: SVE of the ID features and LSVR of the OOD features rise with
       noise (Spearman correlation with the ratio > 0 and the last ratio above
       the first).
    4. *Mitigation*: NMTune's accuracy is at least LP's and MLP's at every ratio,
       ID and OOD, and the clean backbone is the best one under NMTune.

    Parameters
    ----------
    result : dict
        A result of :func:`run_study`, with ``settings`` and ``summary``.

    Returns
    -------
    claims : list of dict
        One per claim: ``claim`` (its name), ``holds`` (bool) and ``detail``, a
        sentence with the means and standard deviations it rests on.

    Examples
    --------
    >>> from sknml.experiments.study import check_claims, summarize
    >>> runs = [
    ...     {"noise_rate": r, "seed": 0, "metrics": {
    ...         "lp_id": .80 + b, "lp_ood": .70 - r, "id_sve": 4 + r,
    ...         "ood_lsvr": 1 + r, "mlp_id": .80, "mlp_ood": .6,
    ...         "nmtune_id": .9 - r / 10, "nmtune_ood": .8 - r / 10}}
    ...     for r, b in [(0.0, 0.0), (0.1, 0.01), (0.3, -0.02)]]
    >>> result = {"settings": {"noise_rates": [0.0, 0.1, 0.3]},
    ...           "summary": summarize(runs)}
    >>> [claim["holds"] for claim in check_claims(result)]
    [True, True, True, True]
    """

    def fmt(metric, rate):
        entry = result["summary"][rate_key(rate)][metric]
        return f"{entry['mean']:.4f} ± {entry['std']:.4f}"

    rates, lp_id = series(result, "lp_id")
    _, lp_ood = series(result, "lp_ood")
    claims = []

    clean = rates.index(0.0) if 0.0 in rates else None
    slight = [i for i, r in enumerate(rates) if 0 < r <= 0.1]
    if clean is None or not slight:
        claims.append(
            {
                "claim": "ID bump at slight noise",
                "holds": False,
                "detail": "needs ratio 0 and a ratio in (0, 0.1].",
            }
        )
    else:
        best = max(slight, key=lambda i: lp_id[i])
        claims.append(
            {
                "claim": "ID bump at slight noise",
                "holds": bool(lp_id[best] > lp_id[clean]),
                "detail": f"LP ID accuracy {fmt('lp_id', rates[best])} at "
                f"{rates[best]:g} vs {fmt('lp_id', 0.0)} at 0.",
            }
        )

    steps = np.diff(lp_ood)
    claims.append(
        {
            "claim": "OOD monotone decline",
            "holds": bool(len(steps) > 0 and np.all(steps < 0)),
            "detail": "LP OOD accuracy by ratio: "
            + ", ".join(f"{r:g}: {fmt('lp_ood', r)}" for r in rates)
            + f"; {int(np.sum(steps < 0))} of {len(steps)} steps fall.",
        }
    )

    _, sve = series(result, "id_sve")
    _, lsvr = series(result, "ood_lsvr")
    rho_sve, rho_lsvr = _spearman(rates, sve), _spearman(rates, lsvr)
    claims.append(
        {
            "claim": "SVE (ID) and LSVR (OOD) rise with noise",
            "holds": bool(
                rho_sve > 0 and rho_lsvr > 0 and sve[-1] > sve[0] and lsvr[-1] > lsvr[0]
            ),
            "detail": f"Spearman(ratio, SVE) = {rho_sve:.2f}, SVE "
            f"{fmt('id_sve', rates[0])} -> {fmt('id_sve', rates[-1])}; "
            f"Spearman(ratio, LSVR) = {rho_lsvr:.2f}, LSVR "
            f"{fmt('ood_lsvr', rates[0])} -> {fmt('ood_lsvr', rates[-1])}.",
        }
    )

    wins, total, best_clean = 0, 0, []
    for domain in ("id", "ood"):
        _, nmtune = series(result, f"nmtune_{domain}")
        for method in ("lp", "mlp"):
            _, other = series(result, f"{method}_{domain}")
            wins += int(np.sum(np.asarray(nmtune) >= np.asarray(other)))
            total += len(rates)
        if clean is not None:
            best_clean.append(nmtune[clean] >= max(nmtune))
    claims.append(
        {
            "claim": "NMTune mitigates; clean model best under NMTune",
            "holds": bool(wins == total and best_clean and all(best_clean)),
            "detail": f"NMTune >= LP and MLP in {wins} of {total} (ratio, domain, "
            "baseline) comparisons; clean backbone best under NMTune: "
            f"ID {bool(best_clean and best_clean[0])}, "
            f"OOD {bool(len(best_clean) > 1 and best_clean[1])}.",
        }
    )
    return claims
