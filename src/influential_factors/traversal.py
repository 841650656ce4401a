"""Latent traversals (the paper's Figures 3, 5 and 6): decode a code with one factor swept over [-3, 3]."""

from __future__ import annotations

from pathlib import Path

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


def traversal_factors(information: np.ndarray, *, threshold: float, max_factors: int) -> tuple[list[int], list[str], int]:
    """The factors to traverse and their row labels: those with I_est above `threshold`, most informative
    first, at most `max_factors`, then the least informative one (the paper's montage D: a factor without
    information changes nothing) unless already among them. Also returns how many are above the threshold."""
    from .mi import rank_order

    order = rank_order(information)
    factors = [int(h) for h in order if information[h] > threshold][:max_factors]
    if not factors:
        raise ValueError(f"no factor carries more than {threshold:g} nats: nothing to traverse")
    labels = [f"z{h}: $I_{{est}}$ = {information[h]:.2f} nats" for h in factors]
    above = len(factors)
    if order[-1] not in factors:
        factors.append(int(order[-1]))
        labels.append(f"z{order[-1]}: $I_{{est}}$ = {information[order[-1]]:.2f} nats (least informative)")
    return factors, labels, above


def plot_influential_traversals(model: str | Path, posteriors: str | Path, information: str | Path,
                                output: list[str | Path], *, threshold: float, max_factors: int, seed_images: int,
                                title: str, topomap_meta: str | Path | None = None) -> tuple[int, int]:
    """Figures 1, 3, 5-8 (`plot-traversals`): the `traversal_factors` swept from the first `seed_images`
    codes, drawn to every output path (DEAP, with `topomap_meta`: as scalp maps). Returns the number of
    factors above the threshold and of seed images."""
    from .posteriors import load_posteriors
    from .figures import plot_traversals
    from .mi import read_information
    from .models import load_model

    values = read_information(information)["I_est"].to_numpy()
    codes = load_posteriors(posteriors)
    if codes["mu"].shape[-1] != len(values):
        raise ValueError(f"{posteriors}: needs codes with {len(values)} factors ({information})")
    try:
        factors, labels, above = traversal_factors(values, threshold=threshold, max_factors=max_factors)
    except ValueError as error:
        raise ValueError(f"{information}: {error}") from None
    scalp = None
    if topomap_meta is not None:
        from .artifacts import load_arrays
        from .topomap import scalp_layout

        meta = load_arrays(topomap_meta, required=("positions", "inside"))
        scalp = scalp_layout(meta["positions"], meta["inside"])
    traversals = traversal_grid(load_model(model), seed_codes(codes, seed_images), factors)
    plot_traversals(traversals, labels, TRAVERSAL_VALUES, title, *output, scalp=scalp)
    return above, traversals.shape[1]

