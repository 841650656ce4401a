"""Algorithm 1 against closed forms: linear-Gaussian encoders, uninformative factors, identities."""

import numpy as np
import pandas as pd
import pytest
import torch

from influential_factors.models.gaussian import kl_normal
from influential_factors.information.mi import (LOGVAR_FLOOR, information_per_factor, information_table, optimal_prior_variance,
                                    rank_order, variance_indicator)
from influential_factors.information.synthetic import synthetic_posteriors


def test_linear_gaussian_encoder_matches_closed_form():
    mu, logvar, truth, _ = synthetic_posteriors("gaussian", samples=50_000)
    estimate = information_per_factor(mu, logvar)
    # I_est depends on the data only through mean(mu^2): its relative error ~ sqrt(2 / M).
    tolerance = 4 * np.sqrt(2 / len(mu))
    np.testing.assert_allclose(estimate, truth, atol=tolerance)
    assert truth.min() < 0.2 and truth.max() > 2  # the test spans weak and strong factors


def test_factor_ignoring_the_input_carries_no_information():
    rng = np.random.default_rng(1)
    mu = np.column_stack([np.zeros(1000), rng.normal(size=1000)])
    logvar = np.column_stack([np.full(1000, np.log(0.3)), np.zeros(1000)])
    information = information_per_factor(mu, logvar)
    assert information[0] == pytest.approx(0.0, abs=1e-12)
    assert information[1] > 0.3  # the informative factor beside it is found


def test_constant_nonzero_mean_shows_the_upper_bound_bias():
    """q* is zero-mean, so a constant offset c adds KL(q(z_h) || q*) = 1/2 log(1 + c^2 / sigma^2) >= I = 0."""
    mu = np.full((500, 1), 2.0)
    logvar = np.full((500, 1), np.log(4.0))
    assert information_per_factor(mu, logvar)[0] == pytest.approx(0.5 * np.log(1 + 4.0 / 4.0))


def test_estimate_is_the_mean_kl_to_the_closed_form_q_star_and_q_star_minimises_it():
    rng = np.random.default_rng(2)
    mu, logvar = rng.normal(size=(300, 5)), rng.normal(scale=0.5, size=(300, 5))
    s2 = optimal_prior_variance(mu, logvar)
    mean_kl = kl_normal(mu, logvar, 0.0, np.log(s2)).mean(axis=0)
    np.testing.assert_allclose(information_per_factor(mu, logvar), mean_kl, rtol=1e-10)
    for factor in (0.8, 1.25):
        assert np.all(kl_normal(mu, logvar, 0.0, np.log(s2 * factor)).mean(axis=0) > mean_kl)


def test_information_is_additive_over_factors_and_invariant_to_sample_order():
    rng = np.random.default_rng(3)
    mu, logvar = rng.normal(size=(200, 6)), rng.normal(size=(200, 6))
    order = rng.permutation(200)
    np.testing.assert_allclose(information_per_factor(mu[order], logvar[order]), information_per_factor(mu, logvar))
    np.testing.assert_allclose(information_per_factor(mu[:, :3], logvar[:, :3]), information_per_factor(mu, logvar)[:3])


def test_variance_indicator_is_the_population_variance_of_the_means():
    mu = np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0]])
    np.testing.assert_allclose(variance_indicator(mu), [8 / 3, 0.0])


def test_table_ranks_and_flags_influential_factors():
    mu = np.column_stack([np.zeros(100), np.linspace(-3, 3, 100), np.linspace(-1, 1, 100)])
    logvar = np.full((100, 3), np.log(0.01))
    table = information_table(mu, logvar, threshold=0.7)
    assert list(table["rank"]) == [3, 1, 2]
    assert list(table["influential"]) == [False, True, True]
    assert list(table.columns) == ["factor", "I_est", "variance", "mean_sigma2", "rank", "influential"]


def test_rank_order_keeps_index_order_on_ties():
    assert list(rank_order(np.array([1.0, 2.0, 2.0, 0.0, 2.0]))) == [1, 2, 4, 0, 3]


@pytest.mark.parametrize("bad, message", [(np.nan, r"logvar holds 1 NaN or infinite values \(first at index \(3, 1\)"),
                                          (np.inf, "logvar holds 1 NaN or infinite"),
                                          (-np.inf, r"logvar is -inf at index \(3, 1\): sigma = 0")])
