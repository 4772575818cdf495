"""NMTuneClassifier: a scikit-learn classifier trained by skorch on frozen features."""

import copy
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
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils._tags import TransformerTags
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import (
    _check_sample_weight,
    check_is_fitted,
    validate_data,
)
from skorch.callbacks import LRScheduler

from sknml._data import (
    BatchIterator,
    TensorDataset,
    as_float32_tensor,
    batch_bounds,
)
from sknml._device import resolve_device
from sknml._losses import NMTuneLoss
from sknml._net import _EarlyStopping, _EpochProgress, _Net
from sknml._network import NMTuneNetwork

# Rows per forward pass at predict/transform time: bounds the activations held.
_PREDICT_CHUNK = 4096
# Rows per float64 chunk when accumulating column statistics.
_STATS_CHUNK = 8192
# early_stopping='auto' holds out a validation split from this many rows on.
_AUTO_EARLY_STOPPING_MIN_ROWS = 500
# standardize='auto' leaves rows alone when their norms are 1 to this tolerance.
_UNIT_NORM_RTOL = 0.01


def _forget_fit(estimator):
    """Remove every fitted attribute, as before the first fit.

    A fit that fails or is interrupted calls this, so that no half-fitted model
    passes ``check_is_fitted``.
    """
    for name in [key for key in vars(estimator) if key.endswith("_")]:
        delattr(estimator, name)


def _check_float32_range(X):
    """Raise if X holds values that become infinite in float32."""
    limit = np.finfo(np.float32).max
    if X.dtype != np.float32 and X.size and max(X.max(), -X.min()) > limit:
        raise ValueError(
            f"X contains values of magnitude up to {max(X.max(), -X.min()):.3g}, "
            f"beyond the float32 range ({limit:.3g}) the network computes in; "
            "rescale X."
        )


def _column_scaling(X):
    """Column means and scales of X, accumulated in float64 chunk by chunk.

    Constant columns get scale 1, as in ``StandardScaler``.
    """
    mean = X.mean(axis=0, dtype=np.float64)
    sum_squares = np.zeros_like(mean)
    for start in range(0, X.shape[0], _STATS_CHUNK):
        chunk = X[start : start + _STATS_CHUNK].astype(np.float64) - mean
        sum_squares += np.einsum("ij,ij->j", chunk, chunk)
    scale = np.sqrt(sum_squares / X.shape[0])
    constant = scale <= 10 * np.finfo(np.float32).eps * np.abs(mean)
    scale[constant | (scale == 0)] = 1.0
    return mean, scale


def _rows_are_unit_norm(X):
    """Whether every row of X has L2 norm 1, to ``_UNIT_NORM_RTOL``."""
    return all(
        np.all(
            np.abs(np.linalg.norm(X[start : start + _STATS_CHUNK], axis=1) - 1)
            <= _UNIT_NORM_RTOL
        )
        for start in range(0, X.shape[0], _STATS_CHUNK)
    )


