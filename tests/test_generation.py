"""Generation from the prior and from q* (Gao et al. section 6.3): the held-out mixture density is exact and
chunk-invariant, the scores match their closed forms on Gaussian aggregate posteriors, and the command is
reproducible to the byte."""

import json

import numpy as np
import pytest
import torch
from scipy.stats import norm

from influential_factors.evaluation import generation
from influential_factors.cli import main
from influential_factors.models.encoding import encode_images
from influential_factors.data.posteriors import Posteriors
from influential_factors.models.vae import BetaVAE, save_torch
from influential_factors.models.objectives.registry import build_objective
from influential_factors.models.objectives.base import Objective


class PointPrior(Objective):
    """A prior that is a point mass at 0: the mode of a zero-centred aggregate posterior."""

    name = "point"

    def sample_prior(self, count, generator):
        return torch.zeros(count, self.latents)


class LearnedScale(Objective):
    """A prior N(0, diag scale^2) with a learned scale (as ISA-VAE learns its prior's parameters)."""

    name = "learned_scale"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.scale = torch.nn.Parameter(torch.ones(self.latents))

    def sample_prior(self, count, generator):
        return torch.randn(count, self.latents, generator=generator) * self.scale


def gaussian_posteriors(spreads, sigma2, count=2000, seed=0):
    """Posteriors whose aggregate is N(0, diag(spreads^2 + sigma2)): mu_h ~ N(0, spread_h^2), sigma_h^2 fixed."""
    mu = np.random.default_rng(seed).normal(size=(count, len(spreads))) * np.asarray(spreads)
    return mu, np.log(np.broadcast_to(np.asarray(sigma2, dtype=float), mu.shape)).copy()


def standard_normal(count, generator):
    return torch.randn(count, 4, generator=generator)


def test_mixture_log_density_is_the_mean_of_the_component_densities_in_any_chunks():
    rng = np.random.default_rng(1)
    z, mu, logvar = rng.normal(size=(5, 3)), rng.normal(size=(7, 3)), rng.normal(size=(7, 3))
    sigma = np.exp(0.5 * logvar)
    direct = np.log(np.mean(np.prod(norm.pdf(z[:, None], mu[None], sigma[None]), axis=-1), axis=1))
    for chunk in (1, 3, 10, 22, generation.CHUNK_ELEMENTS):
        np.testing.assert_allclose(generation.mixture_log_density(z, mu, logvar, chunk), direct, rtol=1e-12)
    far = generation.mixture_log_density(z + 40, mu, logvar)  # where every component underflows exp()
    assert np.isfinite(far).all() and (far < -100).all()


def test_scores_match_the_closed_form_of_a_gaussian_aggregate_posterior():
    """q_B -> N(0, V), V = spread^2 + sigma^2: E_{N(0,S)} log N(z; 0, V) = -1/2 sum [log 2 pi V + S/V], so
    log_q_qstar = -1/2 sum [log 2 pi V + 1], log_q_prior = -1/2 sum [log 2 pi V + 1/V]; gain 1/2 sum (1/V - 1)."""
    spreads, sigma2 = np.array([3.0, 3.0, 0.4, 0.4]), np.array([0.25, 0.25, 0.2, 0.2])  # V = 9.25, 9.25, 0.36, 0.36
    variance = spreads**2 + sigma2
    metrics = generation.score_samplers(standard_normal, *gaussian_posteriors(spreads, sigma2), samples=2000,
                                        generator=torch.Generator().manual_seed(0))
    entropy_term = -0.5 * np.log(2 * np.pi * variance).sum()
    assert metrics["log_q_qstar"] == pytest.approx(entropy_term - 2, abs=0.25)
    assert metrics["log_q_prior"] == pytest.approx(entropy_term - 0.5 * (1 / variance).sum(), abs=0.3)
    assert metrics["qstar_gain"] == pytest.approx(0.5 * (1 / variance - 1).sum(), abs=0.3)  # 0.89 nats
    assert metrics["qstar_gain"] > 5 * metrics["qstar_gain_se"]
    assert metrics["log_q_posterior"] == pytest.approx(metrics["log_q_qstar"], abs=0.3)  # q* is q(z) here
    assert metrics["energy_qstar"] < 0.05 and abs(metrics["energy_posterior"]) < 0.05 < 0.3 < metrics["energy_prior"]


def test_the_cross_entropy_favours_the_narrower_sampler_and_the_energy_distance_does_not():
    """mu spread with std 3: the prior is narrower than q(z), so it scores higher, by 1/2 sum (1 - 1/V) nats,
    though q* is the aggregate posterior; a point mass at the mode scores highest of all. The energy distance
    ranks q* first and the point mass last."""
    spreads, sigma2 = np.array([3.0, 3.0, 0.0, 0.0]), np.array([0.25, 0.25, 1.0, 1.0])
    posteriors = gaussian_posteriors(spreads, sigma2)
    point = PointPrior({}, beta=1.0, latents=4, dataset_size=0)
    scores = {name: generation.score_samplers(sampler, *posteriors, samples=1000,
                                              generator=torch.Generator().manual_seed(0))
              for name, sampler in (("normal", standard_normal), ("point", point.sample_prior))}
    variance = spreads**2 + sigma2
    assert scores["normal"]["qstar_gain"] == pytest.approx(-0.5 * (1 - 1 / variance).sum(), abs=0.3)  # -0.89
    assert scores["point"]["log_q_prior"] > scores["point"]["log_q_posterior"] > scores["point"]["log_q_qstar"]
    assert scores["point"]["energy_prior"] > scores["normal"]["energy_prior"] > 5 * scores["normal"]["energy_qstar"]


