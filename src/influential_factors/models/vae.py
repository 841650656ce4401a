"""The paper's convolutional beta-VAE (appendix): conv 4x4 stride 2 stacks, FC 256, ReLU.

MNIST uses channels [32, 32] on 28x28x1; CelebA and DEAP use [32, 32, 64, 64] on 64x64x3 and
32x32x3. The decoder mirrors the encoder with transposed convolutions and a sigmoid mean.
`network="mlp"` is instead beta-TCVAE's MLP (Chen et al. 2018, as ISA-VAE's appendix A.4 prints it):
encoder flatten -> `hidden` ReLU -> `hidden` ReLU -> 2 x latents, decoder latents -> 3 x (`hidden` tanh) ->
the image (`mlp_networks`); it ignores `channels`.

Likelihood p(x|z): "gaussian", N(decoder(z), sigma_x^2 I) with sigma_x^2 fixed (MNIST, DEAP), or
"mixture", the paper's noise model for faces: each pixel's residual x - decoder(z) follows a
mixture of 2 zero-mean Gaussians whose weights and variances are learned with the network and
shared by all pixels (MixtureNoise); or "bernoulli", each pixel x in [0, 1] a Bernoulli with
p = sigmoid(decoder(z)) (BernoulliPixels, ISA-VAE's and beta-TCVAE's loss): the decoder then outputs logits,
and `decode` their sigmoid, so that whatever decodes receives image means in [0, 1] under every likelihood.

Beside the network: where it and its data run (`default_device`, images to tensors), saving and
loading a trained model. Encoding, the estimators and the classifier need only this module, not the
training loop (training.py, which reads DEAP's videos).
"""

from __future__ import annotations

import io
import math
import pickle
import sys
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from ..core.artifacts import atomic_path
from .objectives.registry import objective_of
from .objectives.base import Objective


LIKELIHOODS = ("gaussian", "mixture", "bernoulli")
NETWORKS = ("conv", "mlp")


class MixtureNoise(nn.Module):
    """Pixel noise as a mixture of zero-mean Gaussians, sum_k pi_k N(r; 0, s_k^2), with learned pi and s^2.

    Initialised with equal weights and variances sigma2_x * spread^k (a narrow and a wide component).
    """

    def __init__(self, sigma2_x: float, components: int = 2, spread: float = 10.0):
        super().__init__()
        self.logits = nn.Parameter(torch.zeros(components))
        self.log_variances = nn.Parameter(math.log(sigma2_x) + math.log(spread) * torch.arange(components).float())

    def negative_log_likelihood(self, x: torch.Tensor, x_mean: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) per image (N,), constants included: the variances are learned."""
        residual2 = (x - x_mean).pow(2).unsqueeze(-1)  # (..., 1) against the components on the last axis
        log_components = (torch.log_softmax(self.logits, 0) - 0.5 * (math.log(2 * math.pi) + self.log_variances)
                          - residual2 / (2 * self.log_variances.exp()))
        return -torch.logsumexp(log_components, dim=-1).flatten(1).sum(1)

    def mean(self, x_mean: torch.Tensor) -> torch.Tensor:
        """The image mean from the decoder's output: the output itself (the residuals are zero-mean)."""
        return x_mean


class BernoulliPixels(nn.Module):
    """p(x|z) = prod_pixels p^x (1 - p)^(1 - x), p = sigmoid(logits), for pixels x in [0, 1] (grey levels
    read as probabilities, as Chen et al. do). The decoder outputs the logits; nothing is learned here."""

    def negative_log_likelihood(self, x: torch.Tensor, logits: torch.Tensor) -> torch.Tensor:
        """-log p(x|z) = -sum_pixels [x log p + (1 - x) log(1 - p)] per image (N,), computed stably from the
        logits (never log of a sigmoid)."""
        return F.binary_cross_entropy_with_logits(logits, x, reduction="none").flatten(1).sum(1)

    def mean(self, logits: torch.Tensor) -> torch.Tensor:
        """The image mean p = sigmoid(logits), in [0, 1]."""
        return torch.sigmoid(logits)


