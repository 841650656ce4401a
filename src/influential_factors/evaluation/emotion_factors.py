"""Emotion-relevant factors (the paper's Figure 5): what the top factors draw and what the classifier loses.

For each of the most informative factors h (by I_est):
- traversal: decode the reference code (the mean posterior mean of the test frames) with z_h set
  to each value in [-3, 3]; the change map is decode(z_h = +3) - decode(z_h = -3) per band;
- accuracy drop: test accuracy of the emotion classifier (trained on the full codes, one per seed)
  minus its accuracy with z_h zeroed in every frame, averaged over the seeds;
- rating correlation: Pearson r across all videos between the video's mean code z_h over its
  frames and its valence (arousal) rating;
- on simulated data, pattern agreement: the change map brought back to the electrodes (least
  squares through the interpolation matrix), averaged over the planted pattern's bands, and its
  Pearson r with the simulator's channel weights (ground_truth.json).
A factor is flagged emotion-relevant when zeroing it raises the classifiers' mean test cross-entropy
by at least `min_loss_increase` nats: on a few dozen test videos accuracy moves in steps of one
video, the cross-entropy of the true class moves with every prediction's confidence.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .classifier import EmotionLSTM, factor_drop
from ..information.mi import rank_order
from ..data.topomap import TopomapInterpolator, band_labels, decibels
from .traversal import scalp_layout, traverse

PLANTED_PATTERNS = ("valence", "arousal")  # keys of the simulator's ground truth, rating columns 0 and 1


def electrode_values(maps: np.ndarray, interpolator: TopomapInterpolator) -> np.ndarray:
    """Electrode values (..., electrodes) whose interpolation best fits `maps` (..., grid, grid) in least squares."""
    flat = maps.reshape(-1, interpolator.grid_size**2).T
    values = np.linalg.lstsq(interpolator.matrix, flat, rcond=None)[0]
    return values.T.reshape(*maps.shape[:-2], len(interpolator.points))


def rating_correlations(codes: np.ndarray, ratings: np.ndarray) -> np.ndarray:
    """Pearson r (factors, 2) between each factor's per-video mean code and the valence, arousal ratings."""
    means = codes.mean(axis=1)
    return np.array([[_pearson(means[:, factor], ratings[:, column]) for column in range(len(PLANTED_PATTERNS))]
                     for factor in range(codes.shape[-1])])


def pattern_agreement(change: np.ndarray, band_names: list[str], channels: list[str], truth: dict) -> dict[str, float]:
    """Pearson r between a change at the electrodes (bands, electrodes) and each planted pattern's weights."""
    agreement = {}
    for pattern in PLANTED_PATTERNS:
        rows = [band_names.index(band) for band in truth[pattern]["bands"] if band in band_names]
        weights = np.array([truth[pattern]["channel_weights"][name] for name in channels])
        agreement[pattern] = _pearson(change[rows].mean(axis=0), weights) if rows else float("nan")
    return agreement


def emotion_factor_table(model, codes: np.ndarray, labels: np.ndarray, ratings: np.ndarray, splits: dict,
                         information: np.ndarray, classifiers: list[EmotionLSTM], interpolator: TopomapInterpolator,
                         band_names: list[str], channels: list[str], *, n_factors: int, min_loss_increase: float,
                         truth: dict | None = None) -> tuple[pd.DataFrame, np.ndarray]:
    """The top `n_factors` factors by I_est, one row each, and their traversals (factors, values, bands, grid, grid).

    `codes` (videos, frames, factors) are posterior means, `splits` maps "test" to video indices.
    Columns: rank, factor, I_est, accuracy_drop (mean over the classifiers) and its std,
    loss_increase (mean), r_valence_rating, r_arousal_rating, emotion_relevant, and with `truth`
    r_valence_pattern and r_arousal_pattern.
    """
    top = rank_order(information)[:n_factors]
    test_codes, test_labels = codes[splits["test"]], labels[splits["test"]]
    effects = [factor_drop(classifier, test_codes, test_labels, information, list(top)) for classifier in classifiers]
    drops = np.array([effect["accuracy_drop"] for effect in effects])
    loss_increases = np.array([effect["loss_increase"] for effect in effects])
    correlations = rating_correlations(codes, ratings)
    reference = codes[splits["test"]].reshape(-1, codes.shape[-1]).mean(axis=0)
    traversals = np.stack([traverse(model, reference, factor) for factor in top])
    rows = []
    for rank, factor in enumerate(top):
        row = {"rank": rank + 1, "factor": int(factor), "I_est": float(information[factor]),
               "accuracy_drop": float(drops[:, rank].mean()), "accuracy_drop_std": float(drops[:, rank].std()),
               "loss_increase": float(loss_increases[:, rank].mean()),
               "r_valence_rating": correlations[factor, 0], "r_arousal_rating": correlations[factor, 1],
               "emotion_relevant": bool(loss_increases[:, rank].mean() >= min_loss_increase)}
        if truth is not None:
            change = electrode_values(traversals[rank, -1] - traversals[rank, 0], interpolator)
            row |= {f"r_{name}_pattern": r for name, r in pattern_agreement(change, band_names, channels, truth).items()}
        rows.append(row)
    return pd.DataFrame(rows), traversals


