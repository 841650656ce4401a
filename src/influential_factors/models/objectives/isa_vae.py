"""ISA-VAE (Stuehmer et al. (003)): the Lp-nested ISA prior of Eqs. 7-11, its KL estimated by Monte Carlo (Eq. 12)."""

from __future__ import annotations

import math

import torch
from torch import nn

from . import lp_nested
from .base import Objective
from .settings import Declaration, Number, SubspaceSize

DECLARATIONS = (  # the paper's Figure 5(b) and 5(c): one prior, its subspace exponents fixed or learned
    Declaration("isa_vae", {"subspace_size": SubspaceSize(), "p0": Number(positive=True, maximum=100),
                            "p1": Number(positive=True, maximum=100)}),
    Declaration("isa_vae_learned", settings_of="isa_vae"),
)


class IsaVAE(Objective):
    """Prior p_ISA with l0 = latents / `subspace_size` subspaces of l1 = `subspace_size` factors, outer exponent
    p0 and subspace exponents p1, fixed: a non-persistent buffer, which the settings alone rebuild."""

    declaration = DECLARATIONS[0]
    learn_exponents = False

    def __init__(self, settings: dict, *, beta: float, latents: int, dataset_size: int):
        super().__init__(settings, beta=beta, latents=latents, dataset_size=dataset_size)
        self.l1 = settings["subspace_size"]
        l0 = latents // self.l1
        self.p0 = float(settings["p0"])
        initial = torch.full((l0,), float(settings["p1"]))
        if self.learn_exponents:
            self.log_exponents = nn.Parameter(initial.log())
        else:
            self.register_buffer("fixed_exponents", initial, persistent=False)

    @property
    def exponents(self) -> torch.Tensor:
        """The subspace exponents p_1 ... p_l0 of Eq. 9, (l0,)."""
        return self.log_exponents.exp() if self.learn_exponents else self.fixed_exponents

    def log_prior(self, z: torch.Tensor) -> torch.Tensor:
        """log p_ISA(z) per code (Eq. 7), (N,)."""
        return lp_nested.log_density(z, self.p0, self.exponents)

    def penalty(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """beta * KL, the KL estimated from the one code per posterior (Eq. 12):
        mean_batch [log N(z; mu, e^logvar) - log p_ISA(z)], constants included. With learned exponents also
        `p1_mean`, their mean."""
        log_posterior = -0.5 * (math.log(2 * math.pi) + logvar + (z - mu) ** 2 * torch.exp(-logvar)).sum(-1)
        kl = (log_posterior - self.log_prior(z)).mean()
        terms = {"penalty": self.beta * kl, "kl": kl}
        if self.learn_exponents:
            terms["p1_mean"] = self.exponents.detach().mean()
        return terms

    def sample_prior(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """`count` exact draws from p_ISA with the current exponents (appendix Algorithm 1), on the CPU."""
        codes = lp_nested.sample(count, self.l1, self.p0, self.exponents, generator)
        return codes.to(torch.get_default_dtype())


class IsaVAELearned(IsaVAE):
    """ISA-VAE with learned subspace exponents (the paper's Figure 5(c)): a parameter initialised at p1, stored as
    logs so they stay positive, trained with the network and saved in the state_dict; p0 stays fixed (A.2)."""

    declaration = DECLARATIONS[1]
    learn_exponents = True
