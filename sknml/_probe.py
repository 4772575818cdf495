"""The linear probe: L2-regularized logistic regression solved by full-batch L-BFGS.

The probe solves the problem :class:`~sklearn.linear_model.LogisticRegression`
solves, on the estimator's device: minimize over ``W`` and ``b``

``sum_i w_i CE(W x_i + b, y_i) / S + ||W||^2 / (2 C S)``,  ``S = sum_i w_i``,

the multinomial cross-entropy for three or more classes and the binary one (a single
weight vector) for two, with the intercept not penalized. Each L-BFGS iteration
streams the rows in chunks, so X never needs to fit on the device at once; the
parameters and the sums are float64 (float32 where the device has no float64).

The solutions of the last few problems are remembered by their content (the rows,
targets, weights and settings), so that the candidates of a search that share a
fold, as :class:`~sknml.NMTuneClassifierCV`'s do, solve its probe (and the check
of ``standardize='auto'``) once: a solve is a pure function of its inputs, and a
remembered solution is the one a new solve would return.
"""

import hashlib
import threading
import warnings
from collections import OrderedDict

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import gen_batches

# L-BFGS stops when the largest gradient entry of the objective above (averaged
# over the rows, on features scaled to unit RMS) falls below LogisticRegression's
# tolerance, or after ten times its iterations.
_TOL = 1e-4
_MAX_ITER = 1000
# Entries of X per chunk in one pass: bounds the float64 copy of a chunk.
_CHUNK_ENTRIES = 2**24
# Solutions remembered, by the content of their problem (least recent dropped).
_REMEMBERED = 64
_solutions = OrderedDict()
_solutions_lock = threading.Lock()


def _solver_dtype(device):
    return torch.float32 if torch.device(device).type == "mps" else torch.float64


def fit_probe(X, y, n_classes, *, C, sample_weight=None, device="cpu", start=None):
    """Solve the L2 logistic regression of ``y`` on ``X`` to convergence.

    Parameters
    ----------
    X : torch.Tensor of shape (n_samples, n_features), float32
        Features (on the CPU or on ``device``); chunks are moved to ``device``.
    y : torch.Tensor of shape (n_samples,), int64
        Class indices in ``[0, n_classes)``.
    n_classes : int
        Number of classes (at least 2).
    C : float
        Inverse L2 strength, as ``LogisticRegression(C=...)``.
    sample_weight : torch.Tensor of shape (n_samples,), default=None
        Non-negative weights of the rows' losses (None: all 1).
    device : str or torch.device, default='cpu'
        Where the solver computes.
    start : tuple of torch.Tensor, default=None
        ``(coef, intercept)`` of a nearby problem's solution (as returned) for
        L-BFGS to start from, rather than zero: the same problem's solution in
        fewer iterations.

    Returns
    -------
    coef : torch.Tensor of shape (n_classes, n_features), float32
        Head weights on the CPU; for two classes ``[-w / 2, w / 2]``, so that the
        logit difference is the binary model's ``w x + b``.
    intercept : torch.Tensor of shape (n_classes,), float32
    n_iter : int
        L-BFGS iterations run.

    Examples
    --------
    >>> import torch
    >>> from sknml._probe import fit_probe
    >>> X = torch.tensor([[-2.0], [-1.0], [1.0], [2.0]])
    >>> coef, intercept, n_iter = fit_probe(X, torch.tensor([0, 0, 1, 1]), 2, C=1.0)
    >>> bool(coef[1, 0] > 0 > coef[0, 0])
    True
    """
    problem = (X, y, n_classes, C, sample_weight, str(device), start)
    key = _digest(problem)
    with _solutions_lock:
        solution = _solutions.get(key)
        if solution is not None:
            _solutions.move_to_end(key)
    if solution is None:
        solution = _solve(*problem)
        with _solutions_lock:
            _solutions[key] = solution
            while len(_solutions) > _REMEMBERED:
                _solutions.popitem(last=False)
    coef, intercept, n_iter, warning = solution
    if warning is not None:
        warnings.warn(warning, ConvergenceWarning, stacklevel=3)
    return coef.clone(), intercept.clone(), n_iter


def _digest(values):
    """A digest of the content of ``values`` (tensors, arrays, scalars)."""
    digest = hashlib.blake2b(digest_size=20)
    for value in values:
        if isinstance(value, tuple):
            digest.update(_digest(value).encode())
            continue
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().numpy()
        if isinstance(value, np.ndarray):
            value = np.ascontiguousarray(value)
            digest.update(f"{value.dtype}{value.shape}".encode())
            digest.update(value.view(np.uint8).reshape(-1).data)
        else:
            digest.update(repr(value).encode())
    return digest.hexdigest()


