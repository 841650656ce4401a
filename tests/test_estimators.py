"""The estimators beside Algorithm 1: closed-form identities, known answers and sanity bands."""

import math

import numpy as np
import pytest
import torch
from scipy import stats
from scipy.special import logsumexp

from influential_factors.information import estimators
from influential_factors.information.estimators import (MIXTURE_TOLERANCE, active_units, approximate_mixture, free_mean_information,
                                            kl_to_prior, mixture_draws, mixture_information, optimal_prior_kl)
from influential_factors.models.gaussian import kl_normal
from influential_factors.information.mi import information_per_factor, optimal_prior_variance
from influential_factors.information.synthetic import bimodal_information, synthetic_posteriors


def random_posteriors(samples=400, factors=5, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(0.3, 1.2, size=(samples, factors)), rng.normal(-1.0, 0.5, size=(samples, factors))


def test_kl_to_prior_minus_kl_to_q_star_equals_kl_of_q_star_to_the_prior():
    mu, logvar = random_posteriors()
    difference = kl_to_prior(mu, logvar) - information_per_factor(mu, logvar)
    np.testing.assert_allclose(difference, optimal_prior_kl(mu, logvar), rtol=1e-10)
    s2 = optimal_prior_variance(mu, logvar)
    np.testing.assert_allclose(optimal_prior_kl(mu, logvar), kl_normal(0.0, np.log(s2)), rtol=1e-12)


def test_free_mean_is_the_mean_kl_to_the_best_gaussian_and_never_above_algorithm_1():
    mu, logvar = random_posteriors(seed=1)
    free = free_mean_information(mu, logvar)
    centre, spread = mu.mean(axis=0), np.exp(logvar).mean(axis=0) + mu.var(axis=0)
    np.testing.assert_allclose(free, kl_normal(mu, logvar, centre, np.log(spread)).mean(axis=0), rtol=1e-10)
    assert np.all(free <= information_per_factor(mu, logvar) + 1e-12)
    for shift, scale in ((0.1, 1.0), (0.0, 1.2)):  # moving q* off the moment match raises the mean KL
        assert np.all(kl_normal(mu, logvar, centre + shift, np.log(spread * scale)).mean(axis=0) > free)


def test_mixture_estimator_converges_to_the_closed_form_on_the_linear_gaussian_encoder():
    errors, joint_errors = [], []
    for samples in (500, 4000):
        mu, logvar, truth, joint_truth = synthetic_posteriors("gaussian", samples, seed=2)
        per_factor, joint = mixture_information(mu, logvar, samples=2, seed=3)
        errors.append(np.abs(per_factor - truth).max())
        joint_errors.append(joint - joint_truth)
    assert errors[1] < 0.05 and errors[1] < errors[0]
    # the whole code (5.2 nats, near log 500 = 6.2) shows the lower bound's finite-M bias, shrinking with M
    assert joint_errors[0] < joint_errors[1] < 0 and joint_errors[1] > -0.15


def test_mixture_estimator_is_near_the_quadrature_truth_where_gaussian_q_star_is_biased():
    mu, logvar, truth, _ = synthetic_posteriors("bimodal", 4000, seed=4)
    per_factor, _ = mixture_information(mu, logvar, seed=5)
    np.testing.assert_allclose(per_factor, truth, atol=0.05)
    # bimodal q(z_h): the Gaussian q* overshoots, less as the noise blurs the two modes into one bump
    bias = free_mean_information(mu, logvar) - truth
    assert bias[0] > bias[1] > 0.1 and 0 < bias[2] < bias[1]


def test_bimodal_truth_tends_to_the_entropy_of_the_two_modes():
    """With little noise z reveals x's mode and location: I -> H(mixture of 2 narrow Gaussians) - H(noise)."""
    wide = bimodal_information(100.0)
    assert 0 < wide < 0.05  # noise far wider than the input: almost nothing gets through
    assert bimodal_information(0.05) > bimodal_information(0.5) > bimodal_information(4.0)


def test_an_ignored_factor_scores_zero_and_an_identity_code_scores_high():
    rng = np.random.default_rng(6)
    x = rng.normal(size=2000)
    mu = np.column_stack([np.zeros_like(x), x])
    logvar = np.column_stack([np.zeros_like(x), np.full_like(x, np.log(1e-4))])
    per_factor, joint = mixture_information(mu, logvar, seed=7)
    assert abs(per_factor[0]) < 0.01
    # I(x; x + noise) = 1/2 log(1 + 1 / 1e-4) = 4.6 nats, well under the cap log M = 7.6
    assert per_factor[1] == pytest.approx(0.5 * np.log1p(1e4), abs=0.1)
    assert joint == pytest.approx(per_factor.sum(), abs=0.05)
    np.testing.assert_array_equal(active_units(mu), [False, True])


def test_duplicated_factors_inflate_the_sum_by_their_total_correlation():
    """z1 and z2 read the same x: sum_h I(x; z_h) - I(x; z) = TC(z) = I(z1; z2), closed form for Gaussians."""
    rng = np.random.default_rng(8)
    x = rng.normal(size=3000)
    noise = 0.25
    mu = np.column_stack([x, x])
    logvar = np.full(mu.shape, np.log(noise))
    per_factor, joint = mixture_information(mu, logvar, samples=2, seed=9)
    single = 0.5 * np.log1p(1 / noise)
    np.testing.assert_allclose(per_factor, single, atol=0.05)
    assert joint == pytest.approx(0.5 * np.log1p(2 / noise), abs=0.05)
    correlation = 1 / (1 + noise)  # corr(z1, z2)
    assert per_factor.sum() - joint == pytest.approx(-0.5 * np.log(1 - correlation**2), abs=0.08)


def test_mixture_estimator_is_seeded_and_independent_of_the_batch_size():
    mu, logvar = random_posteriors(samples=300, seed=10)
    first = mixture_information(mu, logvar, seed=1, batch_size=7)
    np.testing.assert_allclose(first[0], mixture_information(mu, logvar, seed=1, batch_size=7)[0], rtol=0)
    assert mixture_information(mu, logvar, seed=2)[1] != first[1]


def test_kl_to_prior_matches_the_closed_form_per_dimension():
    mu, logvar = np.array([[1.0, 0.0]]), np.array([[0.0, np.log(4.0)]])
    np.testing.assert_allclose(kl_to_prior(mu, logvar), [0.5, 0.5 * (4 - 1 - np.log(4))])


def factor_kinds(samples, seed=0):
    """Factors as a trained VAE has them, and harder: active (means over +-3, sigma 0.02..0.3), inactive (about
    N(0, 1) each), sigmas spread over 6 orders of magnitude, half sharp (sigma 1e-3) and half N(mu, 1), all sharp."""
    rng = np.random.default_rng(seed)
    mu = np.column_stack([rng.normal(size=samples), rng.normal(0, 0.02, samples), rng.normal(size=samples),
                          rng.normal(size=samples), 2 * rng.normal(size=samples)])
    sigma = np.column_stack([rng.uniform(0.02, 0.3, samples), np.exp(rng.normal(0, 0.05, samples)),
                             np.exp(rng.uniform(-14, 1, samples)), np.where(rng.random(samples) < 0.5, 1e-3, 1.0),
                             np.full(samples, 1e-3)])
    return mu, 2 * np.log(sigma)


def brute_force_log_mixtures(z, mu, logvar):
    """log 1/M sum_n N(z; mu_n, sigma_n^2) per factor (queries x factors) and for the whole code, in float64."""
    log_normal = stats.norm.logpdf(z[:, None, :], mu[None], np.exp(0.5 * logvar)[None])  # (queries, M, factors)
    return logsumexp(log_normal, axis=1) - np.log(len(mu)), logsumexp(log_normal.sum(2), axis=1) - np.log(len(mu))


def approximate(z, mu, logvar, tolerance, monkeypatch):
    """approximate_mixture on rows of sorted queries (one factor per column of mu), and per factor the first octave
    of sigma it interpolated (the sharper ones are summed in windows)."""
    plan, plans = estimators.octave_plan, []
    monkeypatch.setattr(estimators, "octave_plan", lambda *args: plans.append(plan(*args)) or plans[-1])
    z, mu, logvar = (torch.tensor(array).contiguous() for array in (z, mu.T, logvar.T))
    density, bound = approximate_mixture(z, mu, logvar, tolerance)
    return density.numpy(), bound.numpy(), plans[0]["first"].numpy()


@pytest.mark.parametrize("tolerance", [MIXTURE_TOLERANCE, 1e-3, 1.0])
def test_approximate_mixture_is_within_its_stated_bound_of_the_exact_mixture(tolerance, monkeypatch):
    """|q_hat - q| <= E at every query of every kind of factor, with both the windows and the interpolants in use."""
    mu, logvar = factor_kinds(500)
    z = np.sort(mu + np.exp(0.5 * logvar) * np.random.default_rng(1).normal(size=mu.shape), axis=0).T.copy()
    density, bound, first_interpolated = approximate(z, mu, logvar, tolerance, monkeypatch)
    exact = np.exp(brute_force_log_mixtures(z.T, mu, logvar)[0].T)
    assert np.all(np.abs(density - exact) <= bound)
    assert np.mean(bound >= tolerance * (density - bound)) < 0.05  # all but a few in the tails need no exact sum
    assert first_interpolated[1] == 0  # inactive: interpolated
    assert first_interpolated[3] == 1  # half sharp: those summed in windows, the broad half interpolated
    assert first_interpolated[4] == 1  # all sharp, one octave: summed in windows


def test_window_bound_is_nearly_reached_just_beyond_the_window(monkeypatch):
    """200 posteriors at one distance d from the queries (one factor per d): once d passes the window's edge
    T sigma, the windowed sum leaves them out and misses phi(d / sigma) / M sum 1 / sigma, nearly the bound
    phi(T) / M sum_n 1 / sigma_n."""
    sigma, distances = 0.01, np.arange(0.05, 0.15, 2e-4)
    mu = np.vstack([np.zeros_like(distances), np.repeat(distances[None], 200, 0)])
    logvar = np.full(mu.shape, 2 * np.log(sigma))
    z = np.repeat(np.linspace(-0.02, 0.02, 5)[None], len(distances), 0)
    density, bound, first_interpolated = approximate(z, mu, logvar, 1e-6, monkeypatch)
    assert np.all(first_interpolated == 1)  # one octave, summed in windows
    ratio = np.abs(density - np.exp(brute_force_log_mixtures(z.T, mu, logvar)[0].T)) / bound
    assert ratio.max() <= 1 and ratio.max() > 0.8


@pytest.mark.parametrize("collapsed", [False, True])
def test_mixture_estimator_equals_the_float64_brute_force_with_the_same_draws(collapsed):
    """Per factor within MIXTURE_TOLERANCE; the joint too, by the screen (informative factors) and densely (a
    collapsed code, every posterior about N(0, 1): the screen rules nothing out)."""
    mu, logvar = factor_kinds(300, seed=2)
    if collapsed:
        mu, logvar = 0.01 * mu, 0.01 * logvar
    per_factor, joint = mixture_information(mu, logvar, samples=2, batch_size=5, seed=3)
    z, log_own = (value.numpy() for value in mixture_draws(torch.tensor(mu), torch.tensor(logvar), 2, 5, 3))
    log_aggregate, log_aggregate_joint = brute_force_log_mixtures(z, mu, logvar)
    np.testing.assert_allclose(per_factor, (log_own - log_aggregate).mean(0), rtol=0, atol=MIXTURE_TOLERANCE)
    assert joint == pytest.approx((log_own.sum(1) - log_aggregate_joint).mean(), rel=0, abs=MIXTURE_TOLERANCE)


def test_mixture_estimator_keeps_the_draws_of_its_float32_version():
    """The same seeded draws as the first (float32, M^2) implementation: its values up to its rounding."""
    per_factor, joint = mixture_information(*random_posteriors(samples=300, seed=10), samples=2, batch_size=7, seed=1)
    np.testing.assert_allclose(per_factor, [0.8303070023, 0.7720157266, 0.8388434093, 0.8716135386, 0.7683212009],
                               atol=1e-6)
    assert joint == pytest.approx(3.7634803347, abs=1e-6)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a GPU")
def test_mixture_estimator_on_the_gpu_matches_the_cpu():
    """The same torch code on the GPU, with the same draws (they come from the CPU generator)."""
    mu, logvar = factor_kinds(300, seed=4)
    on_cpu, on_gpu = mixture_information(mu, logvar), mixture_information(mu, logvar, device="cuda")
    np.testing.assert_allclose(on_gpu[0], on_cpu[0], rtol=0, atol=1e-9)
    assert on_gpu[1] == pytest.approx(on_cpu[1], rel=0, abs=1e-9)