def test_estimator_rejects_non_finite_posteriors_and_sigma_zero(bad, message):
    mu, logvar = np.zeros((10, 2)), np.zeros((10, 2))
    logvar[3, 1] = bad
    with pytest.raises(ValueError, match=message):
        information_per_factor(mu, logvar)


def test_vanishing_variances_are_clamped_instead_of_dividing_by_zero():
    """A factor with mu = 0 and sigma^2 = e^-1000 (0 in float64) carries nothing: I_est is exactly 0,
    not log 0; a factor at the floor beside a unit-variance one keeps its closed form."""
    mu = np.zeros((4, 2))
    logvar = np.array([[-1000.0, -40.0], [-1000.0, -40.0], [-1000.0, 0.0], [-1000.0, 0.0]])
    information = information_per_factor(mu, logvar)
    assert information[0] == 0.0
    s2 = (2 * np.exp(LOGVAR_FLOOR) + 2) / 4  # the -40 entries count as the floor, -30
    assert information[1] == pytest.approx(0.5 * (np.log(s2) - LOGVAR_FLOOR / 2))
    assert np.isfinite(information_table(mu, logvar, 0.7).to_numpy(dtype=float)).all()


def test_kl_matches_torch_distributions_for_numpy_and_torch():
    generator = torch.Generator().manual_seed(0)
    mu_q, mu_p = torch.randn(50, generator=generator), torch.randn(50, generator=generator)
    logvar_q, logvar_p = torch.randn(50, generator=generator), torch.randn(50, generator=generator)
    expected = torch.distributions.kl_divergence(torch.distributions.Normal(mu_q, (0.5 * logvar_q).exp()),
                                                 torch.distributions.Normal(mu_p, (0.5 * logvar_p).exp()))
    torch.testing.assert_close(kl_normal(mu_q, logvar_q, mu_p, logvar_p), expected)
    np.testing.assert_allclose(kl_normal(mu_q.numpy(), logvar_q.numpy(), mu_p.numpy(), logvar_p.numpy()),
                               expected.numpy(), rtol=1e-5, atol=1e-6)
    prior = torch.distributions.kl_divergence(torch.distributions.Normal(mu_q, (0.5 * logvar_q).exp()),
                                              torch.distributions.Normal(0.0, 1.0))
    torch.testing.assert_close(kl_normal(mu_q, logvar_q), prior)


def test_estimate_information_writes_the_table_that_read_information_reads(tmp_path):
    """estimate-mi writes no flag (no threshold); flag-influential adds it to the same exact floats."""
    from influential_factors.core.artifacts import save_arrays
    from influential_factors.information.mi import estimate_information, read_information, write_influential

    mu = np.column_stack([np.zeros(200), np.linspace(-2, 2, 200)])
    logvar = np.zeros((200, 2))
    save_arrays(tmp_path / "latents.npz", mu=mu, logvar=logvar, labels=np.zeros(200, dtype=np.int64))
    table = estimate_information(tmp_path / "latents.npz", tmp_path / "estimates")
    expected = information_per_factor(mu, logvar)  # [0, 1/2 log(1 + mean mu^2)]: 0 and ~0.42 nats
    np.testing.assert_allclose(table["I_est"], expected)
    assert "influential" not in table and table["rank"].tolist() == [2, 1]
    flagged = write_influential(tmp_path / "estimates.parquet", tmp_path / "mi", threshold=0.3)
    pd.testing.assert_frame_equal(flagged, information_table(mu, logvar, 0.3))
    read = read_information(tmp_path / "mi.csv")
    np.testing.assert_allclose(read["I_est"], expected, rtol=1e-3)  # the CSV keeps its digits
    assert read["influential"].tolist() == [False, True]
    assert read_information(tmp_path / "estimates.csv")["rank"].tolist() == [2, 1]


def test_read_information_refuses_a_table_without_its_columns(tmp_path):
    from influential_factors.information.mi import read_information

    (tmp_path / "mi.csv").write_text("factor,I_est\n0,1.0\n")
    with pytest.raises(ValueError, match=r"lacks columns \['variance'\]"):
        read_information(tmp_path / "mi.csv")
