"""ISA-VAE's Lp-nested prior (Stuehmer et al. (003) Eqs. 7-11) against closed forms, quadrature and its exact
sampler; the objective's Monte Carlo KL, learned exponents and settings checks."""

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from influential_factors.models.gaussian import kl_normal
from influential_factors.models.objectives.settings import settings_problem
from influential_factors.models.objectives.registry import build_objective, objective_of
from influential_factors.models.objectives import lp_nested
from influential_factors.models.objectives.isa_vae import IsaVAE, IsaVAELearned

F64 = torch.float64


@pytest.fixture(autouse=True)
def _seed():
    """Every test draws from torch's global generator seeded the same way."""
    torch.manual_seed(0)


def exponents(*values):
    return torch.tensor(values, dtype=F64)


def density(p0, subspace_exponents):
    """p_ISA as a numpy function of points (..., n), for scipy."""
    return lambda z: lp_nested.log_density(torch.from_numpy(z), p0, subspace_exponents).exp().numpy()


def settings(layout, p0=2.1, p1=2.2):
    """objectives.isa_vae for a layout (l0, l1): its subspace size l1 (l0 follows from the latents, l0 * l1)."""
    return {"subspace_size": layout[1], "p0": p0, "p1": p1}


@pytest.mark.parametrize("layout", [(1, 2), (2, 1)])
@pytest.mark.parametrize("p1", [2.2, 1.3])
def test_density_integrates_to_one_in_two_dimensions(layout, p1):
    # p depends on |z| only: 4 x the positive quadrant, so the kinks at z_j = 0 lie on the boundary; the
    # mass beyond 12 is below e^-90
    result = integrate.cubature(density(2.1, torch.full((layout[0],), p1, dtype=F64)), [0, 0], [12, 12],
                                atol=1e-9, rtol=1e-9)
    assert result.status == "converged"
    assert 4 * result.estimate == pytest.approx(1.0, abs=1e-8)


@pytest.mark.parametrize("l1, subspace_exponents", [(3, exponents(1.3)), (2, exponents(1.3, 2.2))])
def test_density_integrates_to_one_by_importance_sampling(l1, subspace_exponents):
    """E_q[p / q] = 1 for a proposal q = N(0, 1.5^2 I) with heavier tails than p; tolerance 4 standard errors."""
    n = l1 * len(subspace_exponents)
    proposal = torch.distributions.Normal(torch.zeros(n, dtype=F64), 1.5)
    z = proposal.sample((200_000,))
    weights = (lp_nested.log_density(z, 2.1, subspace_exponents) - proposal.log_prob(z).sum(-1)).exp()
    standard_error = weights.std().item() / math.sqrt(len(weights))
    assert standard_error < 0.005
    assert weights.mean().item() == pytest.approx(1.0, abs=4 * standard_error)


@pytest.mark.parametrize("layout", [(1, 1), (1, 4), (4, 1), (2, 3), (32, 4)])
def test_all_exponents_two_give_the_standard_normal(layout):
    z = 2 * torch.randn(50, layout[0] * layout[1], dtype=F64)
    expected = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(-1)
    torch.testing.assert_close(lp_nested.log_density(z, 2.0, torch.full((layout[0],), 2.0, dtype=F64)), expected)


@pytest.mark.parametrize("layout", [(3, 2), (2, 3)])
@pytest.mark.parametrize("p", [1.3, 2.7])
def test_equal_exponents_give_independent_generalised_normals(layout, p):
    """p0 = p_i = p: f is the Lp norm and p(z) is prod_j exp(-|z_j|^p / s), the generalised normal of scale
    s^(1/p) (Eq. 5), which checks every factor of S_f(1) (Eq. 8)."""
    z = 2 * torch.randn(50, layout[0] * layout[1], dtype=F64)
    expected = stats.gennorm.logpdf(z.numpy(), p, scale=lp_nested.S ** (1 / p)).sum(-1)
    torch.testing.assert_close(lp_nested.log_density(z, p, torch.full((layout[0],), p, dtype=F64)),
                               torch.from_numpy(expected))


@pytest.mark.parametrize("dtype", [torch.float32, F64])
def test_zero_codes_give_finite_values_and_gradients(dtype):
    z = torch.tensor([[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.7, -1.2], [0.5, 0.0, 0.0, 2.0]], dtype=dtype,
                     requires_grad=True)
    p0 = torch.tensor(2.1, dtype=dtype, requires_grad=True)
    subspace_exponents = torch.tensor([1.3, 2.2], dtype=dtype, requires_grad=True)
    log_p = lp_nested.log_density(z, p0, subspace_exponents)
    log_p.sum().backward()
    assert torch.isfinite(log_p).all()
    for gradient in (z.grad, p0.grad, subspace_exponents.grad):
        assert torch.isfinite(gradient).all()
    assert (z.grad[z == 0] == 0).all()  # d|z|^p / dz = 0 at 0 for p > 1
    # the all-zero code is the mode: f = 0 there, so log p(0) = log p at a code next to it
    torch.testing.assert_close(log_p[0], lp_nested.log_density(torch.full((4,), 1e-6, dtype=dtype), p0,
                                                               subspace_exponents))


