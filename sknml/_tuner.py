"""NMTuneClassifier: the linear probe, MLP tuning and NMTune on frozen features.

How the parts fit:

- the probe (``n_layers=0``) is L2 logistic regression solved to convergence by
  full-batch L-BFGS (:mod:`sknml._probe`), the problem ``LogisticRegression``
  solves;
- a network (``n_layers>0``) starts *at* that probe (LP-FT, Kumar et al., ICLR
  2022): its head holds the solved probe and the last layer of ``g`` is zero, so
  ``z = x`` before the first step, and ``g`` gets gradient from the first step;
  it is then trained by the short loop of :mod:`sknml._training`, whose early
  stopping can keep the start (epoch 0);
- skorch holds the result: ``net_`` is a skorch ``NeuralNet`` around the trained
  module and ``history_`` a skorch ``History``. Training does not go through
  skorch's ``fit``: its early stopping cannot keep the untrained network, and its
  loader collates rows one by one (:mod:`sknml._data`).

Every ``'auto'`` is resolved in one method, :meth:`NMTuneClassifier._resolve_recipe`,
and the result is stored in ``recipe_``.
"""

import warnings
from functools import partial
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import StratifiedKFold
from sklearn.utils import check_random_state, gen_batches
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils._tags import TransformerTags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from skorch import NeuralNet
from skorch.history import History

from sknml._data import as_float32_tensor, as_tensor, place_rows, validation_split
from sknml._device import resolve_device
from sknml._docs import DocLinkMixin
from sknml._losses import NMTuneLoss
from sknml._network import NMTuneNetwork
from sknml._probe import fit_probe
from sknml._training import train_network
from sknml._validation import check_float32_range, forget_fit

# Rows per chunk when standardizing X or predicting: bounds the memory held.
_CHUNK_ROWS = 4096
# early_stopping='auto' holds out a validation split from this many rows on.
_AUTO_EARLY_STOPPING_MIN_ROWS = 100
# batch_size='auto': at least this many batches per epoch, of 32 to 256 rows.
_AUTO_BATCHES_PER_EPOCH = 10
# standardize='auto' cross-validates the probe on at most this many rows.
_AUTO_STANDARDIZE_MAX_ROWS = 20_000
_AUTO_STANDARDIZE_FOLDS = 3
# ... and standardizes only when that gains more than this in mean accuracy.
_AUTO_STANDARDIZE_MARGIN = 0.005

# Parameters that only a network uses: with n_layers=0 (the probe) they cannot act.
NETWORK_PARAMETERS = (
    "hidden_ratio",
    "activation",
    "batch_norm",
    "residual",
    "residual_init",
    "init",
    "lambda_mse",
    "lambda_cov",
    "lambda_svd",
    "svd_top_k",
    "scale_invariant",
    "max_epochs",
    "batch_size",
    "lr",
    "weight_decay",
    "early_stopping",
    "validation_fraction",
    "n_iter_no_change",
    "tol",
)


def _column_scaling(X, sample_weight=None):
    """Weighted column means and scales of X, accumulated in float64 by chunks.

    As ``StandardScaler(...).fit(X, sample_weight=...)``: a weight of 0 is a row
    left out; constant columns get scale 1.
    """
    weight = np.ones(len(X)) if sample_weight is None else sample_weight
    total = weight.sum()
    mean = np.zeros(X.shape[1])
    for rows in gen_batches(len(X), _CHUNK_ROWS):
        mean += weight[rows] @ X[rows].astype(np.float64)
    mean /= total
    sum_squares = np.zeros_like(mean)
    for rows in gen_batches(len(X), _CHUNK_ROWS):
        centered = X[rows].astype(np.float64) - mean
        sum_squares += weight[rows] @ np.square(centered)
    scale = np.sqrt(sum_squares / total)
    constant = scale <= 10 * np.finfo(np.float32).eps * np.abs(mean)
    scale[constant | (scale == 0)] = 1.0
    return mean, scale


