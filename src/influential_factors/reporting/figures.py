"""Figures: information per factor against the variance indicator (the paper's Figures 1 and 2), traversals
of the influential factors (Figures 1, 3, 5-8), generation from the top-k% factors (Figure 4), the
emotion-relevant factors of DEAP (Figure 5) and attribute swaps (the thesis 004's Figure 10), and the helpers
that draw mosaics of images and save figures (generation.py and run_summary.py draw with them too). DEAP's maps
are drawn one band at a time as changes in dB on a diverging colour map: white outside the electrodes' hull,
with the head outline, nose, ears and electrodes (their layout from traversal.scalp_layout)."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_pdf import PdfPages  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..core.artifacts import atomic_paths  # noqa: E402

INFLUENTIAL_COLOUR = "tab:red"
OTHER_COLOUR = "tab:grey"
IMAGE_GAP = 1  # white pixels around every tile of a mosaic of images
DPI = 150
DIVERGING = "RdBu_r"  # changes of DEAP's band power: red more, blue less, white none
SCALP_TILE = 0.85  # inches per scalp map: at a page's width (~7 in) the electrodes and outline stay visible
PAGE_FACTORS = 6  # DEAP's traversals: at most this many factors (rows) per page
LINE = 0.19  # inches per line of 9-10 pt text


def save_figure(figure, *paths: str | Path) -> None:
    """Save a figure to every path (format from the suffix), atomically (all or none), reproducibly; close it."""
    save_pages([figure], *paths)


def save_pages(pages: list, *paths: str | Path) -> None:
    """Save figures as the pages of every path, atomically (all or none), reproducibly; close them. A PDF
    gets one page each; an image (PNG) the pages one under another, left-aligned on white."""
    try:
        with atomic_paths(*paths) as temporaries:
            for path, tmp in zip(paths, temporaries):
                kind = Path(path).suffix.lstrip(".")
                if kind == "pdf":
                    with PdfPages(tmp, metadata={"CreationDate": None}) as pdf:  # no timestamp: same bytes every run
                        for page in pages:
                            pdf.savefig(page, bbox_inches="tight")
                else:
                    images = [_rendered(page) for page in pages]
                    width = max(image.shape[1] for image in images)
                    plt.imsave(tmp, np.concatenate([np.pad(image, ((0, 0), (0, width - image.shape[1]), (0, 0)),
                                                           constant_values=1.0) for image in images]), format=kind)
    finally:
        for page in pages:
            plt.close(page)


def _rendered(figure) -> np.ndarray:
    """A figure as RGBA pixels (height, width, 4) in [0, 1], as `savefig` writes it at DPI."""
    buffer = BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    buffer.seek(0)
    return plt.imread(buffer)


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
    `evaluation/traversal.scalp_layout` (MNE and scipy's triangulation stay out of the figures of images)."""

    inside: np.ndarray
    electrodes: np.ndarray
    outline: list[np.ndarray]
    pad: int

    def show(self, axis, values: np.ndarray, limit: float):
        """One map (grid, grid) on `axis` on the DIVERGING colour map over [-limit, limit], white outside the
        head, framed by `pad` pixels with the head outline and electrodes. Returns the image (for a colour bar)."""
        framed = np.pad(np.where(self.inside, values, np.nan), self.pad, constant_values=np.nan)
        image = axis.imshow(np.ma.masked_invalid(framed), cmap=DIVERGING, vmin=-limit, vmax=limit,
                            interpolation="bilinear")
        for line in self.outline:
            axis.plot(line[:, 0] + self.pad, line[:, 1] + self.pad, color="black", linewidth=0.6)
        axis.scatter(self.electrodes[:, 0] + self.pad, self.electrodes[:, 1] + self.pad, s=1, c="black",
                     linewidths=0, alpha=0.6)
        axis.set_xticks([])
        axis.set_yticks([])
        for spine in axis.spines.values():
            spine.set_visible(False)
        return image

    def limit(self, maps: np.ndarray) -> float:
        """The symmetric colour limit of maps (..., grid, grid): their largest |value| inside the head."""
        return max(float(np.abs(maps[..., self.inside]).max()), 1e-6)


