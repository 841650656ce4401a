"""Figures: information per factor against the variance indicator (the paper's Figures 1 and 2), traversals
of the influential factors (Figures 3 and 6), and the
emotion-relevant factors' traversals (Figure 5)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .artifacts import atomic_paths  # noqa: E402

INFLUENTIAL_COLOUR = "tab:red"
OTHER_COLOUR = "tab:grey"


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
    top.set_ylim(bottom=0)
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


def plot_emotion_factors(table: pd.DataFrame, traversals: np.ndarray, values: np.ndarray, inside: np.ndarray,
                         electrodes: np.ndarray, band_names: list[str], title: str, *paths: str | Path) -> None:
    """Figure 5: per top factor (rows), its traversal as RGB topographic maps and the change per band.

    `traversals` (factors, values, bands, grid, grid) are decoded maps; the last columns show
    decode(z_h = max) - decode(z_h = min) per band on a shared symmetric colour scale, with the
    electrodes (grid coordinates, column and row) as dots. Outside the head is white. Row labels:
    I_est, and the test accuracy and cross-entropy changes with the factor zeroed.
    """
    n_factors, n_values, n_bands = traversals.shape[:3]
    figure, axes = plt.subplots(n_factors, n_values + n_bands, squeeze=False,
                                figsize=(1.2 * (n_values + n_bands), 1.3 * n_factors + 0.6))
    changes = traversals[:, -1] - traversals[:, 0]
    limit = max(float(np.abs(changes[:, :, inside]).max()), 1e-6)
    for row, (_, factor) in enumerate(table.iterrows()):
        for column in range(n_values):
            rgb = np.clip(np.moveaxis(traversals[row, column, :3], 0, -1), 0, 1)
            axes[row, column].imshow(np.where(inside[..., None], rgb, 1.0))
            if row == 0:
                axes[row, column].set_title(f"$z_h$={values[column]:+.0f}", fontsize=8)
        for band in range(n_bands):
            axis = axes[row, n_values + band]
            image = axis.imshow(np.ma.masked_where(~inside, changes[row, band]), cmap="RdBu_r", vmin=-limit, vmax=limit)
            axis.scatter(electrodes[:, 0], electrodes[:, 1], s=2, c="k")
            if row == 0:
                axis.set_title(f"$\\Delta$ {band_names[band]}", fontsize=8)
        colour = INFLUENTIAL_COLOUR if factor["emotion_relevant"] else "black"
        axes[row, 0].set_ylabel(f"z{factor['factor']:.0f}  I={factor['I_est']:.2f}\n"
                                f"$\\Delta$acc={-100 * factor['accuracy_drop']:+.1f}%\n"
                                f"$\\Delta$CE={factor['loss_increase']:+.3f}", fontsize=7, color=colour)
    for axis in axes.flat:
        axis.set_xticks([])
        axis.set_yticks([])
    figure.subplots_adjust(top=1 - 0.5 / figure.get_figheight())
    figure.colorbar(image, ax=axes[:, n_values:], shrink=0.6, label="change in normalised band power")
    figure.suptitle(f"{title}: top factors by $I_{{est}}$; accuracy and cross-entropy change with the factor "
                    "zeroed (red: emotion-relevant)", fontsize=9)
    save_figure(figure, *paths)


def plot_traversals(traversals: np.ndarray, information: np.ndarray, factors: list[int], values: np.ndarray,
                    title: str, *paths: str | Path, blocks_per_row: int = 4) -> None:
    """Figures 3 and 6: one block per factor (ordered as given, labelled with I_est), each block one row
    per seed image and one column per value of the factor, the other factors at the seed's mean code.

    `traversals` is (factors, seeds, values, C, H, W) in [0, 1]; grey images are drawn in grey.
    """
    n_factors, n_seeds, n_values = traversals.shape[:3]
    columns = min(blocks_per_row, n_factors)
    rows = -(-n_factors // columns)
    figure, axes = plt.subplots(rows, columns, squeeze=False, figsize=(2.2 * columns, 2.2 * rows * n_seeds / n_values + 0.5))
    for axis in axes.flat:
        axis.axis("off")
    for index, (factor, block) in enumerate(zip(factors, traversals)):
        tiles = np.clip(block, 0, 1).transpose(0, 3, 1, 4, 2)  # (seeds, H, values, W, C)
        seeds, height, _, width, channels = tiles.shape
        image = tiles.reshape(seeds * height, n_values * width, channels)
        axis = axes.flat[index]
        axis.imshow(image[..., 0] if channels == 1 else image, cmap="gray", vmin=0, vmax=1)
        axis.set_title(f"z{factor}: I={information[factor]:.2f} nats", fontsize=8)
    figure.suptitle(f"{title}: each block one factor over [{values[0]:g}, {values[-1]:g}], one row per seed image",
                    fontsize=9)
    save_figure(figure, *paths)
