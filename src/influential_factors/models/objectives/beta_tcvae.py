"""beta-TCVAE (Chen et al. 2018, "Isolating sources of disentanglement in VAEs"; restated in 003 Eq. 3).

The batch-mean KL(q(z|x) || p(z)) splits into the index-code mutual information
MI = KL(q(z, x) || q(z) p(x)), the total correlation TC = KL(q(z) || prod_j q(z_j)) and the dimension-wise
KL DWKL = sum_j KL(q(z_j) || p(z_j)); the penalty weights them alpha, beta and gamma. The aggregate
posterior q(z) = 1/N sum_n q(z|x_n) over the N training samples is estimated from the batch.

Weighting: stratified, after the minibatch stratified sampling of Chen et al.'s appendix (their released
code's weight matrix differs in detail). For code z_i ~ q(z|x_i) of a batch of M drawn without replacement
from the N,
    q(z_i) ~= 1/N q(z_i|x_i) + (N - 1) / (N (M - 1)) sum_{j != i} q(z_i|x_j)
(the own sample is exactly 1/N of the mixture; the other M - 1 stand for the other N - 1), an unbiased
estimate of q(z_i), and likewise of each marginal q(z_ij). Their printed minibatch weighted sampling,
log q(z_i) ~= log sum_j q(z_i|x_j) - log(N M), underestimates log q(z_i) by log N, which shifts MI by
+log N, TC by +(D - 1) log N and DWKL by -D log N: the sum and the gradients are unchanged, the logged terms
are not. The plain 1/M mixture over the batch has no constant but overweights the own sample (1/M, not
1/N), so its MI cannot exceed log M. The stratified weights make each term a consistent estimate of its
own quantity (tests/test_objective_beta_tcvae.py checks both failures and the Gaussian closed forms).
"""

from __future__ import annotations

import math

import torch

from .base import Objective
from .settings import Declaration, Number

DECLARATION = Declaration("beta_tcvae", {"alpha": Number(), "gamma": Number()})

LOG_2PI = math.log(2 * math.pi)


def log_density_matrix(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
    """(M, M, D): entry [i, j, d] = log N(z_id; mu_jd, exp(logvar_jd)), every code under every posterior."""
    z, mu, logvar = z[:, None], mu[None], logvar[None]
    return -0.5 * ((z - mu) ** 2 * torch.exp(-logvar) + logvar + LOG_2PI)


def stratified_log_weights(batch: int, dataset_size: int, dtype=torch.float32, device=None) -> torch.Tensor:
    """(M, M) log weights of posterior j in the estimate of q(z_i): log 1/N on the diagonal,
    log (N - 1) / (N (M - 1)) off it (the module's docstring says why). A batch of one code (a short last
    batch) has only its own term: its MI and TC are then constants, which leave the gradients alone."""
    off = math.log((dataset_size - 1) / (dataset_size * (batch - 1))) if dataset_size > 1 and batch > 1 else -math.inf
    weights = torch.full((batch, batch), off, dtype=dtype, device=device)
    return weights.fill_diagonal_(-math.log(dataset_size))


def decomposition(mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor,
                  log_weights: torch.Tensor) -> dict[str, torch.Tensor]:
    """Batch estimates of MI, TC and DWKL (Chen et al. Eq. 2) with log q(z_i) = logsumexp_j(log w_ij +
    log q(z_i|x_j)) and log q(z_ij) likewise per dimension. They add up to the Monte Carlo KL
    mean_i [log q(z_i|x_i) - log N(z_i; 0, I)] whatever the weights."""
    log_q = log_density_matrix(z, mu, logvar)
    log_q_z = torch.logsumexp(log_weights + log_q.sum(2), dim=1)
    log_q_marginals = torch.logsumexp(log_weights[:, :, None] + log_q, dim=1).sum(1)
    log_q_z_given_x = log_q.diagonal(dim1=0, dim2=1).sum(0)
    log_prior = -0.5 * (z ** 2 + LOG_2PI).sum(1)
    return {"mi": (log_q_z_given_x - log_q_z).mean(), "tc": (log_q_z - log_q_marginals).mean(),
            "dwkl": (log_q_marginals - log_prior).mean()}


class BetaTCVAE(Objective):
    """Settings: `alpha`, the weight of MI, and `gamma`, that of DWKL (finite, >= 0); TC's is beta."""

    declaration = DECLARATION

    def __init__(self, settings: dict, *, beta: float, latents: int, dataset_size: int):
        super().__init__(settings, beta=beta, latents=latents, dataset_size=dataset_size)
        if dataset_size < 1:
            raise ValueError(f"beta_tcvae needs the training set's size for q(z), got dataset_size={dataset_size}")
        self.alpha, self.gamma = settings["alpha"], settings["gamma"]

    def penalty(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor) -> dict[str, torch.Tensor]:
        """alpha MI + beta TC + gamma DWKL, computed as beta KL + (alpha - beta) MI + (gamma - beta) DWKL so
        that alpha = gamma = beta gives beta * KL to the bit; `kl` = MI + TC + DWKL, a Monte Carlo estimate."""
        terms = decomposition(mu, logvar, z, stratified_log_weights(len(z), self.dataset_size, z.dtype, z.device))
        kl = terms["mi"] + terms["tc"] + terms["dwkl"]
        penalty = self.beta * kl + (self.alpha - self.beta) * terms["mi"] + (self.gamma - self.beta) * terms["dwkl"]
        return {"penalty": penalty, "kl": kl, **terms}
