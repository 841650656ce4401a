"""The paper's beta-VAE: shapes for each data set's stack, and the loss's closed-form pieces."""

import math

import pytest
import torch

from influential_factors.data.datasets import prepare_mnist
from influential_factors.models.vae import BetaVAE, MixtureNoise, load_model, vae_loss
from influential_factors.models.objectives.registry import build_objective
from influential_factors.models.training import train_vae


@pytest.mark.parametrize("shape, channels", [((1, 28, 28), [32, 32]), ((3, 64, 64), [32, 32, 64, 64]),
                                             ((3, 32, 32), [32, 32, 64, 64])])
def test_shapes_round_trip(shape, channels):
    model = BetaVAE(shape, channels, hidden=256, latents=128)
    x = torch.rand(2, *shape)
    x_mean, mu, logvar, z = model(x)
    assert x_mean.shape == x.shape and mu.shape == logvar.shape == z.shape == (2, 128)
    assert 0 <= x_mean.min() and x_mean.max() <= 1


def test_rejects_images_not_divisible_by_the_stack():
    with pytest.raises(ValueError, match="divisible"):
        BetaVAE((1, 30, 30), [32, 32])


def _beta_vae(beta, latents):
    return build_objective("beta_vae", {}, beta=beta, latents=latents, dataset_size=4)


def test_loss_is_sse_over_two_sigma2_plus_beta_kl():
    x = torch.zeros(4, 1, 2, 2)
    x_mean = torch.full_like(x, 0.5)  # SSE = 4 * 0.25 = 1 per image
    mu, logvar = torch.ones(4, 3), torch.zeros(4, 3)  # KL = 3 * 0.5 = 1.5 per image
    terms = vae_loss(x, x_mean, mu, logvar, mu, _beta_vae(10.0, 3), sigma2_x=0.0112)
    assert terms["sse"].item() == pytest.approx(1.0)
    assert terms["kl"].item() == pytest.approx(1.5)
    assert terms["loss"].item() == pytest.approx(1.0 / (2 * 0.0112) + 10 * 1.5)
    torch.testing.assert_close(terms["kl_per_factor"], torch.full((3,), 0.5))


def test_posterior_equal_to_prior_costs_nothing():
    terms = vae_loss(torch.ones(2, 1, 2, 2), torch.ones(2, 1, 2, 2), torch.zeros(2, 5), torch.zeros(2, 5),
                     torch.zeros(2, 5), _beta_vae(4.0, 5), sigma2_x=0.5)
    assert terms["loss"].item() == 0.0 and math.isfinite(terms["loss"].item())


def test_mixture_with_equal_components_is_the_gaussian():
    noise = MixtureNoise(sigma2_x=0.02)
    with torch.no_grad():
        noise.log_variances.fill_(math.log(0.02))
    x, x_mean = torch.rand(3, 1, 4, 4), torch.rand(3, 1, 4, 4)
    gaussian = (x - x_mean).pow(2).flatten(1).sum(1) / (2 * 0.02) + 16 / 2 * math.log(2 * math.pi * 0.02)
    torch.testing.assert_close(noise.negative_log_likelihood(x, x_mean), gaussian)


def test_mixture_density_is_normalised_and_learnable():
    noise = MixtureNoise(sigma2_x=0.01)
    with torch.no_grad():
        noise.logits.copy_(torch.tensor([1.0, -0.5]))
    residuals = torch.linspace(-5, 5, 200001).reshape(-1, 1, 1, 1)
    density = torch.exp(-noise.negative_log_likelihood(residuals, torch.zeros_like(residuals)))
    assert torch.trapezoid(density, residuals.flatten()).item() == pytest.approx(1.0, abs=1e-5)
    terms = vae_loss(torch.rand(2, 1, 4, 4), torch.rand(2, 1, 4, 4), torch.zeros(2, 3), torch.zeros(2, 3),
                     torch.zeros(2, 3), _beta_vae(1.0, 3), sigma2_x=0.01, noise=noise)
    terms["loss"].backward()
    assert noise.logits.grad.abs().sum() > 0 and noise.log_variances.grad.abs().sum() > 0


def test_a_trained_mixture_model_round_trips_through_its_checkpoint(tmp_path):
    model = BetaVAE((3, 16, 16), [4, 4], hidden=8, latents=2, likelihood="mixture", sigma2_x=0.05)
    assert model.noise.log_variances.exp().tolist() == pytest.approx([0.05, 0.5])
    with pytest.raises(ValueError, match="likelihood must be one of"):
        BetaVAE((3, 16, 16), [4, 4], likelihood="laplace")
    data = tmp_path / "mnist.npz"
    prepare_mnist(data, None, (0.6, 0.2, 0.2), seed=0, limit=100)
    train_vae(data, tmp_path / "m.pt", tmp_path / "live", objective="beta_vae", objective_settings={}, beta=1.0, sigma2_x=0.05, channels=[4, 4], hidden=8,
              latents=3, epochs=2, batch_size=20, lr=1e-2, seed=0, likelihood="mixture")
    loaded = load_model(tmp_path / "m.pt")
    variances = loaded.noise.log_variances.exp()
    assert not torch.allclose(variances, torch.tensor([0.05, 0.5]))  # learned, and saved with the weights
    torch.testing.assert_close(loaded.noise.logits.softmax(0).sum(), torch.tensor(1.0))
