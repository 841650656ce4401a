"""Estimators of I(x; z_h) beside the paper's Algorithm 1 (mi.py), all on the same saved posteriors.

Notation: q(z_h|x_m) = N(mu_hm, sigma_hm^2) for M samples, the aggregate posterior
q(z_h) = 1/M sum_m q(z_h|x_m), the prior p = N(0, 1).

- Free-mean q*: N(m_h, s_h^2) with m_h = mean_m mu_hm and s_h^2 = mean_m [sigma_hm^2 + (mu_hm - m_h)^2]
  minimises mean_m KL(q(z_h|x_m) || N(m, s^2)) over both parameters, so
  I_free = 1/2 [log s_h^2 - mean_m log sigma_hm^2] <= I_est (Algorithm 1's zero-mean q*); both are
  upper bounds, I + KL(q(z_h) || q*).
- Mixture (consistent): I(x; z_h) = E_m E_{z~q(z_h|x_m)} [log q(z_h|x_m) - log 1/M sum_n q(z_h|x_n)],
  Monte Carlo over z, exact over the M samples; the same with the whole code gives I(x; z), and the
  total correlation TC(z) = sum_h I(x; z_h) - I(x; z) (the posteriors factorise given x).
- The paper's earlier version: mean KL to the prior, mean KL(q(z_h|x) || p) = I + KL(q(z_h) || p);
  mean KL to q* (= I_est); their difference, which equals KL(q*_h || p) exactly for the moment-matched
  zero-mean q* and is a lower bound on KL(q(z_h) || p) = KL(q*_h || p) + KL(q(z_h) || q*_h).
- Baselines: per-dimension KL to the prior (disentangling-vae's log) and active units,
  Var_m mu_hm > 0.01 (Burda et al. 2016).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from tqdm import tqdm

from .gaussian import kl_normal
from .mi import check_posteriors, optimal_prior_variance

ACTIVE_UNIT_THRESHOLD = 0.01
LOG_2PI = math.log(2 * math.pi)


def free_mean_information(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """I_free(x; z_h) = 1/2 [log s_h^2 - mean_m log sigma_h^2] with q* = N(m_h, s_h^2) fitted by moments."""
    mu, logvar = check_posteriors(mu, logvar)
    spread = np.mean(np.exp(logvar), axis=0) + np.var(mu, axis=0)
    return 0.5 * (np.log(spread) - logvar.mean(axis=0))


def kl_to_prior(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """mean_m KL(q(z_h|x_m) || N(0, 1)) per factor: the usual per-dimension KL of a VAE's loss."""
    mu, logvar = check_posteriors(mu, logvar)
    return kl_normal(mu, logvar).mean(axis=0)


def optimal_prior_kl(mu: np.ndarray, logvar: np.ndarray) -> np.ndarray:
    """KL(q*_h || N(0, 1)) = 1/2 (s_h^2 - 1 - log s_h^2) for the paper's zero-mean q*_h = N(0, s_h^2)."""
    s2 = optimal_prior_variance(mu, logvar)
    return 0.5 * (s2 - 1.0 - np.log(s2))


def active_units(mu: np.ndarray, threshold: float = ACTIVE_UNIT_THRESHOLD) -> np.ndarray:
    """True for factors whose posterior mean varies over the data: Var_m mu_h(x_m) > threshold."""
    return np.var(np.asarray(mu, dtype=np.float64), axis=0) > threshold


def mixture_information(mu: np.ndarray, logvar: np.ndarray, samples: int = 1, batch_size: int = 16,
                        seed: int = 0, device: str | torch.device = "cpu",
                        progress: bool = False) -> tuple[np.ndarray, float]:
    """Monte Carlo I(x; z_h) per factor and I(x; z) for the whole code, with q(z) the mixture of all
    M posteriors: mean over m and `samples` draws z ~ q(z|x_m) of log q(z|x_m) - log 1/M sum_n q(z|x_n).

    Exact in the mixture and unbiased for x uniform over the M samples (so at most log M nats);
    it converges to I(x; z_h) of the data distribution as M grows. Cost M^2 H `samples`, batched:
    `batch_size` query points at a time hold (H, batch, M) float32 values. The draws come from a
    seeded CPU generator, so CPU and GPU see the same z.
    """
    mu64, logvar64 = check_posteriors(mu, logvar)
    generator = torch.Generator().manual_seed(seed)
    mu_all = torch.as_tensor(mu64.T, dtype=torch.float32, device=device).contiguous()  # (H, M)
    logvar_all = torch.as_tensor(logvar64.T, dtype=torch.float32, device=device).contiguous()
    half_precision = -0.5 * torch.exp(-logvar_all)
    log_norm = -0.5 * (LOG_2PI + logvar_all)  # log-density of each posterior at its peak
    peak = log_norm.max(dim=1, keepdim=True).values  # (H, 1): exp(log q - peak) <= 1 never overflows
    log_norm_shifted = log_norm - peak
    factors, count = mu_all.shape
    per_factor = torch.zeros(factors, dtype=torch.float64, device=device)
    joint = torch.zeros((), dtype=torch.float64, device=device)
    for start in tqdm(range(0, count, batch_size), desc="mixture estimator", unit="batch", disable=not progress):
        mu_b, logvar_b = mu_all[:, start:start + batch_size], logvar_all[:, start:start + batch_size]
        for _ in range(samples):
            noise = torch.randn(mu_b.shape[::-1], generator=generator).T.to(device)  # (H, B)
            z = mu_b + torch.exp(0.5 * logvar_b) * noise
            log_own = -0.5 * (LOG_2PI + logvar_b + noise**2)  # log q(z_h|x_m) at its own draw
            # log q(z_h|x_n) - peak_h for every factor, query z and posterior n: (H, B, M), in place
            log_all = z[:, :, None] - mu_all[:, None, :]
            log_all.square_().mul_(half_precision[:, None, :]).add_(log_norm_shifted[:, None, :])
            log_joint = log_all.sum(dim=0) + peak.sum()  # (B, M): log q(z|x_n), the code's dimensions summed
            log_aggregate = log_all.exp_().sum(dim=2).log_() + peak - math.log(count)  # (H, B)
            log_aggregate_joint = torch.logsumexp(log_joint, dim=1) - math.log(count)  # (B,)
            per_factor += (log_own - log_aggregate).sum(dim=1, dtype=torch.float64)
            joint += (log_own.sum(dim=0) - log_aggregate_joint).sum(dtype=torch.float64)
    if not (torch.isfinite(per_factor).all() and torch.isfinite(joint)):
        raise FloatingPointError("mixture estimator: a posterior density underflowed (log-variances spread too wide)")
    scale = count * samples
    return (per_factor / scale).cpu().numpy(), float(joint / scale)