def conv_stack(in_channels: int, channels: list[int]) -> list[nn.Module]:
    """The encoder's convolutions: per entry of `channels` a 4x4 stride-2 convolution (padding 1, halving the
    image's side) and a ReLU."""
    layers, previous = [], in_channels
    for out in channels:
        layers += [nn.Conv2d(previous, out, 4, stride=2, padding=1), nn.ReLU()]
        previous = out
    return layers


def conv_networks(image_shape: tuple[int, int, int], channels: list[int], hidden: int, latents: int,
                  output: list[nn.Module]) -> tuple[nn.Sequential, nn.Sequential]:
    """The paper's encoder (`conv_stack`, FC `hidden`, 2 x latents: mu, logvar) and its mirror image, the decoder
    (FC, transposed convolutions with ReLU, then `output`: the mean's sigmoid, or nothing: logits)."""
    in_channels, height, width = image_shape
    scale = 2 ** len(channels)
    if height % scale or width % scale:
        raise ValueError(f"image {height}x{width} is not divisible by 2^{len(channels)} (one halving per conv layer)")
    feature_shape = (channels[-1], height // scale, width // scale)
    features = channels[-1] * (height // scale) * (width // scale)

    encoder = nn.Sequential(*conv_stack(in_channels, channels), nn.Flatten(), nn.Linear(features, hidden),
                            nn.ReLU(), nn.Linear(hidden, 2 * latents))

    decoder = [nn.Linear(latents, hidden), nn.ReLU(), nn.Linear(hidden, features), nn.ReLU(),
               nn.Unflatten(1, feature_shape)]
    reversed_channels = list(reversed(channels))
    for index, out in enumerate(reversed_channels[1:] + [in_channels]):
        decoder.append(nn.ConvTranspose2d(reversed_channels[index], out, 4, stride=2, padding=1))
        decoder += [nn.ReLU()] if index < len(channels) - 1 else output
    return encoder, nn.Sequential(*decoder)


def mlp_networks(image_shape: tuple[int, int, int], hidden: int, latents: int,
                 output: list[nn.Module]) -> tuple[nn.Sequential, nn.Sequential]:
    """beta-TCVAE's MLP encoder and decoder (ISA-VAE's appendix A.4, there with hidden = 1200 on 64x64 images):
    flatten(C*H*W) -> hidden ReLU -> hidden ReLU -> 2 x latents (mu, logvar); latents -> hidden tanh ->
    hidden tanh -> hidden tanh -> C*H*W, then `output` (the mean's sigmoid, or nothing: logits)."""
    pixels = math.prod(image_shape)
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(pixels, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                            nn.Linear(hidden, 2 * latents))
    decoder = nn.Sequential(nn.Linear(latents, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                            nn.Linear(hidden, hidden), nn.Tanh(), nn.Linear(hidden, pixels),
                            nn.Unflatten(1, tuple(image_shape)), *output)
    return encoder, decoder


class BetaVAE(nn.Module):
    """q(z|x) = N(mu(x), diag exp(logvar(x))); p(x|z) centred on decoder(z), Gaussian or mixture noise, or
    Bernoulli pixels of p = sigmoid(decoder(z)). `network`: "conv" (the paper's) or "mlp" (Chen et al.'s,
    `channels` unused)."""

    def __init__(self, image_shape: tuple[int, int, int], channels: list[int], hidden: int = 256,
                 latents: int = 128, likelihood: str = "gaussian", sigma2_x: float = 0.0112, network: str = "conv"):
        super().__init__()
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood must be one of {LIKELIHOODS}, got {likelihood!r}")
        if network not in NETWORKS:
            raise ValueError(f"network must be one of {NETWORKS}, got {network!r}")
        self.noise = MixtureNoise(sigma2_x) if likelihood == "mixture" else (
            BernoulliPixels() if likelihood == "bernoulli" else None)
        self.image_shape = tuple(image_shape)
        self.latents = latents
        self.sigma2_x = sigma2_x
        output = [] if likelihood == "bernoulli" else [nn.Sigmoid()]  # the decoder's last layer: a mean, or logits
        if network == "mlp":
            self.encoder, self.decoder = mlp_networks(self.image_shape, hidden, latents, output)
        else:
            self.encoder, self.decoder = conv_networks(self.image_shape, channels, hidden, latents, output)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Posterior mean and log-variance, each (N, latents)."""
        mu, logvar = self.encoder(x).chunk(2, dim=1)
        return mu, logvar

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Likelihood mean in [0, 1], shape (N, C, H, W) (Bernoulli: p = sigmoid of the logits)."""
        return self.decode_params(self.decoder(z))

    def decode_params(self, x_params: torch.Tensor) -> torch.Tensor:
        """The likelihood mean of the decoder's output `x_params` (Bernoulli: its logits)."""
        return x_params if self.noise is None else self.noise.mean(x_params)

    def log_likelihood(self, x: torch.Tensor, x_params: torch.Tensor) -> torch.Tensor:
        """log p(x|z) per image (N,), constants included, from the decoder's output `x_params` for z (forward's
        first output): Gaussian -SSE / (2 sigma2_x) - D/2 log(2 pi sigma2_x), D = C*H*W; the mixture's and the
        Bernoulli's own log-likelihoods."""
        if self.noise is not None:
            return -self.noise.negative_log_likelihood(x, x_params)
        return (-squared_errors(x_params, x) / (2 * self.sigma2_x)
                - x[0].numel() / 2 * math.log(2 * math.pi * self.sigma2_x))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """The decoder's output (the likelihood mean; Bernoulli: the logits, what its loss reads stably), the
        posterior mean and log-variance, and the code z ~ q(z|x) it was decoded from."""
        mu, logvar = self.encode(x)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        return self.decoder(z), mu, logvar, z


def squared_errors(x_mean: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """The sum of squared errors per image (N,)."""
    return (x_mean - x).pow(2).flatten(1).sum(1)


def vae_loss(x: torch.Tensor, x_params: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor, z: torch.Tensor,
             objective: Objective, sigma2_x: float, noise: MixtureNoise | BernoulliPixels | None = None,
             labels: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """The objective's negative ELBO per image, averaged over the batch: -log p(x|z) + its penalty on the codes
    (beta-VAE: beta * KL(q(z|x) || N(0, I)), objectives/). `x_params` is the decoder's output (BetaVAE.forward).

    Gaussian (`noise` None): -log p(x|z) = SSE / (2 sigma_x^2), its constant D/2 log 2 pi sigma_x^2
    dropped. Mixture: the full negative log-likelihood of `noise`. Bernoulli: the binary cross-entropy summed
    over pixels, from the logits `x_params`. `sse` is the plain per-image sum of squared errors of the mean
    either way; `kl` and the objective's other terms come from its penalty, which for a
    supervised objective also reads the batch's attribute `labels`.
    """
    sse = squared_errors(x_params if noise is None else noise.mean(x_params), x).mean()
    reconstruction = sse / (2 * sigma2_x) if noise is None else noise.negative_log_likelihood(x, x_params).mean()
    terms = objective.penalty(mu, logvar, z, labels) if objective.supervised else objective.penalty(mu, logvar, z)
    return {"loss": reconstruction + terms.pop("penalty"), "sse": sse, **terms}


@torch.inference_mode()
def reconstruction_log_likelihood(model: BetaVAE, images: np.ndarray, batch_size: int = 1024) -> float:
    """The mean over `images` (N, C, H, W; uint8 or in [0, 1]) of log p(x|z) at z = the posterior mean, in nats
    per image, constants included (BetaVAE.log_likelihood): the x axis of ISA-VAE's Figure 5(b), MIG against
    log p(x|z) (about -22 to -30 nats per dSprites image there, Bernoulli)."""
    model.eval()
    device = next(model.parameters()).device
    total = 0.0
    for start in range(0, len(images), batch_size):
        x = images_to_tensor(images[start:start + batch_size], device)
        total += model.log_likelihood(x, model.decoder(model.encode(x)[0])).double().sum().item()
    return total / len(images)


def default_device() -> torch.device:
    """CUDA when present, CPU otherwise."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def images_to_tensor(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """Images (N, C, H, W) -> float32 on `device` (converted there); uint8 pixels are scaled to [0, 1]."""
    return as_float(images_on_device(images, device))


def images_on_device(images: np.ndarray, device: torch.device) -> torch.Tensor:
    """Images (N, C, H, W) on `device` in their stored dtype: uint8 sets take a quarter of float32's memory
    (full CelebA: 2 GB instead of 8), and `as_float` converts each batch there."""
    return torch.from_numpy(np.ascontiguousarray(images)).to(device)


def as_float(batch: torch.Tensor) -> torch.Tensor:
    """A batch as float32; uint8 pixels are scaled to [0, 1]."""
    return batch.float().div_(255.0) if batch.dtype == torch.uint8 else batch.float()


def save_torch(payload: dict, path: str | Path) -> None:
    """torch.save, atomically and byte-reproducibly (via a buffer: torch names the archive after the file; its
    strings interned, `_interned`)."""
    buffer = io.BytesIO()
    torch.save(_interned(payload), buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())


def _interned(value):
    """`value` with every string interned (dicts, lists and tuples rebuilt, a state dict's metadata kept): pickle
    shares equal strings by identity, so strings a resumed run loaded from its checkpoint (an optimiser's state)
    would otherwise pickle to other bytes than the same strings of an uninterrupted run."""
    if isinstance(value, str):
        return sys.intern(value)
    if isinstance(value, dict):
        rebuilt = type(value)((_interned(key), _interned(item)) for key, item in value.items())
        if hasattr(value, "_metadata"):
            rebuilt._metadata = _interned(value._metadata)
        return rebuilt
    if type(value) in (list, tuple):
        return type(value)(_interned(item) for item in value)
    return value


UNREADABLE = (OSError, RuntimeError, KeyError, EOFError, TypeError, ValueError, AttributeError, MemoryError,
              OverflowError, pickle.UnpicklingError)  # what a damaged or foreign checkpoint raises


def load_model(model_path: str | Path, device: torch.device | None = None) -> BetaVAE:
    """Rebuild a trained BetaVAE from a checkpoint written by `training.train_vae`."""
    return load_trained(model_path, device)[0]


def load_objective(model_path: str | Path) -> Objective:
    """The objective (and so the prior) a saved model was trained with, on the CPU; a model saved without
    one is a beta-VAE (objectives.objective_of)."""
    return load_trained(model_path, torch.device("cpu"))[1]


def load_trained(model_path: str | Path, device: torch.device | None = None) -> tuple[BetaVAE, Objective]:
    """A saved model and the objective it was trained with, the file read once; the model on `device`."""
    device = device or default_device()
    try:
        checkpoint = torch.load(model_path, map_location=device, weights_only=True)
        model = BetaVAE(**checkpoint["architecture"])
        model.load_state_dict(checkpoint["state_dict"])
        objective = objective_of(checkpoint).to("cpu")
    except UNREADABLE as error:
        raise ValueError(f"{model_path}: not a readable beta-VAE checkpoint ({first_line(error)})") from error
    broken = [name for name, tensor in model.state_dict().items() if not torch.isfinite(tensor).all()]
    if broken:
        raise ValueError(f"{model_path}: NaN or infinite weights in {broken[:3]}")
    return model.to(device).eval(), objective


def first_line(error: Exception) -> str:
    """The gist of an exception: its type and first line (torch's unpickling errors run to paragraphs)."""
    return f"{type(error).__name__}: {str(error).strip().splitlines()[0] if str(error).strip() else ''}"
