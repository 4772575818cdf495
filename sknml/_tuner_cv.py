"""NMTuneClassifierCV: LP, MLP tuning or NMTune, chosen by inner cross-validation."""

from collections.abc import Callable, Mapping, Sequence
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    _fit_context,
    clone,
)
from sklearn.metrics import get_scorer, get_scorer_names
from sklearn.model_selection import GridSearchCV, ParameterGrid, StratifiedKFold
from sklearn.utils import check_random_state
from sklearn.utils._metadata_requests import _routing_enabled
from sklearn.utils._param_validation import StrOptions

from sknml._base import _NMTuneBase
from sknml._device import resolve_device
from sknml._selection import one_standard_error
from sknml._settings import NAMED_SETTINGS
from sknml._tuner import NMTuneClassifier
from sknml._validation import forget_fit


def _grid(*names):
    """``GridSearchCV`` candidates for named settings, in the order given."""
    return [
        {key: [value] for key, value in NAMED_SETTINGS[name].items()} for name in names
    ]


# Documented where the package exports it (sknml/__init__.py). A list of dicts,
# not read-only mappings: GridSearchCV and ParameterGrid accept nothing else.
DEFAULT_PARAM_GRID: list[dict] = _grid("lp", "mlp", "nmtune")


class NMTuneClassifierCV(_NMTuneBase):
    """NMTune, MLP tuning or the linear probe, chosen by inner cross-validation.

    Like :class:`~sklearn.linear_model.LogisticRegressionCV` for ``C``, this
    estimator picks the settings of an :class:`NMTuneClassifier` by stratified
    k-fold cross-validation on the training set alone: each candidate of
    ``param_grid`` is fitted on every fold (in parallel with ``n_jobs``), one is
    chosen from the mean validation scores (by default the simplest one that is
    not significantly worse than the best, see ``selection``), and it is refitted
    on all the data. The candidates share ``device`` and ``random_state``.
    ``predict``, ``predict_proba``, ``predict_log_proba``, ``decision_function``
    and ``transform`` are those of the refitted winner, ``best_estimator_``.

    The search is scikit-learn's :class:`~sklearn.model_selection.GridSearchCV`
    run with a shuffled :class:`~sklearn.model_selection.StratifiedKFold`; this
    class fixes what a user would otherwise have to get right by hand: the default
    candidates, the seeding of folds and networks, and a refit that is an ordinary
    :class:`NMTuneClassifier`.

    Parameters
    ----------
    param_grid : dict, list of dicts or None, default=None
        Candidates, in :class:`~sklearn.model_selection.GridSearchCV`'s format:
        each dict maps parameter names of :class:`NMTuneClassifier` to lists of
        values and spans the grid of their combinations; a list of dicts is the
        union of their grids. Parameters not named keep their defaults. None
        compares the three candidates of :data:`sknml.DEFAULT_PARAM_GRID`, in
        this order: the linear probe (``n_layers=0``), plain MLP tuning
        (``lambda_mse=0.0, lambda_cov=0.0, lambda_svd=0.0``) and NMTune with
        :class:`NMTuneClassifier`'s defaults, the entries "lp", "mlp" and
        "nmtune" of :data:`sknml.NAMED_SETTINGS`.
    cv : int or cross-validation splitter, default=3
        An int is the number of folds of a ``StratifiedKFold`` that shuffles with
        ``random_state``; a splitter (or an iterable of train/test index pairs) is
        used as given. More folds than members of the smallest class is an error.
    scoring : str, callable or None, default=None
        Score that ranks the candidates, as in
        :func:`~sklearn.model_selection.cross_validate`; None is accuracy.
    selection : {'one_standard_error', 'best'}, default='one_standard_error'
        How the winner is chosen from the mean validation scores. 'best': the
        highest. 'one_standard_error': the first candidate, in ``param_grid``
        order, whose mean is within one standard error (over the folds) of the
        highest; with candidates ordered from simple to complex, as the default
        grid is, this keeps the linear probe unless a network is clearly better,
        and differences below the folds' noise decide nothing (Hastie, Tibshirani
        and Friedman, *The Elements of Statistical Learning*, 7.10). Inner
        cross-validation only sees the training distribution; the simpler model
        is the safer bet out of it.
    n_jobs : int or None, default=None
        Fits run in parallel (joblib); None means 1 unless in a
        :func:`joblib.parallel_config` context, -1 means all CPUs. See Notes for
        torch's threads.
    device : str, default='auto'
        Torch device of every candidate, as in :class:`NMTuneClassifier`.
    random_state : int, RandomState instance or None, default=None
        Seeds the fold assignment and every candidate's network. An int is
        passed unchanged to the folds and to every candidate (so the refitted
        ``best_estimator_`` is ``NMTuneClassifier(**best_params_,
        random_state=random_state)`` fitted on all data); a ``RandomState`` draws
        the seeds of both. Pass an int for reproducible results.
    verbose : int, default=0
        Verbosity of the search (see ``GridSearchCV``); the candidates stay silent.
    error_score : 'raise' or float, default=np.nan
        Score of a candidate whose fit fails on a fold (a warning says why), or
        'raise' to raise the error. If every candidate fails, fitting raises.

    Attributes
    ----------
    cv_results_ : dict of ndarrays
        One row per candidate: parameters, per-fold and mean test scores, ranks and
        fit times, as in ``GridSearchCV.cv_results_``.
    best_index_ : int
        Row of the winner in ``cv_results_`` (with 'one_standard_error' not
        necessarily the row ranked first).
    best_params_ : dict
        Parameters of the winner, as given in ``param_grid``.
    best_score_ : float
        Mean cross-validated score of the winner.
    best_estimator_ : NMTuneClassifier
        The winner refitted on all the data.
    n_splits_ : int
        Number of folds.
    classes_ : ndarray of shape (n_classes,)
        Class labels.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit, when X has string column names.

    See Also
    --------
    NMTuneClassifier : The estimator whose settings are searched.
    sklearn.linear_model.LogisticRegressionCV : The same idea for ``C``.

    Notes
    -----
    ``sample_weight`` weights each candidate's training loss and its validation
    scores, as ``GridSearchCV`` does, with scikit-learn's metadata routing on
    or off: with routing on, the candidates and a ``scoring`` given by name
    request the weights themselves, so that only ``NMTuneClassifierCV`` itself
    needs ``set_fit_request(sample_weight=True)`` inside a ``Pipeline`` or an
    outer search (a callable ``scoring`` receives them only if it requests
    them). ``score`` is the accuracy of :meth:`predict`, as for any classifier.

    Parallel fits run in joblib's worker processes. joblib's default (loky)
    backend starts each worker with ``OMP_NUM_THREADS`` (and the MKL/OpenBLAS
    equivalents) set to ``cpu_count() // n_jobs``, unless the variable is already
    set, and torch sizes its thread pool from it: the workers together use about
    the machine's cores rather than ``n_jobs`` times them. For these small networks
    one thread per fit with fits side by side is much faster than several threads
    per fit (:func:`sknml.utils.torch_threads`), so ``n_jobs=-1`` is a good choice
    on a machine of your own. Scores can differ in the last bits between runs with
    different numbers of threads; with the same ``n_jobs`` and an int
    ``random_state`` the whole result is reproducible on CPU.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.model_selection import train_test_split
    >>> from sknml import NMTuneClassifierCV
    >>> X, y = load_digits(return_X_y=True)
    >>> X_train, X_test, y_train, y_test = train_test_split(
    ...     X, y, train_size=500, stratify=y, random_state=0
    ... )
    >>> grid = [{"n_layers": [0]}, {"lambda_mse": [0.0, 0.01], "max_epochs": [10]}]
    >>> clf = NMTuneClassifierCV(grid, random_state=0).fit(X_train, y_train)
    >>> len(clf.cv_results_["params"])
    3
    >>> clf.best_params_ in clf.cv_results_["params"]
    True
    >>> clf.score(X_test, y_test) > 0.85
    True
    """

    _parameter_constraints: dict = {
        "param_grid": [dict, list, None],
        "cv": ["cv_object"],
        "scoring": [StrOptions(set(get_scorer_names())), callable, None],
        "selection": [StrOptions({"one_standard_error", "best"})],
        "n_jobs": [Integral, None],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "error_score": [StrOptions({"raise"}), Real],
    }

    def __init__(
        self,
        param_grid: Mapping | Sequence[Mapping] | None = None,
        *,
        cv: int | object = 3,
        scoring: str | Callable | None = None,
        selection: str = "one_standard_error",
        n_jobs: int | None = None,
        device: str | torch.device = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
        error_score: str | float = np.nan,
    ):
        self.param_grid = param_grid
        self.cv = cv
        self.scoring = scoring
        self.selection = selection
        self.n_jobs = n_jobs
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.error_score = error_score

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Cross-validate every candidate, then refit the chosen one on all data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Frozen features.
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights, not all zero, of each sample's cross-entropy,
            passed to every candidate's fit and, where the scorer accepts
            weights, of its validation scores (see Notes).

        Returns
        -------
        self : NMTuneClassifierCV
            The fitted estimator.
        """
        forget_fit(self)
        try:
            search = self._search(X, y, sample_weight)
        except BaseException:
            # Not even the n_features_in_ of the input that failed is kept.
            forget_fit(self)
            raise
        self.cv_results_ = search.cv_results_
        self.best_index_ = int(search.best_index_)
        self.best_params_ = search.best_params_
        self.best_score_ = float(
            search.cv_results_["mean_test_score"][self.best_index_]
        )
        self.best_estimator_ = search.best_estimator_
        self.n_splits_ = search.n_splits_
        self.classes_ = self.best_estimator_.classes_
        return self

    def _search(self, X, y, sample_weight):
        """The fitted ``GridSearchCV``, once X, y and ``sample_weight`` are checked."""
        # Checked once here, not as the same failure of every candidate's fit.
        X, y, sample_weight = self._check_fit_input(X, y, sample_weight, reset=True)
        self._check_classes(np.unique(y))
        resolve_device(self.device)
        seed, cv_seed = self._seeds()
        base = NMTuneClassifier(device=self.device, random_state=seed)
        scoring = self.scoring
        if sample_weight is not None and _routing_enabled():
            # With routing on, the inner search passes the weights only where
            # they are requested: to the candidates' fits and their scores, as
            # it does without routing.
            base.set_fit_request(sample_weight=True)
            base.set_score_request(sample_weight=True)
            if isinstance(scoring, str):
                scoring = get_scorer(scoring).set_score_request(sample_weight=True)
        param_grid = self._checked_param_grid(base)
        cv = self.cv
        if isinstance(cv, Integral):
            cv = StratifiedKFold(cv, shuffle=True, random_state=cv_seed)
        search = GridSearchCV(
            base,
            param_grid,
            scoring=scoring,
            n_jobs=self.n_jobs,
            refit=True if self.selection == "best" else one_standard_error,
            cv=cv,
            verbose=self.verbose,
            error_score=self.error_score,
        )
        fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
        return search.fit(X, y, **fit_params)

    def _seeds(self):
        """Seeds of the candidates and of the folds: an int or None is used as is."""
        if self.random_state is None or isinstance(self.random_state, Integral):
            return self.random_state, self.random_state
        rng = check_random_state(self.random_state)
        return tuple(int(seed) for seed in rng.randint(2**31 - 1, size=2))

    def _checked_param_grid(self, base):
        """``param_grid`` (or the default), once every candidate is a valid one."""
        param_grid = DEFAULT_PARAM_GRID if self.param_grid is None else self.param_grid
        candidates = ParameterGrid(param_grid)
        if len(candidates) == 0:
            raise ValueError(
                f"param_grid={param_grid!r} has no candidate; give at least one dict "
                "(an empty dict is NMTuneClassifier's defaults)."
            )
        for params in candidates:
            # set_params names an unknown parameter; _validate_params a bad value.
            clone(base).set_params(**params)._validate_params()
        return param_grid

    def _network(self):
        return self.best_estimator_.net_.module_
