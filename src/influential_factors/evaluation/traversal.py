"""Latent traversals (the paper's Figures 3, 5 and 6): decode a code with one factor swept over [-3, 3]."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch

TRAVERSAL_VALUES = np.linspace(-3.0, 3.0, 7)


@torch.no_grad()
def decode(model, codes: np.ndarray) -> np.ndarray:
    """Decoded images (codes, C, H, W) of codes (codes, latents)."""
    device = next(model.parameters()).device
    return model.decode(torch.from_numpy(codes.astype(np.float32)).to(device)).cpu().numpy()


def traverse(model, reference: np.ndarray, factor: int, values: np.ndarray = TRAVERSAL_VALUES) -> np.ndarray:
    """Decoded images (values, C, H, W) of `reference` (latents,) with z_factor set to each value."""
    codes = np.repeat(reference[None], len(values), axis=0)
    codes[:, factor] = values
    return decode(model, codes)


def traversal_grid(model, seed_codes: np.ndarray, factors: list[int], values: np.ndarray = TRAVERSAL_VALUES) -> np.ndarray:
    """Traversals (factors, seeds, values, C, H, W): each factor swept from each seed image's mean code."""
    return np.stack([np.stack([traverse(model, code, factor, values) for code in seed_codes]) for factor in factors])


def seed_changes(traversals: np.ndarray, seed_maps: np.ndarray) -> np.ndarray:
    """The traversals' change (factors, values, C, H, W) from each seed's own decoded image, averaged over the
    seeds: `traversals` (factors, seeds, values, C, H, W), `seed_maps` (seeds, C, H, W)."""
    return (traversals - seed_maps[None, :, None]).mean(axis=1)


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
    from ..information.mi import rank_order

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
    codes, drawn to every output path (DEAP, with `topomap_meta`: per band, each map's change [dB] from the
    seed frames' own maps, as scalp maps). Returns the number of factors above the threshold and of seed images."""
    from ..data.posteriors import load_posteriors
    from ..reporting.figures import plot_band_traversals, plot_traversals
    from ..information.mi import read_information
    from ..models.vae import load_model

    values = read_information(information)["I_est"].to_numpy()
    codes = load_posteriors(posteriors)
    if codes["mu"].shape[-1] != len(values):
        raise ValueError(f"{posteriors}: needs codes with {len(values)} factors ({information})")
    try:
        factors, labels, above = traversal_factors(values, threshold=threshold, max_factors=max_factors)
    except ValueError as error:
        raise ValueError(f"{information}: {error}") from None
    model, seeds = load_model(model), seed_codes(codes, seed_images)
    traversals = traversal_grid(model, seeds, factors)
    if topomap_meta is None:
        plot_traversals(traversals, labels, TRAVERSAL_VALUES, title, *output)
    else:
        from ..core.artifacts import load_arrays
        from ..data.topomap import band_labels, decibels

        meta = load_arrays(topomap_meta, required=("positions", "inside", "band_low", "band_high", "band_names",
                                                   "band_edges"))
        changes = decibels(seed_changes(traversals, decode(model, seeds)), meta["band_low"], meta["band_high"])
        plot_band_traversals(changes, labels, TRAVERSAL_VALUES, band_labels(meta), title, *output,
                             scalp=scalp_layout(meta["positions"], meta["inside"]))
    return above, len(seeds)


def scalp_layout(positions: np.ndarray, inside: np.ndarray):
    """How figures draw maps of this grid (Scalp), from the projected electrode positions (n, 2) and
    the grid's inside mask (meta.npz of DEAP's videos): electrodes and head outline in grid units, and the
    padding a tile needs for the outline to fit."""
    from ..data.topomap import TopomapInterpolator, head_outline  # MNE and scipy: only DEAP's figures need them
    from ..reporting.figures import Scalp

    grid = TopomapInterpolator(positions, inside.shape[0])
    outline = [grid.to_pixels(line) for line in head_outline(positions)]
    reach = np.concatenate(outline)
    pad = math.ceil(max(-reach.min(), reach.max() - (inside.shape[0] - 1))) + 1
    return Scalp(inside, grid.pixel_coordinates(), outline, pad)
