"""The rules that choose between models, written once.

- :func:`weighted_scores`: per-row correctness, (weighted) accuracy and
  cross-entropy of class scores, the scores every choice here compares;
- :func:`beats_by_mcnemar`: whether one model's correct rows beat another's by more
  than chance (McNemar's test), the gate a trained epoch must pass to replace the
  network's start;
- :func:`one_standard_error`: the first candidate of a search whose mean score is
  within one standard error of the best, :class:`~sknml.NMTuneClassifierCV`'s
  default choice.
"""

import numpy as np
import torch
import torch.nn.functional as F

# z-score of McNemar's test by which a trained epoch must beat the start.
MCNEMAR_Z = 2.0


def weighted_scores(logits, y, weight=None):
    """Per-row correctness, accuracy and mean cross-entropy of ``logits``.

    Parameters
    ----------
    logits : torch.Tensor of shape (n_samples, n_classes)
        Class scores.
    y : torch.Tensor of shape (n_samples,)
        Class indices.
    weight : torch.Tensor of shape (n_samples,), default=None
        Row weights; None weighs every row 1.

    Returns
    -------
    correct : torch.Tensor of shape (n_samples,), float64
        1 where the highest score is the true class.
    accuracy : float
        Weighted share of correct rows.
    cross_entropy : float
        Weighted mean cross-entropy.

    Examples
    --------
    >>> import torch
    >>> from sknml._selection import weighted_scores
    >>> logits = torch.tensor([[2.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    >>> _, accuracy, _ = weighted_scores(logits, torch.tensor([0, 1, 1]))
    >>> round(accuracy, 4)
    0.6667
    """
    correct = (logits.argmax(1) == y).double()
    losses = F.cross_entropy(logits, y, reduction="none").double()
    w = torch.ones_like(correct) if weight is None else weight.double()
    total = float(w.sum())
    return (
        correct,
        float((w * correct).sum()) / total,
        float((w * losses).sum()) / total,
    )


def beats_by_mcnemar(correct, reference, weight=None, z=MCNEMAR_Z):
    """Whether ``correct`` beats ``reference`` on the same rows by more than chance.

    On the rows where exactly one of the two is right, the first must be right on
    more of them by more than ``z`` times the square root of their number (plus
    two, so that a handful of disagreements that all happen to favour it cannot
    pass): McNemar's test. Weighted rows count by their weight, scaled so that the
    weights average one.

    Parameters
    ----------
    correct, reference : torch.Tensor of shape (n_samples,)
        1 where each model is right, else 0.
    weight : torch.Tensor of shape (n_samples,), default=None
        Row weights; None weighs every row 1.
    z : float, default=2.0
        How many standard errors the difference must exceed.

    Returns
    -------
    beats : bool

    Examples
    --------
    >>> import torch
    >>> from sknml._selection import beats_by_mcnemar
    >>> reference = torch.zeros(100)
    >>> beats_by_mcnemar(torch.ones(100), reference)
    True
    >>> beats_by_mcnemar((torch.arange(100) < 5).double(), reference)
    False
    """
    w = torch.ones_like(correct) if weight is None else weight.double()
    scale = len(correct) / float(w.sum())
    wins = float((w * correct * (1 - reference)).sum()) * scale
    losses = float((w * (1 - correct) * reference).sum()) * scale
    return wins - losses > z * (wins + losses + 2) ** 0.5


def one_standard_error(cv_results: dict) -> int:
    """First candidate whose mean score is within one standard error of the best.

    The standard error of the best candidate's mean over k folds is its fold
    scores' standard deviation (``std_test_score``, ddof=0) over ``sqrt(k - 1)``.
    Candidates that failed (NaN) are never chosen.

    Parameters
    ----------
    cv_results : dict
        ``GridSearchCV.cv_results_``, or any dict with ``mean_test_score``,
        ``std_test_score`` and one ``split<k>_test_score`` key per fold.

    Returns
    -------
    index : int
        Row of the chosen candidate.

    Examples
    --------
    >>> import numpy as np
    >>> from sknml._selection import one_standard_error
    >>> results = {
    ...     "split0_test_score": None,
    ...     "split1_test_score": None,
    ...     "mean_test_score": np.array([0.80, 0.81]),
    ...     "std_test_score": np.array([0.0, 0.02]),
    ... }
    >>> one_standard_error(results)
    0
    """
    mean = cv_results["mean_test_score"]
    n_splits = sum(
        key.startswith("split") and key.endswith("_test_score") for key in cv_results
    )
    best = np.nanargmax(mean)
    error = cv_results["std_test_score"][best] / np.sqrt(max(n_splits - 1, 1))
    return int(np.flatnonzero(mean >= mean[best] - error)[0])
