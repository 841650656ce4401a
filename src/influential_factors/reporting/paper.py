"""The paper's Tables 1 and 2 (Liu et al.), and this project's next to them.

Table 1: MNIST, beta = 10, I_used and reconstruction error (per-image SSE) with the top k% factors.
Table 2: DEAP, beta = 6, I_used and emotion accuracy (4 classes) with the top k% factors.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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


@dataclass(frozen=True)
class RunTable:
    """This run's Table 1 or 2 (CSV) and what made it: the data it was computed on (the processed .npz, or
    DEAP's video folder), beta, VAE epochs and which data in words (embedded, simulated, real)."""

    path: str | Path
    data: str | Path
    beta: float
    epochs: int
    source: str


def table1_note(source: str, beta: float, train: int, test: int, epochs: int) -> str:
    """The sentence under the comparison that says what this run's Table 1 was computed on."""
    return (f"Table 1: {source}, beta = {beta:g}, {train:,} training and {test:,} test"
            f" images, {epochs} epochs (paper: {PAPER_DATA['table1']}).")


def table2_note(source: str, beta: float, subjects: int, videos: int, test: int, epochs: int) -> str:
    """The sentence under the comparison that says what this run's Table 2 was computed on."""
    return (f"Table 2: {source}, beta = {beta:g}, {subjects:,} subjects"
            f" ({videos:,} videos, {test:,} for testing), VAE {epochs}"
            f" epochs (paper: {PAPER_DATA['table2']}).")


def compare_paper(output_stem: str | Path, table1: RunTable | None, table2: RunTable | None) -> tuple[pd.DataFrame, list[str]]:
    """`side_by_side` of this run's tables, saved as STEM.csv, .parquet and .md with the notes on the data
    (counted from it) under the Markdown table; returns the table and the notes."""
    from ..core.artifacts import save_table

    notes, tables = [], {}
    if table1 is not None:
        from ..data.datasets import load_split

        tables["table1"] = pd.read_csv(table1.path)
        train, test = (len(load_split(table1.data, split)[0]) for split in ("train", "test"))
        notes.append(table1_note(table1.source, table1.beta, train, test, table1.epochs))
    if table2 is not None:
        from ..data.deap_videos import load_videos

        tables["table2"] = pd.read_csv(table2.path)
        _, meta = load_videos(table2.data)
        notes.append(table2_note(table2.source, table2.beta, len(set(meta["subjects"])), len(meta["classes"]),
                                 len(meta["test"]), table2.epochs))
    table = side_by_side(tables.get("table1"), tables.get("table2"))
    save_table(table, output_stem, note=" ".join(notes))
    return table, notes