class NMTuneClassifier(
    ClassifierMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Classifier on frozen foundation-model features, tuned with NMTune.

    An MLP ``g`` maps the (standardized) frozen features ``x`` back to their own
    dimension, ``z = g(x)``, and a linear head classifies ``z``. Training minimizes
    cross-entropy plus the three regularizers of Chen et al. (2024):

    ``loss = CE + lambda_mse * L_mse + lambda_cov * L_cov + lambda_svd * L_svd``

    - consistency ``L_mse``: mean squared error between ``z / ||z||`` and
      ``x / ||x||`` (``x`` carries no gradient);
    - covariance ``L_cov``: squared off-diagonal entries of the batch covariance of
      ``z``, summed and divided by the dimension;
    - dominant singular value ``L_svd``: minus the mean of the ``svd_top_k``
      largest singular values of the batch ``z`` over their sum.

    The baselines are the same estimator: ``n_layers=0`` is the linear probe (LP;
    the regularizers are then constants and skipped), and all ``lambda_*=0`` with
    ``n_layers>0`` is plain MLP tuning. The model is a skorch net trained with
    AdamW and a per-step cosine learning-rate schedule.

    The defaults (the reference code's architecture and weights, early stopping,
    standardization unless the rows are unit-norm) were chosen by
    cross-validation on training data only; see the user guide for the evidence
    and :class:`NMTuneClassifierCV` to choose per data set.

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
        ``z = s * g(x) + x`` with a learnable per-feature scale ``s``.
    residual_init : float or 'auto', default='auto'
        Initial value of every entry of ``s``. 0 (ReZero, Bachlechner et al.,
        2021) starts training from the linear probe on the frozen features and
        lets ``g`` enter only as far as it lowers the loss; 1 is the reference
        code's start. 'auto' is 0 when every training row has unit L2 norm
        (embedding-model output, the test of ``standardize='auto'``) and 1
        otherwise, as cross-validation chose (user guide). The value used is
        stored in ``residual_init_``. Ignored without ``residual`` or with
        ``n_layers=0``.
    lambda_mse : float, default=1.0
        Weight of the consistency term.
    lambda_cov : float, default=0.04
        Weight of the covariance term.
    lambda_svd : float, default=0.001
        Weight of the dominant singular value term.
    svd_top_k : int, default=5
        Dominant singular values averaged in ``L_svd`` (the paper's text uses 1, its
        code 5). A batch has at most ``min(batch rows, n_features)`` singular
        values; when ``svd_top_k`` exceeds that, all of them are averaged (the
        term is then constant).
    standardize : bool or 'auto', default='auto'
        Standardize each input feature with statistics of the training set, stored
        in the network. 'auto' standardizes unless every training row has unit L2
        norm (within 1%), as the output of embedding models (sentence encoders,
        CLIP, embedding APIs) has: standardizing such rows scales their many weak
        directions up to the strong ones, and the linear probe then trails
        :class:`~sklearn.linear_model.LogisticRegression` by 1-8 points, while
        raw CNN activations need it (measured in the user guide). The choice made
        is stored in ``standardize_``.
    max_epochs : int, default=100
        Most passes over the training data; with early stopping, training
        usually ends far sooner.
    batch_size : int, default=256
        Rows per mini-batch. A final batch of one row joins the previous batch.
    lr : float or 'auto', default='auto'
        AdamW learning rate of ``g`` and ``s`` (and of the head, unless
        ``head_lr`` says otherwise). 'auto' is 1e-2 for the linear probe; with
        an MLP it is 3e-4 when every training row has unit L2 norm
        (embedding-model output, the test of ``standardize='auto'``) and 1e-3
        otherwise (the reference recipe), as cross-validation chose on sentence
        embeddings and CNN activations (user guide). The value used is stored in
        ``lr_``.
    head_lr : float or 'auto', default='auto'
        AdamW learning rate of the linear head. 'auto' is ``10 * lr_`` for an
        MLP on unit-norm rows (their coordinates are about ``1 / sqrt(D)``, so
        the head needs weights far larger than ``g``'s, and Adam moves each
        weight by about the learning rate per step), and ``lr_`` otherwise, as
        cross-validation chose (user guide). The value used is stored in
        ``head_lr_``.
    weight_decay : float or 'auto', default='auto'
        AdamW weight decay; 'auto' is 0 for the linear probe and 1e-4 with an MLP.
    early_stopping : bool or 'auto', default='auto'
        Hold out a stratified ``validation_fraction`` of the training set and stop
        when the validation loss has not improved by ``tol`` (relative) for
        ``n_iter_no_change`` epochs; the best epoch's weights are kept. 'auto'
        turns it on when the training set has at least 500 rows (so the
        validation split has 50), as in
        :class:`~sklearn.ensemble.HistGradientBoostingClassifier`; smaller sets
        train for ``max_epochs``. The choice made is stored in
        ``early_stopping_``.
    validation_fraction : float, default=0.1
        Share of the training set held out when early stopping is on.
    n_iter_no_change : int, default=5
        Epochs without improvement before stopping early.
    tol : float, default=1e-4
        Relative improvement of the validation loss that counts as one.
    device : str, default='auto'
        'auto' (CUDA when available, else CPU), or any torch device string such as
        'cpu', 'cuda', 'cuda:1'.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialization, shuffling and the validation split. Fitting
        does not touch the global numpy or torch random state.
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
    net_ : skorch.NeuralNet
        The trained skorch net; ``net_.module_`` is the torch network. When it
        was trained on float64 X with ``standardize=True``, it takes float32 X
        minus the training column means: the estimator centers in float64 first.
    history_ : skorch.History
        Per-epoch (and per-batch) training record: losses, durations, learning rate.
    n_iter_ : int
        Epochs run.
    standardize_ : bool
        Whether the input features are standardized (``standardize`` resolved).
    early_stopping_ : bool
        Whether training stopped early on a validation split (``early_stopping``
        resolved).
    lr_ : float
        Learning rate of ``g`` and ``s`` (``lr`` resolved).
    head_lr_ : float
        Learning rate of the head (``head_lr`` resolved).
    weight_decay_ : float
        AdamW weight decay used (``weight_decay`` resolved).
    residual_init_ : float
        Start of the residual scale ``s`` (``residual_init`` resolved).
    device_ : str
        Device the network lives on.

    See Also
    --------
    sklearn.linear_model.LogisticRegression : The classical linear probe.
    sklearn.neural_network.MLPClassifier : An MLP without NMTune's regularizers.

    Notes
    -----
    ``sample_weight`` weights the cross-entropy of each sample (the weights are
    divided by their mean, so scaling them changes nothing); the regularizers
    describe a whole batch and stay unweighted. Because training is stochastic
    mini-batch descent, a weight of 2 is not identical to a duplicated row.

    References
    ----------
    H. Chen et al., "Understanding and Mitigating the Label Noise in Pre-training on
    Downstream Tasks", ICLR 2024, arXiv:2309.17002.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sknml import NMTuneClassifier
    >>> X, y = load_digits(return_X_y=True)
    >>> clf = NMTuneClassifier(random_state=0).fit(X[:1200], y[:1200])
    >>> clf.score(X[1200:], y[1200:]) > 0.85
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
        "residual_init": [Real, StrOptions({"auto"})],
        "lambda_mse": [Interval(Real, 0, None, closed="left")],
        "lambda_cov": [Interval(Real, 0, None, closed="left")],
        "lambda_svd": [Interval(Real, 0, None, closed="left")],
        "svd_top_k": [Interval(Integral, 1, None, closed="left")],
        "standardize": ["boolean", StrOptions({"auto"})],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "lr": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "head_lr": [StrOptions({"auto"}), Interval(Real, 0, None, closed="neither")],
        "weight_decay": [StrOptions({"auto"}), Interval(Real, 0, None, closed="left")],
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
        residual_init: float | str = "auto",
        lambda_mse: float = 1.0,
        lambda_cov: float = 0.04,
        lambda_svd: float = 0.001,
        svd_top_k: int = 5,
        standardize: bool | str = "auto",
        max_epochs: int = 100,
        batch_size: int = 256,
        lr: float | str = "auto",
        head_lr: float | str = "auto",
        weight_decay: float | str = "auto",
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
        self.lambda_mse = lambda_mse
        self.lambda_cov = lambda_cov
        self.lambda_svd = lambda_svd
        self.svd_top_k = svd_top_k
        self.standardize = standardize
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.lr = lr
        self.head_lr = head_lr
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
        """Train the network on features ``X`` and labels ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Frozen features. float32 input is used without a copy.
        y : array-like of shape (n_samples,)
            Class labels of any type.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weights of each sample's cross-entropy.

        Returns
        -------
        self : NMTuneClassifier
            The fitted estimator.
        """
        self._clear_fit()
        X, y = validate_data(self, X, y, dtype=(np.float32, np.float64))
        _check_float32_range(X)
        check_classification_targets(y)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(
                "NMTuneClassifier needs samples of at least 2 classes in y; got 1 "
                f"class: {self.classes_[0]!r}."
            )
        weight = None
        if sample_weight is not None:
            weight = _check_sample_weight(sample_weight, X, ensure_non_negative=True)
            if not weight.sum() > 0:
                raise ValueError("sample_weight must not be all zero.")
            weight = torch.as_tensor(weight / weight.mean(), dtype=torch.float32)
        self.device_ = str(resolve_device(self.device))
        seed = int(check_random_state(self.random_state).randint(2**31 - 1))

        self._resolve_recipe(X)
        # Float64 input is centered in float64 before the cast to float32: an
        # offset of 1e8 would otherwise round a signal of size 1 away.
        self._input_shift = (
            X.mean(axis=0) if self.standardize_ and X.dtype == np.float64 else None
        )
        X = self._as_float32(X)
        dataset = TensorDataset(
            as_float32_tensor(X), torch.as_tensor(y_index, dtype=torch.long), weight
        )
        n_train = len(dataset)
        self.early_stopping_ = (
            n_train >= _AUTO_EARLY_STOPPING_MIN_ROWS
            if self.early_stopping == "auto"
            else self.early_stopping
        )
        if self.early_stopping_:
            n_train -= int(np.ceil(self.validation_fraction * n_train))
        self._check_batches(n_train)

        devices = [self.device_] if self.device_.startswith("cuda") else []
        try:
            with torch.random.fork_rng(devices=devices):
                torch.manual_seed(seed)
                self.net_ = self._build_net(X, n_train, seed)
                self.net_.fit(dataset, None)
        except BaseException:
            self._clear_fit()
            raise
        self.history_ = self.net_.history
        self.n_iter_ = len(self.history_)
        return self

    def _clear_fit(self):
        _forget_fit(self)
        self._input_shift = None

    def _as_float32(self, X):
        """X as float32, minus the float64 column means when fit stored them."""
        if self._input_shift is None:
            return np.asarray(X, dtype=np.float32)
        out = np.empty(X.shape, dtype=np.float32)
        for start in range(0, X.shape[0], _STATS_CHUNK):
            rows = slice(start, start + _STATS_CHUNK)
            out[rows] = X[rows] - self._input_shift
        return out

    def _check_batches(self, n_train):
        smallest = min(self.batch_size, n_train)
        if self.batch_norm and self.n_layers > 1 and smallest < 2:
            raise ValueError(
                f"Training batches of {smallest} row cannot train the BatchNorm1d "
                "layers (batch_norm=True needs at least 2 rows per batch); use "
                "batch_size >= 2 and more training samples, or batch_norm=False."
            )

    def _resolve_recipe(self, X):
        """Resolve the 'auto' parameters for this network and the rows of X.

        Sets ``standardize_``, ``lr_``, ``head_lr_``, ``residual_init_`` and
        ``weight_decay_``: the embedding recipe on unit-norm rows, else the
        reference code's (user guide, "How the defaults were chosen").
        """
        auto = {
            name
            for name in ("standardize", "lr", "head_lr", "residual_init")
            if getattr(self, name) == "auto"
        }
        unit_norm = bool(auto) and _rows_are_unit_norm(X)
        network = self.n_layers > 0

        def resolved(name, auto_value):
            return auto_value if name in auto else getattr(self, name)

        self.standardize_ = resolved("standardize", not unit_norm)
        auto_lr = (3e-4 if unit_norm else 1e-3) if network else 1e-2
        self.lr_ = float(resolved("lr", auto_lr))
        head_factor = 10.0 if unit_norm and network else 1.0
        self.head_lr_ = float(resolved("head_lr", head_factor * self.lr_))
        self.residual_init_ = float(resolved("residual_init", not unit_norm))
        self.weight_decay_ = float(
            (1e-4 if network else 0.0)
            if self.weight_decay == "auto"
            else self.weight_decay
        )

    def _build_net(self, X, n_train, seed):
        """The skorch net for this fit, uninitialized."""
        if self.standardize_:
            mean, scale = _column_scaling(X)
        else:
            mean, scale = np.zeros(X.shape[1]), np.ones(X.shape[1])
        n_batches = len(batch_bounds(n_train, self.batch_size))
        callbacks = [
            (
                "lr_schedule",
                LRScheduler(
                    policy=torch.optim.lr_scheduler.CosineAnnealingLR,
                    T_max=self.max_epochs * n_batches,
                    step_every="batch",
                ),
            )
        ]
        if self.early_stopping_:
            callbacks.append(
                (
                    "early_stopping",
                    _EarlyStopping(
                        patience=self.n_iter_no_change,
                        threshold=self.tol,
                        load_best=True,
                    ),
                )
            )
        if self.verbose:
            callbacks.append(("progress", _EpochProgress()))
        return _Net(
            module=NMTuneNetwork,
            module__mean=mean,
            module__scale=scale,
            module__n_classes=len(self.classes_),
            module__n_layers=self.n_layers,
            module__hidden_ratio=self.hidden_ratio,
            module__activation=self.activation,
            module__batch_norm=self.batch_norm,
            module__residual=self.residual,
            module__residual_init=self.residual_init_,
            criterion=NMTuneLoss,
            criterion__lambda_mse=self.lambda_mse,
            criterion__lambda_cov=self.lambda_cov,
            criterion__lambda_svd=self.lambda_svd,
            criterion__svd_top_k=self.svd_top_k,
            optimizer=torch.optim.AdamW,
            lr=self.lr_,
            optimizer__param_groups=[("head.*", {"lr": self.head_lr_})],
            optimizer__weight_decay=self.weight_decay_,
            max_epochs=self.max_epochs,
            batch_size=self.batch_size,
            iterator_train=BatchIterator,
            iterator_train__shuffle=True,
            iterator_train__seed=seed,
            iterator_valid=BatchIterator,
            train_split=(
                partial(
                    TensorDataset.split,
                    validation_fraction=self.validation_fraction,
                    random_state=seed,
                )
                if self.early_stopping_
                else None
            ),
            callbacks=callbacks,
            callbacks__print_log=None,
            predict_nonlinearity=None,
            device=self.device_,
            verbose=0,
        )

    def _forward(self, X, output):
        """Network output ``output`` (0: logits, 1: z) for X, chunk by chunk.

        Inference runs in float64 on a copy of the network: float32 matrix
        products round differently with the number of rows, which would make a
        row's prediction depend on the rows predicted with it.
        """
        check_is_fitted(self)
        X = validate_data(self, X, dtype=(np.float32, np.float64), reset=False)
        _check_float32_range(X)
        module = copy.deepcopy(self.net_.module_).to(torch.float64).eval()
        result = None
        with torch.no_grad():
            for start in range(0, X.shape[0], _PREDICT_CHUNK):
                chunk = self._as_float32(X[start : start + _PREDICT_CHUNK])
                chunk = as_float32_tensor(chunk).to(self.device_, torch.float64)
                values = module(chunk)[output].cpu().numpy()
                if result is None:
                    result = np.empty((X.shape[0], values.shape[1]))
                result[start : start + len(values)] = values
        return result

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
            return logits[:, 1] - logits[:, 0]
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
        logits = torch.from_numpy(self._forward(X, 0))
        return torch.log_softmax(logits, dim=1).numpy()

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
        return np.exp(self.predict_log_proba(X))

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
        indices = self._forward(X, 0).argmax(axis=1)
        return self.classes_[indices]

    def transform(self, X):
        """The tuned features ``z`` the head classifies.

        With ``n_layers=0`` these are the standardized input features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Features.

        Returns
        -------
        Z : ndarray of shape (n_samples, n_features), float32
            Tuned features.
        """
        return self._forward(X, 1).astype(np.float32)

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
        Z : ndarray of shape (n_samples, n_features), float32
            Tuned features.
        """
        return self.fit(X, y, **fit_params).transform(X)

    @property
    def _n_features_out(self):
        return self.n_features_in_

    def __setstate__(self, state):
        super().__setstate__(state)
        # skorch maps a CUDA-trained net onto the CPU when CUDA is missing.
        if hasattr(self, "net_"):
            self.device_ = str(self.net_.device)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags = TransformerTags(preserves_dtype=["float32"])
        return tags
