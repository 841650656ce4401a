"""Neural lower bounds on I(x; z_h) and I(x; z): InfoNCE with a concat critic (optional: slow).

z_h depends on x only through its posterior's parameters s_h = (mu_h(x), logvar_h(x)), so
I(x; z_h) = I(s_h; z_h) exactly (s_h is a sufficient statistic), and a critic f(s, z) on the saved
posteriors suffices; for the whole code s = (mu, logvar) and z have H dimensions each.

InfoNCE (van den Oord et al. 2018; Poole et al. 2019, "On variational bounds of mutual information",
eq. 12): for B samples s_1..s_B with fresh draws z_i ~ q(z|s_i) = N(mu_i, exp(logvar_i)),
    I(s; z) >= I_NCE(f) = E[ 1/B sum_i log( e^{f(s_i, z_i)} / (1/B sum_j e^{f(s_j, z_i)}) ) ]
for every critic f. The bound is tight only as B grows with f = log q(z|s) + c(z), and since
the log-ratio is at most log B,
    I_NCE <= log B  (the cap),
so a factor carrying more than about log B - 1 nats is underestimated. The default evaluation batch
B = 512 caps at log 512 = 6.24 nats, above what a single factor usually carries (the paper's influence
threshold is 0.7 nats); the whole code can exceed it, so compare a joint bound with `infonce_cap`.

The critic is a concat critic f(s, z) = MLP([s, z]), scored on all B x B pairs of a batch (its first
layer W [s; z] = W_s s + W_z z is computed per sample and broadcast over the pairs). Inputs are
standardised with the training part's statistics, mu and z with the same affine map (z - mu is kept).
The critic is trained with Adam on `train_fraction` of the samples (a seeded shuffle) in batches of
`train_batch_size` with fresh z every step; the InfoNCE-optimal critic log q(z|s) + c(z) does not
depend on B, so a smaller training batch saves time (the cost is B^2 per step) as long as its own cap
log B stays above the information: 64 (4.16 nats) per factor, 128 for the whole code. The bound is
then evaluated on the held-out samples, in batches of `batch_size`, averaged over all full batches and
`repeats` fresh shuffles and z draws: a fixed critic on unseen samples gives a valid lower bound, not
one inflated by overfitting. The held-out samples are drawn uniformly from the M saved posteriors, so
the value bounds I(x; z_h) of the data distribution up to that sampling noise.

Everything random comes from seeded CPU generators (per factor: the seed and the factor's index),
so results are reproducible on CPU and a factor's value does not depend on which others are asked for.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ..models.critics import DEFAULT_HIDDEN, DEFAULT_LAYERS, ConcatCritic, fit_critic, split_samples
from .mi import check_posteriors

DEFAULT_BATCH = 512  # evaluation batch: the cap log 512 = 6.24 nats
DEFAULT_TRAIN_BATCH = 64  # per factor: a third of 128's time, bounds within ~0.03 nats of it on MNIST and shapes
JOINT_TRAIN_BATCH = 128  # the whole code carries more: its training signal needs the higher cap log 128
DEFAULT_STEPS = 300
DEFAULT_LR = 3e-3
DEFAULT_REPEATS = 2
EVAL_CHUNK = 128  # rows of the B x B score matrix evaluated at once: bounds memory to chunk x B x hidden


def infonce_from_scores(scores: torch.Tensor) -> torch.Tensor:
    """I_NCE of one batch from its (B, B) scores[i, j] = f(s_j, z_i), positive pairs on the diagonal:
    mean_i [scores[i, i] - log(1/B sum_j e^{scores[i, j]})]."""
    return (scores.diagonal() - torch.logsumexp(scores, dim=1)).mean() + math.log(scores.shape[1])


def infonce_cap(samples: int, batch_size: int = DEFAULT_BATCH, train_fraction: float = 0.5) -> float:
    """log B of the evaluation batches for M = `samples` posteriors: no InfoNCE value can exceed it."""
    held_out = samples - int(round(train_fraction * samples))
    return math.log(min(batch_size, held_out))


def infonce_information(mu: np.ndarray, logvar: np.ndarray, factors: list[int] | None = None, *,
                        steps: int = DEFAULT_STEPS, batch_size: int = DEFAULT_BATCH,
                        train_batch_size: int = DEFAULT_TRAIN_BATCH, hidden: int = DEFAULT_HIDDEN,
                        layers: int = DEFAULT_LAYERS, lr: float = DEFAULT_LR, repeats: int = DEFAULT_REPEATS,
                        train_fraction: float = 0.5, seed: int = 0, device: str | torch.device | None = None,
                        progress: bool = True) -> np.ndarray:
    """InfoNCE lower bound on I(x; z_h) in nats for each factor in `factors` (all when None); NaN for
    the others. Each factor gets its own critic on s = (mu_h, logvar_h); every value is at most
    `infonce_cap(len(mu), batch_size, train_fraction)`. CUDA when present unless `device` says otherwise."""
    mu64, logvar64 = check_posteriors(mu, logvar)
    chosen = range(mu64.shape[1]) if factors is None else list(factors)
    for factor in chosen:
        if not 0 <= factor < mu64.shape[1]:
            raise IndexError(f"factor {factor} out of range for {mu64.shape[1]} factors")
    train, held_out = split_samples(len(mu64), train_fraction, seed)
    from ..models.vae import default_device

    device = torch.device(device) if device is not None else default_device()
    bounds = np.full(mu64.shape[1], np.nan)
    cap = infonce_cap(len(mu64), batch_size, train_fraction)
    bar = tqdm(chosen, desc=f"InfoNCE per factor (cap {cap:.2f} nats)", unit="factor", disable=not progress)
    for factor in bar:
        bounds[factor] = _fit_and_bound(mu64[:, [factor]], logvar64[:, [factor]], train, held_out,
                                        steps=steps, batch_size=batch_size, train_batch_size=train_batch_size,
                                        hidden=hidden, layers=layers, lr=lr, repeats=repeats,
                                        seed=(seed, factor), device=device)
        bar.set_postfix(factor=factor, nats=f"{bounds[factor]:.3f}")
    return bounds


def infonce_joint_information(mu: np.ndarray, logvar: np.ndarray, *, steps: int = DEFAULT_STEPS,
                              batch_size: int = DEFAULT_BATCH, train_batch_size: int = JOINT_TRAIN_BATCH,
                              hidden: int = DEFAULT_HIDDEN, layers: int = DEFAULT_LAYERS, lr: float = DEFAULT_LR,
                              repeats: int = DEFAULT_REPEATS, train_fraction: float = 0.5, seed: int = 0,
                              device: str | torch.device | None = None) -> float:
    """InfoNCE lower bound on I(x; z) in nats for the whole code: one critic on s = (mu, logvar) and z,
    all H dimensions. At most `infonce_cap(len(mu), batch_size, train_fraction)`, which a whole code
    often reaches: a value near the cap says only that I(x; z) is at least that large."""
    mu64, logvar64 = check_posteriors(mu, logvar)
    train, held_out = split_samples(len(mu64), train_fraction, seed)
    from ..models.vae import default_device

    device = torch.device(device) if device is not None else default_device()
    return _fit_and_bound(mu64, logvar64, train, held_out, steps=steps, batch_size=batch_size,
                          train_batch_size=train_batch_size, hidden=hidden, layers=layers, lr=lr,
                          repeats=repeats, seed=(seed,), device=device)


def _standardise(mu: np.ndarray, logvar: np.ndarray, train: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(context [mu, logvar], mean, sigma) standardised with the training part's statistics; mu and z share
    one affine map (centre mean mu, scale the spread of z), so the critic sees z - mu at one scale."""
    centre = mu[train].mean(axis=0)
    scale = np.sqrt(mu[train].var(axis=0) + np.exp(logvar[train]).mean(axis=0))
    logvar_centre, logvar_scale = logvar[train].mean(axis=0), logvar[train].std(axis=0)
    logvar_scale = np.where(logvar_scale > 1e-6, logvar_scale, 1.0)  # a constant log-variance stays 0
    mean = (mu - centre) / scale
    context = np.concatenate([mean, (logvar - logvar_centre) / logvar_scale], axis=1)
    return context, mean, np.exp(0.5 * logvar) / scale


