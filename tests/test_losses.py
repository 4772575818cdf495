"""NMTune's loss terms against slow textbook formulas, in float64."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sknml import _linalg
from sknml._losses import (
    NMTuneLoss,
    consistency_loss,
    covariance_loss,
    singular_value_loss,
)

_SETTINGS = settings(max_examples=60, deadline=None)


@st.composite
def _matrices(draw, min_rows=1, max_rows=12, max_cols=12):
    """Gaussian matrices of hypothesis-chosen shape, seed, scale and rank."""
    n_rows = draw(st.integers(min_rows, max_rows))
    n_cols = draw(st.integers(1, max_cols))
    rank = draw(st.integers(1, min(n_rows, n_cols)))
    seed = draw(st.integers(0, 2**32 - 1))
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n_rows, rank)) @ rng.standard_normal((rank, n_cols))
    return torch.tensor(scale * z, dtype=torch.float64)


def _covariance_reference(z):
    centered = z - z.mean(dim=0)
    cov = centered.T @ centered / (z.shape[0] - 1)
    off_diagonal = cov - torch.diag(torch.diagonal(cov))
    return off_diagonal.square().sum() / z.shape[1]


def _singular_value_reference(z, top_k):
    s = torch.linalg.svdvals(z)
    return -s[: min(top_k, len(s))].mean() / s.sum()


def _grad(function, z):
    z = z.clone().requires_grad_(True)
    (gradient,) = torch.autograd.grad(function(z), z)
    return gradient


@_SETTINGS
@given(_matrices(min_rows=2))
def test_covariance_loss_equals_explicit_formula(z):
    expected = _covariance_reference(z)
    # The Gram route subtracts the squared diagonal from the squared Frobenius
    # norm: its round-off is relative to that norm, not to the difference.
    centered = z - z.mean(dim=0)
    scale = (centered.T @ centered / (len(z) - 1)).square().sum() / z.shape[1]
    torch.testing.assert_close(
        covariance_loss(z), expected, rtol=1e-9, atol=1e-12 * (1 + scale.item())
    )
    reference_grad = _grad(_covariance_reference, z)
    torch.testing.assert_close(
        _grad(covariance_loss, z),
        reference_grad,
        rtol=1e-4,
        atol=1e-4 * reference_grad.abs().max().item() + 1e-12 * (1 + scale.item()),
    )


@_SETTINGS
@given(_matrices(), st.integers(1, 6))
def test_singular_value_loss_equals_svdvals_formula(z, top_k):
    torch.testing.assert_close(
        singular_value_loss(z, top_k),
        _singular_value_reference(z, top_k),
        rtol=1e-7,
        atol=1e-9,
    )


@_SETTINGS
@given(st.integers(1, 12), st.integers(1, 12), st.integers(0, 2**32 - 1))
def test_singular_value_loss_gradient_matches_svdvals(n_rows, n_cols, seed):
    # Full-rank Gaussian matrices: distinct singular values, a unique gradient.
    z = torch.tensor(
        np.random.default_rng(seed).standard_normal((n_rows, n_cols)),
        dtype=torch.float64,
    )
    s = torch.linalg.svdvals(z)
    if len(s) > 1 and (s[:-1] - s[1:]).min() < 1e-3 * s[0]:
        return  # nearly tied singular values: the subgradient is not unique
    for top_k in (1, 2, 5):
        torch.testing.assert_close(
            _grad(lambda m, k=top_k: singular_value_loss(m, k), z),
            _grad(lambda m, k=top_k: _singular_value_reference(m, k), z),
            rtol=1e-4,
            atol=1e-4,
        )


@_SETTINGS
@given(_matrices())
def test_consistency_loss_equals_formula_and_stops_gradient_to_x(z):
    x = torch.flip(z, dims=[0]).clone().requires_grad_(True)
    z = z.clone().requires_grad_(True)
    loss = consistency_loss(z, x)
    z_unit = z / z.norm(dim=1, keepdim=True).clamp_min(1e-12)
    x_unit = x / x.norm(dim=1, keepdim=True).clamp_min(1e-12)
    torch.testing.assert_close(loss, (z_unit - x_unit.detach()).square().mean())
    loss.backward()
    assert x.grad is None
    assert torch.isfinite(z.grad).all()


def _degenerate_batches():
    rng = np.random.default_rng(0)
    base = rng.standard_normal((8, 5))
    yield "duplicated rows", np.repeat(base[:2], 4, axis=0)
    yield "constant columns", np.hstack([base[:, :2], np.ones((8, 3))])
    yield "rank deficient", base[:, :1] @ rng.standard_normal((1, 5))
    yield "one row", base[:1]
    yield "one column", base[:, :1]
    yield "all zero", np.zeros((8, 5))
    yield "wide", rng.standard_normal((3, 40))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize(("name", "z"), list(_degenerate_batches()))
def test_full_objective_is_finite_on_degenerate_batches(name, z, dtype):
    z = torch.tensor(z, dtype=dtype, requires_grad=True)
    x = torch.ones_like(z)
    target = torch.zeros(len(z), dtype=torch.long)
    for scale_invariant in (False, True):
        logits = z @ torch.ones(z.shape[1], 2, dtype=dtype)
        loss, _ = NMTuneLoss(0.01, 0.01, 0.01, 5, scale_invariant)(logits, z, x, target)
        loss.backward()
    assert torch.isfinite(loss), name
    assert torch.isfinite(z.grad).all(), name


def _float64_eigenvalues(matrix):
    """The former eigenvalue route of the singular-value term: a float64 solve."""
    return torch.linalg.eigvalsh(matrix.to(torch.float64)).to(matrix.dtype)


def _objective_and_gradient(z):
    """NMTune's default objective on a batch ``z`` and its gradient in ``z``."""
    z = z.clone().requires_grad_(True)
    x = torch.flip(z.detach(), dims=[0])
    head = torch.linspace(-1, 1, 3 * z.shape[1], dtype=z.dtype).reshape(-1, 3)
    target = torch.arange(len(z)) % 3
    loss, _ = NMTuneLoss(0.1, 0.03, 1.0, 5, True)(z @ head, z, x, target)
    (gradient,) = torch.autograd.grad(loss, z)
    return loss, gradient