def test_a_learned_priors_codes_are_scored_like_any_others():
    """Its codes track gradients; scored without them, and at scale 1 exactly as N(0, I)'s."""
    posteriors = gaussian_posteriors(np.ones(4), 0.5, count=50)
    learned = LearnedScale({}, beta=1.0, latents=4, dataset_size=0)
    scores = [generation.score_samplers(sampler, *posteriors, samples=20, generator=torch.Generator().manual_seed(3))
              for sampler in (learned.sample_prior, standard_normal)]
    assert scores[0] == scores[1]


def save_tiny_model(path, objective=False):
    """A tiny untrained BetaVAE saved as training saves it (with the objective entry when asked)."""
    torch.manual_seed(0)
    architecture = {"image_shape": (1, 8, 8), "channels": [4], "hidden": 8, "latents": 3}
    model = BetaVAE(**architecture)
    checkpoint = {"architecture": architecture, "state_dict": model.state_dict(), "beta": 4.0, "sigma2_x": 0.0112,
                  "epochs": 1}
    if objective:
        description = build_objective("beta_vae", {}, beta=4.0, latents=3, dataset_size=30).description()
        checkpoint |= {"objective": description, "objective_state": {}}
    save_torch(checkpoint, path)
    return model.eval()


@pytest.fixture
def tiny_run(tmp_path):
    model = save_tiny_model(tmp_path / "model.pt")
    images = np.random.default_rng(0).integers(0, 256, size=(30, 1, 8, 8), dtype=np.uint8)
    Posteriors(*encode_images(model, images), np.zeros(30, dtype=np.int64)).save(tmp_path / "latents.npz")
    return tmp_path


def generate_command(root, name, seed=0):
    return ["generate", "--model", str(root / "model.pt"), "--posteriors", str(root / "latents.npz"),
            "--output", str(root / f"{name}.png"), str(root / f"{name}.pdf"), "--metrics", str(root / f"{name}.json"),
            "--samples", "9", "--seed", str(seed), "--title", "tiny"]


def test_generate_runs_end_to_end_and_repeats_to_the_byte(tiny_run):
    assert main(generate_command(tiny_run, "a")) == 0
    assert main(generate_command(tiny_run, "b")) == 0
    for suffix in (".png", ".pdf", ".json"):
        assert (tiny_run / f"a{suffix}").read_bytes() == (tiny_run / f"b{suffix}").read_bytes()
    metrics = json.loads((tiny_run / "a.json").read_text())
    assert set(metrics) == {f"{score}_{name}" for score in ("log_q", "energy") for name in generation.SAMPLERS} | {
        "qstar_gain", "qstar_gain_se"}
    assert metrics["qstar_gain"] == pytest.approx(metrics["log_q_qstar"] - metrics["log_q_prior"])
    assert main(generate_command(tiny_run, "c", seed=1)) == 0
    assert json.loads((tiny_run / "c.json").read_text()) != metrics
    save_tiny_model(tiny_run / "model.pt", objective=True)  # a beta_vae saved with its objective: the same draws
    assert main(generate_command(tiny_run, "d")) == 0
    assert json.loads((tiny_run / "d.json").read_text()) == metrics


def test_generate_draws_from_the_saved_objectives_prior(tiny_run, monkeypatch, captured_figures):
    """The prior codes come from objective_of(checkpoint).sample_prior: here a point mass at 0, whose decoded
    images are all the decoder's image of z = 0, and whose held-out score is that of z = 0."""
    save_tiny_model(tiny_run / "model.pt", objective=True)
    monkeypatch.setattr("influential_factors.models.vae.objective_of",
                        lambda checkpoint: PointPrior({}, beta=checkpoint["objective"]["beta"], latents=3,
                                                      dataset_size=0))
    metrics = generation.generate(tiny_run / "model.pt", tiny_run / "latents.npz", [tiny_run / "g.png"],
                                  tiny_run / "g.json", samples=4, seed=0, title="tiny")
    prior_images, qstar_images = captured_figures[0]
    model = save_tiny_model(tiny_run / "other.pt")
    np.testing.assert_allclose(prior_images, generation.decode(model, np.zeros((4, 3))), atol=1e-6)
    assert np.ptp(qstar_images, axis=0).max() > 1e-3
    generator = torch.Generator().manual_seed(0)
    generation.qstar_codes(np.ones(3), 4, generator)  # the figure's q* codes come first
    with np.load(tiny_run / "latents.npz") as posteriors:
        expected = generation.score_samplers(PointPrior({}, beta=4.0, latents=3, dataset_size=0).sample_prior,
                                             posteriors["mu"], posteriors["logvar"], samples=4, generator=generator)
    assert metrics == expected and metrics["energy_prior"] > 0


@pytest.fixture
def captured_figures(monkeypatch):
    """The images `generate` would draw, (prior, q*), instead of the figure."""
    kept = []
    monkeypatch.setattr(generation, "plot_generation", lambda prior, qstar, title, *paths: kept.append((prior, qstar)))
    return kept


def test_generation_figure_has_two_square_mosaics(tmp_path):
    images = np.random.default_rng(0).uniform(size=(10, 1, 8, 8))
    assert generation.as_grid(images).shape == (3, 4, 1, 8, 8)
    assert (generation.as_grid(images)[2, 2:] == 1).all()
    generation.plot_generation(images, images, "test", tmp_path / "f.png")
    from matplotlib.image import imread

    assert imread(tmp_path / "f.png").shape[1] > 2 * imread(tmp_path / "f.png").shape[0] * 0.8
