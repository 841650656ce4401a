"""Figures: information per factor against the variance indicator (the paper's Figures 1 and 2)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from .artifacts import atomic_path  # noqa: E402

INFLUENTIAL_COLOUR = "tab:red"
OTHER_COLOUR = "tab:grey"


def save_figure(figure, *paths: str | Path) -> None:
    """Save a figure to every path (format from the suffix), atomically and reproducibly, then close it."""
    for path in paths:
        kind = Path(path).suffix.lstrip(".")
        metadata = {"CreationDate": None} if kind == "pdf" else None  # no timestamp: same bytes every run
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format=kind, dpi=150, bbox_inches="tight", metadata=metadata)
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
