"""Singular values through a Gram matrix, and row chunks: one copy of that math.

A matrix ``A`` (n x d) and its Gram matrices ``A A^T`` (n x n) and ``A^T A`` (d x d)
share their non-zero eigenvalues, the squared singular values of ``A``, so the
smaller Gram is the one to compute (:func:`smaller_gram`). Its eigenvalues carry
absolute rounding errors of the order of ``eps`` times the largest one, and one rule,
:func:`round_off_level`, says which of them are numerically zero: those at or below
``scale * size * eps``, where ``scale`` is the largest eigenvalue, ``size`` the
order of the Gram and ``eps`` the machine epsilon of the eigenvalues' dtype (a caller
that knows of larger errors passes a larger ``scale`` or ``size``). The torch
function (:func:`singular_values_from_gram`, differentiable, for the training loss)
and the NumPy one (:func:`singular_values_from_eigenvalues`, for the spectral
metrics) both apply it.

Rows are cut into chunks in one way, :func:`row_chunks`, with one chunk size.
"""

import numpy as np
import torch
from sklearn.utils import gen_batches

# Values per float64 chunk of rows: 2**20 (8 MiB), whatever the number of columns;
# small enough to stay cache-friendly, large enough for an efficient SYRK.
CHUNK_VALUES = 2**20


