"""beta-TCVAE (Chen et al. 2018): MI + TC + DWKL by minibatch stratified sampling, against closed forms."""

import math

import pytest
import torch

from influential_factors.models.gaussian import kl_normal
from influential_factors.models.objectives.settings import settings_problem
from influential_factors.models.objectives.registry import build_objective
from influential_factors.models.objectives.beta_tcvae import decomposition, log_density_matrix, stratified_log_weights


def beta_tcvae(alpha=1.0, gamma=1.0, beta=6.0, latents=2, dataset_size=10**6):
    return build_objective("beta_tcvae", {"alpha": alpha, "gamma": gamma}, beta=beta, latents=latents,
                           dataset_size=dataset_size)


def posteriors(batch, latents, seed):
    """Random posteriors and one reparameterised code from each."""
    generator = torch.Generator().manual_seed(seed)
    mu = torch.randn(batch, latents, generator=generator)
    logvar = 0.5 * torch.randn(batch, latents, generator=generator)
    return mu, logvar, mu + torch.exp(logvar / 2) * torch.randn(batch, latents, generator=generator)


def test_density_matrix_is_each_code_under_each_posterior():
    mu, logvar, z = posteriors(4, 3, seed=0)
    expected = torch.distributions.Normal(mu[None], torch.exp(logvar[None] / 2)).log_prob(z[:, None])
    torch.testing.assert_close(log_density_matrix(z, mu, logvar), expected)


@pytest.mark.parametrize("batch", [64, 2048])
def test_terms_add_up_to_the_monte_carlo_kl_which_approaches_the_closed_form(batch):
    """MI + TC + DWKL telescopes to mean_i [log q(z_i|x_i) - log N(z_i; 0, I)] (float tolerance). Given the
    posteriors that mean is unbiased for the closed-form mean KL with variance
    sum_{i,d} [mu^2 sigma^2 + (sigma^2 - 1)^2 / 2] / M^2 (log q - log p = const + mu sigma eps
    + (sigma^2 - 1) eps^2 / 2 per dimension, eps ~ N(0, 1)); it must lie within 5 standard deviations,
    a tolerance that shrinks as 1/sqrt(M)."""
    mu, logvar, z = posteriors(batch, 2, seed=batch)
    terms = beta_tcvae(dataset_size=10**6).penalty(mu, logvar, z)
    monte_carlo = (torch.distributions.Normal(mu, torch.exp(logvar / 2)).log_prob(z)
                   - torch.distributions.Normal(0.0, 1.0).log_prob(z)).sum(1).mean()
    torch.testing.assert_close(terms["mi"] + terms["tc"] + terms["dwkl"], monte_carlo)
    torch.testing.assert_close(terms["kl"], monte_carlo)
    variance = torch.exp(logvar)
    standard_error = ((mu ** 2 * variance + (variance - 1) ** 2 / 2).sum() / batch ** 2).sqrt()
    closed_form = kl_normal(mu, logvar).sum(1).mean()
    assert abs(terms["kl"] - closed_form) < 5 * standard_error


def gaussian_closed_forms(covariance, s):
    """x ~ N(0, S), q(z|x) = N(x, s^2 I): q(z) = N(0, C), C = S + s^2 I, so MI = 1/2 log det C / s^(2D),
    TC = 1/2 [sum log diag C - log det C], DWKL = sum_j KL(N(0, C_jj) || N(0, 1))."""
    C = covariance + s ** 2 * torch.eye(len(covariance), dtype=covariance.dtype)
    marginal_variances = torch.diagonal(C)
    return {"mi": 0.5 * (torch.logdet(C) - len(C) * math.log(s ** 2)),
            "tc": 0.5 * (torch.log(marginal_variances).sum() - torch.logdet(C)),
            "dwkl": kl_normal(torch.zeros(len(C)), torch.log(marginal_variances)).sum()}


def test_each_term_matches_its_closed_form_on_a_correlated_gaussian():
    """M = 2048 codes, N = 1e9 (a continuum of x): each term within 0.1 nats of its closed form (MI 2.19,
    TC 0.26, DWKL 0.25 nats). Over 20 seeds the errors had standard deviations of 0.026 nats or less and
    never exceeded 0.06, so the tolerance is about 4 standard deviations."""
    covariance = torch.tensor([[2.0, 0.9, 0.3], [0.9, 1.0, 0.4], [0.3, 0.4, 0.5]])
    s, batch = 0.5, 2048
    generator = torch.Generator().manual_seed(7)
    x = torch.randn(batch, 3, generator=generator) @ torch.linalg.cholesky(covariance).T
    z = x + s * torch.randn(batch, 3, generator=generator)
    terms = beta_tcvae(latents=3, dataset_size=10**9).penalty(x, torch.full_like(x, 2 * math.log(s)), z)
    for name, value in gaussian_closed_forms(covariance, s).items():
        assert abs(terms[name] - value) < 0.1, (name, terms[name].item(), value.item())


