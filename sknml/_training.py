"""The mini-batch training loop of NMTune's networks.

A short loop of our own rather than skorch's ``fit``: the networks start at the
solved linear probe, and early stopping must be able to keep that start (epoch 0),
watch validation accuracy with cross-entropy to break ties, and lower the learning
rate on a plateau before it stops; the batches are gathered from tensors already on
the device. The epochs are recorded in a skorch ``History``.

The learning rate warms up linearly over the first 5% of the planned steps
(``max_epochs`` epochs). Without a validation split it then follows a cosine to
zero at the last planned step; with one it stays constant until the validation
score has not improved for ``n_iter_no_change`` epochs, is then divided by 10, and
training ends at the next such plateau.
"""

import math
import time

import torch
import torch.nn.functional as F
from sklearn.utils import gen_batches
from skorch.history import History
from tqdm.auto import tqdm

from sknml._data import batch_bounds, shuffled_batches

_WARMUP_SHARE = 0.05
_PLATEAU_FACTOR = 0.1
# Learning-rate reductions on a plateau before early stopping ends training.
_MAX_REDUCTIONS = 1
# z-score of McNemar's test by which a trained epoch must beat the start.
_GATE = 2.0
# Rows per forward pass when scoring the validation split.
_EVAL_ROWS = 8192


def _diverged(epoch, lr):
    return ValueError(
        f"Training diverged in epoch {epoch}: the network produced non-finite "
        f"values (lr={lr:g}). Lower lr, or rescale X (very large values overflow "
        "float32); standardize=True does that."
    )


class _Validation:
    """Scores of the network on the validation split, and which epoch to keep.

    An epoch *improves* when its (weighted) accuracy beats the best so far by more
    than ``tol``, or equals it with a cross-entropy lower by more than ``tol``
    (relative); improvements drive the patience of early stopping. The epoch
    *kept* is the start (epoch 0) unless a later epoch beats it in McNemar's
    test on the validation rows (:meth:`_beats_start`) *and* has no higher
    validation cross-entropy than the start; among such epochs, the most accurate
    (ties: the lower cross-entropy). A difference within the split's noise never
    replaces the start, which with ``init='probe'`` is the probe, and neither does
    an over-fitted network whose accuracy peaks on a few validation rows while its
    confident errors raise the cross-entropy above the probe's.
    """

    def __init__(self, rows, tol):
        self.X, self.y, self.weight = rows
        self.tol = tol
        self.total = len(self.y) if self.weight is None else float(self.weight.sum())
        self.best = None
        self.start_correct = None
        self.start_loss = None
        self.kept = None
        self.kept_epoch = 0
        self.kept_state = None

    @torch.no_grad()
    def _score(self, network):
        """Per-row correctness, accuracy and cross-entropy on the split."""
        network.eval()
        correct, losses = [], []
        for rows in gen_batches(len(self.X), _EVAL_ROWS):
            logits = network.tuned(self.X[rows].to(self.y.device))[0]
            correct.append((logits.argmax(1) == self.y[rows]).double())
            losses.append(
                F.cross_entropy(logits, self.y[rows], reduction="none").double()
            )
        correct, losses = torch.cat(correct), torch.cat(losses)
        weight = 1.0 if self.weight is None else self.weight.double()
        accuracy = float((weight * correct).sum()) / self.total
        return correct, accuracy, float((weight * losses).sum()) / self.total

    def _beats_start(self, correct):
        """McNemar's test of ``correct`` against the start's, at ``_GATE`` sigma.

        On the validation rows where exactly one of the two is right, the trained
        epoch must be right on more of them by more than ``_GATE`` times the
        square root of their number (plus two, so that a handful of
        disagreements that all happen to favour it cannot pass). Weighted rows
        count by their weight, the weights averaging one.
        """
        weight = 1.0 if self.weight is None else self.weight.double()
        scale = len(correct) / self.total
        wins = float((weight * correct * (1 - self.start_correct)).sum()) * scale
        losses = float((weight * (1 - correct) * self.start_correct).sum()) * scale
        return wins - losses > _GATE * (wins + losses + 2) ** 0.5

    def update(self, network, epoch):
        """Score ``network`` after ``epoch``; keep its weights if they win."""
        correct, accuracy, loss = self._score(network)
        improved = self.best is None or (
            accuracy > self.best[0] + self.tol
            or (
                abs(accuracy - self.best[0]) <= self.tol
                and loss < self.best[1] - self.tol * abs(self.best[1])
            )
        )
        if improved:
            self.best = (accuracy, loss)
        if epoch == 0:
            self.start_correct, self.start_loss = correct, loss
        if epoch == 0 or (
            loss <= self.start_loss
            and self._beats_start(correct)
            and (
                accuracy > self.kept[0]
                or (
                    self.kept_epoch > 0
                    and accuracy == self.kept[0]
                    and loss < self.kept[1]
                )
            )
        ):
            self.kept, self.kept_epoch = (accuracy, loss), epoch
            self.kept_state = {
                key: value.detach().clone()
                for key, value in network.state_dict().items()
            }
        return {"valid_acc": accuracy, "valid_loss": loss, "valid_best": improved}


