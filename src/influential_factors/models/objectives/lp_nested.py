"""The Lp-nested ISA distribution, ISA-VAE's prior (Stuehmer et al. (003) Eqs. 7-11; Sinz & Bethge 2010).

A layout of l0 subspaces of l1 factors each: n = l0 * l1 factors, factor j in subspace j // l1. The outer
exponent p0 joins the subspaces, `exponents` (l0,) holds one exponent p_i per subspace; l0 is the length of
`exponents`. The density and the radius transform are differentiable in z, p0 and the exponents.
"""

from __future__ import annotations

import math

import torch

S = 2.0
"""The scale s of the radial density psi0 (Eq. 11). With s = 2 and every exponent 2, f(z)^2 = |z|^2 and
log p(z) = -(n/2) log(2 pi) - |z|^2 / 2: the prior is then exactly N(0, I), the beta-VAE's prior."""


def log_f_power(z: torch.Tensor, p0, exponents: torch.Tensor) -> torch.Tensor:
    """log f(z)^p0 (Eq. 9) over the last axis of z (..., n), computed in the log domain as
    logsumexp_i [(p0 / p_i) logsumexp_{j in V_i} (p_i log|z_j|)].

    |z| is clamped at the dtype's smallest normal number before the log, so z = 0 gives finite values and
    zero gradients instead of log 0 = -inf (whose gradients are NaN); the clamped term |z|^p_i <= tiny^p_i is
    below rounding for exponents above ~0.5 (float32: e^(-87 p_i)).
    """
    exponents = exponents.to(z)
    l0 = exponents.shape[-1]
    if z.shape[-1] % l0:
        raise ValueError(f"{z.shape[-1]} factors do not split into {l0} subspaces")
    log_abs = z.abs().clamp_min(torch.finfo(z.dtype).tiny).log().unflatten(-1, (l0, -1))
    log_inner = torch.logsumexp(exponents.unsqueeze(-1) * log_abs, dim=-1)  # log v_i^p_i
    return torch.logsumexp(p0 / exponents * log_inner, dim=-1)


def log_surface(l1: int, p0, exponents: torch.Tensor) -> torch.Tensor:
    """log S_f(1) (Eq. 8), the surface of the Lp-nested unit sphere: 2^n times, for the root (exponent p0,
    l0 children of l1 leaves) and each subspace node (exponent p_i, l1 single leaves),
    prod_k Gamma(n_k / p) / (p^(children - 1) Gamma(n_node / p))."""
    p0 = torch.as_tensor(p0, dtype=exponents.dtype, device=exponents.device)
    l0 = exponents.shape[-1]
    n = l0 * l1
    root = l0 * torch.lgamma(l1 / p0) - (l0 - 1) * torch.log(p0) - torch.lgamma(n / p0)
    subspaces = l1 * torch.lgamma(1 / exponents) - (l1 - 1) * torch.log(exponents) - torch.lgamma(l1 / exponents)
    return n * math.log(2.0) + root + subspaces.sum(-1)


def log_density(z: torch.Tensor, p0, exponents: torch.Tensor) -> torch.Tensor:
    """log p_ISA(z) (Eq. 7 with the radial density psi0 of Eq. 11, scale S) over the last axis of z (..., n).

    psi0(f) / f^(n-1) cancels the power of f, leaving
    log p = log p0 - lgamma(n / p0) - (n / p0) log s - f(z)^p0 / s - log S_f(1).
    """
    exponents = exponents.to(z)
    p0 = torch.as_tensor(p0, dtype=z.dtype, device=z.device)
    n = z.shape[-1]
    l1 = n // exponents.shape[-1]
    return (torch.log(p0) - torch.lgamma(n / p0) - n / p0 * math.log(S) - log_f_power(z, p0, exponents).exp() / S
            - log_surface(l1, p0, exponents))


def radius_variate(z: torch.Tensor, p0, exponents: torch.Tensor) -> torch.Tensor:
    """f(z)^p0 / s, distributed as Gamma(n / p0, 1) under p_ISA (the radius v0 of Eq. 11, transformed)."""
    return log_f_power(z, p0, exponents).exp() / S


def sample(count: int, l1: int, p0: float, exponents: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """`count` exact draws from p_ISA, (count, l0 * l1) float64 on the CPU (appendix Algorithm 1; Sinz & Bethge
    2010): the radius v0 with v0^p0 / s ~ Gamma(n / p0, 1); at the root Dirichlet(l1 / p0, ...) proportions g_i
    give the subspace radii v_i = v0 g_i^(1/p0); in subspace i Dirichlet(1 / p_i, ...) proportions h_j give
    |z_j| = v_i h_j^(1/p_i); then independent random signs.

    torch's Gamma and Dirichlet distributions take no generator, so the gammas come from torch._standard_gamma
    with `generator` (Dirichlet proportions as normalised gammas, in the log domain): the same seed gives the
    same draws. No gradients flow (the exponents are detached).
    """
    exponents = exponents.detach().to("cpu", torch.float64)
    l0 = exponents.shape[-1]
    n = l0 * l1

    def log_gamma(shape: torch.Tensor) -> torch.Tensor:
        return torch._standard_gamma(shape, generator=generator).log()

    log_radius = (log_gamma(torch.full((count,), n / p0, dtype=torch.float64)) + math.log(S)) / p0
    root = log_gamma(torch.full((count, l0), l1 / p0, dtype=torch.float64))
    log_subspace_radius = log_radius.unsqueeze(-1) + (root - root.logsumexp(-1, keepdim=True)) / p0
    leaves = log_gamma((1 / exponents).unsqueeze(-1).expand(count, l0, l1).contiguous())
    log_proportions = leaves - leaves.logsumexp(-1, keepdim=True)
    log_abs = log_subspace_radius.unsqueeze(-1) + log_proportions / exponents.unsqueeze(-1)
    signs = torch.randint(0, 2, (count, n), generator=generator, dtype=torch.float64) * 2 - 1
    return signs * log_abs.exp().flatten(1)
