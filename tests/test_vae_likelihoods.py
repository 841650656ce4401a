"""The Bernoulli likelihood and beta-TCVAE's MLP (ISA-VAE's appendix A.4): the loss against its formula and
torch's BCE, decoded means in [0, 1], a small MLP that learns binary images, the reports' log p(x|z) against
its formula, and models that round-trip through their files (a file without a network is the conv one)."""

import copy
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from influential_factors.data.datasets import prepare_mnist
from influential_factors.models.objectives.registry import build_objective
from influential_factors.models.training import train_vae
from influential_factors.models.vae import (BernoulliPixels, BetaVAE, load_model, reconstruction_log_likelihood,
                                            save_torch, vae_loss)
from influential_factors.pipeline.config import ParamsError, validate_params

from conftest import SCHEMA

pytestmark = pytest.mark.usefixtures("one_thread")


def _kl_free_loss(x, logits):
    """vae_loss under the Bernoulli likelihood with a posterior equal to the prior (KL 0): -log p(x|z) alone."""
    codes = torch.zeros(len(x), 2)
    objective = build_objective("beta_vae", {}, beta=1.0, latents=2, dataset_size=len(x))
    return vae_loss(x, logits, codes, codes, codes, objective, sigma2_x=1.0, noise=BernoulliPixels())


def test_bernoulli_loss_is_the_closed_formula_and_torchs_bce():
    x = torch.tensor([[1.0, 0.0, 0.5, 1.0], [0.0, 1.0, 0.0, 0.25]]).reshape(2, 1, 2, 2)
    logits = torch.tensor([[0.0, 2.0, -1.0, math.log(3)], [0.0, 0.0, -2.0, 1.0]]).reshape(2, 1, 2, 2)
    # by hand, -[x log p + (1 - x) log(1 - p)] with p = sigmoid(logit): sigmoid(log 3) = 3/4, 1 - sigmoid(2) = 1 / (1 + e^2)
    first = math.log(2) + math.log(1 + math.e ** 2) + 0.5 * (math.log(1 + math.e) + math.log(1 + 1 / math.e)) \
        + math.log(4 / 3)
    p = 1 / (1 + math.exp(-1))
    second = 2 * math.log(2) + math.log(1 + math.exp(-2)) - 0.25 * math.log(p) - 0.75 * math.log(1 - p)
    terms = _kl_free_loss(x, logits)
    assert terms["loss"].item() == pytest.approx((first + second) / 2, rel=1e-6)  # summed per image, mean over the batch
    bce = F.binary_cross_entropy(torch.sigmoid(logits), x, reduction="sum") / len(x)
    torch.testing.assert_close(terms["loss"], bce)
    assert terms["sse"].item() == pytest.approx((torch.sigmoid(logits) - x).pow(2).sum().item() / 2)  # of the mean


def test_bernoulli_loss_is_stable_for_confident_logits():
    """Logits of +-200 saturate the sigmoid in float32 (log of it: -inf); from the logits the loss stays exact."""
    x = torch.tensor([1.0, 0.0, 1.0, 0.0]).reshape(1, 1, 2, 2)
    right, wrong = (torch.tensor([200.0, -200.0, 200.0, -200.0]).reshape(1, 1, 2, 2) * sign for sign in (1, -1))
    assert _kl_free_loss(x, right)["loss"].item() == 0.0
    assert _kl_free_loss(x, wrong)["loss"].item() == pytest.approx(800.0)


@pytest.mark.parametrize("network", ["conv", "mlp"])
def test_bernoulli_decoders_give_means_in_0_1_and_the_loss_their_logits(network):
    torch.manual_seed(0)
    model = BetaVAE((1, 8, 8), [4, 4], hidden=16, latents=3, likelihood="bernoulli", network=network)
    with torch.no_grad():
        for parameter in model.decoder.parameters():
            parameter.mul_(50)  # logits far outside [0, 1]
        z = torch.randn(5, 3)
        means, logits = model.decode(z), model.decoder(z)
    assert means.shape == (5, 1, 8, 8) and 0 <= means.min() and means.max() <= 1
    assert logits.min() < 0 and logits.max() > 1
    torch.testing.assert_close(means, torch.sigmoid(logits))
    logits, mu, logvar, z = model(torch.rand(5, 1, 8, 8))
    torch.testing.assert_close(model.decode(z), torch.sigmoid(logits))


def test_the_mlp_is_beta_tcvaes():
    model = BetaVAE((1, 64, 64), [], hidden=1200, latents=10, likelihood="bernoulli", network="mlp")
    linear = [(layer.in_features, layer.out_features) for layer in model.modules() if isinstance(layer, nn.Linear)]
    assert linear == [(4096, 1200), (1200, 1200), (1200, 20), (10, 1200), (1200, 1200), (1200, 1200), (1200, 4096)]
    assert [type(layer) for layer in model.encoder if not isinstance(layer, nn.Linear)] == [nn.Flatten, nn.ReLU, nn.ReLU]
    assert [type(layer) for layer in model.decoder if not isinstance(layer, nn.Linear)] == [nn.Tanh] * 3 + [nn.Unflatten]
    gaussian = BetaVAE((3, 6, 5), [32] * 8, hidden=8, latents=2, network="mlp")  # channels ignored, any image size
    assert isinstance(gaussian.decoder[-1], nn.Sigmoid) and gaussian.decode(torch.zeros(1, 2)).shape == (1, 3, 6, 5)
    with pytest.raises(ValueError, match="network must be one of"):
        BetaVAE((1, 8, 8), [4], network="resnet")


