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

from .neural_mi import DEFAULT_HIDDEN, DEFAULT_LAYERS, ConcatCritic, fit_critic, split_samples

DEFAULT_STEPS = 1000
DEFAULT_BATCH = 256
DEFAULT_LR = 1e-3
DEFAULT_EMA_RATE = 0.01  # Belghazi et al.'s moving average: about the last 100 batches
DEFAULT_REPEATS = 8  # held-out shuffles pooled into the marginal term: 8 x the held-out pairs
EVAL_CHUNK = 8192  # pairs scored at once in evaluation: bounds memory to chunk x hidden


class MineCritic(ConcatCritic):
    """T(a, b) = MLP([a, b]) with `layers` hidden layers of width `hidden` (ReLU), scored on given pairs
    (ConcatCritic's layers and seeded `reset_parameters`, without its all-pairs broadcast)."""

    def __init__(self, a_dim: int, b_dim: int, hidden: int = DEFAULT_HIDDEN, layers: int = DEFAULT_LAYERS):
        super().__init__(a_dim, b_dim, hidden, layers)

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        """scores[i] = T(a_i, b_i) for (N, a_dim) and (N, b_dim) inputs."""
        return self.body(self.context(a) + self.code(b)).squeeze(-1)


def log_mean_exp(scores: torch.Tensor) -> torch.Tensor:
    """log (1/N sum_i e^{scores_i}), without overflow."""
    return torch.logsumexp(scores, dim=0) - math.log(len(scores))


class MineEstimator:
    """A critic and the moving average `ema` of mean e^T on marginal pairs (rate `ema_rate`).

    `bound(a, b, b_marginal)`: the plain I_DV of the batch, differentiable w.r.t. a, b and b_marginal
    (the VAE's descent; its backward also fills the critic's .grad, to be zeroed before the critic's step).
    `critic_loss(a, b, b_marginal)`: first updates ema <- (1 - rate) ema + rate mean e^{T_marg}
    (the first batch sets it), then returns
        -(mean T_joint - mean e^{T_marg} / ema.detach()),
    whose gradient w.r.t. the critic's parameters is
        -(E[grad T_joint] - E[e^{T_marg} grad T_marg] / ema),
    the bias-corrected estimate of -grad I_DV = -(E_P[grad T] - E_Q[e^T grad T] / E_Q[e^T]) (Belghazi et al.
    section 3.2; rate 1 gives the plain minibatch gradient). The caller detaches the codes for it.
    """

    def __init__(self, critic: nn.Module, ema_rate: float = DEFAULT_EMA_RATE):
        if not 0.0 < ema_rate <= 1.0:
            raise ValueError(f"ema_rate must lie in (0, 1], got {ema_rate}")
        self.critic = critic
        self.ema_rate = ema_rate
        self.log_ema: torch.Tensor | None = None  # log ema; None before the first critic step

    @property
    def ema(self) -> torch.Tensor | None:
        """The moving average of mean e^T on marginal pairs (None before the first critic step)."""
        return None if self.log_ema is None else self.log_ema.exp()

    def bound(self, a: torch.Tensor, b: torch.Tensor, b_marginal: torch.Tensor) -> torch.Tensor:
        """I_DV = mean_i T(a_i, b_i) - log mean_i e^{T(a_i, b_marginal_i)}, in nats."""
        return self.critic(a, b).mean() - log_mean_exp(self.critic(a, b_marginal))

    def critic_loss(self, a: torch.Tensor, b: torch.Tensor, b_marginal: torch.Tensor) -> torch.Tensor:
        """The corrected loss above (its value is not a bound); updates the moving average."""
        joint = self.critic(a, b)
        batch = log_mean_exp(self.critic(a, b_marginal))
        observed = batch.detach()
        if self.log_ema is None:
            self.log_ema = observed
        else:
            decay = math.log1p(-self.ema_rate) if self.ema_rate < 1 else -math.inf  # log(1 - rate)
            self.log_ema = torch.logaddexp(self.log_ema + decay, observed + math.log(self.ema_rate))
        return -(joint.mean() - torch.exp(batch - self.log_ema))


def one_hot_labels(labels: np.ndarray | torch.Tensor, classes: int) -> torch.Tensor:
    """Integer labels (N,) in [0, classes) as float32 one-hot vectors (N, classes), on the labels' device."""
    labels = torch.as_tensor(labels)
    if labels.dtype.is_floating_point or labels.dtype.is_complex or labels.dtype == torch.bool:
        raise ValueError(f"labels must be integers, got {labels.dtype}")
    if labels.ndim != 1 or classes < 1:
        raise ValueError(f"labels must be (N,) and classes >= 1, got {tuple(labels.shape)} and {classes}")
    if len(labels) and (int(labels.min()) < 0 or int(labels.max()) >= classes):
        raise ValueError(f"labels must lie in [0, {classes}), got [{int(labels.min())}, {int(labels.max())}]")
    return nn.functional.one_hot(labels.long(), classes).to(torch.float32)


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
    from .models import default_device  # at call time: models imports the objectives, MMVAE's imports this

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
