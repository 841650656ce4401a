"""MMVAE and its baselines (objectives/mmvae.py): the conditional prior's geometry, the KL terms in closed form,
the critics' ascent, the resumable state, the prior's sampler, and what validation refuses."""

import copy
import math

import pytest
import torch

from influential_factors.pipeline.relations import relation_errors
from influential_factors.models.gaussian import kl_normal
from influential_factors.models.objectives.registry import build_objective
from influential_factors.models.objectives.mmvae import class_means

LATENTS = 6
SETTINGS = {"attributes": {"mnist": "digit"}, "attribute_dims": 2, "prior_radius": 2.0, "prior_sigma": 0.5,
            "weights": {"c_y": 0.0, "z_y": 1.0, "z_c": 1.0}, "mine": {"hidden": 16, "lr": 1e-2, "ema_rate": 0.1}}


def build(name="mmvae", classes=3, beta=1.0, **changes):
    return build_objective(name, {**SETTINGS, **changes}, beta=beta, latents=LATENTS, dataset_size=100, classes=classes)


@pytest.mark.parametrize("classes, dims", [(2, 1), (5, 1), (3, 2), (10, 3)])
def test_class_means_are_distinct_and_on_the_stated_circle_or_line(classes, dims):
    means = class_means(classes, dims, 2.0).double()
    assert means.shape == (classes, dims)
    assert torch.cdist(means, means).add(torch.eye(classes) * 10).min() > 0.5  # separated
    if dims == 1:
        assert means[0, 0] == -2.0 and means[-1, 0] == 2.0
    else:
        assert torch.allclose(means[:, :2].norm(dim=1), torch.full((classes,), 2.0, dtype=torch.float64))
        assert (means[:, 2:] == 0).all()


def test_each_objective_keeps_the_critics_of_its_regularisers():
    assert set(build("mmvae").critics) == {"z_y", "z_c"}  # c_y's weight is 0: the thesis keeps alpha 0
    assert set(build("mmvae", weights={"c_y": 1.0, "z_y": 1.0, "z_c": 1.0}).critics) == {"c_y", "z_y", "z_c"}
    assert set(build("csvae").critics) == {"z_y"}
    assert not build("r_cvae").critics and build("r_cvae").trained_parameters() == []


def test_without_regularisers_the_penalty_is_beta_times_both_closed_form_kls():
    torch.manual_seed(0)
    objective = build("r_cvae", beta=3.0)
    mu, logvar = torch.randn(8, LATENTS), torch.randn(8, LATENTS) * 0.3
    labels = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    terms = objective.penalty(mu, logvar, mu, labels)
    means = class_means(3, 2, 2.0)[labels]
    kl_z = kl_normal(mu[:, :4], logvar[:, :4]).sum(1).mean()
    kl_c = kl_normal(mu[:, 4:], logvar[:, 4:], means, 2 * math.log(0.5)).sum(1).mean()
    assert torch.allclose(terms["kl_c"], kl_c) and torch.allclose(terms["kl_z"], kl_z)
    assert torch.allclose(terms["penalty"], 3.0 * (kl_z + kl_c))


def test_a_posterior_equal_to_its_class_prior_costs_no_kl_c():
    objective = build("r_cvae")
    labels = torch.tensor([2, 0, 1])
    mu = torch.zeros(3, LATENTS)
    mu[:, 4:] = class_means(3, 2, 2.0)[labels]
    logvar = torch.zeros(3, LATENTS)
    logvar[:, 4:] = 2 * math.log(0.5)
    terms = objective.penalty(mu, logvar, mu, labels)
    assert abs(terms["kl_c"].item()) < 1e-6 and abs(terms["kl_z"].item()) < 1e-6


def test_critic_steps_raise_the_bound_on_codes_that_carry_the_label_and_its_gradient_reaches_them():
    """z's first factor is the label plus noise: I(z; y) is large (up to H(y) = log 3); the critic's ascent must
    find it, and the VAE's descent sees it as a gradient on the codes."""
    torch.manual_seed(0)
    objective = build("csvae")
    labels = torch.arange(256) % 3
    codes = torch.randn(256, LATENTS) * 0.2
    codes[:, 0] += 2.0 * labels

    def bound():
        torch.manual_seed(1)
        return objective.penalty(codes, torch.zeros_like(codes), codes, labels)["mi_z_y"].item()

    before = bound()
    for _ in range(200):
        objective.critic_step(codes, labels)
    after = bound()
    assert after > before + 0.5 and after < math.log(3) + 0.1, (before, after)
    leaf = codes.clone().requires_grad_()
    objective.penalty(leaf, torch.zeros_like(leaf), leaf, labels)["mi_z_y"].backward()
    assert leaf.grad[:, :4].abs().sum() > 0 and leaf.grad[:, 4:].abs().sum() == 0  # I(z; y) reads z only