def _relu_batches():
    rng = np.random.default_rng(0)
    # Dead rows give the Gram repeated zero eigenvalues: LAPACK's float32 solver
    # failed to converge on this one (seed 20), so its float64 retry runs.
    generator = torch.Generator().manual_seed(20)
    z = torch.relu(torch.randn(256, 384, generator=generator) - 1.5)
    yield "half the rows dead", z * (torch.rand(256, 1, generator=generator) < 0.5)
    yield "sparse", np.maximum(rng.standard_normal((256, 384)) - 2.5, 0.0)
    yield "sparse, tall", np.maximum(rng.standard_normal((512, 64)) - 1.5, 0.0)
    # A shared mean makes the largest eigenvalue 8 times the next, as in features
    # from an untrained tuning network (5 to 100 times).
    yield "dense", rng.standard_normal((256, 384)) + 0.3 * rng.standard_normal(384)


@pytest.mark.parametrize(
    ("name", "z"), list(_degenerate_batches()) + list(_relu_batches())
)
def test_float32_objective_equals_the_float64_eigenvalue_route(name, z, monkeypatch):
    # On these batches a float32 eigenvalue solve moves the objective and its
    # gradient by less than 1e-5 relative from a float64 solve of the same Gram; on
    # ill-conditioned ones (largest / smallest resolved eigenvalue above ~1e4) the
    # gradient moves more, as the eigenvectors of eigenvalues within rounding of
    # each other are uncertain in both.
    z = torch.as_tensor(z, dtype=torch.float32)
    loss, gradient = _objective_and_gradient(z)
    monkeypatch.setattr(_linalg, "symmetric_eigenvalues", _float64_eigenvalues)
    expected_loss, expected_gradient = _objective_and_gradient(z)
    torch.testing.assert_close(loss, expected_loss, rtol=1e-5, atol=0.0, msg=name)
    torch.testing.assert_close(
        gradient,
        expected_gradient,
        rtol=0.0,
        atol=1e-5 * expected_gradient.abs().max().item(),
        msg=name,
    )


