"""ISA-VAE's disentanglement comparison (Stuehmer et al. (003), Figure 5(b, c), appendix Figures 8-15) from the
runs table of a dataset with known factors: per objective and beta, MIG and the reconstruction log p(x|z) as the
mean over the seeds with its standard error, next to the paper's representative models.

The paper's numbers are not means: per objective and beta it averages the upper 50% of its 50 models' MIG scores
and shows the model nearest that average (A.5), because the scores are bimodal. So the table gives, beside the mean
over all seeds, the mean over the upper half of the seeds (the better ceil(n / 2)), the paper's own statistic."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from .figures import plt, save_figure
from .run_summary import over_seeds

# The representative models of the paper's appendix Figures 8-15 (dSprites): (objective, beta) -> (MIG, log p(x|z))
PAPER_REPRESENTATIVE = {
    ("beta_vae", 1.0): (0.14, -21.99), ("isa_vae", 1.0): (0.20, -20.93),
    ("beta_vae", 2.0): (0.28, -29.40), ("beta_tcvae", 2.0): (0.30, -27.15), ("isa_vae", 2.0): (0.41, -25.86),
    ("beta_vae", 3.0): (0.47, -33.44), ("beta_tcvae", 3.0): (0.43, -33.40), ("isa_vae", 3.0): (0.48, -32.42),
}
MARKERS = "osD^vP*X"


def upper_half_mean(values: pd.Series) -> float:
    """The mean of the better ceil(n / 2) values: the paper's average of the upper 50% quantile."""
    return float(values.sort_values(ascending=False).iloc[:math.ceil(len(values) / 2)].mean())


def disentanglement_table(runs: pd.DataFrame) -> pd.DataFrame:
    """Per objective and beta (the runs table's order): the seeds, MIG's mean, standard error (sample standard
    deviation over sqrt(seeds); 0 for one seed) and upper-half mean, log p(x|z)'s mean and standard error, and the
    paper's representative MIG and log p(x|z) where it shows one."""
    missing = {"objective", "beta", "seed", "mig", "log_px"} - set(runs)
    if missing:
        raise ValueError(f"the runs table lacks {', '.join(sorted(missing))} (a dataset with known factors, whose "
                         "Table 1 has log_px)")
    groups = runs.groupby(["objective", "beta"], sort=False)
    means = over_seeds(runs, ("mig", "log_px"))
    paper = [PAPER_REPRESENTATIVE.get((objective, float(beta)), (math.nan, math.nan))
             for objective, beta in zip(means["objective"], means["beta"])]
    return pd.DataFrame({"objective": means["objective"], "beta": means["beta"], "seeds": groups.size().to_numpy(),
                         "mig_mean": means["mig"], "mig_se": means["mig_se"],
                         "mig_upper_half": groups["mig"].apply(upper_half_mean).to_numpy(),
                         "log_px_mean": means["log_px"], "log_px_se": means["log_px_se"],
                         "mig_paper": [value[0] for value in paper], "log_px_paper": [value[1] for value in paper]})


def plot_mig_against_reconstruction(table: pd.DataFrame, title: str, *paths: str | Path) -> None:
    """Figure 5(b, c): MIG against log p(x|z), one point per objective and beta (mean over the seeds, standard
    errors as bars, the beta beside it), one colour and marker per objective; the paper's representative models
    as hollow markers of the same colour. Better is up (MIG) and right (reconstruction)."""
    figure, axes = plt.subplots(figsize=(6.5, 4.5))
    for index, (objective, rows) in enumerate(table.groupby("objective", sort=False)):
        colour, marker = f"C{index}", MARKERS[index % len(MARKERS)]
        axes.errorbar(rows["log_px_mean"], rows["mig_mean"], xerr=rows["log_px_se"], yerr=rows["mig_se"],
                      marker=marker, color=colour, linestyle="none", capsize=2, label=objective)
        for row in rows.itertuples():
            axes.annotate(f"{row.beta:g}", (row.log_px_mean, row.mig_mean), textcoords="offset points",
                          xytext=(4, 3), fontsize=7, color=colour)
        paper = rows.dropna(subset=["mig_paper"])
        if len(paper):
            axes.scatter(paper["log_px_paper"], paper["mig_paper"], marker=marker, facecolors="none",
                         edgecolors=colour, label=f"{objective}, paper")
    axes.set_xlabel("reconstruction: log p(x|z) per test image [nats]")
    axes.set_ylabel("MIG")
    axes.set_ylim(bottom=0)
    axes.grid(alpha=0.3)
    axes.legend(frameon=False, fontsize=7)
    seeds = f"{table['seeds'].min()}-{table['seeds'].max()}" if table["seeds"].nunique() > 1 else f"{table['seeds'].iloc[0]}"
    axes.set_title(f"{title}: MIG against reconstruction, mean and standard error over {seeds} seeds "
                   "(labels: beta; hollow: the paper's representative models)", fontsize=8, wrap=True)
    figure.tight_layout()
    save_figure(figure, *paths)


def disentanglement_metrics(table: pd.DataFrame) -> dict:
    """For `dvc metrics show`: per objective and beta (`<objective>_beta<beta>`), MIG's mean, standard error and
    upper-half mean, log p(x|z)'s mean, and the seeds behind them."""
    return {f"{row.objective}_beta{row.beta:g}": {"seeds": int(row.seeds), "mig": float(row.mig_mean),
                                                  "mig_se": float(row.mig_se), "mig_upper_half": float(row.mig_upper_half),
                                                  "log_px": float(row.log_px_mean)}
            for row in table.itertuples()}


def write_disentanglement(runs: str | Path, output_stem: str | Path, figure: list[str | Path], metrics: str | Path,
                          *, title: str) -> pd.DataFrame:
    """`disentanglement`: the table of `disentanglement_table` from summarize-runs' table, saved as STEM.csv,
    .parquet and .md, drawn to each figure path, its metrics as JSON."""
    from ..core.artifacts import save_json, save_table

    table = disentanglement_table(pd.read_parquet(runs))
    save_table(table, output_stem)
    plot_mig_against_reconstruction(table, title, *figure)
    save_json(metrics, disentanglement_metrics(table))
    return table