def tile_mosaic(tiles: np.ndarray, pad: int, fill: float = 1.0) -> np.ndarray:
    """One image (rows * (H + 2 pad), columns * (W + 2 pad), C) of tiles (rows, columns, C, H, W),
    each framed by `pad` pixels of `fill`; tile (r, c) starts at pixel (r (H + 2 pad) + pad, c (W + 2 pad) + pad)."""
    framed = np.pad(tiles, [(0, 0)] * 3 + [(pad, pad)] * 2, constant_values=fill)
    rows, columns, channels, height, width = framed.shape
    return framed.transpose(0, 3, 1, 4, 2).reshape(rows * height, columns * width, channels)


def show_tiles(axis, tiles: np.ndarray) -> tuple[int, int]:
    """Draw tiles (rows, columns, C, H, W) in [0, 1], grey or RGB images, as one mosaic on `axis`.
    Returns the size (height, width) in pixels of one framed tile."""
    mosaic = tile_mosaic(np.clip(tiles, 0, 1), IMAGE_GAP)
    axis.imshow(mosaic[..., 0] if mosaic.shape[-1] == 1 else mosaic, cmap="gray", vmin=0, vmax=1,
                interpolation="nearest")
    step = (tiles.shape[3] + 2 * IMAGE_GAP, tiles.shape[4] + 2 * IMAGE_GAP)
    axis.set_xticks([])
    axis.set_yticks([])
    for spine in axis.spines.values():
        spine.set_visible(False)
    return step


