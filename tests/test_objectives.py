"""Every registered objective: it trains (a few Adam steps on a toy set lower its loss; a supervised one's
critics step between), round-trips through a saved model, and its settings are checked against the dataset's
latents before any job."""

import copy
import subprocess
import sys

import pytest
import torch
import yaml

from conftest import REPO
from influential_factors.data.attributes import Attribute
from influential_factors.pipeline.relations import relation_errors
from influential_factors.models.vae import BetaVAE, load_objective, vae_loss
from influential_factors.models.objectives.settings import declarations, settings_section
from influential_factors.models.objectives.registry import OBJECTIVES, build_objective
from influential_factors.models.training import train_vae

# Every registered objective, with the smoke configuration's settings (params.yaml's where the smoke params have
# none) and latents (its shapes runs' 8 latents): a new objective is exercised here without an edit.
SMOKE = yaml.safe_load((REPO / "tests" / "smoke_params.yaml").read_text())
PARAMS = yaml.safe_load((REPO / "params.yaml").read_text())
LATENTS = SMOKE["vae"]["shapes"]["latents"]
SETTINGS = {name: SMOKE["objectives"].get(settings_section(name), PARAMS["objectives"].get(settings_section(name), {}))
            for name in OBJECTIVES}
CLASSES = {name: 2 for name, objective in OBJECTIVES.items() if objective.supervised}  # an attribute of 2 values


def build(name, dataset_size):
    return build_objective(name, SETTINGS[name], beta=2.0, latents=LATENTS, dataset_size=dataset_size,
                           classes=CLASSES.get(name))


def test_every_registered_objective_is_exercised_here():
    """The registry finds a class for every declaration (settings.py reads them without torch), each objective
    with settings has them in the smoke params or params.yaml."""
    assert list(OBJECTIVES) == list(declarations()) and list(OBJECTIVES)[0] == "beta_vae"
    for name, declaration in declarations().items():
        assert OBJECTIVES[name].declaration == declaration and OBJECTIVES[name].supervised == declaration.supervised
        assert not (declaration.settings or declaration.settings_of) or settings_section(name) in (
            SMOKE["objectives"].keys() | PARAMS["objectives"].keys())


def test_validating_the_default_params_leaves_torch_unimported():
    """Each Snakemake start (one per DVC stage) validates params.yaml: the objectives' settings are checked
    without importing torch, which costs seconds per start. Run in a fresh interpreter: this one has torch."""
    script = ("import sys; from influential_factors.pipeline.config import load_params; "
              f"load_params({str(REPO / 'params.yaml')!r}, {str(REPO / 'workflow/schemas/params.schema.yaml')!r}); "
              "print(sorted(module for module in sys.modules if module.split('.')[0] == 'torch'))")
    assert subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout == "[]\n"


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_a_few_steps_lower_the_loss_on_a_toy_set(name):
    torch.manual_seed(0)
    images = torch.rand(64, 1, 8, 8).round()  # 64 binary 8x8 images
    model = BetaVAE((1, 8, 8), [8], hidden=32, latents=LATENTS, sigma2_x=0.05)
    labels = (images.mean((1, 2, 3)) > 0.5).long() if name in CLASSES else None
    objective = build(name, len(images))
    optimizer = torch.optim.Adam([*model.parameters(), *objective.trained_parameters()], lr=3e-3)

    def loss():
        torch.manual_seed(1)  # the same posterior draws before and after: only the weights differ
        return vae_loss(images, *model(images), objective, 0.05, labels=labels)["loss"]

    before = loss().item()
    for _ in range(100):
        if labels is not None:
            objective.critic_step(model(images)[3], labels)
        optimizer.zero_grad()
        loss().backward()
        optimizer.step()
    assert loss().item() < 0.9 * before


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_a_saved_model_rebuilds_its_objective(name, tmp_path):
    """train-vae saves the objective (and its learned parameters) with the weights; a beta-VAE's file has none."""
    from influential_factors.data.datasets import prepare_mnist

    prepare_mnist(tmp_path / "d.npz", None, (0.6, 0.2, 0.2), seed=0, limit=60)
    train_vae(tmp_path / "d.npz", tmp_path / "m.pt", tmp_path / "live", objective=name, objective_settings=SETTINGS[name],
              beta=2.0, sigma2_x=0.05, channels=[4], hidden=8, latents=LATENTS, epochs=1, batch_size=12, lr=1e-2,
              seed=0, attribute=Attribute("mnist", "digit>=5") if name in CLASSES else None)
    saved = torch.load(tmp_path / "m.pt", weights_only=True)
    assert ("objective" in saved) == (name != "beta_vae")
    objective = load_objective(tmp_path / "m.pt")
    assert objective.name == name and objective.beta == 2.0
    fresh = build(name, 36)
    for key, value in objective.state_dict().items():  # learned exponents and critics moved in training, and were saved
        if isinstance(value, torch.Tensor):
            assert not torch.equal(value, fresh.state_dict()[key]) or not value.requires_grad
    codes = objective.sample_prior(5, torch.Generator().manual_seed(0))
    assert codes.shape == (5, LATENTS) and torch.isfinite(codes).all()


def test_validation_names_the_dataset_objective_and_key(default_params):
    params = copy.deepcopy(default_params)
    params["vae"]["mnist"]["objectives"] = {"isa_vae": [10], "anchor_vae": [10]}
    params["objectives"]["isa_vae"]["subspace_size"] = 3
    params["objectives"]["anchor_vae"]["anchors"] = [0, 200]
    errors = relation_errors(params)
    assert any(error.startswith("vae.mnist.objectives.isa_vae:") and "got 3" in error and "128" in error
               for error in errors), errors
    assert any(error.startswith("vae.mnist.objectives.anchor_vae:") and "200" in error for error in errors), errors
    assert not relation_errors(default_params)
