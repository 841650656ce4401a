"""Time the estimators on N x H posteriors (default 10,000 x 128, the paper's CelebA test size).

(a) all closed-form estimators together (Algorithm 1, free mean, KL to the prior, KL(q*||p), the
variance indicator, active units), against a baseline that computes the same per factor with
torch.distributions (one KL call per factor, as a first implementation would); (b) the mixture
estimator, against the straightforward torch.logsumexp over an (batch, N, H) tensor (the baseline,
on --baseline-samples samples; the estimator is timed on the same subset for the ratio, and on all N).
Prints seconds, the ratios and the largest difference between each pair. GPU with --device cuda.
"""

import argparse
import math
import time

import numpy as np
import torch
from torch.distributions import Normal, kl_divergence

from influential_factors.estimators import (active_units, free_mean_information, kl_to_prior, mixture_information,
                                            optimal_prior_kl)
from influential_factors.mi import information_per_factor, variance_indicator


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


def mixture_baseline(mu, logvar, seed=0, batch_size=16):
    """The same Monte Carlo estimate, written the obvious way: logsumexp over a (batch, N, H) tensor."""
    generator = torch.Generator().manual_seed(seed)
    mu, logvar = torch.as_tensor(mu, dtype=torch.float32), torch.as_tensor(logvar, dtype=torch.float32)
    total = torch.zeros(mu.shape[1], dtype=torch.float64)
    for start in range(0, len(mu), batch_size):
        mu_b, logvar_b = mu[start:start + batch_size], logvar[start:start + batch_size]
        noise = torch.randn(mu_b.shape, generator=generator)  # the estimator's draws, in the same order
        z = mu_b + torch.exp(0.5 * logvar_b) * noise
        own = Normal(mu_b, torch.exp(0.5 * logvar_b)).log_prob(z)
        every = Normal(mu[None], torch.exp(0.5 * logvar[None])).log_prob(z[:, None])
        total += (own - torch.logsumexp(every, dim=1) + math.log(len(mu))).sum(0, dtype=torch.float64)
    return (total / len(mu)).numpy()


def timed(function, *args, repeats=1, **kwargs):
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--factors", type=int, default=128)
    parser.add_argument("--baseline-samples", type=int, default=2_000, help="subset for the mixture baseline")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    mu = (rng.normal(size=(args.samples, args.factors)) * rng.uniform(0, 2, args.factors)).astype(np.float32)
    logvar = rng.normal(-2.0, 1.0, size=mu.shape).astype(np.float32)
    print(f"{args.samples} x {args.factors} posteriors, torch threads {torch.get_num_threads()}, device {args.device}")

    fast, values = timed(closed_forms, mu, logvar, repeats=5)
    slow, (alg1, prior) = timed(closed_forms_baseline, mu, logvar)
    difference = max(np.abs(values[0] - alg1).max(), np.abs(values[2] - prior).max())
    print(f"closed forms, all six:      {fast:.3f} s (best of 5)")
    print(f"baseline, Alg. 1 + KL only: {slow:.3f} s  ratio {slow / fast:.1f}x  max |difference| {difference:.1e}")

    subset = slice(0, args.baseline_samples)
    fast, (mixture, _) = timed(mixture_information, mu[subset], logvar[subset], device=args.device)
    slow, reference = timed(mixture_baseline, mu[subset], logvar[subset])
    print(f"mixture on {args.baseline_samples}:          {fast:.2f} s")
    print(f"baseline on {args.baseline_samples}:         {slow:.2f} s  ratio {slow / fast:.1f}x  "
          f"max |difference| {np.abs(mixture - reference).max():.1e}")
    full, _ = timed(mixture_information, mu, logvar, device=args.device)
    print(f"mixture on all {args.samples}:      {full:.2f} s (per factor and joint)")


if __name__ == "__main__":
    main()
