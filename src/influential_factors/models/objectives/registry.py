"""The objectives by name: their classes, and building one from params.yaml's settings or a saved model."""

from __future__ import annotations

from . import anchor_vae, beta_tcvae, beta_vae, isa_vae, mmvae
from .base import Objective

# One entry per objective: its module's OBJECTIVE class (mmvae.py: the model and its two baselines), by name.
# Imported statically, so that the code dependencies DVC tracks (code_deps.py) see every objective.
OBJECTIVES = {objective.name: objective for objective in (beta_vae.OBJECTIVE, anchor_vae.OBJECTIVE,
                                                          beta_tcvae.OBJECTIVE, isa_vae.OBJECTIVE, *mmvae.OBJECTIVES)}
DEFAULT = "beta_vae"  # a model saved without an objective entry (every model before objectives existed)


def objective_class(name: str) -> type[Objective]:
    """The Objective subclass registered under `name`."""
    if name not in OBJECTIVES:
        raise ValueError(f"unknown objective {name!r}; known: {', '.join(OBJECTIVES)}")
    return OBJECTIVES[name]


def build_objective(name: str, settings: dict, *, beta: float, latents: int, dataset_size: int,
                    classes: int | None = None) -> Objective:
    """The objective `name` with its params.yaml settings (`objectives.<name>`), for a model of `latents`
    factors trained on `dataset_size` samples, and for a supervised one an attribute of `classes` values; bad
    settings raise ValueError naming the key."""
    objective = objective_class(name)
    if objective.supervised != (classes is not None):
        raise ValueError(f"objective {name} {'needs' if objective.supervised else 'takes no'} attribute labels")
    extra = {"classes": classes} if objective.supervised else {}
    return objective(settings, beta=beta, latents=latents, dataset_size=dataset_size, **extra)


def objective_of(checkpoint: dict) -> Objective:
    """The objective a saved model (models.load_checkpoint's dict) was trained with, learned parameters
    included; a model saved without one is a beta-VAE."""
    entry = checkpoint.get("objective")
    if entry is None:
        return build_objective(DEFAULT, {}, beta=checkpoint["beta"], latents=checkpoint["architecture"]["latents"],
                               dataset_size=0)
    objective = build_objective(entry["name"], entry["settings"], beta=entry["beta"], latents=entry["latents"],
                                dataset_size=entry["dataset_size"], classes=entry.get("classes"))
    objective.load_state_dict(checkpoint.get("objective_state", {}))
    return objective
