"""Transition matrices: the noise processes, ``T[i, j] = P(noisy = j | true = i)``."""

from numbers import Real

import numpy as np


def symmetric_transition_matrix(
    n_classes: int, noise_rate: float = 0.2, *, exclude_true: bool = True
) -> np.ndarray:
    """Transition matrix of symmetric (uniform) label noise.

    Parameters
    ----------
    n_classes : int
        Number of classes K, at least 2.

    noise_rate : float, default=0.2
        Fraction ``r`` of samples whose label is redrawn, in [0, 1].

    exclude_true : bool, default=True
        If True, a redrawn label is uniform over the K - 1 *other* classes:
        ``T = (1 - r) I + r / (K - 1) (J - I)``. If False, it is uniform over all K
        classes, the true one included: ``T = (1 - r) I + (r / K) J``, so the
        probability that a label really changes is ``r (K - 1) / K``.

    Returns
    -------
    T : ndarray of shape (n_classes, n_classes)
        ``T[i, j] = P(noisy = j | true = i)``; every row sums to 1.

    Examples
    --------
    >>> from sknml.noise import symmetric_transition_matrix
    >>> symmetric_transition_matrix(3, 0.3)
    array([[0.7 , 0.15, 0.15],
           [0.15, 0.7 , 0.15],
           [0.15, 0.15, 0.7 ]])
    >>> symmetric_transition_matrix(3, 0.3, exclude_true=False)
    array([[0.8, 0.1, 0.1],
           [0.1, 0.8, 0.1],
           [0.1, 0.1, 0.8]])
    """
    n_classes, noise_rate = _check_family_args(n_classes, noise_rate)
    if exclude_true:
        off = noise_rate / (n_classes - 1)
        matrix = np.full((n_classes, n_classes), off)
        np.fill_diagonal(matrix, 1.0 - noise_rate)
    else:
        matrix = np.full((n_classes, n_classes), noise_rate / n_classes)
        matrix[np.diag_indices(n_classes)] += 1.0 - noise_rate
    return matrix


def pair_flip_transition_matrix(n_classes: int, noise_rate: float = 0.2) -> np.ndarray:
    """Transition matrix of pair-flip noise: class i goes to class i + 1 (mod K).

    Parameters
    ----------
    n_classes : int
        Number of classes K, at least 2.

    noise_rate : float, default=0.2
        Probability ``r`` that a label moves to the next class, in [0, 1].

    Returns
    -------
    T : ndarray of shape (n_classes, n_classes)
        ``(1 - r)`` on the diagonal, ``r`` at ``[i, (i + 1) % K]``.

    Examples
    --------
    >>> from sknml.noise import pair_flip_transition_matrix
    >>> pair_flip_transition_matrix(3, 0.4)
    array([[0.6, 0.4, 0. ],
           [0. , 0.6, 0.4],
           [0.4, 0. , 0.6]])
    """
    n_classes, noise_rate = _check_family_args(n_classes, noise_rate)
    matrix = np.eye(n_classes) * (1.0 - noise_rate)
    rows = np.arange(n_classes)
    matrix[rows, (rows + 1) % n_classes] += noise_rate
    return matrix


def _check_family_args(n_classes, noise_rate):
    if isinstance(n_classes, bool) or not isinstance(n_classes, (int, np.integer)):
        raise TypeError(f"n_classes must be an int; got {n_classes!r}.")
    if n_classes < 2:
        raise ValueError(f"n_classes must be at least 2; got {n_classes}.")
    if not isinstance(noise_rate, Real) or not 0.0 <= noise_rate <= 1.0:
        raise ValueError(f"noise_rate must be a float in [0, 1]; got {noise_rate!r}.")
    return int(n_classes), float(noise_rate)


def _check_transition_matrix(matrix, classes):
    """Validate a row-stochastic matrix against the classes of ``y``."""
    try:
        matrix = np.array(matrix, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"transition_matrix must be a numeric (n_classes, n_classes) array: {exc}"
        ) from exc
    n_classes = len(classes)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(
            "transition_matrix must be a square 2-D array of shape "
            f"(n_classes, n_classes); got shape {matrix.shape}."
        )
    if matrix.shape[0] != n_classes:
        raise ValueError(
            f"transition_matrix has shape {matrix.shape} but y has {n_classes} "
            f"classes {classes.tolist()}; rows and columns follow classes_, the "
            "sorted unique labels."
        )
    if not np.all(np.isfinite(matrix)):
        raise ValueError("transition_matrix must contain only finite values.")
    if np.any(matrix < 0):
        rows, cols = np.nonzero(matrix < 0)
        raise ValueError(
            "transition_matrix must not have negative entries (they are "
            f"probabilities); got {matrix[rows[0], cols[0]]} at [{rows[0]}, {cols[0]}]."
        )
    sums = matrix.sum(axis=1)
    if not np.allclose(sums, 1.0, rtol=0, atol=1e-6):
        raise ValueError(
            "Each row of transition_matrix must sum to 1: T[i, j] = P(noisy = j | "
            f"true = i), rows = true class. Row sums: {np.round(sums, 6).tolist()}. "
            "(A cleanlab noise_matrix has columns summing to 1: pass its transpose.)"
        )
    return matrix / sums[:, None]
