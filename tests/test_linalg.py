"""The Gram-matrix math shared by the loss and the spectrum, and row chunks."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from sknml import _linalg
from sknml._linalg import (
    round_off_level,
    row_chunks,
    singular_values_from_eigenvalues,
    singular_values_from_gram,
    smaller_gram,
    symmetric_eigenvalues,
)
from sknml._spectrum import _GramAccumulator, _NumpyBackend

CENTERS = ["columns", "rows", None]


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_smaller_gram_takes_the_smaller_side(shape):
    a = np.random.default_rng(0).normal(size=shape)
    side = min(shape)
    expected = a @ a.T if shape[0] <= shape[1] else a.T @ a
    assert smaller_gram(a).shape == (side, side)
    assert_allclose(smaller_gram(a), expected)
    z = torch.from_numpy(a).requires_grad_()
    gram = smaller_gram(z)
    assert_allclose(gram.detach().numpy(), expected)
    # Its one-product backward equals autograd's through the plain product.
    weights = torch.from_numpy(np.random.default_rng(1).normal(size=(side, side)))
    (gram * weights).sum().backward()
    plain = torch.from_numpy(a).requires_grad_()
    product = plain @ plain.T if shape[0] <= shape[1] else plain.T @ plain
    (product * weights).sum().backward()
    assert_allclose(z.grad.numpy(), plain.grad.numpy())


def test_torch_singular_values_match_svd_and_cut_the_gradient_at_zero():
    z = torch.tensor([[3.0, 0.0, 0.0], [0.0, 2.0, 0.0]], requires_grad=True)
    s = singular_values_from_gram(smaller_gram(z))
    assert_allclose(s.detach().numpy(), [2.0, 3.0])
    # A zero singular value: finite gradients, none through the zero.
    rank_one = torch.tensor([[1.0, 2.0], [2.0, 4.0]], requires_grad=True)
    s = singular_values_from_gram(smaller_gram(rank_one))
    assert float(s[0].detach()) < 1e-3
    s[0].backward()
    assert torch.equal(rank_one.grad, torch.zeros(2, 2))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_symmetric_eigenvalues_and_gradient_equal_float64_eigvalsh(dtype):
    rng = np.random.default_rng(0)
    a = rng.normal(size=(40, 40))
    weights = torch.from_numpy(rng.normal(size=40))
    reference = torch.from_numpy(a + a.T).requires_grad_()
    expected = torch.linalg.eigvalsh(reference)
    (expected * weights).sum().backward()
    matrix = reference.detach().to(dtype).requires_grad_()
    eigenvalues = symmetric_eigenvalues(matrix)
    (eigenvalues * weights.to(dtype)).sum().backward()
    assert eigenvalues.dtype == matrix.grad.dtype == dtype
    tol = {torch.float32: 1e-5, torch.float64: 1e-12}[dtype]
    scale = expected.abs().max().item()
    assert_allclose(eigenvalues.detach().double(), expected.detach(), atol=tol * scale)
    assert_allclose(matrix.grad.double(), reference.grad, atol=tol)


def _eigvalsh_failing_in_float32(calls, failure):
    """``torch.linalg.eigvalsh`` failing on float32: raising LAPACK's convergence
    error, or returning NaN eigenvalues of a finite matrix without an error."""
    eigvalsh = torch.linalg.eigvalsh

    def patched(matrix):
        calls.append(matrix.dtype)
        if matrix.dtype == torch.float32:
            if failure == "error":
                raise torch.linalg.LinAlgError("linalg.eigh: failed to converge")
            return torch.full(matrix.shape[:1], float("nan"))
        return eigvalsh(matrix)

    return patched


@pytest.mark.parametrize("failure", ["error", "nan"])
@pytest.mark.parametrize("requires_grad", [True, False])
def test_a_failed_float32_eigenvalue_solve_is_redone_in_float64(
    monkeypatch, requires_grad, failure
):
    z = torch.randn(6, 9, generator=torch.Generator().manual_seed(0))
    expected_z = z.clone().requires_grad_(requires_grad)
    expected = singular_values_from_gram(smaller_gram(expected_z))
    calls = []
    monkeypatch.setattr(
        torch.linalg, "eigvalsh", _eigvalsh_failing_in_float32(calls, failure)
    )
    z.requires_grad_(requires_grad)
    s = singular_values_from_gram(smaller_gram(z))
    assert calls == [torch.float32, torch.float64]
    assert s.dtype == torch.float32
    torch.testing.assert_close(s, expected)
    if requires_grad:
        s.sum().backward()
        expected.sum().backward()
        assert z.grad.dtype == torch.float32
        torch.testing.assert_close(z.grad, expected_z.grad)


def test_a_failed_float64_eigenvalue_solve_raises(monkeypatch):
    def failing(matrix):
        raise torch.linalg.LinAlgError("linalg.eigh: failed to converge")

    monkeypatch.setattr(torch.linalg, "eigvalsh", failing)
    for dtype in (torch.float32, torch.float64):
        with pytest.raises(torch.linalg.LinAlgError):
            symmetric_eigenvalues(torch.eye(3, dtype=dtype))


def test_numpy_singular_values_zero_the_round_off():
    lam = np.array([4.0, 1e-17, -1e-16, 1.0])
    assert_allclose(singular_values_from_eigenvalues(lam), [2.0, 1.0, 0.0, 0.0])
    # A caller that knows of larger errors raises the level.
    s = singular_values_from_eigenvalues(lam, scale=2e15)  # level 1.8
    assert_allclose(s, [2.0, 0.0, 0.0, 0.0])
    # Above the level of a 2 x 2 Gram (4.4e-16), below that of a sum of 10 terms.
    lam = np.array([1.0, 5e-16])
    assert singular_values_from_eigenvalues(lam)[1] > 0.0
    assert singular_values_from_eigenvalues(lam, size=10)[1] == 0.0


def test_both_singular_value_functions_share_one_level():
    eps = np.finfo(np.float64).eps
    level = round_off_level(9.0, 3, eps)
    lam = np.array([9.0, 1.0, 0.99 * level])
    from_numpy = singular_values_from_eigenvalues(lam)
    from_torch = singular_values_from_gram(torch.diag(torch.from_numpy(lam)))
    assert from_numpy[-1] == 0.0
    # The torch function keeps the value of an unresolved one but passes no
    # gradient through it; the resolved ones agree.
    assert_allclose(from_torch.numpy()[::-1][:2], from_numpy[:2])


@pytest.mark.parametrize(
    "n_rows, n_columns", [(0, 3), (1, 2**21), (10, 3), (2**20 + 1, 1)]
)
def test_row_chunks_cover_every_row_once(n_rows, n_columns):
    chunks = list(row_chunks(n_rows, n_columns))
    covered = np.concatenate([np.arange(n_rows)[c] for c in chunks] or [[]])
    np.testing.assert_array_equal(covered, np.arange(n_rows))
    assert all(
        c.stop - c.start == 1 or (c.stop - c.start) * n_columns <= _linalg.CHUNK_VALUES
        for c in chunks
    )


def _accumulator(X, center, normalize=True):
    acc = _GramAccumulator(_NumpyBackend(), normalize, center)
    acc.add(X)
    return acc


@settings(max_examples=30, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 12), min_size=1, max_size=5),
    center=st.sampled_from(CENTERS),
    offset=st.sampled_from([0.0, 1e4]),
)
def test_merged_accumulators_equal_one_over_all_rows(sizes, center, offset):
    rng = np.random.default_rng(len(sizes))
    blocks = [rng.normal(size=(n, 4)) + offset for n in sizes]
    if sum(sizes) == 0:
        return
    merged = _GramAccumulator(_NumpyBackend(), True, center)
    for block in blocks:
        merged.merge(_accumulator(block, center))
    whole = _accumulator(np.concatenate(blocks), center)
    n, energy, mean, M = merged.summary()
    n_whole, energy_whole, mean_whole, M_whole = whole.summary()
    assert n == n_whole
    assert energy == pytest.approx(energy_whole)
    assert_allclose(M, M_whole, atol=1e-10 * max(1.0, np.abs(M_whole).max()))
    if center == "columns":
        assert_allclose(mean, mean_whole, rtol=1e-12)
    assert_allclose(merged.finalize(), M_whole, atol=1e-10 * max(1.0, n))


def test_summary_and_merge_leave_their_inputs_alone():
    rng = np.random.default_rng(0)
    a, b = (
        _accumulator(rng.normal(size=(5, 3)), "columns"),
        _accumulator(rng.normal(size=(7, 3)), "columns"),
    )
    before = [(acc.gram.copy(), acc.total.copy(), acc.shift.copy()) for acc in (a, b)]
    a.summary()
    merged = _GramAccumulator(_NumpyBackend(), True, "columns")
    merged.merge(a)
    merged.merge(b)
    for acc, (gram, total, shift) in zip((a, b), before, strict=True):
        np.testing.assert_array_equal(acc.gram, gram)
        np.testing.assert_array_equal(acc.total, total)
        np.testing.assert_array_equal(acc.shift, shift)
    assert merged.n_samples == 12
