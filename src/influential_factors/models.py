"""The paper's convolutional beta-VAE (appendix): conv 4x4 stride 2 stacks, FC 256, ReLU.

MNIST uses channels [32, 32] on 28x28x1; CelebA and DEAP use [32, 32, 64, 64] on 64x64x3 and
32x32x3. The decoder mirrors the encoder with transposed convolutions and a sigmoid mean.
"""

from __future__ import annotations

import torch
from torch import nn

from .gaussian import kl_normal


class BetaVAE(nn.Module):
    """q(z|x) = N(mu(x), diag exp(logvar(x))), p(x|z) = N(decoder(z), sigma_x^2 I)."""

    def __init__(self, image_shape: tuple[int, int, int], channels: list[int], hidden: int = 256,
                 latents: int = 128):
        super().__init__()
        in_channels, height, width = image_shape
        scale = 2 ** len(channels)
        if height % scale or width % scale:
            raise ValueError(f"image {height}x{width} is not divisible by 2^{len(channels)} (one halving per conv layer)")
        self.image_shape = tuple(image_shape)
        self.latents = latents
        self.feature_shape = (channels[-1], height // scale, width // scale)
        features = channels[-1] * (height // scale) * (width // scale)

        encoder, previous = [], in_channels
        for out in channels:
            encoder += [nn.Conv2d(previous, out, 4, stride=2, padding=1), nn.ReLU()]
            previous = out
        self.encoder = nn.Sequential(*encoder, nn.Flatten(), nn.Linear(features, hidden), nn.ReLU(),
                                     nn.Linear(hidden, 2 * latents))

        decoder = [nn.Linear(latents, hidden), nn.ReLU(), nn.Linear(hidden, features), nn.ReLU(),
                   nn.Unflatten(1, self.feature_shape)]
        reversed_channels = list(reversed(channels))
        for index, out in enumerate(reversed_channels[1:] + [in_channels]):
            decoder.append(nn.ConvTranspose2d(reversed_channels[index], out, 4, stride=2, padding=1))
            decoder.append(nn.ReLU() if index < len(channels) - 1 else nn.Sigmoid())
        self.decoder = nn.Sequential(*decoder)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and log-variance, each (N, latents)."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Likelihood mean in [0, 1], shape (N, C, H, W)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decode(z), mu, logvar


def beta_vae_loss(x: torch.Tensor, x_mean: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor,
                  beta: float, sigma2_x: float) -> dict[str, torch.Tensor]:
    """Negative beta-ELBO per image, averaged over the batch: SSE / (2 sigma_x^2) + beta * KL.

    The Gaussian likelihood's constant (D/2 log 2 pi sigma_x^2) is dropped; `sse` is the plain
    per-image sum of squared errors and `kl_per_factor` the mean KL(q(z_h|x) || N(0, 1)).
    """
    sse = (x_mean - x).pow(2).flatten(1).sum(1).mean()
    kl_per_factor = kl_normal(mu, logvar).mean(0)
    kl = kl_per_factor.sum()
    return {"loss": sse / (2 * sigma2_x) + beta * kl, "sse": sse, "kl": kl, "kl_per_factor": kl_per_factor}
