"""What a fit of NMTuneClassifier resolves before it trains: one frozen recipe.

:func:`resolve_recipe` decides every ``'auto'`` (``device``, ``standardize``,
``early_stopping``, ``batch_size``) and the start of the residual scale, and
returns them as one :class:`Recipe`. :data:`INACTIVE_RULES` says, for each
parameter, when it cannot act and why; :func:`inactive_parameters` applies the
table, for the warning of a fit and for anyone who builds settings.
"""

import dataclasses
import warnings
from collections.abc import Callable, Mapping
from types import MappingProxyType

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import gen_batches

from sknml._data import (
    as_float32_tensor,
    column_scaling,
    standardized,
    validation_split,
)
from sknml._device import resolve_device
from sknml._probe import fit_probe
from sknml._selection import weighted_scores

# early_stopping='auto' holds out a validation split from this many rows on.
_AUTO_EARLY_STOPPING_MIN_ROWS = 100
# batch_size='auto': at least this many batches per epoch, of 32 to 256 rows.
_AUTO_BATCHES_PER_EPOCH = 10
# standardize='auto' cross-validates the probe on at most this many rows,
_AUTO_STANDARDIZE_MAX_ROWS = 20_000
_AUTO_STANDARDIZE_FOLDS = 3
# and standardizes only when that gains more than this in mean accuracy.
_AUTO_STANDARDIZE_MARGIN = 0.005


@dataclasses.dataclass(frozen=True)
class Recipe:
    """Every setting one fit resolved.

    Attributes
    ----------
    device : str
        Where the network lives (``device='auto'`` decided).
    standardize : bool
        Whether X is standardized (``'auto'`` decided).
    standardize_scores : dict or None
        ``{"raw": (accuracy, -log-loss), "standardized": (...)}``, the probe's mean
        cross-validated scores when ``standardize='auto'`` compared them.
    early_stopping : bool or None
        Whether a validation split is held out (None for the linear probe).
    batch_size : int or None
        Rows per mini-batch (None for the linear probe).
    residual_scale : float or None
        Start of the residual scale ``s``: ``residual_init`` times the root mean
        square of the training features (None without one).
    """

    device: str
    standardize: bool
    standardize_scores: dict | None = None
    early_stopping: bool | None = None
    batch_size: int | None = None
    residual_scale: float | None = None


