"""NMTune's objective as pure torch functions (arXiv:2309.17002, section 3.1).

Each regularizer is a function of one batch and nothing else, so it can be tested
against slow textbook formulas. The covariance and singular-value terms both derive
from one Gram matrix of the batch, taken on its smaller side (``z z^T`` when the
batch is narrower than it is wide, else ``z^T z``): the two share all non-zero
eigenvalues, and a ``B x B`` Gram is far cheaper than a ``D x D`` covariance plus an
SVD when ``B < D``.

The consistency and covariance terms come in two forms. ``scale_invariant=True``
(the estimator's default) gives each term the same meaning on every encoder: the
consistency term sums the squared distance of the normalized rows over the
features (rather than averaging it, which divides it by D), and the covariance
term divides the squared off-diagonal covariances by the squared total variance
(rather than by D), so that it does not change when ``z`` is scaled and lies in
``[0, 1)``. ``scale_invariant=False`` gives the paper's literal formulas. The
singular-value term is a ratio of singular values, invariant in both forms.
"""

import torch
import torch.nn.functional as F
from torch import nn

from sknml._linalg import gram_on_rows, singular_values_from_gram, smaller_gram


def consistency_loss(
    z: torch.Tensor, x: torch.Tensor, scale_invariant: bool = False
) -> torch.Tensor:
    """Squared distance between the row-normalized tuned and frozen features.

    ``L_mse = mean((z / ||z|| - x / ||x||) ** 2)`` over all entries (the paper's
    formula), or with ``scale_invariant`` the same squared distance summed over the
    features and averaged over the rows, ``mean_i ||z_i / ||z_i|| - x_i / ||x_i|| ||^2
    = 2 (1 - mean cos(z_i, x_i))``, which does not shrink with the dimension. ``x``
    is the frozen feature and carries no gradient. All-zero rows normalize to zero.

    Parameters
    ----------
    z : torch.Tensor of shape (n_samples, n_features)
        Tuned features.
    x : torch.Tensor of shape (n_samples, n_features)
        Frozen (input) features.
    scale_invariant : bool, default=False
        Sum over the features instead of averaging.

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
    >>> float(consistency_loss(torch.tensor([[4.0, -3.0]]), x, scale_invariant=True))
    2.0
    """
    loss = F.mse_loss(F.normalize(z, dim=1), F.normalize(x.detach(), dim=1))
    return loss * z.shape[1] if scale_invariant else loss


def covariance_loss(
    z: torch.Tensor,
    gram: torch.Tensor | None = None,
    scale_invariant: bool = False,
) -> torch.Tensor:
    """Sum of the squared off-diagonal entries of the batch covariance.

    With ``Zc`` the batch centered per column and ``C = Zc^T Zc / (B - 1)``,
    ``L_cov = sum_{i != j} C_ij ** 2 / D`` (the paper's formula), or with
    ``scale_invariant`` ``sum_{i != j} C_ij ** 2 / trace(C) ** 2``: the share of
    the covariance's squared Frobenius norm off its diagonal, relative to the
    squared total variance, in ``[0, 1)`` and unchanged when ``z`` is scaled (0
    for uncorrelated columns, ``1 - 1 / D`` for D identical ones). Computed
    exactly from the Gram matrix of the batch: ``||C||_F^2`` equals
    ``||H K H||_F^2 / (B - 1)^2`` with ``K = z z^T`` and ``H`` the centering
    matrix. A batch of fewer than two rows has no
    covariance estimate and a single column no off-diagonal entry: the loss is
    then zero.

    Parameters
    ----------
    z : torch.Tensor of shape (n_samples, n_features)
        A batch of features.
    gram : torch.Tensor, default=None
        ``smaller_gram(z)`` if already computed.
    scale_invariant : bool, default=False
        Divide by the squared trace of ``C`` instead of D.

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
    >>> float(covariance_loss(z, scale_invariant=True))  # (4 + 4) / 4 ** 2
    0.5
    """
    n_samples, n_features = z.shape
    if n_samples < 2 or n_features < 2:
        return z.sum() * 0.0
    if gram is None:
        gram = smaller_gram(z)
    mean = z.mean(dim=0)
    if gram_on_rows(n_samples, n_features):
        row_mean = gram.mean(dim=1)
        centered = gram - row_mean[:, None] - row_mean[None, :] + row_mean.mean()
    else:
        centered = gram - n_samples * torch.outer(mean, mean)
    diagonal = (z - mean).square().sum(dim=0)
    off_diagonal = centered.square().sum() - diagonal.square().sum()
    if scale_invariant:
        # The (B - 1) factors of C cancel in the ratio.
        total = diagonal.sum().square().clamp_min(torch.finfo(z.dtype).tiny)
        return off_diagonal / total
    return off_diagonal / ((n_samples - 1) ** 2 * n_features)


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
        ``smaller_gram(z)`` if already computed.

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
        gram = smaller_gram(z)
    singular_values = singular_values_from_gram(gram)
    k = min(top_k, singular_values.shape[0])
    total = singular_values.sum().clamp_min(torch.finfo(singular_values.dtype).tiny)
    return -singular_values[-k:].mean() / total


