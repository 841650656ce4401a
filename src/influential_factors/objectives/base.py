"""What every objective provides: the penalty added to -log p(x|z), its prior's sampler, and how to rebuild it."""

from __future__ import annotations

import math
from numbers import Real

import torch
from torch import nn


def check_keys(name: str, settings: dict, keys: tuple[str, ...]) -> None:
    """Raise ValueError unless `settings` (params.yaml `objectives.<name>`) has exactly `keys`."""
    if not isinstance(settings, dict):
        raise ValueError(f"objectives.{name}: expected a mapping of {', '.join(keys)}, got {type(settings).__name__}")
    missing, unknown = sorted(set(keys) - settings.keys()), sorted(settings.keys() - set(keys))
    if missing or unknown:
        raise ValueError(f"objectives.{name}: " + "; ".join(
            [f"missing {key}" for key in missing] + [f"unknown setting {key}" for key in unknown]))


def check_number(name: str, settings: dict, key: str, *, positive: bool = False) -> None:
    """Raise ValueError unless `settings[key]` is a finite number >= 0 (a weight of a KL term), or > 0 with
    `positive` (an exponent)."""
    value = settings[key]
    if (isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value < 0
            or (positive and value == 0)):
        raise ValueError(f"objectives.{name}.{key}: expected a finite number {'>' if positive else '>='} 0, "
                         f"got {value!r}")


class Objective(nn.Module):
    """The regularising part of a VAE objective, for codes z ~ q(z|x) = N(mu, diag exp(logvar)).

    A module, so that learned prior parameters (ISA-VAE's exponents) train with the network and are saved
    with it. Subclasses set `name`, implement `penalty` and, for a prior other than N(0, I), `sample_prior`.
    """

    name = ""

    def __init__(self, settings: dict, *, beta: float, latents: int, dataset_size: int):
        super().__init__()
        self.check_settings(settings, latents)
        self.settings = dict(settings)
        self.beta = beta
        self.latents = latents
        self.dataset_size = dataset_size

    @classmethod
    def check_settings(cls, settings: dict, latents: int) -> None:
        """Raise ValueError naming the key when `settings` (params.yaml `objectives.<name>`) cannot work with
        `latents` factors. The default accepts only no settings."""
        if settings:
            raise ValueError(f"objective {cls.name} takes no settings, got {sorted(settings)}")

    def penalty(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """For a batch of posteriors (N, latents) and one code drawn from each: `penalty`, the batch mean of
        what the loss adds to -log p(x|z); `kl`, the batch mean KL(q(z|x) || p(z)) (closed form or an
        estimate); optionally more named scalar terms (logged)."""
        raise NotImplementedError

    def sample_prior(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """`count` codes from the prior p(z), (count, latents), on the CPU; N(0, I) unless overridden."""
        return torch.randn(count, self.latents, generator=generator)

    def description(self) -> dict:
        """What rebuilds this objective from a saved model (models.save / objectives.load_objective)."""
        return {"name": self.name, "settings": self.settings, "beta": self.beta, "latents": self.latents,
                "dataset_size": self.dataset_size}
