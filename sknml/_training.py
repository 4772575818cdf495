"""How NMTuneClassifier trains: rows, the probe start, and the NMTuneNet that trains.

A fit standardizes X once, in its own dtype (:func:`prepare_rows`); solves the
linear probe (:mod:`sknml._probe`); builds the network and starts it at that probe
(:meth:`NMTuneNetwork.start_at_probe <sknml._network.NMTuneNetwork.start_at_probe>`,
LP-FT: Kumar et al., ICLR 2022); and trains it through an :class:`~sknml.NMTuneNet`
(:func:`make_net`) whose callbacks hold the recipe's rules: the validation gate that
keeps the start unless a trained epoch beats it, the learning-rate schedule with its
early stopping, the progress bar (:mod:`sknml._callbacks`), then the user's own.
Batches are sliced from tensors already on the device
(:class:`~sknml._data.TensorBatches`).
"""

import copy

import numpy as np
import torch
from skorch.helper import predefined_split

from sknml._callbacks import EpochProgressBar, LRSchedule, ValidationGate
from sknml._data import (
    TensorBatches,
    TensorRows,
    as_float32_tensor,
    column_scaling,
    place_rows,
    standardized,
    validation_split,
)
from sknml._net import NMTuneNet
from sknml._network import NMTuneNetwork
from sknml._probe import fit_probe

# Validation rows per forward pass.
_VALID_BATCH_ROWS = 8192


def prepare_rows(standardize, X, sample_weight):
    """Standardization statistics and the float32 rows the network trains on.

    Returns ``(mean, scale, rows)``: float64 column statistics (zeros and ones
    without standardization) and X standardized in its own dtype, as a float32
    tensor (sharing X's memory when X is float32 and kept as is).
    """
    if not standardize:
        return np.zeros(X.shape[1]), np.ones(X.shape[1]), as_float32_tensor(X)
    mean, scale = column_scaling(X, sample_weight)
    return mean, scale, as_float32_tensor(standardized(X, mean, scale))


def build_network(params, n_features, n_classes):
    """The untrained network of ``params`` for these shapes."""
    return NMTuneNetwork(
        n_features=n_features,
        n_classes=n_classes,
        n_layers=params["n_layers"],
        hidden_ratio=params["hidden_ratio"],
        activation=params["activation"],
        batch_norm=params["batch_norm"],
        residual=params["residual"],
    )


def solve_probe(params, recipe, X, y, weight, n_classes):
    """The probe ``(coef, intercept, n_iter)`` on float32 rows ``X``."""
    return fit_probe(
        X, y, n_classes, C=params["C"], sample_weight=weight, device=recipe.device
    )


def _rows(X, y, weight, device):
    """A :class:`TensorRows` on ``device``, weights scaled to average one."""
    if weight is not None:
        weight = (weight / weight.mean()).to(device, torch.float32)
    return TensorRows(place_rows(X, device), y.to(device), weight)


def make_net(
    network, params, recipe, *, valid=None, callbacks=None, seed=0, constant_lr=False
):
    """The NMTuneNet that trains ``network`` with the recipe's rules.

    Parameters
    ----------
    network : NMTuneNetwork
    params : dict
        The estimator's parameters.
    recipe : Recipe
    valid : TensorRows, default=None
        The validation split of early stopping.
    callbacks : list, default=None
        The user's skorch callbacks, run after the built-in ones.
    seed : int, default=0
        Seed of the batch order.
    constant_lr : bool, default=False
        Train at ``lr`` throughout: no warm-up, no cosine.
    """
    schedule = LRSchedule(
        warmup_share=0.0 if constant_lr else 0.05,
        cosine=valid is None and not constant_lr,
        patience=params["n_iter_no_change"],
    )
    built_in = [("schedule", schedule)]
    if valid is not None:
        built_in.insert(
            0,
            (
                "gate",
                ValidationGate(tol=params["tol"], keep_start=params["keep_start"]),
            ),
        )
    if params["verbose"]:
        built_in.append(("progress", EpochProgressBar()))
    return NMTuneNet(
        network,
        criterion__lambda_mse=params["lambda_mse"],
        criterion__lambda_cov=params["lambda_cov"],
        criterion__lambda_svd=params["lambda_svd"],
        criterion__svd_top_k=params["svd_top_k"],
        criterion__scale_invariant=params["scale_invariant"],
        optimizer__weight_decay=params["weight_decay"],
        lr=params["lr"],
        max_epochs=params["max_epochs"],
        # The probe trains no batches: -1 is skorch's "all rows".
        batch_size=recipe.batch_size or -1,
        iterator_train=TensorBatches,
        iterator_train__shuffle=True,
        iterator_train__generator=torch.Generator().manual_seed(seed),
        iterator_valid=TensorBatches,
        iterator_valid__batch_size=_VALID_BATCH_ROWS,
        train_split=None if valid is None else predefined_split(valid),
        callbacks=built_in + copy.deepcopy(list(callbacks or [])),
        callbacks__valid_acc=None,
        device=recipe.device,
        verbose=0,
    ).initialize()


