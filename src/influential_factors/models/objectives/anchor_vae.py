"""AnchorVAE (Gao et al. (001) Eq. 21): the beta-VAE with a lighter KL weight on chosen ("anchored") factors.

Eq. 21 weights KL(q(z_h|x) || N(0, 1)) by `anchor_weight` (lambda; the paper's 0.5) for the anchored
factors and by beta for all others, so that the anchored factors carry more information about x.
"""

from __future__ import annotations

import torch

from .beta_vae import BetaVAE
from .settings import Declaration, Factors, Number

DECLARATION = Declaration("anchor_vae", {"anchors": Factors(), "anchor_weight": Number()})


class AnchorVAE(BetaVAE):
    """Settings: `anchors`, the anchored factors' indices (distinct, in [0, latents)); `anchor_weight`, their
    KL weight (finite, >= 0)."""

    declaration = DECLARATION

    def __init__(self, settings: dict, *, beta: float, latents: int, dataset_size: int):
        super().__init__(settings, beta=beta, latents=latents, dataset_size=dataset_size)
        self.anchors = list(settings["anchors"])
        self.anchor_weight = settings["anchor_weight"]

    def penalty(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """Eq. 21's KL part: beta * sum_{h not anchored} KL_h + anchor_weight * sum_{h anchored} KL_h, computed
        as the beta-VAE's beta * KL + (anchor_weight - beta) * KL_anchored so that equal weights give the
        beta-VAE's penalty to the bit. `kl_anchored` is the anchored factors' summed batch-mean KL."""
        terms = super().penalty(mu, logvar, z)
        kl_anchored = terms["kl_per_factor"][self.anchors].sum()
        return {**terms, "penalty": terms["penalty"] + (self.anchor_weight - self.beta) * kl_anchored,
                "kl_anchored": kl_anchored}