def test_the_critics_optimiser_and_moving_averages_survive_a_state_dict_round_trip():
    torch.manual_seed(0)
    objective = build("mmvae")
    labels = torch.arange(64) % 3
    for _ in range(3):
        objective.critic_step(torch.randn(64, LATENTS), labels)
    fresh = build("mmvae")
    fresh.load_state_dict(copy.deepcopy(objective.state_dict()))  # as from a file: no tensor shared
    for pair in objective.estimators:
        assert torch.equal(fresh.estimators[pair].log_ema, objective.estimators[pair].log_ema)
    torch.manual_seed(5)
    objective.critic_step(torch.ones(64, LATENTS), labels)
    torch.manual_seed(5)
    fresh.critic_step(torch.ones(64, LATENTS), labels)
    for (name, value), other in zip(objective.critics.state_dict().items(), fresh.critics.state_dict().values()):
        assert torch.equal(value, other), name  # the same Adam state: the same next step


def test_the_prior_draws_c_from_the_class_means_and_z_from_the_standard_normal():
    objective = build("mmvae", classes=4, prior_sigma=0.1)
    codes = objective.sample_prior(4000, torch.Generator().manual_seed(0))
    nearest = torch.cdist(codes[:, 4:], class_means(4, 2, 2.0)).min(dim=1).values
    assert nearest.max() < 0.6  # within 6 sigma of a class mean
    assert abs(codes[:, :4].std().item() - 1.0) < 0.05 and abs(codes[:, :4].mean().item()) < 0.05


def test_supervised_objectives_need_labels_and_other_objectives_take_none():
    with pytest.raises(ValueError, match="needs attribute labels"):
        build_objective("mmvae", SETTINGS, beta=1.0, latents=LATENTS, dataset_size=1)
    with pytest.raises(ValueError, match="takes no attribute labels"):
        build_objective("beta_vae", {}, beta=1.0, latents=LATENTS, dataset_size=1, classes=2)


@pytest.mark.parametrize("dataset, problem", [("celeba", "embedded ORL faces"), ("deap", "deap carry no attribute"),
                                              ("shapes", "has no attribute for shapes")])
def test_validation_refuses_supervised_objectives_without_attributes(default_params, dataset, problem):
    params = copy.deepcopy(default_params)
    params["vae"][dataset]["objectives"] = {"csvae": [1]}
    params["objectives"]["mmvae"]["attributes"].pop("shapes")
    errors = relation_errors(params)
    assert any(error.startswith(f"vae.{dataset}.objectives.csvae:") and problem in error for error in errors), errors


def test_an_interrupted_run_resumes_to_the_bytes_of_an_uninterrupted_one(tmp_path, monkeypatch):
    """The checkpoint keeps the critics, their Adam and moving averages (the objective's extra state)."""
    from influential_factors.models import training
    from influential_factors.data.attributes import Attribute
    from influential_factors.data.datasets import prepare_mnist

    prepare_mnist(tmp_path / "d.npz", None, (0.6, 0.2, 0.2), seed=0, limit=60)
    run = dict(objective="mmvae", objective_settings=SETTINGS, beta=1.0, sigma2_x=0.05, channels=[4], hidden=8,
               latents=LATENTS, epochs=3, batch_size=12, lr=1e-2, seed=0, checkpoint_every=1,
               attribute=Attribute("mnist", "digit"))
    training.train_vae(tmp_path / "d.npz", tmp_path / "whole.pt", tmp_path / "whole", **run)
    real, calls = training.train_epoch, []

    def interrupted(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt  # in the third epoch: the checkpoint of epoch 2 stays
        return real(*args, **kwargs)

    monkeypatch.setattr(training, "train_epoch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        training.train_vae(tmp_path / "d.npz", tmp_path / "resumed.pt", tmp_path / "resumed", **run)
    monkeypatch.setattr(training, "train_epoch", real)
    training.train_vae(tmp_path / "d.npz", tmp_path / "resumed.pt", tmp_path / "resumed", **run)
    assert (tmp_path / "resumed.pt").read_bytes() == (tmp_path / "whole.pt").read_bytes()