def _solve(X, y, n_classes, C, sample_weight, device, start):
    """:func:`fit_probe` without memory; a warning, if any, as its message."""
    dtype = _solver_dtype(device)
    n_samples, n_features = X.shape
    binary = n_classes == 2
    width = 1 if binary else n_classes
    # (classes, features), as nn.Linear: autograd then forms the weight gradient
    # as grad^T @ X, which BLAS computes several times faster than X^T @ grad.
    weight = torch.zeros(width, n_features, dtype=dtype, device=device)
    bias = torch.zeros(width, dtype=dtype, device=device)
    if sample_weight is None:
        sample_weight = torch.ones(n_samples)
    total = float(sample_weight.sum())
    chunk_rows = max(1, _CHUNK_ENTRIES // n_features)
    if n_samples <= chunk_rows:
        # X is one chunk: its copy in the solver's dtype is made once, not in
        # every pass (the memory it holds is the same).
        chunks = [(X.to(device, dtype), y.to(device), sample_weight.to(device, dtype))]
    else:
        chunks = [
            (X[rows], y[rows], sample_weight[rows])
            for rows in gen_batches(n_samples, chunk_rows)
        ]
    # Solved for W' = a W on X / a, with a the root mean square of X's entries
    # (and C a^2, the same problem): the gradient test and L-BFGS's first step
    # then do not depend on the scale of the features.
    sum_squares = sum(
        float(X_chunk.double().square().sum()) for X_chunk, _, _ in chunks
    )
    scale = (sum_squares / max(X.numel(), 1)) ** 0.5 or 1.0
    if start is not None:
        coef, intercept = (value.to(device, dtype) for value in start)
        if binary:
            coef, intercept = coef[1:] - coef[:1], intercept[1:] - intercept[:1]
        weight.copy_(coef * scale)
        bias.copy_(intercept)
    weight.requires_grad_(True)
    bias.requires_grad_(True)
    optimizer = torch.optim.LBFGS(
        [weight, bias],
        lr=1.0,
        max_iter=_MAX_ITER,
        tolerance_grad=_TOL,
        tolerance_change=1e-9,
        history_size=20,
        line_search_fn="strong_wolfe",
    )

    def closure():
        optimizer.zero_grad()
        value = torch.zeros((), dtype=dtype, device=device)
        for X_chunk, y_chunk, w_chunk in chunks:
            logits = F.linear(X_chunk.to(device, dtype), weight) / scale + bias
            y_chunk = y_chunk.to(device)
            if binary:
                losses = F.binary_cross_entropy_with_logits(
                    logits[:, 0], y_chunk.to(dtype), reduction="none"
                )
            else:
                losses = F.cross_entropy(logits, y_chunk, reduction="none")
            loss = (losses * w_chunk.to(device, dtype)).sum() / total
            loss.backward()
            value = value + loss.detach()
        penalty = weight.square().sum() / (2 * C * scale**2 * total)
        penalty.backward()
        return value + penalty.detach()

    # L-BFGS also returns when an iteration changes the objective by less than
    # 1e-9; it is then restarted from where it stopped, until the gradient test
    # passes, the iterations run out or a restart makes no progress at all.
    n_iter, value, warning = 0, None, None
    while True:
        optimizer.step(closure)
        n_iter = int(optimizer.state[weight]["n_iter"])
        previous, value = value, float(closure())
        gradient = max(float(p.grad.abs().max()) for p in (weight, bias))
        if gradient <= _TOL:
            break
        if n_iter >= _MAX_ITER or value == previous:
            warning = (
                f"The linear probe's L-BFGS stopped after {n_iter} iterations "
                f"with a gradient of {gradient:.2g} (tolerance {_TOL:g}): it did "
                "not converge; standardize the features (standardize=True) or "
                "lower C."
            )
            break
        optimizer.param_groups[0]["max_iter"] = _MAX_ITER - n_iter
    weight = (weight.detach() / scale).float().cpu()
    bias = bias.detach().float().cpu()
    if binary:
        weight = torch.cat([-weight / 2, weight / 2])
        bias = torch.cat([-bias / 2, bias / 2])
    return weight, bias, n_iter, warning
