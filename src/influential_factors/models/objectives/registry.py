"""The objectives by name: their classes, and building one from params.yaml's settings or a saved model."""

from __future__ import annotations

import importlib
import pkgutil

from .base import Objective
from .settings import FOLDER, declarations, module_declarations

DISCOVERS_PACKAGE_MODULES = True  # code_deps.py: whoever imports this module runs every module of its package


def _discover() -> dict[str, type[Objective]]:
    """The Objective classes of this folder's modules that hold a declaration, by name (settings.py's order):
    a new objective is a new module, found here without a list to extend."""
    classes = {}
    for module in pkgutil.iter_modules([str(FOLDER)]):
        if module_declarations(FOLDER / f"{module.name}.py"):
            loaded = importlib.import_module(f"{__package__}.{module.name}")
            classes |= {value.declaration.name: value for value in vars(loaded).values()
                        if isinstance(value, type) and issubclass(value, Objective)
                        and value.__module__ == loaded.__name__}
    missing = sorted(set(declarations()) - set(classes))
    if missing:
        raise ImportError(f"objectives declared without an Objective class of that declaration: {', '.join(missing)}")
    return {name: classes[name] for name in declarations()}


OBJECTIVES = _discover()
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
