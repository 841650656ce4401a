"""The paper's Tables 1 and 2 (Liu et al.), and this project's next to them.

Table 1: MNIST, beta = 10, I_used and reconstruction error (per-image SSE) with the top k% factors.
Table 2: DEAP, beta = 6, I_used and emotion accuracy (4 classes) with the top k% factors.
"""

from __future__ import annotations

import pandas as pd

PAPER_BETAS = {"table1": 10.0, "table2": 6.0}
PAPER_TABLE1 = pd.DataFrame({
    "top_percent": [100, 20, 10, 7, 5, 4, 3, 2, 1, 0],
    "I_used": [24.3, 24.3, 24.3, 19.6, 16.5, 14.7, 10.6, 8.4, 5.8, 0.0],
    "score": [5.6, 5.6, 5.6, 13.4, 15.0, 18.9, 27.6, 31.3, 44.4, 71.7],
})
PAPER_TABLE2 = pd.DataFrame({
    "top_percent": [100, 50, 10, 7, 5, 4, 3, 2, 1, 0],
    "I_used": [53.8, 53.5, 38.3, 28.0, 22.5, 19.6, 13.5, 10.2, 7.0, 0.0],
    "score": [0.53, 0.52, 0.46, 0.32, 0.34, 0.36, 0.29, 0.29, 0.30, 0.23],
})
PAPER_DATA = {"table1": "full MNIST (42,000 training digits), 200 epochs",
              "table2": "DEAP, 32 real subjects (1,280 videos), VAE 300 epochs"}


def closest_beta(betas: list[float], table: str) -> float:
    """The beta of a grid nearest the paper's for `table` ("table1": 10, "table2": 6); ties take the smaller."""
    return min(betas, key=lambda beta: (abs(beta - PAPER_BETAS[table]), beta))


def side_by_side(table1: pd.DataFrame | None, table2: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (table, top k%) of either table: this run's I_used and score next to the paper's.

    The score is the reconstruction error (`mse`) for Table 1 and the mean accuracy for Table 2.
    Rows of either side without a match get NaN on the other (an outer join on top_percent).
    """
    parts = []
    for name, ours, paper, score, what in (("Table 1", table1, PAPER_TABLE1, "mse", "reconstruction error"),
                                           ("Table 2", table2, PAPER_TABLE2, "accuracy_mean", "accuracy")):
        if ours is None:
            continue
        ours = ours[["top_percent", "I_used", score]].rename(columns={score: "score"})
        merged = ours.merge(paper, on="top_percent", how="outer", suffixes=("", "_paper"))
        parts.append(merged.sort_values("top_percent", ascending=False)
                     .assign(table=name, score_name=what))
    if not parts:
        raise ValueError("side_by_side needs Table 1, Table 2 or both")
    columns = ["table", "top_percent", "I_used", "I_used_paper", "score_name", "score", "score_paper"]
    return pd.concat(parts, ignore_index=True)[columns]
