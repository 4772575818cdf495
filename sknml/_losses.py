"""NMTune's objective as pure torch functions (PAPER.md section 4).

Each regularizer is a function of one batch and nothing else, so it can be tested
against slow textbook formulas. The covariance and singular-value terms both derive
from one Gram matrix of the batch, taken on its smaller side (``z z^T`` when the
batch is narrower than it is wide, else ``z^T z``): the two share all non-zero
eigenvalues, and a ``B x B`` Gram is far cheaper than a ``D x D`` covariance plus an
SVD when ``B < D``.
"""

import torch
import torch.nn.functional as F
from torch import nn


def batch_gram(z: torch.Tensor) -> torch.Tensor:
    """Gram matrix of a batch on its smaller side.

    Parameters
    ----------
    z : torch.Tensor of shape (n_samples, n_features)
        A batch of features.

    Returns
    -------
    gram : torch.Tensor
        ``z @ z.T`` of shape (n_samples, n_samples) when ``n_samples <= n_features``,
        else ``z.T @ z`` of shape (n_features, n_features).

    Examples
    --------
    >>> import torch
    >>> from sknml._losses import batch_gram
    >>> batch_gram(torch.ones(2, 3)).shape
    torch.Size([2, 2])
    """
    return _Gram.apply(z)


class _Gram(torch.autograd.Function):
    """``z z^T`` (or ``z^T z``) whose backward is one matrix product, not two.

    The Gram matrix is symmetric, so its gradient only needs the symmetric part of
    the incoming gradient: ``(g + g^T) z`` instead of ``g z + g^T z``.
    """

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        ctx.sample_side = z.shape[0] <= z.shape[1]
        return z @ z.T if ctx.sample_side else z.T @ z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        symmetric = grad + grad.T
        return symmetric @ z if ctx.sample_side else z @ symmetric