def resolve_recipe(params, X, y_index, sample_weight, seed):
    """Decide every ``'auto'`` of ``params`` for this data; one :class:`Recipe`.

    Parameters
    ----------
    params : dict
        ``NMTuneClassifier.get_params()``.
    X : ndarray of shape (n_samples, n_features)
    y_index : ndarray of shape (n_samples,)
        Class indices.
    sample_weight : ndarray of shape (n_samples,) or None
    seed : int
        Seed of the folds and the validation split.

    Returns
    -------
    recipe : Recipe
    """
    device = resolve_device(params["device"])
    standardize, scores = params["standardize"], None
    if standardize == "auto":
        scores = _probe_cv_scores(X, y_index, sample_weight, params["C"], device, seed)
        standardize = scores is not None and (
            scores["standardized"][0] > scores["raw"][0] + _AUTO_STANDARDIZE_MARGIN
        )
    recipe = Recipe(str(device), bool(standardize), scores)
    if params["n_layers"] == 0:
        return recipe
    early_stopping = params["early_stopping"]
    if early_stopping == "auto":
        early_stopping = (
            len(X) >= _AUTO_EARLY_STOPPING_MIN_ROWS and np.bincount(y_index).max() >= 2
        )
    train = np.arange(len(X))
    if early_stopping:
        train, _ = validation_split(y_index, params["validation_fraction"], seed)
    batch_size = params["batch_size"]
    if batch_size == "auto":
        batch_size = int(min(256, max(32, len(train) // _AUTO_BATCHES_PER_EPOCH)))
    residual_scale = None
    if params["residual"]:
        residual_scale = params["residual_init"] * _standardized_rms(
            X[train], *_scaling(X, sample_weight, recipe.standardize)
        )
    return dataclasses.replace(
        recipe,
        early_stopping=bool(early_stopping),
        batch_size=batch_size,
        residual_scale=residual_scale,
    )


def _scaling(X, sample_weight, standardize):
    """Column means and scales of X's standardization (zeros and ones: none)."""
    if standardize:
        return column_scaling(X, sample_weight)
    return np.zeros(X.shape[1]), np.ones(X.shape[1])


def _standardized_rms(X, mean, scale, chunk_rows=4096):
    """Root mean square of the entries of ``(X - mean) / scale`` (1 for no rows)."""
    if not X.size:
        return 1.0
    total = 0.0
    for rows in gen_batches(len(X), chunk_rows):
        total += float(np.square((X[rows] - mean) / scale).sum())
    return (total / X.size) ** 0.5


def _probe_cv_scores(X, y_index, sample_weight, C, device, seed):
    """Mean CV ``(accuracy, -log-loss)`` of the probe on raw and standardized X.

    None when a class has too few rows for the folds.
    """
    rng = np.random.RandomState(seed)
    rows = np.arange(len(X))
    if len(rows) > _AUTO_STANDARDIZE_MAX_ROWS:
        rows = np.sort(rng.choice(rows, _AUTO_STANDARDIZE_MAX_ROWS, replace=False))
    if np.bincount(y_index[rows]).min() < _AUTO_STANDARDIZE_FOLDS:
        return None
    folds = StratifiedKFold(_AUTO_STANDARDIZE_FOLDS, shuffle=True, random_state=seed)
    weight = np.ones(len(X)) if sample_weight is None else sample_weight
    sums = {"raw": np.zeros(2), "standardized": np.zeros(2)}
    # Each fold's solve starts from the previous fold's solution of its option.
    starts = dict.fromkeys(sums)
    n_classes = int(y_index.max()) + 1
    for train, test in folds.split(rows, y_index[rows]):
        train, test = rows[train], rows[test]
        raw = X[train], X[test]
        mean, scale = column_scaling(raw[0], weight[train])
        splits = {
            "raw": raw,
            "standardized": tuple(standardized(part, mean, scale) for part in raw),
        }
        for name, (X_train, X_test) in splits.items():
            with warnings.catch_warnings():
                # A candidate that converges slowly is still compared; the
                # final fit warns if the chosen one does not converge.
                warnings.simplefilter("ignore", ConvergenceWarning)
                coef, intercept, _ = fit_probe(
                    as_float32_tensor(X_train),
                    torch.as_tensor(y_index[train]),
                    n_classes,
                    C=C,
                    sample_weight=torch.as_tensor(weight[train]),
                    device=device,
                    start=starts[name],
                )
            starts[name] = coef, intercept
            logits = as_float32_tensor(X_test) @ coef.T + intercept
            _, accuracy, cross_entropy = weighted_scores(
                logits,
                torch.as_tensor(y_index[test]),
                torch.as_tensor(weight[test], dtype=torch.float32),
            )
            sums[name] += [accuracy, -cross_entropy]
    return {
        name: tuple(float(v) for v in total / _AUTO_STANDARDIZE_FOLDS)
        for name, total in sums.items()
    }


def _probe(p, resolved):
    return p["n_layers"] == 0


def _no_hidden_layer(p, resolved):
    return p["n_layers"] == 1


def _no_residual(p, resolved):
    return not p["residual"]


def _svd_off(p, resolved):
    return p["lambda_svd"] == 0


def _constant_svd_term(p, resolved):
    rank = min(resolved.get("batch_size", np.inf), resolved.get("n_features", np.inf))
    return p["svd_top_k"] >= rank


def _scale_free_terms_off(p, resolved):
    return p["lambda_mse"] == p["lambda_cov"] == 0


def _no_validation(p, resolved):
    return resolved.get("early_stopping", p["early_stopping"]) is False


def _no_probe_solved(p, resolved):
    return p["init"] == "random" and p["standardize"] != "auto"


_PROBE = (_probe, "n_layers=0 fits the linear probe by L-BFGS, with no network")
_HIDDEN = (_no_hidden_layer, "n_layers=1 gives g no hidden layer")
_SVD_CONSTANT = (
    _constant_svd_term,
    "svd_top_k is at least the rank of a batch (min(batch_size, n_features)), "
    "so the singular-value term is constant",
)
_VALIDATION = (_no_validation, "early stopping is off, with no validation split")

#: When each parameter of :class:`~sknml.NMTuneClassifier` cannot act, and why:
#: ``{name: ((condition, reason), ...)}``, the first condition that holds giving
#: the reason. A condition is a function of the parameters (a dict) and of what
#: the fit resolved (a dict with ``early_stopping``, ``batch_size`` and
#: ``n_features`` where known).
INACTIVE_RULES: Mapping[str, tuple[tuple[Callable, str], ...]] = MappingProxyType(
    {
        "hidden_ratio": (_PROBE, _HIDDEN),
        "activation": (_PROBE, _HIDDEN),
        "batch_norm": (_PROBE, _HIDDEN),
        "residual": (_PROBE,),
        "residual_init": (_PROBE, (_no_residual, "residual=False has no scale s")),
        "init": (_PROBE,),
        "lambda_mse": (_PROBE,),
        "lambda_cov": (_PROBE,),
        "lambda_svd": (_PROBE, _SVD_CONSTANT),
        "svd_top_k": (
            _PROBE,
            (_svd_off, "lambda_svd=0 turns the singular-value term off"),
            _SVD_CONSTANT,
        ),
        "scale_invariant": (
            _PROBE,
            (
                _scale_free_terms_off,
                "lambda_mse=0 and lambda_cov=0 turn off the terms it changes",
            ),
        ),
        "max_epochs": (_PROBE,),
        "batch_size": (_PROBE,),
        "lr": (_PROBE,),
        "weight_decay": (_PROBE,),
        "early_stopping": (_PROBE,),
        "validation_fraction": (_PROBE, _VALIDATION),
        "n_iter_no_change": (_PROBE, _VALIDATION),
        "tol": (_PROBE, _VALIDATION),
        "keep_start": (_PROBE, _VALIDATION),
        "C": (
            (
                _no_probe_solved,
                "init='random' starts at no probe and standardize is not 'auto'",
            ),
        ),
    }
)


def inactive_parameters(estimator, **resolved) -> dict[str, str]:
    """The parameters of an NMTuneClassifier that cannot act, and why.

    The package's experiments use it to pass each method only the parameters it
    uses; a fit warns about those set away from their defaults.

    Parameters
    ----------
    estimator : NMTuneClassifier
        Its parameters are read with ``get_params()``.
    **resolved
        What a fit resolved, where known: ``early_stopping`` (bool),
        ``batch_size`` (int), ``n_features`` (int).

    Returns
    -------
    inactive : dict
        ``{name: reason}`` for every parameter that cannot act.

    Examples
    --------
    >>> from sknml import NMTuneClassifier, inactive_parameters
    >>> inactive_parameters(NMTuneClassifier(n_layers=0))["lambda_cov"]
    'n_layers=0 fits the linear probe by L-BFGS, with no network'
    >>> inactive_parameters(NMTuneClassifier(n_layers=1))["hidden_ratio"]
    'n_layers=1 gives g no hidden layer'
    """
    params = estimator.get_params()
    inactive = {}
    for name, rules in INACTIVE_RULES.items():
        for condition, reason in rules:
            if condition(params, resolved):
                inactive[name] = reason
                break
    return inactive


def warn_inactive_parameters(estimator, stacklevel, **resolved):
    """Warn about parameters set away from their default that cannot act.

    One warning per reason, naming the parameters and the condition, pointing
    ``stacklevel`` frames above the caller.
    """
    params = estimator.get_params()
    defaults = type(estimator)().get_params()
    by_reason = {}
    for name, reason in inactive_parameters(estimator, **resolved).items():
        if params[name] != defaults[name]:
            by_reason.setdefault(reason, []).append(name)
    for reason, names in by_reason.items():
        warnings.warn(
            f"{', '.join(names)} cannot act here because {reason}; the value(s) "
            "set are ignored.",
            UserWarning,
            stacklevel=stacklevel + 1,
        )
