"""Generation from the prior p(z) and from q*(z) (Gao et al. (001) section 6.3: sampling from the aggregate
posterior gives richer images than sampling from the prior), with q*(z) = N(0, diag s^2) the closed form of
Algorithm 1 of Liu et al. (000): s_h^2 = mean_m (sigma_h^2(x_m) + mu_h^2(x_m)) over the test posteriors.

How the two samplers are compared. The decoder is trained only on codes from the aggregate posterior
q(z) = mean_x q(z|x); a sampler whose codes lie where q(z) of unseen images has mass gives codes the decoder
has learned to decode. So the test posteriors are split in two halves (seeded): s^2 is estimated on half A,
and each sampler's codes z are scored under the exact mixture density of half B,
    log q_B(z) = logsumexp_m log N(z; mu_m, diag sigma_m^2) - log |B|,
reported as the mean over the codes (nats per code; `log_q_prior`, `log_q_qstar`, their difference
`qstar_gain` with its standard error). The same score of codes drawn from q(z|x) of half A,
`log_q_posterior`, is the reference of a sampler that draws from the aggregate posterior itself. The
mixture is exact (no bandwidth), held out, and applies to every image model and every prior.

This cross-entropy rewards concentration as well as coverage: codes piled at q_B's mode score highest. When
q(z_h) is wider than N(0, 1) (mu spread with std 3, say), the prior's narrower codes score higher than those
of q*, though q* matches q(z) better: E_{N(0,S)} log N(z; 0, V) = -1/2 sum_h [log 2 pi V_h + S_h / V_h]
grows as S shrinks. Beside it, therefore, the energy distance (Szekely and Rizzo) of each sampler's codes
from codes drawn from q(z|x) of half B, 2 E|X - Y| - E|X - X'| - E|Y - Y'|: zero only for the same
distribution, no bandwidth, samples only (`energy_prior`, `energy_qstar`, `energy_posterior`; lower is better).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Callable

import numpy as np
import torch
from scipy.spatial.distance import cdist
from scipy.special import logsumexp

from ..reporting.figures import plt, save_figure, show_tiles, title_above
from ..information.mi import check_posteriors, optimal_prior_variance

CHUNK_ELEMENTS = 1 << 22  # the largest (codes, components, factors) block held at once: 32 MB of float64
SAMPLERS = ("prior", "qstar", "posterior")


def mixture_log_density(z: np.ndarray, mu: np.ndarray, logvar: np.ndarray,
                        chunk_elements: int = CHUNK_ELEMENTS) -> np.ndarray:
    """log q_B(z) = logsumexp_m log N(z; mu_m, diag exp(logvar_m)) - log M for every row of z (N, factors),
    in blocks of at most `chunk_elements` numbers (codes x components x factors)."""
    mu, logvar = check_posteriors(mu, logvar)
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != mu.shape[1]:
        raise ValueError(f"codes {z.shape} do not match the posteriors' {mu.shape[1]} factors")
    factors = mu.shape[1]
    components = max(1, min(len(mu), chunk_elements // factors))
    rows = max(1, chunk_elements // (components * factors))
    precision = np.exp(-logvar)
    constant = -0.5 * (factors * math.log(2 * math.pi) + logvar.sum(1))
    result = np.empty(len(z))
    for start in range(0, len(z), rows):
        block = z[start:start + rows, None, :]
        total = np.full(len(block), -np.inf)
        for first in range(0, len(mu), components):
            part = slice(first, first + components)
            log_normal = constant[part] - 0.5 * ((block - mu[part]) ** 2 * precision[part]).sum(-1)
            total = np.logaddexp(total, logsumexp(log_normal, axis=1))
        result[start:start + rows] = total
    return result - math.log(len(mu))


def energy_distance(x: np.ndarray, y: np.ndarray) -> float:
    """2 E|X - Y| - E|X - X'| - E|Y - Y'| of two samples (rows), the within-sample means over distinct pairs
    (unbiased: near 0, either sign, for samples of one distribution)."""
    def within(sample: np.ndarray) -> float:
        return cdist(sample, sample).sum() / (len(sample) * (len(sample) - 1))
    return float(2 * cdist(x, y).mean() - within(x) - within(y))


def posterior_codes(mu: np.ndarray, logvar: np.ndarray, count: int, generator: torch.Generator) -> np.ndarray:
    """`count` codes of the aggregate posterior mean_m q(z|x_m): a sample m uniformly, then z ~ N(mu_m, sigma_m^2)."""
    rows = torch.randint(len(mu), (count,), generator=generator).numpy()
    noise = torch.randn(count, mu.shape[1], generator=generator, dtype=torch.float64).numpy()
    return mu[rows] + np.exp(0.5 * logvar[rows]) * noise


def qstar_codes(variance: np.ndarray, count: int, generator: torch.Generator) -> np.ndarray:
    """`count` codes of q*(z) = N(0, diag variance)."""
    return torch.randn(count, len(variance), generator=generator, dtype=torch.float64).numpy() * np.sqrt(variance)


@torch.no_grad()  # a learned prior's sampler (ISA-VAE) gives tensors that track gradients otherwise
def score_samplers(sample_prior: Callable[[int, torch.Generator], torch.Tensor], mu: np.ndarray, logvar: np.ndarray,
                   *, samples: int, generator: torch.Generator) -> dict[str, float]:
    """The held-out scores of the module docstring for `samples` codes of each sampler: the prior
    (`sample_prior(count, generator)`), q* fitted on half A, and q(z|x) of half A."""
    mu, logvar = check_posteriors(mu, logvar)
    if len(mu) < 2 or samples < 2:
        raise ValueError(f"scoring needs at least 2 posteriors and 2 samples, got {len(mu)} and {samples}")
    order = torch.randperm(len(mu), generator=generator).numpy()
    half_a, half_b = order[: len(mu) // 2], order[len(mu) // 2:]
    codes = {"prior": sample_prior(samples, generator).double().numpy(),
             "qstar": qstar_codes(optimal_prior_variance(mu[half_a], logvar[half_a]), samples, generator),
             "posterior": posterior_codes(mu[half_a], logvar[half_a], samples, generator)}
    held_out = posterior_codes(mu[half_b], logvar[half_b], samples, generator)
    log_q = {name: mixture_log_density(z, mu[half_b], logvar[half_b]) for name, z in codes.items()}
    metrics = {f"log_q_{name}": float(log_q[name].mean()) for name in SAMPLERS}
    metrics["qstar_gain"] = metrics["log_q_qstar"] - metrics["log_q_prior"]
    metrics["qstar_gain_se"] = float(np.sqrt((log_q["qstar"].var(ddof=1) + log_q["prior"].var(ddof=1)) / samples))
    metrics |= {f"energy_{name}": energy_distance(codes[name], held_out) for name in SAMPLERS}
    return metrics


@torch.no_grad()
def decode(model, codes: np.ndarray) -> np.ndarray:
    """The decoder's means (N, C, H, W) of codes (N, latents)."""
    device = next(model.parameters()).device
    return model.decode(torch.as_tensor(codes, dtype=torch.float32, device=device)).cpu().numpy()


