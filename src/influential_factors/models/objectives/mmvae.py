"""MMVAE (the thesis 004, section 3.3: Eqs. 3-8, 3-10..3-13 and its Algorithm 1) and its baselines.

The code splits into the rest z (the first latents - `attribute_dims` factors) and the attribute factors c
(the last `attribute_dims`). The loss adds to -log p(x|z, c)
    beta * [KL(q(z|x) || N(0, I)) + KL(q(c|x) || p(c|y))] - w_cy I(c; y) + w_zy I(z; y) + w_zc I(z; c),
(Eq. 3-8; beta = 1 is the thesis's ELBO), each I a MINE Donsker-Varadhan bound on the batch (mine.py) whose
critic ascends it before each step of the VAE (`critic_step`, Algorithm 1's alternation). The conditional
prior p(c|y = j) = N(m_j, s^2 I) (Eq. 3-11) puts the class means m_j on a circle of radius `prior_radius` in
c's first two dimensions (on a line when c has one), so that c separates the classes.

Two choices differ from the thesis, both stated in docs/objectives.md ("Supervised factors"): c is encoded
from x alone, q(c|x) (the thesis's q(c|x, y) reads the label at test time, which makes I(c; y) = H(y) by
construction and every later step would need labels to encode); and the marginal pairs of a bound shuffle the
batch's second variable instead of drawing a second minibatch (the same product of marginals). The baselines
of its section 5 are the same model with fewer regularisers: `r_cvae` none, `csvae` only I(z; y).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..gaussian import kl_normal
from ..critics import MineCritic, MineEstimator, one_hot_labels
from .base import Objective
from .settings import Attributes, Declaration, Integer, Number, Section

DECLARATIONS = (
    Declaration("mmvae", {"attributes": Attributes(), "attribute_dims": Integer(maximum=4095, below_latents=True),
                          "prior_radius": Number(maximum=1000), "prior_sigma": Number(positive=True, maximum=1000),
                          "weights": Section({"c_y": Number(), "z_y": Number(), "z_c": Number()}),
                          "mine": Section({"hidden": Integer(), "lr": Number(positive=True, maximum=10),
                                           "ema_rate": Number(positive=True, maximum=1)})}, supervised=True),
    Declaration("r_cvae", supervised=True, settings_of="mmvae"),  # the baselines read MMVAE's settings
    Declaration("csvae", supervised=True, settings_of="mmvae"),
)

PAIRS = ("c_y", "z_y", "z_c")  # the regularised pairs, named as their weights in params.yaml


def class_means(classes: int, dims: int, radius: float) -> torch.Tensor:
    """The prior means m_j (classes, dims): evenly on a circle of `radius` in the first two dimensions (the
    others 0), or evenly on [-radius, radius] when c has one dimension."""
    means = torch.zeros(classes, dims, dtype=torch.float64)
    if dims == 1:
        means[:, 0] = torch.linspace(-radius, radius, classes, dtype=torch.float64) if classes > 1 else 0.0
    else:
        angles = 2 * math.pi * torch.arange(classes, dtype=torch.float64) / classes
        means[:, 0], means[:, 1] = radius * torch.cos(angles), radius * torch.sin(angles)
    return means.float()


class MMVAE(Objective):
    """Settings (params.yaml `objectives.mmvae`, shared by the baselines): `attributes` (the attribute of
    each dataset, attributes.py), `attribute_dims`, `prior_radius`, `prior_sigma`, `weights` (c_y, z_y,
    z_c: the thesis's alpha, beta, gamma) and `mine` (the critics' hidden width, learning rate and
    moving-average rate). `classes` is the attribute's number of values."""

    declaration = DECLARATIONS[0]
    regularised = PAIRS  # the pairs whose weight applies; the baselines keep fewer

    def __init__(self, settings: dict, *, beta: float, latents: int, dataset_size: int, classes: int):
        super().__init__(settings, beta=beta, latents=latents, dataset_size=dataset_size)
        if classes < 2:
            raise ValueError(f"{self.name} needs an attribute with at least 2 values, got {classes}")
        self.classes = classes
        self.attribute_dims = settings["attribute_dims"]
        self.rest_dims = latents - self.attribute_dims
        self.weights = {pair: float(settings["weights"][pair]) for pair in self.regularised
                        if settings["weights"][pair] > 0}
        self.register_buffer("prior_means", class_means(classes, self.attribute_dims, settings["prior_radius"]))
        self.prior_logvar = 2 * math.log(settings["prior_sigma"])
        mine = settings["mine"]
        inputs = {"c_y": (self.attribute_dims, classes), "z_y": (self.rest_dims, classes),
                  "z_c": (self.rest_dims, self.attribute_dims)}
        self.critics = nn.ModuleDict({pair: MineCritic(*inputs[pair], hidden=mine["hidden"]) for pair in self.weights})
        self.estimators = {pair: MineEstimator(critic, mine["ema_rate"]) for pair, critic in self.critics.items()}
        self.critic_optimizer = (torch.optim.Adam(self.critics.parameters(), lr=mine["lr"]) if self.weights else None)

    def trained_parameters(self) -> list[nn.Parameter]:
        """None with the VAE: the critics ascend their bounds in `critic_step`, with their own Adam."""
        return []

    def split(self, codes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(z, c) of codes (N, latents): the rest and the attribute factors."""
        return codes[:, :self.rest_dims], codes[:, self.rest_dims:]

    def _pairs(self, code: torch.Tensor, labels: torch.Tensor) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        """Each regularised pair's (a, b) for a batch of codes and labels (y one-hot)."""
        z, c = self.split(code)
        y = one_hot_labels(labels, self.classes)
        return {pair: {"c_y": (c, y), "z_y": (z, y), "z_c": (z, c)}[pair] for pair in self.weights}

    def critic_step(self, code: torch.Tensor, labels: torch.Tensor) -> None:
        """One Adam step of every critic up its bound on a batch (Algorithm 1's ascent), the codes detached,
        each bound's marginal pairs from a shuffle of its second variable."""
        if not self.weights:
            return
        self.critic_optimizer.zero_grad(set_to_none=True)
        pairs = self._pairs(code.detach(), labels)
        order = torch.randperm(len(code), device=code.device)
        loss = sum(self.estimators[pair].critic_loss(a, b, b[order]) for pair, (a, b) in pairs.items())
        loss.backward()
        self.critic_optimizer.step()

    def penalty(self, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor,
                labels: torch.Tensor) -> dict[str, torch.Tensor]:
        """Eq. 3-8's terms beyond -log p(x|z, c): `kl` = KL to N(0, I) of z plus KL to p(c|y) of c (batch
        means; also `kl_z`, `kl_c`), and each regularised pair's MINE bound `mi_<pair>` (nats)."""
        mu_z, mu_c = self.split(mu)
        logvar_z, logvar_c = self.split(logvar)
        kl_z = kl_normal(mu_z, logvar_z).sum(1).mean()
        kl_c = kl_normal(mu_c, logvar_c, self.prior_means[labels], self.prior_logvar).sum(1).mean()
        order = torch.randperm(len(z), device=z.device)
        bounds = {pair: self.estimators[pair].bound(a, b, b[order]) for pair, (a, b) in self._pairs(z, labels).items()}
        signs = {"c_y": -1.0, "z_y": 1.0, "z_c": 1.0}  # I(c; y) raised, the other two lowered
        penalty = self.beta * (kl_z + kl_c) + sum(signs[pair] * self.weights[pair] * bounds[pair] for pair in bounds)
        return {"penalty": penalty, "kl": kl_z + kl_c, "kl_z": kl_z, "kl_c": kl_c,
                **{f"mi_{pair}": value for pair, value in bounds.items()}}

    def sample_prior(self, count: int, generator: torch.Generator) -> torch.Tensor:
        """z ~ N(0, I) and c ~ p(c|y) with y uniform over the classes, (count, latents), on the CPU."""
        rest = torch.randn(count, self.rest_dims, generator=generator)
        classes = torch.randint(self.classes, (count,), generator=generator)
        noise = torch.randn(count, self.attribute_dims, generator=generator)
        attribute = self.prior_means.cpu()[classes] + math.exp(0.5 * self.prior_logvar) * noise
        return torch.cat([rest, attribute], dim=1)

    def description(self) -> dict:
        return {**super().description(), "classes": self.classes}

    def get_extra_state(self) -> dict:
        """What a resumed run needs beyond the critics' weights: their Adam and moving averages."""
        return {"optimizer": self.critic_optimizer.state_dict() if self.critic_optimizer else {},
                "log_ema": {pair: estimator.log_ema for pair, estimator in self.estimators.items()}}

    def set_extra_state(self, state: dict) -> None:
        if self.critic_optimizer:
            self.critic_optimizer.load_state_dict(state["optimizer"])
        for pair, value in state["log_ema"].items():
            self.estimators[pair].log_ema = value


class RCVAE(MMVAE):
    """The thesis's r-CVAE: MMVAE's code and priors without a regulariser."""

    declaration = DECLARATIONS[1]
    regularised = ()


class CSVAE(MMVAE):
    """The thesis's CSVAE-like baseline: only I(z; y) lowered (weight z_y)."""

    declaration = DECLARATIONS[2]
    regularised = ("z_y",)