@_SETTINGS
@given(_matrices(), st.integers(1, 6))
def test_float64_singular_value_term_equals_the_float64_eigenvalue_route(z, top_k):
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(_linalg, "symmetric_eigenvalues", _float64_eigenvalues)
        expected_gradient = _grad(lambda m: singular_value_loss(m, top_k), z)
        expected = singular_value_loss(z, top_k)
    torch.testing.assert_close(singular_value_loss(z, top_k), expected)
    torch.testing.assert_close(
        _grad(lambda m: singular_value_loss(m, top_k), z), expected_gradient
    )


def test_covariance_loss_of_a_single_row_is_zero():
    assert covariance_loss(torch.ones(1, 4)).item() == 0.0


def test_loss_skips_regularizers_without_a_tuning_network():
    x = torch.randn(6, 3, dtype=torch.float64)
    logits = torch.randn(6, 2, dtype=torch.float64)
    target = torch.tensor([0, 1, 0, 1, 0, 1])
    plain = torch.nn.functional.cross_entropy(logits, target)
    loss, terms = NMTuneLoss(1.0, 1.0, 1.0, 1, True)(logits, x, x, target)
    torch.testing.assert_close(loss, plain)
    assert list(terms) == ["ce"]


def test_sample_weights_scale_each_cross_entropy_term():
    logits = torch.tensor([[2.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    target = torch.tensor([0, 0])
    weight = torch.tensor([0.0, 2.0], dtype=torch.float64)
    x = torch.zeros(2, 2)
    loss, _ = NMTuneLoss(0, 0, 0, 1, True)(logits, x, x, target, weight)
    per_sample = torch.nn.functional.cross_entropy(logits, target, reduction="none")
    torch.testing.assert_close(loss, per_sample[1])


@_SETTINGS
@given(_matrices(min_rows=2), st.sampled_from([1e-3, 0.7, 1e3]))
def test_scale_invariant_terms_do_not_change_when_z_is_scaled(z, factor):
    x = torch.flip(z, dims=[0])
    for term in (
        lambda m: covariance_loss(m, scale_invariant=True),
        lambda m: consistency_loss(m, x, scale_invariant=True),
        lambda m: singular_value_loss(m, 3),
    ):
        torch.testing.assert_close(term(factor * z), term(z), rtol=1e-7, atol=1e-12)


@_SETTINGS
@given(_matrices(min_rows=2))
def test_scale_invariant_covariance_is_off_diagonal_over_squared_trace(z):
    centered = z - z.mean(dim=0)
    cov = centered.T @ centered / (len(z) - 1)
    off_diagonal = cov.square().sum() - cov.diagonal().square().sum()
    expected = off_diagonal / cov.trace().square()
    scale = cov.square().sum() / cov.trace().square()
    torch.testing.assert_close(
        covariance_loss(z, scale_invariant=True),
        expected,
        rtol=1e-7,
        atol=1e-9 * (1 + scale.item()),
    )
    assert 0 <= covariance_loss(z, scale_invariant=True) < 1 + 1e-9


def test_scale_invariant_consistency_is_the_literal_one_times_the_dimension():
    z, x = (
        torch.randn(7, 5, dtype=torch.float64),
        torch.randn(7, 5, dtype=torch.float64),
    )
    torch.testing.assert_close(
        consistency_loss(z, x, scale_invariant=True), 5 * consistency_loss(z, x)
    )
    cosine = torch.nn.functional.cosine_similarity(z, x).mean()
    torch.testing.assert_close(
        consistency_loss(z, x, scale_invariant=True), 2 * (1 - cosine)
    )


def test_the_loss_returns_the_unweighted_terms_that_act():
    z = torch.randn(16, 4, dtype=torch.float64)
    x = torch.randn(16, 4, dtype=torch.float64)
    logits = torch.randn(16, 2, dtype=torch.float64)
    target = torch.randint(0, 2, (16,))
    loss, terms = NMTuneLoss(2.0, 0.0, 3.0, 2, True)(logits, z, x, target)
    assert list(terms) == ["ce", "mse", "svd"]
    torch.testing.assert_close(loss, terms["ce"] + 2 * terms["mse"] + 3 * terms["svd"])
