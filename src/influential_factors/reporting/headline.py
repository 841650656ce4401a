"""A dataset's headline numbers, one small JSON per dataset (results/metrics/<dataset>/headline.json): the
only metrics file of a dataset in dvc.yaml's `metrics:`, so `dvc metrics show`, `dvc metrics diff` and
`dvc exp show` print a few columns per run rather than every metric of every job.

The file holds {dataset: {run: numbers}}. DVC names a column by its flattened key
(`mnist.beta_vae_beta10_seed0.I_total`), prefixed with the file only where two files share a key: the dataset in
the key keeps each name the same whatever else dvc.yaml lists, so a `dvc exp show --keep` pattern holds. Per
run (objective, beta, seed), keyed `<objective>_beta<beta>_seed<seed>`: the total I_est over the factors (I_total), the
factors above the influential threshold (n_influential), both from estimate-mi's table, and at the top 10% of
factors Table 1's reconstruction error (mse_top10, image datasets) or Table 2's mean emotion accuracy
(accuracy_top10, DEAP); that key is left out when the table has no top_percent = 10 row."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

TOP_PERCENT = 10
TABLE_COLUMNS = {"mse": "mse_top10", "accuracy_mean": "accuracy_top10"}  # Table 1's, Table 2's


def table_value(path: str | Path, percent: float) -> tuple[str, float | None]:
    """The headline key of a Table 1 or Table 2 and its value in the top_percent = `percent` row (None without
    such a row)."""
    table = pd.read_csv(path)
    columns = [column for column in TABLE_COLUMNS if column in table]
    if "top_percent" not in table or len(columns) != 1:
        raise ValueError(f"{path}: neither a Table 1 nor a Table 2 (needs top_percent and one of "
                         f"{', '.join(TABLE_COLUMNS)})")
    rows = table.loc[table["top_percent"] == percent, columns[0]]
    if len(rows) > 1:
        raise ValueError(f"{path}: {len(rows)} rows for top_percent = {percent:g}")
    return TABLE_COLUMNS[columns[0]], (float(rows.iloc[0]) if len(rows) else None)


def run_key(objective: str, beta: float, seed: int) -> str:
    """A run's name in metrics files: `<objective>_beta<beta>_seed<seed>`, as its files are named."""
    return f"{objective}_beta{beta:g}_seed{seed}"


def headline_metrics(runs: list[tuple[str, float, int]], information: list[str | Path],
                     tables: list[str | Path]) -> dict[str, dict[str, float]]:
    """Per run, in the order given, its headline numbers (module docstring), read off its estimate-mi table
    and its Table 1 or 2."""
    if not len(runs) == len(information) == len(tables):
        raise ValueError(f"{len(runs)} runs but {len(information)} information tables and {len(tables)} Tables "
                         "1 or 2; give one per run, in the same order")
    metrics = {}
    for run, information_path, table_path in zip(runs, information, tables):
        factors = pd.read_csv(information_path)
        if "I_est" not in factors or "influential" not in factors:
            raise ValueError(f"{information_path}: not an estimate-mi table (needs I_est and influential columns)")
        key, value = table_value(table_path, TOP_PERCENT)
        metrics[run_key(*run)] = {"I_total": float(factors["I_est"].sum()),
                                             "n_influential": int(factors["influential"].sum())}
        if value is not None:
            metrics[run_key(*run)][key] = value
    return metrics


def write_headline(path: str | Path, dataset: str, runs: list[tuple[str, float, int]], information: list[str | Path],
                   tables: list[str | Path]) -> dict[str, dict[str, float]]:
    """`headline_metrics` saved as the JSON at `path`, under the key `dataset`; returns them."""
    from ..core.artifacts import save_json

    metrics = headline_metrics(runs, information, tables)
    save_json(path, {dataset: metrics})
    return metrics