def test_sampled_radii_follow_their_gamma_laws():
    """f(z)^p0 / s ~ Gamma(n / p0) (Eq. 11); the subspaces are independent with p(z) prop. to
    prod_i exp(-v_i^p0 / s), so each subspace radius gives v_i^p0 / s ~ Gamma(l1 / p0)."""
    p0, l1, subspace_exponents = 2.1, 3, exponents(1.3, 2.5, 0.9, 2.2)
    z = lp_nested.sample(20_000, l1, p0, subspace_exponents, torch.Generator().manual_seed(1))
    n = z.shape[1]
    assert stats.kstest(lp_nested.radius_variate(z, p0, subspace_exponents).numpy(),
                        stats.gamma(n / p0).cdf).pvalue > 0.01
    for i, p in enumerate(subspace_exponents):
        radius = lp_nested.radius_variate(z[:, i * l1:(i + 1) * l1], p0, p.reshape(1))
        assert stats.kstest(radius.numpy(), stats.gamma(l1 / p0).cdf).pvalue > 0.01


@pytest.mark.parametrize("layout", [(1, 2), (2, 1)])
def test_sampled_marginal_matches_the_integrated_density(layout):
    """The first factor's CDF from the 2-D density integrated on a grid (step 0.01, mass beyond 8 below e^-39)."""
    p0, subspace_exponents = 2.1, torch.full((layout[0],), 1.3, dtype=F64)
    grid = torch.linspace(-8, 8, 1601, dtype=F64)
    points = torch.stack(torch.meshgrid(grid, grid, indexing="ij"), -1)
    marginal = torch.trapezoid(lp_nested.log_density(points, p0, subspace_exponents).exp(), grid, dim=1)
    cdf = integrate.cumulative_trapezoid(marginal.numpy(), grid.numpy(), initial=0)
    z = lp_nested.sample(20_000, layout[1], p0, subspace_exponents, torch.Generator().manual_seed(2))
    assert stats.kstest(z[:, 0].numpy(), lambda x: np.interp(x, grid.numpy(), cdf)).pvalue > 0.01


def test_sampler_is_reproducible_from_the_generator():
    objective = IsaVAE(settings((4, 3)), beta=1.0, latents=12, dataset_size=0)
    first, again = (objective.sample_prior(100, torch.Generator().manual_seed(5)) for _ in range(2))
    other = objective.sample_prior(100, torch.Generator().manual_seed(6))
    assert first.shape == (100, 12) and first.dtype == torch.get_default_dtype()
    assert torch.equal(first, again) and not torch.equal(first, other)


def posterior_draws(mu, logvar, count):
    """`count` codes from N(mu, e^logvar), with mu and logvar repeated as a batch of posteriors."""
    mu, logvar = mu.expand(count, -1), logvar.expand(count, -1)
    return mu, logvar, mu + torch.exp(logvar / 2) * torch.randn(count, mu.shape[1], dtype=mu.dtype)


def test_monte_carlo_kl_is_unbiased_for_the_gaussian_prior():
    """All exponents 2: the batch mean of log q(z) - log p(z) estimates the closed-form KL to N(0, I); tolerance
    4 standard errors of the estimate."""
    objective = IsaVAE(settings((2, 2), p0=2.0, p1=2.0), beta=3.0, latents=4, dataset_size=0)
    mu, logvar = torch.tensor([0.5, -1.0, 0.0, 2.0], dtype=F64), torch.tensor([-1.0, 0.5, 0.0, -2.0], dtype=F64)
    mu, logvar, z = posterior_draws(mu, logvar, 100_000)
    terms = objective.penalty(mu, logvar, z)
    log_ratio = (torch.distributions.Normal(mu, torch.exp(logvar / 2)).log_prob(z)
                 - torch.distributions.Normal(0.0, 1.0).log_prob(z)).sum(-1)
    standard_error = log_ratio.std().item() / math.sqrt(len(z))
    assert terms["kl"].item() == pytest.approx(kl_normal(mu[0], logvar[0]).sum().item(), abs=4 * standard_error)
    torch.testing.assert_close(terms["penalty"], 3.0 * terms["kl"])