def test_a_small_bernoulli_mlp_learns_binary_images():
    torch.manual_seed(0)
    prototypes = (torch.rand(4, 1, 8, 8) > 0.5).float()
    images = prototypes.repeat(16, 1, 1, 1)
    model = BetaVAE((1, 8, 8), [], hidden=32, latents=2, likelihood="bernoulli", network="mlp")
    objective = build_objective("beta_vae", {}, beta=1.0, latents=2, dataset_size=len(images))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(60):
        terms = vae_loss(images, *model(images), objective, 1.0, model.noise)
        optimizer.zero_grad()
        terms["loss"].backward()
        optimizer.step()
        losses.append(terms["loss"].item())
    assert all(math.isfinite(loss) for loss in losses)
    assert losses[0] > 64 * math.log(2) * 0.9  # about 64 pixels at p ~ 1/2
    assert max(losses[-5:]) < 0.5 * losses[0]


@pytest.mark.parametrize("likelihood", ["gaussian", "mixture", "bernoulli"])
def test_reconstruction_log_likelihood_is_the_formula_at_the_posterior_mean(likelihood):
    torch.manual_seed(0)
    sigma2_x = 0.05
    model = BetaVAE((1, 4, 4), [], hidden=8, latents=2, likelihood=likelihood, sigma2_x=sigma2_x, network="mlp")
    images = np.random.default_rng(0).integers(0, 256, (7, 1, 4, 4), dtype=np.uint8)
    x = torch.from_numpy(images).double() / 255
    with torch.no_grad():
        mean = model.decode(model.encode(x.float())[0]).double()
        if likelihood == "gaussian":
            expected = -(mean - x).pow(2).sum((1, 2, 3)) / (2 * sigma2_x) - 16 / 2 * math.log(2 * math.pi * sigma2_x)
        elif likelihood == "bernoulli":
            expected = (x * mean.log() + (1 - x) * (1 - mean).log()).sum((1, 2, 3))
        else:
            expected = -model.noise.negative_log_likelihood(x.float(), mean.float()).double()
    value = reconstruction_log_likelihood(model, images, batch_size=3)  # batches of 3, 3 and 1
    assert value == pytest.approx(expected.mean().item(), rel=1e-5)
    assert value < 0 or likelihood != "bernoulli"


def test_a_trained_bernoulli_mlp_round_trips_through_its_file(tmp_path):
    data = tmp_path / "mnist.npz"
    prepare_mnist(data, None, (0.6, 0.2, 0.2), seed=0, limit=100)
    train_vae(data, tmp_path / "m.pt", tmp_path / "live", objective="beta_vae", objective_settings={}, beta=1.0,
              sigma2_x=0.05, channels=[4, 4], hidden=16, latents=3, epochs=2, batch_size=20, lr=1e-2, seed=0,
              likelihood="bernoulli", network="mlp")
    saved = torch.load(tmp_path / "m.pt", weights_only=True)
    assert saved["architecture"]["network"] == "mlp" and saved["architecture"]["likelihood"] == "bernoulli"
    loaded = load_model(tmp_path / "m.pt", torch.device("cpu"))
    assert not any(isinstance(layer, nn.Conv2d) for layer in loaded.modules())
    rebuilt = BetaVAE(**saved["architecture"])
    rebuilt.load_state_dict(saved["state_dict"])
    x = torch.rand(4, 1, 28, 28)
    with torch.no_grad():
        assert torch.equal(loaded.encode(x)[0], rebuilt.encode(x)[0])
        assert torch.equal(loaded.decode(torch.ones(2, 3)), rebuilt.eval().decode(torch.ones(2, 3)))


def test_a_file_without_a_network_is_the_conv_model(tmp_path):
    """Every model saved before networks existed (and every conv model since: its architecture stays as it was)."""
    torch.manual_seed(0)
    architecture = dict(image_shape=(1, 8, 8), channels=[4, 4], hidden=8, latents=2, likelihood="gaussian", sigma2_x=0.05)
    model = BetaVAE(**architecture)
    save_torch({"architecture": architecture, "state_dict": model.state_dict(), "beta": 1.0, "sigma2_x": 0.05,
                "epochs": 1}, tmp_path / "old.pt")
    loaded = load_model(tmp_path / "old.pt", torch.device("cpu"))
    assert any(isinstance(layer, nn.Conv2d) for layer in loaded.modules())
    z = torch.randn(3, 2)
    with torch.no_grad():
        assert torch.equal(loaded.decode(z), model.decode(z))


def test_params_take_the_network_and_the_bernoulli_likelihood(default_params):
    params = copy.deepcopy(default_params)
    params["vae"]["mnist"] |= {"likelihood": "bernoulli", "network": "mlp", "channels": [32] * 5}  # 28 / 2^5: no conv
    validate_params(params, SCHEMA)
    params["vae"]["mnist"]["network"] = "resnet"
    with pytest.raises(ParamsError, match="vae.mnist.network: 'resnet' is not one of"):
        validate_params(params, SCHEMA)
