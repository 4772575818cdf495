"""NMTuneClassifier: the linear probe, MLP tuning and NMTune on frozen features.

The estimator is the public API and a thin ``fit`` that assigns every fitted
attribute; the work is done by one module each:

- :mod:`sknml._recipe` resolves every ``'auto'`` into one frozen recipe, and says
  which parameters cannot act;
- :mod:`sknml._probe` solves the linear probe (``n_layers=0``), L2 logistic
  regression as ``LogisticRegression`` solves it;
- :mod:`sknml._training` starts a network (``n_layers>0``) at that probe and
  trains it through skorch: ``net_`` is an :class:`~sknml.NMTuneNet`, a skorch
  net whose ``get_loss`` adds NMTune's regularizers to the cross-entropy and whose
  callbacks hold the recipe's rules (:mod:`sknml._callbacks`); users add their own
  skorch callbacks with ``callbacks`` and continue training with
  :meth:`NMTuneClassifier.partial_fit`;
- :mod:`sknml._network` is the torch network, owning its start and its chunked
  inference.
"""

import dataclasses
from contextlib import contextmanager
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.metaestimators import available_if
from skorch.history import History

from sknml._base import _NMTuneBase
from sknml._device import resolve_device
from sknml._recipe import Recipe as _Recipe
from sknml._recipe import resolve_recipe, warn_inactive_parameters
from sknml._training import (
    build_network,
    continue_training,
    fit_network,
    make_net,
)
from sknml._validation import forget_fit


def _trains_a_network(estimator):
    """Whether ``partial_fit`` applies: only a network trains by epochs."""
    return estimator.n_layers != 0


# Frames above the warning function up to the user's line: fit, then
# scikit-learn's _fit_context wrapper.
_USER_FRAME = 3


