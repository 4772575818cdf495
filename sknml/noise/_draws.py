"""How noisy labels are drawn from a transition matrix: fixed counts or independent."""

import numpy as np


def _round_half_up(x):
    """Round half up, tolerant of products such as ``0.29 * 50 = 14.4999...``."""
    x = np.asarray(x, dtype=float)
    return np.floor(x + 0.5 + 1e-9 * np.maximum(1.0, np.abs(x))).astype(np.intp)


def _largest_remainder(total, weights, rng):
    """Split the integer ``total`` in proportion to ``weights``; ties at random."""
    quotas = total * weights / weights.sum()
    counts = np.floor(quotas).astype(np.intp)
    left = total - counts.sum()
    if left > 0:
        # Rounding the remainders makes equal weights tie exactly despite float
        # noise, so a symmetric split favours no class.
        remainders = np.round(quotas - counts, 12)
        order = np.lexsort((rng.random_sample(len(weights)), -remainders))
        counts[order[:left]] += 1
    return counts


def _sorted_groups(y_idx, n_classes):
    """Indices of the samples of each class, from one stable sort (O(n log n))."""
    order = np.argsort(y_idx, kind="stable")
    bounds = np.concatenate(([0], np.cumsum(np.bincount(y_idx, minlength=n_classes))))
    return [order[bounds[c] : bounds[c + 1]] for c in range(n_classes)]


def _draw_exact(y_idx, matrix, rng):
    """Fixed per-class counts: round((1 - T[c, c]) n_c) changes in class c."""
    n_classes = matrix.shape[0]
    noisy = y_idx.copy()
    for c, members in enumerate(_sorted_groups(y_idx, n_classes)):
        n_changed = int(_round_half_up((1.0 - matrix[c, c]) * len(members)))
        if n_changed == 0:
            continue
        others = np.delete(np.arange(n_classes), c)
        counts = _largest_remainder(n_changed, matrix[c, others], rng)
        chosen = rng.permutation(members)[:n_changed]
        noisy[chosen] = np.repeat(others, counts)
    return noisy


def _draw_independent(y_idx, matrix, rng):
    """Each sample draws its noisy label from its own row of ``T``."""
    n_classes = matrix.shape[0]
    cumulative = np.cumsum(matrix, axis=1)
    uniform = rng.random_sample(len(y_idx))
    noisy = np.empty_like(y_idx)
    for c, members in enumerate(_sorted_groups(y_idx, n_classes)):
        drawn = np.searchsorted(cumulative[c], uniform[members], side="right")
        # A row summing to 1 - 1e-16 must not send u close to 1 past the last class.
        noisy[members] = np.minimum(drawn, n_classes - 1)
    return noisy
