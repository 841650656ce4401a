"""Figures: information per factor against the variance indicator (the paper's Figures 1 and 2), traversals
of the influential factors (Figures 1, 3, 5-8), generation from the top-k% factors (Figure 4), the
emotion-relevant factors of DEAP (Figure 5) and attribute swaps (the thesis 004's Figure 10), and the helpers
that draw mosaics of images and save figures (generation.py and run_summary.py draw with them too). DEAP's maps
are drawn as scalp maps: white outside the electrodes' hull, with the head outline, nose, ears and electrodes
(their layout from topomap.scalp_layout)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .artifacts import atomic_paths  # noqa: E402

INFLUENTIAL_COLOUR = "tab:red"
OTHER_COLOUR = "tab:grey"
IMAGE_GAP = 1  # white pixels around every tile of a mosaic of images


def save_figure(figure, *paths: str | Path) -> None:
    """Save a figure to every path (format from the suffix), atomically (all or none), reproducibly; close it."""
    try:
        with atomic_paths(*paths) as temporaries:
            for path, tmp in zip(paths, temporaries):
                kind = Path(path).suffix.lstrip(".")
                metadata = {"CreationDate": None} if kind == "pdf" else None  # no timestamp: same bytes every run
                figure.savefig(tmp, format=kind, dpi=150, bbox_inches="tight", metadata=metadata)
    finally:
        plt.close(figure)


def plot_information(table: pd.DataFrame, threshold: float, title: str, *paths: str | Path) -> None:
    """Figure 1: I_est per factor as upward stems (top) and Var_m mu_h as downward stems (bottom).

    Factors are in index order; influential factors (I_est > threshold) are drawn in red.
    """
    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(10, 5), gridspec_kw={"hspace": 0.12})
    colours = [INFLUENTIAL_COLOUR if flag else OTHER_COLOUR for flag in table["influential"]]
    top.vlines(table["factor"], 0, table["I_est"], colors=colours, linewidth=1.5)
    top.scatter(table["factor"], table["I_est"], c=colours, s=10, zorder=3)
    top.axhline(threshold, color=INFLUENTIAL_COLOUR, linestyle=":", linewidth=1,
                label=f"threshold {threshold:g} nats ({int(table['influential'].sum())} influential factors)")
    top.set_ylabel(r"$I_{est}(x; z_h)$ [nats]")
    top.set_ylim(0, 1.2 * max(table["I_est"].max(), threshold))  # headroom: the legend sits above the stems
    top.legend(loc="upper right", frameon=False, fontsize=8)
    top.set_title(f"{title}: total $I_{{est}}$ = {table['I_est'].sum():.1f} nats")

    bottom.vlines(table["factor"], 0, table["variance"], colors=colours, linewidth=1.5)
    bottom.scatter(table["factor"], table["variance"], c=colours, s=10, zorder=3)
    bottom.set_ylim(bottom=0)
    bottom.invert_yaxis()
    bottom.set_ylabel(r"$\mathrm{Var}_m\, \mu_h(x_m)$")
    bottom.set_xlabel("latent factor h")
    bottom.set_xlim(-1, len(table))
    save_figure(figure, *paths)


@dataclass
class Scalp:
    """How a topographic map of the grid is drawn: the inside of the electrodes' hull, and the
    electrodes and head outline in grid units (column, row; row 0 the front), with the padding in
    pixels that a tile needs around the grid for the outline to fit. Built from the electrodes by
    `topomap.scalp_layout` (MNE and scipy's triangulation stay out of the figures of images)."""

    inside: np.ndarray
    electrodes: np.ndarray
    outline: list[np.ndarray]
    pad: int

    def draw(self, axis, origin: tuple[float, float] = (0.0, 0.0)) -> None:
        """The head outline and electrodes over a map whose grid starts at pixel `origin` (column, row)."""
        for line in self.outline:
            axis.plot(line[:, 0] + origin[0], line[:, 1] + origin[1], color="black", linewidth=0.5)
        axis.scatter(self.electrodes[:, 0] + origin[0], self.electrodes[:, 1] + origin[1], s=0.25, c="black",
                     linewidths=0, alpha=0.6)


def stretch_bands(maps: np.ndarray, inside: np.ndarray, percentiles: tuple[float, float] = (1, 99)) -> np.ndarray:
    """Maps (..., bands, grid, grid) with each band's 1st-99th percentile over the head (all maps together)
    spread over [0, 1]: the normalised band powers of decoded maps sit in a narrow range that looks grey."""
    bands = np.moveaxis(maps, -3, 0)
    low, high = np.percentile(bands[..., inside].reshape(len(bands), -1), percentiles, axis=1)
    shape = (-1,) + (1,) * (bands.ndim - 1)
    stretched = (bands - low.reshape(shape)) / np.where(high > low, high - low, 1.0).reshape(shape)
    return np.clip(np.moveaxis(stretched, 0, -3), 0, 1)


def tile_mosaic(tiles: np.ndarray, pad: int, fill: float = 1.0) -> np.ndarray:
    """One image (rows * (H + 2 pad), columns * (W + 2 pad), C) of tiles (rows, columns, C, H, W),
    each framed by `pad` pixels of `fill`; tile (r, c) starts at pixel (r (H + 2 pad) + pad, c (W + 2 pad) + pad)."""
    framed = np.pad(tiles, [(0, 0)] * 3 + [(pad, pad)] * 2, constant_values=fill)
    rows, columns, channels, height, width = framed.shape
    return framed.transpose(0, 3, 1, 4, 2).reshape(rows * height, columns * width, channels)


def show_tiles(axis, tiles: np.ndarray, scalp: Scalp | None = None) -> tuple[int, int]:
    """Draw tiles (rows, columns, C, H, W) in [0, 1] as one mosaic on `axis`: grey or RGB images,
    or with `scalp` topographic maps (white outside the head, outline and electrodes on every tile).
    Returns the size (height, width) in pixels of one framed tile."""
    tiles = np.clip(tiles, 0, 1)
    pad = IMAGE_GAP if scalp is None else scalp.pad
    if scalp is not None:
        tiles = np.where(scalp.inside, tiles, 1.0)
    mosaic = tile_mosaic(tiles, pad)
    axis.imshow(mosaic[..., 0] if mosaic.shape[-1] == 1 else mosaic, cmap="gray", vmin=0, vmax=1,
                interpolation="nearest" if scalp is None else "bilinear")
    step = (tiles.shape[3] + 2 * pad, tiles.shape[4] + 2 * pad)
    if scalp is not None:
        for row in range(tiles.shape[0]):
            for column in range(tiles.shape[1]):
                scalp.draw(axis, (column * step[1] + pad, row * step[0] + pad))
    axis.set_xticks([])
    axis.set_yticks([])
    for spine in axis.spines.values():
        spine.set_visible(False)
    return step


def plot_traversals(traversals: np.ndarray, labels: list[str], values: np.ndarray, title: str, *paths: str | Path,
                    scalp: Scalp | None = None, blocks_per_row: int = 4) -> None:
    """Figures 1, 3, 5-8: one block per factor (in the order given, titled with `labels`), each block one
    row per seed image and one column per value of the factor, the other factors at the seed's mean code.

    `traversals` is (factors, seeds, values, C, H, W) in [0, 1]: grey, RGB, or with `scalp` DEAP's maps,
    each band's colour stretched over its 1st-99th percentile in the figure (`stretch_bands`).
    """
    n_factors, n_seeds, n_values = traversals.shape[:3]
    columns = min(blocks_per_row, n_factors)
    rows = -(-n_factors // columns)
    pad = IMAGE_GAP if scalp is None else scalp.pad
    aspect = n_seeds * (traversals.shape[4] + 2 * pad) / (n_values * (traversals.shape[5] + 2 * pad))
    width = 2.6 if scalp is None else 4.0
    figure, axes = plt.subplots(rows, columns, squeeze=False, figsize=(width * columns, (width * aspect + 0.45) * rows + 0.5))
    for axis in axes.flat:
        axis.axis("off")
    if scalp is not None:
        traversals = stretch_bands(traversals, scalp.inside)
    for axis, block, label in zip(axes.flat, traversals, labels):
        axis.axis("on")
        step = show_tiles(axis, block, scalp)
        axis.set_xticks([step[1] * (column + 0.5) for column in (0, n_values - 1)])
        axis.set_xticklabels([f"{values[0]:+g}", f"{values[-1]:+g}"], fontsize=7)
        axis.tick_params(length=0, pad=1)
        axis.set_title(label, fontsize=8)
    figure.tight_layout()
    colours = ("\ncolours: the three bands' power as red, green, blue, each stretched over its 1st-99th percentile"
               " in this figure" if scalp is not None else "")
    title_above(figure, f"{title}: each block one factor $z_h$ swept over [{values[0]:g}, {values[-1]:g}] (left to right),"
                " one row per test image, the other factors at that image's posterior mean" + colours)
    save_figure(figure, *paths)


def title_above(figure, text: str, fontsize: float = 9) -> None:
    """A figure title just above its highest drawn axes (a suptitle sits at the top of the canvas, however
    much space equal-aspect images leave below it)."""
    renderer = figure.canvas.get_renderer()
    top = max(axis.get_tightbbox(renderer).y1 for axis in figure.axes if axis.axison) / figure.bbox.height
    figure.text(0.5, top + 0.08 / figure.get_figheight(), text, ha="center", va="bottom", fontsize=fontsize)


def plot_topk_generation(originals: np.ndarray, reconstructions: np.ndarray, column_labels: list[str], title: str,
                         *paths: str | Path) -> None:
    """Figure 4: each row a test image, then its reconstruction from the top k% factors (the rest at 0),
    one column per k. `originals` (images, C, H, W) and `reconstructions` (k, images, C, H, W) in [0, 1]."""
    plot_input_columns(originals, reconstructions, column_labels,
                       "top k% of the factors by $I_{est}$ kept, the others set to 0 (factors kept)", title, *paths)


def plot_input_columns(originals: np.ndarray, columns: np.ndarray, column_labels: list[str], xlabel: str, title: str,
                       *paths: str | Path) -> None:
    """One row per test image: the image ("input"), then one decoded image per column (Figure 4; the thesis's
    Figure 10). `originals` (images, C, H, W) and `columns` (columns, images, C, H, W) in [0, 1]."""
    tiles = np.concatenate([originals[None], columns]).swapaxes(0, 1)
    n_images, n_columns = tiles.shape[:2]
    figure, axis = plt.subplots(figsize=(0.75 * n_columns + 0.6, 0.75 * n_images * tiles.shape[3] / tiles.shape[4] + 0.9))
    step = show_tiles(axis, tiles)
    axis.set_xticks([step[1] * (column + 0.5) for column in range(n_columns)])
    axis.set_xticklabels(["input"] + column_labels, fontsize=7)
    axis.xaxis.tick_top()
    axis.tick_params(length=0)
    axis.set_ylabel("test images", fontsize=8)
    axis.set_xlabel(xlabel, fontsize=8)
    axis.set_title(title, fontsize=9)
    save_figure(figure, *paths)


def plot_emotion_factors(table: pd.DataFrame, traversals: np.ndarray, values: np.ndarray, scalp: Scalp,
                         band_names: list[str], title: str, *paths: str | Path) -> None:
    """Figure 5: per top factor (rows), its traversal as RGB scalp maps and the change per band.

    `traversals` (factors, values, bands, grid, grid) are decoded maps (colours stretched as in
    `plot_traversals`); the last columns show decode(z_h = max) - decode(z_h = min) per band on a shared
    symmetric colour scale. Row labels:
    I_est, and the test accuracy and cross-entropy changes with the factor zeroed.
    """
    n_factors, n_values, n_bands = traversals.shape[:3]
    figure, axes = plt.subplots(n_factors, n_values + n_bands, squeeze=False,
                                figsize=(1.3 * (n_values + n_bands), 1.2 * n_factors + 0.6))
    changes = np.where(scalp.inside, traversals[:, -1] - traversals[:, 0], np.nan)
    limit = max(float(np.nanmax(np.abs(changes))), 1e-6)
    traversals = stretch_bands(traversals, scalp.inside)
    for row, (_, factor) in enumerate(table.iterrows()):
        for column in range(n_values):
            show_tiles(axes[row, column], traversals[row, column, None, None, :3], scalp)
            if row == 0:
                axes[row, column].set_title(f"$z_h$={values[column]:+.0f}", fontsize=8)
        for band in range(n_bands):
            axis = axes[row, n_values + band]
            change = tile_mosaic(changes[row, band][None, None, None], scalp.pad, fill=np.nan)[..., 0]
            image = axis.imshow(np.ma.masked_invalid(change), cmap="RdBu_r", vmin=-limit, vmax=limit,
                                interpolation="bilinear")
            scalp.draw(axis, (scalp.pad, scalp.pad))
            axis.axis("off")
            if row == 0:
                axis.set_title(f"$\\Delta$ {band_names[band]}", fontsize=8)
        colour = INFLUENTIAL_COLOUR if factor["emotion_relevant"] else "black"
        axes[row, 0].set_ylabel(f"z{factor['factor']:.0f}  I={factor['I_est']:.2f}\n"
                                f"$\\Delta$acc={-100 * factor['accuracy_drop']:+.1f}%\n"
                                f"$\\Delta$CE={factor['loss_increase']:+.3f}", fontsize=7, color=colour)
    figure.subplots_adjust(top=1 - 0.5 / figure.get_figheight(), right=0.9)
    figure.colorbar(image, cax=figure.add_axes((0.92, 0.3, 0.012, 0.4)), label="change in normalised band power")
    figure.suptitle(f"{title}: top factors by $I_{{est}}$ [nats]; accuracy and cross-entropy change with the factor "
                    "zeroed (red: emotion-relevant)", fontsize=9)
    save_figure(figure, *paths)
