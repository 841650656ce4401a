"""What every objective provides: the penalty added to -log p(x|z), its prior's sampler, and how to rebuild it."""

from __future__ import annotations

import torch
from torch import nn

from .settings import Declaration, check_settings


class Objective(nn.Module):
    """The regularising part of a VAE objective, for codes z ~ q(z|x) = N(mu, diag exp(logvar)).

    A module, so that learned prior parameters (ISA-VAE's exponents) train with the network and are saved
    with it. Subclasses set `name`, implement `penalty` and, for a prior other than N(0, I), `sample_prior`.
    A `supervised` objective (MMVAE) also reads each sample's attribute label: its `penalty` takes the
    batch's labels, training calls its `critic_step` before each step of the VAE, and it is built with the
    attribute's number of values (`classes`).
    """

    declaration = Declaration("")  # the module's DECLARATION (settings.py): name, settings' rules, supervised
    name = ""
    supervised = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.name, cls.supervised = cls.declaration.name, cls.declaration.supervised

    def __init__(self, settings: dict, *, beta: float, latents: int, dataset_size: int):
        super().__init__()
        check_settings(self.name, settings, latents)  # settings.py, from the declaration
        self.settings = dict(settings)
        self.beta = beta
        self.latents = latents
        self.dataset_size = dataset_size

    def penalty(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """For a batch of posteriors (N, latents) and one code drawn from each: `penalty`, the batch mean of
        what the loss adds to -log p(x|z); `kl`, the batch mean KL(q(z|x) || p(z)) (closed form or an
        estimate); optionally more named scalar terms (logged)."""
        raise NotImplementedError

    def trained_parameters(self) -> list[nn.Parameter]:
        """The parameters the VAE's optimiser trains with the network (a learned prior's)."""
        return list(self.parameters())

    def sample_prior(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """`count` codes from the prior p(z), (count, latents), on the CPU; N(0, I) unless overridden."""
        return torch.randn(count, self.latents, generator=generator)

    def description(self) -> dict:
        """What rebuilds this objective from a saved model (models.save / objectives.load_objective)."""
        return {"name": self.name, "settings": self.settings, "beta": self.beta, "latents": self.latents,
                "dataset_size": self.dataset_size}