def consistency_loss(z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Mean squared error between the row-normalized tuned and frozen features.

    ``L_mse = mean((z / ||z|| - x / ||x||) ** 2)`` over all entries; ``x`` is the
    frozen feature and carries no gradient. All-zero rows normalize to zero.

    Parameters
    ----------
    z : torch.Tensor of shape (n_samples, n_features)
        Tuned features.
    x : torch.Tensor of shape (n_samples, n_features)
        Frozen (input) features.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> from sknml._losses import consistency_loss
    >>> x = torch.tensor([[3.0, 4.0]])
    >>> float(consistency_loss(2 * x, x))
    0.0
    """
    return F.mse_loss(F.normalize(z, dim=1), F.normalize(x.detach(), dim=1))


def covariance_loss(z: torch.Tensor, gram: torch.Tensor | None = None) -> torch.Tensor:
    """Sum of the squared off-diagonal entries of the batch covariance, over D.

    With ``Zc`` the batch centered per column and ``C = Zc^T Zc / (B - 1)``,
    ``L_cov = sum_{i != j} C_ij ** 2 / D``. Computed exactly from the Gram matrix of
    the batch: ``||C||_F^2`` equals ``||H K H||_F^2 / (B - 1)^2`` with ``K = z z^T``
    and ``H`` the centering matrix. A batch of fewer than two rows has no
    covariance estimate and a single column no off-diagonal entry: the loss is
    then zero.

    Parameters
    ----------
    z : torch.Tensor of shape (n_samples, n_features)
        A batch of features.
    gram : torch.Tensor, default=None
        ``batch_gram(z)`` if already computed.

    Returns
    -------
    loss : torch.Tensor
        A scalar.

    Examples
    --------
    >>> import torch
    >>> from sknml._losses import covariance_loss
    >>> z = torch.tensor([[1.0, 1.0], [-1.0, -1.0]])
    >>> float(covariance_loss(z))  # C = [[2, 2], [2, 2]]: (4 + 4) / 2
    4.0
    """
    n_samples, n_features = z.shape
    if n_samples < 2 or n_features < 2:
        return z.sum() * 0.0
    if gram is None:
        gram = batch_gram(z)
    mean = z.mean(dim=0)
    if n_samples <= n_features:
        row_mean = gram.mean(dim=1)
        centered = gram - row_mean[:, None] - row_mean[None, :] + row_mean.mean()
    else:
        centered = gram - n_samples * torch.outer(mean, mean)
    diagonal = (z - mean).square().sum(dim=0)
    off_diagonal = centered.square().sum() - diagonal.square().sum()
    return off_diagonal / ((n_samples - 1) ** 2 * n_features)


def singular_values_from_gram(gram: torch.Tensor) -> torch.Tensor:
    """Singular values of a matrix from its Gram matrix, ascending.

    Eigenvalues below the Gram matrix's round-off level
    (``lambda_max * size * eps``) are numerically zero; their square roots keep
    their value but pass no gradient, since ``d sqrt(lambda)`` is unbounded at
    zero while the true subgradient of a singular value is bounded.

    Parameters
    ----------
    gram : torch.Tensor of shape (m, m)
        A symmetric positive semi-definite matrix.

    Returns
    -------
    singular_values : torch.Tensor of shape (m,)

    Examples
    --------
    >>> import torch
    >>> from sknml._losses import singular_values_from_gram
    >>> singular_values_from_gram(torch.diag(torch.tensor([9.0, 4.0, 0.0])))
    tensor([0., 2., 3.])
    """
    eigenvalues = torch.linalg.eigvalsh(gram)
    tiny = torch.finfo(eigenvalues.dtype).tiny
    tol = (
        eigenvalues[-1].detach().clamp_min(tiny)
        * gram.shape[0]
        * torch.finfo(eigenvalues.dtype).eps
    )
    resolved = eigenvalues > tol
    return torch.where(
        resolved,
        eigenvalues.clamp_min(tol).sqrt(),
        eigenvalues.detach().clamp_min(0.0).sqrt(),
    )


def singular_value_loss(
    z: torch.Tensor, top_k: int = 1, gram: torch.Tensor | None = None
) -> torch.Tensor:
    """Negative mean of the top-k singular values of the batch over their sum.

    ``L_svd = -mean(s_1..s_k) / sum(s)`` with ``s`` the singular values of the batch
    matrix ``z`` (not centered). ``top_k`` is clipped to the number of singular
    values of a short batch. An all-zero batch gives zero.

    Parameters
    ----------
    z : torch.Tensor of shape (n_samples, n_features)
        A batch of features.
    top_k : int, default=1
        Number of dominant singular values to average.
    gram : torch.Tensor, default=None
        ``batch_gram(z)`` if already computed.

    Returns
    -------
    loss : torch.Tensor
        A scalar in [-1, 0].

    Examples
    --------
    >>> import torch
    >>> from sknml._losses import singular_value_loss
    >>> float(singular_value_loss(torch.diag(torch.tensor([3.0, 1.0]))))
    -0.75
    """
    if gram is None:
        gram = batch_gram(z)
    singular_values = singular_values_from_gram(gram)
    k = min(top_k, singular_values.shape[0])
    total = singular_values.sum().clamp_min(torch.finfo(singular_values.dtype).tiny)
    return -singular_values[-k:].mean() / total


class NMTuneLoss(nn.Module):
    """Cross-entropy plus NMTune's three weighted regularizers.

    Called on the network's output ``(logits, z, x)``: the class scores, the tuned
    features and the (standardized) frozen features. The cross-entropy takes
    optional per-sample weights, normalized by the caller so they average to one
    over the training set; the regularizers are properties of the batch and are
    not weighted.

    Parameters
    ----------
    lambda_mse, lambda_cov, lambda_svd : float
        Weights of the consistency, covariance and singular-value terms.
    svd_top_k : int
        Dominant singular values in the singular-value term.
    """

    def __init__(
        self, lambda_mse: float, lambda_cov: float, lambda_svd: float, svd_top_k: int
    ):
        super().__init__()
        self.lambda_mse = lambda_mse
        self.lambda_cov = lambda_cov
        self.lambda_svd = lambda_svd
        self.svd_top_k = svd_top_k

    def forward(self, output, target, sample_weight=None):
        logits, z, x = output
        loss = F.cross_entropy(logits, target, reduction="none")
        loss = loss.mean() if sample_weight is None else (loss * sample_weight).mean()
        if z is x:  # no tuning network: the regularizers are constants
            return loss
        if self.lambda_mse:
            loss = loss + self.lambda_mse * consistency_loss(z, x)
        if self.lambda_cov or self.lambda_svd:
            gram = batch_gram(z)
            if self.lambda_cov:
                loss = loss + self.lambda_cov * covariance_loss(z, gram)
            if self.lambda_svd:
                loss = loss + self.lambda_svd * singular_value_loss(
                    z, self.svd_top_k, gram
                )
        return loss