class NMTuneClassifier(_NMTuneBase):
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
    keep_start : bool, default=True
        With early stopping, keep the start (the probe, with ``init='probe'``)
        unless a trained epoch beats it by more than chance, as described under
        ``early_stopping``. False keeps the most accurate trained epoch on the
        validation rows (ties: the lower cross-entropy) whether or not it beats
        the start, as plain early stopping does: what the network learned, for
        comparing methods where every network would otherwise return to the
        probe.
    callbacks : list of skorch callbacks or None, default=None
        skorch callbacks (instances, or ``(name, callback)`` pairs) run after
        the built-in ones in every epoch of a network's training: skorch's
        ``EpochScoring``, ``Checkpoint``, ``GradientNormClipping``, its
        TensorBoard, MLflow or Weights & Biases loggers, or your own. They are
        copied at each fit; the copies that ran are in ``net_.callbacks_``. A
        callback can end training by raising ``KeyboardInterrupt`` at the end of
        an epoch, as skorch's ``EarlyStopping`` does.
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
        Every setting this fit resolved, in one place: ``device``,
        ``standardize`` (its ``'auto'`` decided) and ``standardize_scores``
        (``{"raw": (accuracy, -log-loss), "standardized": (...)}``, the probe's
        mean cross-validated scores when ``standardize='auto'`` compared them,
        else None); for a network also ``early_stopping`` and ``batch_size``
        (their ``'auto'`` decided) and ``residual_scale`` (the start of ``s``:
        ``residual_init`` times the RMS of the training features).
    net_ : NMTuneNet
        The skorch net that trained the network and holds it (``net_.module_``,
        which standardizes raw input itself): ``net_.criterion_`` is the
        objective that trained it, ``net_.predict_proba(X)`` works on raw
        float32 features and ``net_.callbacks_`` holds the callbacks that ran.
        For the linear probe, an initialized net holding the solved probe.
    history_ : skorch.History
        ``net_.history``: one row per epoch trained, with the training loss and
        each unweighted term (``ce``, ``mse``, ``cov``, ``svd``), the learning
        rate ``lr``, the duration ``dur`` and, with early stopping,
        ``valid_loss`` (cross-entropy), ``valid_acc`` and ``valid_improved``.
        Empty for the linear probe.
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
    NMTuneNet : The skorch net that trains the network, usable on its own module.
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
        "keep_start": ["boolean"],
        "callbacks": [list, None],
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
        keep_start: bool = True,
        callbacks: list | None = None,
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
        self.keep_start = keep_start
        self.callbacks = callbacks
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
        X, y, sample_weight = self._check_fit_input(X, y, sample_weight, reset=True)
        classes, y_index = np.unique(y, return_inverse=True)
        self._check_classes(classes)
        params = self.get_params()
        try:
            with self._seeded() as seed:
                recipe = resolve_recipe(params, X, y_index, sample_weight, seed)
                warn_inactive_parameters(
                    self,
                    _USER_FRAME,
                    early_stopping=recipe.early_stopping,
                    batch_size=recipe.batch_size,
                    n_features=X.shape[1],
                )
                net, n_iter, best_epoch = fit_network(
                    params, recipe, X, y_index, sample_weight, len(classes), seed
                )
        except BaseException:
            forget_fit(self)
            raise
        self.classes_ = classes
        self.recipe_ = dataclasses.asdict(recipe)
        self.device_ = recipe.device
        self.net_ = net
        self.history_ = net.history
        self.n_iter_ = n_iter
        self.best_epoch_ = best_epoch
        return self

    @available_if(_trains_a_network)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, classes=None, sample_weight=None):
        """Train the network one more epoch on ``(X, y)``.

        scikit-learn's incremental learning: each call is one epoch over the
        rows given, at the constant learning rate ``lr``, and keeps its result
        (no validation split, no warm-up). The first call on an unfitted
        estimator fixes the classes and starts the network at the probe solved
        on its rows, with the standardization decided on them; a fitted
        estimator continues from where ``fit`` or the last call left it. Only
        networks have it: the linear probe (``n_layers=0``) is solved in one step
        by ``fit``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Frozen features.
        y : array-like of shape (n_samples,)
            Class labels, among ``classes``.
        classes : array-like of shape (n_classes,), default=None
            Every class of all the calls, for a first call whose ``y`` does not
            hold them all (None: the classes of ``y``); ignored later.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of each sample's cross-entropy.

        Returns
        -------
        self : NMTuneClassifier
            The updated estimator.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sknml import NMTuneClassifier
        >>> X, y = load_digits(return_X_y=True)
        >>> clf = NMTuneClassifier(max_epochs=2, random_state=0).fit(X, y)
        >>> clf.partial_fit(X, y).n_iter_
        3
        """
        first = not hasattr(self, "net_")
        X, y, sample_weight = self._check_fit_input(X, y, sample_weight, reset=first)
        if first:
            classes = np.unique(y if classes is None else classes)
            self._check_classes(classes)
        else:
            classes = self.classes_
        unknown = np.setdiff1d(y, classes)
        if len(unknown):
            raise ValueError(
                f"y holds the labels {unknown.tolist()}, which are not among the "
                f"classes {classes.tolist()} fixed by the first call of "
                "partial_fit; give every class there with classes=."
            )
        y_index = np.searchsorted(classes, y)
        params = {**self.get_params(), "early_stopping": False, "max_epochs": 1}
        try:
            with self._seeded() as seed:
                if first:
                    recipe = resolve_recipe(params, X, y_index, sample_weight, seed)
                    net, _, _ = fit_network(
                        params,
                        recipe,
                        X,
                        y_index,
                        sample_weight,
                        len(classes),
                        seed,
                        constant_lr=True,
                    )
                else:
                    net = continue_training(self.net_, X, y_index, sample_weight)
        except BaseException:
            forget_fit(self)
            raise
        if first:
            self.classes_ = classes
            self.recipe_ = dataclasses.asdict(recipe)
            self.device_ = recipe.device
        self.net_ = net
        self.history_ = net.history
        self.n_iter_ = len(net.history)
        self.best_epoch_ = self.n_iter_
        return self

    @contextmanager
    def _seeded(self):
        """A seed from ``random_state``, torch's global RNG seeded and restored.

        Fitting does not touch the global numpy or torch random state.
        """
        device = resolve_device(self.device)
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            yield seed

    def _network(self):
        return self.net_.module_

    def _get_model_state(self):
        """The fitted state as arrays and plain values, for model files.

        The net's module is its ``state_dict`` (moved to the CPU) and the net's
        history a list of dicts; :meth:`_set_model_state` rebuilds the net from
        the estimator's parameters, the recipe and the shapes alone.
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
            params = self.get_params()
            network = build_network(params, self.n_features_in_, len(self.classes_))
            network.load_state_dict(
                {
                    key: torch.from_numpy(np.array(value))
                    for key, value in network_state.items()
                }
            )
            recipe = _Recipe(**{**self.recipe_, "device": "cpu"})
            self.net_ = make_net(network.eval(), params, recipe)
            self.net_.history = History(history)
            self.history_ = self.net_.history

    def __setstate__(self, state):
        super().__setstate__(state)
        # skorch maps a CUDA-trained net onto the CPU when CUDA is missing.
        if hasattr(self, "net_"):
            self.device_ = str(self.net_.device)
