"""The paper's beta-VAE: shapes for each data set's stack, and the loss's closed-form pieces."""

import math

import pytest
import torch

from influential_factors.datasets import prepare_mnist
from influential_factors.models import BetaVAE, beta_vae_loss
from influential_factors.training import load_model, train_vae


@pytest.mark.parametrize("shape, channels", [((1, 28, 28), [32, 32]), ((3, 64, 64), [32, 32, 64, 64]),
                                             ((3, 32, 32), [32, 32, 64, 64])])
def test_shapes_round_trip(shape, channels):
    model = BetaVAE(shape, channels, hidden=256, latents=128)
    x = torch.rand(2, *shape)
    x_mean, mu, logvar = model(x)
    assert x_mean.shape == x.shape and mu.shape == logvar.shape == (2, 128)
    assert 0 <= x_mean.min() and x_mean.max() <= 1


def test_rejects_images_not_divisible_by_the_stack():
    with pytest.raises(ValueError, match="divisible"):
        BetaVAE((1, 30, 30), [32, 32])


def test_loss_is_sse_over_two_sigma2_plus_beta_kl():
    x = torch.zeros(4, 1, 2, 2)
    x_mean = torch.full_like(x, 0.5)  # SSE = 4 * 0.25 = 1 per image
    mu, logvar = torch.ones(4, 3), torch.zeros(4, 3)  # KL = 3 * 0.5 = 1.5 per image
    terms = beta_vae_loss(x, x_mean, mu, logvar, beta=10.0, sigma2_x=0.0112)
    assert terms["sse"].item() == pytest.approx(1.0)
    assert terms["kl"].item() == pytest.approx(1.5)
    assert terms["loss"].item() == pytest.approx(1.0 / (2 * 0.0112) + 10 * 1.5)
    torch.testing.assert_close(terms["kl_per_factor"], torch.full((3,), 0.5))


def test_posterior_equal_to_prior_costs_nothing():
    terms = beta_vae_loss(torch.ones(2, 1, 2, 2), torch.ones(2, 1, 2, 2), torch.zeros(2, 5), torch.zeros(2, 5),
                          beta=4.0, sigma2_x=0.5)
    assert terms["loss"].item() == 0.0 and math.isfinite(terms["loss"].item())


def test_training_is_deterministic_to_the_byte(tmp_path):
    """Same seed, same data: identical checkpoint files (so DVC's hashes do not move either)."""
    data = tmp_path / "mnist.npz"
    prepare_mnist(data, None, (0.6, 0.2, 0.2), seed=0, limit=100)
    settings = dict(beta=4.0, sigma2_x=0.0112, channels=[4, 4], hidden=16, latents=3, epochs=1, batch_size=20,
                    lr=1e-3, seed=0)
    for name in ("a", "b"):
        train_vae(data, tmp_path / f"{name}.pt", tmp_path / f"live_{name}", **settings)
    assert (tmp_path / "a.pt").read_bytes() == (tmp_path / "b.pt").read_bytes()
    assert load_model(tmp_path / "a.pt").latents == 3