def plot_traversals(traversals: np.ndarray, labels: list[str], values: np.ndarray, title: str, *paths: str | Path,
                    blocks_per_row: int = 4) -> None:
    """Figures 1, 3, 6-8: one block per factor (in the order given, titled with `labels`), each block one
    row per seed image and one column per value of the factor, the other factors at the seed's mean code.
    `traversals` is (factors, seeds, values, C, H, W) in [0, 1], grey or RGB.
    """
    n_factors, n_seeds, n_values = traversals.shape[:3]
    columns = min(blocks_per_row, n_factors)
    rows = -(-n_factors // columns)
    aspect = n_seeds * (traversals.shape[4] + 2 * IMAGE_GAP) / (n_values * (traversals.shape[5] + 2 * IMAGE_GAP))
    width = 2.6
    figure, axes = plt.subplots(rows, columns, squeeze=False, figsize=(width * columns, (width * aspect + 0.45) * rows + 0.5))
    for axis in axes.flat:
        axis.axis("off")
    for axis, block, label in zip(axes.flat, traversals, labels):
        axis.axis("on")
        step = show_tiles(axis, block)
        axis.set_xticks([step[1] * (column + 0.5) for column in (0, n_values - 1)])
        axis.set_xticklabels([f"{values[0]:+g}", f"{values[-1]:+g}"], fontsize=9)
        axis.tick_params(length=0, pad=1)
        axis.set_title(label, fontsize=10)
    figure.tight_layout()
    title_above(figure, f"{title}\neach block one factor $z_h$ swept over [{values[0]:g}, {values[-1]:g}] (left to right),"
                " one row per test image, the other factors at that image's posterior mean", fontsize=10)
    save_figure(figure, *paths)


def plot_band_traversals(changes: np.ndarray, labels: list[str], values: np.ndarray, band_labels: list[str],
                         title: str, *paths: str | Path, scalp: Scalp, per_page: int = PAGE_FACTORS) -> None:
    """Figures 5-8 for DEAP's maps: one page per band and at most `per_page` factors, one row per factor
    (titled with `labels`) and one column per value. `changes` (factors, values, bands, grid, grid) are
    the decoded maps' changes [dB] from the seed frames' own maps, drawn on a diverging scale symmetric
    about 0 and shared by a band's pages (`Scalp.limit`)."""
    pages = []
    n_factors = len(labels)
    starts = range(0, n_factors, per_page)
    for band, band_label in enumerate(band_labels):
        limit = scalp.limit(changes[:, :, band])
        for number, start in enumerate(starts, 1):
            stop = min(start + per_page, n_factors)
            rows = [label.replace(": ", "\n").replace(" (", "\n(") for label in labels[start:stop]]
            pages.append(scalp_grid(changes[start:stop, :, band], limit, scalp, rows,
                                    [f"$z_h$ = {value:+g}" for value in values],
                                    f"{title}: {band_label}, factors {start + 1}-{stop} of {n_factors}"
                                    f" (page {number}/{len(starts)})\nchange from each seed frame's decoded map with"
                                    " $z_h$ set (mean over the seed frames)", "change in band power [dB]"))
    save_pages(pages, *paths)


def scalp_grid(maps: np.ndarray, limit: float, scalp: Scalp, row_labels: list[str], column_labels: list[str],
               title: str, unit: str):
    """A figure of scalp maps (rows, columns, grid, grid) on one diverging scale [-limit, limit] with its
    colour bar in `unit`, labelled per row (left) and column (top), each map SCALP_TILE inches wide."""
    rows, columns = maps.shape[:2]
    label_width, colour_bar = 1.3, 1.0
    header = LINE * (title.count("\n") + 1 + max(label.count("\n") + 1 for label in column_labels)) + 0.15
    width, height = label_width + columns * SCALP_TILE + colour_bar, header + rows * SCALP_TILE + 0.1
    figure, axes = plt.subplots(rows, columns, squeeze=False, figsize=(width, height))
    figure.subplots_adjust(left=label_width / width, right=1 - colour_bar / width, bottom=0.1 / height,
                           top=1 - header / height, wspace=0.04, hspace=0.04)
    for (row, column), axis in np.ndenumerate(axes):
        image = scalp.show(axis, maps[row, column], limit)
    for axis, label in zip(axes[:, 0], row_labels):
        axis.set_ylabel(label, rotation=0, ha="right", va="center", fontsize=9)
    for axis, label in zip(axes[0], column_labels):
        axis.set_title(label, fontsize=9)
    bar = figure.colorbar(image, cax=figure.add_axes((1 - 0.8 * colour_bar / width, 0.1 / height + 0.15 * rows * SCALP_TILE / height,
                                                      0.1 / width, 0.7 * rows * SCALP_TILE / height)))
    bar.set_label(unit, fontsize=9)
    bar.ax.tick_params(labelsize=8)
    figure.suptitle(title, x=0.5, y=1 - 0.1 / height, va="top", fontsize=10)
    return figure


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


def plot_emotion_factors(table: pd.DataFrame, changes: np.ndarray, scalp: Scalp, band_labels: list[str], title: str,
                         *paths: str | Path) -> None:
    """Figure 5: per top factor (columns) the change of each band's decoded map (rows) from $z_h$ = -3 to +3,
    `changes` (factors, bands, grid, grid) [dB], on one diverging scale symmetric about 0. Column labels:
    I_est, and the test accuracy and cross-entropy changes with the factor zeroed (red: emotion-relevant)."""
    labels = [f"z{factor['factor']:.0f}\n{factor['I_est']:.2f} nats\n"
              f"$\\Delta$acc {round(-100 * factor['accuracy_drop'], 1) + 0.0:+.1f}%\n"  # + 0.0: no "-0.0%"
              f"$\\Delta$CE {factor['loss_increase']:+.3f}" for _, factor in table.iterrows()]
    figure = scalp_grid(changes.swapaxes(0, 1), scalp.limit(changes), scalp, band_labels, labels,
                        f"{title}: top factors by $I_{{est}}$, each band's change from $z_h$ = -3 to +3\n"
                        "accuracy and cross-entropy change with the factor zeroed (red: emotion-relevant)",
                        "change in band power [dB]")
    for axis, relevant in zip(figure.axes, table["emotion_relevant"]):
        if relevant:
            axis.title.set_color(INFLUENTIAL_COLOUR)
    save_figure(figure, *paths)