def _lr_factor(step, n_steps, n_warmup, cosine):
    if step < n_warmup:
        return (step + 1) / n_warmup
    if not cosine:
        return 1.0
    progress = min(1.0, (step - n_warmup) / max(1, n_steps - n_warmup))
    return 0.5 * (1.0 + math.cos(math.pi * progress))


def train_network(
    network,
    criterion,
    train,
    valid,
    *,
    max_epochs,
    batch_size,
    lr,
    weight_decay,
    n_iter_no_change,
    tol,
    seed,
    verbose,
):
    """Train ``network`` with AdamW on mini-batches of ``train``.

    Parameters
    ----------
    network : NMTuneNetwork
        On its device; trained through :meth:`NMTuneNetwork.tuned` (the rows are
        standardized already).
    criterion : NMTuneLoss
    train : tuple of (X, y, weight)
        Training rows (on the device or pinned on the host), class indices and
        per-row weights (or None), the latter two on the device.
    valid : tuple of (X, y, weight) or None
        The validation split of early stopping, or None to train ``max_epochs``.
    max_epochs, batch_size, lr, weight_decay, n_iter_no_change, tol
        As in :class:`~sknml.NMTuneClassifier`.
    seed : int
        Seed of the batch order.
    verbose : int
        Whether to show a progress bar over epochs.

    Returns
    -------
    history : skorch.history.History
        One row per epoch (epoch 0: the network before training, when scored).
    best_epoch : int
        The epoch whose weights ``network`` holds on return.
    """
    X, y, weight = train
    device = y.device
    n_steps = max_epochs * len(batch_bounds(len(X), batch_size))
    n_warmup = max(1, round(_WARMUP_SHARE * n_steps))
    optimizer = torch.optim.AdamW(
        network.parameters(), lr=lr, weight_decay=weight_decay
    )
    generator = torch.Generator().manual_seed(seed)
    history = History()
    validation = None if valid is None else _Validation(valid, tol)
    if validation is not None:
        history.new_epoch()
        history.record("epoch", 0)
        for key, value in validation.update(network, 0).items():
            history.record(key, value)
    bar = tqdm(total=max_epochs, desc="NMTune", unit="epoch", disable=not verbose)
    step, plateau, since_best, reductions = 0, 1.0, 0, 0
    for epoch in range(1, max_epochs + 1):
        start = time.perf_counter()
        network.train()
        sums = {}
        batches = shuffled_batches(len(X), batch_size, generator, X.device)
        for rows in batches:
            factor = _lr_factor(step, n_steps, n_warmup, validation is None)
            for group in optimizer.param_groups:
                group["lr"] = lr * factor * plateau
            logits, z, x = network.tuned(X[rows].to(device, non_blocking=True))
            # Checked before the loss: the spectral term's eigensolver fails on NaN.
            if not torch.isfinite(z).all():
                raise _diverged(epoch, lr)
            index = rows.to(device)
            loss, terms = criterion(
                logits, z, x, y[index], None if weight is None else weight[index]
            )
            if not torch.isfinite(loss):
                raise _diverged(epoch, lr)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            for name, value in {"train_loss": loss.detach(), **terms}.items():
                sums[name] = sums.get(name, 0.0) + value
            step += 1
        history.new_epoch()
        history.record("epoch", epoch)
        for name, value in sums.items():
            history.record(name, float(value) / len(batches))
        history.record("lr", optimizer.param_groups[0]["lr"])
        if validation is not None:
            row = validation.update(network, epoch)
            for key, value in row.items():
                history.record(key, value)
            since_best = 0 if row["valid_best"] else since_best + 1
        history.record("dur", time.perf_counter() - start)
        # Shown by update() with the count it moves to: the loss of that epoch.
        bar.set_postfix(
            {
                key: f"{history[-1][key]:.4f}"
                for key in ("train_loss", "valid_acc")
                if key in history[-1]
            },
            refresh=False,
        )
        bar.update()
        if since_best >= n_iter_no_change:
            if reductions == _MAX_REDUCTIONS:
                break
            reductions += 1
            plateau *= _PLATEAU_FACTOR
            since_best = 0
    bar.close()
    network.eval()
    if validation is None:
        return history, len(history)
    network.load_state_dict(validation.kept_state)
    return history, validation.kept_epoch