def as_grid(images: np.ndarray) -> np.ndarray:
    """Images (N, C, H, W) as tiles (rows, columns, C, H, W) of a near-square grid, blank (white) at the end."""
    columns = math.ceil(math.sqrt(len(images)))
    rows = math.ceil(len(images) / columns)
    blank = np.ones((rows * columns - len(images), *images.shape[1:]), dtype=images.dtype)
    return np.concatenate([images, blank]).reshape(rows, columns, *images.shape[1:])


def plot_generation(prior_images: np.ndarray, qstar_images: np.ndarray, title: str, *paths: str | Path) -> None:
    """Decoded codes of the prior (left) and of q* (right) side by side, images (N, C, H, W) in [0, 1]."""
    figure, axes = plt.subplots(1, 2, figsize=(9, 4.8))
    for axis, images, label in zip(axes, (prior_images, qstar_images), ("prior $p(z)$", "$q^*(z)$, Algorithm 1")):
        show_tiles(axis, as_grid(images))
        axis.set_title(label, fontsize=9)
    figure.tight_layout()
    title_above(figure, f"{title}\ndecoded codes drawn from the prior and from $q^*(z) = N(0, \\mathrm{{diag}}\\, s^2)$,"
                " $s^2$ from the test posteriors (Gao et al. section 6.3)")  # the run on a line of its own
    save_figure(figure, *paths)


@torch.no_grad()
def generate(model_path: str | Path, posteriors_path: str | Path, figure_paths: list[str | Path],
             metrics_path: str | Path, *, samples: int, seed: int, title: str) -> dict[str, float]:
    """`generate`: `samples` codes from the model's prior and from q* (s^2 from all test posteriors),
    decoded and drawn side by side to every figure path; `score_samplers` written as the metrics JSON."""
    from ..core.artifacts import save_json
    from ..data.posteriors import load_posteriors
    from ..models.vae import load_trained

    model, objective = load_trained(model_path)
    mu, logvar = check_posteriors(*load_posteriors(posteriors_path).test_codes())
    if mu.shape[1] != model.latents:
        raise ValueError(f"{posteriors_path}: {mu.shape[1]} factors, but {model_path} has {model.latents} latents")
    generator = torch.Generator().manual_seed(seed)
    prior = objective.sample_prior(samples, generator).numpy()
    qstar = qstar_codes(optimal_prior_variance(mu, logvar), samples, generator)
    metrics = score_samplers(objective.sample_prior, mu, logvar, samples=samples, generator=generator)
    plot_generation(decode(model, prior), decode(model, qstar), title, *figure_paths)
    save_json(metrics_path, metrics)
    return metrics
