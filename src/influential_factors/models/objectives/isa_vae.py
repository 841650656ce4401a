"""ISA-VAE (Stuehmer et al. (003)): the Lp-nested ISA prior of Eqs. 7-11, its KL estimated by Monte Carlo (Eq. 12)."""

from __future__ import annotations

import math

import torch
from torch import nn

from . import lp_nested
from .base import Objective
from .settings import Boolean, Declaration, Layout, Number

DECLARATION = Declaration("isa_vae", {"layout": Layout(), "p0": Number(positive=True, maximum=100),
                                      "p1": Number(positive=True, maximum=100), "learn_exponents": Boolean()})


class IsaVAE(Objective):
    """Prior p_ISA with `layout` [l0, l1] (l0 subspaces of l1 factors), outer exponent p0 and subspace exponents
    initialised at p1. With `learn_exponents` the subspace exponents are a parameter (stored as logs, so they
    stay positive) trained with the network and saved in the state_dict; p0 stays fixed, as in the paper (A.2).
    Without it they are a non-persistent buffer: the settings alone rebuild them."""

    declaration = DECLARATION

    def __init__(self, settings: dict, *, beta: float, latents: int, dataset_size: int):
        super().__init__(settings, beta=beta, latents=latents, dataset_size=dataset_size)
        l0, self.l1 = settings["layout"]
        self.p0 = float(settings["p0"])
        self.learn_exponents = settings["learn_exponents"]
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