def test_only_the_stratified_weights_get_the_mi_of_identifiable_codes():
    """Posteriors 50 standard deviations apart in every dimension identify x: MI = H(x) = log N, and since
    each dimension alone does too, TC = D log N - log N. The stratified weights give exactly that; the plain
    1/M mixture caps MI at log M, and Chen et al.'s printed log(N M) adds log N."""
    batch, latents, dataset_size = 16, 2, 10**6
    generator = torch.Generator().manual_seed(3)
    mu = torch.stack([50.0 * torch.randperm(batch, generator=generator) for _ in range(latents)], 1)
    logvar = torch.zeros(batch, latents)
    z = mu + torch.randn(batch, latents, generator=generator)
    terms = beta_tcvae(latents=latents, dataset_size=dataset_size).penalty(mu, logvar, z)
    log_n, log_m = math.log(dataset_size), math.log(batch)
    assert terms["mi"].item() == pytest.approx(log_n, rel=1e-5)
    assert terms["tc"].item() == pytest.approx((latents - 1) * log_n, rel=1e-5)
    for log_weight, mi in ((-log_m, log_m), (-log_m - log_n, log_m + log_n)):
        assert decomposition(mu, logvar, z, torch.full((batch, batch), log_weight))["mi"].item() == pytest.approx(mi)


def test_printed_weighting_shifts_the_terms_by_constants_that_cancel():
    """log(N M) instead of log M: MI + log N, TC + (D - 1) log N, DWKL - D log N, sum unchanged (Chen et al.)."""
    batch, latents, dataset_size = 32, 4, 5000
    mu, logvar, z = posteriors(batch, latents, seed=1)
    mixture = decomposition(mu, logvar, z, torch.full((batch, batch), -math.log(batch)))
    printed = decomposition(mu, logvar, z, torch.full((batch, batch), -math.log(batch * dataset_size)))
    log_n = math.log(dataset_size)
    for name, shift in (("mi", log_n), ("tc", (latents - 1) * log_n), ("dwkl", -latents * log_n)):
        torch.testing.assert_close(printed[name], mixture[name] + shift)
    torch.testing.assert_close(sum(printed.values()), sum(mixture.values()))


def test_stratified_weights_are_a_mixture():
    """Each row sums to one; with the whole data set in the batch (M = N) every weight is 1/N."""
    torch.testing.assert_close(stratified_log_weights(8, 1000, torch.float64).exp().sum(1),
                               torch.ones(8, dtype=torch.float64))
    torch.testing.assert_close(stratified_log_weights(5, 5).exp(), torch.full((5, 5), 0.2))


def test_equal_weights_are_beta_times_the_kl():
    mu, logvar, z = posteriors(16, 3, seed=2)
    terms = beta_tcvae(alpha=6.0, gamma=6.0, beta=6.0, latents=3).penalty(mu, logvar, z)
    assert torch.equal(terms["penalty"], 6.0 * terms["kl"])


def test_penalty_weights_each_term_and_trains():
    mu, logvar, _ = posteriors(16, 3, seed=4)
    mu.requires_grad_(), logvar.requires_grad_()
    z = mu + torch.exp(logvar / 2) * torch.randn(16, 3, generator=torch.Generator().manual_seed(5))
    terms = beta_tcvae(alpha=0.5, gamma=2.0, beta=6.0, latents=3).penalty(mu, logvar, z)
    torch.testing.assert_close(terms["penalty"], 0.5 * terms["mi"] + 6.0 * terms["tc"] + 2.0 * terms["dwkl"])
    terms["penalty"].backward()
    assert torch.isfinite(mu.grad).all() and torch.isfinite(logvar.grad).all() and mu.grad.abs().sum() > 0


def test_a_batch_of_one_has_constant_mi_and_tc():
    """A short last batch of one code: its MI and TC estimates are constants (log N, (D - 1) log N), so the
    gradient is the dimension-wise KL's alone."""
    mu, logvar, z = posteriors(1, 2, seed=0)
    terms = beta_tcvae(alpha=1.0, gamma=1.0, beta=6.0, latents=2, dataset_size=100).penalty(mu, logvar, z)
    torch.testing.assert_close(terms["mi"], torch.tensor(math.log(100)))
    torch.testing.assert_close(terms["tc"], torch.tensor(math.log(100)))
    assert torch.isfinite(terms["penalty"])


@pytest.mark.parametrize("settings, message", [
    ({"alpha": 1.0}, r"objectives\.beta_tcvae: missing gamma"),
    ({"alpha": 1.0, "gamma": 1.0, "beta": 6}, r"objectives\.beta_tcvae: unknown setting beta"),
    ({"alpha": -1.0, "gamma": 1.0}, r"objectives\.beta_tcvae\.alpha: expected a finite number >= 0"),
    ({"alpha": 1.0, "gamma": float("inf")}, r"objectives\.beta_tcvae\.gamma: expected a finite number >= 0"),
    ({"alpha": None, "gamma": 1.0}, r"beta_tcvae\.alpha: expected a finite number"),
    ([1.0, 1.0], r"objectives\.beta_tcvae: expected a mapping"),
])
def test_bad_settings_name_the_key(settings, message):
    with pytest.raises(ValueError, match=message):
        build_objective("beta_tcvae", settings, beta=6.0, latents=10, dataset_size=100)
    assert settings_problem("beta_tcvae", settings, 10) is not None


def test_needs_the_dataset_size():
    assert settings_problem("beta_tcvae", {"alpha": 1, "gamma": 0}, 10) is None
    with pytest.raises(ValueError, match="dataset_size=0"):
        beta_tcvae(dataset_size=0)