def row_chunks(n_rows: int, n_columns: int):
    """Slices that cut ``n_rows`` rows into chunks of about ``CHUNK_VALUES`` values.

    Every chunk has at least one row; no rows give no slice.

    Parameters
    ----------
    n_rows : int
        Number of rows to cut.
    n_columns : int
        Number of values per row.

    Returns
    -------
    slices : iterable of slice

    Examples
    --------
    >>> from sknml._linalg import row_chunks
    >>> list(row_chunks(3, 2**19))
    [slice(0, 2, None), slice(2, 3, None)]
    """
    if n_rows == 0:
        return ()  # gen_batches refuses n=0
    return gen_batches(n_rows, max(1, CHUNK_VALUES // n_columns))


def gram_on_rows(n_rows: int, n_columns: int) -> bool:
    """Whether the smaller Gram of an ``(n_rows, n_columns)`` matrix is ``A A^T``.

    A square matrix counts as wide: both Grams have the same order.
    """
    return n_rows <= n_columns


def smaller_gram(a):
    """Gram matrix of a 2-D array or tensor on its smaller side.

    Parameters
    ----------
    a : ndarray or torch.Tensor of shape (n_rows, n_columns)
        The matrix.

    Returns
    -------
    gram : ndarray or torch.Tensor
        ``a @ a.T`` of shape (n_rows, n_rows) when ``n_rows <= n_columns``, else
        ``a.T @ a`` of shape (n_columns, n_columns). For a tensor, its backward is
        one matrix product rather than two.

    Examples
    --------
    >>> import numpy as np
    >>> from sknml._linalg import smaller_gram
    >>> smaller_gram(np.ones((2, 3)))
    array([[3., 3.],
           [3., 3.]])
    """
    if isinstance(a, torch.Tensor):
        return _Gram.apply(a)
    return a @ a.T if gram_on_rows(*a.shape) else a.T @ a


class _Gram(torch.autograd.Function):
    """``z z^T`` (or ``z^T z``) whose backward is one matrix product, not two.

    The Gram matrix is symmetric, so its gradient only needs the symmetric part of
    the incoming gradient: ``(g + g^T) z`` instead of ``g z + g^T z``.
    """

    @staticmethod
    def forward(ctx, z):
        ctx.save_for_backward(z)
        ctx.sample_side = gram_on_rows(*z.shape)
        return z @ z.T if ctx.sample_side else z.T @ z

    @staticmethod
    def backward(ctx, grad):
        (z,) = ctx.saved_tensors
        symmetric = grad + grad.T
        return symmetric @ z if ctx.sample_side else z @ symmetric


def round_off_level(scale, size, eps):
    """The level at or below which an eigenvalue of a Gram matrix is rounding noise.

    ``scale * size * eps``, as :func:`numpy.linalg.matrix_rank` does for singular
    values: ``scale`` is the largest eigenvalue (or a larger scale of the errors),
    ``size`` the order of the Gram (or the longer side of the matrix behind it) and
    ``eps`` the machine epsilon of the eigenvalues' dtype.

    Parameters
    ----------
    scale : float or torch.Tensor
        Scale of the absolute rounding errors.
    size : int
        Number of rounding steps they accumulate over.
    eps : float
        Machine epsilon.

    Returns
    -------
    level : float or torch.Tensor

    Examples
    --------
    >>> from sknml._linalg import round_off_level
    >>> round_off_level(4.0, 3, 2.0**-52) == 12 * 2.0**-52
    True
    """
    return scale * size * eps


def singular_values_from_gram(gram: torch.Tensor) -> torch.Tensor:
    """Singular values of a matrix from its Gram matrix (torch), ascending.

    Eigenvalues at or below the Gram matrix's round-off level
    (:func:`round_off_level`: ``lambda_max * size * eps``) are numerically zero;
    their square roots keep their value but pass no gradient, since
    ``d sqrt(lambda)`` is unbounded at zero while the true subgradient of a
    singular value is bounded. The eigenvalues come from
    :func:`symmetric_eigenvalues`.

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
    >>> from sknml._linalg import singular_values_from_gram
    >>> singular_values_from_gram(torch.diag(torch.tensor([9.0, 4.0, 0.0])))
    tensor([0., 2., 3.])
    """
    eigenvalues = symmetric_eigenvalues(gram)
    finfo = torch.finfo(eigenvalues.dtype)
    # At least the smallest normal number, so that exact zeros stay unresolved.
    scale = eigenvalues[-1].detach().clamp_min(finfo.tiny)
    tol = round_off_level(scale, gram.shape[0], finfo.eps)
    resolved = eigenvalues > tol
    return torch.where(
        resolved,
        eigenvalues.clamp_min(tol).sqrt(),
        eigenvalues.detach().clamp_min(0.0).sqrt(),
    )


def symmetric_eigenvalues(matrix: torch.Tensor) -> torch.Tensor:
    """Eigenvalues of a symmetric matrix, ascending, differentiable (torch).

    ``torch.linalg.eigvalsh`` in the matrix's dtype, float32 at least, at half the
    cost of a float64 solve. A float32 Gram's entries carry rounding errors of the
    order of ``eps`` times its largest eigenvalue already, and so do the
    eigenvalues of a float32 solve; the eigenvectors behind the gradient are as
    uncertain either way where eigenvalues lie within such errors of each other,
    so on ill-conditioned Grams the gradient differs from that of a float64 solve
    of the same Gram (by a few 1e-3 relative on Grams of image features, whose
    smallest resolved eigenvalues lie near the round-off level). LAPACK's
    float32 solver fails to converge on some Grams of sparse ReLU activations (many
    repeated zero eigenvalues) that its float64 solver handles, and returns
    non-finite eigenvalues of some finite Grams: such a solve is redone in
    float64, except on mps, which has no float64.

    Parameters
    ----------
    matrix : torch.Tensor of shape (m, m)
        A symmetric matrix; only its lower triangle is read.

    Returns
    -------
    eigenvalues : torch.Tensor of shape (m,)
        In the dtype of ``matrix``.

    Examples
    --------
    >>> import torch
    >>> from sknml._linalg import symmetric_eigenvalues
    >>> symmetric_eigenvalues(torch.tensor([[2.0, 1.0], [1.0, 2.0]]))
    tensor([1., 3.])
    """
    solver_dtype = torch.promote_types(matrix.dtype, torch.float32)
    redo = solver_dtype != torch.float64 and matrix.device.type != "mps"
    try:
        eigenvalues = torch.linalg.eigvalsh(matrix.to(solver_dtype))
    except torch.linalg.LinAlgError:
        if not redo:
            raise
        eigenvalues = None
    # LAPACK's float32 solver can also return non-finite eigenvalues of a finite
    # Gram without an error (seen on a 128 x 128 Gram of CNN features).
    if redo and (eigenvalues is None or not torch.isfinite(eigenvalues).all()):
        eigenvalues = torch.linalg.eigvalsh(matrix.to(torch.float64))
    return eigenvalues.to(matrix.dtype)


def singular_values_from_eigenvalues(eigenvalues, *, size=None, scale=None):
    """Singular values from the eigenvalues of a Gram matrix (NumPy), descending.

    Eigenvalues at or below :func:`round_off_level` give singular values of
    exactly 0 (negative ones, rounding noise too, included).

    Parameters
    ----------
    eigenvalues : ndarray of shape (m,)
        Eigenvalues of a symmetric positive semi-definite matrix, in any order.
    size : int, default=None
        Order of the rounding errors' sum; None for ``m``.
    scale : float, default=None
        Scale of the rounding errors; None for the largest eigenvalue.

    Returns
    -------
    singular_values : ndarray of shape (m,)
        Square roots of the eigenvalues, descending.

    Examples
    --------
    >>> import numpy as np
    >>> from sknml._linalg import singular_values_from_eigenvalues
    >>> singular_values_from_eigenvalues(np.array([1e-20, 9.0, 4.0]))
    array([3., 2., 0.])
    """
    lam = np.sort(eigenvalues)[::-1]
    size = len(lam) if size is None else size
    scale = lam[0] if scale is None else scale
    lam[lam <= round_off_level(scale, size, np.finfo(lam.dtype).eps)] = 0.0
    return np.sqrt(lam)