def _fit_and_bound(mu: np.ndarray, logvar: np.ndarray, train: np.ndarray, held_out: np.ndarray, *, steps: int,
                   batch_size: int, train_batch_size: int, hidden: int, layers: int, lr: float, repeats: int,
                   seed: tuple[int, ...], device: torch.device) -> float:
    """Train a concat critic on the `train` rows of (mu, logvar) (M, d) and return its InfoNCE value on
    the `held_out` rows, averaged over every full batch of `repeats` shuffles and fresh z draws."""
    if steps < 0 or batch_size < 2 or train_batch_size < 2 or repeats < 1:
        raise ValueError("steps must be >= 0, both batch sizes >= 2 and repeats >= 1")
    generator = torch.Generator().manual_seed(int(np.random.SeedSequence(list(seed)).generate_state(1)[0]))
    context, mean, sigma = (torch.as_tensor(array, dtype=torch.float32, device=device)
                            for array in _standardise(mu, logvar, train))
    dims = mean.shape[1]
    critic = ConcatCritic(context.shape[1], dims, hidden, layers)
    critic.reset_parameters(generator)
    critic.to(device)
    train_rows = torch.as_tensor(train, device=device)
    size = min(train_batch_size, len(train))

    def batch_loss() -> torch.Tensor:
        rows = train_rows[torch.randperm(len(train), generator=generator)[:size].to(device)]
        noise = torch.randn(size, dims, generator=generator).to(device)
        code = mean[rows] + sigma[rows] * noise
        return -infonce_from_scores(critic(context[rows], code))

    fit_critic(critic, batch_loss, steps=steps, lr=lr)
    held_rows = torch.as_tensor(held_out, device=device)
    size = min(batch_size, len(held_out))
    total, batches = 0.0, 0
    with torch.no_grad():
        for _ in range(repeats):
            order = held_rows[torch.randperm(len(held_out), generator=generator).to(device)]
            for start in range(0, len(order) - size + 1, size):
                rows = order[start:start + size]
                noise = torch.randn(size, dims, generator=generator).to(device)
                code = mean[rows] + sigma[rows] * noise
                batch_context = context[rows]
                value = torch.zeros((), dtype=torch.float64, device=device)
                for first in range(0, size, EVAL_CHUNK):
                    scores = critic(batch_context, code[first:first + EVAL_CHUNK])  # rows z_i, columns s_j
                    positives = scores.diagonal(offset=first)
                    value += (positives - torch.logsumexp(scores, dim=1)).sum(dtype=torch.float64)
                total += float(value) / size + math.log(size)
                batches += 1
    bound = total / batches
    if not math.isfinite(bound):
        raise FloatingPointError("InfoNCE: the critic's scores overflowed (try a smaller learning rate)")
    return bound