def ground_truth_summary(table: pd.DataFrame, pattern_threshold: float) -> dict:
    """Whether the flagged factors are the ones that vary a planted pattern (|r| >= threshold).

    Reports, for flagged and unflagged factors, how many vary a planted pattern, and `agrees`:
    every flagged factor varies a planted pattern and at least one factor is flagged.
    """
    strongest = table[[f"r_{name}_pattern" for name in PLANTED_PATTERNS]].abs().max(axis=1)
    varies = strongest >= pattern_threshold
    flagged = table["emotion_relevant"]
    return {"pattern_threshold": pattern_threshold, "flagged": table.loc[flagged, "factor"].tolist(),
            "varies_pattern": table.loc[varies, "factor"].tolist(),
            "flagged_varying": int((flagged & varies).sum()), "flagged_total": int(flagged.sum()),
            "unflagged_varying": int((~flagged & varies).sum()), "unflagged_total": int((~flagged).sum()),
            "agrees": bool(flagged.any() and varies[flagged].all())}


def read_ground_truth(path: str | Path) -> dict:
    """The simulator's ground_truth.json (the planted patterns)."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not a readable ground truth ({error})") from error


def emotion_metrics(table: pd.DataFrame, test_accuracies: list[float], truth: dict | None,
                    pattern_threshold: float) -> dict:
    """Figure 5's metrics: the classifiers' mean test accuracy, the emotion-relevant factors and, with the
    simulator's `truth`, their agreement with the planted patterns (`ground_truth_summary`)."""
    metrics = {"test_accuracy": float(np.mean(test_accuracies)),
               "emotion_relevant": table.loc[table["emotion_relevant"], "factor"].tolist()}
    if truth is not None:
        metrics["ground_truth"] = ground_truth_summary(table, pattern_threshold)
    return metrics


def emotion_factors(model: str | Path, posteriors: str | Path, information: str | Path, data: str | Path,
                    output_stem: str | Path, figure: list[str | Path], metrics: str | Path, *,
                    ground_truth: str | Path | None, n_factors: int, min_loss_increase: float,
                    pattern_threshold: float, title: str, seeds: list[int], hidden: int, epochs: int,
                    batch_size: int, lr: float) -> pd.DataFrame:
    """Figure 5 (`emotion-factors`): one emotion classifier per seed on the full codes of the train videos,
    then `emotion_factor_table` of the top `n_factors` factors, saved as STEM.csv, .parquet and .md, drawn
    to every figure path, and `emotion_metrics` as JSON. `data` is DEAP's video folder."""
    from ..core.artifacts import save_json, save_table
    from .classifier import accuracy, train_classifier, video_splits
    from ..data.deap_videos import load_videos
    from ..data.posteriors import load_posteriors
    from ..reporting.figures import plot_emotion_factors
    from ..information.mi import read_information
    from ..models.vae import load_model

    values = read_information(information)["I_est"].to_numpy()
    codes = load_posteriors(posteriors)
    _, meta = load_videos(data)
    mu, labels = codes["mu"], codes["labels"]
    if mu.ndim != 3 or len(mu) != len(meta["classes"]) or len(values) != mu.shape[-1]:
        raise ValueError(f"{posteriors}: does not match the videos in {data} or the factors of {information}")
    truth = read_ground_truth(ground_truth) if ground_truth is not None else None
    split = video_splits(codes)
    classifiers = [train_classifier(*split["train"], *split["val"], seed=seed, hidden=hidden, epochs=epochs,
                                    batch_size=batch_size, lr=lr)[0] for seed in seeds]
    interpolator = TopomapInterpolator(meta["positions"], meta["inside"].shape[0])
    band_names, channels = meta["band_names"].tolist(), meta["channels"].tolist()
    table, traversals = emotion_factor_table(
        load_model(model), mu, labels, meta["ratings"], codes, values, classifiers, interpolator,
        band_names, channels, n_factors=n_factors, min_loss_increase=min_loss_increase, truth=truth)
    save_table(table, output_stem)
    plot_emotion_factors(table, decibels(traversals[:, -1] - traversals[:, 0], meta["band_low"], meta["band_high"]),
                         scalp_layout(meta["positions"], meta["inside"]), band_labels(meta), title, *figure)
    save_json(metrics, emotion_metrics(table, [accuracy(classifier, *split["test"]) for classifier in classifiers], truth,
                                       pattern_threshold))
    return table


def _pearson(a: np.ndarray, b: np.ndarray) -> float:
    """Pearson correlation; 0 when either side is constant."""
    a, b = a - a.mean(), b - b.mean()
    scale = np.sqrt(np.sum(a**2) * np.sum(b**2))
    return float(np.sum(a * b) / scale) if scale > 0 else 0.0
