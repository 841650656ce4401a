"""InfoNCE lower bounds against known answers: linear-Gaussian truth from below, zero, the cap, additivity."""

import math

import numpy as np
import pytest
import torch

from influential_factors.information.neural_mi import (ConcatCritic, infonce_cap, infonce_from_scores, infonce_information,
                                           infonce_joint_information, split_samples)
from influential_factors.information.synthetic import synthetic_posteriors

FAST = dict(steps=200, batch_size=512, train_batch_size=128, hidden=32, repeats=2, device="cpu", progress=False)
FAST_JOINT = {key: value for key, value in FAST.items() if key != "progress"}


def independent_factors(samples, noise_variance, seed=0):
    """mu_h = x_h with independent x_h ~ N(0, 1) and constant noise variance v_h: I(x; z_h) = 1/2 log(1 + 1/v_h)."""
    noise_variance = np.asarray(noise_variance, dtype=float)
    mu = np.random.default_rng(seed).normal(size=(samples, len(noise_variance)))
    return mu, np.broadcast_to(np.log(noise_variance), mu.shape).copy(), 0.5 * np.log1p(1 / noise_variance)


def test_linear_gaussian_bound_is_below_the_truth_and_close_to_it():
    mu, logvar, truth, _ = synthetic_posteriors("gaussian", samples=4096)
    assert truth[0] < 2 and truth[1] < 2 and truth[2] > 2
    bound = infonce_information(mu, logvar, factors=[0, 1], **FAST)
    assert np.isnan(bound[2])  # not asked for
    # a lower bound in expectation; held-out sampling noise (2048 samples) may lift it a little above
    assert np.all(bound[:2] < truth[:2] + 0.05), (bound, truth)
    assert np.all(bound[:2] > truth[:2] - 0.25), (bound, truth)


def test_factor_ignoring_the_input_gets_zero():
    rng = np.random.default_rng(1)
    x = rng.normal(size=2000)
    # a constant mean (Algorithm 1's zero-mean q* would report 1/2 log 2 here) and a mean that barely
    # depends on x (I = 1/2 log(1 + 1e-4) = 5e-5), where only held-out evaluation keeps overfitting out
    mu = np.column_stack([np.full(2000, 2.0), 0.01 * x])
    logvar = np.zeros_like(mu)
    bound = infonce_information(mu, logvar, **{**FAST, "steps": 100})
    assert abs(bound[0]) < 1e-5
    assert abs(bound[1]) < 0.05


def test_same_seed_gives_identical_results_and_factors_do_not_interact():
    mu, logvar, _ = independent_factors(600, [0.5, 0.1])
    settings = dict(steps=30, batch_size=128, train_batch_size=64, hidden=16, device="cpu", progress=False)
    first = infonce_information(mu, logvar, seed=3, **settings)
    np.testing.assert_array_equal(first, infonce_information(mu, logvar, seed=3, **settings))
    np.testing.assert_array_equal(infonce_information(mu, logvar, factors=[1], seed=3, **settings)[1], first[1])
    assert not np.array_equal(first, infonce_information(mu, logvar, seed=4, **settings))
    joint = {key: value for key, value in settings.items() if key != "progress"}
    assert infonce_joint_information(mu, logvar, seed=3, **joint) == infonce_joint_information(mu, logvar, seed=3, **joint)


def test_joint_bound_of_independent_factors_is_about_the_sum():
    mu, logvar, truth = independent_factors(4096, [0.5, 0.25])
    per_factor = infonce_information(mu, logvar, **FAST)
    joint = infonce_joint_information(mu, logvar, **FAST_JOINT)
    assert truth.sum() < infonce_cap(len(mu)) - 4  # well under the cap, where InfoNCE can be tight
    assert joint < truth.sum() + 0.05
    assert joint == pytest.approx(per_factor.sum(), abs=0.2)
    assert joint == pytest.approx(truth.sum(), abs=0.3)


def test_bound_never_exceeds_log_batch():
    mu, logvar, truth = independent_factors(1024, [1e-3])  # I = 3.45 nats, above log 16 = 2.77
    bound = infonce_information(mu, logvar, steps=600, batch_size=16, train_batch_size=16, hidden=32,
                                device="cpu", progress=False)[0]
    cap = infonce_cap(len(mu), batch_size=16)
    assert cap == pytest.approx(math.log(16)) and truth[0] > cap
    assert bound <= cap + 1e-9
    assert bound > cap - 0.7  # the bound climbs towards the cap, not to the truth above it


def test_cap_shrinks_to_the_held_out_part_when_it_is_smaller_than_a_batch():
    assert infonce_cap(10_000) == pytest.approx(math.log(512))
    assert infonce_cap(300, batch_size=512) == pytest.approx(math.log(150))


def test_infonce_from_scores_of_a_perfect_and_a_useless_critic():
    assert float(infonce_from_scores(torch.zeros(8, 8))) == pytest.approx(0.0, abs=1e-6)
    assert float(infonce_from_scores(torch.eye(8) * 1e4)) == pytest.approx(math.log(8), abs=1e-6)


def test_critic_scores_every_pair():
    critic = ConcatCritic(context_dim=2, code_dim=1, hidden=8, layers=2)
    critic.reset_parameters(torch.Generator().manual_seed(0))
    context, code = torch.randn(5, 2), torch.randn(3, 1)
    scores = critic(context, code)
    assert scores.shape == (3, 5)
    manual = critic(context[4:5], code[2:3])
    torch.testing.assert_close(scores[2, 4], manual[0, 0])


def test_split_is_seeded_disjoint_and_complete():
    train, held_out = split_samples(11, 0.5, seed=2)
    assert len(train) == 6 and len(held_out) == 5  # round(5.5) = 6
    assert sorted(np.concatenate([train, held_out])) == list(range(11))
    np.testing.assert_array_equal(train, split_samples(11, 0.5, seed=2)[0])


def test_invalid_inputs_are_rejected():
    mu, logvar = np.zeros((20, 2)), np.zeros((20, 2))
    with pytest.raises(IndexError):
        infonce_information(mu, logvar, factors=[2], progress=False)
    with pytest.raises(ValueError, match="fewer than 2"):
        infonce_information(mu[:3], logvar[:3], progress=False)
    with pytest.raises(ValueError, match="train_fraction"):
        infonce_joint_information(mu, logvar, train_fraction=1.0)
    logvar[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        infonce_information(mu, logvar, progress=False)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_agrees_with_cpu_within_noise():
    mu, logvar, truth, _ = synthetic_posteriors("gaussian", samples=4096)
    settings = {**FAST, "device": None}
    on_gpu = infonce_information(mu, logvar, factors=[0], **settings)[0]
    on_cpu = infonce_information(mu, logvar, factors=[0], **FAST)[0]
    assert on_gpu == pytest.approx(on_cpu, abs=0.05)
    assert on_gpu == pytest.approx(truth[0], abs=0.25)