class NMTuneLoss(nn.Module):
    """Cross-entropy plus NMTune's three weighted regularizers.

    Called on the logits, the tuned features ``z`` and the (standardized) frozen
    features ``x`` of a batch, with the class indices and optional per-sample
    weights of the cross-entropy (normalized by the caller so they average to one
    over the training set); the regularizers are properties of the batch and are
    not weighted. Returns the total loss and a dict of the unweighted terms that
    were computed (``"ce"``, and ``"mse"``, ``"cov"``, ``"svd"`` where their weight
    is not zero), detached, for the training record.

    Parameters
    ----------
    lambda_mse, lambda_cov, lambda_svd : float, default=0.1, 0.03, 1.0
        Weights of the consistency, covariance and singular-value terms
        (:class:`~sknml.NMTuneClassifier`'s defaults).
    svd_top_k : int, default=5
        Dominant singular values in the singular-value term.
    scale_invariant : bool, default=True
        The scale-invariant forms of the consistency and covariance terms
        rather than the paper's literal formulas (see the user guide).

    See Also
    --------
    NMTuneNet : The skorch net whose default criterion this is.

    Examples
    --------
    >>> import torch
    >>> from sknml import NMTuneLoss
    >>> x = torch.randn(32, 8)
    >>> z = x + 0.1 * torch.randn(32, 8)
    >>> logits, y = torch.randn(32, 3), torch.randint(0, 3, (32,))
    >>> loss, terms = NMTuneLoss()(logits, z, x, y)
    >>> sorted(terms)
    ['ce', 'cov', 'mse', 'svd']
    """

    def __init__(
        self,
        lambda_mse: float = 0.1,
        lambda_cov: float = 0.03,
        lambda_svd: float = 1.0,
        svd_top_k: int = 5,
        scale_invariant: bool = True,
    ):
        super().__init__()
        self.lambda_mse = lambda_mse
        self.lambda_cov = lambda_cov
        self.lambda_svd = lambda_svd
        self.svd_top_k = svd_top_k
        self.scale_invariant = scale_invariant

    def forward(self, logits, z, x, target, sample_weight=None):
        ce = F.cross_entropy(logits, target, reduction="none")
        ce = ce.mean() if sample_weight is None else (ce * sample_weight).mean()
        terms = {"ce": ce}
        if z is not x:  # with no tuning network the regularizers are constants
            if self.lambda_mse:
                terms["mse"] = consistency_loss(z, x, self.scale_invariant)
            if self.lambda_cov or self.lambda_svd:
                gram = smaller_gram(z)
                if self.lambda_cov:
                    terms["cov"] = covariance_loss(z, gram, self.scale_invariant)
                if self.lambda_svd:
                    terms["svd"] = singular_value_loss(z, self.svd_top_k, gram)
        weights = {
            "ce": 1.0,
            "mse": self.lambda_mse,
            "cov": self.lambda_cov,
            "svd": self.lambda_svd,
        }
        total = sum(weights[name] * value for name, value in terms.items())
        return total, {name: value.detach() for name, value in terms.items()}