def test_monte_carlo_kl_matches_quadrature_for_a_generalised_normal_prior():
    """One factor, p0 = 1.3: p is the generalised normal of scale s^(1/p0); the KL from N(mu, sigma^2) to it
    by quadrature; tolerance 4 standard errors."""
    p0, mu, sigma = 1.3, 0.7, 0.4
    objective = IsaVAE(settings((1, 1), p0=p0), beta=1.0, latents=1, dataset_size=0)
    posterior, prior = stats.norm(mu, sigma), stats.gennorm(p0, scale=lp_nested.S ** (1 / p0))
    expected, _ = integrate.quad(lambda x: posterior.pdf(x) * (posterior.logpdf(x) - prior.logpdf(x)), -np.inf,
                                 np.inf)
    mu_batch, logvar_batch, z = posterior_draws(torch.tensor([mu], dtype=F64),
                                                torch.tensor([2 * math.log(sigma)], dtype=F64), 100_000)
    log_ratio = posterior.logpdf(z.numpy()[:, 0]) - prior.logpdf(z.numpy()[:, 0])
    kl = objective.penalty(mu_batch, logvar_batch, z)["kl"].item()
    assert kl == pytest.approx(expected, abs=4 * log_ratio.std() / math.sqrt(len(z)))


def test_learned_exponents_get_gradients_train_and_are_saved():
    objective = build_objective("isa_vae_learned", settings((2, 3), p1=2.0), beta=1.0, latents=6, dataset_size=0)
    assert isinstance(objective, IsaVAELearned) and objective.description()["name"] == "isa_vae_learned"
    assert [name for name, _ in objective.named_parameters()] == ["log_exponents"]
    torch.testing.assert_close(objective.exponents, torch.full((2,), 2.0))
    mu = torch.randn(64, 6, requires_grad=True)
    logvar = torch.full((64, 6), -1.0)
    terms = objective.penalty(mu, logvar, mu + torch.exp(logvar / 2) * torch.randn(64, 6))
    assert terms["p1_mean"].item() == pytest.approx(2.0)
    terms["penalty"].backward()
    assert torch.isfinite(objective.log_exponents.grad).all() and (objective.log_exponents.grad != 0).all()
    assert mu.grad is not None
    before = objective.exponents.detach().clone()
    torch.optim.SGD(objective.parameters(), lr=0.1).step()
    assert (objective.exponents != before).all() and objective.p0 == 2.1
    restored = objective_of({"objective": objective.description(), "objective_state": objective.state_dict()})
    torch.testing.assert_close(restored.exponents, objective.exponents)


def test_fixed_exponents_are_not_parameters_nor_saved():
    objective = IsaVAE(settings((2, 3), p1=1.3), beta=1.0, latents=6, dataset_size=0)
    assert list(objective.parameters()) == [] and objective.state_dict() == {}
    restored = objective_of({"objective": objective.description()})
    torch.testing.assert_close(restored.exponents, torch.full((2,), 1.3))
    assert "p1_mean" not in objective.penalty(torch.zeros(2, 6), torch.zeros(2, 6), torch.randn(2, 6))


def test_build_objective_from_the_registry():
    objective = build_objective("isa_vae", settings((5, 4)), beta=4.0, latents=20, dataset_size=100)
    assert isinstance(objective, IsaVAE) and objective.description()["name"] == "isa_vae"
    z = objective.sample_prior(7, torch.Generator().manual_seed(0))
    terms = objective.penalty(torch.zeros(7, 20), torch.zeros(7, 20), z)
    assert z.shape == (7, 20) and torch.isfinite(terms["penalty"])


@pytest.mark.parametrize("changes, latents, message", [
    ({"subspace_size": 3}, 128, r"subspace_size: expected the size of each subspace, an integer dividing the "
                                r"model's 128 latents \(one of \[1, 2, 4, 8, 16, 32, 64, 128\]\), got 3"),
    ({"subspace_size": 4}, 10, r"dividing the model's 10 latents \(one of \[1, 2, 5, 10\]\), got 4"),
    ({"subspace_size": 0}, 20, r"subspace_size: expected the size of each subspace"),
    ({"subspace_size": 40}, 20, r"subspace_size: expected the size of each subspace"),
    ({"subspace_size": 4.0}, 20, r"subspace_size: expected the size of each subspace"),
    ({"subspace_size": [5, 4]}, 20, r"subspace_size: expected the size of each subspace"),
    ({"p0": 0}, 20, r"objectives\.isa_vae\.p0: expected a finite number > 0"),
    ({"p1": -1.0}, 20, r"objectives\.isa_vae\.p1: expected a finite number > 0"),
    ({"p1": math.inf}, 20, r"objectives\.isa_vae\.p1: expected a finite number > 0"),
    ({"p0": True}, 20, r"objectives\.isa_vae\.p0"),
    ({"p2": 2.0}, 20, r"unknown setting p2"),
])
def test_bad_settings_are_refused_naming_the_key(changes, latents, message):
    bad = {**settings((4, 5)), **changes}
    with pytest.raises(ValueError, match=message):
        build_objective("isa_vae", bad, beta=1.0, latents=latents, dataset_size=0)
    assert settings_problem("isa_vae", bad, latents) is not None


def test_missing_setting_is_named():
    incomplete = settings((4, 5))
    del incomplete["p1"]
    assert "missing p1" in settings_problem("isa_vae", incomplete, 20)
    assert "missing p1" in settings_problem("isa_vae_learned", incomplete, 20)  # the settings it reads
