"""Time the estimators on N x H posteriors (default 10,000 x 128, the paper's CelebA test size).

(a) all closed-form estimators together (Algorithm 1, free mean, KL to the prior, KL(q*||p), the
variance indicator, active units), against a baseline that computes the same per factor with
torch.distributions (one KL call per factor, as a first implementation would); (b) the mixture
estimator, per factor and joint, against the current way (its first implementation, below: float32,
every draw against all M posteriors, M^2 H densities) with the same draws, on random posteriors and on
a beta-VAE-like code (--active factors with sigma 0.02..0.3, the others inactive, about N(0, 1)).
Prints seconds, the ratios and the largest difference between each pair, and for the mixture each
way's largest difference from a float64 brute force on the first --checked draws. GPU with --device cuda.
"""

import argparse
import math
import time

import numpy as np
import torch
from torch.distributions import Normal, kl_divergence
from tqdm import tqdm

from influential_factors.information.estimators import (active_units, factor_log_mixtures, free_mean_information,
                                            joint_log_mixture, kl_to_prior, mixture_draws, mixture_information,
                                            optimal_prior_kl)
from influential_factors.information.mi import check_posteriors, information_per_factor, variance_indicator

LOG_2PI = math.log(2 * math.pi)


def closed_forms(mu, logvar):
    return (information_per_factor(mu, logvar), free_mean_information(mu, logvar), kl_to_prior(mu, logvar),
            optimal_prior_kl(mu, logvar), variance_indicator(mu), active_units(mu))


def closed_forms_baseline(mu, logvar):
    """Algorithm 1 and the KL to the prior, one torch.distributions call per factor."""
    mu, std = torch.as_tensor(mu, dtype=torch.float64), torch.exp(0.5 * torch.as_tensor(logvar, dtype=torch.float64))
    alg1, prior = [], []
    for h in range(mu.shape[1]):
        posterior = Normal(mu[:, h], std[:, h])
        q_star = Normal(torch.zeros(()), (std[:, h] ** 2 + mu[:, h] ** 2).mean().sqrt())
        alg1.append(kl_divergence(posterior, q_star).mean())
        prior.append(kl_divergence(posterior, Normal(0.0, 1.0)).mean())
    return torch.stack(alg1).numpy(), torch.stack(prior).numpy()


def mixture_current(mu, logvar, samples=1, batch_size=16, seed=0, device="cpu", progress=False):
    """The mixture estimator as it was: every draw against every posterior, (H, batch, M) float32 at a time."""
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


def random_posteriors(samples, factors, rng):
    mu = (rng.normal(size=(samples, factors)) * rng.uniform(0, 2, factors)).astype(np.float32)
    return mu, rng.normal(-2.0, 1.0, size=mu.shape).astype(np.float32)


def beta_vae_posteriors(samples, factors, active, rng):
    """`active` factors with means over +-3 and sigma 0.02..0.3 (a base per factor, varying 30% per sample); the
    others inactive, every posterior about N(0, 1), as a trained beta-VAE leaves most of its factors."""
    mu = rng.normal(0, 0.02, size=(samples, factors))
    logvar = rng.normal(0, 0.05, size=(samples, factors))
    mu[:, :active] = rng.normal(size=(samples, active))
    logvar[:, :active] = 2 * np.log(rng.uniform(0.02, 0.3, active)) + rng.normal(0, 0.3, size=(samples, active))
    return mu.astype(np.float32), logvar.astype(np.float32)


def brute_force_differences(mu, logvar, checked, device):
    """Largest |log q(z_h)| and |log q(z)| difference between the estimator's mixtures and a float64 sum over every
    posterior, at the first `checked` draws."""
    mu, logvar = (torch.as_tensor(value, dtype=torch.float64, device=device) for value in (mu, logvar))
    z, log_own = mixture_draws(mu, logvar)
    per_factor = factor_log_mixtures(z.T.contiguous(), mu.T.contiguous(), logvar.T.contiguous()).T[:checked]
    joint = joint_log_mixture(z, mu, logvar, log_own.sum(1))[:checked]
    exact, exact_joint = [], []
    for block in z[:checked].split(8):
        log_normal = -0.5 * (LOG_2PI + logvar + (block[:, None] - mu) ** 2 * torch.exp(-logvar))  # (draws, M, H)
        exact.append(torch.logsumexp(log_normal, dim=1) - math.log(len(mu)))
        exact_joint.append(torch.logsumexp(log_normal.sum(2), dim=1) - math.log(len(mu)))
    return (float((per_factor - torch.cat(exact)).abs().max()),
            float((joint - torch.cat(exact_joint)).abs().max()))


def timed(function, *args, repeats=1, **kwargs):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def compare_mixture(name, mu, logvar, args):
    slow, (current, current_joint) = timed(mixture_current, mu, logvar, device=args.device)
    fast, (new, new_joint) = timed(mixture_information, mu, logvar, device=args.device, repeats=args.repeats)
    print(f"mixture, {name}: current {slow:.2f} s (1 run), new {fast:.2f} s (best of {args.repeats}), ratio "
          f"{slow / fast:.1f}x; max |difference| per factor {np.abs(new - current).max():.1e}, joint "
          f"{abs(new_joint - current_joint):.1e} nats")
    per_factor, joint = brute_force_differences(mu, logvar, args.checked, args.device)
    print(f"  new vs a float64 sum over all posteriors, first {args.checked} draws: max |difference| "
          f"log q(z_h) {per_factor:.1e}, log q(z) {joint:.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--factors", type=int, default=128)
    parser.add_argument("--active", type=int, default=13, help="active factors of the beta-VAE-like posteriors")
    parser.add_argument("--repeats", type=int, default=3, help="runs of the new mixture estimator, best one timed")
    parser.add_argument("--checked", type=int, default=200, help="draws checked against the float64 brute force")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    mu, logvar = random_posteriors(args.samples, args.factors, rng)
    print(f"{args.samples} x {args.factors} posteriors, torch threads {torch.get_num_threads()}, device {args.device}")

    fast, values = timed(closed_forms, mu, logvar, repeats=5)
    slow, (alg1, prior) = timed(closed_forms_baseline, mu, logvar)
    difference = max(np.abs(values[0] - alg1).max(), np.abs(values[2] - prior).max())
    print(f"closed forms, all six:      {fast:.3f} s (best of 5)")
    print(f"baseline, Alg. 1 + KL only: {slow:.3f} s  ratio {slow / fast:.1f}x  max |difference| {difference:.1e}")

    compare_mixture("random posteriors", mu, logvar, args)
    inactive = args.factors - args.active
    compare_mixture(f"beta-VAE-like ({args.active} active, {inactive} inactive)",
                    *beta_vae_posteriors(args.samples, args.factors, args.active, rng), args)


if __name__ == "__main__":
    main()