def _standardized(X, mean, scale):
    """``(X - mean) / scale`` as float32, computed chunk by chunk in X's dtype."""
    out = np.empty(X.shape, dtype=np.float32)
    mean, scale = mean.astype(X.dtype), scale.astype(X.dtype)
    for rows in gen_batches(len(X), _CHUNK_ROWS):
        out[rows] = (X[rows] - mean) / scale
    return out


class NMTuneClassifier(
    DocLinkMixin,
    ClassifierMixin,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    BaseEstimator,
):
    """Classifier on frozen foundation-model features, tuned with NMTune.

    An MLP ``g`` maps the (standardized) frozen features ``x`` back to their own
    dimension, ``z = x + s * g(x)``, and a linear head classifies ``z``. Training
    minimizes cross-entropy plus the three regularizers of Chen et al. (2024),

    ``loss = CE + lambda_mse * L_mse + lambda_cov * L_cov + lambda_svd * L_svd``:

    - consistency ``L_mse``: squared distance between ``z / ||z||`` and
      ``x / ||x||`` (``x`` carries no gradient), keeping ``z`` close to the
      pre-trained features;
    - covariance ``L_cov``: squared off-diagonal entries of the batch covariance of
      ``z``, decorrelating its features;
    - dominant singular value ``L_svd``: minus the mean of the ``svd_top_k``
      largest singular values of the batch ``z`` over their sum, raising the share
      of the dominant directions.

    The baselines are the same estimator: ``n_layers=0`` is the linear probe (LP),
    L2 logistic regression solved to convergence, as
    :class:`~sklearn.linear_model.LogisticRegression` with the same ``C``; all
    ``lambda_*=0`` is plain MLP tuning. A network starts at the solved probe
    (``init='probe'``): its head holds the probe and ``g`` outputs zero, so the
    untrained network *is* the probe, and early stopping keeps that start unless a
    trained epoch classifies the validation rows better by more than chance (a
    McNemar test) with no higher cross-entropy, so a network is the probe where
    tuning does not help.

    Parameters
    ----------
    n_layers : int, default=2
        Linear layers in ``g`` (``D -> hidden -> ... -> D``). 0: linear probe.
    hidden_ratio : float, default=4.0
        Hidden width of ``g`` as a multiple of the number of features.
    activation : {'relu', 'gelu', 'tanh'} or None, default='relu'
        Non-linearity after each hidden layer of ``g``; None for the paper's
        "no activation" ablation.
    batch_norm : bool, default=True
        Follow each hidden layer of ``g`` by ``BatchNorm1d``.
    residual : bool, default=True
        ``z = x + s * g(x)`` with a learnable per-feature scale ``s``; False:
        ``z = g(x)``, the paper's plain MLP.
    residual_init : float, default=1.0
        Start of every entry of ``s``, in units of the root mean square of the
        training features ``x``, so that ``g``'s output has the scale of ``x``
        whether ``x`` is a unit-norm embedding or a standardized activation.
    init : {'probe', 'random'}, default='probe'
        'probe': the head starts as the solved linear probe and the last layer of
        ``g`` at zero, so that training starts from the probe (with
        ``residual=False`` only the head does, and ``g`` starts at random).
        'random': PyTorch's default initialization of every layer, as the
        reference code. The probe start needs a linear signal to leave it:
        where the probe finds none at all (XOR-like classes), its head is near
        zero, ``g`` receives almost no gradient, and 'random' is the choice.
    lambda_mse : float, default=0.1
        Weight of the consistency term (``2 (1 - cos(z, x))`` per row with
        ``scale_invariant``). At 0.3 and above it pins ``z`` to ``x``.
    lambda_cov : float, default=0.03
        Weight of the covariance term (the off-diagonal share of the covariance
        of ``z``, in [0, 1), with ``scale_invariant``).
    lambda_svd : float, default=1.0
        Weight of the dominant singular value term (minus the share of the
        ``svd_top_k`` largest singular values of ``z``). The three defaults had
        the best cross-validated accuracy on training splits of real features
        among the weights tried, and each term measurably moves the property it
        targets at them (see the user guide).
    svd_top_k : int, default=5
        Dominant singular values averaged in ``L_svd`` (the paper's text uses 1, its
        code 5). A batch has at most ``min(batch rows, n_features)`` singular
        values; when ``svd_top_k`` exceeds that, all of them are averaged (the
        term is then constant).
    scale_invariant : bool, default=True
        Give the regularizers the same meaning on every encoder: the consistency
        term sums over the features instead of averaging (it no longer shrinks
        with the dimension), and the covariance term is divided by the squared
        total variance of ``z`` instead of its dimension (it no longer changes
        when ``z`` is scaled; it lies in ``[0, 1)``). False: the paper's literal
        formulas, whose weights mean different things on unit-norm embeddings and
        on standardized activations. The user guide gives the formulas and the
        measurement behind the choice.
    C : float, default=1.0
        Inverse L2 strength of the linear probe, as in ``LogisticRegression``
        (the penalty is ``||W||^2 / (2 C)`` against the summed cross-entropy; the
        intercept is not penalized). A network's head starts from that probe.
    standardize : bool or 'auto', default='auto'
        Standardize each input feature with (weighted) statistics of the training
        set, stored in the network. 'auto' decides per data set: the probe is
        fitted with and without standardization in 3-fold cross-validation on (at
        most 20,000 of) the training rows, and X is standardized only when that
        gains more than half a point of mean accuracy (X stays as given when a
        class has fewer than 3 rows). Unit-norm embeddings usually do better
        unscaled, some CNN activations standardized. The choice and the scores
        are in ``recipe_``.
    max_epochs : int, default=100
        Most passes over the training data. The learning-rate schedule is planned
        over them; with early stopping, training usually ends sooner.
    batch_size : int or 'auto', default='auto'
        Rows per mini-batch. 'auto' is a tenth of the training rows, clipped to
        [32, 256], so that an epoch has at least 10 steps from 320 rows on and
        small data sets train as many steps per epoch as large ones need. A final
        batch of one row joins the previous batch.
    lr : float, default=1e-3
        AdamW learning rate of the network (the reference code's).
    weight_decay : float, default=1e-4
        AdamW weight decay of the network.
    early_stopping : bool or 'auto', default='auto'
        Hold out ``validation_fraction`` of the training set (stratified when
        every class allows it, else with every class kept in training) and score
        the network on it before training (epoch 0) and after every epoch, by
        accuracy with cross-entropy to break ties; the regularizers take no
        part. After ``n_iter_no_change`` epochs without improvement the learning
        rate is divided by 10; after as many more, training ends. The epoch kept
        is the start unless a trained epoch beats the start's validation
        accuracy by more than two standard errors of the difference (McNemar's
        test) with no higher validation cross-entropy (then the most accurate
        such epoch): a gain within the split's noise never replaces the start,
        and when the start is kept and it is the probe (``init='probe'`` with
        ``residual``), the probe is solved again on all the training rows.
        'auto' turns it on from 100 training rows. Without it the learning rate
        follows a cosine to zero over ``max_epochs`` epochs and the last epoch is
        kept.
    validation_fraction : float, default=0.1
        Share of the training set held out when early stopping is on.
    n_iter_no_change : int, default=5
        Epochs without improvement before the learning rate drops, and again
        before training ends.
    tol : float, default=1e-4
        Improvement of the validation accuracy (absolute) or of the validation
        cross-entropy (relative, at equal accuracy) that counts as one.
    device : str, default='auto'
        'auto' (CUDA when available, else CPU), or any torch device string such as
        'cpu', 'cuda', 'cuda:1'.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling, the validation split and the
        folds of ``standardize='auto'``. Fitting does not touch the global numpy
        or torch random state.
    verbose : int, default=0
        0 is silent; 1 shows a progress bar over epochs.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Class labels, in the order of the columns of ``predict_proba``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Feature names seen during fit, when X has string column names.
    recipe_ : dict
        Every setting this fit resolved, in one place: ``standardize`` (its
        ``'auto'`` decided) and ``standardize_scores`` (``{"raw": (accuracy,
        -log-loss), "standardized": (...)}``, the probe's mean cross-validated
        scores when ``standardize='auto'`` compared them, else None); for a
        network also ``early_stopping`` and ``batch_size`` (their ``'auto'``
        decided) and ``residual_scale`` (the start of ``s``: ``residual_init``
        times the RMS of the training features).
    net_ : skorch.NeuralNet
        A skorch net holding the trained torch network (``net_.module_``, which
        standardizes raw input itself): ``net_.predict_proba(X)`` works on raw
        float32 features.
    history_ : skorch.History
        One row per epoch: the training loss and each unweighted term (``ce``,
        ``mse``, ``cov``, ``svd``), the learning rate, and with early stopping
        ``valid_acc`` and ``valid_loss`` (row 0: the network before training,
        that is the probe). Empty for the linear probe.
    n_iter_ : int
        L-BFGS iterations of the probe (``n_layers=0``), or epochs run.
    best_epoch_ : int
        The epoch whose weights the network holds (0: the untrained start, the
        probe itself with ``init='probe'``); equals ``n_iter_`` without early
        stopping, and 0 for the linear probe.
    device_ : str
        Device the network lives on.

    See Also
    --------
    NMTuneClassifierCV : Choose among LP, MLP tuning and NMTune by cross-validation.
    sklearn.linear_model.LogisticRegression : The classical linear probe.
    sklearn.neural_network.MLPClassifier : An MLP without NMTune's regularizers.

    Notes
    -----
    ``sample_weight`` weights each row's cross-entropy. For the probe it acts as
    in ``LogisticRegression`` (a weight of 0 is a row left out, a weight of 2 a
    duplicated row, and scaling all weights scales ``C``); it also weights the
    standardization statistics, as in ``StandardScaler``. A network divides the
    weights by their mean; the regularizers describe whole batches and are not
    weighted, the batch statistics of ``BatchNorm1d`` are not either, and the
    stochastic batches make a weight of 2 only on average a duplicated row.
    Validation accuracy and cross-entropy under early stopping are weighted.

    Prediction computes in the dtype of X: float32 input runs the float32
    network as it is; float64 input runs it in float64, so that a row's
    prediction does not depend on the rows predicted with it. The class scores
    skip one product: the last layer of ``g`` and the head are both linear, so
    they are applied as one ``hidden -> classes`` map (the same scores up to
    float rounding); ``transform`` computes ``z`` in full.

    References
    ----------
    H. Chen et al., "Understanding and Mitigating the Label Noise in Pre-training on
    Downstream Tasks", ICLR 2024, `arXiv:2309.17002
    <https://arxiv.org/abs/2309.17002>`_.

    A. Kumar et al., "Fine-Tuning can Distort Pretrained Features and Underperform
    Out-of-Distribution", ICLR 2022, `arXiv:2202.10054
    <https://arxiv.org/abs/2202.10054>`_.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknml import NMTuneClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = NMTuneClassifier(random_state=0).fit(X[:1200], y[:1200])
    >>> clf.score(X[1200:], y[1200:]) > 0.9
    True
    >>> clf.transform(X[:5]).shape
    (5, 64)
    """

    _parameter_constraints: dict = {
        "n_layers": [Interval(Integral, 0, None, closed="left")],
        "hidden_ratio": [Interval(Real, 0, None, closed="neither")],
        "activation": [StrOptions({"relu", "gelu", "tanh"}), None],
        "batch_norm": ["boolean"],
        "residual": ["boolean"],
        "residual_init": [Interval(Real, None, None, closed="neither")],
        "init": [StrOptions({"probe", "random"})],
        "lambda_mse": [Interval(Real, 0, None, closed="left")],
        "lambda_cov": [Interval(Real, 0, None, closed="left")],
        "lambda_svd": [Interval(Real, 0, None, closed="left")],
        "svd_top_k": [Interval(Integral, 1, None, closed="left")],
        "scale_invariant": ["boolean"],
        "C": [Interval(Real, 0, None, closed="neither")],
        "standardize": ["boolean", StrOptions({"auto"})],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [
            Interval(Integral, 1, None, closed="left"),
            StrOptions({"auto"}),
        ],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "early_stopping": ["boolean", StrOptions({"auto"})],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        *,
        n_layers: int = 2,
        hidden_ratio: float = 4.0,
        activation: str | None = "relu",
        batch_norm: bool = True,
        residual: bool = True,
        residual_init: float = 1.0,
        init: str = "probe",
        lambda_mse: float = 0.1,
        lambda_cov: float = 0.03,
        lambda_svd: float = 1.0,
        svd_top_k: int = 5,
        scale_invariant: bool = True,
        C: float = 1.0,
        standardize: bool | str = "auto",
        max_epochs: int = 100,
        batch_size: int | str = "auto",
        lr: float = 1e-3,
        weight_decay: float = 1e-4,
        early_stopping: bool | str = "auto",
        validation_fraction: float = 0.1,
        n_iter_no_change: int = 5,
        tol: float = 1e-4,
        device: str | torch.device = "auto",
        random_state: int | np.random.RandomState | None = None,
        verbose: int = 0,
    ):
        self.n_layers = n_layers
        self.hidden_ratio = hidden_ratio
        self.activation = activation
        self.batch_norm = batch_norm
        self.residual = residual
        self.residual_init = residual_init
        self.init = init
        self.lambda_mse = lambda_mse
        self.lambda_cov = lambda_cov
        self.lambda_svd = lambda_svd
        self.svd_top_k = svd_top_k
        self.scale_invariant = scale_invariant
        self.C = C
        self.standardize = standardize
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.weight_decay = weight_decay
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.device = device
        self.random_state = random_state
        self.verbose = verbose

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None):
        """Fit the probe, then (with ``n_layers>0``) train the network from it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Frozen features. float32 input is used without a copy unless it is
            standardized.
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of each sample's cross-entropy (see Notes).

        Returns
        -------
        self : NMTuneClassifier
            The fitted estimator.
        """
        forget_fit(self)
        X, y = validate_data(self, X, y, dtype=(np.float32, np.float64))
        check_float32_range(X)
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                "NMTuneClassifier needs samples of at least 2 classes in y; got 1 "
                f"class: {self.classes_[0]!r}."
            )
        if sample_weight is not None:
            sample_weight = _check_sample_weight(
                sample_weight, X, ensure_non_negative=True
            )
            if not sample_weight.sum() > 0:
                raise ValueError("sample_weight must not be all zero.")
        self._warn_inactive_parameters()
        device = resolve_device(self.device)
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        try:
            with torch.random.fork_rng(
                devices=[device] if device.type == "cuda" else []
            ):
                torch.manual_seed(seed)
                self._fit(X, y_index, sample_weight, device, seed)
        except BaseException:
            forget_fit(self)
            raise
        return self

    def _warn_inactive_parameters(self):
        """Warn about parameters set away from their default that cannot act."""
        defaults = type(self)().get_params()
        inactive = []
        if self.n_layers == 0:
            inactive = list(NETWORK_PARAMETERS)
        else:
            if not self.residual:
                inactive.append("residual_init")
            if self.lambda_svd == 0:
                inactive.append("svd_top_k")
            if self.lambda_mse == self.lambda_cov == 0:
                inactive.append("scale_invariant")
            if self.early_stopping is False:
                inactive += ["validation_fraction", "n_iter_no_change", "tol"]
        changed = [name for name in inactive if getattr(self, name) != defaults[name]]
        if changed:
            why = (
                "n_layers=0 fits the linear probe by L-BFGS, with no network"
                if self.n_layers == 0
                else "of the other settings (residual, lambda_*, early_stopping)"
            )
            warnings.warn(
                f"{', '.join(changed)} cannot act here because {why}; "
                "the value(s) set are ignored.",
                UserWarning,
                stacklevel=3,
            )

    def _fit(self, X, y_index, sample_weight, device, seed):
        """Resolve the recipe, fit the probe and train the network on ``device``."""
        self.device_ = str(device)
        self._resolve_recipe(X, y_index, sample_weight, device, seed)
        if self.recipe_["standardize"]:
            mean, scale = _column_scaling(X, sample_weight)
            X = _standardized(X, mean, scale)
        else:
            mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
        X = as_float32_tensor(X)
        y = torch.as_tensor(y_index)
        weight = None if sample_weight is None else torch.as_tensor(sample_weight)
        network = self._build_network(X.shape[1])
        network.standardize.mean.copy_(torch.from_numpy(mean))
        network.standardize.scale.copy_(torch.from_numpy(scale))
        if self.n_layers == 0:
            self.n_iter_ = self._init_head(network, X, y, weight, device)
            self.best_epoch_ = 0
            history = History()
            network.to(device).eval()
        else:
            history = self._train(network, X, y, weight, device, seed)
        self.net_ = self._as_skorch_net(network, history)
        self.history_ = self.net_.history

    def _resolve_recipe(self, X, y_index, sample_weight, device, seed):
        """Decide every ``'auto'`` for this fit and store the result in ``recipe_``.

        ``standardize='auto'``: the probe with and without standardization,
        compared by cross-validation (class docstring). For networks,
        ``early_stopping='auto'``: on from ``_AUTO_EARLY_STOPPING_MIN_ROWS`` rows
        (when some class has two rows to split); ``batch_size='auto'``: a tenth
        of the training rows, clipped to [32, 256]. :meth:`_train` adds the
        start of the residual scale.
        """
        recipe = {"standardize": self.standardize, "standardize_scores": None}
        if self.standardize == "auto":
            scores = self._probe_cv_scores(X, y_index, sample_weight, device, seed)
            recipe["standardize_scores"] = scores
            recipe["standardize"] = scores is not None and (
                scores["standardized"][0] > scores["raw"][0] + _AUTO_STANDARDIZE_MARGIN
            )
        self.recipe_ = recipe
        if self.n_layers == 0:
            return
        early_stopping = self.early_stopping
        if early_stopping == "auto":
            early_stopping = (
                len(X) >= _AUTO_EARLY_STOPPING_MIN_ROWS
                and np.bincount(y_index).max() >= 2
            )
        recipe["early_stopping"] = bool(early_stopping)
        n_train = len(X)
        if recipe["early_stopping"]:
            n_train -= int(np.ceil(self.validation_fraction * len(X)))
        recipe["batch_size"] = (
            int(min(256, max(32, n_train // _AUTO_BATCHES_PER_EPOCH)))
            if self.batch_size == "auto"
            else self.batch_size
        )

    def _probe_cv_scores(self, X, y_index, sample_weight, device, seed):
        """Mean CV ``(accuracy, -log-loss)`` of the probe on raw and standardized X.

        None when a class has too few rows for the folds.
        """
        rng = np.random.RandomState(seed)
        rows = np.arange(len(X))
        if len(rows) > _AUTO_STANDARDIZE_MAX_ROWS:
            rows = np.sort(rng.choice(rows, _AUTO_STANDARDIZE_MAX_ROWS, replace=False))
        if np.bincount(y_index[rows]).min() < _AUTO_STANDARDIZE_FOLDS:
            return None
        folds = StratifiedKFold(
            _AUTO_STANDARDIZE_FOLDS, shuffle=True, random_state=seed
        )
        weight = np.ones(len(X)) if sample_weight is None else sample_weight
        sums = {"raw": np.zeros(2), "standardized": np.zeros(2)}
        n_classes = len(self.classes_)
        for train, test in folds.split(rows, y_index[rows]):
            train, test = rows[train], rows[test]
            raw = X[train], X[test]
            mean, scale = _column_scaling(raw[0], weight[train])
            splits = {
                "raw": raw,
                "standardized": tuple(_standardized(part, mean, scale) for part in raw),
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
                        C=self.C,
                        sample_weight=torch.as_tensor(weight[train]),
                        device=device,
                    )
                logits = as_float32_tensor(X_test) @ coef.T + intercept
                truth = torch.as_tensor(y_index[test])
                w = torch.as_tensor(weight[test], dtype=torch.float32)
                accuracy = float((w * (logits.argmax(1) == truth)).sum() / w.sum())
                ce = torch.nn.functional.cross_entropy(logits, truth, reduction="none")
                sums[name] += [accuracy, -float((w * ce).sum() / w.sum())]
        return {
            name: tuple(float(v) for v in total / _AUTO_STANDARDIZE_FOLDS)
            for name, total in sums.items()
        }

    def _build_network(self, n_features):
        """The untrained network for ``n_features`` inputs (shapes only)."""
        return NMTuneNetwork(
            n_features=n_features,
            n_classes=len(self.classes_),
            n_layers=self.n_layers,
            hidden_ratio=self.hidden_ratio,
            activation=self.activation,
            batch_norm=self.batch_norm,
            residual=self.residual,
        )

    def _init_head(self, network, X, y, weight, device):
        """Set the head to the solved probe on ``X``; return its L-BFGS iterations."""
        coef, intercept, n_iter = fit_probe(
            X, y, len(self.classes_), C=self.C, sample_weight=weight, device=device
        )
        with torch.no_grad():
            network.head.weight.copy_(coef)
            network.head.bias.copy_(intercept)
        return n_iter

    def _train(self, network, X, y, weight, device, seed):
        """Start ``network`` at the probe (``init='probe'``) and train it."""
        train = np.arange(len(X))
        valid = None
        if self.recipe_["early_stopping"]:
            train, valid = validation_split(y.numpy(), self.validation_fraction, seed)
        self._check_batches(len(train))
        train, valid = (
            None if rows is None else torch.from_numpy(rows) for rows in (train, valid)
        )
        split = [
            (
                place_rows(X[rows], device),
                y[rows].to(device),
                None if weight is None else weight[rows],
            )
            for rows in (train, valid)
            if rows is not None
        ]
        if self.init == "probe":
            train_weight = None if weight is None else weight[train]
            self._init_head(network, X[train], y[train], train_weight, device)
            if self.residual:
                last = network.tuner[-1]
                with torch.no_grad():
                    last.weight.zero_()
                    last.bias.zero_()
        rms = float(split[0][0].square().mean().sqrt()) if len(train) else 1.0
        self.recipe_["residual_scale"] = self.residual_init * rms
        if network.residual_scale is not None:
            with torch.no_grad():
                network.residual_scale.fill_(self.recipe_["residual_scale"])
        network.to(device)
        # A network's weights average to one over its training rows.
        train_rows = [
            (X_, y_, None if w is None else (w / w.mean()).to(device, torch.float32))
            for X_, y_, w in split
        ]
        criterion = NMTuneLoss(
            lambda_mse=self.lambda_mse,
            lambda_cov=self.lambda_cov,
            lambda_svd=self.lambda_svd,
            svd_top_k=self.svd_top_k,
            scale_invariant=self.scale_invariant,
        )
        history, self.best_epoch_ = train_network(
            network,
            criterion,
            train_rows[0],
            train_rows[1] if len(train_rows) > 1 else None,
            max_epochs=self.max_epochs,
            batch_size=self.recipe_["batch_size"],
            lr=self.lr,
            weight_decay=self.weight_decay,
            n_iter_no_change=self.n_iter_no_change,
            tol=self.tol,
            seed=seed,
            verbose=self.verbose,
        )
        self.n_iter_ = int(history[-1]["epoch"])
        if self.best_epoch_ == 0 and self.init == "probe" and self.residual:
            # The start won: it is the probe, solved again on every row.
            self._init_head(network, X, y, weight, device)
        return history

    def _check_batches(self, n_train):
        smallest = min(self.recipe_["batch_size"], n_train)
        if self.batch_norm and self.n_layers > 1 and smallest < 2:
            raise ValueError(
                f"Training batches of {smallest} row cannot train the BatchNorm1d "
                "layers (batch_norm=True needs at least 2 rows per batch); use "
                "batch_size >= 2 and more training samples, or batch_norm=False."
            )

    def _as_skorch_net(self, network, history):
        """A skorch net around the trained ``network``, ready to predict."""
        net = NeuralNet(
            module=network,
            criterion=torch.nn.CrossEntropyLoss,
            device=self.device_,
            train_split=None,
            verbose=0,
        )
        net.initialize()
        net.history = history
        return net

    def _forward(self, X, output, finish=None):
        """Network output ``output`` (0: logits, 1: z) for X as an ndarray.

        Chunk by chunk, each chunk passed through ``finish`` (e.g. softmax) while
        it is in cache. Computed in X's dtype: float32 X runs the network as it
        is, float64 X a float64 view of its weights (float32 matrix products round
        differently with the number of rows, so a row's prediction would depend on
        the rows predicted with it).
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float32, np.float64), reset=False)
        check_float32_range(X)
        module = self.net_.module_
        dtype = torch.float64 if X.dtype == np.float64 else torch.float32
        state = None
        if dtype == torch.float64:
            state = {
                name: value.to(dtype) if value.is_floating_point() else value
                for name, value in module.state_dict().items()
            }
        results = []
        with torch.inference_mode():
            for rows in gen_batches(len(X), _CHUNK_ROWS):
                chunk = as_tensor(X[rows]).to(self.device_)
                # Logits (output 0) through the composed head, z in full.
                args, kwargs = (chunk,), {"logits_only": output == 0}
                if state is None:
                    values = module(*args, **kwargs)
                else:
                    values = torch.func.functional_call(module, state, args, kwargs)
                if output:
                    values = values[output]
                results.append((values if finish is None else finish(values)).cpu())
        return torch.cat(results).numpy()

    def decision_function(self, X):
        """Class scores (logits) of the head.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        scores : ndarray of shape (n_samples, n_classes) or (n_samples,)
            Logits; for two classes, the logit difference of the second class
            over the first (positive means ``classes_[1]``).
        """
        logits = self._forward(X, 0)
        if len(self.classes_) == 2:
            logits = logits[:, 1] - logits[:, 0]
        return logits

    def predict_log_proba(self, X):
        """Log of the class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return self._forward(X, 0, partial(torch.log_softmax, dim=1))

    def predict_proba(self, X):
        """Class probabilities.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        return self._forward(X, 0, partial(torch.softmax, dim=1))

    def predict(self, X):
        """Predicted class labels.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        indices = self._forward(X, 0, partial(torch.argmax, dim=1))
        return self.classes_[indices]

    def transform(self, X):
        """The tuned features ``z`` the head classifies.

        With ``n_layers=0`` these are the (standardized) input features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features)
            Tuned features, in the dtype of X (float32 or float64).
        """
        return self._forward(X, 1)

    def fit_transform(self, X, y, **fit_params):
        """Fit, then return the tuned features of the training data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.
        y : array-like of shape (n_samples,)
            Class labels.
        **fit_params : dict
            Passed to :meth:`fit` (``sample_weight``).

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features)
            Tuned features.
        """
        return self.fit(X, y, **fit_params).transform(X)

    @property
    def _n_features_out(self):
        return self.n_features_in_

    def _get_model_state(self):
        """The fitted state as arrays and plain values, for model files.

        The network is its ``state_dict`` (moved to the CPU) and the training
        record a list of dicts; :meth:`_set_model_state` rebuilds both from the
        estimator's parameters and the shapes alone.
        """
        state = {k: v for k, v in vars(self).items() if k.endswith("_")}
        if "net_" in state:
            del state["net_"], state["history_"]
            state["device_"] = "cpu"
            state["network_state"] = {
                key: value.detach().cpu().numpy()
                for key, value in self.net_.module_.state_dict().items()
            }
            state["history"] = list(self.history_)
        return state

    def _set_model_state(self, state):
        """Restore what :meth:`_get_model_state` gave, the network on the CPU."""
        state = dict(state)
        network_state = state.pop("network_state", None)
        history = state.pop("history", None)
        vars(self).update(state)
        if network_state is not None:
            network = self._build_network(self.n_features_in_)
            network.load_state_dict(
                {
                    key: torch.from_numpy(np.array(value))
                    for key, value in network_state.items()
                }
            )
            self.net_ = self._as_skorch_net(network.eval(), History(history))
            self.history_ = self.net_.history

    def __setstate__(self, state):
        super().__setstate__(state)
        # skorch maps a CUDA-trained net onto the CPU when CUDA is missing.
        if hasattr(self, "net_"):
            self.device_ = str(self.net_.device)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags = TransformerTags(preserves_dtype=["float64", "float32"])
        return tags
