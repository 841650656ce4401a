"""Latent traversals (the paper's Figures 3, 5 and 6): decode a code with one factor swept over [-3, 3]."""

from __future__ import annotations

import numpy as np
import torch

TRAVERSAL_VALUES = np.linspace(-3.0, 3.0, 7)


@torch.no_grad()
def traverse(model, reference: np.ndarray, factor: int, values: np.ndarray = TRAVERSAL_VALUES) -> np.ndarray:
    """Decoded images (values, C, H, W) of `reference` (latents,) with z_factor set to each value."""
    device = next(model.parameters()).device
    codes = np.repeat(reference[None].astype(np.float32), len(values), axis=0)
    codes[:, factor] = values
    return model.decode(torch.from_numpy(codes).to(device)).cpu().numpy()


def traversal_grid(model, seed_codes: np.ndarray, factors: list[int], values: np.ndarray = TRAVERSAL_VALUES) -> np.ndarray:
    """Traversals (factors, seeds, values, C, H, W): each factor swept from each seed image's mean code."""
    return np.stack([np.stack([traverse(model, code, factor, values) for code in seed_codes]) for factor in factors])


def seed_codes(posteriors: dict[str, np.ndarray], count: int) -> np.ndarray:
    """The posterior means (count, latents) the traversals start from: the first test images, or for
    encoded videos (DEAP) the middle frame of each of the first test videos."""
    mu = posteriors["mu"]
    if mu.ndim == 2:
        return mu[:count]
    return mu[posteriors["test"][:count], mu.shape[1] // 2]
