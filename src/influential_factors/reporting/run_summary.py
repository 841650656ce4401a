"""Every run (objective, beta, seed) of a dataset side by side: the information a VAE keeps and how concentrated it
is (Liu et al. (000), Figures 1 and 2 and Table 1 across the runs), how much better q* generates than the prior
(Gao et al. (001) section 6.3, generation.py), MIG where the true factors are known, and for Gao et al.'s
anchored factors (001, Eq. 21) whether they became the top factors by I_est."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .figures import plt, save_figure
from .headline import run_key, write_headline
from ..information.mi import rank_order, read_information, top_k_count

FIRST_OBJECTIVE = "beta_vae"  # the paper's model leads the table
ANCHORED = "anchor_vae"  # the objective whose runs --anchors describes
GENERATION_KEYS = ("log_q_prior", "log_q_qstar", "qstar_gain")
METRIC_COLUMNS = ("I_total", "n_influential", "top10_share", "mse", "log_px", "qstar_gain", "mig", "anchors_in_top")
MARKERS = "osD^vP*X"


def top_share(information: np.ndarray, percent: float = 10) -> float:
    """The share of the total I_est held by the top ceil(percent% of H) factors (NaN when there is none)."""
    total = float(np.sum(information))
    if total <= 0:
        return float("nan")
    return float(np.sum(information[rank_order(information)[: top_k_count(percent, len(information))]]) / total)


def anchors_in_top(information: np.ndarray, anchors: list[int]) -> int:
    """How many of the anchored factors are among the top len(anchors) factors by I_est."""
    bad = [anchor for anchor in anchors if not 0 <= anchor < len(information)]
    if bad:
        raise ValueError(f"anchored factors {bad} do not exist in a model of {len(information)} factors")
    return len(set(anchors) & set(rank_order(information)[: len(anchors)].tolist()))


def table1_rows(path: str | Path, percents: tuple[float, ...], columns: tuple[str, ...]) -> dict:
    """Table 1's `columns` in its top_percent rows, read once: {(percent, column): value}, None where Table 1 has
    no such row."""
    table = pd.read_csv(path)
    missing = [column for column in ("top_percent", *columns) if column not in table]
    if missing:
        raise ValueError(f"{path}: not a Table 1 (needs top_percent and {', '.join(columns)} columns)")
    values = {}
    for percent in percents:
        rows = table.loc[table["top_percent"] == percent]
        if len(rows) > 1:
            raise ValueError(f"{path}: {len(rows)} rows for top_percent = {percent:g}")
        values |= {(percent, column): float(rows[column].iloc[0]) if len(rows) else None for column in columns}
    return values


def read_metrics(path: str | Path, keys: tuple[str, ...]) -> dict[str, float]:
    """The `keys` of a metrics JSON, as floats."""
    try:
        metrics = json.loads(Path(path).read_text())
        return {key: float(metrics[key]) for key in keys}
    except (json.JSONDecodeError, KeyError, TypeError, ValueError) as error:
        raise ValueError(f"{path}: not a metrics JSON holding {', '.join(keys)} ({error!r})") from error


def run_row(objective: str, beta: float, seed: int, information: str | Path, table: str | Path,
            generation: str | Path, mig: str | Path | None, anchors: list[int] | None) -> dict:
    """One run's row (the columns are those of `run_summary`)."""
    factors = read_information(information)
    values = factors["I_est"].to_numpy(dtype=float)
    table1 = table1_rows(table, (100, 10), ("mse", "log_px"))
    if table1[(100, "mse")] is None:
        raise ValueError(f"{table}: a Table 1 with a top_percent = 100 row is needed")
    mse_top10 = table1[(10, "mse")]
    row = {"objective": objective, "beta": beta, "seed": seed, "I_total": float(values.sum()),
           "n_influential": int(factors["influential"].sum()), "top10_share": top_share(values),
           "mse": table1[(100, "mse")], "mse_top10": np.nan if mse_top10 is None else mse_top10,
           "log_px": table1[(100, "log_px")]} | read_metrics(generation, GENERATION_KEYS)
    if mig is not None:
        row |= read_metrics(mig, ("mig",))
    if anchors and objective == ANCHORED:
        row["anchors_in_top"] = anchors_in_top(values, anchors)
        row["anchors_are_top"] = row["anchors_in_top"] == len(anchors)
    return row


def run_summary(runs: list[tuple[str, float, int]], information: list[str | Path], tables: list[str | Path],
                generation: list[str | Path], mig: list[str | Path] | None = None,
                anchors: list[int] | None = None) -> pd.DataFrame:
    """One row per run, beta_vae first, then the objectives in the order given, each by beta and seed: objective,
    beta, seed, I_total (sum of I_est), n_influential, top10_share, mse and mse_top10 (Table 1's top_percent 100 and 10
    rows), log_px (log p(x|z), Table 1's 100 row), log_q_prior, log_q_qstar, qstar_gain (generation metrics), mig (with `mig`), and for anchor_vae runs
    with `anchors`: anchors_in_top, anchors_are_top."""
    lists = {"--information tables": information, "--tables (Table 1)": tables, "--generation metrics": generation}
    if mig is not None:
        lists["--mig metrics"] = mig
    wrong = [f"{len(paths)} {name}" for name, paths in lists.items() if len(paths) != len(runs)]
    if wrong:
        raise ValueError(f"summarize-runs: {len(runs)} --runs but {', '.join(wrong)}; give one per run, in the same order")
    if len(set(runs)) != len(runs):
        raise ValueError(f"summarize-runs: a run is given twice in --runs {runs}")
    mig_paths = mig if mig is not None else [None] * len(runs)
    rows = [run_row(*run, information_path, table_path, generation_path, mig_path, anchors)
            for run, information_path, table_path, generation_path, mig_path
            in zip(runs, information, tables, generation, mig_paths)]
    objectives = list(dict.fromkeys([FIRST_OBJECTIVE] + [objective for objective, _, _ in runs]))
    summary = pd.DataFrame(rows)
    summary["_order"] = summary["objective"].map(objectives.index)
    summary = summary.sort_values(["_order", "beta", "seed"], kind="stable").drop(columns="_order").reset_index(drop=True)
    if "anchors_in_top" in summary:
        summary = summary.astype({"anchors_in_top": "Int64", "anchors_are_top": "boolean"})
    return summary