def _check_batches(params, batch_size, n_train):
    smallest = min(batch_size, n_train)
    if params["batch_norm"] and params["n_layers"] > 1 and smallest < 2:
        raise ValueError(
            f"Training batches of {smallest} row cannot train the BatchNorm1d "
            "layers (batch_norm=True needs at least 2 rows per batch); use "
            "batch_size >= 2 and more training samples, or batch_norm=False."
        )


def fit_network(
    params, recipe, X, y_index, sample_weight, n_classes, seed, constant_lr=False
):
    """Fit the probe, or start a network at it and train it.

    ``constant_lr`` trains at ``lr`` throughout (:func:`make_net`).

    Returns
    -------
    net : NMTuneNet
        Initialized, holding the fitted network; trained unless it is the probe.
    n_iter : int
        L-BFGS iterations of the probe, or epochs trained.
    best_epoch : int
        The epoch the network holds (0: its start).
    """
    device = torch.device(recipe.device)
    mean, scale, X = prepare_rows(recipe.standardize, X, sample_weight)
    y = torch.as_tensor(y_index)
    weight = None if sample_weight is None else torch.as_tensor(sample_weight)
    network = build_network(params, X.shape[1], n_classes)
    network.set_standardization(mean, scale)
    if params["n_layers"] == 0:
        coef, intercept, n_iter = solve_probe(params, recipe, X, y, weight, n_classes)
        network.start_at_probe(coef, intercept)
        return make_net(network, params, recipe), n_iter, 0
    train, valid = np.arange(len(X)), None
    if recipe.early_stopping:
        train, valid = validation_split(y_index, params["validation_fraction"], seed)
    _check_batches(params, recipe.batch_size, len(train))
    train = torch.from_numpy(train)
    if params["init"] == "probe":
        train_weight = None if weight is None else weight[train]
        coef, intercept, _ = solve_probe(
            params, recipe, X[train], y[train], train_weight, n_classes
        )
        network.start_at_probe(coef, intercept)
    network.set_residual_scale(recipe.residual_scale)
    if valid is not None:
        valid = torch.from_numpy(valid)
        valid = _rows(
            X[valid], y[valid], None if weight is None else weight[valid], device
        )
    net = make_net(
        network,
        params,
        recipe,
        valid=valid,
        callbacks=params["callbacks"],
        seed=seed,
        constant_lr=constant_lr,
    )
    rows = _rows(X[train], y[train], None if weight is None else weight[train], device)
    with network.standardized_input():
        net.partial_fit(rows)
    network.eval()
    # The validation rows are not part of the model.
    net.train_split = None
    n_iter = len(net.history)
    best_epoch = n_iter
    if valid is not None:
        best_epoch = dict(net.callbacks_)["gate"].kept_epoch_
    if best_epoch == 0 and params["init"] == "probe" and params["residual"]:
        # The start won: it is the probe, solved again on every row.
        coef, intercept, _ = solve_probe(params, recipe, X, y, weight, n_classes)
        network.start_at_probe(coef, intercept)
    return net, n_iter, best_epoch


def continue_training(net, X, y_index, sample_weight):
    """Train ``net`` one more epoch on these rows, at a constant rate.

    No validation split and no warm-up: the network keeps its last epoch.
    """
    network = net.module_
    X = standardized(
        X,
        network.standardize.mean.cpu().numpy(),
        network.standardize.scale.cpu().numpy(),
    )
    device = torch.device(net.device)
    weight = None if sample_weight is None else torch.as_tensor(sample_weight)
    rows = _rows(as_float32_tensor(X), torch.as_tensor(y_index), weight, device)
    net.set_params(
        train_split=None,
        callbacks__schedule__warmup_share=0.0,
        callbacks__schedule__cosine=False,
    )
    with network.standardized_input():
        net.partial_fit(rows, epochs=1)
    network.eval()
    return net
