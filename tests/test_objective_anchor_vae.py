"""AnchorVAE (Gao et al. Eq. 21): per-factor KL weights, the beta-VAE when they are equal."""

import pytest
import torch

from influential_factors.models.gaussian import kl_normal
from influential_factors.models.objectives.settings import settings_problem
from influential_factors.models.objectives.registry import build_objective


def anchor_vae(anchors, anchor_weight, beta=4.0, latents=6):
    return build_objective("anchor_vae", {"anchors": anchors, "anchor_weight": anchor_weight}, beta=beta,
                           latents=latents, dataset_size=100)


def posteriors(batch=5, latents=6, seed=0):
    generator = torch.Generator().manual_seed(seed)
    mu, logvar = torch.randn(batch, latents, generator=generator), torch.randn(batch, latents, generator=generator)
    return mu, logvar, mu + torch.exp(logvar / 2) * torch.randn(batch, latents, generator=generator)


@pytest.mark.parametrize("seed", range(3))
def test_equal_weights_are_the_beta_vae_to_the_bit(seed):
    mu, logvar, z = posteriors(seed=seed)
    anchored = anchor_vae([0, 3], anchor_weight=4.0).penalty(mu, logvar, z)
    plain = build_objective("beta_vae", {}, beta=4.0, latents=6, dataset_size=100).penalty(mu, logvar, z)
    assert torch.equal(anchored["penalty"], plain["penalty"]) and torch.equal(anchored["kl"], plain["kl"])
    assert torch.equal(anchored["kl_per_factor"], plain["kl_per_factor"])


def test_anchored_gradient_is_scaled_by_anchor_weight_over_beta():
    """Identical posteriors in every factor: the gradient on an anchored factor's mean is lambda / beta times
    a free factor's."""
    mu = torch.full((3, 6), 0.7).requires_grad_()
    logvar = torch.full((3, 6), -0.4)
    anchor_vae([1, 4], anchor_weight=0.5, beta=4.0).penalty(mu, logvar, mu.detach())["penalty"].backward()
    free, anchored = mu.grad[:, [0, 2, 3, 5]], mu.grad[:, [1, 4]]
    torch.testing.assert_close(anchored, free[:, :2] * (0.5 / 4.0))
    torch.testing.assert_close(free, free[:, :1].expand_as(free))
    assert free.abs().min() > 0


def test_penalty_in_closed_form():
    """Unit variances: KL_h = mean_batch mu_h^2 / 2, so the penalty is sum_h w_h mean_batch mu_h^2 / 2."""
    mu, logvar = torch.tensor([[1.0, -2.0, 0.5], [3.0, 0.0, -1.0]]), torch.zeros(2, 3)
    terms = anchor_vae([2], anchor_weight=0.5, beta=3.0, latents=3).penalty(mu, logvar, mu)
    kl_per_factor = (mu ** 2 / 2).mean(0)
    weights = torch.tensor([3.0, 3.0, 0.5])
    torch.testing.assert_close(terms["penalty"], (weights * kl_per_factor).sum())
    torch.testing.assert_close(terms["kl"], kl_per_factor.sum())
    torch.testing.assert_close(terms["kl_anchored"], kl_per_factor[2])
    torch.testing.assert_close(kl_per_factor, kl_normal(mu, logvar).mean(0))


@pytest.mark.parametrize("settings, message", [
    ({"anchors": [0]}, r"objectives\.anchor_vae: missing anchor_weight"),
    ({"anchors": [0], "anchor_weight": 0.5, "lambda": 1}, r"objectives\.anchor_vae: unknown setting lambda"),
    ({"anchors": [130], "anchor_weight": 0.5},
     r"objectives\.anchor_vae\.anchors: factor 130 is outside the model's 128 latents"),
    ({"anchors": [-1], "anchor_weight": 0.5}, r"anchors: factor -1 is outside"),
    ({"anchors": [2, 5, 2], "anchor_weight": 0.5}, r"anchors: factors \[2\] are listed more than once"),
    ({"anchors": [], "anchor_weight": 0.5}, r"anchors: expected a non-empty list"),
    ({"anchors": 3, "anchor_weight": 0.5}, r"anchors: expected a non-empty list"),
    ({"anchors": [1.0], "anchor_weight": 0.5}, r"anchors: expected factor indices"),
    ({"anchors": [True], "anchor_weight": 0.5}, r"anchors: expected factor indices"),
    ({"anchors": [0], "anchor_weight": -0.5}, r"objectives\.anchor_vae\.anchor_weight: expected a finite number >= 0"),
    ({"anchors": [0], "anchor_weight": float("nan")}, r"anchor_weight: expected a finite number"),
    ({"anchors": [0], "anchor_weight": "0.5"}, r"anchor_weight: expected a finite number"),
])
def test_bad_settings_name_the_key(settings, message):
    with pytest.raises(ValueError, match=message):
        build_objective("anchor_vae", settings, beta=4.0, latents=128, dataset_size=100)
    assert settings_problem("anchor_vae", settings, 128) is not None


def test_good_settings():
    assert settings_problem("anchor_vae", {"anchors": [0, 127], "anchor_weight": 0}, 128) is None