def summary_metrics(summary: pd.DataFrame) -> dict[str, dict[str, float]]:
    """For `dvc metrics show`: per run, keyed `<objective>_beta<beta>_seed<seed>`, its headline numbers (absent ones
    left out)."""
    metrics = {}
    for _, row in summary.iterrows():
        metrics[run_key(row["objective"], row["beta"], row["seed"])] = {
            column: (int(row[column]) if column in ("n_influential", "anchors_in_top") else float(row[column]))
            for column in METRIC_COLUMNS if column in row and not pd.isna(row[column])}
    return metrics


def over_seeds(summary: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """Per objective and beta (in the summary's order), the mean of each column over the seeds and its standard
    error (`<column>_se`: the sample standard deviation over sqrt(seeds); 0 for a single seed)."""
    groups = summary.groupby(["objective", "beta"], sort=False)[list(columns)]
    means, errors = groups.mean(), groups.sem(ddof=1).fillna(0.0)
    return means.join(errors.add_suffix("_se")).reset_index()


def plot_run_summary(summary: pd.DataFrame, threshold: float, title: str, *paths: str | Path) -> None:
    """(a) total I_est (solid, left axis) and influential factors (dashed, right axis) against beta, one colour
    per objective; (b) the share of I_est in the top 10% of factors against the reconstruction error, one point
    per objective and beta labelled with its beta, one colour and marker per objective. Each point is the mean over
    the seeds, with the standard error as its error bar."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    counts = left.twinx()
    means = over_seeds(summary, ("I_total", "n_influential", "mse", "top10_share"))
    for index, (objective, runs) in enumerate(means.groupby("objective", sort=False)):
        colour, marker = f"C{index}", MARKERS[index % len(MARKERS)]
        left.errorbar(runs["beta"], runs["I_total"], yerr=runs["I_total_se"], marker=marker, color=colour,
                      label=objective, capsize=2)
        counts.errorbar(runs["beta"], runs["n_influential"], yerr=runs["n_influential_se"], marker=marker,
                        color=colour, linestyle="--", alpha=0.7, capsize=2)
        right.errorbar(runs["mse"], runs["top10_share"], xerr=runs["mse_se"], yerr=runs["top10_share_se"],
                       marker=marker, color=colour, linestyle="none", label=objective, capsize=2)
        for _, run in runs.iterrows():
            right.annotate(f"{run['beta']:g}", (run["mse"], run["top10_share"]), textcoords="offset points",
                           xytext=(4, 3), fontsize=7, color=colour)
    left.set_xlabel(r"$\beta$")
    left.set_ylabel(r"total $I_{est}$ [nats] (solid)")
    counts.set_ylabel(f"factors with $I_{{est}}$ > {threshold:g} nats (dashed)")
    left.set_ylim(bottom=0)
    counts.set_ylim(bottom=0)
    left.set_title("(a) information kept against $\\beta$", fontsize=9)
    left.legend(frameon=False, fontsize=8)
    left.grid(alpha=0.3)
    right.set_xlabel("reconstruction error, all factors [SSE per image]")
    right.set_ylabel("share of total $I_{est}$ in the top 10% of factors")
    right.set_title("(b) concentration against error (labels: $\\beta$)", fontsize=9)
    right.legend(frameon=False, fontsize=8)
    right.grid(alpha=0.3)
    seeds = summary["seed"].nunique()
    figure.suptitle(f"{title}: every objective and $\\beta$ of the dataset"
                    + (f", mean and standard error over {seeds} seeds" if seeds > 1 else ""), fontsize=10)
    figure.tight_layout()
    save_figure(figure, *paths)


def summarize_runs(runs: list[tuple[str, float, int]], information: list[str | Path], tables: list[str | Path],
                   generation: list[str | Path], mig: list[str | Path] | None, anchors: list[int] | None,
                   output_stem: str | Path, figure: list[str | Path], metrics: str | Path, *, threshold: float,
                   title: str, headline: str | Path | None = None, dataset: str = "") -> pd.DataFrame:
    """`summarize-runs`: `run_summary` saved as STEM.csv, .parquet and .md, drawn by `plot_run_summary` to each
    figure path, its `summary_metrics` as the metrics JSON, and the headline numbers (headline.py) of `dataset`
    as the JSON at `headline`."""
    from ..core.artifacts import save_json, save_table

    summary = run_summary(runs, information, tables, generation, mig, anchors)
    save_table(summary, output_stem)
    plot_run_summary(summary, threshold, title, *figure)
    save_json(metrics, summary_metrics(summary))
    if headline is not None:
        write_headline(headline, dataset, runs, information, tables)
    return summary
