"""MINE: the Donsker-Varadhan lower bound on I(a; b) with a neural critic (Belghazi et al. 2018).

For any critic T(a, b) (thesis Eq. 2-4, the Donsker-Varadhan representation of the KL divergence),
    I(a; b) >= I_DV(T) = E_{P_ab}[T] - log E_{P_a x P_b}[e^T],
with equality for T = log p(a, b) / (p(a) p(b)) + const. On a minibatch (thesis Eqs. 3-5..3-7) the
joint pairs are (a_i, b_i) and the marginal pairs (a_i, b'_i), the b' from a shuffled copy of the batch
or from a second independent minibatch (the x-bar, y-bar of the thesis's Algorithm 1).

The critic ascends I_DV with the moving-average gradient correction (Belghazi et al. section 3.2): the
minibatch gradient of log mean e^T divides by the batch's own mean e^T, a biased estimate of E[e^T]'s
gradient ratio; a moving average over batches replaces that denominator. `MineEstimator` keeps it
(in log space, so large critic values do not overflow). The VAE descends the plain I_DV of the same
batch, with gradients flowing into the codes (`MineEstimator.bound`); the thesis's Algorithm 1
alternates the two steps.

After training (the thesis's Table 2, in bits there: nats / log 2), `mine_information` fits a fresh
critic on `train_fraction` of saved samples and evaluates I_DV on the held-out rest: a fixed critic on
unseen samples gives a valid lower bound, not one inflated by overfitting. Labels y enter as one-hot
vectors (`one_hot_labels`); `label_entropy` gives H(y), the ceiling of I(c; y).
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..models.critics import (DEFAULT_EMA_RATE, DEFAULT_HIDDEN, DEFAULT_LAYERS, MineCritic, MineEstimator,
                              fit_critic, log_mean_exp, one_hot_labels, split_samples)

DEFAULT_STEPS = 1000
DEFAULT_BATCH = 256
DEFAULT_LR = 1e-3
DEFAULT_REPEATS = 8  # held-out shuffles pooled into the marginal term: 8 x the held-out pairs
EVAL_CHUNK = 8192  # pairs scored at once in evaluation: bounds memory to chunk x hidden


def label_entropy(labels: np.ndarray) -> float:
    """H(y) in nats of the empirical distribution of `labels` (N,): the ceiling of I(c; y)."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or len(labels) == 0:
        raise ValueError(f"labels must be a non-empty (N,) array, got shape {labels.shape}")
    _, counts = np.unique(labels, return_counts=True)
    p = counts / len(labels)
    return float(-(p * np.log(p)).sum())


def mine_information(a: np.ndarray, b: np.ndarray, *, steps: int = DEFAULT_STEPS, batch_size: int = DEFAULT_BATCH,
                     hidden: int = DEFAULT_HIDDEN, layers: int = DEFAULT_LAYERS, lr: float = DEFAULT_LR,
                     ema_rate: float = DEFAULT_EMA_RATE, repeats: int = DEFAULT_REPEATS, train_fraction: float = 0.5,
                     seed: int = 0, device: str | torch.device | None = None, progress: bool = True) -> float:
    """MINE lower bound on I(a; b) in nats from paired samples a (N, d_a) and b (N, d_b) ((N,) is one column;
    labels as `one_hot_labels`). A fresh critic trains with Adam on `train_fraction` of the rows (the
    corrected loss, a minibatch of `batch_size` against an independent one for the marginal pairs); I_DV is
    then evaluated on the held-out rows: the joint term on every held-out pair, the marginal term pooled
    over `repeats` shuffles (each a_i against b_j of another row), one log-mean-exp over all of them
    (averaging per-batch values would bias the bound up: E log mean e^T <= log E e^T). Inputs are
    standardised with the training rows' statistics. CUDA when present unless `device` says otherwise."""
    a64, b64 = (_columns(name, array) for name, array in (("a", a), ("b", b)))
    if len(a64) != len(b64):
        raise ValueError(f"a and b must pair the same samples, got {len(a64)} and {len(b64)} rows")
    if steps < 0 or batch_size < 2 or repeats < 1:
        raise ValueError("steps must be >= 0, batch_size >= 2 and repeats >= 1")
    train, held_out = split_samples(len(a64), train_fraction, seed)
    from ..models.vae import default_device

    device = torch.device(device) if device is not None else default_device()
    generator = torch.Generator().manual_seed(int(np.random.SeedSequence(seed).generate_state(1)[0]))
    a_all, b_all = (torch.as_tensor(_standardise_columns(array, train), dtype=torch.float32, device=device)
                    for array in (a64, b64))
    critic = MineCritic(a_all.shape[1], b_all.shape[1], hidden, layers)
    critic.reset_parameters(generator)
    critic.to(device)
    estimator = MineEstimator(critic, ema_rate)
    train_rows = torch.as_tensor(train, device=device)
    size = min(batch_size, len(train))

    def batch_loss() -> torch.Tensor:
        rows, marginal_rows = (train_rows[torch.randperm(len(train), generator=generator)[:size].to(device)]
                               for _ in range(2))
        return estimator.critic_loss(a_all[rows], b_all[rows], b_all[marginal_rows])

    fit_critic(critic, batch_loss, steps=steps, lr=lr, progress=progress)
    held_rows = torch.as_tensor(held_out, device=device)
    with torch.no_grad():
        joint = torch.cat([critic(a_all[rows], b_all[rows]) for rows in held_rows.split(EVAL_CHUNK)])
        marginal = []
        for _ in range(repeats):
            order = held_rows[torch.randperm(len(held_out), generator=generator).to(device)]
            partner = order.roll(1)  # a derangement: no row meets its own b
            marginal += [critic(a_all[rows], b_all[others])
                         for rows, others in zip(order.split(EVAL_CHUNK), partner.split(EVAL_CHUNK))]
        bound = float(joint.double().mean() - log_mean_exp(torch.cat(marginal).double()))
    if not math.isfinite(bound):
        raise FloatingPointError("MINE: the critic's scores overflowed (try a smaller learning rate)")
    return bound


def _columns(name: str, array: np.ndarray) -> np.ndarray:
    """`array` as finite float64 (N, d); a 1-D array is one column."""
    array = np.asarray(array, dtype=np.float64)
    array = array[:, None] if array.ndim == 1 else array
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise ValueError(f"{name} must be a non-empty (N,) or (N, d) array, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} holds {int((~np.isfinite(array)).sum())} NaN or infinite values")
    return array


def _standardise_columns(array: np.ndarray, train: np.ndarray) -> np.ndarray:
    """Each column centred and scaled with the training rows' mean and standard deviation (a constant
    column, such as an absent class's one-hot column, is only centred)."""
    scale = array[train].std(axis=0)
    return (array - array[train].mean(axis=0)) / np.where(scale > 1e-6, scale, 1.0)
