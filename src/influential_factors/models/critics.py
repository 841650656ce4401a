"""The neural critics of the mutual-information bounds, and how they train.

`ConcatCritic` f(s, z) = MLP([s, z]) scores every pair of a batch (InfoNCE, information/neural_mi.py);
`MineCritic` scores given pairs, and `MineEstimator` keeps the Donsker-Varadhan bound's moving average
(Belghazi et al. 2018 section 3.2; the MMVAE thesis's Eqs. 3-5..3-7): MMVAE's objective trains one while the
VAE trains (models/objectives/mmvae.py), information/mine.py fits fresh ones on saved codes. Here, below
both, so that the objectives need none of the estimators' code.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

DEFAULT_HIDDEN = 64
DEFAULT_LAYERS = 2
DEFAULT_EMA_RATE = 0.01  # Belghazi et al.'s moving average: about the last 100 batches


class ConcatCritic(nn.Module):
    """f(s, z) = MLP([s, z]) with `layers` hidden layers of width `hidden` (ReLU)."""

    def __init__(self, context_dim: int, code_dim: int, hidden: int = DEFAULT_HIDDEN, layers: int = DEFAULT_LAYERS):
        super().__init__()
        if layers < 1 or hidden < 1:
            raise ValueError(f"the critic needs at least one hidden layer of width >= 1, got {layers} x {hidden}")
        self.context = nn.Linear(context_dim, hidden)  # the first layer, split into its s and z columns
        self.code = nn.Linear(code_dim, hidden, bias=False)
        body: list[nn.Module] = []
        for _ in range(layers - 1):
            body += [nn.ReLU(), nn.Linear(hidden, hidden)]
        self.body = nn.Sequential(*body, nn.ReLU(), nn.Linear(hidden, 1))

    def forward(self, context: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """scores[i, j] = f(s_j, z_i) for every code z_i (rows) and context s_j (columns)."""
        first = self.code(code)[:, None, :] + self.context(context)[None, :, :]
        return self.body(first).squeeze(-1)

    def reset_parameters(self, generator: torch.Generator) -> None:
        """PyTorch's default Linear initialisation, U(-1/sqrt(fan_in), 1/sqrt(fan_in)), from `generator`
        (the first layer's fan-in is that of the whole concatenated input)."""
        first_fan_in = self.context.in_features + self.code.in_features
        with torch.no_grad():
            for module in self.modules():
                if isinstance(module, nn.Linear):
                    fan_in = first_fan_in if module in (self.context, self.code) else module.in_features
                    for parameter in module.parameters():
                        parameter.uniform_(-fan_in**-0.5, fan_in**-0.5, generator=generator)


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


def split_samples(samples: int, train_fraction: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(training, held-out) sample indices: a seeded shuffle, the first `train_fraction` for training."""
    if not 0.0 < train_fraction < 1.0:
        raise ValueError(f"train_fraction must lie in (0, 1), got {train_fraction}")
    order = np.random.default_rng(seed).permutation(samples)
    cut = int(round(train_fraction * samples))
    if cut < 2 or samples - cut < 2:
        raise ValueError(f"{samples} samples split {train_fraction:g} leave fewer than 2 for training or evaluation")
    return order[:cut], order[cut:]


def fit_critic(critic: nn.Module, batch_loss, *, steps: int, lr: float, progress: bool = False) -> None:
    """`steps` Adam steps with a cosine learning-rate schedule, each on `batch_loss()` (a fresh batch per call);
    the critic is left in evaluation mode."""
    optimiser = torch.optim.Adam(critic.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, max(steps, 1))
    critic.train()
    for _ in tqdm(range(steps), desc="critic", unit="step", disable=not progress):
        loss = batch_loss()
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
    critic.eval()
