"""The beta-VAE (Higgins et al. 2017), the paper's model: penalty = beta * KL(q(z|x) || N(0, I)), closed form."""

from __future__ import annotations

import torch

from ..gaussian import kl_normal
from .base import Objective
from .settings import Declaration

DECLARATION = Declaration("beta_vae")  # the paper's model: no settings


class BetaVAE(Objective):
    declaration = DECLARATION

    def penalty(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """beta * sum_h mean_batch KL(N(mu_h, sigma_h^2) || N(0, 1)); `kl_per_factor` is the per-factor mean KL."""
        kl_per_factor = kl_normal(mu, logvar).mean(0)
        kl = kl_per_factor.sum()
        return {"penalty": self.beta * kl, "kl": kl, "kl_per_factor": kl_per_factor}
